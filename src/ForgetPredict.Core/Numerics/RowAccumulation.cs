using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: the task (row) side of an alternating-least-squares sweep over a fully observed row slice. With
/// y = z * scale - offset it adds <c>sum_j y[j]</c> (when the model has a constant feature) and <c>sum_j F[k, j] y[j]</c>
/// for each factor row k to the right-hand side, in one pass per four factors: y never leaves the registers.
/// </summary>
/// <remarks>Each sum runs lane by lane over the vector columns, adds its lanes in the runtime's fixed order and then the scalar
/// tail in column order: deterministic for a vector width, never dependent on threads, scheduling or buffer alignment.</remarks>
internal static class RowAccumulation
{
    private const int Block = 4;

    /// <summary>
    /// Effectively <c>rhs[0] += sum_j y[j]</c> when <paramref name="constant"/>, and <c>rhs[c + k] += sum_j factors[k * factorStride + j] * y[j]</c>
    /// for k &lt; <paramref name="rank"/> (c = 1 with the constant, else 0), y[j] = z[j] * scale - offset[j]. The cells must be observed.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the shape.</exception>
    public static void Accumulate(ReadOnlySpan<float> z, double scale, ReadOnlySpan<double> offset, ReadOnlySpan<double> factors, int factorStride, int rank,
        bool constant, Span<double> rhs) =>
        Run<AllObserved>(z, scale, offset, factors, factorStride, rank, constant, rhs);

    /// <summary>
    /// As <see cref="Accumulate"/>, with missing (NaN) cells read as y = 0: the same sums in the same order as over a fully
    /// observed slice whose missing cells hold exactly the offset. The offsets must be finite.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the shape.</exception>
    public static void AccumulateMasked(ReadOnlySpan<float> z, double scale, ReadOnlySpan<double> offset, ReadOnlySpan<double> factors, int factorStride, int rank,
        bool constant, Span<double> rhs) =>
        Run<MissingAsZero>(z, scale, offset, factors, factorStride, rank, constant, rhs);

    private static void Run<TMissing>(ReadOnlySpan<float> z, double scale, ReadOnlySpan<double> offset, ReadOnlySpan<double> factors, int factorStride, int rank,
        bool constant, Span<double> rhs)
        where TMissing : struct, IMissingCells
    {
        var width = z.Length;
        var first = constant ? 1 : 0;
        if (offset.Length != width || rank < 0 || rhs.Length < first + rank || (rank > 0 && factors.Length < ((long)(rank - 1) * factorStride) + width))
        {
            throw new ArgumentException("Row accumulation spans are too short for the shape.", nameof(rhs));
        }

        Span<double> sums = stackalloc double[Block + 1];
        for (var k0 = 0; k0 == 0 || k0 < rank; k0 += Block)
        {
            var count = Math.Min(Block, rank - k0);
            var withConstant = constant && k0 == 0;
            sums.Clear();
            var done = 0;
            if (Width512<double>.IsHardwareAccelerated)
            {
                done = Body<Width512<double>, Vector512<double>, TMissing>(z, scale, offset, factors.Slice(k0 * factorStride), factorStride, count, withConstant, sums);
            }
            else if (Width256<double>.IsHardwareAccelerated)
            {
                done = Body<Width256<double>, Vector256<double>, TMissing>(z, scale, offset, factors.Slice(k0 * factorStride), factorStride, count, withConstant, sums);
            }
            else if (Width128<double>.IsHardwareAccelerated)
            {
                done = Body<Width128<double>, Vector128<double>, TMissing>(z, scale, offset, factors.Slice(k0 * factorStride), factorStride, count, withConstant, sums);
            }

            for (var j = done; j < width; j++)
            {
                var y = ((double)z[j] * scale) - offset[j];
                if (TMissing.AsZero && double.IsNaN(y))
                {
                    y = 0;
                }

                sums[Block] += y;
                for (var k = 0; k < count; k++)
                {
                    sums[k] += factors[((k0 + k) * factorStride) + j] * y;
                }
            }

            if (withConstant)
            {
                rhs[0] += sums[Block];
            }

            for (var k = 0; k < count; k++)
            {
                rhs[first + k0 + k] += sums[k];
            }
        }
    }

    // The vector columns (0 .. returned value) into sums[0 .. count) (factors) and sums[Block] (the constant).
    private static int Body<TWidth, TVector, TMissing>(ReadOnlySpan<float> z, double scale, ReadOnlySpan<double> offset, ReadOnlySpan<double> factors, int stride,
        int count, bool withConstant, Span<double> sums)
        where TWidth : IVectorWidth<TVector, double>
        where TVector : struct
        where TMissing : struct, IMissingCells
    {
        var lanes = TWidth.Count;
        var end = z.Length - (z.Length % lanes);
        ref var zRef = ref MemoryMarshal.GetReference(z);
        ref var oRef = ref MemoryMarshal.GetReference(offset);
        ref var fRef = ref MemoryMarshal.GetReference(factors);
        var f = TWidth.Create(scale);
        var zero = TWidth.Create(0);
        TVector s = zero, a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        var p1 = (nuint)stride;
        var p2 = p1 + (nuint)stride;
        var p3 = p2 + (nuint)stride;
        for (var j = 0; j < end; j += lanes)
        {
            var at = (nuint)j;
            var y = TWidth.Subtract(TWidth.Multiply(ColumnAccumulation.Widened<TVector, float>(ref zRef, at), f), TWidth.Load(ref oRef, at));
            if (TMissing.AsZero)
            {
                y = TWidth.ZeroNaN(y);
            }

            if (withConstant)
            {
                s = TWidth.Add(s, y);
            }

            if (count > 0)
            {
                a0 = TWidth.Add(a0, TWidth.Multiply(TWidth.Load(ref fRef, at), y));
            }

            if (count > 1)
            {
                a1 = TWidth.Add(a1, TWidth.Multiply(TWidth.Load(ref fRef, p1 + at), y));
            }

            if (count > 2)
            {
                a2 = TWidth.Add(a2, TWidth.Multiply(TWidth.Load(ref fRef, p2 + at), y));
            }

            if (count > 3)
            {
                a3 = TWidth.Add(a3, TWidth.Multiply(TWidth.Load(ref fRef, p3 + at), y));
            }
        }

        sums[0] = TWidth.Sum(a0);
        sums[1] = TWidth.Sum(a1);
        sums[2] = TWidth.Sum(a2);
        sums[3] = TWidth.Sum(a3);
        sums[Block] = TWidth.Sum(s);
        return end;
    }
}

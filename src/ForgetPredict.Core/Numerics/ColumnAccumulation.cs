using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: weighted sums of rows into per-column accumulators, <c>acc[k, j] += y_t[j] * coefficients[t, k]</c> in row
/// order. The example (column) side of an alternating-least-squares sweep over fully observed cells reads a float32 slab
/// (y_t = z_t * scale - shift_t, also summing y_t[j]^2); the residual directions read double rows.
/// </summary>
/// <remarks>
/// The same sums as one pass per row and per k (<c>TensorPrimitives.MultiplyAdd</c>, which does not fuse), but four
/// rows at a time: each accumulator is read and written once per four rows instead of once per row, and y never
/// leaves the registers. Every lane adds the same products in the same order as the scalar loop, without fused
/// multiply-adds, so the result is bit-identical to it at every vector width (512, 256 and 128 bits, one generic body).
/// </remarks>
internal static class ColumnAccumulation
{
    /// <summary>Rows whose accumulators stay in registers together.</summary>
    private const int Group = 4;

    /// <summary>Accumulator rows updated per pass over the rows: their lines (a power-of-two width apart, so in few cache sets)
    /// all stay in L1; wider blocks evict each other.</summary>
    private const int Block = 8;

    /// <summary>
    /// Effectively, for t = 0 .. rows - 1 in order and every column j &lt; width:
    /// <c>y = (double)z[t * stride + j] * scale - shifts[t]; acc[k * width + j] += y * coefficients[t * q + k]; squares[j] += y * y</c>.
    /// The cells must be observed (no NaN).
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the shape.</exception>
    public static void Accumulate(ReadOnlySpan<float> z, int stride, int rows, double scale, ReadOnlySpan<double> shifts,
        ReadOnlySpan<double> coefficients, int q, Span<double> acc, Span<double> squares) =>
        Run<float, AllObserved>(z, stride, rows, scale, shifts, coefficients, q, q, acc, squares, squares.Length);

    /// <summary>
    /// As <see cref="Accumulate(ReadOnlySpan{float}, int, int, double, ReadOnlySpan{double}, ReadOnlySpan{double}, int, Span{double}, Span{double})"/>,
    /// with missing (NaN) cells read as y = 0: the sums over a slab with gaps, bit-identical to one
    /// <see cref="Residuals.Masked(ReadOnlySpan{float}, double, ReadOnlySpan{double}, double, Span{double})"/> pass per row
    /// followed by one multiply-add per factor. The shifts must be finite.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the shape.</exception>
    public static void AccumulateMasked(ReadOnlySpan<float> z, int stride, int rows, double scale, ReadOnlySpan<double> shifts,
        ReadOnlySpan<double> coefficients, int q, Span<double> acc, Span<double> squares) =>
        Run<float, MissingAsZero>(z, stride, rows, scale, shifts, coefficients, q, q, acc, squares, squares.Length);

    /// <summary>
    /// Effectively, for t = 0 .. rows - 1 in order and every column j &lt; width:
    /// <c>acc[k * width + j] += y[t * stride + j] * coefficients[t * coefficientStride + k]</c> for k &lt; q (double rows, no shift).
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the shape.</exception>
    public static void Accumulate(ReadOnlySpan<double> y, int stride, int rows, ReadOnlySpan<double> coefficients, int coefficientStride, int q,
        Span<double> acc, int width) =>
        Run<double, AllObserved>(y, stride, rows, 1, default, coefficients, coefficientStride, q, acc, default, width);

    // Multiplying by 1 and subtracting 0 are exact, so double rows go through the float rows' body unchanged.
    private static void Run<TIn, TMissing>(ReadOnlySpan<TIn> z, int stride, int rows, double scale, ReadOnlySpan<double> shifts,
        ReadOnlySpan<double> coefficients, int coefficientStride, int q, Span<double> acc, Span<double> squares, int width)
        where TIn : unmanaged, System.Numerics.IFloatingPointIeee754<TIn>
        where TMissing : struct, IMissingCells
    {
        if (rows < 0 || q < 0 || coefficientStride < q || (shifts.Length != 0 && shifts.Length < rows) || (squares.Length != 0 && squares.Length != width)
            || (rows > 0 && coefficients.Length < ((long)(rows - 1) * coefficientStride) + q) || acc.Length < (long)q * width
            || (rows > 0 && z.Length < ((long)(rows - 1) * stride) + width))
        {
            throw new ArgumentException("Column accumulation spans are too short for the shape.", nameof(z));
        }

        var done = 0;
        if (Width512<double>.IsHardwareAccelerated)
        {
            done = Body<Width512<double>, Vector512<double>, TIn, TMissing>(z, stride, rows, scale, shifts, coefficients, coefficientStride, q, acc, squares, width);
        }
        else if (Width256<double>.IsHardwareAccelerated)
        {
            done = Body<Width256<double>, Vector256<double>, TIn, TMissing>(z, stride, rows, scale, shifts, coefficients, coefficientStride, q, acc, squares, width);
        }
        else if (Width128<double>.IsHardwareAccelerated)
        {
            done = Body<Width128<double>, Vector128<double>, TIn, TMissing>(z, stride, rows, scale, shifts, coefficients, coefficientStride, q, acc, squares, width);
        }

        // The last columns (and every column without SIMD): the scalar loop, the same operations in the same order.
        for (var t = 0; t < rows; t++)
        {
            var row = z.Slice(t * stride, width);
            var shift = shifts.Length == 0 ? 0 : shifts[t];
            for (var j = done; j < width; j++)
            {
                var y = (double.CreateTruncating(row[j]) * scale) - shift;
                if (TMissing.AsZero && double.IsNaN(y))
                {
                    y = 0;
                }

                for (var k = 0; k < q; k++)
                {
                    acc[(k * width) + j] += y * coefficients[(t * coefficientStride) + k];
                }

                if (squares.Length != 0)
                {
                    squares[j] += y * y;
                }
            }
        }
    }

    // The vector columns 0 .. returned value; rows in groups of four, then one at a time.
    private static int Body<TWidth, TVector, TIn, TMissing>(ReadOnlySpan<TIn> z, int stride, int rows, double scale, ReadOnlySpan<double> shifts,
        ReadOnlySpan<double> coefficients, int cs, int q, Span<double> acc, Span<double> squares, int width)
        where TWidth : IVectorWidth<TVector, double>
        where TVector : struct
        where TIn : unmanaged
        where TMissing : struct, IMissingCells
    {
        var withSquares = squares.Length != 0;
        var count = TWidth.Count;
        var vectorEnd = width - (width % count);
        ref var zRef = ref MemoryMarshal.GetReference(z);
        ref var accRef = ref MemoryMarshal.GetReference(acc);
        ref var sqRef = ref MemoryMarshal.GetReference(squares);
        var f = TWidth.Create(scale);
        var t = 0;
        for (; t + Group <= rows; t += Group)
        {
            var s0 = TWidth.Create(shifts.Length == 0 ? 0 : shifts[t]);
            var s1 = TWidth.Create(shifts.Length == 0 ? 0 : shifts[t + 1]);
            var s2 = TWidth.Create(shifts.Length == 0 ? 0 : shifts[t + 2]);
            var s3 = TWidth.Create(shifts.Length == 0 ? 0 : shifts[t + 3]);
            var c = coefficients.Slice(t * cs);
            var r0 = (nuint)(t * stride);
            var r1 = r0 + (nuint)stride;
            var r2 = r1 + (nuint)stride;
            var r3 = r2 + (nuint)stride;
            for (var k0 = 0; k0 == 0 || k0 < q; k0 += Block)
            {
                var kEnd = Math.Min(q, k0 + Block);
                for (var j = 0; j < vectorEnd; j += count)
                {
                    var at = (nuint)j;
                    var y0 = TWidth.Subtract(TWidth.Multiply(Widened<TVector, TIn>(ref zRef, r0 + at), f), s0);
                    var y1 = TWidth.Subtract(TWidth.Multiply(Widened<TVector, TIn>(ref zRef, r1 + at), f), s1);
                    var y2 = TWidth.Subtract(TWidth.Multiply(Widened<TVector, TIn>(ref zRef, r2 + at), f), s2);
                    var y3 = TWidth.Subtract(TWidth.Multiply(Widened<TVector, TIn>(ref zRef, r3 + at), f), s3);
                    if (TMissing.AsZero)
                    {
                        y0 = TWidth.ZeroNaN(y0);
                        y1 = TWidth.ZeroNaN(y1);
                        y2 = TWidth.ZeroNaN(y2);
                        y3 = TWidth.ZeroNaN(y3);
                    }

                    for (var k = k0; k < kEnd; k++)
                    {
                        var index = (nuint)(k * width) + at;
                        var a = TWidth.Load(ref accRef, index);
                        a = TWidth.Add(a, TWidth.Multiply(y0, TWidth.Create(c[k])));
                        a = TWidth.Add(a, TWidth.Multiply(y1, TWidth.Create(c[cs + k])));
                        a = TWidth.Add(a, TWidth.Multiply(y2, TWidth.Create(c[(2 * cs) + k])));
                        a = TWidth.Add(a, TWidth.Multiply(y3, TWidth.Create(c[(3 * cs) + k])));
                        TWidth.Store(a, ref accRef, index);
                    }

                    if (withSquares && k0 == 0)
                    {
                        var sq = TWidth.Load(ref sqRef, at);
                        sq = TWidth.Add(sq, TWidth.Multiply(y0, y0));
                        sq = TWidth.Add(sq, TWidth.Multiply(y1, y1));
                        sq = TWidth.Add(sq, TWidth.Multiply(y2, y2));
                        sq = TWidth.Add(sq, TWidth.Multiply(y3, y3));
                        TWidth.Store(sq, ref sqRef, at);
                    }
                }
            }
        }

        for (; t < rows; t++)
        {
            var s = TWidth.Create(shifts.Length == 0 ? 0 : shifts[t]);
            var c = coefficients.Slice(t * cs, q);
            var r = (nuint)(t * stride);
            for (var k0 = 0; k0 == 0 || k0 < q; k0 += Block)
            {
                var kEnd = Math.Min(q, k0 + Block);
                for (var j = 0; j < vectorEnd; j += count)
                {
                    var at = (nuint)j;
                    var y = TWidth.Subtract(TWidth.Multiply(Widened<TVector, TIn>(ref zRef, r + at), f), s);
                    if (TMissing.AsZero)
                    {
                        y = TWidth.ZeroNaN(y);
                    }

                    for (var k = k0; k < kEnd; k++)
                    {
                        var index = (nuint)(k * width) + at;
                        TWidth.Store(TWidth.Add(TWidth.Load(ref accRef, index), TWidth.Multiply(y, TWidth.Create(c[k]))), ref accRef, index);
                    }

                    if (withSquares && k0 == 0)
                    {
                        TWidth.Store(TWidth.Add(TWidth.Load(ref sqRef, at), TWidth.Multiply(y, y)), ref sqRef, at);
                    }
                }
            }
        }

        return vectorEnd;
    }

    /// <summary>Loads one vector of <typeparamref name="TIn"/> (float or double) values at <paramref name="at"/> + <paramref name="index"/>,
    /// widened to double (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector Widened<TVector, TIn>(ref TIn at, nuint index)
        where TVector : struct
        where TIn : unmanaged
    {
        if (typeof(TIn) == typeof(double))
        {
            if (typeof(TVector) == typeof(Vector512<double>))
            {
                var d = Vector512.LoadUnsafe(ref Unsafe.As<TIn, double>(ref at), index);
                return Unsafe.As<Vector512<double>, TVector>(ref d);
            }

            if (typeof(TVector) == typeof(Vector256<double>))
            {
                var d = Vector256.LoadUnsafe(ref Unsafe.As<TIn, double>(ref at), index);
                return Unsafe.As<Vector256<double>, TVector>(ref d);
            }

            var e = Vector128.LoadUnsafe(ref Unsafe.As<TIn, double>(ref at), index);
            return Unsafe.As<Vector128<double>, TVector>(ref e);
        }

        ref var source = ref Unsafe.As<TIn, float>(ref at);
        if (typeof(TVector) == typeof(Vector512<double>))
        {
            var v = Vector512.WidenLower(Vector256.LoadUnsafe(ref source, index).ToVector512Unsafe());
            return Unsafe.As<Vector512<double>, TVector>(ref v);
        }

        if (typeof(TVector) == typeof(Vector256<double>))
        {
            var v = Vector256.WidenLower(Vector128.LoadUnsafe(ref source, index).ToVector256Unsafe());
            return Unsafe.As<Vector256<double>, TVector>(ref v);
        }

        var w = Vector128.WidenLower(Vector64.LoadUnsafe(ref source, index).ToVector128Unsafe());
        return Unsafe.As<Vector128<double>, TVector>(ref w);
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: the similarity-weighted mean and spread of k neighbour rows' residuals over a range of examples (the
/// KNN-baseline's cell estimate when its neighbours observed every example; the mean optionally with other weights). Chunk by chunk of examples, a few neighbours
/// per pass, each example's running sums in registers within a pass.
/// </summary>
/// <remarks>One body, generic over the vector width, runs at 512, 256 and 128 bits and a scalar loop takes the last
/// examples; every lane evaluates the scalar expression operation by operation, without fused multiply-adds (widening a
/// float is exact), so every width gives the same bits as <see cref="Reference"/>.</remarks>
internal static class NeighbourKernel
{
    // Neighbours per pass over a chunk of examples: few enough concurrent row streams for the hardware prefetchers (all 40
    // at once ran 2-3x slower when the rows came from memory), and the running sums of a 512-example chunk stay in the
    // first-level cache between passes.
    private const int Group = 8;
    private const int Chunk = 512;

    /// <summary>
    /// For each t &lt; mean.Length and j = start + t, with r_i = ((double)values[rows[i] * stride + j] - (offset[t] + shift)) - bias[i]:
    /// m = sum_i r_i w_i, s = sum_i (r_i r_i) w_i and p = sum_i r_i v_i, each accumulated from 0 in neighbour order as
    /// (term) + sum, where v is <paramref name="meanWeights"/> (or w when it is empty, so p = m); then mean[t] = mean[t] + p and,
    /// when <paramref name="std"/> is not empty, std[t] = sqrt(max(s - m m, 0)).
    /// </summary>
    /// <param name="values">The neighbours' matrix, row-major with <paramref name="stride"/> values a row, without missing cells in the range.</param>
    /// <param name="stride">Values a row.</param>
    /// <param name="rows">The neighbours' rows, in order.</param>
    /// <param name="bias">Each neighbour's offset subtracted after <paramref name="offset"/> (its task bias).</param>
    /// <param name="weights">Each neighbour's weight (its normalised similarity).</param>
    /// <param name="offset">The per-example offset of the range (the example biases b_j).</param>
    /// <param name="shift">Added to every offset (the global mean mu).</param>
    /// <param name="start">First example of the range.</param>
    /// <param name="mean">The range's predictions, to which the weighted mean residual is added.</param>
    /// <param name="std">The weighted spread of the residuals, written; or empty.</param>
    /// <param name="meanWeights">Other weights for the mean (a knn fold-in's interpolation weights), one per neighbour; or empty
    /// for <paramref name="weights"/>. The spread always uses <paramref name="weights"/>.</param>
    /// <exception cref="ArgumentException">The spans disagree in length or the range leaves a row.</exception>
    public static void Accumulate(ReadOnlySpan<float> values, int stride, ReadOnlySpan<int> rows, ReadOnlySpan<double> bias, ReadOnlySpan<double> weights,
        ReadOnlySpan<double> offset, double shift, int start, Span<double> mean, Span<double> std, ReadOnlySpan<double> meanWeights = default)
    {
        Check(values, stride, rows, bias, weights, offset, start, mean, std);
        CheckMeanWeights(rows, meanWeights);
        var k = rows.Length;
        var v = meanWeights.IsEmpty ? weights : meanWeights;
        Span<double> sumBuffer = stackalloc double[Chunk];
        Span<double> squareBuffer = stackalloc double[Chunk];
        Span<double> meanBuffer = stackalloc double[Chunk];
        for (var c = 0; c < mean.Length; c += Chunk)
        {
            var length = Math.Min(Chunk, mean.Length - c);
            var sums = new Sums(sumBuffer[..length], squareBuffer[..length], meanBuffer[..length]);
            for (var g = 0; g < k || g == 0; g += Group)
            {
                var size = Math.Min(Group, k - g);
                var pass = new Pass(rows.Slice(g, size), bias.Slice(g, size), weights.Slice(g, size), v.Slice(g, size), !meanWeights.IsEmpty, g == 0, g + size >= k);
                var o = offset.Slice(c, length);
                var m = mean.Slice(c, length);
                var sd = std.IsEmpty ? default : std.Slice(c, length);
                var t = Body<Width512<double>, Vector512<double>, Widening512>(values, stride, pass, o, shift, start + c, m, sd, sums, 0);
                t = Body<Width256<double>, Vector256<double>, Widening256>(values, stride, pass, o, shift, start + c, m, sd, sums, t);
                t = Body<Width128<double>, Vector128<double>, Widening128>(values, stride, pass, o, shift, start + c, m, sd, sums, t);
                Scalar(values, stride, pass, o, shift, start + c, m, sd, sums, t);
            }
        }
    }

    private readonly ref struct Pass(ReadOnlySpan<int> rows, ReadOnlySpan<double> bias, ReadOnlySpan<double> weights, ReadOnlySpan<double> meanWeights, bool separate, bool initial, bool final)
    {
        public ReadOnlySpan<int> Rows { get; } = rows;

        public ReadOnlySpan<double> Bias { get; } = bias;

        public ReadOnlySpan<double> Weights { get; } = weights;

        public ReadOnlySpan<double> MeanWeights { get; } = meanWeights;

        // The mean has weights of its own (else it is the spread's m, and p is neither accumulated nor stored: plain knn pays nothing).
        public bool Separate { get; } = separate;

        public bool Initial { get; } = initial;

        public bool Final { get; } = final;
    }

    private readonly ref struct Sums(Span<double> sum, Span<double> square, Span<double> mean)
    {
        public Span<double> Sum { get; } = sum;

        public Span<double> Square { get; } = square;

        public Span<double> Mean { get; } = mean;
    }

    /// <summary>The same results as <see cref="Accumulate"/> from the scalar loop alone (the reference the vector bodies are tested against).</summary>
    public static void Reference(ReadOnlySpan<float> values, int stride, ReadOnlySpan<int> rows, ReadOnlySpan<double> bias, ReadOnlySpan<double> weights,
        ReadOnlySpan<double> offset, double shift, int start, Span<double> mean, Span<double> std, ReadOnlySpan<double> meanWeights = default)
    {
        Check(values, stride, rows, bias, weights, offset, start, mean, std);
        CheckMeanWeights(rows, meanWeights);
        Scalar(values, stride, new Pass(rows, bias, weights, meanWeights.IsEmpty ? weights : meanWeights, !meanWeights.IsEmpty, true, true), offset, shift, start, mean, std, default, 0);
    }

    /// <summary>
    /// <see cref="Accumulate"/> for the examples <paramref name="examples"/> (any, in any order) instead of a range: mean[t] and
    /// std[t] for j = examples[t], with the offset <paramref name="offsets"/>[j] (a whole row of offsets), each bit-identical to
    /// Accumulate's value for example j (the scalar loop, over every neighbour in one pass).
    /// </summary>
    /// <exception cref="ArgumentException">The spans disagree in length, or an example is outside the rows.</exception>
    public static void AccumulateCells(ReadOnlySpan<float> values, int stride, ReadOnlySpan<int> rows, ReadOnlySpan<double> bias, ReadOnlySpan<double> weights,
        ReadOnlySpan<double> offsets, double shift, ReadOnlySpan<int> examples, Span<double> mean, Span<double> std, ReadOnlySpan<double> meanWeights = default)
    {
        CheckMeanWeights(rows, meanWeights);
        if (!RowsInside(values, stride, rows) || bias.Length != rows.Length || weights.Length != rows.Length || offsets.Length != stride
            || mean.Length != examples.Length || (std.Length != 0 && std.Length != mean.Length))
        {
            throw new ArgumentException("Neighbour kernel spans have inconsistent sizes.", nameof(examples));
        }

        var pass = new Pass(rows, bias, weights, meanWeights.IsEmpty ? weights : meanWeights, !meanWeights.IsEmpty, true, true);
        for (var t = 0; t < examples.Length; t++)
        {
            var j = examples[t];
            if ((uint)j >= (uint)stride)
            {
                throw new ArgumentException("Neighbour kernel example outside the rows.", nameof(examples));
            }

            Scalar(values, stride, pass, offsets.Slice(j, 1), shift, j, mean.Slice(t, 1), std.IsEmpty ? default : std.Slice(t, 1), default, 0);
        }
    }

    private static void CheckMeanWeights(ReadOnlySpan<int> rows, ReadOnlySpan<double> meanWeights)
    {
        if (!meanWeights.IsEmpty && meanWeights.Length != rows.Length)
        {
            throw new ArgumentException("Neighbour kernel mean weights must be one per neighbour.", nameof(meanWeights));
        }
    }

    private static void Check(ReadOnlySpan<float> values, int stride, ReadOnlySpan<int> rows, ReadOnlySpan<double> bias, ReadOnlySpan<double> weights,
        ReadOnlySpan<double> offset, int start, Span<double> mean, Span<double> std)
    {
        var inside = start >= 0 && start + mean.Length <= stride && RowsInside(values, stride, rows);
        if (!inside || bias.Length != rows.Length || weights.Length != rows.Length || offset.Length != mean.Length || (std.Length != 0 && std.Length != mean.Length))
        {
            throw new ArgumentException("Neighbour kernel spans have inconsistent sizes.", nameof(rows));
        }
    }

    // True when every neighbour row lies inside the matrix.
    private static bool RowsInside(ReadOnlySpan<float> values, int stride, ReadOnlySpan<int> rows)
    {
        foreach (var row in rows)
        {
            if (row < 0 || ((long)row + 1) * stride > values.Length)
            {
                return false;
            }
        }

        return true;
    }

    private static void Scalar(ReadOnlySpan<float> values, int stride, Pass pass, ReadOnlySpan<double> offset, double shift, int start, Span<double> mean, Span<double> std, Sums sums, int t)
    {
        for (; t < mean.Length; t++)
        {
            var j = start + t;
            var o = offset[t] + shift;
            double m = pass.Initial ? 0 : sums.Sum[t], s = pass.Initial ? 0 : sums.Square[t], p = pass.Initial || !pass.Separate ? 0 : sums.Mean[t];
            for (var i = 0; i < pass.Rows.Length; i++)
            {
                var r = ((double)values[(int)(((long)pass.Rows[i] * stride) + j)] - o) - pass.Bias[i];
                m = (r * pass.Weights[i]) + m;
                s = ((r * r) * pass.Weights[i]) + s;
                if (pass.Separate)
                {
                    p = (r * pass.MeanWeights[i]) + p;
                }
            }

            if (!pass.Final)
            {
                sums.Sum[t] = m;
                sums.Square[t] = s;
                if (pass.Separate)
                {
                    sums.Mean[t] = p;
                }

                continue;
            }

            mean[t] += pass.Separate ? p : m;
            if (std.Length != 0)
            {
                std[t] = Math.Sqrt(Math.Max(s - (m * m), 0));
            }
        }
    }

    // Two vectors of examples (one widened load per neighbour) from t on, at one width; returns the first example not processed.
    private static int Body<TWidth, TVector, TWiden>(ReadOnlySpan<float> values, int stride, Pass pass, ReadOnlySpan<double> offset, double shift, int start,
        Span<double> mean, Span<double> std, Sums sums, int t)
        where TWidth : IVectorWidth<TVector, double>
        where TVector : unmanaged
        where TWiden : IWidening<TVector>
    {
        if (!TWidth.IsHardwareAccelerated)
        {
            return t;
        }

        var count = TWidth.Count;
        var rows = pass.Rows;
        var bias = pass.Bias;
        var weights = pass.Weights;
        var meanWeights = pass.MeanWeights;
        var separate = pass.Separate;
        var k = rows.Length;
        var withStd = std.Length != 0;
        ref var a0 = ref MemoryMarshal.GetReference(sums.Sum);
        ref var q0 = ref MemoryMarshal.GetReference(sums.Square);
        ref var p0 = ref MemoryMarshal.GetReference(sums.Mean);
        ref var z0 = ref MemoryMarshal.GetReference(values);
        ref var o0 = ref MemoryMarshal.GetReference(offset);
        ref var m0 = ref MemoryMarshal.GetReference(mean);
        ref var s0 = ref MemoryMarshal.GetReference(std);
        var zero = TWidth.Create(0);
        var shiftVector = TWidth.Create(shift);
        for (; t <= mean.Length - (2 * count); t += 2 * count)
        {
            var u = (nuint)t;
            var oLow = TWidth.Add(TWidth.Load(ref o0, u), shiftVector);
            var oHigh = TWidth.Add(TWidth.Load(ref o0, u + (nuint)count), shiftVector);
            TVector mLow = zero, mHigh = zero, sLow = zero, sHigh = zero, pLow = zero, pHigh = zero;
            if (!pass.Initial)
            {
                mLow = TWidth.Load(ref a0, u);
                mHigh = TWidth.Load(ref a0, u + (nuint)count);
                sLow = TWidth.Load(ref q0, u);
                sHigh = TWidth.Load(ref q0, u + (nuint)count);
                if (separate)
                {
                    pLow = TWidth.Load(ref p0, u);
                    pHigh = TWidth.Load(ref p0, u + (nuint)count);
                }
            }
            for (var i = 0; i < k; i++)
            {
                var (low, high) = TWiden.LoadWidened(ref z0, (nuint)(((long)rows[i] * stride) + start + t));
                var b = TWidth.Create(bias[i]);
                var w = TWidth.Create(weights[i]);
                var rLow = TWidth.Subtract(TWidth.Subtract(low, oLow), b);
                var rHigh = TWidth.Subtract(TWidth.Subtract(high, oHigh), b);
                mLow = TWidth.Add(TWidth.Multiply(rLow, w), mLow);
                mHigh = TWidth.Add(TWidth.Multiply(rHigh, w), mHigh);
                sLow = TWidth.Add(TWidth.Multiply(TWidth.Multiply(rLow, rLow), w), sLow);
                sHigh = TWidth.Add(TWidth.Multiply(TWidth.Multiply(rHigh, rHigh), w), sHigh);
                if (separate)
                {
                    var v = TWidth.Create(meanWeights[i]);
                    pLow = TWidth.Add(TWidth.Multiply(rLow, v), pLow);
                    pHigh = TWidth.Add(TWidth.Multiply(rHigh, v), pHigh);
                }
            }

            if (!pass.Final)
            {
                TWidth.Store(mLow, ref a0, u);
                TWidth.Store(mHigh, ref a0, u + (nuint)count);
                TWidth.Store(sLow, ref q0, u);
                TWidth.Store(sHigh, ref q0, u + (nuint)count);
                if (separate)
                {
                    TWidth.Store(pLow, ref p0, u);
                    TWidth.Store(pHigh, ref p0, u + (nuint)count);
                }

                continue;
            }

            TWidth.Store(TWidth.Add(TWidth.Load(ref m0, u), separate ? pLow : mLow), ref m0, u);
            TWidth.Store(TWidth.Add(TWidth.Load(ref m0, u + (nuint)count), separate ? pHigh : mHigh), ref m0, u + (nuint)count);
            if (withStd)
            {
                TWidth.Store(TWidth.Sqrt(TWidth.Max(TWidth.Subtract(sLow, TWidth.Multiply(mLow, mLow)), zero)), ref s0, u);
                TWidth.Store(TWidth.Sqrt(TWidth.Max(TWidth.Subtract(sHigh, TWidth.Multiply(mHigh, mHigh)), zero)), ref s0, u + (nuint)count);
            }
        }

        return t;
    }
}

using System.Numerics.Tensors;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Features;

/// <summary>
/// The examples' encoded features (the views concatenated, each scaled by <see cref="FeatureView.BalancedScales"/>), read in
/// chunks of rows (never all N x d at once) over a fixed partition of the examples, each partition summed in order and the
/// partitions added in order: the same sums for any thread count.
/// </summary>
internal sealed class ChunkedRows(FeatureView[] views, IReadOnlyList<FeatureBlock> blocks, int count, int maxThreads = -1)
{
    private const int Chunk = 64;

    private readonly double[] _scales = FeatureView.BalancedScales(views);

    private readonly int _width = views.Sum(v => v.EncodedWidth);

    private readonly int _partitions = Math.Clamp(count / 4096, 1, 4);

    /// <summary>The mean encoded row (d).</summary>
    public double[] Mean()
    {
        var sums = Partitioned(_width, 0, (_, chunk, rows, sum, _) =>
        {
            for (var r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(sum, chunk.Slice(r * _width, _width), sum);
            }
        }, mean: null);
        TensorPrimitives.Divide(sums, count, sums);
        return sums;
    }

    /// <summary>
    /// The Gram matrix of the centred rows, (X - 1 mu^T)^T (X - 1 mu^T) (d x d), and (X - 1 mu^T)^T (y_k - mean_k) for each of
    /// the q target rows (q x d).
    /// </summary>
    public (double[] Gram, double[] Xty) CentredGram(double[] mu, double[] targets, double[] targetMeans, int q)
    {
        var size = _width * _width;
        var sums = Partitioned(size + (q * _width), Chunk * q, (start, chunk, rows, sum, scratch) =>
        {
            ColumnAccumulation.Accumulate(chunk, _width, rows, chunk, _width, _width, sum[..size], _width);
            var centred = scratch[..(rows * q)];
            for (var r = 0; r < rows; r++)
            {
                for (var k = 0; k < q; k++)
                {
                    centred[(r * q) + k] = targets[(k * count) + start + r] - targetMeans[k];
                }
            }

            ColumnAccumulation.Accumulate(chunk, _width, rows, centred, q, q, sum[size..], _width);
        }, mu);
        return (sums[..size], sums[size..]);
    }

    /// <summary>
    /// Per target row k and strength l (q x L) the sum over examples of the squared leave-one-out residual of the ridge with an
    /// unpenalised intercept, (y_kj - yhat_kj) / (1 - h_j), from the centred Gram matrix's eigenvectors (columns of
    /// <paramref name="basis"/>), its eigenvalues and t_k = Q^T X^T y_k.
    /// </summary>
    public double[] LeaveOneOutErrors(double[] mu, double[] basis, double[] values, double[] t, double[] targets, double[] targetMeans, int q, double[] lambdas)
    {
        var strengths = lambdas.Length;
        var inverse = new double[strengths * _width];            // 1 / (L_a + lambda_l)
        var shrunk = new double[strengths * q * _width];         // t_ka / (L_a + lambda_l)
        for (var l = 0; l < strengths; l++)
        {
            for (var a = 0; a < _width; a++)
            {
                inverse[(l * _width) + a] = 1 / (values[a] + lambdas[l]);
                for (var k = 0; k < q; k++)
                {
                    shrunk[(((l * q) + k) * _width) + a] = t[(k * _width) + a] * inverse[(l * _width) + a];
                }
            }
        }

        return Partitioned(q * strengths, (2 * Chunk * _width) + _width, (start, chunk, rows, sum, scratch) =>
        {
            // Scores s_j = Q^T x_j of the chunk's rows: rows x d.
            var scores = ChunkScores(chunk, rows, basis, _width, scratch);
            var squares = scratch.Slice(2 * _width * Chunk, _width);
            for (var r = 0; r < rows; r++)
            {
                var s = scores.Slice(r * _width, _width);
                TensorPrimitives.Multiply<double>(s, s, squares);
                for (var l = 0; l < strengths; l++)
                {
                    var leverage = Math.Min((1.0 / count) + TensorPrimitives.Dot<double>(squares, inverse.AsSpan(l * _width, _width)), 1 - 1e-9);
                    for (var k = 0; k < q; k++)
                    {
                        var fitted = targetMeans[k] + TensorPrimitives.Dot<double>(s, shrunk.AsSpan(((l * q) + k) * _width, _width));
                        var e = (targets[(k * count) + start + r] - fitted) / (1 - leverage);
                        sum[(k * strengths) + l] += e * e;
                    }
                }
            }
        }, mu);
    }

    /// <summary>
    /// The first <paramref name="components"/> coordinates of every row on the columns of <paramref name="vectors"/> (d x d,
    /// row-major, e.g. eigenvectors), rows centred on <paramref name="mean"/> when given: components x N, component c's scores
    /// in row c.
    /// </summary>
    public double[] Scores(double[] vectors, int components, double[]? mean)
    {
        var result = new double[components * count];
        Partitioned(0, (_width * Chunk) + (Chunk * components), (start, chunk, rows, _, scratch) =>
        {
            var scores = ChunkScores(chunk, rows, vectors, components, scratch);
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < components; c++)
                {
                    result[(c * count) + start + r] = scores[(r * components) + c];
                }
            }
        }, mean);
        return result;
    }

    // The chunk's rows' coordinates on the first `components` columns of `vectors` (rows x components), in scratch after a
    // transposed copy of the chunk (width x Chunk), so scratch holds (width + components) x Chunk values.
    private Span<double> ChunkScores(ReadOnlySpan<double> chunk, int rows, double[] vectors, int components, Span<double> scratch)
    {
        var transposed = scratch[..(_width * Chunk)];
        for (var r = 0; r < rows; r++)
        {
            for (var b = 0; b < _width; b++)
            {
                transposed[(b * Chunk) + r] = chunk[(r * _width) + b];
            }
        }

        var scores = scratch.Slice(_width * Chunk, rows * components);
        scores.Clear();
        ColumnAccumulation.Accumulate(vectors, _width, _width, transposed, Chunk, rows, scores, components);
        return scores;
    }

    // Sums `add(start, chunk, rows, sum, scratch)` over every chunk of rows (encoded; centred on mean when given) into a vector of
    // the given length: each partition in row order, then the partitions in order. Each partition has its own scratch space.
    private double[] Partitioned(int length, int scratchLength, ChunkSum add, double[]? mean)
    {
        var sums = new double[_partitions][];
        Parallel.For(0, _partitions, Parallelism.Options(maxThreads), p =>
        {
            var sum = sums[p] = new double[length];
            var chunk = new double[Chunk * _width];
            var scratch = new double[scratchLength];
            int first = (int)((long)count * p / _partitions), end = (int)((long)count * (p + 1) / _partitions);
            for (var start = first; start < end; start += Chunk)
            {
                var rows = Math.Min(Chunk, end - start);
                for (var r = 0; r < rows; r++)
                {
                    var row = chunk.AsSpan(r * _width, _width);
                    FeatureView.EncodeConcatenated(views, blocks, start + r, _scales, row);
                    if (mean is not null)
                    {
                        TensorPrimitives.Subtract(row, mean, row);
                    }
                }

                add(start, chunk.AsSpan(0, rows * _width), rows, sum, scratch);
            }
        });

        var total = sums[0];
        for (var p = 1; p < _partitions; p++)
        {
            TensorPrimitives.Add(total, sums[p], total);
        }

        return total;
    }

    private delegate void ChunkSum(int start, ReadOnlySpan<double> chunk, int rows, Span<double> sum, Span<double> scratch);
}

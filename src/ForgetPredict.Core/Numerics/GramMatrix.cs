using System.Numerics.Tensors;

namespace ForgetPredict.Core.Numerics;

/// <summary>Fills <paramref name="destination"/> with row <paramref name="row"/>'s values for columns start .. start + length (missing cells as 0).</summary>
internal delegate void RowBlock(int row, int start, Span<double> destination);

/// <summary>
/// Gram matrices of a forgetting matrix's smaller side in double precision, summed over fixed partitions in a fixed
/// order: deterministic for any thread count. Used by the spectrum analysis, the KNN similarities and the residual
/// structure.
/// </summary>
public static class GramMatrix
{
    /// <summary>Columns per block of <see cref="Wide"/>.</summary>
    internal const int Chunk = 512;

    private const int Partitions = 16;

    /// <summary>
    /// The Gram matrix of the smaller side in double precision: Z Z^T (M x M) when M &lt;= N, else Z^T Z (N x N).
    /// Missing cells count as 0.
    /// </summary>
    public static double[] Of(ForgettingMatrix matrix, int maxThreads = -1) => Of(matrix, default, default, maxThreads);

    /// <summary>
    /// The Gram matrix of the shifted values y[i, j] = z[i, j] - rowShift[i] - columnShift[j] (missing cells count as 0), of
    /// the smaller side. Empty shift spans mean zeros. Deterministic for any thread count.
    /// </summary>
    internal static double[] Of(ForgettingMatrix matrix, ReadOnlySpan<double> rowShift, ReadOnlySpan<double> columnShift, int maxThreads)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var rowShifts = rowShift.ToArray();
        var columnShifts = columnShift.ToArray();
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var rowsSmall = m <= n;
        var size = rowsSmall ? m : n;
        var parallel = Parallelism.Options(maxThreads);
        if (!rowsSmall)
        {
            // N < M: accumulate Z^T Z row by row (each row is an outer product), partitioned over rows.
            var partsT = Math.Min(Partitions, m);
            var partialT = new double[partsT][];
            Parallel.For(0, partsT, parallel, part =>
            {
                var g = new double[size * size];
                var row = new double[n];
                for (var i = (int)((long)part * m / partsT); i < (int)((long)(part + 1) * m / partsT); i++)
                {
                    Residuals.Masked(matrix.Row(i), columnShifts, rowShifts.Length == 0 ? 0 : rowShifts[i], row);
                    for (var a = 0; a < n; a++)
                    {
                        if (row[a] != 0)
                        {
                            TensorPrimitives.MultiplyAdd(row.AsSpan(0, a + 1), row[a], g.AsSpan(a * n, a + 1), g.AsSpan(a * n, a + 1));
                        }
                    }
                }

                partialT[part] = g;
            });
            return Reduce(partialT, size);
        }

        return Wide(m, n, ShiftedRows(matrix, rowShifts, columnShifts), maxThreads);
    }

    // The matrix's rows block by block as y[i, j] = z[i, j] - rowShifts[i] - columnShifts[j], missing cells as 0 (empty shifts: zeros).
    private static RowBlock ShiftedRows(ForgettingMatrix matrix, double[] rowShifts, double[] columnShifts) => (i, start, destination) =>
        Residuals.Masked(matrix.Row(i).Slice(start, destination.Length), columnShifts.Length == 0 ? default : columnShifts.AsSpan(start, destination.Length), rowShifts.Length == 0 ? 0 : rowShifts[i], destination);

    /// <summary>
    /// The M x M Gram matrix of the shifted rows y[i, j] = z[i, j] - rowShift[i] - columnShift[j] (missing cells count as 0)
    /// whatever the shape: when M &lt;= N, <see cref="Of(ForgettingMatrix, ReadOnlySpan{double}, ReadOnlySpan{double}, int)"/>'s
    /// partitioned pass (bit for bit while its partitions' copies of the M x M triangle stay within
    /// <see cref="PartitionBytes"/>; fewer partitions beyond); when M &gt; N (more tasks than examples) see <see cref="Tall"/>.
    /// Deterministic for any thread count; stops between column blocks when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    internal static double[] Rows(ForgettingMatrix matrix, ReadOnlySpan<double> rowShift, ReadOnlySpan<double> columnShift, int maxThreads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int m = matrix.TaskCount, n = matrix.ExampleCount;
        var rows = ShiftedRows(matrix, rowShift.ToArray(), columnShift.ToArray());
        if (m > n)
        {
            return Tall(m, n, rows, maxThreads, cancellationToken);
        }

        var triangle = (long)m * (m + 1) / 2 * sizeof(double);
        var partitions = (int)Math.Clamp(PartitionBytes / Math.Max(triangle, 1), 1, Partitions);
        return Wide(m, n, rows, maxThreads, Chunk, partitions, cancellationToken);
    }

    /// <summary>The memory <see cref="Rows"/> lets the partitions' copies of the M x M triangle take together (256 MB): 16
    /// partitions up to about 2,000 tasks, fewer beyond.</summary>
    internal const long PartitionBytes = 256L << 20;

    /// <summary>
    /// The M x M Gram matrix of rows produced block by block, for many rows: the column blocks are summed one after another
    /// into a single packed triangle, and the workers share each block by tiles of rows (each entry is written by one tile, so
    /// the sums never depend on the thread count). Unlike <see cref="Wide"/> it keeps no per-partition copy of the M x M
    /// triangle; the block holds at most <see cref="TallBlockCells"/> values, so its width shrinks as M grows.
    /// </summary>
    internal static double[] Tall(int m, int n, RowBlock rows, int maxThreads, CancellationToken cancellationToken = default)
    {
        var parallel = Parallelism.Options(maxThreads, cancellationToken);
        var chunk = (int)Math.Clamp(TallBlockCells / Math.Max(m, 1), 8, Chunk);
        var block = new double[(long)m * Math.Min(chunk, Math.Max(n, 1))];
        var g = new double[(long)m * (m + 1) / 2];
        var tiles = GramKernel.TileRows(m);
        // Tile rows hold a0 + 1 tiles each: deal them in ranges of about equal work (ranges fixed by the shape alone).
        var ranges = Math.Min(tiles, 64);
        var bounds = new int[ranges + 1];
        for (var r = 1; r <= ranges; r++)
        {
            bounds[r] = (int)Math.Round(tiles * Math.Sqrt((double)r / ranges));
        }

        for (var start = 0; start < n; start += chunk)
        {
            var width = Math.Min(chunk, n - start);
            Parallel.For(0, m, parallel, i => rows(i, start, block.AsSpan(i * width, width)));
            Parallel.For(0, ranges, parallel, r => GramKernel.AddProducts(block.AsSpan(0, m * width), m, width, g, bounds[r], bounds[r + 1]));
        }

        return Unpack(g, m);
    }

    // The full M x M matrix of a packed lower triangle (row by row).
    private static double[] Unpack(double[] packed, int m)
    {
        var gram = new double[(long)m * m];
        for (var a = 0; a < m; a++)
        {
            for (var b = 0; b <= a; b++)
            {
                gram[((long)a * m) + b] = gram[((long)b * m) + a] = packed[((long)a * (a + 1) / 2) + b];
            }
        }

        return gram;
    }

    /// <summary>The most values <see cref="Tall"/>'s column block holds (8 MB of doubles).</summary>
    internal const long TallBlockCells = 1 << 20;

    /// <summary>
    /// The M x M Gram matrix sum_j y[a, j] y[b, j] of rows produced block by block by <paramref name="rows"/> (M &lt;= N), in
    /// double precision over fixed column partitions summed in a fixed order: deterministic for any thread count. Each
    /// partition keeps its own packed M x M sum until the end, so <paramref name="partitions"/> trades memory (partitions x
    /// M (M + 1) / 2 doubles) for the number of workers that can share the pass.
    /// </summary>
    internal static double[] Wide(int m, int n, RowBlock rows, int maxThreads, int chunk = Chunk, int partitions = Partitions, CancellationToken cancellationToken = default)
    {
        var parallel = Parallelism.Options(maxThreads, cancellationToken);
        var chunks = (n + chunk - 1) / chunk;
        var parts = Math.Max(1, Math.Min(partitions, chunks));
        var partial = new double[parts][];
        // One block buffer per worker, partitions dealt to workers round-robin; each partition's sum is its own, so the
        // reduction order never depends on scheduling.
        var workers = Math.Min(parts, parallel.MaxDegreeOfParallelism);
        Parallel.For(0, workers, parallel, worker =>
        {
            var block = new double[m * chunk];
            for (var part = worker; part < parts; part += workers)
            {
                var g = new double[m * (m + 1) / 2];     // lower triangle, packed row by row
                for (var c = (int)((long)part * chunks / parts); c < (int)((long)(part + 1) * chunks / parts); c++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var start = c * chunk;
                    var width = Math.Min(chunk, n - start);
                    for (var i = 0; i < m; i++)
                    {
                        rows(i, start, block.AsSpan(i * width, width));
                    }

                    GramKernel.AddProducts(block, m, width, g);
                }

                partial[part] = g;
            }
        });

        var sum = new double[m * (m + 1) / 2];
        foreach (var g in partial)
        {
            TensorPrimitives.Add(sum, g, sum);
        }

        return Unpack(sum, m);
    }

    private static double[] Reduce(double[][] partial, int size)
    {
        var gram = new double[size * size];
        foreach (var g in partial)
        {
            TensorPrimitives.Add(gram, g, gram);
        }

        for (var a = 0; a < size; a++)
        {
            for (var b = 0; b < a; b++)
            {
                gram[(b * size) + a] = gram[(a * size) + b];
            }
        }

        return gram;
    }
}

using System.Globalization;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core;

// Design note: the values live in one row-major float[] because that is what .npy/CSV/Parquet readers
// produce and what the solvers stream through. A matrix never copies itself; ForgettingMatrix.Wrap takes
// ownership of a reader's buffer so a 4 GB matrix exists once in memory.

/// <summary>
/// An observed forgetting matrix Z: <see cref="TaskCount"/> tasks (rows, one fine-tune each) by
/// <see cref="ExampleCount"/> upstream examples (columns). <c>Z[i, j]</c> is the loss increase of example j
/// after fine-tuning on task i, as float32; NaN marks a missing cell.
/// </summary>
/// <remarks>
/// <para>Memory layout (row-major, one contiguous array):</para>
/// <code>
///            example 0   example 1   ...  example N-1
///  task 0  [ Z[0]        Z[1]        ...  Z[N-1]      ]   Row(0) = values[0 .. N)
///  task 1  [ Z[N]        Z[N+1]      ...  Z[2N-1]     ]   Row(1) = values[N .. 2N)
///  ...                                                    Column(j) = stride-N view starting at j
/// </code>
/// <para>Construction rejects +-Infinity (naming the cell), repeated ids and, in ids given as strings, one whole number
/// written two ways ('3' and '3.0'). NaN is the only missing-value marker. A matrix whose observed cells are all 0 or 1 reports <see cref="IsBinary"/>.</para>
/// <threadsafety>Immutable after construction; safe for any number of concurrent readers.</threadsafety>
/// </remarks>
public sealed class ForgettingMatrix
{
    private readonly float[] _values;

    private ForgettingMatrix(float[] values, int taskCount, int exampleCount, IdList taskIds, IdList exampleIds, long missingCount, bool isBinary)
    {
        _values = values;
        TaskCount = taskCount;
        ExampleCount = exampleCount;
        TaskIds = taskIds;
        ExampleIds = exampleIds;
        MissingCount = missingCount;
        IsBinary = isBinary;
    }

    /// <summary>Number of tasks (rows, M).</summary>
    public int TaskCount { get; }

    /// <summary>Number of upstream examples (columns, N).</summary>
    public int ExampleCount { get; }

    /// <summary>Task ids, one per row; "0".."M-1" when the source carried none.</summary>
    public IdList TaskIds { get; }

    /// <summary>Example ids, one per column; "0".."N-1" when the source carried none.</summary>
    public IdList ExampleIds { get; }

    /// <summary>Number of cells, M x N.</summary>
    public long CellCount => (long)TaskCount * ExampleCount;

    /// <summary>Number of missing (NaN) cells.</summary>
    public long MissingCount { get; }

    /// <summary>Number of observed (non-NaN) cells.</summary>
    public long ObservedCount => CellCount - MissingCount;

    /// <summary>Fraction of cells that are missing, in [0, 1]; 0 for an empty matrix.</summary>
    public double MissingFraction => CellCount == 0 ? 0d : (double)MissingCount / CellCount;

    /// <summary>True when every observed cell is exactly 0 or 1 (the binary forgetting form) and at least one is observed.</summary>
    public bool IsBinary { get; }

    /// <summary>All values, row-major (see the layout in the remarks).</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>The values as memory, for parallel loops (a span cannot be captured by their bodies).</summary>
    internal ReadOnlyMemory<float> ValueMemory => _values;

    /// <summary>
    /// The typical magnitude of the matrix this one is or was cut from (by <see cref="SelectTasks"/>), once that matrix passed
    /// the refusal of cells beyond 1e9 times it (<see cref="Models.DataScale.CheckOutliers"/>); NaN when unchecked. A cut's
    /// cells are the whole's, so the fits of a cut (a cross-validation fold, an evaluation's training tasks) do not refuse
    /// again, against the cut's own typical magnitude, what the whole matrix passed.
    /// </summary>
    internal double CheckedTypical { get; private init; } = double.NaN;

    /// <summary>The same matrix, marked as having passed the outlier refusal with typical magnitude <paramref name="typical"/>.</summary>
    internal ForgettingMatrix WithCheckedTypical(double typical) =>
        new(_values, TaskCount, ExampleCount, TaskIds, ExampleIds, MissingCount, IsBinary) { CheckedTypical = typical };

    /// <summary>The value of cell (task, example); NaN when missing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public float this[int task, int example]
    {
        get
        {
            if ((uint)task >= (uint)TaskCount || (uint)example >= (uint)ExampleCount)
            {
                throw new ArgumentOutOfRangeException((uint)task >= (uint)TaskCount ? nameof(task) : nameof(example), string.Create(CultureInfo.InvariantCulture, $"Cell ({task}, {example}) is outside the {TaskCount}x{ExampleCount} matrix."));
            }

            return _values[((long)task * ExampleCount) + example];
        }
    }

    /// <summary>The row of <paramref name="task"/>: its N values, without copying.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is outside 0..M-1.</exception>
    public ReadOnlySpan<float> Row(int task)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(task, TaskCount);
        return _values.AsSpan(task * ExampleCount, ExampleCount);
    }

    /// <summary>The column of <paramref name="example"/>: a strided view of its M values, without copying.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="example"/> is outside 0..N-1.</exception>
    public ColumnView Column(int example)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(example);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(example, ExampleCount);
        return new ColumnView(_values, example, ExampleCount, TaskCount);
    }

    /// <summary>Creates a matrix from a copy of row-major <paramref name="values"/>.</summary>
    /// <param name="values">M x N values, row-major; NaN marks a missing cell.</param>
    /// <param name="taskCount">M, the number of rows.</param>
    /// <param name="exampleCount">N, the number of columns.</param>
    /// <param name="taskIds">Row ids, or null for "0".."M-1".</param>
    /// <param name="exampleIds">Column ids, or null for "0".."N-1".</param>
    /// <exception cref="ArgumentException">The shape does not match the values, a value is infinite (the message names the cell), or ids are wrong in number or repeated.</exception>
    public static ForgettingMatrix Create(ReadOnlySpan<float> values, int taskCount, int exampleCount, IEnumerable<string>? taskIds = null, IEnumerable<string>? exampleIds = null)
    {
        CheckShape(values.Length, taskCount, exampleCount);
        return Wrap(values.ToArray(), taskCount, exampleCount, taskIds, exampleIds);
    }

    /// <summary>Creates a matrix from a two-dimensional array (rows are tasks).</summary>
    /// <exception cref="ArgumentException">A value is infinite or ids are wrong (see <see cref="Create(ReadOnlySpan{float}, int, int, IEnumerable{string}?, IEnumerable{string}?)"/>).</exception>
    public static ForgettingMatrix Create(float[,] values, IEnumerable<string>? taskIds = null, IEnumerable<string>? exampleIds = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        int m = values.GetLength(0), n = values.GetLength(1);
        var flat = new float[checked(m * n)];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                flat[(i * n) + j] = values[i, j];
            }
        }

        return Wrap(flat, m, n, taskIds, exampleIds);
    }

    /// <summary>
    /// Creates a matrix that takes ownership of <paramref name="values"/> (no copy): the caller must not modify
    /// the array afterwards. This is how readers hand over large buffers.
    /// </summary>
    /// <exception cref="ArgumentException">See <see cref="Create(ReadOnlySpan{float}, int, int, IEnumerable{string}?, IEnumerable{string}?)"/>.</exception>
    public static ForgettingMatrix Wrap(float[] values, int taskCount, int exampleCount, IEnumerable<string>? taskIds = null, IEnumerable<string>? exampleIds = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckShape(values.Length, taskCount, exampleCount);
        var tasks = taskIds is null ? IdList.Implicit(taskCount) : FromStrings(taskIds, nameof(taskIds));
        var examples = exampleIds is null ? IdList.Implicit(exampleCount) : FromStrings(exampleIds, nameof(exampleIds));
        if (tasks.Count != taskCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{tasks.Count} task ids were given for {taskCount} rows; give one id per row."), nameof(taskIds));
        }

        if (examples.Count != exampleCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{examples.Count} example ids were given for {exampleCount} columns; give one id per column."), nameof(exampleIds));
        }

        var scan = ScanInParallel(values);
        if (scan.FirstInfinity >= 0)
        {
            var task = (int)(scan.FirstInfinity / Math.Max(exampleCount, 1));
            var example = (int)(scan.FirstInfinity % Math.Max(exampleCount, 1));
            throw new NonFiniteCellException(
                string.Create(CultureInfo.InvariantCulture, $"Cell (task {task} '{tasks[task]}', example {example} '{examples[example]}') is {values[scan.FirstInfinity]}; forgetting values must be finite (use NaN for a missing cell)."),
                nameof(values), task, example);
        }

        if (!scan.AllBinary && !scan.HasScale)
        {
            throw new ArgumentException(
                "Every observed value is below 1.2e-38 in magnitude (and not all are 0): single precision, in which matrices are held, keeps fewer digits of numbers that small (subnormals) and reads those below about 1.4e-45 as 0. Rescale the values (e.g. multiply by 1e30); predictions scale with the data.",
                nameof(values));
        }

        var isBinary = scan.AllBinary && scan.MissingCount < values.LongLength;
        return new ForgettingMatrix(values, taskCount, exampleCount, tasks, examples, scan.MissingCount, isBinary);
    }

    /// <summary>A new matrix holding only the given tasks' rows, in the given order (ids follow).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A task index is out of range.</exception>
    public ForgettingMatrix SelectTasks(ReadOnlySpan<int> tasks)
    {
        var values = new float[checked(tasks.Length * ExampleCount)];
        for (var r = 0; r < tasks.Length; r++)
        {
            Row(tasks[r]).CopyTo(values.AsSpan(r * ExampleCount, ExampleCount));
        }

        var cut = Wrap(values, tasks.Length, ExampleCount, TaskIds.Select(tasks), ExampleIds);
        return double.IsNaN(CheckedTypical) ? cut : cut.WithCheckedTypical(CheckedTypical);
    }

    /// <summary>Every value times <paramref name="factor"/> (computed in double, rounded to float32 once); missing cells stay missing.</summary>
    internal ForgettingMatrix Scaled(double factor)
    {
        var values = new float[_values.Length];
        for (var c = 0; c < values.Length; c++)
        {
            values[c] = (float)(_values[c] * factor);
        }

        return new ForgettingMatrix(values, TaskCount, ExampleCount, TaskIds, ExampleIds, MissingCount, IsBinary && factor == 1);
    }

    /// <summary>The same values with other ids (for joining metadata or renaming).</summary>
    /// <exception cref="ArgumentException">Ids are wrong in number or repeated.</exception>
    public ForgettingMatrix WithIds(IEnumerable<string>? taskIds, IEnumerable<string>? exampleIds) =>
        new(_values, TaskCount, ExampleCount, Ids(taskIds ?? TaskIds, TaskCount, nameof(taskIds)), Ids(exampleIds ?? ExampleIds, ExampleCount, nameof(exampleIds)), MissingCount, IsBinary);

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"ForgettingMatrix {TaskCount}x{ExampleCount}, {MissingFraction:P2} missing{(IsBinary ? ", binary" : string.Empty)}");

    // Ids given as strings (a reader's) are checked for one whole number written two ways; an IdList was checked when it was
    // read (a model file's ids are taken as saved).
    private static IdList FromStrings(IEnumerable<string> ids, string paramName)
    {
        if (ids is IdList list)
        {
            return list;
        }

        var read = IdList.From(ids);
        read.ThrowIfOneNumberTwice(paramName);
        return read;
    }

    private static IdList Ids(IEnumerable<string> ids, int count, string paramName)
    {
        var list = FromStrings(ids, paramName);
        if (list.Count != count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{list.Count} ids were given for {count} positions."), paramName);
        }

        return list;
    }

    private static void CheckShape(long length, int taskCount, int exampleCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(taskCount);
        ArgumentOutOfRangeException.ThrowIfNegative(exampleCount);
        if ((long)taskCount * exampleCount != length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Shape {taskCount}x{exampleCount} needs {(long)taskCount * exampleCount} values but {length} were given."), nameof(taskCount));
        }
    }

    // Scans fixed 1 M-value chunks (independent of the thread count) and combines them in chunk order.
    private static ValueScanResult ScanInParallel(float[] values)
    {
        const int Chunk = 1 << 20;
        var chunks = (int)((values.LongLength + Chunk - 1) / Chunk);
        if (chunks <= 1)
        {
            return ValueScan.Scan(values);
        }

        var results = new ValueScanResult[chunks];
        Parallel.For(0, chunks, c =>
        {
            var start = c * Chunk;
            results[c] = ValueScan.Scan(values.AsSpan(start, Math.Min(Chunk, values.Length - start)));
        });

        long missing = 0;
        var binary = true;
        var hasScale = false;
        for (var c = 0; c < chunks; c++)
        {
            if (results[c].FirstInfinity >= 0)
            {
                return new ValueScanResult(missing, ((long)c * Chunk) + results[c].FirstInfinity, false, hasScale);
            }

            missing += results[c].MissingCount;
            binary &= results[c].AllBinary;
            hasScale |= results[c].HasScale;
        }

        return new ValueScanResult(missing, -1, binary, hasScale);
    }
}

/// <summary>A strided, read-only view of one column of a <see cref="ForgettingMatrix"/>: the M values of one example.</summary>
public readonly struct ColumnView : IEquatable<ColumnView>
{
    private readonly float[] _values;
    private readonly int _start;
    private readonly int _stride;

    internal ColumnView(float[] values, int start, int stride, int count)
    {
        _values = values;
        _start = start;
        _stride = stride;
        Count = count;
    }

    /// <summary>Number of values (the matrix's task count).</summary>
    public int Count { get; }

    /// <summary>The value of this column in row <paramref name="task"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is out of range.</exception>
    public float this[int task] => (uint)task < (uint)Count ? _values[_start + ((long)task * _stride)] : throw new ArgumentOutOfRangeException(nameof(task));

    /// <summary>Copies the column into <paramref name="destination"/>, which must hold at least <see cref="Count"/> values.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length < Count)
        {
            throw new ArgumentException("Destination is too short.", nameof(destination));
        }

        for (var i = 0; i < Count; i++)
        {
            destination[i] = _values[_start + ((long)i * _stride)];
        }
    }

    /// <summary>The column as a new array.</summary>
    public float[] ToArray()
    {
        var result = new float[Count];
        CopyTo(result);
        return result;
    }

    /// <inheritdoc />
    public bool Equals(ColumnView other) => ReferenceEquals(_values, other._values) && _start == other._start && _stride == other._stride && Count == other.Count;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ColumnView other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_values, _start, _stride, Count);

    /// <summary>Reference equality of the underlying view.</summary>
    public static bool operator ==(ColumnView left, ColumnView right) => left.Equals(right);

    /// <summary>Reference inequality of the underlying view.</summary>
    public static bool operator !=(ColumnView left, ColumnView right) => !left.Equals(right);
}

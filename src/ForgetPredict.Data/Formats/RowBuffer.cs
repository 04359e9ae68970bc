using System.Globalization;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// Collects the rows of a matrix whose row count is unknown until the end of the file, in blocks of whole rows, then
/// copies them into one exact-size row-major array. Blocks start small and double up to about 2^20 values, so a small
/// file allocates little; peak memory is about twice the matrix (blocks plus the result), and each block is released
/// as soon as it is copied. With a known upper bound on the rows, one block of that size is filled and, when the bound
/// is exact, handed over without a copy (1x the matrix).
/// </summary>
internal sealed class RowBuffer
{
    private const int BlockValues = 1 << 20;
    private const int FirstBlockValues = 1 << 12;

    private readonly List<(float[] Values, int Rows)> _blocks = [];
    private readonly int _maxRowsPerBlock;
    private readonly string _sourceName;
    private readonly long? _maxCells;
    private int _capacityRows;

    /// <summary>
    /// Creates a buffer for rows of <paramref name="columns"/> values. When <paramref name="expectedRows"/> (an upper
    /// bound the caller has checked against the input's size) is given, the first block holds exactly that many rows,
    /// and <see cref="ToArray"/> returns it without copying when the bound is met exactly. <paramref name="maxCells"/>
    /// (<see cref="MatrixReadOptions.MaxCells"/>) refuses a row that would take the matrix past it, before its space is taken.
    /// </summary>
    public RowBuffer(int columns, string sourceName, int expectedRows = 0, long? maxCells = null)
    {
        Columns = columns;
        _sourceName = sourceName;
        _maxCells = maxCells;
        _maxRowsPerBlock = Math.Max(1, BlockValues / Math.Max(columns, 1));
        if (maxCells is { } max && columns > 0)
        {
            expectedRows = (int)Math.Min(expectedRows, Math.Min(max / columns, int.MaxValue - 1L) + 1);
        }

        if (expectedRows > 0 && (long)expectedRows * columns <= Array.MaxLength)
        {
            _capacityRows = expectedRows;
            _blocks.Add((new float[(long)expectedRows * columns], 0));
        }
    }

    /// <summary>Values per row.</summary>
    public int Columns { get; }

    /// <summary>Rows added so far.</summary>
    public int Rows { get; private set; }

    /// <summary>Space for one more row (its previous content is undefined); the row counts once this returns.</summary>
    /// <exception cref="ForgettingDataException">One more row would exceed the largest array .NET allows, or the limit on cells.</exception>
    public Span<float> AddRow(long lineForErrors)
    {
        MatrixReadOptions.CheckCells(_maxCells, _sourceName, Rows + 1L, Columns, soFar: true);
        if ((long)(Rows + 1) * Columns > Array.MaxLength)
        {
            throw new ForgettingDataException(_sourceName, string.Create(CultureInfo.InvariantCulture,
                $"the matrix would exceed {Array.MaxLength} cells ({Rows + 1} rows x {Columns} columns), the most one array can hold. Split the tasks into several files."), lineForErrors);
        }

        if (_blocks.Count == 0 || _blocks[^1].Rows == _capacityRows)
        {
            _capacityRows = _blocks.Count == 0
                ? Math.Clamp(FirstBlockValues / Math.Max(Columns, 1), 1, _maxRowsPerBlock)
                : Math.Clamp(_capacityRows * 2, 1, _maxRowsPerBlock);
            _blocks.Add((new float[(long)_capacityRows * Columns], 0));
        }

        var (values, rows) = _blocks[^1];
        _blocks[^1] = (values, rows + 1);
        Rows++;
        return values.AsSpan(rows * Columns, Columns);
    }

    /// <summary>The rows as one M x N array: the single block itself when it is exactly full, else a copy (the blocks are released).</summary>
    public float[] ToArray()
    {
        if (_blocks.Count == 1 && _blocks[0].Values.LongLength == (long)Rows * Columns)
        {
            var only = _blocks[0].Values;
            _blocks.Clear();
            return only;
        }

        var values = new float[(long)Rows * Columns];
        var offset = 0;
        for (var b = 0; b < _blocks.Count; b++)
        {
            var count = _blocks[b].Rows * Columns;
            _blocks[b].Values.AsSpan(0, count).CopyTo(values.AsSpan(offset, count));
            offset += count;
            _blocks[b] = ([], 0);
        }

        _blocks.Clear();
        return values;
    }
}

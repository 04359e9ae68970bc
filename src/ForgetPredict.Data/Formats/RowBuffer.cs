using System.Globalization;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// Collects the rows of a matrix whose row count is unknown until the end of the file, in blocks of whole rows, then
/// copies them into one exact-size row-major array. Peak memory is about twice the matrix (blocks plus the result);
/// each block is released as soon as it is copied.
/// </summary>
internal sealed class RowBuffer
{
    private const int BlockValues = 1 << 20;

    private readonly List<float[]> _blocks = [];
    private readonly int _rowsPerBlock;
    private readonly string _sourceName;
    private int _rowInBlock;

    /// <summary>Creates a buffer for rows of <paramref name="columns"/> values.</summary>
    public RowBuffer(int columns, string sourceName)
    {
        Columns = columns;
        _sourceName = sourceName;
        _rowsPerBlock = Math.Max(1, BlockValues / Math.Max(columns, 1));
        _rowInBlock = _rowsPerBlock;
    }

    /// <summary>Values per row.</summary>
    public int Columns { get; }

    /// <summary>Rows added so far.</summary>
    public int Rows { get; private set; }

    /// <summary>Space for one more row (its previous content is undefined); the row counts once this returns.</summary>
    /// <exception cref="ForgettingDataException">One more row would exceed the largest array .NET allows.</exception>
    public Span<float> AddRow(long lineForErrors)
    {
        if ((long)(Rows + 1) * Columns > Array.MaxLength)
        {
            throw new ForgettingDataException(_sourceName, string.Create(CultureInfo.InvariantCulture,
                $"the matrix would exceed {Array.MaxLength} cells ({Rows + 1} rows x {Columns} columns), the most one array can hold. Split the tasks into several files."), lineForErrors);
        }

        if (_rowInBlock == _rowsPerBlock)
        {
            _blocks.Add(new float[(long)_rowsPerBlock * Columns]);
            _rowInBlock = 0;
        }

        var row = _blocks[^1].AsSpan(_rowInBlock * Columns, Columns);
        _rowInBlock++;
        Rows++;
        return row;
    }

    /// <summary>Copies every row into one new M x N array and releases the blocks.</summary>
    public float[] ToArray()
    {
        var values = new float[(long)Rows * Columns];
        long offset = 0;
        for (var b = 0; b < _blocks.Count; b++)
        {
            var rows = b == _blocks.Count - 1 ? _rowInBlock : _rowsPerBlock;
            var count = rows * Columns;
            _blocks[b].AsSpan(0, count).CopyTo(values.AsSpan((int)offset, count));
            offset += count;
            _blocks[b] = [];
        }

        _blocks.Clear();
        return values;
    }
}

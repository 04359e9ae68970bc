using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ForgetPredict.Data.Parquet;

// Reader layout: Open reads the 8-byte tail and the footer only, decodes FileMetaData (see ParquetMetadata.cs) and
// checks that the schema is flat. Each Read* call then loads one column chunk (a byte range named by the footer,
// checked against the file size first) through a 1 MiB read window, so reading the columns of a wide file in order
// costs one stream read per MiB rather than one per column. Pages are decoded straight into the caller's span:
// values of a page land contiguously at the page's first row, and when the page has nulls they are spread out
// backwards in place by the definition levels (a value never moves forward, so no scratch copy is needed).
// Buffers (window, decompressed page, levels, dictionary indices) are reused across calls; a reader is therefore
// not thread-safe, but separate readers over the same file are independent.

/// <summary>Reads flat Parquet files column by column into caller-owned spans (PLAIN, dictionary, BYTE_STREAM_SPLIT
/// and DELTA_* encodings; data pages v1 and v2; UNCOMPRESSED, SNAPPY, GZIP and ZSTD pages).</summary>
/// <remarks>
/// <para>Opening reads only the footer; each read decodes one column chunk (one column of one row group). Numbers
/// convert to the requested type (INT32/INT64/FLOAT/DOUBLE/BOOLEAN; unsigned annotations respected); DECIMAL
/// columns stored as INT32/INT64 read as their values (stored integer / 10^scale; text with the column's scale);
/// DATE, TIME and TIMESTAMP columns read as their stored integers. Nested schemas, INT96, FIXED_LEN_BYTE_ARRAY,
/// encryption and codecs other than the four above are refused with a
/// <see cref="ForgettingDataException"/> that names them and how to re-export the file.</para>
/// <para>Every malformed input (bad magic, truncated footer, offsets or sizes beyond the file, corrupt pages)
/// raises <see cref="ForgettingDataException"/> naming the file, column, row group and page; no size from the file
/// is trusted for an allocation before it is checked against the file's length.</para>
/// <threadsafety>Instances are not thread-safe: use one reader per thread.</threadsafety>
/// </remarks>
public sealed class ParquetReader : IDisposable
{
    private const int WindowSize = 1 << 20;
    private static readonly byte[] s_magic = "PAR1"u8.ToArray();

    /// <summary>The bytes every Parquet file starts and ends with: 'PAR1'.</summary>
    internal static ReadOnlySpan<byte> Magic => s_magic;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly string _sourceName;
    private readonly long _dataEnd;
    private readonly FileMeta _meta;
    private readonly ParquetColumn[] _columns;
    private readonly long[] _rowGroupRows;
    private Dictionary<string, int>? _nameIndex;
    private byte[] _window = [];
    private long _windowStart;
    private int _windowLength;
    private byte[] _pageBuffer = [];
    private byte[] _splitBuffer = [];
    private byte[] _headerBuffer = [];
    private int[] _levels = [];
    private int[] _indices = [];
    private Utf8StringPool? _stringPool;
    private Utf8IdTable? _idTable;
    private object? _dictionaryScratch;
    private bool _disposed;

    private ParquetReader(Stream stream, string sourceName, bool leaveOpen)
    {
        _stream = stream;
        _sourceName = sourceName;
        _leaveOpen = leaveOpen;
        var length = stream.Length;
        if (length < 12)
        {
            throw Fail(FormattableString.Invariant($"the file is {length} bytes long, too short to be Parquet (at least 12 bytes: 'PAR1', footer, length, 'PAR1'); it is truncated or not a Parquet file."));
        }

        Span<byte> tail = stackalloc byte[8];
        ReadExactly(length - 8, tail);
        var head = new byte[6];
        ReadExactly(0, head);
        if (tail[4..].SequenceEqual("PARE"u8))
        {
            throw Fail("the file is an encrypted Parquet file (magic 'PARE'), which is not supported; export it without encryption.");
        }

        if (InputFile.OtherFormat(sourceName, head, tail[4..], "parquet") is { } other)
        {
            // An .npy or .npz read with --format parquet: said as such, not as a damaged Parquet file.
            throw other;
        }

        if (!tail[4..].SequenceEqual(s_magic) || !head.AsSpan(0, 4).SequenceEqual(s_magic))
        {
            throw Fail("the file does not start and end with the Parquet magic 'PAR1'; it is truncated or not a Parquet file (re-export it, or check that the whole file was copied).");
        }

        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footerLength <= 0 || footerLength > length - 12)
        {
            throw Fail(FormattableString.Invariant($"the footer length {footerLength} does not fit in the file's {length} bytes; the file is truncated or corrupt."), location: "footer");
        }

        _dataEnd = length - 8 - footerLength;
        var footer = new byte[footerLength];
        ReadExactly(_dataEnd, footer);
        try
        {
            _meta = ParquetMetadataDecoder.ReadFileMetaData(footer);
        }
        catch (InvalidDataException e)
        {
            throw Fail($"the footer (FileMetaData) is malformed: {e.Message} The file is truncated or corrupt; re-export it.", location: "footer", inner: e);
        }

        if (_meta.IsEncrypted)
        {
            throw Fail("the file uses Parquet modular encryption, which is not supported; export it without encryption.", location: "footer");
        }

        _columns = BuildColumns(_meta.Schema);
        _rowGroupRows = new long[_meta.RowGroups.Length];
        long total = 0;
        for (var g = 0; g < _meta.RowGroups.Length; g++)
        {
            var group = _meta.RowGroups[g];
            if (group.NumRows < 0 || group.NumRows > int.MaxValue)
            {
                throw Fail(FormattableString.Invariant($"row group {g} claims {group.NumRows} rows; expected 0..2^31-1 (split the data into smaller row groups)."), location: "footer");
            }

            if (group.Columns.Length != _columns.Length)
            {
                throw Fail(FormattableString.Invariant($"row group {g} has {group.Columns.Length} column chunks but the schema has {_columns.Length} columns; the file is corrupt."), location: "footer");
            }

            _rowGroupRows[g] = group.NumRows;
            total += group.NumRows;
        }

        RowCount = total;
        VerifyRowCounts();
    }

    /// <summary>The file's leaf columns in schema order.</summary>
    public IReadOnlyList<ParquetColumn> Columns => _columns;

    /// <summary>Total rows over all row groups.</summary>
    public long RowCount { get; }

    /// <summary>How many row groups the file has; reads address one row group at a time.</summary>
    public int RowGroupCount => _rowGroupRows.Length;

    /// <summary>The writer's <c>created_by</c> string (e.g. "DuckDB version v1.5.6"), or null.</summary>
    public string? CreatedBy => _meta.CreatedBy;

    /// <summary>The file or stream name that messages use.</summary>
    public string SourceName => _sourceName;

    /// <summary>The value of the footer's key_value_metadata entry <paramref name="key"/> (the first one), or null when the
    /// file has none (e.g. pyarrow's "pandas" entry, which names a frame's index columns).</summary>
    internal string? MetadataValue(string key)
    {
        foreach (var (k, v) in _meta.KeyValues)
        {
            if (k == key)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>Opens the Parquet file at <paramref name="path"/>, reading only its footer.</summary>
    /// <exception cref="ForgettingDataException">The file cannot be opened (missing, a directory, not readable) or is not
    /// a readable flat Parquet file.</exception>
    public static ParquetReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = InputFile.OpenRead(path, bufferSize: 1, FileOptions.RandomAccess);

        try
        {
            return new ParquetReader(stream, path, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens Parquet data in a seekable stream, reading only its footer.</summary>
    /// <param name="seekableStream">A readable, seekable stream positioned anywhere; the reader seeks as it needs.</param>
    /// <param name="sourceName">The name messages use for the data (usually its path).</param>
    /// <param name="leaveOpen">True to leave the stream open when the reader is disposed.</param>
    /// <exception cref="ArgumentException">The stream cannot read or seek.</exception>
    /// <exception cref="ForgettingDataException">The data is not a readable flat Parquet file.</exception>
    public static ParquetReader Open(Stream seekableStream, string sourceName, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(seekableStream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!seekableStream.CanRead || !seekableStream.CanSeek)
        {
            throw new ArgumentException("Parquet needs a readable, seekable stream (the footer is at the end); copy the data to a MemoryStream or file first.", nameof(seekableStream));
        }

        try
        {
            return new ParquetReader(seekableStream, sourceName, leaveOpen);
        }
        catch when (!leaveOpen)
        {
            seekableStream.Dispose();
            throw;
        }
    }

    /// <summary>Rows in row group <paramref name="rowGroup"/>: the length the read methods fill.</summary>
    public long GetRowGroupRowCount(int rowGroup)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowGroup);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rowGroup, _rowGroupRows.Length);
        return _rowGroupRows[rowGroup];
    }

    /// <summary>The index of the column named <paramref name="columnName"/> (ordinal, case-sensitive), or -1 when absent.</summary>
    public int IndexOf(string columnName)
    {
        ArgumentNullException.ThrowIfNull(columnName);
        if (_nameIndex is null)
        {
            var index = new Dictionary<string, int>(_columns.Length, StringComparer.Ordinal);
            foreach (var column in _columns)
            {
                index.TryAdd(column.Name, column.Index);
            }

            _nameIndex = index;
        }

        return _nameIndex.TryGetValue(columnName, out var i) ? i : -1;
    }

    /// <summary>Reads a numeric or boolean column of one row group as doubles (null becomes NaN, true/false 1/0).</summary>
    /// <param name="column">The column index.</param>
    /// <param name="rowGroup">The row group index.</param>
    /// <param name="destination">Receives <see cref="GetRowGroupRowCount"/> values; may be longer.</param>
    /// <exception cref="ForgettingDataException">The column is not numeric, or the data is malformed.</exception>
    public void ReadDoubles(int column, int rowGroup, Span<double> destination)
    {
        ReadColumn<DoubleTarget, double>(column, rowGroup, destination);
        if (_columns[column].DecimalScale is > 0 and var scale)
        {
            Unscale(destination[..(int)GetRowGroupRowCount(rowGroup)], scale);
        }
    }

    /// <summary>Reads a numeric or boolean column of one row group as float32 (null becomes NaN; doubles and large
    /// integers round to the nearest float).</summary>
    /// <param name="column">The column index.</param>
    /// <param name="rowGroup">The row group index.</param>
    /// <param name="destination">Receives <see cref="GetRowGroupRowCount"/> values; may be longer.</param>
    /// <exception cref="ForgettingDataException">The column is not numeric, or the data is malformed.</exception>
    public void ReadFloats(int column, int rowGroup, Span<float> destination)
    {
        if (column >= 0 && column < _columns.Length && _columns[column].DecimalScale is > 0 and var scale)
        {
            // Scaled in double from the exact stored integer, then rounded once to float.
            var rows = (int)GetRowGroupRowCount(rowGroup);
            if (destination.Length < rows)
            {
                throw new ArgumentException(FormattableString.Invariant($"Destination holds {destination.Length} values but row group {rowGroup} has {rows} rows."), nameof(destination));
            }

            var values = new double[rows];
            ReadColumn<DoubleTarget, double>(column, rowGroup, values);
            Unscale(values, scale);
            for (var i = 0; i < rows; i++)
            {
                destination[i] = (float)values[i];
            }

            return;
        }

        ReadColumn<FloatTarget, float>(column, rowGroup, destination);
    }

    /// <summary>Reads an integer or boolean column of one row group exactly as 64-bit integers.</summary>
    /// <param name="column">The column index.</param>
    /// <param name="rowGroup">The row group index.</param>
    /// <param name="destination">Receives <see cref="GetRowGroupRowCount"/> values; may be longer.</param>
    /// <exception cref="ForgettingDataException">The column is floating-point or text, holds a null, or is malformed.</exception>
    public void ReadInt64s(int column, int rowGroup, Span<long> destination) => ReadColumn<Int64Target, long>(column, rowGroup, destination);

    /// <summary>Reads a column of one row group as text: BYTE_ARRAY as UTF-8 (dictionary entries decoded once and
    /// shared), numbers and booleans formatted culture-invariant, null as null.</summary>
    /// <param name="column">The column index.</param>
    /// <param name="rowGroup">The row group index.</param>
    /// <param name="destination">Receives <see cref="GetRowGroupRowCount"/> values; may be longer.</param>
    /// <exception cref="ForgettingDataException">The data is malformed or uses an unsupported feature.</exception>
    public void ReadStrings(int column, int rowGroup, Span<string?> destination)
    {
        ReadColumn<StringTarget, string?>(column, rowGroup, destination);
        if (_columns[column].DecimalScale is > 0 and var scale)
        {
            // The stored integers, written as decimals with the column's scale ("0.1429", "-7.0", "1.0000").
            var rows = (int)GetRowGroupRowCount(rowGroup);
            for (var i = 0; i < rows; i++)
            {
                if (destination[i] is { } text)
                {
                    destination[i] = DecimalText(long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), scale);
                }
            }
        }
    }

    /// <summary>Reads a BYTE_ARRAY column of one row group as ids: each value's index in <paramref name="ids"/> (where a
    /// value seen for the first time is added, its bytes checked as UTF-8 as <see cref="ReadStrings"/> checks them), null
    /// as -1. Nothing is allocated per row: a long-format file's ids repeat in every row group.</summary>
    /// <exception cref="ArgumentException">The column is not BYTE_ARRAY (read it with <see cref="ReadStrings"/>).</exception>
    /// <exception cref="ForgettingDataException">The data is malformed or uses an unsupported feature.</exception>
    internal void ReadIds(int column, int rowGroup, Span<int> destination, Utf8IdTable ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, _columns.Length);
        if (_columns[column].PhysicalType != ParquetPhysicalType.ByteArray)
        {
            throw new ArgumentException($"Column '{_columns[column].Name}' is {ParquetNames.Of(_columns[column].PhysicalType)}, not BYTE_ARRAY; read it with ReadStrings.", nameof(column));
        }

        _idTable = ids;
        try
        {
            ReadColumn<IdTarget, int>(column, rowGroup, destination);
        }
        finally
        {
            _idTable = null;
        }
    }

    /// <summary>Refuses a column that <see cref="ReadDoubles"/> would refuse (text, binary, dates and times), with the same message.</summary>
    internal void RequireNumbers(int column)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, _columns.Length);
        CheckTarget<DoubleTarget, double>(_columns[column]);
    }

    /// <summary>Reads which rows of a column hold a value (true) or a null (false); tells nulls from NaN values.</summary>
    /// <param name="column">The column index.</param>
    /// <param name="rowGroup">The row group index.</param>
    /// <param name="destination">Receives <see cref="GetRowGroupRowCount"/> flags; may be longer.</param>
    /// <exception cref="ForgettingDataException">The data is malformed or uses an unsupported feature.</exception>
    public void ReadPresence(int column, int rowGroup, Span<bool> destination) => ReadColumn<PresenceTarget, bool>(column, rowGroup, destination);

    /// <summary>Closes the stream unless it was opened with <c>leaveOpen</c>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    // value / 10^scale: correctly rounded for stored integers up to 2^53 and scales up to 22 (10^scale is exact).
    private static void Unscale(Span<double> values, int scale)
    {
        var divisor = Math.Pow(10, scale);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] /= divisor;
        }
    }

    private static string DecimalText(long unscaled, int scale)
    {
        var digits = BigInteger.Abs(unscaled).ToString(CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
        return string.Concat(unscaled < 0 ? "-" : "", digits.AsSpan(0, digits.Length - scale), ".", digits.AsSpan(digits.Length - scale));
    }

    private ParquetColumn[] BuildColumns(SchemaNode[] schema)
    {
        if (schema.Length == 0)
        {
            throw Fail("the schema is empty; expected a root group with at least one column.", location: "footer");
        }

        var rootChildren = schema[0].NumChildren;
        var leaves = new ParquetColumn[schema.Length - 1];
        for (var i = 1; i < schema.Length; i++)
        {
            ref var node = ref schema[i];
            if (node.NumChildren > 0 || node.Type is null)
            {
                var kind = node.Converted switch
                {
                    ConvertedType.List => "LIST",
                    ConvertedType.Map or ConvertedType.MapKeyValue => "MAP",
                    _ => node.LogicalKind switch { 2 => "MAP", 3 => "LIST", _ => "STRUCT" },
                };
                // A LIST (an embedding as FLOAT[]) becomes columns by index: unnest() would make rows of it (each id repeated).
                var flatten = kind switch
                {
                    "LIST" => $"one column per element (DuckDB: SELECT id, {node.Name}[1] AS e1, {node.Name}[2] AS e2, ...; pandas: pd.DataFrame(df[{Echo.Quote(node.Name)}].tolist(), index=df.index)), or save an embedding as .npy",
                    "MAP" => $"one column per key (DuckDB: {node.Name}['key'] AS key, ...)",
                    _ => $"its fields as columns (DuckDB: SELECT {node.Name}.*)",
                };
                throw Fail($"nested column '{node.Name}' ({kind}) is not supported; flatten it into {flatten} before export.", column: node.Name, location: "schema");
            }

            if (node.Repetition == Repetition.Repeated)
            {
                throw Fail($"repeated column '{node.Name}' is not supported; flatten it into one column per element before export (DuckDB: {node.Name}[1] AS e1, ...).", column: node.Name, location: "schema");
            }

            var type = node.Type.Value;
            if (type is < ParquetPhysicalType.Boolean or > ParquetPhysicalType.FixedLenByteArray)
            {
                throw Fail(FormattableString.Invariant($"column '{node.Name}' has unknown physical type {(int)type}; the file is corrupt."), column: node.Name, location: "schema");
            }

            var isString = type == ParquetPhysicalType.ByteArray
                && (node.Converted is ConvertedType.Utf8 or ConvertedType.Enum or ConvertedType.Json || node.LogicalKind is 1 or 4 or 12);
            var isUnsigned = node.Converted is ConvertedType.Uint8 or ConvertedType.Uint16 or ConvertedType.Uint32 or ConvertedType.Uint64
                || (node.LogicalKind == 10 && node.IntUnsigned);
            int? decimalScale = null;
            if (node.LogicalKind == 5 || (node.LogicalKind == 0 && node.Converted == ConvertedType.Decimal))
            {
                // A scale outside 0..38 (the widest decimal any writer makes) cannot be applied.
                if (node.Scale is < 0 or > 38)
                {
                    throw Fail(FormattableString.Invariant($"column '{node.Name}' is DECIMAL({node.Precision}, {node.Scale}), whose scale is not 0..38; the footer is corrupt (re-export the column as DOUBLE)."), column: node.Name, location: "schema");
                }

                decimalScale = node.Scale;
            }

            var isTemporal = node.LogicalKind is 6 or 7 or 8 or 9
                || (node.LogicalKind == 0 && node.Converted is ConvertedType.Date or ConvertedType.TimeMillis or ConvertedType.TimeMicros
                    or ConvertedType.TimestampMillis or ConvertedType.TimestampMicros or ConvertedType.Interval);
            leaves[i - 1] = new ParquetColumn(i - 1, node.Name, type, node.Repetition != Repetition.Required, isString, isUnsigned, DescribeLogicalType(in node), decimalScale, isTemporal);
        }

        if (rootChildren != leaves.Length)
        {
            throw Fail(FormattableString.Invariant($"the schema root declares {rootChildren} children but {leaves.Length} elements follow; the footer is corrupt."), location: "schema");
        }

        return leaves;
    }

    private static string? DescribeLogicalType(in SchemaNode node)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (node.LogicalKind)
        {
            case 1: return "STRING";
            case 4: return "ENUM";
            case 5: return string.Create(inv, $"DECIMAL({node.Precision}, {node.Scale})");
            case 6: return "DATE";
            case 7: return string.Create(inv, $"TIME({node.TimeUnit}{(node.AdjustedToUtc ? ", UTC" : "")})");
            case 8: return string.Create(inv, $"TIMESTAMP({node.TimeUnit}{(node.AdjustedToUtc ? ", UTC" : "")})");
            case 10: return string.Create(inv, $"INT({node.IntBitWidth}, {(node.IntUnsigned ? "unsigned" : "signed")})");
            case 11: return "UNKNOWN";
            case 12: return "JSON";
            case 13: return "BSON";
            case 14: return "UUID";
            case 15: return "FLOAT16";
            case > 0: return string.Create(inv, $"LOGICAL#{node.LogicalKind}");
        }

        return node.Converted switch
        {
            null => null,
            ConvertedType.Utf8 => "STRING",
            ConvertedType.Enum => "ENUM",
            ConvertedType.Json => "JSON",
            ConvertedType.Bson => "BSON",
            ConvertedType.Decimal => string.Create(inv, $"DECIMAL({node.Precision}, {node.Scale})"),
            ConvertedType.Date => "DATE",
            ConvertedType.TimeMillis => "TIME(MILLIS)",
            ConvertedType.TimeMicros => "TIME(MICROS)",
            ConvertedType.TimestampMillis => "TIMESTAMP(MILLIS)",
            ConvertedType.TimestampMicros => "TIMESTAMP(MICROS)",
            ConvertedType.Uint8 => "INT(8, unsigned)",
            ConvertedType.Uint16 => "INT(16, unsigned)",
            ConvertedType.Uint32 => "INT(32, unsigned)",
            ConvertedType.Uint64 => "INT(64, unsigned)",
            ConvertedType.Int8 => "INT(8, signed)",
            ConvertedType.Int16 => "INT(16, signed)",
            ConvertedType.Int32 => "INT(32, signed)",
            ConvertedType.Int64 => "INT(64, signed)",
            ConvertedType.Interval => "INTERVAL",
            var other => string.Create(inv, $"CONVERTED#{(int)other}"),
        };
    }

    private void ReadColumn<TTarget, T>(int column, int rowGroup, Span<T> destination)
        where TTarget : IValueTarget<T>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, _columns.Length);
        var rows = (int)GetRowGroupRowCount(rowGroup);
        if (destination.Length < rows)
        {
            throw new ArgumentException(FormattableString.Invariant($"Destination holds {destination.Length} values but row group {rowGroup} has {rows} rows."), nameof(destination));
        }

        var info = _columns[column];
        CheckTarget<TTarget, T>(info);
        if (rows == 0)
        {
            return;
        }

        var chunk = _meta.RowGroups[rowGroup].Columns[column];
        CheckChunk(info, ref chunk, rowGroup);
        var data = LoadChunk(info, in chunk, rowGroup);
        new ChunkDecoder<TTarget, T>(this, info, chunk, rowGroup, data).Decode(destination[..rows]);
    }

    private void CheckTarget<TTarget, T>(ParquetColumn info)
        where TTarget : IValueTarget<T>
    {
        var name = info.Name;
        if (info.IsTemporal && TTarget.NeedsValues)
        {
            // Dates and times are stored as counts of days or ticks; read as numbers (or as those counts written out)
            // they would be taken for data silently.
            throw Fail($"the column holds {info.LogicalType} values (dates or times, stored as counts of days or ticks), which are neither numbers nor text; cast it before export (DuckDB: epoch({name}) for seconds, or {name}::VARCHAR for a label; pandas: df[{Echo.Quote(name)}].astype('int64') or .astype(str); polars: pl.col({Echo.Quote(name)}).dt.epoch('s') or .cast(pl.String)) or drop the column.", column: name);
        }

        switch (info.PhysicalType)
        {
            case ParquetPhysicalType.Int96:
                throw Fail("physical type INT96 (legacy Spark/Impala timestamp) is not supported; re-export the column as a TIMESTAMP in INT64 (Spark: spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS) or drop it.", column: name);
            case ParquetPhysicalType.FixedLenByteArray or ParquetPhysicalType.ByteArray when info.DecimalScale is not null && TTarget.NeedsValues:
                // DuckDB stores a DECIMAL of more than 18 digits (a sum or product of decimals: DECIMAL(38, 4)) this way.
                throw Fail($"the column holds {info.LogicalType} values stored as {ParquetNames.Of(info.PhysicalType)} (a decimal of more than 18 digits, as DuckDB's sums and products of decimals are), which is not supported; cast it to a floating-point number before export (DuckDB: {name}::DOUBLE; pandas: df[{Echo.Quote(name)}].astype(float); polars: pl.col({Echo.Quote(name)}).cast(pl.Float64)).", column: name);
            case ParquetPhysicalType.FixedLenByteArray:
                throw Fail($"physical type FIXED_LEN_BYTE_ARRAY{(info.LogicalType is null ? "" : " (" + info.LogicalType + ")")} is not supported; cast the column before export: to DOUBLE if it holds numbers (DuckDB: {name}::DOUBLE; polars: pl.col({Echo.Quote(name)}).cast(pl.Float64)), to VARCHAR if it holds ids or labels ({name}::VARCHAR; polars: .cast(pl.String)).", column: name);
            case ParquetPhysicalType.Int32 or ParquetPhysicalType.Int64 when info.DecimalScale is > 0 && typeof(TTarget) == typeof(Int64Target):
                throw Fail($"the column holds {info.LogicalType} values, which ReadInt64s cannot convert exactly; read it with ReadDoubles or ReadStrings.", column: name);
            case ParquetPhysicalType.ByteArray when !TTarget.AcceptsByteArrays:
                throw Fail($"the column holds {(info.IsString ? "text" : "binary values")}, not numbers; cast it to a number before export (DuckDB: {name}::DOUBLE; pandas: pd.to_numeric(df[{Echo.Quote(name)}]); polars: pl.col({Echo.Quote(name)}).cast(pl.Float64)) or drop the column.", column: name);
            case ParquetPhysicalType.Float or ParquetPhysicalType.Double when typeof(TTarget) == typeof(Int64Target):
                throw Fail($"the column holds floating-point values ({ParquetNames.Of(info.PhysicalType)}), which ReadInt64s cannot convert exactly; read it with ReadDoubles or ReadFloats.", column: name);
        }
    }

    private void CheckChunk(ParquetColumn info, ref ColumnChunkMeta chunk, int rowGroup)
    {
        if (chunk.IsEncrypted)
        {
            throw Fail("the column chunk is encrypted, which is not supported; export the file without encryption.", column: info.Name, location: RowGroupLocation(rowGroup));
        }

        if (chunk.HasFilePath)
        {
            throw Fail("the column chunk lives in another file (file_path is set), which is not supported; export a self-contained file.", column: info.Name, location: RowGroupLocation(rowGroup));
        }

        if (!chunk.HasMetaData)
        {
            throw Fail("the column chunk has no ColumnMetaData; the footer is corrupt.", column: info.Name, location: RowGroupLocation(rowGroup));
        }

        if (chunk.PathLength != 1)
        {
            throw Fail(FormattableString.Invariant($"the column chunk's path has {chunk.PathLength} parts where a flat column has 1; the footer is corrupt."), column: info.Name, location: RowGroupLocation(rowGroup));
        }

        if (chunk.Type != info.PhysicalType)
        {
            throw Fail($"the column chunk stores {ParquetNames.Of(chunk.Type)} but the schema says {ParquetNames.Of(info.PhysicalType)}; the footer is corrupt.", column: info.Name, location: RowGroupLocation(rowGroup));
        }

        if (!PageDecompressor.IsSupported(chunk.Codec))
        {
            throw Fail($"codec {ParquetNames.Of(chunk.Codec)} is not supported; re-export with snappy, gzip, zstd, lz4_raw, brotli or uncompressed.", column: info.Name, location: RowGroupLocation(rowGroup));
        }
    }

    private ReadOnlyMemory<byte> LoadChunk(ParquetColumn info, in ColumnChunkMeta chunk, int rowGroup)
    {
        var (start, size) = ChunkRange(in chunk, info.Name, rowGroup);
        return ReadRange(start, (int)size);
    }

    private (long Start, long Size) ChunkRange(in ColumnChunkMeta chunk, string column, int rowGroup)
    {
        var start = chunk.DataPageOffset;
        if (chunk.HasDictionaryPageOffset && chunk.DictionaryPageOffset > 0 && chunk.DictionaryPageOffset < start)
        {
            start = chunk.DictionaryPageOffset;
        }

        var size = chunk.TotalCompressedSize;
        if (start < 4 || size <= 0 || start > _dataEnd || size > _dataEnd - start || size > int.MaxValue)
        {
            throw Fail(FormattableString.Invariant($"the column chunk claims bytes {start}..{start + size} but the data region is bytes 4..{_dataEnd}; the file is truncated or corrupt."), column: column, location: RowGroupLocation(rowGroup));
        }

        return (start, size);
    }

    // Every count the callers size an allocation from (a row group's num_rows, and so RowCount) is checked here,
    // before any caller allocates: each column chunk's metadata must count num_rows values and its data pages must
    // hold exactly that many (walking the page headers only, never the values). A footer that claims 1e9 rows over
    // pages holding 1,000 values, or 0 rows over pages that hold some, is refused at open.
    private void VerifyRowCounts()
    {
        for (var g = 0; g < _meta.RowGroups.Length; g++)
        {
            var rows = _rowGroupRows[g];
            var chunks = _meta.RowGroups[g].Columns;
            for (var c = 0; c < chunks.Length; c++)
            {
                ref var chunk = ref chunks[c];
                if (!chunk.HasMetaData || chunk.IsEncrypted || chunk.HasFilePath || (rows == 0 && chunk.NumValues == 0 && chunk.TotalCompressedSize == 0))
                {
                    continue; // refused with its own message when the column is read
                }

                var name = _columns[c].Name;
                if (chunk.NumValues != rows)
                {
                    throw Fail(FormattableString.Invariant($"row group {g} claims {rows} rows but the column chunk's metadata counts {chunk.NumValues} values; the footer is corrupt (a flat column holds one value or null per row)."), column: name, location: RowGroupLocation(g));
                }

                var held = CountPageValues(in chunk, name, g);
                if (held != rows)
                {
                    throw Fail(FormattableString.Invariant($"row group {g} claims {rows} rows but its pages hold {held} values; the file is corrupt."), column: name, location: RowGroupLocation(g));
                }
            }
        }
    }

    // Sums num_values over a chunk's data pages, reading page headers only (each bounded by the chunk's bytes).
    private long CountPageValues(in ColumnChunkMeta chunk, string column, int rowGroup)
    {
        var (start, size) = ChunkRange(in chunk, column, rowGroup);
        var end = start + size;
        long values = 0;
        var position = start;
        var page = 0;
        while (position < end)
        {
            var header = PeekPageHeader(position, end - position, column, rowGroup, page, out var headerLength);
            if (header.CompressedSize > end - position - headerLength)
            {
                throw Fail(FormattableString.Invariant($"the page claims {header.CompressedSize} compressed bytes but only {end - position - headerLength} remain in the column chunk; the file is truncated or corrupt."), column: column, location: FormattableString.Invariant($"row group {rowGroup}, page {page}"));
            }

            if (header.Type is PageType.DataPage or PageType.DataPageV2)
            {
                if (header.NumValues < 0)
                {
                    throw Fail(FormattableString.Invariant($"the data page claims {header.NumValues} values; the file is corrupt."), column: column, location: FormattableString.Invariant($"row group {rowGroup}, page {page}"));
                }

                values += header.NumValues;
            }

            position += headerLength + header.CompressedSize;
            page++;
        }

        return values;
    }

    // Reads the page header at offset from the read window when it is there, else with a small positioned read that
    // grows (to at most the chunk's remaining bytes) until the header parses.
    private PageHeaderInfo PeekPageHeader(long offset, long available, string column, int rowGroup, int page, out int headerLength)
    {
        var length = (int)Math.Min(available, 256);
        while (true)
        {
            ReadOnlySpan<byte> bytes;
            if (offset >= _windowStart && offset + length <= _windowStart + _windowLength)
            {
                bytes = _window.AsSpan((int)(offset - _windowStart), length);
            }
            else
            {
                if (_headerBuffer.Length < length)
                {
                    _headerBuffer = new byte[length];
                }

                ReadExactly(offset, _headerBuffer.AsSpan(0, length));
                bytes = _headerBuffer.AsSpan(0, length);
            }

            try
            {
                return ParquetMetadataDecoder.ReadPageHeader(bytes, out headerLength);
            }
            catch (InvalidDataException e)
            {
                if (length >= available || length >= 1 << 20)
                {
                    throw Fail($"the page header is malformed: {e.Message} The file is corrupt.", column: column, location: FormattableString.Invariant($"row group {rowGroup}, page {page}"), inner: e);
                }

                length = (int)Math.Min(available, 4L * length);
            }
        }
    }

    private static string RowGroupLocation(int rowGroup) => FormattableString.Invariant($"row group {rowGroup}");

    private ReadOnlyMemory<byte> ReadRange(long offset, int length)
    {
        if (offset >= _windowStart && offset + length <= _windowStart + _windowLength)
        {
            return new ReadOnlyMemory<byte>(_window, (int)(offset - _windowStart), length);
        }

        var fill = (int)Math.Min(Math.Max(length, WindowSize), _dataEnd - offset);
        if (_window.Length < fill)
        {
            _window = new byte[Math.Max(fill, Math.Min(WindowSize, (int)Math.Min(int.MaxValue, _dataEnd)))];
        }

        _windowLength = 0;
        ReadExactly(offset, _window.AsSpan(0, fill));
        _windowStart = offset;
        _windowLength = fill;
        return new ReadOnlyMemory<byte>(_window, 0, length);
    }

    private void ReadExactly(long offset, Span<byte> buffer)
    {
        try
        {
            _stream.Seek(offset, SeekOrigin.Begin);
            _stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw Fail(FormattableString.Invariant($"the file ended before byte {offset + buffer.Length}; it is truncated (was it still being written?)."), inner: e);
        }
    }

    private byte[] PageBuffer(int size)
    {
        if (_pageBuffer.Length < size)
        {
            _pageBuffer = new byte[Math.Max(size, Math.Min(2 * _pageBuffer.Length, int.MaxValue / 2))];
        }

        return _pageBuffer;
    }

    private int[] Levels(int count)
    {
        if (_levels.Length < count)
        {
            _levels = new int[Math.Max(count, 1024)];
        }

        return _levels;
    }

    private int[] Indices()
    {
        if (_indices.Length == 0)
        {
            _indices = new int[4096];
        }

        return _indices;
    }

    private byte[] SplitBuffer(int size)
    {
        if (_splitBuffer.Length < size)
        {
            _splitBuffer = new byte[Math.Max(size, 2 * _splitBuffer.Length)];
        }

        return _splitBuffer;
    }

    private ForgettingDataException Fail(string detail, string? column = null, string? location = null, Exception? inner = null) =>
        new(_sourceName, detail, 0, column, location, inner);

    /// <summary>Where byte arrays read as ids go.</summary>
    private readonly ref struct IdSink(Utf8IdTable table, Span<int> destination)
    {
        public Utf8IdTable Table { get; } = table;

        public Span<int> Destination { get; } = destination;
    }

    /// <summary>Where dictionary strings read through the pool go.</summary>
    private readonly ref struct PooledSink(Utf8StringPool pool, Span<string?> destination)
    {
        public Utf8StringPool Pool { get; } = pool;

        public Span<string?> Destination { get; } = destination;
    }

    /// <summary>Decodes one column chunk: page headers, decompression, levels and values.</summary>
    private struct ChunkDecoder<TTarget, T>
        where TTarget : IValueTarget<T>
    {
        private readonly ParquetReader _owner;
        private readonly ParquetColumn _info;
        private readonly ColumnChunkMeta _chunk;
        private readonly int _rowGroup;
        private readonly ReadOnlyMemory<byte> _data;
        private T[]? _dictionary;
        private int _dictionaryCount;
        private int _page;
        private long _pooledPlainValues;
        private long _pooledPlainMisses;
        private bool _plainPoolOff;

        public ChunkDecoder(ParquetReader owner, ParquetColumn info, ColumnChunkMeta chunk, int rowGroup, ReadOnlyMemory<byte> data)
        {
            _owner = owner;
            _info = info;
            _chunk = chunk;
            _rowGroup = rowGroup;
            _data = data;
            _dictionary = null;
            _dictionaryCount = 0;
            _page = 0;
            _pooledPlainValues = 0;
            _pooledPlainMisses = 0;
            _plainPoolOff = false;
        }

        private readonly string Location => FormattableString.Invariant($"row group {_rowGroup}, page {_page}");

        public void Decode(Span<T> destination)
        {
            var rows = destination.Length;
            var done = 0;
            var position = 0;
            var span = _data.Span;
            while (done < rows)
            {
                if (position >= span.Length)
                {
                    throw Fail(FormattableString.Invariant($"the column chunk ends after {done} of {rows} values; the file is truncated or corrupt."));
                }

                PageHeaderInfo header;
                int headerLength;
                try
                {
                    header = ParquetMetadataDecoder.ReadPageHeader(span[position..], out headerLength);
                }
                catch (InvalidDataException e)
                {
                    throw Fail($"the page header is malformed: {e.Message} The file is corrupt.", e);
                }

                position += headerLength;
                if (header.CompressedSize > span.Length - position)
                {
                    throw Fail(FormattableString.Invariant($"the page claims {header.CompressedSize} compressed bytes but only {span.Length - position} remain in the column chunk; the file is truncated or corrupt."));
                }

                var payload = _data.Slice(position, header.CompressedSize);
                position += header.CompressedSize;
                if (header.HasCrc && Crc32.HashToUInt32(payload.Span) != header.Crc)
                {
                    throw Fail(FormattableString.Invariant($"the page's CRC-32 is {header.Crc:x8} but its {header.CompressedSize} bytes hash to {Crc32.HashToUInt32(payload.Span):x8}; the file was damaged after it was written (re-copy or re-export it)."));
                }

                try
                {
                    done += ReadPage(header, payload, destination[done..]);
                }
                catch (InvalidDataException e)
                {
                    // A value the page holds that cannot be read as its type says (a string that is not UTF-8).
                    throw Fail(e.Message, e);
                }

                _page++;
            }
        }

        // Reads one page: the values a data page adds to destination (0 for a dictionary or index page).
        private int ReadPage(PageHeaderInfo header, ReadOnlyMemory<byte> payload, Span<T> destination)
        {
            switch (header.Type)
            {
                case PageType.DictionaryPage:
                    ReadDictionaryPage(header, payload);
                    return 0;
                case PageType.DataPage:
                case PageType.DataPageV2:
                    return ReadDataPage(header, payload, destination);
                case PageType.IndexPage:
                    return 0;
                default:
                    throw Fail(FormattableString.Invariant($"page type {(int)header.Type} is unknown; expected a data, dictionary or index page. The file is corrupt."));
            }
        }

        private void ReadDictionaryPage(PageHeaderInfo header, ReadOnlyMemory<byte> payload)
        {
            if (_dictionary is not null)
            {
                throw Fail("the column chunk has a second dictionary page; the file is corrupt.");
            }

            if (header.Encoding is not (ParquetEncoding.Plain or ParquetEncoding.PlainDictionary))
            {
                throw Fail($"dictionary page encoding {ParquetNames.Of(header.Encoding)} is not supported; expected PLAIN.");
            }

            var count = header.NumValues;
            var width = FixedWidth(_info.PhysicalType);
            var maxCount = width switch { 1 => (long)header.UncompressedSize * 8, 0 => header.UncompressedSize / 4, _ => header.UncompressedSize / width };
            if (count < 0 || count > maxCount)
            {
                throw Fail(FormattableString.Invariant($"the dictionary page claims {count} entries but its {header.UncompressedSize} bytes hold at most {maxCount}; the file is corrupt."));
            }

            var data = Decompress(header, payload.Span, payload, header.UncompressedSize, FixedBound(width, count, 0));
            // The dictionary array is reused from read to read: a fresh large array per column chunk would be a
            // large-object-heap allocation each time, and those trigger full collections.
            if (_owner._dictionaryScratch is not T[] dictionary || dictionary.Length < count)
            {
                dictionary = new T[count];
                _owner._dictionaryScratch = dictionary;
            }

            if (typeof(TTarget) == typeof(IdTarget))
            {
                DecodeIds(data, ((int[])(object)dictionary).AsSpan(0, count));
            }
            else if (typeof(TTarget) == typeof(StringTarget) && _info.PhysicalType == ParquetPhysicalType.ByteArray)
            {
                DecodePooledStrings(data, ((string?[])(object)dictionary).AsSpan(0, count));
            }
            else
            {
                DecodePlain(data, dictionary, count);
            }

            _dictionary = dictionary;
            _dictionaryCount = count;
        }

        private int ReadDataPage(PageHeaderInfo header, ReadOnlyMemory<byte> payload, Span<T> destination)
        {
            var n = header.NumValues;
            if (!header.HasTypeHeader || n < 0 || n > destination.Length)
            {
                throw Fail(FormattableString.Invariant($"the data page claims {n} values but {destination.Length} rows remain in the row group; the file is corrupt."));
            }

            var nullable = _info.IsNullable;
            ReadOnlySpan<byte> values;
            int[] levels = [];
            var nonNull = n;
            if (header.Type == PageType.DataPageV2)
            {
                var levelBytes = (long)header.RepetitionLevelsLength + header.DefinitionLevelsLength;
                if (header.RepetitionLevelsLength < 0 || header.DefinitionLevelsLength < 0 || levelBytes > payload.Length || levelBytes > header.UncompressedSize)
                {
                    throw Fail(FormattableString.Invariant($"the v2 data page's level lengths ({header.RepetitionLevelsLength} + {header.DefinitionLevelsLength} bytes) exceed the page ({payload.Length} bytes); the file is corrupt."));
                }

                if (header.RepetitionLevelsLength != 0)
                {
                    throw Fail("the data page has repetition levels, which a flat column cannot have; the file is corrupt or the column is nested.");
                }

                var levelSpan = payload.Span[..header.DefinitionLevelsLength];
                if (nullable)
                {
                    levels = _owner.Levels(n);
                    nonNull = DecodeLevels(levelSpan, levels.AsSpan(0, n));
                    if (header.NumNulls != n - nonNull)
                    {
                        throw Fail(FormattableString.Invariant($"the v2 data page header says {header.NumNulls} nulls but its definition levels hold {n - nonNull}; the file is corrupt."));
                    }
                }
                else if (header.DefinitionLevelsLength != 0)
                {
                    throw Fail("the data page has definition levels but the column is required; the file is corrupt.");
                }

                var body = payload[(int)levelBytes..];
                var bodySize = header.UncompressedSize - (int)levelBytes;
                values = header.IsCompressed
                    ? Decompress(header, body.Span, body, bodySize, FixedBound(FixedWidth(_info.PhysicalType), nonNull, 0, header.Encoding))
                    : CheckStored(body.Span, bodySize);
            }
            else
            {
                var page = Decompress(header, payload.Span, payload, header.UncompressedSize, FixedBound(FixedWidth(_info.PhysicalType), n, nullable ? n : 0, header.Encoding));
                if (nullable)
                {
                    if (header.DefinitionLevelEncoding != ParquetEncoding.Rle)
                    {
                        throw Fail($"definition level encoding {ParquetNames.Of(header.DefinitionLevelEncoding)} is not supported; expected RLE (re-export with a current writer).");
                    }

                    if (page.Length < 4)
                    {
                        throw Fail("the data page ends before its definition levels; the file is corrupt.");
                    }

                    var length = BinaryPrimitives.ReadInt32LittleEndian(page);
                    if (length < 0 || length > page.Length - 4)
                    {
                        throw Fail(FormattableString.Invariant($"the definition levels claim {length} bytes but the page has {page.Length - 4}; the file is corrupt."));
                    }

                    levels = _owner.Levels(n);
                    nonNull = DecodeLevels(page.Slice(4, length), levels.AsSpan(0, n));
                    values = page[(4 + length)..];
                }
                else
                {
                    values = page;
                }
            }

            if (nonNull < n && typeof(TTarget) == typeof(Int64Target))
            {
                throw Fail("the column holds nulls, which ReadInt64s cannot represent; read it with ReadDoubles (null becomes NaN) or ReadStrings (null stays null).");
            }

            DecodeValues(header.Encoding, values, destination[..nonNull]);
            if (nonNull < n)
            {
                Spread(levels.AsSpan(0, n), destination[..n], nonNull);
            }

            return n;
        }

        private readonly int DecodeLevels(ReadOnlySpan<byte> data, Span<int> levels)
        {
            var decoder = new RleBitPackedDecoder(data, 1);
            int read;
            try
            {
                read = decoder.Read(levels);
            }
            catch (InvalidDataException e)
            {
                throw Fail($"the definition levels are malformed: {e.Message}", e);
            }

            if (read != levels.Length)
            {
                throw Fail(FormattableString.Invariant($"the definition levels end after {read} of {levels.Length} values; the file is corrupt."));
            }

            var present = 0;
            foreach (var level in levels)
            {
                // An RLE run stores its value in a whole byte, so a corrupt run can claim a level above the maximum.
                if ((uint)level > 1)
                {
                    throw Fail(FormattableString.Invariant($"definition level {level} exceeds the column's maximum of 1; the file is corrupt."));
                }

                present += level;
            }

            return present;
        }

        private static void Spread(ReadOnlySpan<int> levels, Span<T> destination, int nonNull)
        {
            var k = nonNull - 1;
            for (var i = levels.Length - 1; i > k; i--)
            {
                destination[i] = levels[i] != 0 ? destination[k--] : TTarget.Null;
            }
        }

        private void DecodeValues(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<T> destination)
        {
            if (!TTarget.NeedsValues)
            {
                TTarget.FillPresent(destination);
                return;
            }

            switch (encoding)
            {
                case ParquetEncoding.Plain when typeof(TTarget) == typeof(IdTarget):
                    DecodeIds(data, MemoryMarshal.CreateSpan(ref Unsafe.As<T, int>(ref MemoryMarshal.GetReference(destination)), destination.Length));
                    return;
                case ParquetEncoding.Plain when typeof(TTarget) == typeof(StringTarget) && _info.PhysicalType == ParquetPhysicalType.ByteArray && !_plainPoolOff:
                    DecodePooledPlainStrings(data, MemoryMarshal.CreateSpan(ref Unsafe.As<T, string?>(ref MemoryMarshal.GetReference(destination)), destination.Length));
                    return;
                case ParquetEncoding.Plain:
                    DecodePlain(data, destination, destination.Length);
                    return;

                case ParquetEncoding.PlainDictionary:
                case ParquetEncoding.RleDictionary:
                    DecodeDictionaryIndices(data, destination);
                    return;
                case ParquetEncoding.Rle when _info.PhysicalType == ParquetPhysicalType.Boolean:
                {
                    if (data.Length < 4)
                    {
                        throw Fail("the RLE boolean values lack their 4-byte length; the file is corrupt.");
                    }

                    var length = BinaryPrimitives.ReadInt32LittleEndian(data);
                    if (length < 0 || length > data.Length - 4)
                    {
                        throw Fail("the RLE boolean values claim more bytes than the page holds; the file is corrupt.");
                    }

                    DecodeRleBooleans(data.Slice(4, length), destination);
                    return;
                }

                case ParquetEncoding.ByteStreamSplit when FixedWidth(_info.PhysicalType) >= 4:
                {
                    var width = FixedWidth(_info.PhysicalType);
                    var count = destination.Length;
                    if ((long)count * width > data.Length)
                    {
                        throw Short(count);
                    }

                    var joined = _owner.SplitBuffer(count * width);
                    for (var b = 0; b < width; b++)
                    {
                        var stream = data.Slice(b * count, count);
                        for (var i = 0; i < count; i++)
                        {
                            joined[(i * width) + b] = stream[i];
                        }
                    }

                    DecodePlain(joined.AsSpan(0, count * width), destination, count);
                    return;
                }

                case ParquetEncoding.DeltaBinaryPacked when _info.PhysicalType is ParquetPhysicalType.Int32 or ParquetPhysicalType.Int64:
                case ParquetEncoding.DeltaLengthByteArray or ParquetEncoding.DeltaByteArray when _info.PhysicalType == ParquetPhysicalType.ByteArray:
                    try
                    {
                        DecodeDelta(encoding, data, destination);
                    }
                    catch (DeltaFormatException e)
                    {
                        throw Fail(e.Message);
                    }

                    return;

                default:
                    throw Fail($"encoding {ParquetNames.Of(encoding)} is not supported for {ParquetNames.Of(_info.PhysicalType)} values; re-export with PLAIN or dictionary encoding (e.g. pyarrow: use_dictionary=True, column_encoding=None; DuckDB: PARQUET_VERSION V1).");
            }
        }

        private readonly void DecodeDelta(ParquetEncoding encoding, ReadOnlySpan<byte> data, Span<T> destination)
        {
            if (typeof(TTarget) == typeof(IdTarget) && encoding is ParquetEncoding.DeltaLengthByteArray or ParquetEncoding.DeltaByteArray)
            {
                var sink = new IdSink(_owner._idTable!, MemoryMarshal.CreateSpan(ref Unsafe.As<T, int>(ref MemoryMarshal.GetReference(destination)), destination.Length));
                if (encoding == ParquetEncoding.DeltaLengthByteArray)
                {
                    DeltaDecoder.LengthByteArray(data, destination.Length, ref sink, static (ref IdSink s, int i, ReadOnlySpan<byte> v) => s.Destination[i] = s.Table.GetOrAdd(v));
                }
                else
                {
                    DeltaDecoder.ByteArray(data, destination.Length, ref sink, static (ref IdSink s, int i, ReadOnlySpan<byte> v) => s.Destination[i] = s.Table.GetOrAdd(v));
                }

                return;
            }

            if (encoding == ParquetEncoding.DeltaLengthByteArray)
            {
                DeltaDecoder.LengthByteArray(data, destination.Length, ref destination, static (ref Span<T> d, int i, ReadOnlySpan<byte> v) => d[i] = TTarget.FromBytes(v));
                return;
            }

            if (encoding == ParquetEncoding.DeltaByteArray)
            {
                DeltaDecoder.ByteArray(data, destination.Length, ref destination, static (ref Span<T> d, int i, ReadOnlySpan<byte> v) => d[i] = TTarget.FromBytes(v));
                return;
            }

            var values = System.Buffers.ArrayPool<long>.Shared.Rent(Math.Max(destination.Length, 1));
            try
            {
                var decoded = values.AsSpan(0, destination.Length);
                DeltaDecoder.BinaryPacked(data, decoded);
                if (_info.PhysicalType == ParquetPhysicalType.Int64)
                {
                    TTarget.FromInt64(decoded, destination, _info.IsUnsigned);
                    return;
                }

                // INT32 deltas wrap at 32 bits: the low half of the 64-bit sums is the value.
                var narrow = MemoryMarshal.Cast<long, int>(values.AsSpan(0, destination.Length));
                for (var i = 0; i < decoded.Length; i++)
                {
                    narrow[i] = unchecked((int)decoded[i]);
                }

                TTarget.FromInt32(narrow[..destination.Length], destination, _info.IsUnsigned);
            }
            finally
            {
                System.Buffers.ArrayPool<long>.Shared.Return(values);
            }
        }

        private int DecodePlain(ReadOnlySpan<byte> data, Span<T> destination, int count)
        {
            var unsigned = _info.IsUnsigned;
            switch (_info.PhysicalType)
            {
                case ParquetPhysicalType.Int32:
                    Exact(data, count, 4);
                    TTarget.FromInt32(MemoryMarshal.Cast<byte, int>(data[..(count * 4)]), destination, unsigned);
                    return count * 4;
                case ParquetPhysicalType.Int64:
                    Exact(data, count, 8);
                    TTarget.FromInt64(MemoryMarshal.Cast<byte, long>(data[..(count * 8)]), destination, unsigned);
                    return count * 8;
                case ParquetPhysicalType.Float:
                    Exact(data, count, 4);
                    TTarget.FromFloat(MemoryMarshal.Cast<byte, float>(data[..(count * 4)]), destination);
                    return count * 4;
                case ParquetPhysicalType.Double:
                    Exact(data, count, 8);
                    TTarget.FromDouble(MemoryMarshal.Cast<byte, double>(data[..(count * 8)]), destination);
                    return count * 8;
                case ParquetPhysicalType.Boolean:
                {
                    if ((count + 7) / 8 > data.Length)
                    {
                        throw Short(count);
                    }

                    var bits = _owner.Indices();
                    for (var done = 0; done < count; done += bits.Length)
                    {
                        var batch = Math.Min(bits.Length, count - done);
                        for (var i = 0; i < batch; i++)
                        {
                            var at = done + i;
                            bits[i] = (data[at >> 3] >> (at & 7)) & 1;
                        }

                        TTarget.FromBoolean(bits.AsSpan(0, batch), destination.Slice(done, batch));
                    }

                    return (count + 7) / 8;
                }

                default:
                {
                    var target = destination[..count];
                    return PlainByteArrays(data, count, ref target, static (ref Span<T> d, int i, ReadOnlySpan<byte> v) => d[i] = TTarget.FromBytes(v));
                }
            }
        }

        // Dictionary strings come from the reader's pool, so equal entries share one instance across row groups.
        private readonly void DecodePooledStrings(ReadOnlySpan<byte> data, Span<string?> destination)
        {
            var sink = new PooledSink(_owner._stringPool ??= new Utf8StringPool(), destination);
            PlainByteArrays(data, destination.Length, ref sink, static (ref PooledSink s, int i, ReadOnlySpan<byte> v) => s.Destination[i] = s.Pool.Get(v));
        }

        // PLAIN BYTE_ARRAY values (a data page, or a dictionary page's entries) as indices into the reader's id table.
        private readonly void DecodeIds(ReadOnlySpan<byte> data, Span<int> destination)
        {
            var sink = new IdSink(_owner._idTable!, destination);
            PlainByteArrays(data, destination.Length, ref sink, static (ref IdSink s, int i, ReadOnlySpan<byte> v) => s.Destination[i] = s.Table.GetOrAdd(v));
        }

        // Walks count PLAIN BYTE_ARRAY values (each a 4-byte length and its bytes), every length checked against the bytes
        // left in the page, handing each to action; returns the bytes read.
        private readonly int PlainByteArrays<TState>(ReadOnlySpan<byte> data, int count, ref TState state, DeltaDecoder.ValueAction<TState> action)
            where TState : allows ref struct
        {
            var position = 0;
            for (var i = 0; i < count; i++)
            {
                if (data.Length - position < 4)
                {
                    throw Short(count);
                }

                var length = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
                position += 4;
                if (length < 0 || length > data.Length - position)
                {
                    throw Fail(FormattableString.Invariant($"BYTE_ARRAY value {i} claims {length} bytes but {data.Length - position} remain in the page; the file is corrupt."));
                }

                action(ref state, i, data.Slice(position, length));
                position += length;
            }

            Leftover(data.Length, position, count);
            return position;
        }

        // PLAIN strings (DuckDB writes high-cardinality ids this way) also go through the pool while it pays: ids
        // repeat from task to task, so most rows need no allocation. A chunk whose values are mostly new (free
        // text, unique keys) stops pooling after its first 8192 values.
        private void DecodePooledPlainStrings(ReadOnlySpan<byte> data, Span<string?> destination)
        {
            var pool = _owner._stringPool ??= new Utf8StringPool();
            var missesBefore = pool.Misses;
            var position = 0;
            for (var i = 0; i < destination.Length; i++)
            {
                if (data.Length - position < 4)
                {
                    throw Short(destination.Length);
                }

                var length = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
                position += 4;
                if (length < 0 || length > data.Length - position)
                {
                    throw Fail(FormattableString.Invariant($"BYTE_ARRAY value {i} claims {length} bytes but {data.Length - position} remain in the page; the file is corrupt."));
                }

                var value = data.Slice(position, length);
                destination[i] = _plainPoolOff ? StringTarget.FromBytes(value) : pool.Get(value);
                position += length;
                if (!_plainPoolOff && ++_pooledPlainValues % 8192 == 0)
                {
                    _pooledPlainMisses += pool.Misses - missesBefore;
                    missesBefore = pool.Misses;
                    _plainPoolOff = _pooledPlainMisses * 2 > _pooledPlainValues;
                }
            }

            _pooledPlainMisses += pool.Misses - missesBefore;
            Leftover(data.Length, position, destination.Length);
        }

        private readonly void DecodeRleBooleans(ReadOnlySpan<byte> data, Span<T> destination)
        {
            var bits = _owner.Indices();
            var decoder = new RleBitPackedDecoder(data, 1);
            for (var done = 0; done < destination.Length;)
            {
                var batch = Math.Min(bits.Length, destination.Length - done);
                int read;
                try
                {
                    read = decoder.Read(bits.AsSpan(0, batch));
                }
                catch (InvalidDataException e)
                {
                    throw Fail($"the RLE boolean values are malformed: {e.Message}", e);
                }

                if (read != batch)
                {
                    throw Short(destination.Length);
                }

                TTarget.FromBoolean(bits.AsSpan(0, batch), destination.Slice(done, batch));
                done += batch;
            }
        }

        private readonly void DecodeDictionaryIndices(ReadOnlySpan<byte> data, Span<T> destination)
        {
            var dictionary = _dictionary is null
                ? throw Fail("the data page is dictionary-encoded but the column chunk has no dictionary page; the file is corrupt.")
                : _dictionary.AsSpan(0, _dictionaryCount);
            if (destination.IsEmpty)
            {
                return;
            }

            if (data.IsEmpty)
            {
                throw Fail("the dictionary-encoded page lacks its bit-width byte; the file is corrupt.");
            }

            RleBitPackedDecoder decoder;
            try
            {
                decoder = new RleBitPackedDecoder(data[1..], data[0]);
            }
            catch (InvalidDataException e)
            {
                throw Fail($"the dictionary indices are malformed: {e.Message}", e);
            }

            var indices = _owner.Indices();
            for (var done = 0; done < destination.Length;)
            {
                var batch = Math.Min(indices.Length, destination.Length - done);
                int read;
                try
                {
                    read = decoder.Read(indices.AsSpan(0, batch));
                }
                catch (InvalidDataException e)
                {
                    throw Fail($"the dictionary indices are malformed: {e.Message}", e);
                }

                if (read != batch)
                {
                    throw Fail(FormattableString.Invariant($"the dictionary indices end after {done + read} of {destination.Length} values; the file is corrupt."));
                }

                // Hot loop: every index is checked against the dictionary size, so the unchecked element access is safe.
                ref var target = ref MemoryMarshal.GetReference(destination.Slice(done, batch));
                ref var entries = ref MemoryMarshal.GetReference(dictionary);
                ref var index0 = ref MemoryMarshal.GetArrayDataReference(indices);
                var size = (uint)dictionary.Length;
                for (var i = 0; i < batch; i++)
                {
                    var index = Unsafe.Add(ref index0, i);
                    if ((uint)index >= size)
                    {
                        throw Fail(FormattableString.Invariant($"dictionary index {index} is outside the dictionary's {dictionary.Length} entries; the file is corrupt."));
                    }

                    Unsafe.Add(ref target, i) = Unsafe.Add(ref entries, index);
                }

                done += batch;
            }
        }

        private readonly ReadOnlySpan<byte> CheckStored(ReadOnlySpan<byte> data, int size)
        {
            if (size != data.Length)
            {
                throw Fail(FormattableString.Invariant($"the uncompressed page says {size} bytes but stores {data.Length}; the file is corrupt."));
            }

            return data;
        }

        private readonly ReadOnlySpan<byte> Decompress(PageHeaderInfo header, ReadOnlySpan<byte> source, ReadOnlyMemory<byte> sourceMemory, int size, long fixedBound)
        {
            var codec = _chunk.Codec;
            if (codec == CompressionCodec.Uncompressed)
            {
                return CheckStored(source, size);
            }

            // Refuse sizes the compressed bytes cannot produce before allocating for them.
            var limit = Math.Min((source.Length * PageDecompressor.MaxRatio(codec)) + 64, fixedBound);
            if (size < 0 || size > limit)
            {
                throw Fail(FormattableString.Invariant($"the page claims {size} uncompressed bytes, more than its {source.Length} {ParquetNames.Of(codec)} bytes and {header.NumValues} values can hold; the file is corrupt."));
            }

            var buffer = _owner.PageBuffer(size);
            var target = buffer.AsSpan(0, size);
            int written;
            try
            {
                written = PageDecompressor.Decompress(codec, source, sourceMemory, target);
            }
            catch (InvalidDataException e)
            {
                throw Fail($"the {ParquetNames.Of(codec)} page data is corrupt: {e.Message.TrimEnd('.')}. Re-export the file.", e);
            }

            if (written != size)
            {
                throw Fail(FormattableString.Invariant($"the {ParquetNames.Of(codec)} page decompressed to {written} bytes where the header says {size}; the file is corrupt."));
            }

            return target;
        }

        private static int FixedWidth(ParquetPhysicalType type) => type switch
        {
            ParquetPhysicalType.Boolean => 1,
            ParquetPhysicalType.Int32 or ParquetPhysicalType.Float => 4,
            ParquetPhysicalType.Int64 or ParquetPhysicalType.Double => 8,
            _ => 0,
        };

        // The largest uncompressed page a well-formed writer can produce for count values of a fixed-width type,
        // counting dictionary indices (at most 5 bytes each with RLE headers) and definition levels; unbounded for BYTE_ARRAY.
        // DELTA_BINARY_PACKED pads its last miniblock to full size (up to a block of DeltaDecoder.MaxBlockSize values, 8 bytes
        // each at 64 bits), so a page of 5 small integers can hold hundreds of bytes (DuckDB's V2 pages, arrow-rs without a
        // dictionary): refused as corrupt until the padding counted.
        private static long FixedBound(int width, int count, int levelCount, ParquetEncoding encoding = ParquetEncoding.Plain) =>
            width == 0 ? long.MaxValue
            : 64 + ((long)count * Math.Max(width, 5)) + (2L * levelCount)
                + (encoding == ParquetEncoding.DeltaBinaryPacked ? 64 + (9L * DeltaDecoder.MaxBlockSize) : 0);

        // PLAIN values fill their page exactly; spare bytes mean the page holds more than the schema says it does.
        private readonly void Exact(ReadOnlySpan<byte> data, int count, int width)
        {
            if ((long)count * width > data.Length)
            {
                throw Short(count);
            }

            Leftover(data.Length, (long)count * width, count);
        }

        private readonly void Leftover(long length, long used, int count)
        {
            if (used != length)
            {
                throw Fail(FormattableString.Invariant($"the page's {count} PLAIN values take {used} bytes but it holds {length}; its values and the schema disagree (e.g. a column the footer calls REQUIRED whose pages carry definition levels). The file is corrupt."));
            }
        }

        private readonly ForgettingDataException Short(int count) =>
            Fail(FormattableString.Invariant($"the page holds fewer than the {count} values its header claims; the file is corrupt."));

        private readonly ForgettingDataException Fail(string detail, Exception? inner = null) =>
            _owner.Fail(detail, _info.Name, Location, inner);
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using ForgetPredict.Data.Compression;
using ZstdSharp;

namespace ForgetPredict.Data.Parquet;

// File layout written: "PAR1", then per row group and column one column chunk ([dictionary page] data pages...),
// then the Thrift compact FileMetaData, its 4-byte length and "PAR1". The stream is written front to back and never
// sought, so any writable stream works (the caller owns temp-file-and-rename). Encodings: PLAIN for numbers and
// booleans, PLAIN dictionary page + RLE_DICTIONARY indices for strings unless the dictionary outgrows its limit,
// RLE/bit-packed definition levels for optional columns. Statistics follow the current spec: min_value/max_value
// with TYPE_ORDER column orders (NaN excluded; signed comparison for integers, unsigned bytes for strings).

/// <summary>Writes a flat Parquet file (DOUBLE, FLOAT, INT32, INT64, BOOLEAN and STRING columns, required or optional)
/// to a stream, row group by row group.</summary>
/// <remarks>
/// <para>Create the writer with the schema, call <see cref="WriteRows"/> (or <see cref="WriteRowGroup"/>) any number of
/// times, then <see cref="Complete"/>; <see cref="Dispose"/> completes the file too unless a write failed, in which case
/// the output is left without a footer (and is not a valid Parquet file).</para>
/// <threadsafety>Instances are not thread-safe.</threadsafety>
/// </remarks>
public sealed class ParquetWriter : IDisposable
{
    private static readonly byte[] s_magic = "PAR1"u8.ToArray();

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly ParquetColumnSpec[] _columns;
    private readonly ParquetWriteOptions _options;
    private readonly List<RowGroupRecord> _rowGroups = [];
    private readonly ByteBuffer _page = new(1 << 16);
    private readonly ByteBuffer _values = new(1 << 16);
    private readonly ByteBuffer _compressed = new(1 << 16);
    private readonly ThriftCompactWriter _thrift = new();
    private readonly Crc32 _crc = new();
    private readonly MemoryStream _gzipBuffer = new();
    private Compressor? _zstd;
    private long _position;
    private long _rowCount;
    private bool _completed;
    private bool _failed;
    private bool _disposed;

    private ParquetWriter(Stream stream, ParquetColumnSpec[] columns, ParquetWriteOptions options, bool leaveOpen)
    {
        _stream = stream;
        _columns = columns;
        _options = options;
        _leaveOpen = leaveOpen;
        WriteRaw(s_magic);
    }

    /// <summary>The columns being written, in order.</summary>
    public IReadOnlyList<ParquetColumnSpec> Columns => _columns;

    /// <summary>Rows written so far.</summary>
    public long RowCount => _rowCount;

    /// <summary>Starts a Parquet file on <paramref name="destination"/> with the given columns; writes the leading magic.</summary>
    /// <param name="destination">A writable stream; it need not be seekable.</param>
    /// <param name="columns">The schema: at least one column, unique non-empty names.</param>
    /// <param name="options">Options, or null for <see cref="ParquetWriteOptions.Default"/>.</param>
    /// <param name="leaveOpen">True to leave <paramref name="destination"/> open on dispose.</param>
    /// <exception cref="ArgumentException">The schema is empty, has duplicate or empty names, or the stream is not writable.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static ParquetWriter Create(Stream destination, IReadOnlyList<ParquetColumnSpec> columns, ParquetWriteOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(columns);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream is not writable.", nameof(destination));
        }

        options ??= ParquetWriteOptions.Default;
        options.Validate();
        if (columns.Count == 0)
        {
            throw new ArgumentException("A Parquet file needs at least one column.", nameof(columns));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            ArgumentNullException.ThrowIfNull(column, nameof(columns));
            if (string.IsNullOrEmpty(column.Name))
            {
                throw new ArgumentException("Column names must not be empty.", nameof(columns));
            }

            if (!Enum.IsDefined(column.Type))
            {
                throw new ArgumentException($"Column '{column.Name}' has unknown type {column.Type}.", nameof(columns));
            }

            if (!names.Add(column.Name))
            {
                throw new ArgumentException($"Column name '{column.Name}' appears twice; Parquet readers address columns by name.", nameof(columns));
            }
        }

        return new ParquetWriter(destination, [.. columns], options, leaveOpen);
    }

    /// <summary>Writes rows given column by column, cutting them into row groups of at most
    /// <see cref="ParquetWriteOptions.RowGroupRowCount"/> rows; zero rows write nothing.</summary>
    /// <param name="columns">One entry per schema column, in schema order, all of the same length.</param>
    /// <exception cref="ArgumentException">The data does not match the schema (count, type, length, or a null in a required column).</exception>
    public void WriteRows(IReadOnlyList<ParquetColumnData> columns)
    {
        var rows = Validate(columns);
        for (var start = 0; start < rows; start += _options.RowGroupRowCount)
        {
            WriteGroup(columns, start, Math.Min(_options.RowGroupRowCount, rows - start));
        }
    }

    /// <summary>Writes all the given rows as exactly one row group, whatever <see cref="ParquetWriteOptions.RowGroupRowCount"/> says.</summary>
    /// <param name="columns">One entry per schema column, in schema order, all of the same length (at least one row).</param>
    /// <exception cref="ArgumentException">The data does not match the schema, or has no rows.</exception>
    public void WriteRowGroup(IReadOnlyList<ParquetColumnData> columns)
    {
        var rows = Validate(columns);
        if (rows == 0)
        {
            throw new ArgumentException("A row group needs at least one row.", nameof(columns));
        }

        WriteGroup(columns, 0, rows);
    }

    /// <summary>Writes the footer and the trailing magic; the stream then holds a complete Parquet file. Idempotent.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            return;
        }

        Guard(() =>
        {
            var footer = BuildFooter();
            WriteRaw(footer);
            Span<byte> tail = stackalloc byte[8];
            BinaryPrimitives.WriteInt32LittleEndian(tail, footer.Length);
            s_magic.CopyTo(tail[4..]);
            WriteRaw(tail);
            _stream.Flush();
        });
        _completed = true;
    }

    /// <summary>Completes the file (unless a write failed) and closes the stream unless <c>leaveOpen</c> was set.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            if (!_failed && !_completed)
            {
                Complete();
            }
        }
        finally
        {
            _disposed = true;
            _gzipBuffer.Dispose();
            _zstd?.Dispose();
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    private int Validate(IReadOnlyList<ParquetColumnData> columns)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(columns);
        if (_completed)
        {
            throw new InvalidOperationException("The file is complete; no more rows can be written.");
        }

        if (_failed)
        {
            throw new InvalidOperationException("An earlier write failed; the output is incomplete.");
        }

        if (columns.Count != _columns.Length)
        {
            throw new ArgumentException($"Got {columns.Count} columns of data for a schema of {_columns.Length}.", nameof(columns));
        }

        var rows = columns[0]?.Length ?? 0;
        for (var c = 0; c < _columns.Length; c++)
        {
            var data = columns[c] ?? throw new ArgumentException($"Data for column '{_columns[c].Name}' is null.", nameof(columns));
            var spec = _columns[c];
            if (data.Type != spec.Type)
            {
                throw new ArgumentException($"Column '{spec.Name}' is {spec.Type} but its data is {data.Type}.", nameof(columns));
            }

            if (data.Length != rows)
            {
                throw new ArgumentException($"Column '{spec.Name}' has {data.Length} rows where '{_columns[0].Name}' has {rows}.", nameof(columns));
            }

            if (!spec.IsNullable)
            {
                for (var i = 0; i < rows; i++)
                {
                    if (data.IsNullAt(i))
                    {
                        throw new ArgumentException($"Column '{spec.Name}' is required (not nullable) but row {i} is null.", nameof(columns));
                    }
                }
            }
        }

        return rows;
    }

    private void WriteGroup(IReadOnlyList<ParquetColumnData> columns, int start, int count)
    {
        Guard(() =>
        {
            var groupStart = _position;
            var chunks = new ChunkRecord[_columns.Length];
            for (var c = 0; c < _columns.Length; c++)
            {
                chunks[c] = WriteChunk(_columns[c], columns[c], start, count);
            }

            _rowGroups.Add(new RowGroupRecord(count, groupStart, chunks));
            _rowCount += count;
        });
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    private ChunkRecord WriteChunk(ParquetColumnSpec spec, ParquetColumnData data, int start, int count)
    {
        var chunk = new ChunkRecord { Type = PhysicalType(spec.Type), NumValues = count };
        var levels = new int[count];
        var nonNull = 0;
        for (var i = 0; i < count; i++)
        {
            var present = data.IsNullAt(start + i) ? 0 : 1;
            levels[i] = present;
            nonNull += present;
        }

        chunk.NullCount = count - nonNull;
        var stats = _options.WriteStatistics ? new StatisticsBuilder(spec.Type) : null;

        // Strings: try a dictionary first.
        string[]? dictionary = null;
        int[]? indices = null;
        if (spec.Type == ParquetValueType.String && _options.UseDictionaryForStrings && nonNull > 0)
        {
            (dictionary, indices) = BuildDictionary(data.Strings.Span.Slice(start, count), nonNull);
        }

        var chunkStart = _position;
        if (dictionary is not null)
        {
            chunk.DictionaryPageOffset = chunkStart;
            _values.Clear();
            foreach (var entry in dictionary)
            {
                AppendByteArray(entry, _values);
                stats?.AddString(entry);
            }

            WriteDictionaryPage(dictionary.Length, ref chunk);
            chunk.Encoding = ParquetEncoding.RleDictionary;
        }
        else
        {
            chunk.Encoding = ParquetEncoding.Plain;
        }

        chunk.DataPageOffset = _position;
        var pageStart = 0;
        var valueCursor = 0; // index into indices (non-null values before pageStart)
        while (pageStart < count)
        {
            var pageEnd = PageEnd(spec.Type, data, start, pageStart, count, dictionary is not null);
            var pageRows = pageEnd - pageStart;
            var pageLevels = levels.AsSpan(pageStart, pageRows);
            var pageNonNull = 0;
            foreach (var level in pageLevels)
            {
                pageNonNull += level;
            }

            _values.Clear();
            if (dictionary is not null)
            {
                var pageIndices = indices.AsSpan(valueCursor, pageNonNull);
                var maxIndex = dictionary.Length - 1;
                var bitWidth = RleBitPackedEncoder.BitWidth(maxIndex);
                _values.WriteByte((byte)bitWidth);
                RleBitPackedEncoder.Encode(pageIndices, bitWidth, _values);
            }
            else
            {
                EncodePlain(spec.Type, data, start + pageStart, pageRows, pageLevels, stats);
            }

            valueCursor += pageNonNull;
            WriteDataPage(spec.IsNullable, pageLevels, pageRows, pageRows - pageNonNull, ref chunk);
            pageStart = pageEnd;
        }

        if (stats is not null)
        {
            (chunk.Min, chunk.Max) = stats.Result();
        }

        chunk.TotalCompressedSize = _position - chunkStart;
        chunk.HasStatistics = stats is not null;
        return chunk;
    }

    private (string[]? Dictionary, int[] Indices) BuildDictionary(ReadOnlySpan<string?> values, int nonNull)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        var entries = new List<string>();
        var indices = new int[nonNull];
        long bytes = 0;
        var k = 0;
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            if (!map.TryGetValue(value, out var index))
            {
                bytes += 4 + Encoding.UTF8.GetByteCount(value);
                if (bytes > _options.DictionaryPageSizeLimit)
                {
                    return (null, []);
                }

                index = entries.Count;
                map.Add(value, index);
                entries.Add(value);
            }

            indices[k++] = index;
        }

        return ([.. entries], indices);
    }

    private int PageEnd(ParquetValueType type, ParquetColumnData data, int start, int pageStart, int count, bool dictionary)
    {
        var target = _options.DataPageSize;
        if (type != ParquetValueType.String || dictionary)
        {
            var width = type switch
            {
                ParquetValueType.Double or ParquetValueType.Int64 => 8,
                ParquetValueType.Boolean => 1,
                _ => 4,
            };
            return (int)Math.Min(count, pageStart + Math.Max(1L, target / width));
        }

        var strings = data.Strings.Span;
        long bytes = 0;
        var end = pageStart;
        while (end < count && (end == pageStart || bytes < target))
        {
            var value = strings[start + end];
            bytes += value is null ? 0 : 4 + Encoding.UTF8.GetByteCount(value);
            end++;
        }

        return end;
    }

    private void EncodePlain(ParquetValueType type, ParquetColumnData data, int from, int rows, ReadOnlySpan<int> levels, StatisticsBuilder? stats)
    {
        var allPresent = !levels.Contains(0);
        switch (type)
        {
            case ParquetValueType.Double:
                AppendFixed(data.Doubles.Span.Slice(from, rows), levels, allPresent);
                stats?.AddDoubles(data.Doubles.Span.Slice(from, rows), levels);
                break;
            case ParquetValueType.Float:
                AppendFixed(data.Floats.Span.Slice(from, rows), levels, allPresent);
                stats?.AddFloats(data.Floats.Span.Slice(from, rows), levels);
                break;
            case ParquetValueType.Int32:
                AppendFixed(data.Int32s.Span.Slice(from, rows), levels, allPresent);
                stats?.AddInt32s(data.Int32s.Span.Slice(from, rows), levels);
                break;
            case ParquetValueType.Int64:
                AppendFixed(data.Int64s.Span.Slice(from, rows), levels, allPresent);
                stats?.AddInt64s(data.Int64s.Span.Slice(from, rows), levels);
                break;
            case ParquetValueType.Boolean:
            {
                var values = data.Booleans.Span.Slice(from, rows);
                var span = _values.GetSpan((rows + 7) / 8);
                span.Clear();
                var bit = 0;
                for (var i = 0; i < rows; i++)
                {
                    if (levels[i] == 0)
                    {
                        continue;
                    }

                    if (values[i])
                    {
                        span[bit >> 3] |= (byte)(1 << (bit & 7));
                    }

                    stats?.AddBoolean(values[i]);
                    bit++;
                }

                _values.Advance((bit + 7) / 8);
                break;
            }

            default:
            {
                var values = data.Strings.Span.Slice(from, rows);
                foreach (var value in values)
                {
                    if (value is not null)
                    {
                        AppendByteArray(value, _values);
                        stats?.AddString(value);
                    }
                }

                break;
            }
        }
    }

    private void AppendFixed<T>(ReadOnlySpan<T> values, ReadOnlySpan<int> levels, bool allPresent)
        where T : unmanaged
    {
        if (allPresent)
        {
            _values.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (levels[i] != 0)
            {
                _values.Write(MemoryMarshal.AsBytes(values.Slice(i, 1)));
            }
        }
    }

    private static void AppendByteArray(string value, ByteBuffer output)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        var span = output.GetSpan(4 + length);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        Encoding.UTF8.GetBytes(value, span[4..]);
        output.Advance(4 + length);
    }

    private void WriteDictionaryPage(int count, ref ChunkRecord chunk)
    {
        var uncompressed = _values.WrittenSpan;
        var compressed = Compress(uncompressed);
        _thrift.Clear();
        short id = 0;
        _thrift.WriteI32Field(ref id, 1, (int)PageType.DictionaryPage);
        _thrift.WriteI32Field(ref id, 2, uncompressed.Length);
        _thrift.WriteI32Field(ref id, 3, compressed.Length);
        _thrift.WriteI32Field(ref id, 4, unchecked((int)Crc32.HashToUInt32(compressed)));
        _thrift.WriteStructFieldHeader(ref id, 7);
        short inner = 0;
        _thrift.WriteI32Field(ref inner, 1, count);
        _thrift.WriteI32Field(ref inner, 2, (int)ParquetEncoding.Plain);
        _thrift.WriteStop();
        _thrift.WriteStop();
        chunk.TotalUncompressedSize += _thrift.WrittenSpan.Length + uncompressed.Length;
        WriteRaw(_thrift.WrittenSpan);
        WriteRaw(compressed);
    }

    private void WriteDataPage(bool nullable, ReadOnlySpan<int> levels, int rows, int nulls, ref ChunkRecord chunk)
    {
        _thrift.Clear();
        short id = 0;
        ReadOnlySpan<byte> body;
        int uncompressedSize;
        if (_options.DataPageVersion == ParquetDataPageVersion.V1)
        {
            _page.Clear();
            if (nullable)
            {
                _page.WriteInt32(0);
                RleBitPackedEncoder.Encode(levels, 1, _page);
                _page.SetInt32(0, _page.Length - 4);
            }

            _page.Write(_values.WrittenSpan);
            uncompressedSize = _page.Length;
            body = Compress(_page.WrittenSpan);
            _thrift.WriteI32Field(ref id, 1, (int)PageType.DataPage);
            _thrift.WriteI32Field(ref id, 2, uncompressedSize);
            _thrift.WriteI32Field(ref id, 3, body.Length);
            _thrift.WriteI32Field(ref id, 4, unchecked((int)Crc32.HashToUInt32(body)));
            _thrift.WriteStructFieldHeader(ref id, 5);
            short inner = 0;
            _thrift.WriteI32Field(ref inner, 1, rows);
            _thrift.WriteI32Field(ref inner, 2, (int)chunk.Encoding);
            _thrift.WriteI32Field(ref inner, 3, (int)ParquetEncoding.Rle);
            _thrift.WriteI32Field(ref inner, 4, (int)ParquetEncoding.Rle);
            _thrift.WriteStop();
            _thrift.WriteStop();
            chunk.TotalUncompressedSize += _thrift.WrittenSpan.Length + uncompressedSize;
            WriteRaw(_thrift.WrittenSpan);
            WriteRaw(body);
            return;
        }

        _page.Clear();
        if (nullable)
        {
            RleBitPackedEncoder.Encode(levels, 1, _page);
        }

        var levelLength = _page.Length;
        var compress = _options.Codec != ParquetCodec.Uncompressed;
        var values = compress ? Compress(_values.WrittenSpan) : _values.WrittenSpan;
        uncompressedSize = levelLength + _values.Length;
        _thrift.WriteI32Field(ref id, 1, (int)PageType.DataPageV2);
        _thrift.WriteI32Field(ref id, 2, uncompressedSize);
        _thrift.WriteI32Field(ref id, 3, levelLength + values.Length);
        _thrift.WriteI32Field(ref id, 4, unchecked((int)PageCrc(_page.WrittenSpan, values)));
        _thrift.WriteStructFieldHeader(ref id, 8);
        short v2 = 0;
        _thrift.WriteI32Field(ref v2, 1, rows);
        _thrift.WriteI32Field(ref v2, 2, nulls);
        _thrift.WriteI32Field(ref v2, 3, rows);
        _thrift.WriteI32Field(ref v2, 4, (int)chunk.Encoding);
        _thrift.WriteI32Field(ref v2, 5, levelLength);
        _thrift.WriteI32Field(ref v2, 6, 0);
        _thrift.WriteBoolField(ref v2, 7, compress);
        _thrift.WriteStop();
        _thrift.WriteStop();
        chunk.TotalUncompressedSize += _thrift.WrittenSpan.Length + uncompressedSize;
        WriteRaw(_thrift.WrittenSpan);
        WriteRaw(_page.WrittenSpan);
        WriteRaw(values);
    }

    // The page CRC (parquet.thrift PageHeader.crc) covers the page's bytes as stored after its header: for a v2 page
    // the levels and then the (compressed) values.
    private uint PageCrc(ReadOnlySpan<byte> levels, ReadOnlySpan<byte> values)
    {
        _crc.Reset();
        _crc.Append(levels);
        _crc.Append(values);
        return _crc.GetCurrentHashAsUInt32();
    }

    private ReadOnlySpan<byte> Compress(ReadOnlySpan<byte> data)
    {
        switch (_options.Codec)
        {
            case ParquetCodec.Snappy:
            {
                _compressed.Clear();
                var span = _compressed.GetSpan(Snappy.GetMaxCompressedLength(data.Length));
                var length = Snappy.Compress(data, span);
                return span[..length];
            }

            case ParquetCodec.Gzip:
            {
                _gzipBuffer.SetLength(0);
                using (var gzip = new GZipStream(_gzipBuffer, _options.GzipLevel, leaveOpen: true))
                {
                    gzip.Write(data);
                }

                return _gzipBuffer.GetBuffer().AsSpan(0, (int)_gzipBuffer.Length);
            }

            case ParquetCodec.Zstd:
            {
                _zstd ??= new Compressor(_options.ZstdLevel);
                _compressed.Clear();
                var span = _compressed.GetSpan(Compressor.GetCompressBound(data.Length));
                return span[.._zstd.Wrap(data, span)];
            }

            default:
                return data;
        }
    }

    private void WriteRaw(ReadOnlySpan<byte> data)
    {
        _stream.Write(data);
        _position += data.Length;
    }

    private static ParquetPhysicalType PhysicalType(ParquetValueType type) => type switch
    {
        ParquetValueType.Double => ParquetPhysicalType.Double,
        ParquetValueType.Float => ParquetPhysicalType.Float,
        ParquetValueType.Int32 => ParquetPhysicalType.Int32,
        ParquetValueType.Int64 => ParquetPhysicalType.Int64,
        ParquetValueType.Boolean => ParquetPhysicalType.Boolean,
        _ => ParquetPhysicalType.ByteArray,
    };

    private CompressionCodec Codec => _options.Codec switch
    {
        ParquetCodec.Snappy => CompressionCodec.Snappy,
        ParquetCodec.Gzip => CompressionCodec.Gzip,
        ParquetCodec.Zstd => CompressionCodec.Zstd,
        _ => CompressionCodec.Uncompressed,
    };

    private byte[] BuildFooter()
    {
        var w = _thrift;
        w.Clear();
        short id = 0;
        w.WriteI32Field(ref id, 1, 2);
        w.WriteListFieldHeader(ref id, 2, ThriftType.Struct, _columns.Length + 1);
        short s = 0;
        w.WriteStringField(ref s, 4, "schema");
        w.WriteI32Field(ref s, 5, _columns.Length);
        w.WriteStop();
        foreach (var column in _columns)
        {
            s = 0;
            w.WriteI32Field(ref s, 1, (int)PhysicalType(column.Type));
            w.WriteI32Field(ref s, 3, (int)(column.IsNullable ? Repetition.Optional : Repetition.Required));
            w.WriteStringField(ref s, 4, column.Name);
            if (column.Type == ParquetValueType.String)
            {
                w.WriteI32Field(ref s, 6, (int)ConvertedType.Utf8);
                w.WriteStructFieldHeader(ref s, 10);
                short logical = 0;
                w.WriteStructFieldHeader(ref logical, 1);
                w.WriteStop();
                w.WriteStop();
            }

            w.WriteStop();
        }

        w.WriteI64Field(ref id, 3, _rowCount);
        w.WriteListFieldHeader(ref id, 4, ThriftType.Struct, _rowGroups.Count);
        for (var g = 0; g < _rowGroups.Count; g++)
        {
            var group = _rowGroups[g];
            short r = 0;
            w.WriteListFieldHeader(ref r, 1, ThriftType.Struct, group.Columns.Length);
            long uncompressed = 0;
            long compressed = 0;
            for (var c = 0; c < group.Columns.Length; c++)
            {
                var chunk = group.Columns[c];
                uncompressed += chunk.TotalUncompressedSize;
                compressed += chunk.TotalCompressedSize;
                WriteColumnChunk(w, _columns[c], chunk);
            }

            w.WriteI64Field(ref r, 2, uncompressed);
            w.WriteI64Field(ref r, 3, group.NumRows);
            w.WriteI64Field(ref r, 5, group.FileOffset);
            w.WriteI64Field(ref r, 6, compressed);
            w.WriteFieldHeader(ref r, 7, ThriftType.I16);
            w.WriteI32(g);
            w.WriteStop();
        }

        w.WriteStringField(ref id, 6, _options.CreatedBy);
        w.WriteListFieldHeader(ref id, 7, ThriftType.Struct, _columns.Length);
        for (var c = 0; c < _columns.Length; c++)
        {
            short order = 0;
            w.WriteStructFieldHeader(ref order, 1);
            w.WriteStop();
            w.WriteStop();
        }

        w.WriteStop();
        return w.WrittenSpan.ToArray();
    }

    private void WriteColumnChunk(ThriftCompactWriter w, ParquetColumnSpec column, ChunkRecord chunk)
    {
        short c = 0;
        w.WriteI64Field(ref c, 2, chunk.DictionaryPageOffset ?? chunk.DataPageOffset);
        w.WriteStructFieldHeader(ref c, 3);
        short m = 0;
        w.WriteI32Field(ref m, 1, (int)chunk.Type);
        var encodings = chunk.Encoding == ParquetEncoding.RleDictionary
            ? new[] { ParquetEncoding.Plain, ParquetEncoding.Rle, ParquetEncoding.RleDictionary }
            : [ParquetEncoding.Plain, ParquetEncoding.Rle];
        w.WriteListFieldHeader(ref m, 2, ThriftType.I32, encodings.Length);
        foreach (var encoding in encodings)
        {
            w.WriteI32((int)encoding);
        }

        w.WriteListFieldHeader(ref m, 3, ThriftType.Binary, 1);
        w.WriteString(column.Name);
        w.WriteI32Field(ref m, 4, (int)Codec);
        w.WriteI64Field(ref m, 5, chunk.NumValues);
        w.WriteI64Field(ref m, 6, chunk.TotalUncompressedSize);
        w.WriteI64Field(ref m, 7, chunk.TotalCompressedSize);
        w.WriteI64Field(ref m, 9, chunk.DataPageOffset);
        if (chunk.DictionaryPageOffset is { } dictionaryOffset)
        {
            w.WriteI64Field(ref m, 11, dictionaryOffset);
        }

        if (chunk.HasStatistics)
        {
            w.WriteStructFieldHeader(ref m, 12);
            short st = 0;
            w.WriteI64Field(ref st, 3, chunk.NullCount);
            if (chunk.Max is not null && chunk.Min is not null)
            {
                w.WriteBinaryField(ref st, 5, chunk.Max);
                w.WriteBinaryField(ref st, 6, chunk.Min);
            }

            w.WriteStop();
        }

        w.WriteStop();
        w.WriteStop();
    }

    private struct ChunkRecord
    {
        public ParquetPhysicalType Type;
        public ParquetEncoding Encoding;
        public long NumValues;
        public long NullCount;
        public long DataPageOffset;
        public long? DictionaryPageOffset;
        public long TotalCompressedSize;
        public long TotalUncompressedSize;
        public bool HasStatistics;
        public byte[]? Min;
        public byte[]? Max;
    }

    private sealed record RowGroupRecord(long NumRows, long FileOffset, ChunkRecord[] Columns);
}

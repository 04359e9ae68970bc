namespace ForgetPredict.Data.Parquet;

// The subset of parquet.thrift the codec understands, decoded straight from the compact protocol. Field numbers are
// the format's (https://github.com/apache/parquet-format/blob/master/src/main/thrift/parquet.thrift). Unknown fields
// are skipped, so newer writers' additions (size statistics, geospatial stats, bloom filters...) cost nothing.
// Column chunks are value types with no strings: a wide file's footer holds one per column per row group, and
// parsing 140k of them must not allocate 140k objects or path strings (the path is checked by its length only;
// the schema order says which leaf a chunk belongs to).

/// <summary>One parquet.thrift <c>SchemaElement</c> (a struct: wide files have one per column, so no object each).</summary>
internal struct SchemaNode
{
    public string Name;
    public ParquetPhysicalType? Type;
    public int TypeLength;
    public Repetition? Repetition;
    public int NumChildren;
    public ConvertedType? Converted;

    /// <summary>The <c>LogicalType</c> union's field id (1 STRING, 2 MAP, 3 LIST, 4 ENUM, 5 DECIMAL, 6 DATE, 7 TIME, 8 TIMESTAMP, 10 INTEGER, ...), 0 when absent.</summary>
    public int LogicalKind;
    public int IntBitWidth;
    public bool IntUnsigned;
    public int Scale;
    public int Precision;
    public string? TimeUnit;
    public bool AdjustedToUtc;
}

/// <summary>The parts of one <c>ColumnChunk</c>/<c>ColumnMetaData</c> a reader needs.</summary>
internal struct ColumnChunkMeta
{
    public ParquetPhysicalType Type;
    public CompressionCodec Codec;
    public long NumValues;
    public long TotalCompressedSize;
    public long TotalUncompressedSize;
    public long DataPageOffset;
    public long DictionaryPageOffset;
    public bool HasDictionaryPageOffset;
    public int PathLength;
    public bool HasFilePath;
    public bool HasMetaData;
    public bool IsEncrypted;
}

/// <summary>One <c>RowGroup</c>.</summary>
internal sealed class RowGroupMeta
{
    public long NumRows { get; set; }

    public ColumnChunkMeta[] Columns { get; set; } = [];
}

/// <summary>The decoded <c>FileMetaData</c>.</summary>
internal sealed class FileMeta
{
    public int Version { get; set; }

    public SchemaNode[] Schema { get; set; } = [];

    public long NumRows { get; set; }

    public RowGroupMeta[] RowGroups { get; set; } = [];

    public string? CreatedBy { get; set; }

    public bool IsEncrypted { get; set; }

    /// <summary>The footer's key_value_metadata (e.g. pyarrow's "pandas" entry: the frame's index columns), in file order.</summary>
    public (string Key, string? Value)[] KeyValues { get; set; } = [];
}

/// <summary>The decoded <c>PageHeader</c> with its data, dictionary or v2 header folded in.</summary>
internal struct PageHeaderInfo
{
    public PageType Type;
    public int UncompressedSize;
    public int CompressedSize;
    public int NumValues;
    public ParquetEncoding Encoding;
    public ParquetEncoding DefinitionLevelEncoding;
    public ParquetEncoding RepetitionLevelEncoding;
    public int NumNulls;
    public int NumRows;
    public int DefinitionLevelsLength;
    public int RepetitionLevelsLength;
    public bool IsCompressed;
    public bool HasTypeHeader;
    public bool HasCrc;
    public uint Crc;
}

/// <summary>Decodes Parquet metadata structures with <see cref="ThriftCompactReader"/>; throws InvalidDataException on malformed input.</summary>
internal static class ParquetMetadataDecoder
{
    public static FileMeta ReadFileMetaData(ReadOnlySpan<byte> data)
    {
        var reader = new ThriftCompactReader(data);
        var meta = new FileMeta();
        var sawSchema = false;
        var sawRowGroups = false;
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when IsInt(type):
                    meta.Version = reader.ReadInt(type);
                    break;
                case 2 when type == ThriftType.List:
                {
                    reader.ReadListHeader(out var elementType, out var count);
                    RequireStructElements(elementType, "schema");
                    var schema = new SchemaNode[count];
                    for (var i = 0; i < count; i++)
                    {
                        ReadSchemaElement(ref reader, ref schema[i]);
                    }

                    meta.Schema = schema;
                    sawSchema = true;
                    break;
                }

                case 3 when IsInt(type):
                    meta.NumRows = reader.ReadLong(type);
                    break;
                case 4 when type == ThriftType.List:
                {
                    reader.ReadListHeader(out var elementType, out var count);
                    RequireStructElements(elementType, "row_groups");
                    var groups = new RowGroupMeta[count];
                    for (var i = 0; i < count; i++)
                    {
                        groups[i] = ReadRowGroup(ref reader);
                    }

                    meta.RowGroups = groups;
                    sawRowGroups = true;
                    break;
                }

                case 5 when type == ThriftType.List:
                {
                    reader.ReadListHeader(out var elementType, out var count);
                    RequireStructElements(elementType, "key_value_metadata");
                    var pairs = new (string, string?)[count];
                    for (var i = 0; i < count; i++)
                    {
                        pairs[i] = ReadKeyValue(ref reader);
                    }

                    meta.KeyValues = pairs;
                    break;
                }

                case 6 when type == ThriftType.Binary:
                    meta.CreatedBy = reader.ReadString();
                    break;
                case 8 when type == ThriftType.Struct:
                    meta.IsEncrypted = true;
                    reader.Skip(type);
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
        if (!sawSchema || !sawRowGroups)
        {
            throw new InvalidDataException(sawSchema ? "FileMetaData has no row_groups field." : "FileMetaData has no schema field.");
        }

        return meta;
    }

    public static PageHeaderInfo ReadPageHeader(ReadOnlySpan<byte> data, out int headerLength)
    {
        var reader = new ThriftCompactReader(data);
        var page = new PageHeaderInfo { Type = (PageType)(-1), IsCompressed = true, CompressedSize = -1, UncompressedSize = -1 };
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when IsInt(type):
                    page.Type = (PageType)reader.ReadInt(type);
                    break;
                case 2 when IsInt(type):
                    page.UncompressedSize = reader.ReadInt(type);
                    break;
                case 3 when IsInt(type):
                    page.CompressedSize = reader.ReadInt(type);
                    break;
                case 4 when IsInt(type):
                    page.Crc = unchecked((uint)reader.ReadInt(type));
                    page.HasCrc = true;
                    break;
                case 5 when type == ThriftType.Struct:
                    ReadDataPageHeader(ref reader, ref page);
                    break;
                case 7 when type == ThriftType.Struct:
                    ReadDictionaryPageHeader(ref reader, ref page);
                    break;
                case 8 when type == ThriftType.Struct:
                    ReadDataPageHeaderV2(ref reader, ref page);
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
        headerLength = reader.Position;
        if (page.CompressedSize < 0 || page.UncompressedSize < 0)
        {
            throw new InvalidDataException("page header lacks a valid compressed_page_size or uncompressed_page_size.");
        }

        return page;
    }

    private static void ReadDataPageHeader(ref ThriftCompactReader reader, ref PageHeaderInfo page)
    {
        page.HasTypeHeader = true;
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when IsInt(type):
                    page.NumValues = reader.ReadInt(type);
                    break;
                case 2 when IsInt(type):
                    page.Encoding = (ParquetEncoding)reader.ReadInt(type);
                    break;
                case 3 when IsInt(type):
                    page.DefinitionLevelEncoding = (ParquetEncoding)reader.ReadInt(type);
                    break;
                case 4 when IsInt(type):
                    page.RepetitionLevelEncoding = (ParquetEncoding)reader.ReadInt(type);
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
    }

    private static void ReadDictionaryPageHeader(ref ThriftCompactReader reader, ref PageHeaderInfo page)
    {
        page.HasTypeHeader = true;
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when IsInt(type):
                    page.NumValues = reader.ReadInt(type);
                    break;
                case 2 when IsInt(type):
                    page.Encoding = (ParquetEncoding)reader.ReadInt(type);
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
    }

    private static void ReadDataPageHeaderV2(ref ThriftCompactReader reader, ref PageHeaderInfo page)
    {
        page.HasTypeHeader = true;
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when IsInt(type):
                    page.NumValues = reader.ReadInt(type);
                    break;
                case 2 when IsInt(type):
                    page.NumNulls = reader.ReadInt(type);
                    break;
                case 3 when IsInt(type):
                    page.NumRows = reader.ReadInt(type);
                    break;
                case 4 when IsInt(type):
                    page.Encoding = (ParquetEncoding)reader.ReadInt(type);
                    break;
                case 5 when IsInt(type):
                    page.DefinitionLevelsLength = reader.ReadInt(type);
                    break;
                case 6 when IsInt(type):
                    page.RepetitionLevelsLength = reader.ReadInt(type);
                    break;
                case 7 when type is ThriftType.BooleanTrue or ThriftType.BooleanFalse:
                    page.IsCompressed = ThriftCompactReader.ReadBool(type);
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
    }

    private static void ReadSchemaElement(ref ThriftCompactReader reader, ref SchemaNode node)
    {
        node.Name = "";
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when IsInt(type):
                    node.Type = (ParquetPhysicalType)reader.ReadInt(type);
                    break;
                case 2 when IsInt(type):
                    node.TypeLength = reader.ReadInt(type);
                    break;
                case 3 when IsInt(type):
                    node.Repetition = (Repetition)reader.ReadInt(type);
                    break;
                case 4 when type == ThriftType.Binary:
                    node.Name = reader.ReadString();
                    break;
                case 5 when IsInt(type):
                    node.NumChildren = reader.ReadInt(type);
                    break;
                case 6 when IsInt(type):
                    node.Converted = (ConvertedType)reader.ReadInt(type);
                    break;
                case 7 when IsInt(type):
                    node.Scale = reader.ReadInt(type);
                    break;
                case 8 when IsInt(type):
                    node.Precision = reader.ReadInt(type);
                    break;
                case 10 when type == ThriftType.Struct:
                    ReadLogicalType(ref reader, ref node);
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
    }

    private static void ReadLogicalType(ref ThriftCompactReader reader, ref SchemaNode node)
    {
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            if (type != ThriftType.Struct)
            {
                reader.Skip(type);
                continue;
            }

            node.LogicalKind = id;
            reader.EnterStruct();
            short inner = 0;
            while (reader.ReadFieldHeader(ref inner, out var innerType))
            {
                switch (id, inner)
                {
                    case (10, 1) when IsInt(innerType):
                        node.IntBitWidth = reader.ReadInt(innerType);
                        break;
                    case (10, 2) when innerType is ThriftType.BooleanTrue or ThriftType.BooleanFalse:
                        node.IntUnsigned = !ThriftCompactReader.ReadBool(innerType);
                        break;
                    case (5, 1) when IsInt(innerType):
                        node.Scale = reader.ReadInt(innerType);
                        break;
                    case (5, 2) when IsInt(innerType):
                        node.Precision = reader.ReadInt(innerType);
                        break;
                    case (7 or 8, 1) when innerType is ThriftType.BooleanTrue or ThriftType.BooleanFalse:
                        node.AdjustedToUtc = ThriftCompactReader.ReadBool(innerType);
                        break;
                    case (7 or 8, 2) when innerType == ThriftType.Struct:
                        node.TimeUnit = ReadTimeUnit(ref reader);
                        break;
                    default:
                        reader.Skip(innerType);
                        break;
                }
            }

            reader.ExitStruct();
        }

        reader.ExitStruct();
    }

    private static string? ReadTimeUnit(ref ThriftCompactReader reader)
    {
        string? unit = null;
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            unit = id switch { 1 => "MILLIS", 2 => "MICROS", 3 => "NANOS", _ => unit };
            reader.Skip(type);
        }

        reader.ExitStruct();
        return unit;
    }

    // KeyValue { 1: required string key; 2: optional string value }.
    private static (string Key, string? Value) ReadKeyValue(ref ThriftCompactReader reader)
    {
        string? key = null, value = null;
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.Binary:
                    key = reader.ReadString();
                    break;
                case 2 when type == ThriftType.Binary:
                    value = reader.ReadString();
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
        return (key ?? throw new InvalidDataException("A key_value_metadata entry has no key."), value);
    }

    private static RowGroupMeta ReadRowGroup(ref ThriftCompactReader reader)
    {
        var group = new RowGroupMeta();
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.List:
                {
                    reader.ReadListHeader(out var elementType, out var count);
                    RequireStructElements(elementType, "columns");
                    var columns = new ColumnChunkMeta[count];
                    for (var i = 0; i < count; i++)
                    {
                        ReadColumnChunk(ref reader, ref columns[i]);
                    }

                    group.Columns = columns;
                    break;
                }

                case 3 when IsInt(type):
                    group.NumRows = reader.ReadLong(type);
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
        return group;
    }

    private static void ReadColumnChunk(ref ThriftCompactReader reader, ref ColumnChunkMeta chunk)
    {
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.Binary:
                    chunk.HasFilePath = true;
                    reader.Skip(type);
                    break;
                case 3 when type == ThriftType.Struct:
                    ReadColumnMetaData(ref reader, ref chunk);
                    break;
                case 8 or 9:
                    chunk.IsEncrypted = true;
                    reader.Skip(type);
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
    }

    private static void ReadColumnMetaData(ref ThriftCompactReader reader, ref ColumnChunkMeta chunk)
    {
        chunk.HasMetaData = true;
        reader.EnterStruct();
        short id = 0;
        while (reader.ReadFieldHeader(ref id, out var type))
        {
            switch (id)
            {
                case 1 when IsInt(type):
                    chunk.Type = (ParquetPhysicalType)reader.ReadInt(type);
                    break;
                case 3 when type == ThriftType.List:
                {
                    reader.ReadListHeader(out var elementType, out var count);
                    chunk.PathLength = count;
                    for (var i = 0; i < count; i++)
                    {
                        reader.SkipElement(elementType);
                    }

                    break;
                }

                case 4 when IsInt(type):
                    chunk.Codec = (CompressionCodec)reader.ReadInt(type);
                    break;
                case 5 when IsInt(type):
                    chunk.NumValues = reader.ReadLong(type);
                    break;
                case 6 when IsInt(type):
                    chunk.TotalUncompressedSize = reader.ReadLong(type);
                    break;
                case 7 when IsInt(type):
                    chunk.TotalCompressedSize = reader.ReadLong(type);
                    break;
                case 9 when IsInt(type):
                    chunk.DataPageOffset = reader.ReadLong(type);
                    break;
                case 11 when IsInt(type):
                    chunk.DictionaryPageOffset = reader.ReadLong(type);
                    chunk.HasDictionaryPageOffset = true;
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        reader.ExitStruct();
    }

    private static bool IsInt(ThriftType type) => type is ThriftType.Byte or ThriftType.I16 or ThriftType.I32 or ThriftType.I64;

    private static void RequireStructElements(ThriftType elementType, string field)
    {
        if (elementType != ThriftType.Struct)
        {
            throw new InvalidDataException($"FileMetaData field '{field}' is a list of {elementType}, expected structs.");
        }
    }
}

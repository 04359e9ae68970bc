namespace ForgetPredict.Data.Parquet;

// The public enums name the format's types (INT32, DOUBLE, ...) on purpose, so CA1720 does not apply to them.
#pragma warning disable CA1720

/// <summary>How a Parquet column stores its values on disk (parquet.thrift <c>Type</c>; the numbers match the format).</summary>
public enum ParquetPhysicalType
{
    /// <summary>One bit per value.</summary>
    Boolean = 0,

    /// <summary>32-bit signed integer (also INT(8/16/32) and unsigned variants by logical type).</summary>
    Int32 = 1,

    /// <summary>64-bit signed integer (also UINT64, timestamps and decimals by logical type).</summary>
    Int64 = 2,

    /// <summary>Legacy 96-bit timestamp (Spark/Impala); listed but not readable.</summary>
    Int96 = 3,

    /// <summary>IEEE 754 float32.</summary>
    Float = 4,

    /// <summary>IEEE 754 float64.</summary>
    Double = 5,

    /// <summary>Variable-length bytes: strings (UTF-8) or binary.</summary>
    ByteArray = 6,

    /// <summary>Fixed-length bytes (decimals, UUIDs, float16); listed but not readable.</summary>
    FixedLenByteArray = 7,
}

/// <summary>Value types the writer accepts for a column; each maps to one Parquet physical (and logical) type.</summary>
public enum ParquetValueType
{
    /// <summary>DOUBLE.</summary>
    Double,

    /// <summary>FLOAT (float32).</summary>
    Float,

    /// <summary>INT32.</summary>
    Int32,

    /// <summary>INT64.</summary>
    Int64,

    /// <summary>BOOLEAN.</summary>
    Boolean,

    /// <summary>BYTE_ARRAY annotated as STRING (UTF-8).</summary>
    String,
}

#pragma warning restore CA1720

/// <summary>Page compression codecs the writer can produce (the reader also accepts ZSTD).</summary>
public enum ParquetCodec
{
    /// <summary>No compression.</summary>
    Uncompressed = 0,

    /// <summary>Snappy raw blocks: fast, the default of pandas/pyarrow and Spark.</summary>
    Snappy = 1,

    /// <summary>GZIP (deflate in a gzip wrapper): smaller and slower.</summary>
    Gzip = 2,

    /// <summary>Zstandard (level <see cref="ParquetWriteOptions.ZstdLevel"/>): smaller than SNAPPY and faster to decode than GZIP; the default of polars and DuckDB.</summary>
    Zstd = 3,
}

/// <summary>parquet.thrift <c>FieldRepetitionType</c>.</summary>
internal enum Repetition
{
    Required = 0,
    Optional = 1,
    Repeated = 2,
}

/// <summary>parquet.thrift <c>Encoding</c>.</summary>
internal enum ParquetEncoding
{
    Plain = 0,
    GroupVarInt = 1,
    PlainDictionary = 2,
    Rle = 3,
    BitPacked = 4,
    DeltaBinaryPacked = 5,
    DeltaLengthByteArray = 6,
    DeltaByteArray = 7,
    RleDictionary = 8,
    ByteStreamSplit = 9,
}

/// <summary>parquet.thrift <c>CompressionCodec</c>.</summary>
internal enum CompressionCodec
{
    Uncompressed = 0,
    Snappy = 1,
    Gzip = 2,
    Lzo = 3,
    Brotli = 4,
    Lz4 = 5,
    Zstd = 6,
    Lz4Raw = 7,
}

/// <summary>parquet.thrift <c>PageType</c>.</summary>
internal enum PageType
{
    DataPage = 0,
    IndexPage = 1,
    DictionaryPage = 2,
    DataPageV2 = 3,
}

/// <summary>parquet.thrift <c>ConvertedType</c> (the legacy annotations).</summary>
internal enum ConvertedType
{
    Utf8 = 0,
    Map = 1,
    MapKeyValue = 2,
    List = 3,
    Enum = 4,
    Decimal = 5,
    Date = 6,
    TimeMillis = 7,
    TimeMicros = 8,
    TimestampMillis = 9,
    TimestampMicros = 10,
    Uint8 = 11,
    Uint16 = 12,
    Uint32 = 13,
    Uint64 = 14,
    Int8 = 15,
    Int16 = 16,
    Int32 = 17,
    Int64 = 18,
    Json = 19,
    Bson = 20,
    Interval = 21,
}

/// <summary>Names for the format's enum values, as messages and docs spell them.</summary>
internal static class ParquetNames
{
    public static string Of(ParquetEncoding encoding) => encoding switch
    {
        ParquetEncoding.Plain => "PLAIN",
        ParquetEncoding.GroupVarInt => "GROUP_VAR_INT",
        ParquetEncoding.PlainDictionary => "PLAIN_DICTIONARY",
        ParquetEncoding.Rle => "RLE",
        ParquetEncoding.BitPacked => "BIT_PACKED",
        ParquetEncoding.DeltaBinaryPacked => "DELTA_BINARY_PACKED",
        ParquetEncoding.DeltaLengthByteArray => "DELTA_LENGTH_BYTE_ARRAY",
        ParquetEncoding.DeltaByteArray => "DELTA_BYTE_ARRAY",
        ParquetEncoding.RleDictionary => "RLE_DICTIONARY",
        ParquetEncoding.ByteStreamSplit => "BYTE_STREAM_SPLIT",
        _ => FormattableString.Invariant($"#{(int)encoding}"),
    };

    public static string Of(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Uncompressed => "UNCOMPRESSED",
        CompressionCodec.Snappy => "SNAPPY",
        CompressionCodec.Gzip => "GZIP",
        CompressionCodec.Lzo => "LZO",
        CompressionCodec.Brotli => "BROTLI",
        CompressionCodec.Lz4 => "LZ4",
        CompressionCodec.Zstd => "ZSTD",
        CompressionCodec.Lz4Raw => "LZ4_RAW",
        _ => FormattableString.Invariant($"#{(int)codec}"),
    };

    public static string Of(ParquetPhysicalType type) => type switch
    {
        ParquetPhysicalType.Boolean => "BOOLEAN",
        ParquetPhysicalType.Int32 => "INT32",
        ParquetPhysicalType.Int64 => "INT64",
        ParquetPhysicalType.Int96 => "INT96",
        ParquetPhysicalType.Float => "FLOAT",
        ParquetPhysicalType.Double => "DOUBLE",
        ParquetPhysicalType.ByteArray => "BYTE_ARRAY",
        ParquetPhysicalType.FixedLenByteArray => "FIXED_LEN_BYTE_ARRAY",
        _ => FormattableString.Invariant($"#{(int)type}"),
    };
}

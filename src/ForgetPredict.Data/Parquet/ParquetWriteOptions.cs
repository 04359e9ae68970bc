using System.IO.Compression;

namespace ForgetPredict.Data.Parquet;

/// <summary>Data page header version the writer emits.</summary>
public enum ParquetDataPageVersion
{
    /// <summary>DataPageHeader (v1): levels and values compressed together; read by every Parquet reader.</summary>
    V1 = 1,

    /// <summary>DataPageHeaderV2: levels stored uncompressed before the compressed values, null and row counts in the header.</summary>
    V2 = 2,
}

/// <summary>Options for <see cref="ParquetWriter"/>; every default lives here and suits files of forgetting data.</summary>
/// <remarks>Validated when the writer is created; invalid values throw <see cref="ArgumentOutOfRangeException"/>
/// naming the option.</remarks>
public sealed record ParquetWriteOptions
{
    /// <summary>The defaults: SNAPPY, 1,048,576 rows per row group, 1 MiB pages, dictionary-encoded strings, v1 pages, statistics.</summary>
    public static ParquetWriteOptions Default { get; } = new();

    /// <summary>Page compression; SNAPPY by default (fast, the pandas/Spark default).</summary>
    public ParquetCodec Codec { get; init; } = ParquetCodec.Snappy;

    /// <summary>Most rows one row group may hold; <see cref="ParquetWriter.WriteRows"/> splits larger inputs.
    /// Readers load a column one row group at a time, so this bounds their memory per read.</summary>
    public int RowGroupRowCount { get; init; } = 1 << 20;

    /// <summary>Target uncompressed size of a data page in bytes (pages are cut at row boundaries, at least one row each).</summary>
    public int DataPageSize { get; init; } = 1 << 20;

    /// <summary>True to dictionary-encode string columns (one dictionary page per column chunk, then indices);
    /// a chunk whose distinct strings exceed <see cref="DictionaryPageSizeLimit"/> falls back to PLAIN.</summary>
    public bool UseDictionaryForStrings { get; init; } = true;

    /// <summary>Largest dictionary page (PLAIN-encoded distinct values, bytes) before a chunk falls back to PLAIN.</summary>
    public int DictionaryPageSizeLimit { get; init; } = 1 << 20;

    /// <summary>Which data page header to write; v1 is the most widely readable.</summary>
    public ParquetDataPageVersion DataPageVersion { get; init; } = ParquetDataPageVersion.V1;

    /// <summary>True to store per-chunk statistics (null count, min and max; NaN is ignored for min/max).</summary>
    public bool WriteStatistics { get; init; } = true;

    /// <summary>Compression level for GZIP pages.</summary>
    public CompressionLevel GzipLevel { get; init; } = CompressionLevel.Optimal;

    /// <summary>Compression level for ZSTD pages, 1 (fastest) to 22 (smallest); 3 is libzstd's default.</summary>
    public int ZstdLevel { get; init; } = 3;

    /// <summary>The <c>created_by</c> text stored in the footer.</summary>
    public string CreatedBy { get; init; } = "ForgetPredict parquet writer";

    internal void Validate()
    {
        if (!Enum.IsDefined(Codec))
        {
            throw new ArgumentOutOfRangeException(nameof(Codec), Codec, "Codec must be Uncompressed, Snappy, Gzip or Zstd.");
        }

        if (!Enum.IsDefined(DataPageVersion))
        {
            throw new ArgumentOutOfRangeException(nameof(DataPageVersion), DataPageVersion, "DataPageVersion must be V1 or V2.");
        }

        if (!Enum.IsDefined(GzipLevel))
        {
            throw new ArgumentOutOfRangeException(nameof(GzipLevel), GzipLevel, "GzipLevel is not a CompressionLevel.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(ZstdLevel, 1, nameof(ZstdLevel));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ZstdLevel, 22, nameof(ZstdLevel));
        ArgumentOutOfRangeException.ThrowIfLessThan(RowGroupRowCount, 1, nameof(RowGroupRowCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(DataPageSize, 64, nameof(DataPageSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DataPageSize, 1 << 30, nameof(DataPageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(DictionaryPageSizeLimit, 0, nameof(DictionaryPageSizeLimit));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DictionaryPageSizeLimit, 1 << 30, nameof(DictionaryPageSizeLimit));
        ArgumentNullException.ThrowIfNull(CreatedBy, nameof(CreatedBy));
    }
}

/// <summary>One column of a table to write: its name, value type and whether it may hold nulls.</summary>
/// <param name="Name">The column name (any non-empty text; stored as UTF-8).</param>
/// <param name="Type">The value type, which fixes the Parquet physical type.</param>
/// <param name="IsNullable">True for an OPTIONAL column (nulls allowed), false for REQUIRED.</param>
public sealed record ParquetColumnSpec(string Name, ParquetValueType Type, bool IsNullable = false);

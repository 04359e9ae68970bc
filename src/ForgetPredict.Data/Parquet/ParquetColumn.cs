namespace ForgetPredict.Data.Parquet;

/// <summary>One leaf column of a flat Parquet schema, as described by the file's footer.</summary>
/// <remarks>Immutable; obtained from <see cref="ParquetReader.Columns"/>.</remarks>
public sealed class ParquetColumn
{
    internal ParquetColumn(int index, string name, ParquetPhysicalType physicalType, bool isNullable, bool isString, bool isUnsigned, string? logicalType, int? decimalScale = null, bool isTemporal = false)
    {
        IsTemporal = isTemporal;
        DecimalScale = decimalScale;
        Index = index;
        Name = name;
        PhysicalType = physicalType;
        IsNullable = isNullable;
        IsString = isString;
        IsUnsigned = isUnsigned;
        LogicalType = logicalType;
    }

    /// <summary>The column's name as the writer stored it (case and spaces preserved).</summary>
    public string Name { get; }

    /// <summary>The 0-based position in <see cref="ParquetReader.Columns"/>, used by the read methods.</summary>
    public int Index { get; }

    /// <summary>How the values are stored on disk; together with <see cref="LogicalType"/> it says what they mean.</summary>
    public ParquetPhysicalType PhysicalType { get; }

    /// <summary>True for a BYTE_ARRAY column annotated as text (STRING/UTF8, ENUM or JSON); other BYTE_ARRAY columns are raw binary.</summary>
    public bool IsString { get; }

    /// <summary>True when the column is OPTIONAL (may hold nulls); false when REQUIRED.</summary>
    public bool IsNullable { get; }

    /// <summary>True for unsigned integer annotations (UINT_8..UINT_64 or INT(n, false)); values convert as unsigned.</summary>
    public bool IsUnsigned { get; }

    /// <summary>The logical/converted type annotation in parquet.thrift terms (e.g. "STRING", "INT(8, signed)",
    /// "DECIMAL(10, 2)", "TIMESTAMP(MICROS, UTC)"), or null when the column has none.</summary>
    /// <remarks>DECIMAL columns stored as INT32/INT64 read as their values (the stored integer divided by
    /// 10^scale); DATE, TIME, TIMESTAMP and INTERVAL columns are refused by every read but
    /// <see cref="ParquetReader.ReadPresence"/> (their stored integers are day or tick counts, not numbers to
    /// compute with).</remarks>
    public string? LogicalType { get; }

    /// <summary>The scale of a DECIMAL column (its stored integers are the values times 10^scale), or null when the
    /// column is not a decimal.</summary>
    internal int? DecimalScale { get; }

    /// <summary>True for a DATE, TIME, TIMESTAMP or INTERVAL column: its stored values count days or ticks.</summary>
    internal bool IsTemporal { get; }

    /// <summary>Returns e.g. <c>value: FLOAT (optional)</c>.</summary>
    public override string ToString() =>
        $"{Name}: {ParquetNames.Of(PhysicalType)}{(LogicalType is null ? "" : " " + LogicalType)} ({(IsNullable ? "optional" : "required")})";
}

namespace ForgetPredict.Data.Parquet;

/// <summary>The values of one column for <see cref="ParquetWriter.WriteRows"/>: typed memory plus an optional null mask.</summary>
/// <remarks>The writer reads the memory while the call runs and keeps no reference afterwards. For numbers a null
/// is only what <c>isNull</c> marks: NaN is an ordinary float value and is written as NaN.</remarks>
public sealed class ParquetColumnData
{
    private ParquetColumnData(ParquetValueType type, int length, ReadOnlyMemory<bool> isNull)
    {
        if (!isNull.IsEmpty && isNull.Length != length)
        {
            throw new ArgumentException($"The null mask has {isNull.Length} entries but there are {length} values.", nameof(isNull));
        }

        Type = type;
        Length = length;
        IsNull = isNull;
    }

    /// <summary>The value type, which must match the column's <see cref="ParquetColumnSpec.Type"/>.</summary>
    public ParquetValueType Type { get; }

    /// <summary>Number of rows.</summary>
    public int Length { get; }

    internal ReadOnlyMemory<bool> IsNull { get; }

    internal ReadOnlyMemory<double> Doubles { get; private init; }

    internal ReadOnlyMemory<float> Floats { get; private init; }

    internal ReadOnlyMemory<int> Int32s { get; private init; }

    internal ReadOnlyMemory<long> Int64s { get; private init; }

    internal ReadOnlyMemory<bool> Booleans { get; private init; }

    internal ReadOnlyMemory<string?> Strings { get; private init; }

    /// <summary>DOUBLE values; <paramref name="isNull"/> (same length, true = null) marks nulls, or is empty for none.</summary>
    public static ParquetColumnData FromDoubles(ReadOnlyMemory<double> values, ReadOnlyMemory<bool> isNull = default) =>
        new(ParquetValueType.Double, values.Length, isNull) { Doubles = values };

    /// <summary>FLOAT values; <paramref name="isNull"/> (same length, true = null) marks nulls, or is empty for none.</summary>
    public static ParquetColumnData FromFloats(ReadOnlyMemory<float> values, ReadOnlyMemory<bool> isNull = default) =>
        new(ParquetValueType.Float, values.Length, isNull) { Floats = values };

    /// <summary>INT32 values; <paramref name="isNull"/> (same length, true = null) marks nulls, or is empty for none.</summary>
    public static ParquetColumnData FromInt32s(ReadOnlyMemory<int> values, ReadOnlyMemory<bool> isNull = default) =>
        new(ParquetValueType.Int32, values.Length, isNull) { Int32s = values };

    /// <summary>INT64 values; <paramref name="isNull"/> (same length, true = null) marks nulls, or is empty for none.</summary>
    public static ParquetColumnData FromInt64s(ReadOnlyMemory<long> values, ReadOnlyMemory<bool> isNull = default) =>
        new(ParquetValueType.Int64, values.Length, isNull) { Int64s = values };

    /// <summary>BOOLEAN values; <paramref name="isNull"/> (same length, true = null) marks nulls, or is empty for none.</summary>
    public static ParquetColumnData FromBooleans(ReadOnlyMemory<bool> values, ReadOnlyMemory<bool> isNull = default) =>
        new(ParquetValueType.Boolean, values.Length, isNull) { Booleans = values };

    /// <summary>STRING values; a null element is a null.</summary>
    public static ParquetColumnData FromStrings(ReadOnlyMemory<string?> values) =>
        new(ParquetValueType.String, values.Length, default) { Strings = values };

    internal bool IsNullAt(int row) => Type == ParquetValueType.String ? Strings.Span[row] is null : !IsNull.IsEmpty && IsNull.Span[row];
}

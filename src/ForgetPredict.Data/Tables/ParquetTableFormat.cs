using ForgetPredict.Data.Parquet;

namespace ForgetPredict.Data.Tables;

/// <summary>Output tables as Apache Parquet (our writer, SNAPPY): strings as UTF-8, doubles as DOUBLE, integers as INT64, booleans as BOOLEAN, all nullable (NaN doubles become nulls).</summary>
public sealed class ParquetTableFormat : TableFormat
{
    private ParquetTableFormat()
    {
    }

    /// <summary>The format.</summary>
    public static ParquetTableFormat Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "parquet";

    /// <inheritdoc />
    public override IReadOnlyList<string> Extensions { get; } = [".parquet", ".pq"];

    /// <inheritdoc />
    public override void Write(OutputTable table, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(destination);
        var specs = new List<ParquetColumnSpec>();
        var data = new List<ParquetColumnData>();
        foreach (var column in table.Columns)
        {
            var rows = Enumerable.Range(0, column.Count);
            var isNull = rows.Select(column.IsNull).ToArray();
            switch (column)
            {
                case StringColumn s:
                    specs.Add(new(column.Name, ParquetValueType.String, IsNullable: true));
                    data.Add(ParquetColumnData.FromStrings(rows.Select(r => s[r]).ToArray()));
                    break;
                case DoubleColumn d:
                    specs.Add(new(column.Name, ParquetValueType.Double, IsNullable: true));
                    data.Add(ParquetColumnData.FromDoubles(d.Values.ToArray(), isNull));
                    break;
                case Int64Column l:
                    specs.Add(new(column.Name, ParquetValueType.Int64, IsNullable: true));
                    data.Add(ParquetColumnData.FromInt64s(rows.Select(r => l[r] ?? 0).ToArray(), isNull));
                    break;
                case BooleanColumn b:
                    specs.Add(new(column.Name, ParquetValueType.Boolean, IsNullable: true));
                    data.Add(ParquetColumnData.FromBooleans(rows.Select(r => b[r] ?? false).ToArray(), isNull));
                    break;
                default:
                    throw new ArgumentException($"Column '{column.Name}' has a type Parquet output does not know.", nameof(table));
            }
        }

        using var writer = ParquetWriter.Create(destination, specs, leaveOpen: true);
        writer.WriteRows(data);
        writer.Complete();
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using ForgetPredict.Data.Parquet;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>A seeded table covering every writable type, with nulls, NaN, infinities, repeated and unique strings,
/// in three forms: writer input, the expected values as JSON (json.mjs conventions), and a parquet-wasm spec.</summary>
internal sealed class TestTable
{
    private TestTable(ParquetColumnSpec[] specs, ParquetColumnData[] data, JsonElement[][] expected, string[] wasmTypes, string json)
    {
        Specs = specs;
        Data = data;
        Expected = expected;
        WasmTypes = wasmTypes;
        ColumnsJson = json;
    }

    public ParquetColumnSpec[] Specs { get; }

    public ParquetColumnData[] Data { get; }

    public JsonElement[][] Expected { get; }

    public string[] WasmTypes { get; }

    /// <summary>The "columns" array of a parquet-wasm spec.</summary>
    public string ColumnsJson { get; }

    public int RowCount => Data[0].Length;

    public static TestTable Create(int rows, int seed)
    {
        var random = new Random(seed);
        var task = new string?[rows];
        var example = new string?[rows];
        var value = new float[rows];
        var valueNull = new bool[rows];
        var score = new double[rows];
        var count = new int[rows];
        var countNull = new bool[rows];
        var big = new long[rows];
        var flag = new bool[rows];
        var flagNull = new bool[rows];
        for (var i = 0; i < rows; i++)
        {
            task[i] = "task_" + (i % 13).ToString(CultureInfo.InvariantCulture);
            example[i] = random.Next(9) == 0 ? null : $"ex-{i}-{(char)('a' + (i % 26))}-é✓";
            valueNull[i] = random.Next(7) == 0;
            value[i] = (i % 31) switch { 3 => float.NaN, 5 => float.PositiveInfinity, 6 => float.NegativeInfinity, _ => (float)(random.NextDouble() * 2 - 0.5) };
            score[i] = i % 17 == 4 ? double.NaN : (random.NextDouble() - 0.5) * 1e9;
            countNull[i] = random.Next(5) == 0;
            count[i] = random.Next(int.MinValue, int.MaxValue);
            big[i] = random.NextInt64(long.MinValue, long.MaxValue);
            flagNull[i] = random.Next(6) == 0;
            flag[i] = random.Next(2) == 0;
        }

        var specs = new ParquetColumnSpec[]
        {
            new("task", ParquetValueType.String),
            new("example", ParquetValueType.String, IsNullable: true),
            new("value", ParquetValueType.Float, IsNullable: true),
            new("score", ParquetValueType.Double),
            new("count", ParquetValueType.Int32, IsNullable: true),
            new("big", ParquetValueType.Int64),
            new("flag", ParquetValueType.Boolean, IsNullable: true),
        };
        var data = new[]
        {
            ParquetColumnData.FromStrings(task),
            ParquetColumnData.FromStrings(example),
            ParquetColumnData.FromFloats(value, valueNull),
            ParquetColumnData.FromDoubles(score),
            ParquetColumnData.FromInt32s(count, countNull),
            ParquetColumnData.FromInt64s(big),
            ParquetColumnData.FromBooleans(flag, flagNull),
        };

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartArray();
            WriteColumn(json, "task", "utf8", rows, i => json.WriteStringValue(task[i]));
            WriteColumn(json, "example", "utf8", rows, i => WriteNullable(json, example[i] is null, () => json.WriteStringValue(example[i])));
            WriteColumn(json, "value", "float", rows, i => WriteNullable(json, valueNull[i], () => WriteFloating(json, value[i])));
            WriteColumn(json, "score", "double", rows, i => WriteFloating(json, score[i]));
            WriteColumn(json, "count", "int32", rows, i => WriteNullable(json, countNull[i], () => json.WriteNumberValue(count[i])));
            WriteColumn(json, "big", "int64", rows, i => json.WriteStringValue(big[i].ToString(CultureInfo.InvariantCulture)));
            WriteColumn(json, "flag", "bool", rows, i => WriteNullable(json, flagNull[i], () => json.WriteBooleanValue(flag[i])));
            json.WriteEndArray();
        }

        var text = Encoding.UTF8.GetString(stream.ToArray());
        using var document = JsonDocument.Parse(text);
        var expected = document.RootElement.EnumerateArray()
            .Select(c => c.GetProperty("values").EnumerateArray().Select(v => v.Clone()).ToArray())
            .ToArray();
        return new TestTable(specs, data, expected, ["utf8", "utf8", "float", "double", "int32", "int64", "bool"], text);
    }

    /// <summary>Asserts that a reference implementation's view of a file (<paramref name="actual"/>) equals this table.</summary>
    public void AssertEqual(ReferenceTable actual)
    {
        Assert.Equal(Specs.Select(s => s.Name).ToArray(), actual.Names);
        Assert.Equal(RowCount, actual.RowCount);
        for (var c = 0; c < Specs.Length; c++)
        {
            for (var i = 0; i < RowCount; i++)
            {
                if (!JsonValuesEqual(WasmTypes[c], Expected[c][i], actual.Columns[c][i]))
                {
                    Assert.Fail($"column '{Specs[c].Name}' row {i}: reference read {actual.Columns[c][i].GetRawText()}, expected {Expected[c][i].GetRawText()}");
                }
            }
        }
    }

    /// <summary>Asserts that our reader reads <paramref name="path"/> as this table.</summary>
    public void AssertReads(string path)
    {
        using var reader = ParquetReader.Open(path);
        Assert.Equal(Specs.Select(s => s.Name).ToArray(), reader.Columns.Select(c => c.Name).ToArray());
        Assert.Equal(RowCount, reader.RowCount);
        for (var c = 0; c < Specs.Length; c++)
        {
            ConformanceTools.AssertColumn(reader, c, WasmTypes[c], Expected[c]);
        }
    }

    private static bool JsonValuesEqual(string type, JsonElement expected, JsonElement actual)
    {
        if (expected.ValueKind == JsonValueKind.Null || actual.ValueKind == JsonValueKind.Null)
        {
            return expected.ValueKind == actual.ValueKind;
        }

        switch (type)
        {
            case "float":
            case "double":
            {
                var e = Number(expected);
                var a = Number(actual);
                if (type == "float")
                {
                    e = (float)e;
                    a = (float)a;
                }

                return e.Equals(a);
            }

            case "bool":
                return expected.ValueKind == actual.ValueKind;
            case "utf8":
                return expected.GetString() == actual.GetString();
            default:
                return Text(expected) == Text(actual);
        }
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static double Number(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? double.Parse(value.GetString()!, CultureInfo.InvariantCulture)
        : value.GetDouble();

    private static void WriteColumn(Utf8JsonWriter json, string name, string type, int rows, Action<int> writeValue)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("type", type);
        json.WriteStartArray("values");
        for (var i = 0; i < rows; i++)
        {
            writeValue(i);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, bool isNull, Action write)
    {
        if (isNull)
        {
            json.WriteNullValue();
        }
        else
        {
            write();
        }
    }

    private static void WriteFloating(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }
}

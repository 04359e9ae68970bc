using System.Text;
using ForgetPredict.Data.Tables;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Tables;

/// <summary>Output tables: typed nullable columns written as CSV, TSV and JSON records that pandas reads back.</summary>
public class OutputTableTests
{
    private static OutputTable Sample() => new(
        TableColumn.Strings("example", ["a", "b,c", "say \"hi\"", null]),
        TableColumn.Doubles("predicted", [0.1, double.NaN, -2.5e-300, 1.0 / 3]),
        TableColumn.Int64s("rank", [1, null, long.MaxValue, -4]),
        TableColumn.Booleans("top", [true, false, null, true]));

    [Fact]
    public void Csv_QuotesOnlyWhatNeedsItAndLeavesNullsEmpty()
    {
        using var stream = new MemoryStream();
        CsvTableFormat.Csv.Write(Sample(), stream);
        Assert.Equal(
            "example,predicted,rank,top\na,0.1,1,True\n\"b,c\",,,False\n\"say \"\"hi\"\"\",-2.5E-300,9223372036854775807,\n,0.3333333333333333,-4,True\n",
            Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void Json_WritesRecordsWithNulls()
    {
        using var stream = new MemoryStream();
        JsonTableFormat.Records.Write(new OutputTable(TableColumn.Strings("example", ["é", null]), TableColumn.Doubles("p", [double.NaN, double.PositiveInfinity])), stream);
        Assert.Equal("""[{"example":"é","p":null},{"example":null,"p":null}]""", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void JsonFloat_WholeValuesKeepTheirPoint_NonFiniteOnesAreNull()
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (var v in new[] { 1.0, 0.0, -0.0, -3.0, 0.25, 1e20, 1e-7, double.NaN, double.PositiveInfinity })
            {
                JsonFloat.WriteValue(writer, v);
            }

            writer.WriteEndArray();
        }

        Assert.Equal("[1.0,0.0,-0.0,-3.0,0.25,1E+20,1E-07,null,null]", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void Json_NegativeZero_IsWrittenAsAFloatThatKeepsItsSign()
    {
        using var stream = new MemoryStream();
        JsonTableFormat.Records.Write(new OutputTable(TableColumn.Doubles("p", [-0.0, 0.0, -1.5])), stream);
        Assert.Equal("""[{"p":-0.0},{"p":0.0},{"p":-1.5}]""", Encoding.UTF8.GetString(stream.ToArray()));
    }

    // QA: probabilities that all saturated were written 1 and 0, and pandas read the column as int64 (pd.read_json infers
    // integers from whole floats whatever their text, so JSON is checked with json.load, which keeps "1.0" a float).
    [Theory]
    [InlineData("w.csv")]
    [InlineData("w.json")]
    public void WholeDoubles_AreWrittenAsFloats_SoAColumnOfThemReadsBackAsFloats(string name)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);
        TableFile.Write(new OutputTable(TableColumn.Doubles("probability", [1.0, 0.0, -0.0, 3e15, 2.0]), TableColumn.Int64s("rank", [1, 2, 3, 4, 5])), path);

        var printed = ExternalTool.RunPython("""
            import sys, json, pandas as pd
            path = sys.argv[1]
            if path.endswith('.json'):
                rows = json.load(open(path))
                print(' '.join(type(r[c]).__name__ for c in ('probability', 'rank') for r in rows[:1]), ' '.join(repr(r['probability']) for r in rows))
            else:
                df = pd.read_csv(path, float_precision='round_trip')
                print(df['probability'].dtype, df['rank'].dtype, ' '.join(repr(v) for v in df['probability']))
            """, path);

        Assert.Equal(name.EndsWith(".csv", StringComparison.Ordinal) ? "float64 int64 1.0 0.0 -0.0 3000000000000000.0 2.0" : "float int 1.0 0.0 -0.0 3000000000000000.0 2.0", printed.Trim());
    }

    [Theory]
    [InlineData("t.csv")]
    [InlineData("t.tsv")]
    [InlineData("t.json")]
    public void Write_IsReadByPandasWithTheSameValues(string name)
    {
        // Given
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);
        TableFile.Write(Sample(), path);

        // When
        var printed = ExternalTool.RunPython("""
            import sys, json, csv
            import pandas as pd
            path = sys.argv[1]
            if path.endswith('.json'):
                df = pd.read_json(path, orient='records', dtype={'example': str}, precise_float=True)
                with open(path, encoding='utf-8') as f:
                    ranks = [None if r['rank'] is None else str(r['rank']) for r in json.load(f)]
            else:
                sep = '\t' if path.endswith('.tsv') else ','
                df = pd.read_csv(path, sep=sep, float_precision='round_trip', dtype={'example': str})
                with open(path, newline='', encoding='utf-8') as f:
                    ranks = [r['rank'] or None for r in csv.DictReader(f, delimiter=sep)]
            out = []
            for i, r in df.iterrows():
                p = r['predicted']
                out.append([r['example'] if isinstance(r['example'], str) else None, None if pd.isna(p) else float(p).hex(), ranks[i], str(r['top'])])
            print(json.dumps(out))
            """, path);

        // Then: strings, doubles to the bit, integers and booleans.
        using var doc = System.Text.Json.JsonDocument.Parse(printed);
        var rows = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(4, rows.Length);
        Assert.Equal("b,c", rows[1][0].GetString());
        Assert.Equal("say \"hi\"", rows[2][0].GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, rows[1][1].ValueKind);
        Assert.Equal("0x1.5555555555555p-2", rows[3][1].GetString());
        Assert.Equal("-0x1.ac9a7b3b7302fp-996", rows[2][1].GetString());
        Assert.Equal("9223372036854775807", rows[2][2].GetString());
    }

    [Fact]
    public void TableFile_UnknownExtension_ListsTheFormats()
    {
        var e = Assert.Throws<ForgettingDataException>(() => TableFile.Write(Sample(), Path.Combine(RepoPaths.NewTempFolder(), "t.xlsx")));
        Assert.Contains("name the file .csv, .tsv, .tab, .json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutputTable_RaggedOrRepeatedColumns_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new OutputTable(TableColumn.Doubles("a", [1]), TableColumn.Doubles("b", [1, 2])));
        Assert.Throws<ArgumentException>(() => new OutputTable(TableColumn.Doubles("a", [1]), TableColumn.Doubles("a", [2])));
        Assert.Equal("predicted", Sample()["predicted"].Name);
        Assert.Contains("did you mean 'predicted'", Assert.Throws<ArgumentException>(() => Sample()["predictd"]).Message, StringComparison.Ordinal);
    }
}

using ForgetPredict.Core;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>How measured cells and other user-given example references resolve: by id exactly, or by column position when asked.</summary>
public class ObservedCellsTests
{
    private static readonly IdList s_ids = IdList.From(["a", "b", "7", "c"]);
    private static readonly ExampleMatching s_byId = new(false, "pass --by-index");
    private static readonly ExampleMatching s_byIndex = new(true, "pass --by-index");

    [Theory]
    [InlineData("b", false, 1)]
    [InlineData("7", false, 2)]   // an id that looks like a number is an id
    [InlineData("3", false, -1)]  // no such id: not silently column 3
    [InlineData("zz", false, -1)]
    [InlineData("3", true, 3)]    // asked for positions: column 3
    [InlineData("7", true, -1)]   // beyond the last column, even though "7" is an id
    [InlineData("4", true, -1)]
    [InlineData("-1", true, -1)]
    [InlineData("b", true, -1)]
    public void IndexOf_MatchesIdsExactly_OrPositionsWhenAsked(string reference, bool byIndex, int expected) =>
        Assert.Equal(expected, new ExampleReferences(s_ids, byIndex ? s_byIndex : s_byId).IndexOf(reference));

    [Fact]
    public void IndexOf_OnImplicitIds_MatchesNumbersAsBefore()
    {
        var implicitIds = IdList.Implicit(5);

        Assert.Equal(3, new ExampleReferences(implicitIds, s_byId).IndexOf("3"));
        Assert.Equal(3, new ExampleReferences(implicitIds, s_byIndex).IndexOf("3"));
        Assert.Equal(-1, new ExampleReferences(implicitIds, s_byId).IndexOf("5"));
        Assert.Equal([1, 4], ObservedCells.FromPairs([new("1", 0.5), new("4", 0.25)], implicitIds, s_byId, "observed").Examples);
    }

    [Fact]
    public void FromPairs_RefusesANumberThatIsNotAnId_NamingTheSourceTheEntryTheValueAndTheFix()
    {
        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.FromPairs([new("a", 0.5), new("3", 0.25)], s_ids, s_byId, "observed"));

        Assert.Equal(
            "observed: entry 2: column 'example': example '3' is not one of the model's 4 example ids; examples are matched by id exactly: pass --by-index to read these as column positions.",
            e.Message);
    }

    [Fact]
    public void FromPairs_ByIndex_ReadsColumnPositions_AndRefusesThoseOutOfRange()
    {
        Assert.Equal([0, 3], ObservedCells.FromPairs([new("0", 0.5), new("3", 0.25)], s_ids, s_byIndex, "observed").Examples);

        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.FromPairs([new("0", 0.5), new("4", 0.25), new("a", 0.1)], s_ids, s_byIndex, "observed"));
        Assert.Contains("2 examples are not column positions 0..3 (first: '4', 'a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPairs_UnknownTextIds_PointToTheIdsNotToPositions()
    {
        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.FromPairs([new("zz", 0.5)], s_ids, s_byId, "observed"));

        Assert.Contains("'zz'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--by-index", e.Message, StringComparison.Ordinal);
    }
    [Fact]
    public void Read_IdsWithSpaces_MatchExactlyFirst_AndTrimmedOnlyWhenNothingElseMatches()
    {
        // ' abc' is an example of its own: its value must not go to 'abc'. "b " names no example, so it is 'b'.
        var ids = IdList.From(["abc", " abc", "b"]);
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-spaces");
        var path = Path.Combine(folder, "o.csv");
        File.WriteAllText(path, "example,value\n\" abc\",1.0\nabc,2.0\n\"b \",3.0\n");

        var cells = ObservedCells.Read(path, ids, s_byId);

        Assert.Equal([1, 0, 2], cells.Examples);
        Assert.Equal([1.0, 2.0, 3.0], cells.Values);
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData("o.csv", "example,value\n", "holds no measured cells")]
    [InlineData("o.json", "[]", "holds no measured cells")]
    [InlineData("o.json", "{\"example\": {\"0\": \"a\"}, \"value\": {\"0\": 0.5}}", "Write the table with to_json(orient=\"records\")")]
    [InlineData("o.json", "{\"example\": \"a\", \"value\": 0.5}\n{\"example\": \"b\", \"value\": 0.5}\n", "It looks like JSON Lines")]
    // QA (a polars user): write_ndjson's file named .ndjson was parsed as CSV ("unexpected ':' after a closing quote").
    [InlineData("o.ndjson", "{\"example\": \"a\", \"value\": 0.5}\n", "o.ndjson: is JSON Lines by its name (a record per line: polars' write_ndjson(), pandas' to_json(orient=\"records\", lines=True)), which is not read here: write one array of records")]
    [InlineData("o.jsonl", "{\"example\": \"a\", \"value\": 0.5}\n", "is JSON Lines by its name")]
    [InlineData("o.json", "{\"a\": 0.5, \"a\": 0.25}", "measured twice, on entries 1 and 2")]
    // Python's json.dump writes NaN and Infinity bare (QA: the parser's "'N' is an invalid start of a value" was all it said).
    [InlineData("o.json", "{\"a\": 0.3, \"b\": NaN}", "o.json:1: character 17: NaN and Infinity are not JSON (Python's json.dump writes them bare); leave out the cells that were not measured")]
    [InlineData("o.json", "[{\"example\": \"a\", \"value\": -Infinity}]", "NaN and Infinity are not JSON")]
    [InlineData("o.csv", "example,value\na,NA\n", "example 'a' has value 'NA', a missing value; drop the row")]
    // A key given twice in a record (Python's json keeps the last, we had read the first); pandas' orient="split".
    [InlineData("o.json", "[{\"example\": \"a\", \"value\": 0.1, \"value\": 0.5}]", "o.json: record 1: column 'value': record 1 gives 'value' twice; give each record one 'example' and one 'value'.")]
    [InlineData("o.json", "{\"columns\": [\"example\", \"value\"], \"index\": [0], \"data\": [[\"a\", 0.1]]}", "holds pandas' orient=\"split\" JSON (\"columns\", \"index\", \"data\"), a table rather than example/value pairs; expected an object of example/value pairs")]
    // A JSON document names an entry or record by its number, not as a line (a one-line file was reported at line 2).
    [InlineData("o.json", "{\"a\": 0.5, \"b\": \"x\"}", "o.json: entry 2: column 'value': the value for example 'b' is string, not a number")]
    [InlineData("o.json", "[{\"example\": \"a\", \"value\": 0.5}, {\"example\": \"zz\", \"value\": 1}]", "o.json: record 2: column 'example': example 'zz' is not one of the model's")]
    public void Read_CommonMistakes_AreNamedWithTheFix(string name, string text, string expected)
    {
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-mistakes");
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);

        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, s_ids, s_byId));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", e.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Read_IdsWrittenAsFloats_NameTheCauseAndTheFix_AsMetadataDoes()
    {
        // Given: pandas wrote the example column as floats ('101.0' for example 101), as a column with a missing value becomes.
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-floats");
        var path = Path.Combine(folder, "o.csv");
        File.WriteAllText(path, "example,value\n101.0,0.5\n102.0,0.25\n");

        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, IdList.From(["100", "101", "102"]), s_byId));

        Assert.Contains("2 examples are not among the model's 3 example ids (first: '101.0', '102.0'); they are written as decimals ('101.0') where the examples' are whole numbers ('100'): write them as integers (pandas: astype(int) before to_csv).", e.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Read_IdsWhoseLeadingZerosPandasDropped_NameTheCauseAndTheFix_NotPositions()
    {
        // Given: a model whose ids are 00001..00040, and measured cells pandas read and wrote back ('00012' became '12');
        // read as column positions they would each name the neighbouring example.
        var ids = IdList.From([.. Enumerable.Range(1, 40).Select(i => i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture))]);
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-zeros");
        var path = Path.Combine(folder, "o.csv");
        File.WriteAllText(path, "example,value\n12,0.5\n30,0.25\n");

        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, ids, s_byId));

        Assert.Contains("o.csv:2: column 'example': 2 examples are not among the model's 40 example ids (first: '12', '30'); they are example ids with their leading zeros dropped ('12' for '00012'), as pandas drops them when it reads ids as numbers: read the file with pd.read_csv(..., dtype={'example': str}) (or dtype=str) before writing it again (they are ids: read as column positions they would name other examples).", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--by-index", e.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData("012", "12", "pass --by-index")]     // '0012' and '012' both strip to 12: which one is meant is unknown
    [InlineData("x", "12,99", "pass --by-index")]    // one id matches none that way
    [InlineData("x", "12.0", "leading zeros")]       // pandas wrote it as a float too: dtype=str fixes both
    [InlineData("x", "12", "leading zeros")]
    public void DescribeUnknown_LeadingZeros_OnlyWhenEveryIdMatchesExactlyOneModelId(string second, string unknown, string expected)
    {
        var ids = IdList.From(["0012", second, "0030", .. Enumerable.Range(3, 47).Select(i => "e" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

        var message = new ExampleReferences(ids, s_byId).DescribeUnknown(unknown.Split(','));

        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain(expected == "leading zeros" ? "--by-index" : "leading zeros", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_IdsWhoseLeadingZerosPandasDropped_NameTheCauseAndTheFix()
    {
        var ids = IdList.From(["007", "010", "042"]);
        var table = MetadataTable.Create("meta.csv", ["id", "source"], [["7", "10", "42"], ["x", "y", "x"]]);

        var e = Assert.Throws<ForgettingDataException>(() => table.Join(ids).RequireAny());

        Assert.Contains("Its ids are example ids with their leading zeros dropped ('7' for '007'), as pandas drops them when it reads ids as numbers: read the file with pd.read_csv(..., dtype={'id': str}) (or dtype=str) before writing it again.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_APandasSeries_IsRefusedNamingItsColumns_WhichReadItWhenGivenBack()
    {
        // Given: pd.Series(values, index=ids).to_csv('o.csv'): an empty header cell over the ids, '0' over the values.
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-series");
        var path = Path.Combine(folder, "o.csv");
        File.WriteAllText(path, ",0\na,0.5\nc,0.25\n");

        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, s_ids, s_byId));
        var cells = ObservedCells.Read(path, s_ids, s_byId, ["Unnamed: 0", "0"]);

        Assert.Contains("(found: 'Unnamed: 0', '0')", e.Message, StringComparison.Ordinal);
        Assert.Equal([0, 3], cells.Examples);
        Assert.Equal([0.5, 0.25], cells.Values);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Read_AFileWithoutAHeaderLine_IsRefusedWithTheFix_EvenWhenItsFirstCellIsNamedAsTheColumns()
    {
        // Given: pd.Series(values, index=ids).to_csv(header=False): the first line is a measured cell. QA: the refusal said to
        // name the columns, and naming them ("7,0.5") read the file without its first cell, with exit 0.
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-headerless");
        var path = Path.Combine(folder, "o.csv");
        File.WriteAllText(path, "7,0.5\na,0.25\nc,0.125\n");
        var indexed = Path.Combine(folder, "indexed.csv");
        File.WriteAllText(indexed, "0,b,0.5\n1,a,0.25\n");

        var plain = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, s_ids, s_byId));
        var named = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, s_ids, s_byId, ["7", "0.5"]));
        var withIndex = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(indexed, s_ids, s_byId));

        Assert.Equal(
            path + ":1: its first line ('7', '0.5') is a measured cell, not a header: example '7' with value 0.5. The file has no header line (pandas writes none with header=False), so that cell would be dropped. "
            + "Write the file with its header (pandas: series.to_csv(path, index_label='example', header=['value']), or df.to_csv(path, index=False) with columns example and value), or add the line 'example,value' above the cells.",
            plain.Message);
        Assert.Contains("so that cell would be dropped (naming its fields with ObservedCells.Columns does not make them a header). Write the file with its header", named.Message, StringComparison.Ordinal);
        Assert.Equal([DataOptionNames.ObservedColumns], named.Options.Select(o => o.Name));
        Assert.Contains("example 'b' with value 0.5", withIndex.Message, StringComparison.Ordinal);

        // A header that names its columns is read as before, also when one column is named after a number (a Series' ',0').
        File.WriteAllText(path, "example,value\n7,0.5\na,0.25\n");
        Assert.Equal([2, 0], ObservedCells.Read(path, s_ids, s_byId).Examples);
        File.WriteAllText(path, ",0\n7,0.5\na,0.25\n");
        Assert.Equal([2, 0], ObservedCells.Read(path, s_ids, s_byId, ["Unnamed: 0", "0"]).Examples);
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    // QA: orient="index" (with or without the examples as the index) was named orient="columns", and orient="table" an
    // object of objects (under 'schema').
    [InlineData("{\"0\": {\"example\": \"a\", \"value\": 0.5}, \"1\": {\"example\": \"c\", \"value\": 0.25}}", "index")]   // df.to_json(orient="index")
    [InlineData("{\"a\": {\"value\": 0.5}, \"c\": {\"value\": 0.25}}", "index")]                                                 // df.set_index("example").to_json(orient="index")
    [InlineData("{\"0\": {\"ex\": \"a\", \"v\": 0.5}, \"1\": {\"ex\": \"c\", \"v\": 0.25}, \"2\": {\"ex\": \"b\", \"v\": 0.1}}", "index")]
    [InlineData("{\"example\": {\"0\": \"a\", \"1\": \"c\"}, \"value\": {\"0\": 0.5, \"1\": 0.25}}", "columns")]           // df.to_json()
    [InlineData("{\"value\": {\"a\": 0.5, \"c\": 0.25}}", "columns")]                                                              // df.set_index("example").to_json()
    [InlineData("{\"schema\": {\"fields\": [{\"name\": \"index\", \"type\": \"integer\"}], \"primaryKey\": [\"index\"], \"pandas_version\": \"1.4.0\"}, \"data\": [{\"index\": 0, \"example\": \"a\", \"value\": 0.5}]}", "table")]
    public void Read_PandasTableJson_IsNamedByTheOrientThatWroteIt_WithTheRecordsFix(string text, string orient)
    {
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-orient");
        var path = Path.Combine(folder, "o.json");
        File.WriteAllText(path, text);

        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, s_ids, s_byId));

        Assert.StartsWith(path + ": holds pandas' orient=\"" + orient + "\" JSON (", e.Message, StringComparison.Ordinal);
        Assert.Contains(orient switch
        {
            "index" => "an object keyed by row labels whose values are row objects",
            "columns" => "an object keyed by column names whose values are objects keyed by row labels, as DataFrame.to_json() writes by default",
            _ => "an object with \"schema\" and \"data\"",
        }, e.Message, StringComparison.Ordinal);
        Assert.Contains("Write the table with to_json(orient=\"records\")", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("object of objects", e.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Read_Parquet_NamesARowByItsNumber_NotAsALine()
    {
        // QA: a Parquet table's first row was reported as "ds.parquet:1:", a line it does not have.
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-rows");
        var path = Path.Combine(folder, "ds.parquet");
        using (var stream = File.Create(path))
        using (var writer = Data.Parquet.ParquetWriter.Create(stream, [new("example", Data.Parquet.ParquetValueType.String), new("value", Data.Parquet.ParquetValueType.Double)]))
        {
            writer.WriteRows([Data.Parquet.ParquetColumnData.FromStrings(new string?[] { "a", "zz" }), Data.Parquet.ParquetColumnData.FromDoubles(new[] { double.PositiveInfinity, 0.5 })]);
        }

        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, s_ids, s_byId));
        var columns = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, s_ids, s_byId, ["ex", "value"]));

        Assert.StartsWith(path + ": row 1: column 'value': value ", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, e.Line);
        // Columns the caller named that the table lacks are the caller's to change (a usage error); the default names' are the file's.
        Assert.StartsWith(path + ": ObservedCells.Columns = ex,value names columns the table lacks: it has no 'ex' (its columns: 'example', 'value').", columns.Message, StringComparison.Ordinal);
        Assert.True(columns.ContradictsOption);
        Assert.False(e.ContradictsOption);
        Directory.Delete(folder, recursive: true);
    }

    // JSON records lacking the keys the caller named are the caller's to change, as a table's columns are (had been the file's
    // fault, exit 1); lacking the default keys, or a later record lacking them, stays the file's.
    [Fact]
    public void Read_JsonRecords_LackingTheNamedKeys_IsTheOptionsFault()
    {
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-json-keys");
        var path = Path.Combine(folder, "cells.json");
        File.WriteAllText(path, "[{\"example\": \"a\", \"value\": 0.5}, {\"example\": \"b\", \"loss\": 0.25}]");

        var named = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, s_ids, s_byId, ["ex", "value"]));
        var later = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, s_ids, s_byId));

        Assert.StartsWith(path + ":1: ObservedCells.Columns = ex,value names keys the records lack: record 1 has no 'ex' (its keys: 'example', 'value'). Name the example and value keys with", named.Message, StringComparison.Ordinal);
        Assert.True(named.ContradictsOption);
        Assert.Contains("record 2 is not an object with 'example' and 'value'", later.Message, StringComparison.Ordinal);
        Assert.False(later.ContradictsOption);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Read_AWhitespaceOnlyLastLine_IsBlank()
    {
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-blank");
        var path = Path.Combine(folder, "o.csv");
        File.WriteAllText(path, "example,value\na,0.5\n  \n\u001a");

        var cells = ObservedCells.Read(path, s_ids, s_byId);

        Assert.Equal([0], cells.Examples);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Read_ParquetValuesHeldAsTextOrDates_AreRefusedAsTheMatrixReaderRefusesThem()
    {
        // Given: measured values written as VARCHAR (were parsed here while the matrix reader refused them), and as DATE
        // (were read as day counts).
        var folder = Testing.RepoPaths.NewTempFolder("fp-observed-types");
        var text = Path.Combine(folder, "text.parquet");
        using (var stream = File.Create(text))
        using (var writer = Data.Parquet.ParquetWriter.Create(stream, [new("example", Data.Parquet.ParquetValueType.String), new("value", Data.Parquet.ParquetValueType.String)]))
        {
            writer.WriteRows([Data.Parquet.ParquetColumnData.FromStrings(new string?[] { "a" }), Data.Parquet.ParquetColumnData.FromStrings(new string?[] { "0.5" })]);
        }

        var date = Path.Combine(folder, "date.parquet");
        File.WriteAllBytes(date, Tests.Parquet.ParquetFileBuilder.Build(
            [new("example", 6, Converted: 0), new("value", 1, Converted: 6)],
            [new(Tests.Parquet.ParquetFileBuilder.DataPageV1(1, 0, [1, 0, 0, 0, (byte)'a'])), new(Tests.Parquet.ParquetFileBuilder.DataPageV1(1, 0, Tests.Parquet.ParquetFileBuilder.Int32s(19723)))],
            1));

        // Then
        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(text, s_ids, s_byId));
        Assert.Contains("text.parquet: column 'value': the column holds text, not numbers; cast it to a number before export (DuckDB: value::DOUBLE", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(date, s_ids, s_byId));
        Assert.Contains("date.parquet: column 'value': the column holds DATE values", e.Message, StringComparison.Ordinal);
        Assert.Contains("or drop the column", e.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }
}

using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests;

/// <summary>QA findings on --observed files of binary and long-format users.</summary>
public class ObservedCellsQaTests
{
    private static readonly IdList s_ids = IdList.From(["e0", "e1", "e2", "e3"]);

    private static string Write(string text, string name = "obs.csv")
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);
        File.WriteAllText(path, text);
        return path;
    }

    // pandas writes a bool column True/False: "value 'True' is not a number (use '.' as the decimal point)" had refused it,
    // while the matrix readers take it as 1/0.
    [Fact]
    public void BooleanValues_AreReadAsOneAndZero_AsTheMatrixReadersReadThem()
    {
        var path = Write("example,value\ne0,True\ne1,False\ne2,true\ne3,FALSE\n");
        var cells = ObservedCells.Read(path, s_ids, new ExampleMatching(false, "pass --by-index"));
        Assert.Equal([1.0, 0.0, 1.0, 0.0], cells.Values);
        Assert.Empty(cells.Warnings);
        Assert.Contains("is not a number", Assert.Throws<ForgettingDataException>(() =>
            ObservedCells.Read(Write("example,value\ne0,yes\n"), s_ids, new ExampleMatching(false, "pass --by-index"))).Message, StringComparison.Ordinal);
    }

    // A JSON record's null value was reported in "column 'value'" whatever --observed-columns named it; the CSV reader names it as given.
    [Fact]
    public void AJsonRecordsNonNumber_NamesTheValueColumnAsGiven()
    {
        var path = Write("[{\"ex\":0,\"v\":0.1},{\"ex\":1,\"v\":null}]", "obs.json");
        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(path, IdList.Implicit(4), new ExampleMatching(false, "pass --by-index"), ["ex", "v"]));
        Assert.Equal("v", e.Column);
        Assert.Contains("column 'v'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'value'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACell_IsNamedWhereItWasRead()
    {
        var path = Write("example,value\ne0,1\ne2,0.7\n");
        var cells = ObservedCells.Read(path, s_ids, new ExampleMatching(false, "pass --by-index"));
        var e = cells.AtCell(1, "the detail.");
        Assert.NotNull(e);
        Assert.Equal($"{path}:3: column 'value': the detail.", e.Message);
        Assert.Null(new ObservedCells([1], [0.5]).AtCell(0, "x"));
    }

    // A long table of several tasks' cells had been folded in as one task without a word.
    [Fact]
    public void ATaskColumnOfSeveralTasks_IsWarnedAbout_NamingThemAndTheFix()
    {
        var path = Write("task,example,value\nt30,e0,0.1\nt30,e1,0.2\nt99,e2,0.3\n");
        var cells = ObservedCells.Read(path, s_ids, new ExampleMatching(false, "pass --by-index"));
        Assert.Equal(3, cells.Examples.Length);
        var warning = Assert.Single(cells.Warnings);
        Assert.StartsWith($"{path}: column 'task' holds 2 tasks ('t30', 't99'), the second starting at line 4,", warning, StringComparison.Ordinal);
        Assert.Contains("df[df.task == 't30'].to_csv(..., index=False)", warning, StringComparison.Ordinal);

        var one = ObservedCells.Read(Write("task,example,value\nt30,e0,0.1\nt30,e1,0.2\n"), s_ids, new ExampleMatching(false, "pass --by-index"));
        Assert.Empty(one.Warnings);
    }

    // QA: the same long table as Parquet, or as a JSON array of records (pandas to_json(orient="records")), was folded in
    // as one task without a word, while its CSV was warned about. One rule for the three readers: the warning names the
    // file, the column, where the second task starts (a Parquet table's row, a JSON array's record) and the fix in that format.
    [Fact]
    public void ATaskColumnOfSeveralTasks_InParquet_IsWarnedAbout_NamingTheRowAndTheFix()
    {
        // Given: three rows of two tasks, the second task from row 3
        var path = Path.Combine(RepoPaths.NewTempFolder(), "obs.parquet");
        WriteParquet(path, ["t30", "t30", "t99"]);

        // When
        var cells = ObservedCells.Read(path, s_ids, new ExampleMatching(false, "pass --by-index"));

        // Then
        Assert.Equal(3, cells.Examples.Length);
        var warning = Assert.Single(cells.Warnings);
        Assert.StartsWith($"{path}: column 'task' holds 2 tasks ('t30', 't99'), the second starting at row 3, and their cells were taken as one new task's.", warning, StringComparison.Ordinal);
        Assert.Contains("df[df.task == 't30'].to_parquet(..., index=False)", warning, StringComparison.Ordinal);

        // One task, or a null beside it, is nothing to say.
        var one = Path.Combine(RepoPaths.NewTempFolder(), "one.parquet");
        WriteParquet(one, ["t30", null, "t30"]);
        Assert.Empty(ObservedCells.Read(one, s_ids, new ExampleMatching(false, "pass --by-index")).Warnings);
    }

    [Fact]
    public void ATaskColumnOfSeveralTasks_InJsonRecords_IsWarnedAbout_NamingTheRecordAndTheFix()
    {
        // Given: pandas' to_json(orient="records") of a long table; ids as numbers count as tasks too
        var path = Write("""[{"task": 7, "example": "e0", "value": 0.1}, {"task": 7, "example": "e1", "value": 0.2}, {"task": "t99", "example": "e2", "value": 0.3}]""", "obs.json");

        // When
        var cells = ObservedCells.Read(path, s_ids, new ExampleMatching(false, "pass --by-index"));

        // Then
        Assert.Equal(3, cells.Examples.Length);
        var warning = Assert.Single(cells.Warnings);
        Assert.StartsWith($"{path}: column 'task' holds 2 tasks ('7', 't99'), the second starting at record 3, and their cells were taken as one new task's.", warning, StringComparison.Ordinal);
        Assert.Contains("df[df.task == '7'].to_json(..., orient=\"records\")", warning, StringComparison.Ordinal);

        // One task (or none: an object of example/value pairs, or records without a task) is nothing to say.
        Assert.Empty(ObservedCells.Read(Write("""[{"Task": "t1", "example": "e0", "value": 0.1}, {"Task": "t1", "example": "e1", "value": 0.5, "x": 1}]""", "one.json"), s_ids, new ExampleMatching(false, "pass --by-index")).Warnings);
        Assert.Empty(ObservedCells.Read(Write("""{"e0": 0.1, "e1": 0.2}""", "pairs.json"), s_ids, new ExampleMatching(false, "pass --by-index")).Warnings);
    }

    // A column named otherwise than 'task' (any case is the task column) is named in the warning and in the fix.
    [Fact]
    public void ATaskColumnNamedInAnotherCase_IsNamedAsWritten()
    {
        var path = Write("""[{"Task": "a", "example": "e0", "value": 0.1}, {"Task": "b", "example": "e1", "value": 0.2}]""", "obs.json");

        var warning = Assert.Single(ObservedCells.Read(path, s_ids, new ExampleMatching(false, "pass --by-index")).Warnings);

        Assert.StartsWith($"{path}: column 'Task' holds 2 tasks ('a', 'b'), the second starting at record 2,", warning, StringComparison.Ordinal);
        Assert.Contains("df[df['Task'] == 'a']", warning, StringComparison.Ordinal);
    }

    private static void WriteParquet(string path, string?[] tasks)
    {
        using var stream = File.Create(path);
        using var writer = Data.Parquet.ParquetWriter.Create(stream,
            [new("task", Data.Parquet.ParquetValueType.String, IsNullable: true), new("example", Data.Parquet.ParquetValueType.String), new("value", Data.Parquet.ParquetValueType.Double)]);
        writer.WriteRows([
            Data.Parquet.ParquetColumnData.FromStrings(tasks),
            Data.Parquet.ParquetColumnData.FromStrings(new string?[] { "e0", "e1", "e2" }),
            Data.Parquet.ParquetColumnData.FromDoubles(new[] { 0.1, 0.2, 0.3 }),
        ]);
    }
}

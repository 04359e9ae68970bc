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
        Assert.StartsWith($"{path}: column 'task' holds 2 tasks ('t30', 't99')", warning, StringComparison.Ordinal);
        Assert.Contains("df[df.task == 't30']", warning, StringComparison.Ordinal);

        var one = ObservedCells.Read(Write("task,example,value\nt30,e0,0.1\nt30,e1,0.2\n"), s_ids, new ExampleMatching(false, "pass --by-index"));
        Assert.Empty(one.Warnings);
    }
}

using ForgetPredict.Core;
using ForgetPredict.Data.Tests.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>
/// In the wide layout the example ids are column names, and DuckDB reads column names ignoring case: of two examples
/// <c>A</c> and <c>a</c> it renames the second <c>a_1</c>. Such a matrix is written (pandas, polars and our reader read it
/// exactly) with a warning naming the two and the long layout as the fix.
/// </summary>
public sealed class WideLayoutCaseTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("fp-widecase");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("parquet")]
    [InlineData("csv")]
    [InlineData("tsv")]
    public void WideLayout_ExampleIdsEqualIgnoringCase_AreWarnedNamingBothAndTheLongLayout(string format)
    {
        var matrix = ForgettingMatrix.Wrap([1f, 2f, 3f, 4f], 1, 4, ["t"], ["A", "b", "a", "B"]);

        var warning = Assert.Single(MatrixFile.LossesOnWrite(matrix, format, MatrixLayout.Wide));

        Assert.Contains("'A' and 'a' (and 1 more pair(s)) differ only in case", warning, StringComparison.Ordinal);
        Assert.Contains("DuckDB", warning, StringComparison.Ordinal);
        Assert.Contains("'a_1'", warning, StringComparison.Ordinal);
        Assert.Contains("--layout long", warning, StringComparison.Ordinal);
        Assert.Empty(MatrixFile.LossesOnWrite(matrix, format, MatrixLayout.Long));
        Assert.Empty(MatrixFile.LossesOnWrite(ForgettingMatrix.Wrap([1f, 2f], 1, 2, ["t"], ["A", "b"]), format, MatrixLayout.Wide));
    }

    // An example 'TASK' beside the task id column 'task' is renamed 'TASK_1' by DuckDB too; the warning had missed it.
    [Theory]
    [InlineData("parquet", "task")]
    [InlineData("csv", "task")]
    [InlineData("csv", "run")]
    public void WideLayout_AnExampleEqualIgnoringCaseToTheTaskColumn_IsWarned(string format, string taskColumn)
    {
        var twin = taskColumn.ToUpperInvariant();
        var matrix = ForgettingMatrix.Wrap([1f, 2f], 1, 2, ["t"], [twin, "x"]);

        var warning = Assert.Single(MatrixFile.LossesOnWrite(matrix, format, MatrixLayout.Wide, taskColumn));

        Assert.Contains($"the example '{twin}' and the task id column '{taskColumn}' differ only in case", warning, StringComparison.Ordinal);
        Assert.Contains($"'{twin}_1'", warning, StringComparison.Ordinal);
        Assert.Contains("--layout long", warning, StringComparison.Ordinal);
        Assert.Empty(MatrixFile.LossesOnWrite(matrix, format, MatrixLayout.Long, taskColumn));
        Assert.Empty(MatrixFile.LossesOnWrite(matrix, format, MatrixLayout.Wide, "other"));
    }

    // DuckDB folds ASCII case only: 'É' and 'é' stay two columns, so they are not warned (they had been, as 'é_1').
    [Theory]
    [InlineData("parquet")]
    [InlineData("csv")]
    public void WideLayout_NonAsciiIdsEqualIgnoringCase_AreNotWarned(string format)
    {
        Assert.Empty(MatrixFile.LossesOnWrite(ForgettingMatrix.Wrap([1f, 2f], 1, 2, ["t"], ["É", "é"]), format, MatrixLayout.Wide));
        Assert.Empty(MatrixFile.LossesOnWrite(ForgettingMatrix.Wrap([1f, 2f], 1, 2, ["t"], ["TÂSK", "x"]), format, MatrixLayout.Wide, "tâsk"));
        Assert.Single(MatrixFile.LossesOnWrite(ForgettingMatrix.Wrap([1f, 2f], 1, 2, ["t"], ["Éa", "ÉA"]), format, MatrixLayout.Wide));
    }

    // The evidence: DuckDB renames an example 'TASK' beside the task column 'task', and keeps 'É' and 'é' apart.
    [Fact]
    public void DuckDb_RenamesAnExampleEqualToTheTaskColumnIgnoringCase_ButNotNonAsciiCaseTwins()
    {
        var path = Path.Combine(_folder, "task.parquet");
        MatrixFile.Write(ForgettingMatrix.Wrap([1f, 2f, 3f, 4f], 1, 4, ["t"], ["TASK", "x", "É", "é"]), path);

        Assert.Equal(["task", "TASK_1", "x", "É", "é"], ReferenceTable.Parse(ConformanceTools.DuckDb("read", path)).Names);
    }

    // The evidence for the warning: DuckDB reads our wide file's columns 'A' and 'a' as 'A' and 'a_1' (pandas, polars and we
    // read them as written), and reads the long layout's ids exactly.
    [Fact]
    public void DuckDb_RenamesAWideColumnEqualToAnotherIgnoringCase_ButReadsTheLongLayoutsIdsExactly()
    {
        var matrix = ForgettingMatrix.Wrap([1f, 2f], 1, 2, ["t"], ["A", "a"]);
        var wide = Path.Combine(_folder, "wide.parquet");
        var longPath = Path.Combine(_folder, "long.parquet");
        MatrixFile.Write(matrix, wide);
        MatrixFile.Write(matrix, longPath, new MatrixWriteOptions { Layout = MatrixLayout.Long });

        var duckWide = ReferenceTable.Parse(ConformanceTools.DuckDb("read", wide));
        var duckLong = ReferenceTable.Parse(ConformanceTools.DuckDb("read", longPath));

        Assert.Equal(["task", "A", "a_1"], duckWide.Names);
        Assert.Equal(["A", "a"], duckLong.Columns[1].Select(v => v.GetString()));
        Assert.Equal(["A", "a"], MatrixFile.Read(wide).ExampleIds);
    }
}

using ForgetPredict.Core;
using ForgetPredict.Core.Synthetic;
using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ForgetPredict.Frames.Tests;

public sealed class MatrixFramesTests
{
    private static ForgettingMatrix Sample() =>
        SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 7, Examples = 40, Seed = 3, MissingFraction = 0.2 }).Matrix
            .WithIds(Enumerable.Range(0, 7).Select(i => $"task {i}"), Enumerable.Range(0, 40).Select(j => $"ex-{j:D3}"));

    private static void AssertSame(ForgettingMatrix expected, ForgettingMatrix actual)
    {
        Assert.Equal(expected.TaskIds, actual.TaskIds);
        Assert.Equal(expected.ExampleIds, actual.ExampleIds);
        // Bit for bit, NaN (missing) included.
        Assert.Equal(expected.Values.ToArray().Select(BitConverter.SingleToInt32Bits), actual.Values.ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Wide_RoundTrip_IsExact()
    {
        // Given: a matrix with string ids and 20% missing cells.
        var z = Sample();
        Assert.True(z.MissingCount > 0);

        // When: it goes to a wide DataFrame and back.
        var frame = MatrixFrames.ToDataFrame(z);
        var back = MatrixFrames.ToMatrix(frame);

        // Then: one row per task, one column per example (null where missing), and the same matrix.
        Assert.Equal(7, frame.Rows.Count);
        Assert.Equal(41, frame.Columns.Count);
        Assert.Equal("task", frame.Columns[0].Name);
        Assert.Equal(z.MissingCount, frame.Columns.Skip(1).Sum(c => c.NullCount));
        Assert.Equal(z[2, 5], frame.Columns["ex-005"][2] is float f ? f : float.NaN);
        AssertSame(z, back);
    }

    [Fact]
    public void Cells_RoundTrip_IsExact_AndHasOneRowPerCell()
    {
        var z = Sample();

        var frame = MatrixFrames.ToDataFrame(z, FrameLayout.Cells);
        var back = MatrixFrames.ToMatrix(frame);

        Assert.Equal(z.CellCount, frame.Rows.Count);
        Assert.Equal(z.MissingCount, frame.Columns["value"].NullCount);
        Assert.Equal(["task", "example", "value"], frame.Columns.Select(c => c.Name));
        AssertSame(z, back);
    }

    [Fact]
    public void DataView_RoundTrip_ThroughMlNetCursor_IsExact()
    {
        // Given: the matrix as an IDataView, read back by ML.NET itself (a cursor over every row).
        var z = Sample();
        var view = MatrixFrames.ToDataView(z);
        var rows = new MLContext(seed: 0).Data.CreateEnumerable<CellRow>(view, reuseRowObject: false).ToList();
        var expected = Enumerable.Range(0, z.TaskCount).SelectMany(i => Enumerable.Range(0, z.ExampleCount).Select(j => (z.TaskIds[i], z.ExampleIds[j], z[i, j])));
        Assert.Equal(expected, rows.Select(r => (r.Task, r.Example, r.Value)));

        // When: an ML.NET-built view of those rows becomes a matrix again.
        var mlView = new MLContext(seed: 0).Data.LoadFromEnumerable(rows);
        var back = MatrixFrames.ToMatrix(mlView);

        // Then: every cell came through ML.NET (missing ones as NaN), and the matrix is the same.
        AssertSame(z, back);
    }

    [Fact]
    public void Wide_WithoutTaskColumn_NumbersTasks_AndReadsDoubleAndIntegerColumns()
    {
        var frame = new DataFrame(
            new DoubleDataFrameColumn("a", [0.25, null, 1.5]),
            new Int32DataFrameColumn("b", [1, 2, 3]));

        var z = MatrixFrames.ToMatrix(frame);

        Assert.Equal(["0", "1", "2"], z.TaskIds);
        Assert.Equal(["a", "b"], z.ExampleIds);
        Assert.Equal([0.25f, 1f, float.NaN, 2f, 1.5f, 3f], z.Values.ToArray());
    }

    [Fact]
    public void CustomColumnNames_AreUsed()
    {
        var z = Sample();
        var names = new FrameColumns { Task = "finetune", Example = "chunk", Value = "delta_loss" };

        var frame = MatrixFrames.ToDataFrame(z, FrameLayout.Cells, names);

        Assert.Equal(["finetune", "chunk", "delta_loss"], frame.Columns.Select(c => c.Name));
        AssertSame(z, MatrixFrames.ToMatrix(frame, names));
    }

    [Fact]
    public void RepeatedCell_IsRefused_NamingTheRow()
    {
        var frame = new DataFrame(
            new StringDataFrameColumn("task", ["t", "t"]),
            new StringDataFrameColumn("example", ["e", "e"]),
            new DoubleDataFrameColumn("value", [1.0, 2.0]));

        var e = Assert.Throws<ArgumentException>(() => MatrixFrames.ToMatrix(frame));

        Assert.StartsWith("Row 1: cell (task 't', example 'e') appears twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TextValues_AndInfiniteValues_AreRefused()
    {
        var text = new DataFrame(new StringDataFrameColumn("task", ["t"]), new StringDataFrameColumn("e1", ["high"]));
        var infinite = new DataFrame(new StringDataFrameColumn("task", ["t"]), new DoubleDataFrameColumn("e1", [double.PositiveInfinity]));

        Assert.Contains("must be numbers", Assert.Throws<ArgumentException>(() => MatrixFrames.ToMatrix(text)).Message, StringComparison.Ordinal);
        Assert.Contains("Column 'e1', row 0: the value is infinite", Assert.Throws<ArgumentException>(() => MatrixFrames.ToMatrix(infinite)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LongTable_WithoutTaskColumn_SaysWhichColumnIsMissing()
    {
        var frame = new DataFrame(new StringDataFrameColumn("example", ["e"]), new DoubleDataFrameColumn("value", [1.0]));

        var e = Assert.Throws<ArgumentException>(() => MatrixFrames.ToMatrix(frame));

        Assert.Contains("no task column 'task'", e.Message, StringComparison.Ordinal);
    }

    private sealed class CellRow
    {
        [ColumnName("task")]
        public string Task { get; set; } = "";

        [ColumnName("example")]
        public string Example { get; set; } = "";

        [ColumnName("value")]
        public float Value { get; set; }
    }
}

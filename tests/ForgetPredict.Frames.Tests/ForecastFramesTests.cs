using ForgetPredict.Core;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Replay;
using ForgetPredict.Core.Synthetic;
using Microsoft.Data.Analysis;
using Microsoft.ML;

namespace ForgetPredict.Frames.Tests;

public sealed class ForecastFramesTests
{
    private static readonly SyntheticForgetting s_data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 300, Seed = 5 });
    private static readonly FactorModel s_model = new LowRankFitter(new LowRankOptions { Rank = 3 }).FitLowRank(s_data.Matrix.SelectTasks([.. Enumerable.Range(1, 19)]));

    private static (int[] Examples, double[] Values) Measured()
    {
        var examples = Enumerable.Range(0, 25).Select(k => (k * 11) + 2).ToArray();
        return (examples, examples.Select(j => (double)s_data.Matrix[0, j]).ToArray());
    }

    [Fact]
    public void ObservedCells_RoundTrip_IsExact()
    {
        var (examples, values) = Measured();
        values[3] = 0.1 + 0.2; // a double that no float holds: kept exactly

        var frame = ForecastFrames.ObservedFrame(s_model.ExampleIds, examples, values);
        var (backExamples, backValues) = ForecastFrames.ObservedCells(s_model, frame);

        Assert.Equal(examples, backExamples);
        Assert.Equal(values, backValues);
    }

    [Fact]
    public void FoldIn_FromDataFrame_EqualsFoldInFromSpans()
    {
        var (examples, values) = Measured();
        var frame = ForecastFrames.ObservedFrame(s_model.ExampleIds, examples, values);

        var fromFrame = ForecastFrames.FoldIn(s_model, frame).PredictRow();
        var direct = s_model.FoldIn(examples, values).PredictRow();

        Assert.Equal(direct, fromFrame);
    }

    [Fact]
    public void ObservedCells_FromMlNetView_SkipMissingValues()
    {
        var rows = new[]
        {
            new Cell { Example = s_model.ExampleIds[4], Value = 0.5f },
            new Cell { Example = s_model.ExampleIds[9], Value = float.NaN },
            new Cell { Example = s_model.ExampleIds[7], Value = -0.25f },
        };
        var view = new MLContext(seed: 0).Data.LoadFromEnumerable(rows);

        var (examples, values) = ForecastFrames.ObservedCells(s_model, view);

        Assert.Equal([4, 7], examples);
        Assert.Equal([0.5, -0.25], values);
    }

    [Fact]
    public void ObservedCells_UnknownOrRepeatedExample_IsRefused()
    {
        var unknown = new DataFrame(new StringDataFrameColumn("example", ["nope"]), new DoubleDataFrameColumn("value", [1.0]));
        var twice = new DataFrame(new StringDataFrameColumn("example", [s_model.ExampleIds[1], s_model.ExampleIds[1]]), new DoubleDataFrameColumn("value", [1.0, 2.0]));
        var noValue = new DataFrame(new StringDataFrameColumn("example", ["a"]));

        Assert.Equal("Row 0: example 'nope' is not one of the model's 300 examples. (Parameter 'observed')", Assert.Throws<ArgumentException>(() => ForecastFrames.ObservedCells(s_model, unknown)).Message);
        Assert.StartsWith($"Row 1: example '{s_model.ExampleIds[1]}' is measured twice", Assert.Throws<ArgumentException>(() => ForecastFrames.ObservedCells(s_model, twice)).Message, StringComparison.Ordinal);
        Assert.StartsWith("The measured cells have no column 'value'", Assert.Throws<ArgumentException>(() => ForecastFrames.ObservedCells(s_model, noValue)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportTables_HoldTheReportsNumbersExactly()
    {
        var (examples, values) = Measured();
        var groups = s_data.ExampleGroups.ToArray();
        var report = ErasureReport.Create(s_model.FoldIn(examples, values), s_model.ExampleIds, ExampleGroups.FromLabels(groups));

        var table = ForecastFrames.Examples(report);
        var groupTable = ForecastFrames.Groups(report);

        Assert.Equal(["example", "predicted", "std", "probability", "rank", "group"], table.Columns.Select(c => c.Name));
        Assert.Equal(report.Examples.Select(e => e.Id), table.Columns["example"].Cast<string>());
        Assert.Equal(report.Examples.Select(e => e.Predicted), table.Columns["predicted"].Cast<double?>().Select(v => v!.Value));
        Assert.Equal(report.Examples.Select(e => e.Std), table.Columns["std"].Cast<double?>().Select(v => v!.Value));
        Assert.Equal(report.Examples.Select(e => e.Rank), table.Columns["rank"].Cast<int?>().Select(v => v!.Value));
        Assert.Equal(report.Examples.Select(e => e.Group), table.Columns["group"].Cast<string>());
        Assert.Equal(report.Groups.Select(g => g.Name), groupTable.Columns["group"].Cast<string>());
        Assert.Equal(report.Groups.Select(g => g.MeanForgetting), groupTable.Columns["mean"].Cast<double?>().Select(v => v!.Value));
        Assert.Equal(report.Groups.Select(g => g.Lower), groupTable.Columns["lower"].Cast<double?>().Select(v => v!.Value));
        Assert.Equal(report.Groups.Select(g => string.Join(",", g.TopExamples.Select(t => t.Id))), groupTable.Columns["top_examples"].Cast<string>());
    }

    [Fact]
    public void ExampleTable_MarksTheMeasuredCellsLikePredictOut()
    {
        var (examples, values) = Measured();
        var observed = ForecastFrames.ObservedFrame(s_model.ExampleIds, examples, values);
        var report = ErasureReport.Create(ForecastFrames.FoldIn(s_model, observed), s_model.ExampleIds);

        var table = ForecastFrames.Examples(report, observed);

        Assert.Equal(["example", "predicted", "std", "probability", "rank", "measured", "measured_value"], table.Columns.Select(c => c.Name));
        var measured = table.Columns["measured"].Cast<bool?>().Select(v => v!.Value).ToArray();
        var measuredValues = table.Columns["measured_value"].Cast<double?>().Select(v => v!.Value).ToArray();
        Assert.Equal(examples, Enumerable.Range(0, measured.Length).Where(j => measured[j]));
        Assert.Equal(values, examples.Select(j => measuredValues[j]));
        Assert.All(Enumerable.Range(0, measured.Length).Where(j => !measured[j]), j => Assert.True(double.IsNaN(measuredValues[j])));
        Assert.Equal(["example", "predicted", "std", "probability", "rank"], ForecastFrames.Examples(report).Columns.Select(c => c.Name));

        var unknown = new DataFrame(new StringDataFrameColumn("example", ["nope"]), new DoubleDataFrameColumn("value", [1.0]));
        Assert.StartsWith("Row 0: example 'nope' is not one of the model's 300 examples.", Assert.Throws<ArgumentException>(() => ForecastFrames.Examples(report, unknown)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayTable_ListsTheSetInSelectionOrder()
    {
        var predicted = s_model.FoldIn(Measured().Examples, Measured().Values).PredictRow();
        var set = ReplaySelector.Select(predicted, null, null, new ReplayOptions { Budget = 10, Strategy = ReplayStrategy.TopK });

        var table = ForecastFrames.Replay(set, s_model.ExampleIds);

        Assert.Equal(set.Items.Select(i => s_model.ExampleIds[i.Example]), table.Columns["example"].Cast<string>());
        Assert.Equal(set.Items.Select(i => i.Predicted), table.Columns["predicted"].Cast<double?>().Select(v => v!.Value));
    }

    // Indices from another model, and column names given twice or not at all, had failed with the frame library's or the
    // indexer's own words ("Index must be in 0..1 (Parameter 'index')", "DataFrame already contains a column called x").
    [Fact]
    public void Misuse_IsRefusedNamingTheCause()
    {
        var predicted = s_model.FoldIn(Measured().Examples, Measured().Values).PredictRow();
        var set = ReplaySelector.Select(predicted, null, null, new ReplayOptions { Budget = 10, Strategy = ReplayStrategy.TopK });
        var replay = Assert.Throws<ArgumentException>(() => ForecastFrames.Replay(set, IdList.From(["a", "b"])));
        Assert.Contains("there are 2 example ids; pass the example ids of the model it was selected with", replay.Message, StringComparison.Ordinal);

        var cell = Assert.Throws<ArgumentException>(() => ForecastFrames.ObservedFrame(s_model.ExampleIds, [1, 99999], [0.1, 0.2]));
        Assert.Contains("Cell 1 names example index 99999, but there are 300 example ids", cell.Message, StringComparison.Ordinal);

        Assert.Contains("FrameColumns.Task must name a column (it is null)", Assert.Throws<ArgumentException>(() => new FrameColumns { Task = null! }).Message, StringComparison.Ordinal);
        Assert.Contains("(it is empty)", Assert.Throws<ArgumentException>(() => new FrameColumns { Value = "" }).Message, StringComparison.Ordinal);
        var twice = new FrameColumns { Example = "x", Value = "x" };
        Assert.Contains("FrameColumns names a column twice", Assert.Throws<ArgumentException>(() => ForecastFrames.ObservedFrame(s_model.ExampleIds, [1], [0.1], twice)).Message, StringComparison.Ordinal);
        Assert.Contains("FrameColumns names a column twice", Assert.Throws<ArgumentException>(() => MatrixFrames.ToDataFrame(s_data.Matrix, FrameLayout.Cells, twice)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => MatrixFrames.ToDataFrame(s_data.Matrix, (FrameLayout)7));
        Assert.Throws<ArgumentException>(() => new FrameColumns { Example = "  " });

        // Only the names a table uses must differ: measured cells have no task column, a wide table no example or value one.
        var cells = new FrameColumns { Example = "task" };
        var frame = ForecastFrames.ObservedFrame(s_model.ExampleIds, [1, 2], [0.1, 0.2], cells);
        Assert.Equal([1, 2], ForecastFrames.ObservedCells(s_model, frame, cells).Examples);
        Assert.Equal(s_data.Matrix.TaskCount, MatrixFrames.ToMatrix(MatrixFrames.ToDataFrame(s_data.Matrix, FrameLayout.Wide, twice), twice).TaskCount);
    }

    private sealed class Cell
    {
        [Microsoft.ML.Data.ColumnName("example")]
        public string Example { get; set; } = "";

        [Microsoft.ML.Data.ColumnName("value")]
        public float Value { get; set; }
    }
}

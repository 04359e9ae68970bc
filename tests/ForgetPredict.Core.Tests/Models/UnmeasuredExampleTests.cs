using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>
/// Examples no training task measured (NaN columns): predicted as the average measured example, with intervals that show how
/// little the model knows of them.
/// </summary>
public class UnmeasuredExampleTests
{
    private const int Tasks = 40;
    private const int Training = 30;
    private const int Examples = 2500;

    // Across block boundaries (1,024 examples a block) and at both ends of the row; then 200 more, spread out.
    private static readonly int[] s_unmeasured = [.. new[] { 0, 1023, 1024, 2499 }.Concat(Enumerable.Range(0, 200).Select(i => 5 + (i * 12))).Distinct().Order()];

    private static readonly SyntheticForgetting s_synthetic = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = Tasks, Examples = Examples, Seed = 21, Noise = 0.01 });

    // The first 30 tasks, with the unmeasured columns blanked: the past. The other 10 are new tasks whose whole rows are known.
    private static readonly ForgettingMatrix s_past = Blank(s_synthetic.Matrix.SelectTasks([.. Enumerable.Range(0, Training)]), s_unmeasured);

    [Theory]
    [InlineData("mf")]
    [InlineData("additive")]
    [InlineData("rank1")]
    [InlineData("example-mean")]
    [InlineData("profile")]
    public void Fit_RecordsTheUnmeasuredExamples_AndGivesThemTheMeasuredAverage(string method)
    {
        var model = (FactorModel)(method == "profile" ? new ProfileFitter() : ModelCatalog.CreateFitter(method)).Fit(s_past);

        Assert.Equal(s_unmeasured, model.UnmeasuredExamples);
        var measured = Enumerable.Range(0, Examples).Except(s_unmeasured).ToArray();
        if (model.HasExampleBias)
        {
            var bias = model.ExampleBiases.ToArray();
            var average = measured.Sum(j => bias[j]) / measured.Length;
            Assert.All(s_unmeasured, j => Assert.Equal(average, bias[j], 12));
        }

        var factors = model.ExampleFactors.ToArray();
        for (var k = 0; k < model.Rank; k++)
        {
            var average = measured.Sum(j => factors[(k * Examples) + j]) / measured.Length;
            Assert.All(s_unmeasured, j => Assert.Equal(average, factors[(k * Examples) + j], 12));
        }
    }

    // With most columns unmeasured the measured examples' intervals were 5-7 times too wide (covering 100%): the residual
    // directions were scaled by the observed fraction of every column, the empty ones included (n / measured = 50 in variance
    // with 98% of the columns empty), and the isotropic part was averaged over the empty columns too.
    [Theory]
    [InlineData("mf")]
    [InlineData("additive")]
    public void NewTasks_WithMostColumnsUnmeasured_MeasuredExamplesIntervalsCoverAsTheyShould(string method)
    {
        var empty = Enumerable.Range(0, Examples).Where(j => j % 50 != 0).ToArray();
        var past = Blank(s_synthetic.Matrix.SelectTasks([.. Enumerable.Range(0, Training)]), empty);
        var model = ModelCatalog.CreateFitter(method).Fit(past);
        var measured = Enumerable.Range(0, Examples).Where(j => j % 50 == 0).ToArray();
        var random = new Random(6);
        int covered = 0, count = 0;
        for (var t = Training; t < Tasks; t++)
        {
            var known = measured.OrderBy(_ => random.Next()).Take(15).Order().ToArray();
            var fold = model.FoldIn(known, [.. known.Select(j => (double)s_synthetic.Matrix[t, j])]);
            var mean = new double[Examples];
            var std = new double[Examples];
            fold.PredictRow(mean, std);
            foreach (var j in measured.Where(j => Array.BinarySearch(known, j) < 0))
            {
                covered += Math.Abs(s_synthetic.Matrix[t, j] - mean[j]) <= 1.645 * std[j] ? 1 : 0;
                count++;
            }
        }

        Assert.InRange((double)covered / count, 0.75, 0.97);
    }

    [Theory]
    [InlineData("mf")]
    [InlineData("additive")]
    [InlineData("knn")]
    [InlineData("auto")]
    public void NewTasks_UnmeasuredExamples_IntervalsCoverAsOftenAsTheMeasuredOnes(string method)
    {
        // Given: a model of the past, and 10 new tasks each folded in from 30 measured cells
        var model = ModelCatalog.CreateFitter(method).Fit(s_past);
        var truth = s_synthetic.Matrix;
        var unmeasured = s_unmeasured.ToHashSet();
        var random = new Random(5);
        int coveredUnmeasured = 0, countUnmeasured = 0, coveredMeasured = 0, countMeasured = 0;
        double widthUnmeasured = 0, widthMeasured = 0;
        for (var t = Training; t < Tasks; t++)
        {
            var known = Enumerable.Range(0, Examples).Where(j => !unmeasured.Contains(j)).OrderBy(_ => random.Next()).Take(30).Order().ToArray();
            var fold = model.FoldIn(known, [.. known.Select(j => (double)truth[t, j])]);
            var mean = new double[Examples];
            var std = new double[Examples];
            fold.PredictRow(mean, std);
            for (var j = 0; j < Examples; j++)
            {
                if (Array.BinarySearch(known, j) >= 0)
                {
                    continue;
                }

                var inside = Math.Abs(truth[t, j] - mean[j]) <= 1.645 * std[j] ? 1 : 0;
                if (unmeasured.Contains(j))
                {
                    (coveredUnmeasured, countUnmeasured, widthUnmeasured) = (coveredUnmeasured + inside, countUnmeasured + 1, widthUnmeasured + std[j]);
                }
                else
                {
                    (coveredMeasured, countMeasured, widthMeasured) = (coveredMeasured + inside, countMeasured + 1, widthMeasured + std[j]);
                }
            }
        }

        // Then: the unmeasured examples' 90% intervals are wider and cover about as often as the measured ones' (before, they
        // had a measured example's noise alone and covered far less). The measured examples' residual directions are no longer
        // scaled up by n / measured (2500 / 2296 here), so theirs cover near 87% (mf) where they covered 88%.
        var coverageUnmeasured = (double)coveredUnmeasured / countUnmeasured;
        var coverageMeasured = (double)coveredMeasured / countMeasured;
        Assert.InRange(coverageUnmeasured, 0.82, 0.99);
        Assert.InRange(coverageMeasured, 0.82, 0.97);
        Assert.InRange(coverageUnmeasured - coverageMeasured, -0.06, 0.10);
        Assert.True(widthUnmeasured / countUnmeasured > 1.2 * widthMeasured / countMeasured,
            $"unmeasured std {widthUnmeasured / countUnmeasured:G3}, measured {widthMeasured / countMeasured:G3}");
    }

    [Theory]
    [InlineData("mf")]
    [InlineData("example-mean")]
    [InlineData("ensemble")]
    public void Cells_AndGroupsOfOne_AreTheRowsValues(string method)
    {
        var model = ModelCatalog.CreateFitter(method).Fit(s_past);
        int[] known = [3, 40, 600, 1200, 1900, 2400];
        var fold = model.FoldIn(known, [.. known.Select(j => (double)s_synthetic.Matrix[35, j])]);
        var mean = new double[Examples];
        var std = new double[Examples];
        fold.PredictRow(mean, std);

        int[] cells = [2499, 0, 1023, 1024, 17, 5, 6, 1700];
        var cellMean = new double[cells.Length];
        var cellStd = new double[cells.Length];
        fold.PredictCells(cells, cellMean, cellStd);

        Assert.Equal(cells.Select(j => mean[j]), cellMean);
        Assert.Equal(cells.Select(j => std[j]), cellStd);
        if (model is FactorModel)
        {
            foreach (var j in new[] { 0, 1024, 6 })
            {
                var (groupMean, variance) = fold.Average([j]);
                Assert.Equal(mean[j], groupMean, 12);
                Assert.Equal(std[j] * std[j], variance, 12);
            }
        }
    }

    [Fact]
    public void GroupOfUnmeasuredExamples_MeanVariance_AddsEachOnesMissIndependently()
    {
        // A group of two unmeasured examples: both are the average example, so the group mean is theirs, and each adds its own
        // miss (the spread) to the mean's variance divided by 4, as two independent measured-noise terms do.
        var model = (FactorModel)ModelCatalog.CreateFitter("additive").Fit(s_past);
        var fold = model.FoldIn([3, 40], [0.01, 0.02]);
        var (one, varianceOne) = fold.Average([0]);
        var (two, varianceTwo) = fold.Average([0, 1023]);
        var bias = model.ExampleBiases.ToArray();
        var measured = Enumerable.Range(0, Examples).Except(s_unmeasured).Select(j => bias[j]).ToArray();
        var spread = measured.Select(b => (b - measured.Average()) * (b - measured.Average())).Average();

        Assert.Equal(one, two, 12);
        var parameter = varianceOne - spread - model.NoiseVariance;
        Assert.Equal(parameter + ((spread + model.NoiseVariance) / 2), varianceTwo, 12);
    }

    [Theory]
    [InlineData("logistic")]
    [InlineData("logistic-additive")]
    public void Logistic_UnmeasuredExamples_AreTheAverageExample_WithTheirSpreadInTheProbitAndTheStd(string method)
    {
        // Given: a binary matrix whose examples 0 and 1024 no task measured
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = Tasks, Examples = Examples, Seed = 21, Binary = true }).Matrix;
        var past = Blank(binary.SelectTasks([.. Enumerable.Range(0, Training)]), [0, 1024]);
        var model = (FactorModel)ModelCatalog.CreateFitter(method).Fit(past);
        int[] known = [3, 40, 600, 1200, 1900, 2400];
        var fold = model.FoldIn(known, [.. known.Select(j => (double)binary[35, j])]);
        var mean = new double[Examples];
        var std = new double[Examples];
        fold.PredictRow(mean, std);

        // Then: both unmeasured examples predict alike, with a wider std than the same example would have without the spread
        Assert.Equal([0, 1024], model.UnmeasuredExamples);
        Assert.Equal(mean[0], mean[1024]);
        Assert.Equal(std[0], std[1024]);
        var plain = FactorModel.Create(model.ToParameters() with { UnmeasuredExamples = [] });
        var plainStd = new double[Examples];
        plain.FoldIn(known, [.. known.Select(j => (double)binary[35, j])]).PredictRow(new double[Examples], plainStd);
        Assert.True(std[0] > plainStd[0], $"{std[0]} vs {plainStd[0]}");
        Assert.Equal(plainStd[5], std[5]);
        var cells = new double[2];
        var cellStd = new double[2];
        fold.PredictCells([1024, 5], cells, cellStd);
        Assert.Equal([mean[1024], mean[5]], cells);
        Assert.Equal([std[1024], std[5]], cellStd);
    }

    [Fact]
    public void Knn_UnmeasuredExamples_CarryTheBaselinesSpreadOfExampleBiases()
    {
        // No training task, so no neighbour, observed them: the prediction is the additive baseline's, and so is the spread.
        var model = (KnnModel)ModelCatalog.CreateFitter("knn").Fit(s_past);
        var spread = model.Baseline.UnmeasuredVariance(default, default);
        var std = new double[Examples];
        model.FoldIn([3, 40, 600], [0.01, 0.02, 0.015]).PredictRow(new double[Examples], std);

        Assert.True(spread > 0);
        Assert.All(s_unmeasured, j => Assert.True(std[j] * std[j] >= model.Baseline.NoiseVariance + spread - 1e-15, $"{std[j]}"));
        Assert.All(s_unmeasured, j => Assert.Equal(std[0], std[j]));
    }

    [Theory]
    [InlineData("additive")]
    [InlineData("mf")]
    public void NoiseVariance_CountsTheDegreesOfFreedomOfTheMeasuredExamplesOnly(string method)
    {
        // Given: the past with 96% of its columns empty, and the same past without those columns
        var keep = Enumerable.Range(0, Examples).Where(j => j % 25 == 0).ToArray();
        var blank = Enumerable.Range(0, Examples).Except(keep).ToArray();
        var past = s_synthetic.Matrix.SelectTasks([.. Enumerable.Range(0, Training)]);
        var sparse = Blank(past, blank);
        var values = new float[Training * keep.Length];
        for (var i = 0; i < Training; i++)
        {
            for (var t = 0; t < keep.Length; t++)
            {
                values[(i * keep.Length) + t] = past[i, keep[t]];
            }
        }

        var dropped = ForgettingMatrix.Create(values, Training, keep.Length);

        // When
        var withEmpty = (FactorModel)ModelCatalog.CreateFitter(method).Fit(sparse);
        var without = (FactorModel)ModelCatalog.CreateFitter(method).Fit(dropped);

        // Then: the empty columns spend no degree of freedom (counting them left none and capped the correction at 10x)
        Assert.InRange(withEmpty.NoiseVariance / without.NoiseVariance, 0.7, 1.5);
    }

    [Fact]
    public void CompleteMatrix_HasNoUnmeasuredExamples_AndPredictsAsBefore()
    {
        var complete = s_synthetic.Matrix.SelectTasks([.. Enumerable.Range(0, Training)]);
        var model = (FactorModel)ModelCatalog.CreateFitter("mf").Fit(complete);

        Assert.Empty(model.UnmeasuredExamples);
        Assert.Equal(0, model.UnmeasuredVariance([1, 0.5, 0.5], []));
    }

    [Fact]
    public void Create_RefusesUnmeasuredListsThatCannotBe()
    {
        var parameters = ((FactorModel)ModelCatalog.CreateFitter("additive").Fit(s_past)).ToParameters();

        Assert.Contains("ascending", Assert.Throws<ArgumentException>(() => FactorModel.Create(parameters with { UnmeasuredExamples = [5, 3] })).Message, StringComparison.Ordinal);
        Assert.Contains("entry 1 is 5", Assert.Throws<ArgumentException>(() => FactorModel.Create(parameters with { UnmeasuredExamples = [5, 5] })).Message, StringComparison.Ordinal);
        Assert.Contains("entry 0 is 2500", Assert.Throws<ArgumentException>(() => FactorModel.Create(parameters with { UnmeasuredExamples = [Examples] })).Message, StringComparison.Ordinal);
        Assert.Contains("Every example", Assert.Throws<ArgumentException>(() => FactorModel.Create(parameters with { UnmeasuredExamples = [.. Enumerable.Range(0, Examples)] })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => FactorModel.Create(parameters with { UnmeasuredExamples = null! }));
        Assert.Contains("it needs 1", Assert.Throws<ArgumentException>(() => FactorModel.Create(parameters with { UnmeasuredSpread = [1, 0, 0, 1] })).Message, StringComparison.Ordinal);
        Assert.Contains("non-negative diagonal", Assert.Throws<ArgumentException>(() => FactorModel.Create(parameters with { UnmeasuredSpread = [-1] })).Message, StringComparison.Ordinal);
        Assert.Contains("unmeasured examples to apply to", Assert.Throws<ArgumentException>(() => FactorModel.Create(parameters with { UnmeasuredExamples = [], UnmeasuredSpread = [1] })).Message, StringComparison.Ordinal);
        Assert.Equal([0.5], FactorModel.Create(parameters with { UnmeasuredSpread = [0.5] }).ToParameters().UnmeasuredSpread);
    }

    private static ForgettingMatrix Blank(ForgettingMatrix matrix, int[] columns)
    {
        var values = matrix.Values.ToArray();
        for (var i = 0; i < matrix.TaskCount; i++)
        {
            foreach (var j in columns)
            {
                values[(i * matrix.ExampleCount) + j] = float.NaN;
            }
        }

        return ForgettingMatrix.Create(values, matrix.TaskCount, matrix.ExampleCount, matrix.TaskIds, matrix.ExampleIds);
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests;

/// <summary>
/// The library's own fold-in refuses measured values far off the model's scale (a unit mistake), as the application layer
/// does: an embedder calling <see cref="IForgettingModel.FoldIn"/> directly had a value of 1e10 on charlm-b (values about
/// 0.1) folded in without a word, and a row of garbage back.
/// </summary>
public partial class FoldInScaleTests
{
    // charlm-b without its last task (svg), the new one.
    private static readonly Lazy<(ForgettingMatrix Past, double[] Svg)> s_charlmB = new(() =>
    {
        var (values, shape) = Features.CharlmD.Npy(RepoPaths.Data("charlm-b", "z.npy"));
        var z = ForgettingMatrix.Create([.. values.Select(v => (float)v)], shape[0], shape[1]);
        var past = z.SelectTasks([.. Enumerable.Range(0, z.TaskCount - 1)]);
        return (past, [.. Enumerable.Range(0, z.ExampleCount).Select(j => (double)z[z.TaskCount - 1, j])]);
    });

    [GeneratedRegex(@"Divide by (1E\+\d+)")]
    private static partial Regex DivideBy();

    [Theory]
    [InlineData("additive")]
    [InlineData("mf")]
    [InlineData("knn")]
    public void FoldIn_ATenBillionOnCharlmB_IsRefusedNamingTheExampleTheValueTheScaleAndTheFix(string method)
    {
        // Given: a model of charlm-b's past tasks, and the new task's measured cells with one of them 1e10 (a unit mistake).
        var (past, svg) = s_charlmB.Value;
        var model = ModelCatalog.CreateFitter(method, new ModelSettings { Seed = 0 }).Fit(past);
        int[] examples = [3, 79, 158];
        double[] values = [svg[3], 1e10, svg[158]];

        // When
        var error = Assert.Throws<ArgumentException>(() => model.FoldIn(examples, values));

        // Then: the example, the value, the model's scale there and the fix are named; the fix brings the value into the scale.
        var cold = model.FoldIn([], []);
        var (mean, std) = (new double[1], new double[1]);
        cold.PredictCells([79], mean, std);
        Assert.Equal("values", error.ParamName);
        Assert.StartsWith("The measured values are too far from what the model expects: example '79' (index 79) was measured at 1E+10, ", error.Message, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"from what the model expects of an average task there ({mean[0]:G4}, predictive std {std[0]:G3})"), error.Message, StringComparison.Ordinal);
        Assert.Contains("; beyond 1E+06 stds a value is not in the units of the data the model was fitted on. Measured in other units? Divide by 1E+", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(or correct the typo), and give the values in the units of the model's training matrix. (Parameter 'values')", error.Message, StringComparison.Ordinal);
        var divisor = double.Parse(DivideBy().Match(error.Message).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Null(FoldInScale.Find(model, examples, [svg[3], 1e10 / divisor, svg[158]]));
        Assert.Equal(error.Message, Assert.Throws<ArgumentException>(() => FoldInScale.Check(model, examples, values)).Message);
    }

    [Fact]
    public void FoldIn_ValuesWithinTheScale_AreFoldedIn_EvenATaskFarMoreDisruptiveThanAnySeen()
    {
        // Given: an mf model of charlm-b's past tasks and what it expects of an average task at example 79.
        var (past, svg) = s_charlmB.Value;
        var model = ModelCatalog.CreateFitter("mf", new ModelSettings { Seed = 0 }).Fit(past);
        var (mean, std) = (new double[1], new double[1]);
        model.FoldIn([], []).PredictCells([79], mean, std);

        // When: the new task's own cells, and one 500,000 predictive stds off (within the limit of a million).
        int[] examples = [3, 79, 158];
        var own = model.FoldIn(examples, [svg[3], svg[79], svg[158]]).PredictRow();
        double[] far = [svg[3], mean[0] + (5e5 * std[0]), svg[158]];
        var disruptive = model.FoldIn(examples, far).PredictRow();

        // Then: both are folded in, and asked first, the check finds nothing; 2e6 stds off is found, at its position.
        Assert.All(own, v => Assert.True(double.IsFinite(v)));
        Assert.All(disruptive, v => Assert.True(double.IsFinite(v)));
        Assert.Null(FoldInScale.Find(model, examples, far));
        var off = FoldInScale.Find(model, examples, [svg[3], mean[0] - (2e6 * std[0]), svg[158]]);
        Assert.NotNull(off);
        Assert.Equal((1, 79, "79"), (off.Position, off.Example, off.ExampleId));
        Assert.Equal((mean[0], std[0]), (off.Expected, off.Std));
        Assert.InRange(off.Distance, 1.99e6, 2.01e6);
    }

    [Fact]
    public void FoldIn_AnEnsembleIsCheckedOnItsOwnScale()
    {
        // Given: an ensemble of charlm-b's past tasks.
        var (past, svg) = s_charlmB.Value;
        var ensemble = new EnsembleFitter(new EnsembleOptions { Members = ["additive", "mf"] }).Fit(past);

        // When / Then: 1e10 is refused by the ensemble, naming its example; the new task's own cells are folded in.
        var error = Assert.Throws<ArgumentException>(() => ensemble.FoldIn([5, 200], [svg[5], -1e10]));
        Assert.StartsWith("The measured values are too far from what the model expects: example '200' (index 200) was measured at -1E+10", error.Message, StringComparison.Ordinal);
        Assert.All(ensemble.FoldIn([5, 200], [svg[5], svg[200]]).PredictRow(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void CrossValidation_FoldsInHeldOutTasksOfTheMatrixItself_WithoutTheScaleCheck()
    {
        // Given: eleven tasks near 1000 (spread by a thousandth) and one near 0: a fold that holds the last one out has a model
        // to which its cells are a billion stds off, yet they are the matrix's own values.
        var random = new Random(5);
        var z = ForgettingMatrix.Create([.. Enumerable.Range(0, 12 * 40).Select(c => (float)((c / 40 == 11 ? 0 : 1000) + (1e-3 * random.NextDouble())))], 12, 40);
        var withoutIt = new AdditiveFitter().Fit(z.SelectTasks([.. Enumerable.Range(0, 11)]));
        Assert.NotNull(FoldInScale.Find(withoutIt, [0], [z[11, 0]]));

        // When
        var cv = TaskCrossValidation.Run(z, [new Candidate("additive", new AdditiveFitter())], new CrossValidationOptions { Known = 10, Draws = 1, Folds = 12 });

        // Then: every held-out task is scored, the one near 0 too.
        Assert.Contains(cv.Truth, t => t < 1);
        Assert.All(cv.Predictions[0], v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Evaluate_FoldsInTestTasksOfTheMatrixItself_WithoutTheScaleCheck_InEveryFoldInMethod()
    {
        // Given: the matrix above (eleven tasks near 1000, one near 0), the one near 0 held out as the test task, and the
        // evaluation methods that fold in: plain, from a feature prior, and the feature ensemble. Its cells are a billion
        // stds off the model of the others, yet they are the matrix's own values.
        var random = new Random(5);
        var z = ForgettingMatrix.Create([.. Enumerable.Range(0, 12 * 40).Select(c => (float)((c / 40 == 11 ? 0 : 1000) + (1e-3 * random.NextDouble())))], 12, 40);
        Assert.NotNull(FoldInScale.Find(new AdditiveFitter().Fit(z.SelectTasks([.. Enumerable.Range(0, 11)])), [0], [z[11, 0]]));
        var settings = Enumerable.Range(0, 12).SelectMany(i => new[] { 0.001 * (1 + (i % 5)), 100.0 * (1 + (i % 3)) }).ToArray();
        var features = new Core.Features.FeatureSet(z.TaskIds, [new Core.Features.FeatureBlock("tasks.csv", Core.Features.FeatureKind.Numeric, ["lr", "steps"], settings)]);
        IEvaluationMethod[] methods =
        [
            new FoldInMethod("additive", new AdditiveFitter()),
            new FeatureFoldInMethod("additive+features", new AdditiveFitter(), features),
            new FeatureEnsembleMethod(features, crossValidation: new CrossValidationOptions { Folds = 3, Draws = 1 }),
        ];

        // When
        var result = Protocol.Run(z, [11], methods, new EvaluationOptions { Known = 10, Seeds = 1 });

        // Then: every method scored the task near 0.
        Assert.All(result.Methods, m => Assert.True(double.IsFinite(m.Rmse.Mean), m.Name));
    }

    [Fact]
    public void EveryModelOfTheLibrary_HasAnUncheckedFoldIn()
    {
        // FoldInScale.Unchecked (cross-validation's and evaluation's fold-in of the matrix's own values) names each model
        // type; a model added to the library without a case there would be scale-checked on its own data.
        var models = typeof(IForgettingModel).Assembly.GetTypes()
            .Where(t => typeof(IForgettingModel).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .Select(t => t.Name).Order(StringComparer.Ordinal);

        Assert.Equal(["EnsembleModel", "FactorModel", "KnnModel"], models);
    }

    [Fact]
    public void Check_AValueTooSmallForTheModelsUnits_SaysToMultiply()
    {
        // Given: forgetting near 1000 in every cell (measured in thousandths), spread by a millionth.
        var random = new Random(7);
        var z = ForgettingMatrix.Create([.. Enumerable.Range(0, 20 * 30).Select(_ => (float)(1000 + (1e-3 * random.NextDouble())))], 20, 30);
        var model = new AdditiveFitter().Fit(z);

        // When: a new task measured at 1 (in units, not thousandths)
        var error = Assert.Throws<ArgumentException>(() => FoldInScale.Check(model, [4], [1.0]));

        // Then
        Assert.Contains("example '4' (index 4) was measured at 1, ", error.Message, StringComparison.Ordinal);
        Assert.Contains("Multiply by 1E+03 (or correct the typo)", error.Message, StringComparison.Ordinal);
        Assert.Null(FoldInScale.Find(model, [4], [1000.0]));
    }

    [Fact]
    public void Find_BinaryModelsAndNoCells_AreNotChecked_AndInvalidCellsAreRefusedAsTheFoldInRefusesThem()
    {
        var random = new Random(3);
        var binary = ForgettingMatrix.Create([.. Enumerable.Range(0, 20 * 30).Select(_ => random.NextDouble() < 0.3 ? 1f : 0f)], 20, 30);
        var logistic = new LogisticFitter().Fit(binary);
        var (past, _) = s_charlmB.Value;
        var additive = new AdditiveFitter().Fit(past);

        Assert.Null(FoldInScale.Find(logistic, [1, 2], [1, 0]));
        Assert.Null(FoldInScale.Find(additive, [], []));
        Assert.Contains("outside 0..2399", Assert.Throws<ArgumentException>(() => FoldInScale.Find(additive, [2400], [0.1])).Message, StringComparison.Ordinal);
        Assert.Contains("must be finite", Assert.Throws<ArgumentException>(() => FoldInScale.Check(additive, [1], [double.NaN])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => FoldInScale.Find(null!, [], []));
    }

    // The README worked example's 30 measured cells of svg (numpy's default_rng(0).choice(2400, 30, replace=False)).
    private static readonly int[] s_workedExample = [1740, 1935, 1509, 1328, 1834, 731, 2315, 1200, 2174, 943, 1605, 640, 2234, 39, 1951, 1298, 80, 1337, 1751, 663, 416, 1546, 178, 1510, 1446, 2016, 6, 1212, 97, 2054];

    [Theory]
    [InlineData(1000, 3)]
    [InlineData(100, 2)]
    public void FindUnitMistake_TheWorkedExamplesCellsScaledByAPowerOfTen_AreFound_WithThePower(double factor, int decades)
    {
        // Given: an mf model of charlm-b's past tasks and svg's 30 measured cells of the README's worked example, in other units.
        var (past, svg) = s_charlmB.Value;
        var model = ModelCatalog.CreateFitter("mf", new ModelSettings { Seed = 0 }).Fit(past);
        double[] values = [.. s_workedExample.Select(j => svg[j] * factor)];

        // When
        var found = FoldInScale.FindUnitMistake(model, s_workedExample, values);

        // Then: the median distance is beyond the limit, the power of ten is the factor, and dividing by it brings the cells among
        // the bundled tasks' (within a fifth of the limit); the library's fold-in still folds them in (a warning, not a refusal).
        Assert.NotNull(found);
        Assert.Equal((30, decades, factor), (found.CellCount, found.Decades, found.Factor));
        Assert.True(found.MedianDistance > FoldInScale.UnitMistakeLimit, $"median {found.MedianDistance}");
        Assert.InRange(found.RescaledMedianDistance, 0, FoldInScale.UnitMistakeLimit / 5);
        Assert.Null(FoldInScale.Find(model, s_workedExample, values));
        Assert.All(model.FoldIn(s_workedExample, values).PredictRow(), v => Assert.True(double.IsFinite(v)));
        Assert.Null(FoldInScale.FindUnitMistake(model, s_workedExample, [.. values.Select(v => v / found.Factor)]));
    }

    [Fact]
    public void FindUnitMistake_EveryCharlmBTaskHeldOut_IsNotFound_EvenTripled_ButAThousandfoldIs()
    {
        // Given: charlm-b, each task held out in turn against an mf model of the others (the README's measurement).
        var (values, shape) = Features.CharlmD.Npy(RepoPaths.Data("charlm-b", "z.npy"));
        var z = ForgettingMatrix.Create([.. values.Select(v => (float)v)], shape[0], shape[1]);
        int[] every = [.. Enumerable.Range(0, z.ExampleCount)];
        var largest = 0.0;
        for (var t = 0; t < z.TaskCount; t++)
        {
            var model = ModelCatalog.CreateFitter("mf", new ModelSettings { Seed = 0 }).Fit(z.SelectTasks([.. Enumerable.Range(0, z.TaskCount).Where(r => r != t)]));
            double[] row = [.. every.Select(j => (double)z[t, j])];

            // When / Then: its own cells, and the same forgetting tripled (a task three times as disruptive), are not found; a
            // thousandfold unit mistake is, by over ten times the limit.
            Assert.Null(FoldInScale.FindUnitMistake(model, every, row));
            Assert.Null(FoldInScale.FindUnitMistake(model, every, [.. row.Select(v => 3 * v)]));
            var found = FoldInScale.FindUnitMistake(model, every, [.. row.Select(v => 1000 * v)]);
            Assert.NotNull(found);
            Assert.True(found.MedianDistance > 10 * FoldInScale.UnitMistakeLimit, $"task {t}: {found.MedianDistance}");
            var (mean, std) = (new double[z.ExampleCount], new double[z.ExampleCount]);
            model.FoldIn([], []).PredictRow(mean, std);
            double[] distances = [.. every.Select(j => Math.Abs(row[j] - mean[j]) / std[j]).Order()];
            largest = Math.Max(largest, (distances[(distances.Length / 2) - 1] + distances[distances.Length / 2]) / 2);
        }

        // The largest median distance of a real task (README: 3.3 stds, svg's) lies within a fifth of the limit (20).
        Assert.InRange(largest, 3, FoldInScale.UnitMistakeLimit / 5);
    }

    [Fact]
    public void FindUnitMistake_BinaryModelsAndNoCells_AreNotAsked_ValuesTooSmall_SayToMultiply_AndInvalidCellsAreRefused()
    {
        var random = new Random(3);
        var binary = ForgettingMatrix.Create([.. Enumerable.Range(0, 20 * 30).Select(_ => random.NextDouble() < 0.3 ? 1f : 0f)], 20, 30);
        Assert.Null(FoldInScale.FindUnitMistake(new LogisticFitter().Fit(binary), [1, 2], [1, 0]));

        // Forgetting near 1000 in every cell, spread by a thousandth: a new task measured in thousands (near 1) is found.
        var z = ForgettingMatrix.Create([.. Enumerable.Range(0, 20 * 30).Select(_ => (float)(1000 + (1e-3 * random.NextDouble())))], 20, 30);
        var model = new AdditiveFitter().Fit(z);
        Assert.Null(FoldInScale.FindUnitMistake(model, [], []));
        Assert.Null(FoldInScale.FindUnitMistake(model, [0, 1, 2], [z[0, 0], z[1, 1], z[2, 2]]));
        var found = FoldInScale.FindUnitMistake(model, [0, 1, 2], [z[0, 0] / 1000, z[1, 1] / 1000, z[2, 2] / 1000]);
        Assert.NotNull(found);
        Assert.Equal(-3, found.Decades);
        Assert.Contains("outside 0..29", Assert.Throws<ArgumentException>(() => FoldInScale.FindUnitMistake(model, [30], [1000.0])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => FoldInScale.FindUnitMistake(null!, [], []));
    }
}

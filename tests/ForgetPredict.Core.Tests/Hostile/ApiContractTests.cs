using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Hostile;

/// <summary>
/// What a team embedding the library met: every misuse of the public API throws a specific exception that names the
/// option or argument (never a NullReference or IndexOutOfRange), and nothing is accepted that a model file cannot hold.
/// </summary>
public sealed class ApiContractTests
{
    private static readonly ForgettingMatrix s_matrix = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 10, Examples = 40, Seed = 9 }).Matrix;
    private static readonly FactorModelParameters s_additive = ((FactorModel)new AdditiveFitter().Fit(s_matrix)).ToParameters();

    [Theory]
    [InlineData("auto")]
    [InlineData("ensemble")]
    public void EnsembleOptions_AMemberThatMakesAnEnsemble_IsRefusedNamingIt(string member)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleFitter(new EnsembleOptions { Members = [member, "additive"] }));

        Assert.Equal("Members", error.ParamName);
        Assert.Contains($"Member '{member}' cannot be in an ensemble", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleOptions { Members = ["additive", null!] }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleOptions { Members = [] }.Validate());
    }

    [Theory]
    [InlineData(ModelMethod.Knn)]
    [InlineData(ModelMethod.Ensemble)]
    [InlineData((ModelMethod)42)]
    public void FactorModelCreate_AMethodAFactorModelCannotBe_IsRefused(ModelMethod method)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => FactorModel.Create(s_additive with { Method = method }));

        Assert.Equal("Method", error.ParamName);
    }

    [Fact]
    public void FactorModelCreate_ALogisticFlagThatDisagreesWithTheMethod_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => FactorModel.Create(s_additive with { Logistic = true }));
        Assert.Throws<ArgumentException>(() => FactorModel.Create(s_additive with { Method = ModelMethod.LogisticAdditive }));
    }

    [Fact]
    public void FactorModelCreate_NullPartsAndANegativeRank_AreNamedAsTheParametersProperty()
    {
        Assert.Equal("TaskIds", Assert.Throws<ArgumentNullException>(() => FactorModel.Create(s_additive with { TaskIds = null! })).ParamName);
        Assert.Equal("ExampleIds", Assert.Throws<ArgumentNullException>(() => FactorModel.Create(s_additive with { ExampleIds = null! })).ParamName);
        Assert.Equal("Fit", Assert.Throws<ArgumentNullException>(() => FactorModel.Create(s_additive with { Fit = null! })).ParamName);
        var rank = Assert.Throws<ArgumentOutOfRangeException>(() => FactorModel.Create(s_additive with { Rank = -1 }));
        Assert.Equal("Rank", rank.ParamName);
        Assert.StartsWith("Rank must be >= 0.", rank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelCatalog_AnUndefinedMethodAndANullName_AreArgumentErrors()
    {
        Assert.Equal("method", Assert.Throws<ArgumentOutOfRangeException>(() => ModelCatalog.NameOf((ModelMethod)42)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => ModelCatalog.MethodOf(null!)).ParamName);
        Assert.Equal("ensemble", ModelCatalog.NameOf(ModelMethod.Ensemble));
    }

    // 1 above the median, 0 at or below: both values (a cut at 0.5 had given a constant matrix, which logistic fits refuse).
    private static ForgettingMatrix CutAtTheMedian(ForgettingMatrix matrix)
    {
        var values = matrix.Values.ToArray();
        var median = values.Order().ElementAt(values.Length / 2);
        return ForgettingMatrix.Wrap(Array.ConvertAll(values, v => v > median ? 1f : 0f), matrix.TaskCount, matrix.ExampleCount);
    }

    [Theory]
    [InlineData("task-mean")]
    [InlineData("example-mean")]
    [InlineData("additive")]
    [InlineData("knn")]
    [InlineData("logistic-additive")]
    public void CreateFitter_ASeedForAMethodThatDrawsNoRandomNumbers_IsTakenAndChangesNothing(string method)
    {
        // A seed is not a setting of the model, as a rank is: one given to every method of a comparison (fp.fit(..., seed=0)
        // in a loop) must not fail the deterministic ones.
        var matrix = method == "logistic-additive"
            ? CutAtTheMedian(s_matrix)
            : s_matrix;
        var one = ModelCatalog.CreateFitter(method, new ModelSettings { Seed = 1 }).Fit(matrix);
        var two = ModelCatalog.CreateFitter(method, new ModelSettings { Seed = 2 }).Fit(matrix);

        for (var j = 0; j < matrix.ExampleCount; j++)
        {
            Assert.Equal(one.Predict(0, j), two.Predict(0, j));
        }
    }

    [Theory]
    [InlineData("rank1")]
    [InlineData("mf")]
    [InlineData("logistic")]
    [InlineData("ensemble")]
    [InlineData("auto")]
    public void CreateFitter_ASeed_IsTakenByTheMethodsThatDrawRandomNumbers(string method) =>
        Assert.NotNull(ModelCatalog.CreateFitter(method, new ModelSettings { Seed = 1 }));

    [Fact]
    public void CreateFitter_NegativeKnownCells_NameTheSetting() =>
        Assert.Equal(ModelOptionNames.Known, Assert.Throws<OptionException>(() => ModelCatalog.CreateFitter("auto", new ModelSettings { Known = -1 })).OptionName);

    [Fact]
    public void AutoOptions_ANegativeProfileRank_NamesProfileRanks()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new AutoOptions { ProfileRanks = [-1] }.Validate());

        Assert.Equal("ProfileRanks", error.ParamName);
        Assert.Contains("0..1024", error.Message, StringComparison.Ordinal);
        new AutoOptions { ProfileRanks = [0] }.Validate();
    }

    [Fact]
    public void EnsembleRestore_MembersWithOtherExampleIds_AreRefused()
    {
        var a = new AdditiveFitter().Fit(s_matrix);
        var renamed = ForgettingMatrix.Wrap(s_matrix.Values.ToArray(), s_matrix.TaskCount, s_matrix.ExampleCount, s_matrix.TaskIds, s_matrix.ExampleIds.Select(id => "x" + id));
        var b = new AdditiveFitter().Fit(renamed);

        var error = Assert.Throws<ArgumentException>(() => EnsembleModel.Restore([a, b], ["additive", "other"], [0.5, 0.5], 1, 0.1));

        Assert.Contains("member 1 ('other') has other task or example ids", error.Message, StringComparison.Ordinal);
        Assert.NotNull(EnsembleModel.Restore([a, new AdditiveFitter().Fit(s_matrix)], ["additive", "again"], [0.5, 0.5], 1, 0.1));
    }

    [Theory]
    [InlineData("ensemble")]
    [InlineData("auto")]
    public void CrossValidatedFits_OfAMatrixWithoutExamples_NameTheMatrixGivenNotAFolds(string method)
    {
        var empty = ForgettingMatrix.Wrap([], 5, 0);

        var error = Assert.Throws<ArgumentException>(() => ModelCatalog.CreateFitter(method).Fit(empty));

        Assert.StartsWith("The matrix has 5 tasks and 0 examples, so there is nothing to fit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KnnCreateAndRestore_ABaselineWithoutTaskOrExampleBiases_IsRefusedBeforeAnyFoldIn()
    {
        // Given: additive baselines missing one kind of bias (a fold-in read past their empty arrays: IndexOutOfRange).
        var noTaskBiases = FactorModel.Create(s_additive with { TaskBiases = [], TaskPrior = null });
        var noExampleBiases = FactorModel.Create(s_additive with { ExampleBiases = [] });
        var knn = new KnnFitter().FitKnn(s_matrix);

        // When / Then
        foreach (var baseline in new[] { noTaskBiases, noExampleBiases })
        {
            Assert.Equal("baseline", Assert.Throws<ArgumentException>(() => KnnModel.Create(s_matrix, baseline, new KnnOptions())).ParamName);
            Assert.Equal("baseline", Assert.Throws<ArgumentException>(() => KnnModel.Restore(s_matrix, baseline, knn.Options, knn.Similarity.ToArray())).ParamName);
        }

        var renamed = s_matrix.WithIds(null, s_matrix.ExampleIds.Select(id => "x" + id));
        Assert.Contains("ids differ", Assert.Throws<ArgumentException>(() => KnnModel.Create(renamed, knn.Baseline, new KnnOptions())).Message, StringComparison.Ordinal);
        double[] similarity = [.. knn.Similarity];
        similarity[1] = 1e300;
        Assert.Contains("similarities are numbers in [-1, 1]", Assert.Throws<ArgumentException>(() => KnnModel.Restore(s_matrix, knn.Baseline, knn.Options, similarity)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FactorModelCreate_FiniteParametersTooLargeToPredictWith_AreRefused()
    {
        var mf = ((FactorModel)new LowRankFitter(new LowRankOptions { Rank = 2 }).Fit(s_matrix)).ToParameters();
        double[] factors = [.. mf.ExampleFactors];
        factors[3] = 1e200;

        var error = Assert.Throws<ArgumentException>(() => FactorModel.Create(mf with { ExampleFactors = factors }));

        Assert.StartsWith("The parameters are too large to predict with", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FactorModel.Create(s_additive with { GlobalMean = 1e150 }));
    }

    [Fact]
    public void EnsembleRestore_WeightsThatWouldMakePredictionsOverflow_AreRefused()
    {
        var a = new AdditiveFitter().Fit(s_matrix);
        var b = new LowRankFitter(new LowRankOptions { Rank = 2 }).Fit(s_matrix);

        Assert.Throws<ArgumentException>(() => EnsembleModel.Restore([a, b], ["additive", "mf"], [1e300, 0.5], 1, 0.1));
        Assert.Throws<ArgumentException>(() => EnsembleModel.Restore([a, b], ["additive", "mf"], [0.5, 0.5], 1e300, 0.1));
    }

    [Fact]
    public void FoldIn_AValueFarBeyondTheModelsScale_IsRefused_NotPredictedAsInfinity()
    {
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).Fit(s_matrix);

        var error = Assert.Throws<ArgumentException>(() => model.FoldIn([0, 1], [1e305, 0.1]));

        Assert.Equal("values", error.ParamName);
        Assert.StartsWith("The measured values are too far from what the model expects", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_UnequalLengthsAndNegativeK_AreArgumentErrors()
    {
        double[] three = [1, 2, 3];
        double[] two = [1, 2];

        Assert.Throws<ArgumentException>(() => Metrics.Pearson(three, two));
        Assert.Throws<ArgumentException>(() => Metrics.Classification(three, two, 0.5));
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.TopIndices(three, -1)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.PrecisionAtK(three, three, -1)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.RecallAtK(three, three, -1)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.RanksAndTop(three, -1)).ParamName);
        Assert.Equal([2, 1, 0], Metrics.TopIndices(three, 5));
        Assert.Equal(1.0, Metrics.Pearson(three, three), 12);
    }

    // A threshold or enum value from configuration (JSON numbers) was taken as is: NaN scored every F1 0, (RevealStrategy)9
    // ran the active design, (ActiveCriterion)9 D-optimal.
    [Fact]
    public void EvaluationOptions_ANonFiniteThresholdAndUndefinedChoices_NameTheSetting()
    {
        Assert.Equal("Threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { Threshold = double.NaN }.Validate()).ParamName);
        Assert.Equal("Reveal", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { Reveal = (RevealStrategy)9 }.Validate()).ParamName);
        Assert.Equal("RevealRandom", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { RevealRandom = (RevealRandom)9 }.Validate()).ParamName);
        Assert.Equal("ActiveCriterion", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { ActiveCriterion = (ActiveCriterion)9 }.Validate()).ParamName);
        new EvaluationOptions { Threshold = -3 }.Validate(); // a threshold on logits may be negative
        var design = ActiveDesign.Of((FactorModel)new LowRankFitter(new LowRankOptions { Rank = 2 }).Fit(s_matrix));
        Assert.Equal("criterion", Assert.Throws<ArgumentOutOfRangeException>(() => design.Choose(3, (ActiveCriterion)9)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => design.Choose(-1)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => design.ChooseAdaptive(-1, _ => 0.1)).ParamName);
        Assert.Equal(s_matrix.ExampleCount, design.Choose(1000).Length);
    }

    [Fact]
    public void Protocol_ANullOrUnnamedMethodTwoOfOneNameOrNothingToScore_AreArgumentErrors()
    {
        var additive = new FoldInMethod("a", new AdditiveFitter());
        var options = new EvaluationOptions { Seeds = 1, Known = 5 };
        Assert.Contains("Method 0 is null", Assert.Throws<ArgumentException>(() => Protocol.Run(s_matrix, [8, 9], [null!], options)).Message, StringComparison.Ordinal);
        Assert.Contains("Two methods or external predictors are named 'a'", Assert.Throws<ArgumentException>(() => Protocol.Run(s_matrix, [8, 9], [additive, new FoldInMethod("a", new AdditiveFitter())], options)).Message, StringComparison.Ordinal);
        var rows = new[] { new double[s_matrix.ExampleCount], new double[s_matrix.ExampleCount] };
        var split = EvaluationSplit.HoldOut(s_matrix, [8, 9]);
        Assert.Equal("externals", Assert.Throws<ArgumentException>(() => Protocol.Run(s_matrix, split, [additive], options, [new ExternalPredictions("a", rows)])).ParamName);
        Assert.Equal("externals", Assert.Throws<ArgumentException>(() => Protocol.Run(s_matrix, split, [additive], options, [new ExternalPredictions("", rows)])).ParamName);
        Assert.Contains("at least one method", Assert.Throws<ArgumentException>(() => Protocol.Run(s_matrix, [8, 9], [], options)).Message, StringComparison.Ordinal);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => new FoldInMethod(null!, new AdditiveFitter())).ParamName);
        Assert.Throws<ArgumentException>(() => EvaluationCurve.Run(s_matrix, EvaluationSplit.HoldOut(s_matrix, [8, 9]), [additive, additive], [0, 5], options));
    }

    [Fact]
    public void MatrixIndexer_NamesTheIndexOutOfRange()
    {
        Assert.Equal("example", Assert.Throws<ArgumentOutOfRangeException>(() => s_matrix[1, s_matrix.ExampleCount]).ParamName);
        Assert.Equal("task", Assert.Throws<ArgumentOutOfRangeException>(() => s_matrix[-1, 0]).ParamName);
    }

    // A report or replay set shared between callers (a cached service answer) could be changed by casting its lists back.
    [Fact]
    public void ReportsAndReplaySets_HandOutListsThatCannotBeChanged()
    {
        var model = new AdditiveFitter().Fit(s_matrix);
        var task = model.FoldIn([0, 1, 2], [0.1, 0.2, 0.3]);
        var report = ForgetPredict.Core.Erasure.ErasureReport.Create(task, model.ExampleIds, ExampleGroups.FromLabels([.. Enumerable.Range(0, s_matrix.ExampleCount).Select(j => j % 2 == 0 ? "even" : "odd")]));
        Assert.Throws<NotSupportedException>(() => ((IList<ForgetPredict.Core.Erasure.GroupForecast>)report.Groups).Clear());
        Assert.Throws<NotSupportedException>(() => ((IList<ForgetPredict.Core.Erasure.ExampleForecast>)report.Examples)[0] = report.Examples[1]);
        Assert.Throws<NotSupportedException>(() => ((IList<ForgetPredict.Core.Erasure.ExampleForecast>)report.TopExamples).Clear());
        Assert.Throws<NotSupportedException>(() => ((IList<ForgetPredict.Core.Erasure.ExampleForecast>)report.Groups[0].TopExamples).Clear());
        var predicted = new double[s_matrix.ExampleCount];
        task.PredictRow(predicted, new double[s_matrix.ExampleCount]);
        var replay = ForgetPredict.Core.Replay.ReplaySelector.Select(predicted, null, null, new ForgetPredict.Core.Replay.ReplayOptions { Budget = 5 });
        Assert.Throws<NotSupportedException>(() => ((IList<ForgetPredict.Core.Replay.ReplayItem>)replay.Items).Clear());
    }

    public static TheoryData<string> AllMethods() => [.. ModelCatalog.Names];

    // IForgettingModel documents what Predict and PredictRow throw: every model keeps to it.
    [Theory]
    [MemberData(nameof(AllMethods))]
    public void PredictAndPredictRow_OutOfRangeIndicesAndAWrongLength_AreTheDocumentedExceptions(string method)
    {
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 60, Binary = ModelCatalog.IsBinaryMethod(method), Seed = 3 });
        var model = ModelCatalog.CreateFitter(method).Fit(data.Matrix);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(12, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(0, 60));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.PredictRow(12, new double[60]));
        var wrongLength = Assert.Throws<ArgumentException>(() => model.PredictRow(0, new double[59]));
        Assert.IsNotType<ArgumentOutOfRangeException>(wrongLength);
        Assert.True(double.IsFinite(model.Predict(11, 59)));
    }

    [Fact]
    public void Logistic_AnEmptyOrAllMissingMatrix_IsCalledSo_NotNonBinary()
    {
        var empty = Assert.Throws<ArgumentException>(() => ModelCatalog.CreateFitter("logistic").Fit(ForgettingMatrix.Create(new float[0, 0])));
        Assert.Contains("The matrix has 0 tasks and 0 examples, so there is nothing to fit", empty.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ArgumentException>(() => ModelCatalog.CreateFitter("logistic").Fit(ForgettingMatrix.Create(new float[,] { { float.NaN, float.NaN } })));
        Assert.Contains("Every cell of the matrix is missing", missing.Message, StringComparison.Ordinal);
    }
}

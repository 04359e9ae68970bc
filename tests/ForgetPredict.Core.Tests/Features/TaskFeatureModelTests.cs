using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests.Features;

public class TaskFeatureModelTests
{
    internal const int Tasks = PlantedTasks.Tasks;

    internal static (ForgettingMatrix Matrix, double[] Features) Planted(int seed) => PlantedTasks.Matrix(seed);

    internal static FeatureSet Numeric(ForgettingMatrix z, double[] values, int width, string name = "settings", FeatureKind kind = FeatureKind.Numeric) =>
        new(z.TaskIds, [new FeatureBlock(name, kind, [.. Enumerable.Range(0, width).Select(c => $"c{c}")], values)]);

    private static double Rmse(ForgettingMatrix z, int[] test, IEvaluationMethod method, int known) =>
        Protocol.Run(z, test, [method], new EvaluationOptions { Known = known, Seeds = 2 }).Methods[0].Rmse.Mean;

    [Fact]
    public void FeaturesThatDetermineTheRow_PredictItWithNoMeasuredCell()
    {
        // Given: 40 tasks whose bias and factors are exact functions of two features, 10 held out.
        var (z, x) = Planted(3);
        var features = Numeric(z, x, 2);
        int[] test = [1, 5, 9, 13, 17, 21, 25, 29, 33, 37];

        // When: the held-out rows are predicted with no measured cell, with and without the features.
        var without = Rmse(z, test, new FoldInMethod("mf", new LowRankFitter(new LowRankOptions { Rank = 2 })), 0);
        var method = new FeatureFoldInMethod("mf+f", new LowRankFitter(new LowRankOptions { Rank = 2 }), features);
        var with = Rmse(z, test, method, 0);

        // Then: the features recover the rows to within a small multiple of the noise (0.01), and the report says they mattered.
        Assert.True(without > 0.5, $"without features {without}");
        Assert.True(with < 0.05, $"with features {with} (without {without})");
        Assert.True(method.LastFeatureModel!.UsesFeatures);
        Assert.StartsWith("settings", method.LastFeatureModel.Report.Chosen, StringComparison.Ordinal);
    }

    [Fact]
    public void PureNoiseFeatures_CostAtMostOnePercent()
    {
        // Given: the planted matrix with features that are pure noise (5 numeric columns and a 64-wide embedding).
        var (z, _) = Planted(4);
        var random = new Random(9);
        var noise = FeatureSet.Combine(
        [
            Numeric(z, [.. Enumerable.Range(0, Tasks * 5).Select(_ => random.NextDouble() + 0.1)], 5),
            Numeric(z, [.. Enumerable.Range(0, Tasks * 64).Select(_ => random.NextDouble())], 64, "embedding", FeatureKind.Embedding),
        ]);
        int[] test = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36];
        foreach (var known in new[] { 0, 10, 30 })
        {
            // When: held-out rows are predicted with and without them.
            var without = Rmse(z, test, new FoldInMethod("mf", new LowRankFitter()), known);
            var with = Rmse(z, test, new FeatureFoldInMethod("mf+f", new LowRankFitter(), noise), known);

            // Then: at most 1% worse at every k.
            Assert.True(with <= without * 1.01, $"k = {known}: with noise features {with}, without {without}");
        }
    }

    [Fact]
    public void Features_AreAlignedById_InAnyOrder()
    {
        // Given: a model and the same features in matrix order and shuffled.
        var (z, x) = Planted(5);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var features = Numeric(z, x, 2);
        var order = Enumerable.Range(0, Tasks).Reverse().ToArray();
        var shuffled = features.Select(order);

        // When: both fit a feature model and give a prior for task t7.
        var a = TaskFeatureModel.Fit(model, features);
        var b = TaskFeatureModel.Fit(model, shuffled);
        var pa = a.Prior(features, features.Ids.IndexOf("t7"));
        var pb = b.Prior(shuffled, shuffled.Ids.IndexOf("t7"));

        // Then: the priors agree.
        Assert.Equal(pa.Mean.ToArray(), pb.Mean.ToArray(), (u, v) => Math.Abs(u - v) < 1e-9);
    }

    [Fact]
    public void AColumnReadOnALogScale_RefusesAValueNotAboveZero()
    {
        // lr on a log scale: 1e-3 encodes as (ln 1e-3 - shift) / scale; 0 and -1e-3 have no logarithm and are refused by name
        // (they were clamped to the smallest double, i.e. read as a learning rate of 5e-324).
        var view = FeatureView.Restore("tasks.csv", FeatureKind.Numeric, ["lr", "steps"], true, [-7, 300], [2, 100], [true, false]);
        var encoded = new double[2];

        view.Encode([1e-3, 600], encoded);

        Assert.Equal((Math.Log(1e-3) + 7) / 2, encoded[0]);
        Assert.Equal(3, encoded[1]);
        foreach (var bad in new[] { 0, -1e-3, double.NaN })
        {
            var error = Assert.Throws<ArgumentException>(() => view.Encode([bad, 600], encoded));
            Assert.StartsWith("Features 'tasks.csv': 'lr' is ", error.Message, StringComparison.Ordinal);
            Assert.Contains("the model reads it on a log scale (every training value was above 0); give a value above 0.", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ACategoryTheViewWasNotFittedWith_IsListed_AndEncodesAsNoneOfItsLevels()
    {
        // Given: a categorical view fitted with the families web and code.
        var view = FeatureView.Restore("tasks.csv categories", FeatureKind.Categorical, ["family=code", "family=web"], false, [0, 0], [1, 1], [false, false]);
        FeatureSet Query(string block, params string[] levels) =>
            new(IdList.From(["new"]), [new FeatureBlock(block, FeatureKind.Categorical, levels, [.. levels.Select(_ => 1.0)])]);

        // Then: a known level is not listed; an unseen one is, from the same file or from another file with the same column
        // (which stands for the view's block even when it shares no level), and it encodes as zeros; a numeric view, or
        // features with no block of the column, list nothing.
        Assert.Empty(view.UnseenLevels(Query("tasks.csv categories", "family=web"), 0));
        Assert.Equal(["family=Web"], view.UnseenLevels(Query("tasks.csv categories", "family=Web"), 0));
        Assert.Equal(["family=Web"], view.UnseenLevels(Query("taskFeatures categories", "family=Web"), 0));
        Assert.True(view.Matches(Query("taskFeatures categories", "family=Web").Blocks[0]));
        Assert.Equal(["method=lora"], view.UnseenLevels(Query("new.csv categories", "family=code", "method=lora"), 0));
        Assert.Equal([0.0, 0.0], view.Align(Query("tasks.csv categories", "family=Web").Blocks[0]).Row(0).ToArray());
        Assert.False(view.Matches(Query("other.csv categories", "method=lora").Blocks[0]));
        Assert.Empty(view.UnseenLevels(Query("other.csv categories", "method=lora"), 0));
        Assert.Equal(("family", "Web"), FeatureView.SplitLevel("family=Web"));
        Assert.Equal(((string?)null, "lora"), FeatureView.SplitLevel("lora"));
        var numeric = FeatureView.Restore("tasks.csv", FeatureKind.Numeric, ["lr"], false, [0], [1], [false]);
        Assert.Empty(numeric.UnseenLevels(Query("tasks.csv categories", "family=Web"), 0));
    }

    [Fact]
    public void MissingIds_AndWrongWidths_AreRefusedWithTheFix()
    {
        var (z, x) = Planted(6);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var partial = Numeric(z, x, 2).Select([.. Enumerable.Range(0, Tasks - 1)]);

        var missing = Assert.Throws<ArgumentException>(() => TaskFeatureModel.Fit(model, partial));
        Assert.Contains("t39", missing.Message, StringComparison.Ordinal);
        Assert.Contains("settings", missing.Message, StringComparison.Ordinal);
        Assert.Contains("Add a row", missing.Message, StringComparison.Ordinal);

        var fitted = TaskFeatureModel.Fit(model, Numeric(z, x, 2));
        var wide = new FeatureSet(IdList.From(["new"]), [new FeatureBlock("settings", FeatureKind.Numeric, ["c0", "c1", "c2"], [1, 2, 3])]);
        var wrong = Assert.Throws<ArgumentException>(() => fitted.Prior(wide));
        Assert.StartsWith("Features 'settings' have numeric columns c2 that the model was not fitted with (it was fitted with c0, c1 for 'settings'). Give the same columns: drop those", wrong.Message, StringComparison.Ordinal);

        // One of the model's columns missing: named, rather than counted.
        var narrow = new FeatureSet(IdList.From(["new"]), [new FeatureBlock("settings", FeatureKind.Numeric, ["c0"], [1])]);
        Assert.StartsWith("Features 'settings' have no numeric column 'c1'; the model was fitted with columns c0, c1.", Assert.Throws<ArgumentException>(() => fitted.Prior(narrow)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SettingsAndDataThatEachCarryHalfTheRow_AreCombined_AndPredictItWithNoMeasuredCell()
    {
        // Given: the planted tasks, whose parameters mix a setting and a direction of the data embedding.
        var (z, x) = Planted(7);
        var both = PlantedTasks.SettingsAndData(z, x, 8);
        int[] test = [2, 6, 10, 14, 18, 22, 26, 30, 34, 38];

        // When: the held-out rows are predicted with no measured cell from each block alone and from both files.
        double Cold(FeatureSet features, out TaskFeatureModel model)
        {
            var method = new FeatureFoldInMethod("mf+f", new LowRankFitter(new LowRankOptions { Rank = 2 }), features);
            var rmse = Rmse(z, test, method, 0);
            model = method.LastFeatureModel!;
            return rmse;
        }

        var settings = Cold(new FeatureSet(z.TaskIds, [both.Blocks[0]]), out _);
        var data = Cold(new FeatureSet(z.TaskIds, [both.Blocks[1]]), out _);
        var combined = Cold(both, out var model);

        // Then: the model sees both blocks in one kernel and predicts far better than either alone.
        Assert.Equal(["tasks.csv", "task_emb.npy"], model.Views.Select(v => v.BlockName));
        Assert.StartsWith("tasks.csv", model.Report.Chosen, StringComparison.Ordinal);
        Assert.Contains(" + task_emb.npy, ", model.Report.Chosen, StringComparison.Ordinal);
        Assert.True(combined < 0.5 * Math.Min(settings, data), $"both {combined}, settings alone {settings}, embedding alone {data}");

        // And a query must give every block the prior uses, whatever their order.
        var fitted = TaskFeatureModel.Fit(new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z), both);
        var row = both.Ids.IndexOf("t5");
        var reversed = new FeatureSet(both.Ids, [both.Blocks[1], both.Blocks[0]]);
        Assert.Equal(fitted.Prior(both, row).Mean.ToArray(), fitted.Prior(reversed, row).Mean.ToArray());
        var missing = Assert.Throws<ArgumentException>(() => fitted.Prior(new FeatureSet(both.Ids, [both.Blocks[0]]), row));
        Assert.Contains("no block like 'task_emb.npy' (embedding columns", missing.Message, StringComparison.Ordinal);
        Assert.Contains("Give the same feature columns", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryKernelsGram_IsItsValueEntryByEntry_BitForBit()
    {
        // Given: encoded rows, and the linear kernel with Gaussian ones of three bandwidths.
        var random = new Random(3);
        const int m = 9, width = 13;
        var encoded = Enumerable.Range(0, m * width).Select(_ => random.NextDouble() - 0.5).ToArray();
        KernelSpec[] kernels = [.. KernelSpec.All([0.5, 1, 2])];

        // When: the Gram matrices are built together (the squared distances summed once).
        var grams = KernelSpec.Grams(kernels, encoded, m, width);

        // Then: every entry is the kernel's value of the two rows, bit for bit (the scalar reference).
        for (var c = 0; c < kernels.Length; c++)
        {
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < m; j++)
                {
                    var expected = kernels[c].Value(encoded.AsSpan(i * width, width), encoded.AsSpan(j * width, width));
                    Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(grams[c][(i * m) + j]));
                }
            }
        }
    }

    [Fact]
    public async Task TheFit_IsTheSameOnOneThreadAsOnMany()
    {
        // Given: a model and two feature files (so every view and the combined ones are candidates, evaluated in parallel).
        var (z, x) = Planted(7);
        var both = PlantedTasks.SettingsAndData(z, x, 8);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);

        // When: the feature model is fitted with every core, with one thread, and on a scheduler that runs one task at a time.
        var many = TaskFeatureModel.Fit(model, both);
        var single = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, 1).ExclusiveScheduler;
        var one = await Task.Factory.StartNew(() => TaskFeatureModel.Fit(model, both), CancellationToken.None, TaskCreationOptions.None, single);
        var oneThread = TaskFeatureModel.Fit(model, both, new TaskFeatureOptions { MaxThreads = 1 });
        Assert.Equal(many.Parts!.Alpha, oneThread.Parts!.Alpha);
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskFeatureModel.Fit(model, both, new TaskFeatureOptions { MaxThreads = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TaskFeatureModel.Fit(model, both, new TaskFeatureOptions { MinimumGain = 1 }));

        // Then: the same choice, candidates and parameters, bit for bit.
        Assert.Equal(many.Report.Candidates, one.Report.Candidates);
        Assert.Equal(many.Report.Chosen, one.Report.Chosen);
        var (a, b) = (many.Parts!, one.Parts!);
        Assert.Equal(a.Alpha, b.Alpha);
        Assert.Equal(a.TrainEncoded, b.TrainEncoded);
        Assert.Equal(a.FeatureVariances, b.FeatureVariances);
        Assert.Equal(a.Penalties, b.Penalties);
        Assert.Equal(a.Spread, b.Spread);
        Assert.Equal(a.Bandwidth, b.Bandwidth);
        var query = both.Select([3]);
        Assert.Equal(many.Prior(query).Covariance.ToArray(), oneThread.Prior(query).Covariance.ToArray());
    }

    [Fact]
    public void ThePrior_WidensWithTheTaskDistanceFromTheTrainingTasks()
    {
        // Given: the planted matrix (features drawn from a standard normal) and its feature model.
        var (z, x) = Planted(3);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var featureModel = TaskFeatureModel.Fit(model, Numeric(z, x, 2));
        Assert.True(featureModel.UsesFeatures);

        // When: new tasks are placed at the centre of the training tasks' features and ever further out.
        double Trace(double distance)
        {
            var prior = featureModel.Prior(new FeatureSet(IdList.From(["new"]), [new FeatureBlock("settings", FeatureKind.Numeric, ["c0", "c1"], [distance, -distance])]));
            return Enumerable.Range(0, prior.Dimension).Sum(a => prior.Covariance[(a * prior.Dimension) + a]);
        }

        double[] distances = [0, 1, 2, 4, 8, 16];
        var traces = distances.Select(Trace).ToArray();

        // Then: the prior's total variance grows with the distance, to many times its value among the training tasks.
        for (var t = 1; t < traces.Length; t++)
        {
            Assert.True(traces[t] > traces[t - 1], $"distance {distances[t]}: {traces[t]} after {traces[t - 1]}");
        }

        Assert.True(traces[^1] > 10 * traces[0], $"{traces[^1]} at 16 against {traces[0]} at the centre");

        // And at the centre it is the size of the leave-one-out errors it is scaled to: within a factor of 3 of their mean.
        var parts = featureModel.Parts!;
        var looTrace = Enumerable.Range(0, featureModel.Dimension).Sum(c => parts.FeatureVariances[c]);
        Assert.InRange(traces[0], looTrace / 3, looTrace * 3);

        // And a model without the spread (as files written before it read) keeps the leave-one-out variances everywhere.
        var constant = TaskFeatureModel.Restore(parts with { Penalties = [], Spread = [] });
        var near = constant.Prior(new FeatureSet(IdList.From(["new"]), [new FeatureBlock("settings", FeatureKind.Numeric, ["c0", "c1"], [0, 0])]));
        var far = constant.Prior(new FeatureSet(IdList.From(["new"]), [new FeatureBlock("settings", FeatureKind.Numeric, ["c0", "c1"], [16, -16])]));
        Assert.Equal(near.Covariance.ToArray(), far.Covariance.ToArray());
    }

    [Fact]
    public void AFeatureValueWhoseSquareOverflows_KeepsTheLeaveOneOutVariance_AndAFiniteCovariance()
    {
        // Given: the planted matrix's feature model (a linear kernel, whose variance grows as the square of the distance).
        var (z, x) = Planted(3);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var featureModel = TaskFeatureModel.Fit(model, Numeric(z, x, 2));
        var constant = TaskFeatureModel.Restore(featureModel.Parts! with { Penalties = [], Spread = [] });

        // When: a task's setting is 1e160 (its kernel value with itself overflows; its prior mean does not).
        var query = new FeatureSet(IdList.From(["new"]), [new FeatureBlock("settings", FeatureKind.Numeric, ["c0", "c1"], [1e160, -1e160])]);
        var prior = featureModel.Prior(query);

        // Then: the prior is the leave-one-out one (a finite covariance, as before the variance followed the distance), so
        // the fold-in can say the measured values are too far in the units' words; it had failed as a non-finite covariance.
        Assert.Equal(constant.Prior(query).Covariance.ToArray(), prior.Covariance.ToArray());
        Assert.All(prior.Covariance.ToArray(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void AQuerysOneEmbeddingOfAnotherWidth_IsSaidAsAWidth_OnlyWhereItCanStandForTheViewsOne()
    {
        // Given: an embedding view fitted on 'task_emb.npy' (4 columns), and a query whose one embedding, 'other.npy', has 3.
        var random = new Random(1);
        var view = FeatureView.Candidates(new FeatureBlock("task_emb.npy", FeatureKind.Embedding, ["e0", "e1", "e2", "e3"], [.. Enumerable.Range(0, 20).Select(_ => random.NextDouble())])).First();
        var query = new FeatureSet(IdList.From(["new"]), [new FeatureBlock("other.npy", FeatureKind.Embedding, ["e0", "e1", "e2"], [0.1, 0.2, 0.3])]);

        // When: it is aligned as the model's one embedding view, and as the first of two.
        var second = FeatureView.Candidates(new FeatureBlock("data_emb.npy", FeatureKind.Embedding, ["d0", "d1", "d2", "d3", "d4"], [.. Enumerable.Range(0, 25).Select(_ => random.NextDouble())])).First();
        var only = Assert.Throws<ArgumentException>(() => FeatureView.AlignAll([view], query, "task"));
        var oneOfTwo = Assert.Throws<ArgumentException>(() => FeatureView.AlignAll([view, second], query, "task"));

        // Then: as the only one its width is what differs; as one of two (the query's may be the other's) the block is missing.
        Assert.StartsWith("Features 'other.npy' have 3 columns; the model was fitted with 4 for 'task_emb.npy'.", only.Message, StringComparison.Ordinal);
        Assert.StartsWith("The task features have no block like 'task_emb.npy'", oneOfTwo.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_RefusesASpreadThatDoesNotFit()
    {
        // Given: a fitted feature model's parts.
        var (z, x) = Planted(3);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var parts = TaskFeatureModel.Fit(model, Numeric(z, x, 2)).Parts!;

        // When / Then: penalties of the wrong length, a negative or non-finite spread, or penalties without spreads are refused.
        Assert.Throws<ArgumentException>(() => TaskFeatureModel.Restore(parts with { Penalties = [1], Spread = [1] }));
        Assert.Throws<ArgumentException>(() => TaskFeatureModel.Restore(parts with { Spread = [.. parts.Spread.Select(v => -1.0)] }));
        Assert.Throws<ArgumentException>(() => TaskFeatureModel.Restore(parts with { Spread = [.. parts.Spread.Select(v => double.NaN)] }));
        Assert.Throws<ArgumentException>(() => TaskFeatureModel.Restore(parts with { Spread = [] }));
    }
}

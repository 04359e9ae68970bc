using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;
using ForgetPredict.Testing;
using static ForgetPredict.Testing.ConstantFeatures;

namespace ForgetPredict.Core.Tests.Features;

/// <summary>
/// A feature column with one value over the training rows (a seed of 0 for every task, a categorical column with one level)
/// carries no information: a model fitted with it predicts exactly as the model fitted without it, whatever its value.
/// </summary>
public class ConstantFeatureTests
{
    private static (double[] Mean, double[] Std) ColdStart(FactorModel model, TaskFeatureModel features, FeatureSet query, int row)
    {
        var mean = new double[model.ExampleCount];
        var std = new double[model.ExampleCount];
        model.FoldIn([], [], new FoldInOptions { TaskPrior = features.Prior(query, row) }).PredictRow(mean, std);
        return (mean, std);
    }

    [Fact]
    public void AConstantColumn_OrASingleLevelCategory_LeavesTheSyntheticColdStartUnchanged_WhateverItsValue()
    {
        // Given: the planted tasks with a settings table and an embedding, 30 tasks to fit on and 10 to predict, and the same
        // features with a constant seed in the table (0, or 1e6: positive, so it could have been read on a log scale), a
        // constant column in the embedding, and a categorical file of one level.
        var (z, x) = PlantedTasks.Matrix(21);
        var all = PlantedTasks.SettingsAndData(z, x, 22);
        int[] test = [1, 5, 9, 13, 17, 21, 25, 29, 33, 37];
        var train = Enumerable.Range(0, z.TaskCount).Except(test).ToArray();
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z.SelectTasks(train));
        FeatureSet Constant(double seed) => WithSingleLevel(WithColumn(WithColumn(all, "tasks.csv", "seed", seed), "task_emb.npy", "e16", 0.25), "split", "split=train");

        // When: the feature model is fitted with each and every held-out task predicted with no measured cell.
        var plain = TaskFeatureModel.Fit(model, all.Select(train));
        foreach (var seed in new[] { 0.0, 1e6 })
        {
            var features = Constant(seed);
            var fitted = TaskFeatureModel.Fit(model, features.Select(train));

            // Then: the same choice, candidates and, for every held-out task, the same prior and the same cold-start means and
            // stds, to the bit; the views leave the constant columns out (the one-level file entirely).
            Assert.Equal(plain.Report.Chosen, fitted.Report.Chosen);
            Assert.Equal(plain.Report.Candidates, fitted.Report.Candidates);
            Assert.Equal(plain.Views.Select(v => (v.BlockName, v.EncodedWidth)), fitted.Views.Select(v => (v.BlockName, v.EncodedWidth)));
            Assert.Equal(plain.Views.Select(v => v.Columns.Count + (v.BlockName == "split" ? 0 : 1)), fitted.Views.Select(v => v.Columns.Count));
            foreach (var t in test)
            {
                Assert.Equal(plain.Prior(all, t).Mean.ToArray(), fitted.Prior(features, t).Mean.ToArray());
                Assert.Equal(plain.Prior(all, t).Covariance.ToArray(), fitted.Prior(features, t).Covariance.ToArray());
                var (mean, std) = ColdStart(model, plain, all, t);
                var (constantMean, constantStd) = ColdStart(model, fitted, features, t);
                Assert.Equal(mean, constantMean);
                Assert.Equal(std, constantStd);
            }
        }
    }

    [Fact]
    public void AConstantColumn_OrASingleLevelCategory_LeavesCharlmDsColdStartUnchanged()
    {
        // Given: charlm-d's settings, family and task embedding, its reference split, and the same with a seed of 0 in the
        // settings table and a one-level categorical file.
        var z = CharlmD.Matrix;
        var train = Enumerable.Range(0, z.TaskCount).Except(CharlmD.ReferenceTestRows).ToArray();
        var model = new LowRankFitter().FitLowRank(z.SelectTasks(train));
        var all = CharlmD.All;
        var constant = WithSingleLevel(WithColumn(all, "tasks.csv", "seed", 0), "run", "run=first");

        // When: the feature model is fitted with each, and each held-out task predicted from its features alone.
        var plain = TaskFeatureModel.Fit(model, all.Select(train));
        var fitted = TaskFeatureModel.Fit(model, constant.Select(train));

        // Then: the same chosen features and, for every held-out task, the same cold-start means and stds, to the bit.
        Assert.True(plain.UsesFeatures);
        Assert.Equal(plain.Report.Chosen, fitted.Report.Chosen);
        foreach (var t in CharlmD.ReferenceTestRows)
        {
            var (mean, std) = ColdStart(model, plain, all, t);
            var (constantMean, constantStd) = ColdStart(model, fitted, constant, t);
            Assert.Equal(mean, constantMean);
            Assert.Equal(std, constantStd);
        }
    }

    [Fact]
    public void AQueryThatDiffersInAConstantColumn_IsPredictedAsIfItDidNot_AndTheViewSaysWhere()
    {
        // Given: a feature model fitted with a seed of 1e6 for every training task and a one-level family.
        var (z, x) = PlantedTasks.Matrix(23);
        var features = WithSingleLevel(WithColumn(PlantedTasks.SettingsAndData(z, x, 24), "tasks.csv", "seed", 1e6), "family", "family=web");
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var fitted = TaskFeatureModel.Fit(model, features);
        var settings = fitted.Views.Single(v => v.BlockName == "tasks.csv");
        Assert.Equal([false, true], settings.Constant.ToArray());
        Assert.Equal(1, settings.EncodedWidth);

        // When: a task's seed is 7 (and, for a second query, -3: a log scale would have refused it), or its family another.
        var seven = WithColumn(PlantedTasks.SettingsAndData(z, x, 24), "tasks.csv", "seed", 7);
        var negative = WithColumn(PlantedTasks.SettingsAndData(z, x, 24), "tasks.csv", "seed", -3);

        // Then: its prior is the one of the seed the training tasks had, to the bit (the column informed nothing, so it cannot
        // inform the prediction), and the view names the column, its training value and the task's; it is not called far.
        Assert.Equal(fitted.Prior(features, 4).Mean.ToArray(), fitted.Prior(seven, 4).Mean.ToArray());
        Assert.Equal(fitted.Prior(features, 4).Covariance.ToArray(), fitted.Prior(negative, 4).Covariance.ToArray());
        Assert.Equal([("seed", 1e6, 7.0)], settings.ChangedConstants(seven, 4));
        Assert.Empty(settings.ChangedConstants(features, 4));
        Assert.Empty(settings.FarFromTraining(seven, 4, 10));
        var poetry = new FeatureSet(IdList.From(["new"]), [new FeatureBlock("family", FeatureKind.Categorical, ["family=poetry"], [1.0])]);
        var family = FeatureView.Candidates(features.Blocks.Single(b => b.Name == "family")).Single();
        Assert.Equal(0, family.EncodedWidth);
        Assert.Equal([("family=web", 1.0, 0.0)], family.ChangedConstants(poetry, 0));
        Assert.Equal(["family=poetry"], family.UnseenLevels(poetry, 0));
    }

    [Fact]
    public void AView_LeavesConstantColumnsOut_AndARestoredOneRefusesAConstantColumnOnALogScale()
    {
        // Given: a block of three rows whose middle column is 5 in each.
        var block = new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["lr", "seed", "steps"], [1, 5, 10, 2, 5, 20, 4, 5, 40]);

        // When: its views are fitted, as given and on a log scale.
        var views = FeatureView.Candidates(block).ToArray();

        // Then: both encode two columns, neither reads the seed (the log view does not take it on a log scale), and its
        // training value is kept; a row encodes as the row without it.
        Assert.Equal(2, views.Length);
        Assert.All(views, v => Assert.Equal(2, v.EncodedWidth));
        Assert.Equal([true, false, true], views[1].Log.ToArray());
        Assert.Equal(5, views[1].Shift[1]);
        var encoded = new double[2];
        views[1].Encode([2, -1, 20], encoded);
        var without = FeatureView.Candidates(new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["lr", "steps"], [1, 10, 2, 20, 4, 40])).Last();
        var expected = new double[2];
        without.Encode([2, 20], expected);
        Assert.Equal(expected, encoded);
        var e = Assert.Throws<ArgumentException>(() => FeatureView.Restore("tasks.csv", FeatureKind.Numeric, ["lr", "seed"], true, [0, 5], [1, 1], [true, true], [false, true]));
        Assert.Contains("'seed' is both constant (left out) and read on a log scale", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExampleFeatures_WithAConstantColumn_OrASingleLevelCategory_PredictNewExamplesAsWithout()
    {
        // Given: an mf model whose example parameters follow one example feature, and that feature alone, or with a constant
        // column beside it (0 or 1e6) and a one-level source.
        var random = new Random(5);
        const int tasks = 20, examples = 150;
        var u = Enumerable.Range(0, tasks).Select(_ => random.NextDouble() + 0.5).ToArray();
        var x = Enumerable.Range(0, examples + 10).Select(_ => random.NextDouble()).ToArray();
        var z = ForgettingMatrix.Create([.. Enumerable.Range(0, tasks * examples).Select(c => (float)((u[c / examples] * x[c % examples]) + (0.01 * random.NextDouble())))], tasks, examples);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var freshIds = IdList.From([.. Enumerable.Range(examples, 10).Select(j => $"new-{j}")]);
        var task = model.FoldIn([0, 1, 2], [0.1, 0.2, 0.3]);
        (double[] Mean, double[] Std) Predict(Func<FeatureSet, FeatureSet> with)
        {
            var fitted = ExampleFeatureModel.Fit(model, with(new FeatureSet(z.ExampleIds, [new FeatureBlock("loss.csv", FeatureKind.Numeric, ["loss"], x[..examples])])));
            var fresh = with(new FeatureSet(freshIds, [new FeatureBlock("loss.csv", FeatureKind.Numeric, ["loss"], x[examples..])]));
            var (mean, std) = (new double[10], new double[10]);
            fitted.PredictNewExamples(task, fresh, mean, std);
            Assert.Equal(("loss.csv", "loss"), (fitted.Farthest(fresh, 3).View, fitted.Farthest(fresh, 3).Column));
            return (mean, std);
        }

        // When: each is fitted and the 10 new examples predicted.
        var plain = Predict(set => set);

        // Then: the same means and stds, to the bit.
        foreach (var value in new[] { 0.0, 1e6 })
        {
            var constant = Predict(set => WithSingleLevel(WithColumn(set, "loss.csv", "seed", value), "source", "source=web"));
            Assert.Equal(plain.Mean, constant.Mean);
            Assert.Equal(plain.Std, constant.Std);
        }

        // And features that are all constant cannot tell examples apart: refused, naming them.
        var e = Assert.Throws<ArgumentException>(() => ExampleFeatureModel.Fit(model, new FeatureSet(z.ExampleIds, [new FeatureBlock("seed.csv", FeatureKind.Numeric, ["seed"], new double[examples])])));
        Assert.Contains("Every example feature column (seed) has the same value for every measured example", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AView_WidthCountsEveryColumn_AsBeforeConstantColumnsWereLeftOut_AndEncodedWidthTheEncodedOnes()
    {
        // Given: a block of three columns whose middle one is 5 in every row, and a one-level categorical block.
        var block = new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["lr", "seed", "steps"], [1, 5, 10, 2, 5, 20, 4, 5, 40]);
        var family = new FeatureBlock("family", FeatureKind.Categorical, ["family=web"], [1, 1, 1]);

        // When: their views are fitted.
        var view = FeatureView.Candidates(block).First();
        var single = FeatureView.Candidates(family).Single();

        // Then: Width is the number of columns (the raw row Encode reads, as long as Shift, Scale and Log), as library users
        // relied on; EncodedWidth the encoded ones.
        Assert.Equal((3, 2), (view.Width, view.EncodedWidth));
        Assert.Equal(view.Width, view.Shift.Length);
        Assert.Equal((1, 0), (single.Width, single.EncodedWidth));
        Assert.Equal(2, view.EncodeAll(block).Length / block.Count);
    }

    [Fact]
    public void FeatureModels_KeepTheBlocksLeftOutAsConstant_InTheirParts_AndRefuseOneThatVaries()
    {
        // Given: task features with a one-level family, example features with a one-level source.
        var (z, x) = PlantedTasks.Matrix(23);
        var tasks = WithSingleLevel(PlantedTasks.SettingsAndData(z, x, 24), "family", "family=web");
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var random = new Random(5);
        var examples = WithSingleLevel(new FeatureSet(z.ExampleIds, [new FeatureBlock("loss.csv", FeatureKind.Numeric, ["loss"], [.. Enumerable.Range(0, z.ExampleCount).Select(_ => random.NextDouble())])]), "source", "source=web");

        // When: both feature models are fitted and restored from their parts.
        var taskFeatures = TaskFeatureModel.Fit(model, tasks);
        var exampleFeatures = ExampleFeatureModel.Fit(model, examples);
        var restoredTasks = TaskFeatureModel.Restore(taskFeatures.Parts!);
        var restoredExamples = ExampleFeatureModel.Restore(model, exampleFeatures.Parts);

        // Then: the one-level blocks are not used, but kept with their level; they survive the parts.
        Assert.True(taskFeatures.UsesFeatures);
        Assert.DoesNotContain(taskFeatures.Views, v => v.BlockName == "family");
        Assert.Equal([("family", "family=web", 1.0)], restoredTasks.ConstantViews.Select(v => (v.BlockName, v.Columns.Single(), v.Shift[0])));
        Assert.Equal(["loss.csv"], exampleFeatures.Views.Select(v => v.BlockName));
        Assert.Equal([("source", "source=web", 1.0)], restoredExamples.ConstantViews.Select(v => (v.BlockName, v.Columns.Single(), v.Shift[0])));

        // And: a kept view with a column that varies, or of a block the model uses, is refused.
        var varying = FeatureView.Candidates(examples.Blocks[0]).First();
        var e = Assert.Throws<ArgumentException>(() => ExampleFeatureModel.Restore(model, exampleFeatures.Parts with { ConstantViews = [varying] }));
        Assert.Contains("of which 1 vary", e.Message, StringComparison.Ordinal);
        var used = FeatureView.Restore("loss.csv", FeatureKind.Numeric, ["loss"], false, [0.5], [1], [false], [true]);
        e = Assert.Throws<ArgumentException>(() => ExampleFeatureModel.Restore(model, exampleFeatures.Parts with { ConstantViews = [used] }));
        Assert.Contains("'loss.csv' is both used by the model and left out as constant", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TaskFeatureModel.Restore(taskFeatures.Parts! with { ConstantViews = [varying] }));
    }
}

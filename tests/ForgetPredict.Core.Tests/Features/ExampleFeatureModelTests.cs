using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests.Features;

public class ExampleFeatureModelTests
{
    [Fact]
    public void NewUpstreamExamples_ArePredictedFromTheirFeatures_WithHonestIntervals()
    {
        // Given: charlm-d with every fifth chunk never measured (new pre-training data) and task 2 held out.
        var z = CharlmD.Matrix;
        var newColumns = Enumerable.Range(0, z.ExampleCount).Where(j => j % 5 == 0).ToArray();
        var oldColumns = Enumerable.Range(0, z.ExampleCount).Where(j => j % 5 != 0).ToArray();
        var trainRows = Enumerable.Range(0, z.TaskCount).Where(i => i != 2).ToArray();
        var values = new float[trainRows.Length * oldColumns.Length];
        for (var i = 0; i < trainRows.Length; i++)
        {
            for (var c = 0; c < oldColumns.Length; c++)
            {
                values[(i * oldColumns.Length) + c] = z[trainRows[i], oldColumns[c]];
            }
        }

        var train = ForgettingMatrix.Create(values, trainRows.Length, oldColumns.Length, null, oldColumns.Select(j => z.ExampleIds[j]));
        var model = new LowRankFitter().FitLowRank(train);
        var examples = CharlmD.Examples;

        // When: the example feature model is fitted on the measured chunks and task 2 is folded in from 30 of them.
        var featureModel = ExampleFeatureModel.Fit(model, examples.AlignTo(train.ExampleIds));
        var known = Enumerable.Range(0, 30).Select(t => t * 100).ToArray();
        var task = model.FoldIn(known, [.. known.Select(c => (double)z[2, oldColumns[c]])]);
        var newFeatures = examples.Select(newColumns);
        var mean = new double[newColumns.Length];
        var std = new double[newColumns.Length];
        featureModel.PredictNewExamples(task, newFeatures, mean, std);

        // Then: the new chunks are predicted better than by the average chunk, with intervals wider than the measured chunks' and
        // covering at least as often.
        var truth = newColumns.Select(j => (double)z[2, j]).ToArray();
        var averageChunk = task.PredictRow().Average();
        var rmse = Math.Sqrt(truth.Select((v, t) => (v - mean[t]) * (v - mean[t])).Average());
        var baseline = Math.Sqrt(truth.Select(v => (v - averageChunk) * (v - averageChunk)).Average());
        Assert.True(rmse < 0.9 * baseline, $"with features {rmse}, average chunk {baseline}");
        var covered = truth.Where((v, t) => Math.Abs(v - mean[t]) <= 1.645 * std[t]).Count() / (double)truth.Length;
        var warmMean = new double[oldColumns.Length];
        var warmStd = new double[oldColumns.Length];
        task.PredictRow(warmMean, warmStd);
        var warmCovered = oldColumns.Where((j, c) => Math.Abs(z[2, j] - warmMean[c]) <= 1.645 * warmStd[c]).Count() / (double)oldColumns.Length;
        Assert.True(std.Average() > warmStd.Average(), $"new chunks' std {std.Average()}, measured chunks' {warmStd.Average()}");
        Assert.True(covered >= warmCovered, $"coverage of the 90% intervals: new chunks {covered}, measured chunks {warmCovered}");
    }
}

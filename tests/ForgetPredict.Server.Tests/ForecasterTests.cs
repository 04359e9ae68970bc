using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Server.Tests;

/// <summary>
/// The server's predict path (<see cref="Forecaster"/>: heap top-K, vectorised normal tail) against the CLI report
/// (<see cref="ErasureReport"/>) on the bundled charlm-b matrix. Tolerances: group means and intervals 1e-12 (the same
/// Core function, summed in another order); shares and the expected count 2e-7 per example (the tail approximation's
/// bound); top examples identical.
/// </summary>
public sealed class ForecasterTests : IDisposable
{
    private readonly string _store = RepoPaths.NewTempFolder("fp-server-charlm");

    public void Dispose() => Directory.Delete(_store, recursive: true);

    [Theory]
    [InlineData(30, "empirical")]
    [InlineData(0, "empirical")]
    [InlineData(12, "ridge")]
    public void Predict_MatchesTheCliReport_OnCharlmB(int measured, string prior)
    {
        // Given: mf rank 5 fitted on charlm-b without task 0, grouped by source, and task 0's measured cells.
        var z = MatrixFile.Read(RepoPaths.Data("charlm-b", "z.npy"));
        var train = z.SelectTasks(Enumerable.Range(1, z.TaskCount - 1).ToArray());
        var model = new LowRankFitter(new LowRankOptions { Rank = 5 }).FitLowRank(train);
        ModelFile.Save(model, Path.Combine(_store, "charlm.fpm"));
        File.Copy(RepoPaths.Data("charlm-b", "upstream.csv"), Path.Combine(_store, "charlm.examples.csv"));
        var known = Enumerable.Range(0, measured).Select(i => i * 79).ToArray();
        var values = known.Select(j => (double)z[0, j]).ToArray();
        var stored = new ModelStore(_store).Get("charlm");

        // When: the server answers, and the CLI's report is built for the same task.
        var response = Forecaster.Predict(stored, new PredictRequest
        {
            Observed = new ObservedDto([.. known.Select((j, i) => new KeyValuePair<string, double>(model.ExampleIds[j], values[i]))]),
            Top = 25,
            GroupBy = "source",
            Prior = prior,
        });
        var groups = MetadataTable.Read(RepoPaths.Data("charlm-b", "upstream.csv")).Join(model.ExampleIds).Column("source");
        var task = model.FoldIn(known, values, new FoldInOptions { Prior = prior == "ridge" ? FoldInPrior.Ridge : FoldInPrior.Empirical });
        var report = ErasureReport.Create(task, model.ExampleIds, groups, new ErasureOptions { Top = 25 });

        // Then: the same groups in the same order with the same numbers, the same top examples, the same expected count.
        Assert.Equal(measured, response.KnownCount);
        Assert.Equal(report.Groups.Select(g => g.Name), response.Groups.Select(g => g.Name));
        foreach (var (expected, actual) in report.Groups.Zip(response.Groups))
        {
            Assert.Equal(expected.Count, actual.Count);
            Assert.Equal(expected.MeanForgetting, actual.Mean, 1e-12);
            Assert.Equal(expected.Lower, actual.Lower, 1e-12);
            Assert.Equal(expected.Upper, actual.Upper, 1e-12);
            Assert.Equal(expected.ShareForgotten, actual.Share, 2e-7);
            Assert.Equal(expected.TopExamples.Take(3).Select(e => e.Id), actual.TopExamples);
        }

        Assert.Equal(report.TopExamples.Select(e => (e.Id, e.Rank, e.Group)), response.Top.Select(e => (e.Id, e.Rank, e.Group)));
        foreach (var (expected, actual) in report.TopExamples.Zip(response.Top))
        {
            Assert.Equal(expected.Predicted, actual.Predicted);
            Assert.Equal(expected.Std, actual.Std);
            Assert.Equal(expected.Probability, actual.Probability);
        }

        Assert.Equal(report.Examples.Sum(e => e.Probability), response.ExpectedForgotten, 2e-7 * model.ExampleCount);
    }

    [Fact]
    public void NormalTail_IsWithin2e7OfTheExactTail()
    {
        // Means and stds over a grid covering both tails, zero std (a step) and the threshold itself.
        var means = new List<double>();
        var stds = new List<double>();
        foreach (var m in Enumerable.Range(-400, 801).Select(i => i / 40.0))
        {
            foreach (var s in new[] { 0, 1e-9, 0.01, 0.3, 1, 2.5, 40 })
            {
                means.Add(m);
                stds.Add(s);
            }
        }

        var fast = new double[means.Count];
        NormalTail.Exceedance([.. means], [.. stds], 0.25, fast);
        for (var i = 0; i < fast.Length; i++)
        {
            var exact = ErasureReport.ExceedanceProbability(means[i], stds[i], 0.25);
            Assert.True(Math.Abs(exact - fast[i]) <= 2e-7, $"mean {means[i]}, std {stds[i]}: {fast[i]} vs {exact}");
            Assert.Equal(NormalTail.Scalar(means[i], stds[i], 0.25), fast[i], 1e-15);
        }
    }

    [Fact]
    public void TopSelection_EqualsAFullSortWithIndexTieBreak()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 5000).Select(_ => Math.Round(random.NextDouble() * 50) / 50).ToArray();
        var sorted = Enumerable.Range(0, values.Length).OrderByDescending(j => values[j]).ThenBy(j => j).ToArray();
        foreach (var k in new[] { 0, 1, 3, 20, 999, 5000, 6000 })
        {
            Assert.Equal(sorted.Take(k), TopSelection.Largest(values, k));
        }

        var candidates = Enumerable.Range(0, values.Length).Where(j => j % 7 == 3).ToArray();
        Assert.Equal(sorted.Where(j => j % 7 == 3).Take(10), TopSelection.Largest(values, 10, candidates));
    }
}

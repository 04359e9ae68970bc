using ForgetPredict.Core;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Server.Tests;

/// <summary>
/// The server's predict path (<see cref="Forecaster"/>: the single-precision <see cref="RowScanner"/>) against the CLI report
/// (<see cref="ErasureReport"/>) on the bundled charlm-b matrix. Tolerances: group means and intervals 1e-12 (the same
/// Core function, summed in another order); shares and the expected count 2e-7 per example (single-precision sums of an
/// approximate tail; the scanner promises 1e-6); top examples identical to the bit.
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
        var report = ErasureReport.Create(task, model.ExampleIds, ExampleGroups.FromLabels(groups), new ErasureOptions { Top = 25, Threshold = ForgettingThreshold.Default(model).Value });

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
    public void ExampleReferences_MatchIdsExactly_UnlessByIndex()
    {
        // Given: an additive model whose examples are named ex-0..ex-149.
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 150, Seed = 5 }).Matrix;
        var named = data.WithIds(Enumerable.Range(0, 12).Select(i => $"task-{i}"), Enumerable.Range(0, 150).Select(j => $"ex-{j}"));
        ModelFile.Save(ModelCatalog.CreateFitter("additive", new ModelSettings()).Fit(named), Path.Combine(_store, "named.fpm"));
        var stored = new ModelStore(_store).Get("named");
        static ObservedDto Cells(params string[] examples) => new([.. examples.Select(e => new KeyValuePair<string, double>(e, 0.25))]);

        // A number that is not an id is refused, naming the field, the entry, the value and the fix.
        var e = Assert.Throws<ForgettingDataException>(() => Forecaster.Predict(stored, new PredictRequest { Observed = Cells("ex-0", "3") }));
        Assert.Equal(
            "observed: entry 2: column 'example': example '3' is not one of the model's 150 example ids; examples are matched by id exactly: set \"byIndex\": true to read these as column positions.",
            e.Message);
        var exclude = Forecaster.Replay(stored, new ReplayRequest { Budget = 5, Exclude = ["0", "ex-1"] });
        Assert.Contains(exclude.Warnings, w => w.StartsWith("exclude: 1 of its 2 ids name no example, so they are ignored: example '0' is not one of the model's 150 example ids; examples are matched by id exactly: set \"byIndex\": true", StringComparison.Ordinal));

        // With byIndex the references are column positions: the same answer as by id; positions out of range are refused.
        var byId = Forecaster.Predict(stored, new PredictRequest { Observed = Cells("ex-3", "ex-140") });
        var byIndex = Forecaster.Predict(stored, new PredictRequest { Observed = Cells("3", "140"), ByIndex = true });
        Assert.Equal(2, byIndex.KnownCount);
        Assert.Equal(byId.Top.Select(t => (t.Id, t.Predicted)), byIndex.Top.Select(t => (t.Id, t.Predicted)));
        var replay = Forecaster.Replay(stored, new ReplayRequest { Budget = 150, Strategy = "topk", Exclude = ["0", "1"], ByIndex = true });
        Assert.Equal(148, replay.Candidates);
        Assert.DoesNotContain(replay.Items, i => i.Example is "ex-0" or "ex-1");
        e = Assert.Throws<ForgettingDataException>(() => Forecaster.Predict(stored, new PredictRequest { Observed = Cells("3", "150"), ByIndex = true }));
        Assert.Contains("example '150' is not a column position 0..149", e.Message, StringComparison.Ordinal);
    }

    // QA: in the service's warnings, examples with no value in the group column went unsaid, as did labels differing only in
    // spaces and an exclusion of every example (refused without naming the field); the clamped ratio budget was quoted.
    [Fact]
    public void Replay_SaysWhatTheMetadataAndTheExclusionLeaveOut_InTheServicesWords()
    {
        // Given: charlm-b's metadata with 300 examples of no source and 200 'changelog' written ' changelog'.
        var z = MatrixFile.Read(RepoPaths.Data("charlm-b", "z.npy"));
        var model = new LowRankFitter(new LowRankOptions { Rank = 3 }).FitLowRank(z.SelectTasks(Enumerable.Range(1, z.TaskCount - 1).ToArray()));
        ModelFile.Save(model, Path.Combine(_store, "charlm.fpm"));
        var lines = File.ReadAllLines(RepoPaths.Data("charlm-b", "upstream.csv"));
        var changelog = 0;
        var edited = lines.Select((line, i) =>
        {
            if (i == 0)
            {
                return line;
            }

            var id = line[..line.IndexOf(',', StringComparison.Ordinal)];
            return i <= 300 ? id + "," : line.EndsWith(",changelog", StringComparison.Ordinal) && changelog++ < 200 ? id + ", changelog" : line;
        });
        File.WriteAllLines(Path.Combine(_store, "charlm.examples.csv"), edited);
        var stored = new ModelStore(_store).Get("charlm");

        // When
        var replay = Forecaster.Replay(stored, new ReplayRequest { Ratio = 1, TaskSize = 99_999_999_999_999, Strategy = "topk" });
        var all = Assert.Throws<OptionException>(() => Forecaster.Replay(stored, new ReplayRequest { Budget = 5, ByIndex = true, Exclude = [.. Enumerable.Range(0, 2400).Select(j => j.ToString(System.Globalization.CultureInfo.InvariantCulture))] }));

        // Then
        Assert.Contains("charlm.examples.csv: 300 of the 2,400 examples with a metadata row have no value in column 'source' (empty, blank or missing), so they are in no group: a replay's group report lists them as '(no group)' and a stratified replay keeps its floor for named groups only; fill in the column to group them", replay.Warnings);
        Assert.Contains("charlm.examples.csv: column 'source' has labels that differ only in leading or trailing spaces (' changelog' and 'changelog'), which make separate groups; trim the labels in the metadata to make them one group", replay.Warnings);
        Assert.Contains("the budget of 99,999,999,999,999 is above the 2,400 candidate examples, so all 2,400 were chosen", replay.Warnings);
        Assert.Equal(300, replay.Groups.Single(g => g.Name == "(no group)").Examples);
        Assert.StartsWith("exclude: it excludes all 2,400 examples of the model", all.Message, StringComparison.Ordinal);
    }
}


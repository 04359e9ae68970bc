using System.Runtime.InteropServices;
using ForgetPredict.Core;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Replay;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Application.Tests;

/// <summary>
/// The application layer's use cases on a synthetic matrix (16 tasks x 600 examples in 6 planted groups; task 0 is the new
/// task): the summary forecast (row scan) against the every-example forecast (the report), replay group counts, the fit's
/// provenance round trip, model descriptions, evaluation method names and the name tables.
/// </summary>
public sealed class ApplicationTests : IDisposable
{
    private static readonly SyntheticForgetting s_synthetic = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 16, Examples = 600, Seed = 7, KeepSignal = false });
    private static readonly ForgettingMatrix s_training = s_synthetic.Matrix.SelectTasks([.. Enumerable.Range(1, 15)]);
    private static readonly FactorModel s_model = new LowRankFitter(new LowRankOptions { Rank = 3 }).FitLowRank(s_training);
    private readonly string _folder = RepoPaths.NewTempFolder("fp-app");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(0, FoldInPrior.Empirical, 15)]
    [InlineData(30, FoldInPrior.Empirical, 15)]
    [InlineData(12, FoldInPrior.Ridge, 15)]
    [InlineData(30, FoldInPrior.Empirical, 1)] // each group still lists 3 (the whole report listed 1, the scan 3)
    [InlineData(30, FoldInPrior.Empirical, 0)]
    public void Forecast_SummaryMatchesEveryExample(int measured, FoldInPrior prior, int top)
    {
        // Given: the new task's measured cells and the planted groups.
        var request = new ForecastRequest { Model = s_model, Cells = Cells(measured), Prior = prior, Groups = ExampleGroups.FromLabels(s_synthetic.ExampleGroups), Top = top };

        // When: forecast from the row scan and from every example.
        var summary = Forecasting.Forecast(request);
        var full = Forecasting.Forecast(request with { Detail = ForecastDetail.EveryExample });

        // Then: the same top examples to the bit, the same groups in the same order, shares within the scan's precision.
        Assert.Null(summary.Report);
        Assert.NotNull(full.Report);
        Assert.Equal(measured, summary.KnownCount);
        Assert.Equal(top, summary.Top.Count);
        Assert.Equal(full.Top, summary.Top);
        Assert.Equal(full.Groups.Select(g => g.Name), summary.Groups.Select(g => g.Name));
        Assert.Equal(6, summary.Groups.Count);
        foreach (var (expected, actual) in full.Groups.Zip(summary.Groups))
        {
            Assert.Equal(expected.Count, actual.Count);
            Assert.Equal(expected.Mean, actual.Mean, 1e-12);
            Assert.Equal(expected.Lower, actual.Lower, 1e-12);
            Assert.Equal(expected.Upper, actual.Upper, 1e-12);
            Assert.Equal(expected.Share, actual.Share, 2e-7);
            Assert.Equal(expected.TopExamples, actual.TopExamples);
            Assert.Equal(3, actual.TopExamples.Count);
            Assert.True(actual.Lower < actual.Mean && actual.Mean < actual.Upper);
        }

        Assert.Equal(full.ExpectedForgotten, summary.ExpectedForgotten, 2e-7 * s_model.ExampleCount);
        Assert.Equal(full.Report!.Examples.Sum(e => e.Probability), full.ExpectedForgotten);
    }

    [Fact]
    public void ExcludedBy_ResolvesAPandasIndexAgainstTheModelsIds_AndTakesIdAsAHeaderEvenWhenAnExampleIsSoNamed()
    {
        var ids = new ExampleReferences(IdList.From(["id", "ex1", "ex2", "ex3", "ex4"]), new ExampleMatching(false, "pass --by-index"));
        static MetadataTable Table(string text) => MetadataTable.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), "held.csv");

        // A sampled frame's old row numbers beside string ids: only the ids name examples, so they are the id column.
        var (sampled, unknownSampled, column) = Replaying.ExcludedBy(Table(",name\n3,ex3\n1,ex1\n"), ids, idColumnNamed: false);
        Assert.Equal([3, 1], sampled.Order().Reverse());
        Assert.Empty(unknownSampled);
        Assert.Equal("name", column);

        // 'id' is a header even though an example is named 'id'; a header that is another example id is refused.
        var (listed, _, _) = Replaying.ExcludedBy(Table("id\nex2\nex4\n"), ids, idColumnNamed: false);
        Assert.Equal([2, 4], listed.Order());
        var e = Assert.Throws<ForgettingDataException>(() => Replaying.ExcludedBy(Table("ex2\nex4\n"), ids, idColumnNamed: false));
        Assert.Contains("its first line names example 'ex2' where a header belongs", e.Message, StringComparison.Ordinal);

        // Both columns naming examples in other rows stays ambiguous.
        var both = new ExampleReferences(IdList.Implicit(10), new ExampleMatching(false, "pass --by-index"));
        Assert.Throws<ForgettingDataException>(() => Replaying.ExcludedBy(Table(",column\n3,5\n1,7\n"), both, idColumnNamed: false));
    }

    [Fact]
    public void Forecast_WithoutGroups_HasNoGroups_AndTheDefaultThreshold()
    {
        var forecast = Forecasting.Forecast(new ForecastRequest { Model = s_model, Cells = Cells(10), Top = 4 });

        Assert.Empty(forecast.Groups);
        Assert.Equal(ForgettingThreshold.Default(s_model).Value, forecast.Threshold);
        Assert.Equal(ForgettingThreshold.Default(s_model).Rule, forecast.ThresholdRule);
        Assert.Equal(4, forecast.Top.Count);
        Assert.All(forecast.Top.Zip(forecast.Top.Skip(1)), p => Assert.True(p.First.Predicted >= p.Second.Predicted));
        Assert.All(forecast.Top, e => Assert.Null(e.Group));
    }

    [Theory]
    [InlineData(ForecastDetail.Summary)]
    [InlineData(ForecastDetail.EveryExample)]
    public void Forecast_DefaultThreshold_InformsWhereZeroDoesNot(ForecastDetail detail)
    {
        // Given: the synthetic matrix, where (as in real ones) nearly every cell is a loss increase.
        var request = new ForecastRequest { Model = s_model, Detail = detail };

        // When: the task-agnostic forecast with the default threshold and with 0.
        var byDefault = Forecasting.Forecast(request);
        var zero = Forecasting.Forecast(request with { Threshold = 0 });

        // Then: the average past task forgets about 10% of the examples by the default, and most of them by 0.
        Assert.InRange(byDefault.ExpectedForgotten / s_model.ExampleCount, 0.08, 0.14);
        Assert.True(zero.ExpectedForgotten > 0.5 * s_model.ExampleCount, $"{zero.ExpectedForgotten}");
        Assert.Equal(ForgettingThreshold.GivenRule, zero.ThresholdRule);
        Assert.Equal(0, zero.Threshold);
    }

    [Fact]
    public void ExampleTable_MarksTheMeasuredCells()
    {
        // Given: a forecast from 12 measured cells, with groups.
        var cells = Cells(12);
        var forecast = Forecasting.Forecast(new ForecastRequest
        {
            Model = s_model,
            Cells = cells,
            Groups = ExampleGroups.FromLabels(s_synthetic.ExampleGroups),
            Detail = ForecastDetail.EveryExample,
        });

        // When: the per-example table is made.
        var table = Forecasting.ExampleTable(forecast);

        // Then: measured is true exactly for the measured cells, measured_value holds their values, and null elsewhere.
        Assert.Equal(["example", "predicted", "std", "probability", "rank", "group", "measured", "measured_value"], table.Columns.Select(c => c.Name));
        var measured = (Data.Tables.BooleanColumn)table.Columns[6];
        var values = (Data.Tables.DoubleColumn)table.Columns[7];
        Assert.Equal(s_model.ExampleCount, measured.Count);
        for (var j = 0; j < s_model.ExampleCount; j++)
        {
            var t = Array.IndexOf(cells.Examples, j);
            Assert.Equal(t >= 0, measured[j]);
            Assert.Equal(t >= 0 ? cells.Values[t] : double.NaN, values[j]);
        }

        Assert.Throws<ArgumentException>(() => Forecasting.ExampleTable(forecast with { Report = null }));
    }

    [Fact]
    public void Forecast_RefusesNonBinaryCells_ForABinaryModel()
    {
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 200, Binary = true, Seed = 3, KeepSignal = false }).Matrix;
        var model = ModelCatalog.CreateFitter("logistic", new ModelSettings { Rank = 2 }).Fit(binary);

        var error = Assert.Throws<ArgumentException>(() => Forecasting.Forecast(new ForecastRequest
        {
            Model = model,
            Cells = new ObservedCells([1], [0.3]),
            CellsSource = "cells.csv",
        }));

        Assert.StartsWith("cells.csv: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("measured cells must be 0 or 1", error.Message, StringComparison.Ordinal);
    }

    // QA: "the model is binary (logistic), so measured cells must be 0 or 1" named neither the row nor the example.
    [Fact]
    public void Forecast_ANonBinaryCellReadFromAFile_IsNamedByItsLineAndExample()
    {
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 200, Binary = true, Seed = 3, KeepSignal = false }).Matrix;
        var model = ModelCatalog.CreateFitter("logistic", new ModelSettings { Rank = 2 }).Fit(binary);
        var path = Path.Combine(ForgetPredict.Testing.RepoPaths.NewTempFolder(), "obs_frac.csv");
        var ids = model.ExampleIds;
        File.WriteAllText(path, $"example,value\n{ids[3]},1\n{ids[7]},0.7\n{ids[9]},False\n");
        var cells = ObservedCells.Read(path, model.ExampleIds, new ExampleMatching(false, "pass --by-index"));

        var error = Assert.Throws<ForgettingDataException>(() => Forecasting.Forecast(new ForecastRequest { Model = model, Cells = cells, CellsSource = path }));

        Assert.StartsWith($"{path}:3: column 'value': example '{ids[7]}' has value 0.7, but the model is binary (logistic), so measured cells must be 0 or 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("threshold the measurements first", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_BudgetAboveTheCandidates_SaysSo()
    {
        // Given: 590 candidates (10 of the 600 examples excluded).
        var excluded = Enumerable.Range(0, 10).ToHashSet();

        // When: 1,000 are asked for, and then 590.
        ReplayPlan Plan(int budget) => Replaying.Plan(new ReplayPlanRequest
        {
            Model = s_model,
            Cells = Cells(20),
            Excluded = excluded,
            Options = new ReplayOptions { Budget = budget, Strategy = ReplayStrategy.TopK },
        });
        var over = Plan(1000);
        var exact = Plan(590);

        // Then: every candidate is chosen both times, and only the first says the budget could not be met.
        Assert.Equal(590, over.Set.Items.Count);
        Assert.Equal("the budget of 1,000 is above the 590 candidate examples, so all 590 were chosen", over.Shortfall);
        Assert.Null(exact.Shortfall);
    }

    // QA: a ratio over a huge task clamped the budget to int.MaxValue, and the shortfall quoted 2,147,483,647.
    [Fact]
    public void Replay_AClampedRatioBudget_QuotesTheBudgetAskedFor()
    {
        // Given: one example per 1 of a task of 99,999,999,999,999 examples.
        var options = ReplayOptions.ForBudget(null, 1, 99_999_999_999_999) with { Strategy = ReplayStrategy.TopK };

        // When
        var plan = Replaying.Plan(new ReplayPlanRequest { Model = s_model, Cells = Cells(20), Options = options });

        // Then: the budget held is the largest, and the message quotes the one asked for.
        Assert.Equal(int.MaxValue, options.Budget);
        Assert.Equal(99_999_999_999_999, options.RequestedBudget);
        Assert.Equal("the budget of 99,999,999,999,999 is above the 600 candidate examples, so all 600 were chosen", plan.Shortfall);
        Assert.Null(ReplayOptions.ForBudget(50, null, null).RequestedBudget);
        Assert.Null(ReplayOptions.ForBudget(null, 32, 3200).RequestedBudget);
        Assert.Equal(100, ReplayOptions.ForBudget(null, 32, 3200).Budget);
    }

    // QA: an exclusion of every example was refused without naming the list (the CLI's file, the service's field).
    [Fact]
    public void Replay_EveryExampleExcluded_IsRefusedNamingTheList()
    {
        var request = new ReplayPlanRequest
        {
            Model = s_model,
            Cells = Cells(20),
            Excluded = Enumerable.Range(0, 600).ToHashSet(),
            ExcludedSource = "--exclude held-out.csv",
        };

        var error = Assert.Throws<OptionException>(() => Replaying.Plan(request));
        var unnamed = Assert.Throws<OptionException>(() => Replaying.Plan(request with { ExcludedSource = null }));

        Assert.StartsWith("--exclude held-out.csv: it excludes all 600 examples of the model, so there is nothing left to replay; exclude fewer examples.", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("exclude: it excludes all 600", unnamed.Message, StringComparison.Ordinal);
        Assert.NotNull(Replaying.Plan(request with { Excluded = Enumerable.Range(1, 599).ToHashSet() }));
    }

    // QA: a group whose every example was excluded showed "0 of 400" with nothing saying it had no candidate left.
    [Theory]
    [InlineData(ReplayStrategy.Stratified, " and the stratified floor does not apply to it")]
    [InlineData(ReplayStrategy.TopK, "")]
    public void Replay_AGroupEveryExampleOfWhichIsExcluded_IsSaid(ReplayStrategy strategy, string floor)
    {
        // Given: 3 groups of 200; every example of group 'b' and 10 of group 'a' excluded.
        var groups = ExampleGroups.FromLabels([.. Enumerable.Range(0, 600).Select(j => j < 200 ? "a" : j < 400 ? "b" : "c")]);
        var excluded = Enumerable.Range(190, 210).ToHashSet();

        // When
        var plan = Replaying.Plan(new ReplayPlanRequest
        {
            Model = s_model,
            Cells = Cells(20),
            Groups = groups,
            Excluded = excluded,
            Options = new ReplayOptions { Budget = 30, Strategy = strategy },
        });

        // Then: the report counts the excluded examples, and a warning names the emptied group.
        var byName = plan.Groups.ToDictionary(g => g.Name);
        Assert.Equal((0, 200, 200, "all excluded"), (byName["b"].Replayed, byName["b"].Examples, byName["b"].Excluded, byName["b"].ExcludedNote));
        Assert.Equal((10, "10 excluded"), (byName["a"].Excluded, byName["a"].ExcludedNote));
        Assert.Null(byName["c"].ExcludedNote);
        Assert.Contains($"every example of group 'b' (200) is excluded, so none of it can be replayed{floor}; the group report lists it as all excluded", plan.Warnings);
    }

    // QA: a metadata group literally named "(no group)" made two report rows of that name.
    [Fact]
    public void Replay_AGroupNamedLikeTheUngroupedRow_RenamesTheUngroupedRow_AndSaysSo()
    {
        // Given: 100 examples labelled "(no group)", 50 with no label, the rest 'a'.
        var groups = ExampleGroups.FromLabels([.. Enumerable.Range(0, 600).Select(j => j < 100 ? Replaying.Ungrouped : j < 150 ? null : "a")]);

        // When
        var plan = Replaying.Plan(new ReplayPlanRequest { Model = s_model, Cells = Cells(20), Groups = groups, Options = new ReplayOptions { Budget = 30, Strategy = ReplayStrategy.TopK } });
        var plain = Replaying.Plan(new ReplayPlanRequest
        {
            Model = s_model,
            Cells = Cells(20),
            Groups = ExampleGroups.FromLabels([.. Enumerable.Range(0, 600).Select(j => j < 150 ? null : "a")]),
            Options = new ReplayOptions { Budget = 30, Strategy = ReplayStrategy.TopK },
        });

        // Then: one row of each name, the ungrouped one renamed and explained; without the clash, the usual name and no warning.
        Assert.Equal(plan.Groups.Count, plan.Groups.Select(g => g.Name).Distinct().Count());
        Assert.Equal(100, plan.Groups.Single(g => g.Name == Replaying.Ungrouped).Examples);
        Assert.Equal(50, plan.Groups.Single(g => g.Name == Replaying.UngroupedWhenTaken).Examples);
        Assert.Contains(plan.Warnings, w => w.Contains("a group named '(no group)'", StringComparison.Ordinal) && w.Contains("the 50 examples in no group", StringComparison.Ordinal) && w.Contains("'(no label)'", StringComparison.Ordinal));
        Assert.Equal(150, plain.Groups.Single(g => g.Name == Replaying.Ungrouped).Examples);
        Assert.Empty(plain.GroupWarnings);
    }

    // QA: weight was called the "selection probability", read as the chance of ending in the set.
    [Theory]
    [InlineData(ReplayStrategy.Softmax, "probability of being drawn first, softmax(predicted / 0.1) over all candidates")]
    [InlineData(ReplayStrategy.Random, "probability of being drawn first, 1 / candidates (uniform)")]
    public void Replay_DescribeWeight_SaysItIsNoInclusionProbability(ReplayStrategy strategy, string what)
    {
        var text = Replaying.DescribeWeight(new ReplayOptions { Strategy = strategy });

        Assert.Contains(what, text, StringComparison.Ordinal);
        Assert.Contains("drawn without replacement", text, StringComparison.Ordinal);
        Assert.Contains("no inclusion probability", text, StringComparison.Ordinal);
        Assert.DoesNotContain("selection probability", text, StringComparison.Ordinal);
        Assert.Equal(strategy == ReplayStrategy.Random, text.Contains("budget / candidates", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1e-4, "all but top-k")]
    [InlineData(1e4, "all but random")]
    [InlineData(1e-310, "all but top-k")]
    [InlineData(null, null)]
    public void Replay_Softmax_SaysWhenTheTemperatureIsFarFromThePredictionsSpread(double? temperature, string? amounts)
    {
        // Given: softmax replay at a temperature far below or above the predictions' spread, or at one near it.
        var row = s_model.FoldIn(Cells(20).Examples, Cells(20).Values).PredictRow();
        var spreadTemperature = Math.Sqrt(row.Sum(v => (v - row.Average()) * (v - row.Average())) / (row.Length - 1));
        ReplayPlan Plan(ReplayStrategy strategy) => Replaying.Plan(new ReplayPlanRequest
        {
            Model = s_model,
            Cells = Cells(20),
            Options = new ReplayOptions { Budget = 30, Strategy = strategy, Temperature = temperature ?? spreadTemperature },
        });

        // Then: the far ones are told what the choice amounts to and the temperature on the predictions' scale; top-k never is.
        var plan = Plan(ReplayStrategy.Softmax);
        if (amounts is null)
        {
            Assert.Null(plan.TemperatureWarning);
            Assert.Empty(plan.Warnings);
        }
        else
        {
            Assert.StartsWith($"the softmax temperature {temperature!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)} is in the units of the predictions", plan.TemperatureWarning, StringComparison.Ordinal);
            Assert.Contains($"so the choice is {amounts}; a temperature near ", plan.TemperatureWarning, StringComparison.Ordinal);
            Assert.Equal([plan.TemperatureWarning!], plan.Warnings);
        }

        Assert.Null(Plan(ReplayStrategy.TopK).TemperatureWarning);
    }

    [Fact]
    public void Replay_AtTheExtremes_SaysWhatTheChoiceIs_InReadableNumbers()
    {
        // A task-mean model predicts one value for every example: the advice had been "a temperature near 8.9E-16" (the
        // rounding of that one value), which would make the rounding choose.
        var flat = new TaskMeanFitter().Fit(s_training);
        var equal = Replaying.Plan(new ReplayPlanRequest { Model = flat, Cells = Cells(20), Options = new ReplayOptions { Budget = 5 } });
        Assert.StartsWith("every candidate's predicted forgetting is the same (", equal.TemperatureWarning, StringComparison.Ordinal);
        Assert.EndsWith("so softmax chooses at random at any temperature", equal.TemperatureWarning, StringComparison.Ordinal);

        // A temperature of 1e-300 had printed the spread's ratio to it in 300 digits.
        var tiny = Replaying.Plan(new ReplayPlanRequest { Model = s_model, Cells = Cells(20), Options = new ReplayOptions { Budget = 5, Temperature = 1e-300 } });
        Assert.Matches(@"is [0-9.]+, [0-9.]+E\+29[0-9] times it, so the choice is all but top-k", tiny.TemperatureWarning);

        // Nothing predicted to forget: a random set had been said to carry 2% of none (and this one 0x of that).
        var negative = ForgettingMatrix.Wrap([.. s_training.Values.ToArray().Select(v => -Math.Abs(v) - 0.5f)], s_training.TaskCount, s_training.ExampleCount);
        var none = Replaying.Plan(new ReplayPlanRequest
        {
            Model = new AdditiveFitter().Fit(negative),
            Options = new ReplayOptions { Budget = 10, Strategy = ReplayStrategy.TopK },
        });
        Assert.Equal(0, none.Set.CoveredForgetting);
        Assert.Equal(0, none.Set.RandomExpectation);
        Assert.Equal(["no candidate example is predicted to forget (every prediction is 0 or below), so no replay set carries predicted forgetting; this one follows the strategy's order only"], none.Warnings);
    }

    [Fact]
    public void Replay_CountsEachGroup_AndTheUngroupedExamples()
    {
        // Given: groups where the first 50 examples have no label.
        var labels = s_synthetic.ExampleGroups.Select((g, j) => j < 50 ? null : g).ToArray();
        var groups = ExampleGroups.FromLabels(labels);

        // When: 120 examples are chosen by top-k.
        var plan = Replaying.Plan(new ReplayPlanRequest
        {
            Model = s_model,
            Cells = Cells(20),
            Groups = groups,
            Options = new ReplayOptions { Budget = 120, Strategy = ReplayStrategy.TopK },
        });

        // Then: the counts add up, match the chosen items' labels, and are sorted by count.
        Assert.Equal(120, plan.Set.Items.Count);
        Assert.Equal(120, plan.Groups.Sum(g => g.Replayed));
        foreach (var g in plan.Groups)
        {
            var name = g.Name == Replaying.Ungrouped ? null : g.Name;
            Assert.Equal(plan.Set.Items.Count(i => i.Group == name), g.Replayed);
            Assert.Equal(labels.Count(l => l == name), g.Examples);
        }

        Assert.Equal(plan.Groups.OrderByDescending(g => g.Replayed).ThenBy(g => g.Name, StringComparer.Ordinal), plan.Groups);

        // A group none of whose examples was chosen is listed with 0, not left out.
        var one = Replaying.Plan(new ReplayPlanRequest
        {
            Model = s_model,
            Cells = Cells(20),
            Groups = groups,
            Options = new ReplayOptions { Budget = 1, Strategy = ReplayStrategy.TopK },
        });
        Assert.Equal(groups.Count + 1, one.Groups.Count);
        Assert.Equal(groups.Count, one.Groups.Count(g => g.Replayed == 0));
        Assert.Equal(0, one.Groups[^1].Replayed);
    }

    [Fact]
    public void ReplayTable_ListsTheChosenExamplesInOrder_AsBothFrontEndsWriteIt()
    {
        // Given: a replay set chosen with groups, some examples in none.
        var labels = s_synthetic.ExampleGroups.Select((g, j) => j < 50 ? null : g).ToArray();
        var plan = Replaying.Plan(new ReplayPlanRequest
        {
            Model = s_model,
            Cells = Cells(20),
            Groups = ExampleGroups.FromLabels(labels),
            Options = new ReplayOptions { Budget = 60, Strategy = ReplayStrategy.Softmax, Temperature = 0.1 },
        });
        var items = plan.Set.Items;

        // When: it becomes the table the command line writes and the service answers as CSV.
        var table = Replaying.Table([.. items.Select(i => $"ex-{i.Example}")], [.. items.Select(i => i.Weight)], [.. items.Select(i => i.Predicted)], [.. items.Select(i => i.Group)]);

        // Then: its columns are example, weight, predicted and group, a row per chosen example in selection order, and a
        // table whose lists differ in length is refused.
        Assert.Equal(["example", "weight", "predicted", "group"], table.Columns.Select(c => c.Name));
        Assert.Equal(items.Count, table.RowCount);
        using var csv = new MemoryStream();
        ForgetPredict.Data.Tables.CsvTableFormat.Csv.Write(table, csv);
        var lines = System.Text.Encoding.UTF8.GetString(csv.ToArray()).TrimEnd('\n').Split('\n');
        Assert.Equal("example,weight,predicted,group", lines[0]);
        Assert.Equal(items.Select(i => FormattableString.Invariant($"ex-{i.Example},{i.Weight:R},{i.Predicted:R},{i.Group}")), lines.Skip(1));
        Assert.Contains(items, i => i.Group is null);
        Assert.Throws<ArgumentException>(() => Replaying.Table(["a", "b"], [1.0], [0.5, 0.4], [null, null]));
    }

    [Fact]
    public void ResolveExamples_MatchesIdsExactly_OrPositionsWhenAsked_AndListsTheUnknown()
    {
        var ids = IdList.From(["a", "b", "7"]);

        var (found, unknown) = Replaying.ResolveExamples(new ExampleReferences(ids, new ExampleMatching(false, "pass --by-index")), ["b", "7", "1", "zz", "9"]);
        Assert.Equal(new HashSet<int> { 1, 2 }, found);
        Assert.Equal(["1", "zz", "9"], unknown);

        (found, unknown) = Replaying.ResolveExamples(new ExampleReferences(ids, new ExampleMatching(true, "pass --by-index")), ["b", "0", "2", "3"]);
        Assert.Equal(new HashSet<int> { 0, 2 }, found);
        Assert.Equal(["b", "3"], unknown);
    }

    [Fact]
    public void FitAndSave_RecordsTypedProvenance_ThatReadsBack()
    {
        var path = Path.Combine(_folder, "m.fpm");
        var uploaded = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var fit = Fitting.FitAndSave(new FitRequest { Matrix = s_training, Source = "train.npy", Method = "additive", Uploaded = uploaded, ExamplesSha256 = "abc" }, path);
        var loaded = ModelFile.Load(path);
        var description = ModelDescription.Of(loaded.Model, loaded.Metadata);

        Assert.InRange(fit.RSquared, 0.01, 1);
        Assert.Equal(new FitProvenance("additive", "train.npy", fit.RSquared, uploaded, "abc"), description.Provenance);
        Assert.Equal([FitProvenance.ExamplesSha256Key, "method", "r2", "source", "uploaded"], loaded.Metadata.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("additive", description.Method);
        Assert.Equal(0, description.Rank);
        Assert.Equal("additive fitted on 15 past tasks x 600 upstream examples", description.Summary);
    }

    [Fact]
    public void FitAndSave_WithExampleFeatures_ForecastsNewExamples_WithWiderIntervals()
    {
        // Given: the first 500 examples as the matrix, every example's planted group and a noisy copy of its true mean as features.
        var random = new Random(2);
        var truth = Enumerable.Range(0, 600).Select(j => Enumerable.Range(1, 15).Average(t => (double)s_synthetic.Matrix[t, j])).ToArray();
        var level = truth.Select(m => m + (0.05 * (random.NextDouble() - 0.5))).ToArray();
        var ids = IdList.Implicit(600);
        var features = new Core.Features.FeatureSet(ids, [new Core.Features.FeatureBlock("examples.csv", Core.Features.FeatureKind.Numeric, ["level"], level)]);
        var matrix = ForgettingMatrix.Create([.. Enumerable.Range(0, 15 * 500).Select(c => s_training[c / 500, c % 500])], 15, 500);
        var path = Path.Combine(_folder, "cold.fpm");
        Fitting.FitAndSave(new FitRequest { Matrix = matrix, Source = "z.npy", Method = "mf", Settings = new ModelSettings { Rank = 3 }, ExampleFeatures = features }, path);
        var loaded = ModelFile.Load(path);

        // When: the new task is forecast with the 100 examples the model never measured.
        var fresh = features.Select([.. Enumerable.Range(500, 100)]);
        var forecast = Forecasting.Forecast(new ForecastRequest
        {
            Model = loaded.Model,
            Cells = new ObservedCells([.. Enumerable.Range(0, 30).Select(i => i * 16)], [.. Enumerable.Range(0, 30).Select(i => (double)s_synthetic.Matrix[0, i * 16])]),
            Detail = ForecastDetail.EveryExample,
            NewExamples = NewExampleQuery.Create(loaded.ExampleFeatures, fresh, "examples.csv", "cold.fpm", "refit"),
        });

        // Then: one forecast per new example, in order, with wider intervals than the measured examples' and a probability.
        Assert.Equal(Enumerable.Range(500, 100).Select(j => j.ToString(System.Globalization.CultureInfo.InvariantCulture)), forecast.ColdExamples.Select(c => c.Id));
        Assert.True(forecast.ColdExamples.Average(c => c.Std) > forecast.Report!.Examples.Average(e => e.Std));
        Assert.All(forecast.ColdExamples, c => Assert.InRange(c.Probability, 0, 1));
        var plain = ModelFile.Load(Path.Combine(_folder, "cold.fpm")) with { ExampleFeatures = null };
        var e = Assert.Throws<ArgumentException>(() => NewExampleQuery.Create(plain.ExampleFeatures, fresh, "x.csv", "plain.fpm", "refit it with 'fit --example-features'"));
        Assert.StartsWith("plain.fpm was fitted without example features; refit it with 'fit --example-features' to predict new examples", e.Message, StringComparison.Ordinal);
    }

    // QA: new examples (cold columns) got no group: left out of the group report, an empty group in the per-example table, and
    // their metadata rows reported as matching no example.
    [Fact]
    public void NewExamples_JoinTheirGroups_AndTheGroupTotalsAreTheSumsOverMeasuredAndNewMembers()
    {
        // Given: the first 500 examples as the matrix; metadata for all 600: examples j % 3 == 0 in 'a', the others in 'b', and
        // the new examples 500..599 split between 'a' (j % 3 == 0) and a source only they have, 'fresh'.
        var random = new Random(3);
        var truth = Enumerable.Range(0, 600).Select(j => Enumerable.Range(1, 15).Average(t => (double)s_synthetic.Matrix[t, j])).ToArray();
        var level = truth.Select(m => m + (0.05 * (random.NextDouble() - 0.5))).ToArray();
        var features = new Core.Features.FeatureSet(IdList.Implicit(600), [new Core.Features.FeatureBlock("examples.csv", Core.Features.FeatureKind.Numeric, ["level"], level)]);
        var matrix = ForgettingMatrix.Create([.. Enumerable.Range(0, 15 * 500).Select(c => s_training[c / 500, c % 500])], 15, 500);
        var path = Path.Combine(_folder, "grouped.fpm");
        Fitting.FitAndSave(new FitRequest { Matrix = matrix, Source = "z.npy", Method = "mf", Settings = new ModelSettings { Rank = 3 }, ExampleFeatures = features }, path);
        var loaded = ModelFile.Load(path);
        string Label(int j) => j % 3 == 0 ? "a" : j < 500 ? "b" : "fresh";
        var csv = Path.Combine(_folder, "meta.csv");
        File.WriteAllText(csv, "id,source\n" + string.Concat(Enumerable.Range(0, 600).Select(j => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{j},{Label(j)}\n"))));
        var metadata = MetadataTable.Read(csv);
        var query = NewExampleQuery.Create(loaded.ExampleFeatures, features.Select([.. Enumerable.Range(500, 100)]), "examples.csv", "grouped.fpm", "refit");

        // When: the metadata is joined to the model's examples and then the new ones, and the task forecast with both.
        var join = ForecastMetadata.Join(metadata, loaded.Model.ExampleIds, query);
        var grouped = ForecastMetadata.Group(query, join, "source");
        var request = new ForecastRequest
        {
            Model = loaded.Model,
            Cells = new ObservedCells([.. Enumerable.Range(0, 30).Select(i => i * 16)], [.. Enumerable.Range(0, 30).Select(i => (double)s_synthetic.Matrix[0, i * 16])]),
            Groups = ExampleGroups.FromLabels(ForecastMetadata.ModelLabels(join, "source", 500)),
            Detail = ForecastDetail.EveryExample,
            NewExamples = grouped,
        };
        var forecast = Forecasting.Forecast(request);

        // Then: no metadata row is unused (without the new examples, their 100 rows were).
        Assert.Equal(0, join.UnusedCount);
        Assert.True(join.IsComplete);
        Assert.Equal(100, ForecastMetadata.Join(metadata, loaded.Model.ExampleIds, null).UnusedCount);

        // And: every group counts its new members, and its mean and share are the sums over its measured and new members'
        // predictions (from the per-example report and the cold columns), divided by its size.
        Assert.Equal(["a", "b", "fresh"], forecast.Groups.Select(g => g.Name).Order(StringComparer.Ordinal));
        var report = forecast.Report!;
        foreach (var g in forecast.Groups)
        {
            var measured = report.Examples.Where(e => Label(e.Example) == g.Name).ToArray();
            var cold = forecast.ColdExamples.Where(c => Label(int.Parse(c.Id, System.Globalization.CultureInfo.InvariantCulture)) == g.Name).ToArray();
            Assert.Equal(measured.Length + cold.Length, g.Count);
            Assert.Equal(cold.Length, g.NewCount);
            Assert.Equal((measured.Sum(e => e.Predicted) + cold.Sum(c => c.Predicted)) / g.Count, g.Mean, 1e-12);
            Assert.Equal((measured.Sum(e => e.Probability) + cold.Sum(c => c.Probability)) / g.Count, g.Share, 1e-12);
            Assert.All(cold, c => Assert.Equal(g.Name, c.Group));

            // Its top list is its most forgotten members, measured or new (a new one by its row after the model's examples).
            var expectedTop = measured.Select(e => (e.Id, e.Predicted)).Concat(cold.Select(c => (c.Id, c.Predicted))).OrderByDescending(e => e.Predicted).Take(request.TopPerGroup).Select(e => e.Id);
            Assert.Equal(expectedTop, g.TopExamples.Select(e => e.Id));

            // And: each of them says whether it is new (one of the cold columns) or the model's.
            Assert.Equal(g.TopExamples.Select(e => cold.Any(c => c.Id == e.Id)), g.TopExamples.Select(e => e.IsNew));
            Assert.Equal(g.TopExamples.Select(e => e.Example >= 500), g.TopExamples.Select(e => e.IsNew));
        }

        Assert.Contains(forecast.Groups, g => g.TopExamples.Any(e => e.IsNew));
        Assert.Contains(forecast.Groups, g => g.TopExamples.Any(e => !e.IsNew));

        Assert.Equal(0, forecast.Groups.Single(g => g.Name == "b").NewCount);
        var fresh = forecast.Groups.Single(g => g.Name == "fresh");
        Assert.Equal(67, fresh.NewCount);
        Assert.All(fresh.TopExamples, e => Assert.True(e.Example >= 500 && e.IsNew));

        // And: a group of new examples alone is no surer of its mean than its members' own errors allow: its interval is wider
        // than if their errors averaged out independently (mean variance / n), and no wider than one average member's.
        var freshCold = forecast.ColdExamples.Where(c => c.Group == "fresh").ToArray();
        var meanVariance = freshCold.Average(c => c.Std * c.Std);
        var half = (fresh.Upper - fresh.Lower) / 2 / Core.Numerics.NormalDistribution.NormalQuantile(0.95);
        Assert.InRange(half, 2 * Math.Sqrt(meanVariance / freshCold.Length), Math.Sqrt(meanVariance) * (1 + 1e-12));

        // And: a group of measured and new examples is wider than its measured members' alone (ErasureReport's interval).
        var a = forecast.Groups.Single(g => g.Name == "a");
        var measuredOnly = ErasureReport.GroupInterval(forecast.Task, request.Groups!.Members(request.Groups.Names.ToList().IndexOf("a")), Core.Numerics.NormalDistribution.NormalQuantile(0.95));
        Assert.True(a.Upper - a.Lower > measuredOnly.Upper - measuredOnly.Lower, $"{a.Upper - a.Lower} vs {measuredOnly.Upper - measuredOnly.Lower}");

        // And: the per-example table carries the new examples' groups.
        var table = Forecasting.ExampleTable(forecast);
        var groupColumn = Assert.IsType<Data.Tables.StringColumn>(table.Columns.Single(c => c.Name == "group"));
        Assert.Equal(forecast.ColdExamples.Select(c => c.Group), Enumerable.Range(500, 100).Select(r => groupColumn[r]));

        // And: the summary (the service's row scan) gives the same groups, means and intervals.
        var summary = Forecasting.Forecast(request with { Detail = ForecastDetail.Summary });
        Assert.Equal(forecast.Groups.Select(g => (g.Name, g.Count, g.NewCount, g.Mean, g.Lower, g.Upper)), summary.Groups.Select(g => (g.Name, g.Count, g.NewCount, g.Mean, g.Lower, g.Upper)));
        Assert.Equal(forecast.Groups.Select(g => g.Share), summary.Groups.Select(g => g.Share), (x, y) => Math.Abs(x - y) < 1e-5);
        Assert.Equal(forecast.Groups.SelectMany(g => g.TopExamples.Select(e => (e.Id, e.IsNew))), summary.Groups.SelectMany(g => g.TopExamples.Select(e => (e.Id, e.IsNew))));

        // And: without labels (a front end that grouped only the model's examples) the new examples stay ungrouped, as before.
        var ungrouped = Forecasting.Forecast(request with { NewExamples = query });
        Assert.Equal(0, ungrouped.Groups.Sum(g => g.NewCount));
        Assert.All(ungrouped.Groups.SelectMany(g => g.TopExamples), e => Assert.False(e.IsNew));
        Assert.All(ungrouped.ColdExamples, c => Assert.Null(c.Group));
    }

    // QA: a new example whose source the model never saw ('perll' for 'perl', or a new source) was predicted without a word,
    // where a new task's unseen level is named with a did-you-mean.
    [Fact]
    public void NewExamples_WithALevelTheModelWasNotFittedWith_AreNamedOncePerLevel()
    {
        var csv = Path.Combine(_folder, "examples.csv");
        File.WriteAllText(csv, "id,level,source\n" + string.Concat(Enumerable.Range(0, 600).Select(j =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{j},{s_training[0, j]},{(j % 3 == 0 ? "perl" : "web")}\n"))));
        var features = Data.FeatureFile.ReadAll([csv], IdList.Implicit(600), "example")!;
        var matrix = ForgettingMatrix.Create([.. Enumerable.Range(0, 15 * 500).Select(c => s_training[c / 500, c % 500])], 15, 500);
        var path = Path.Combine(_folder, "levels.fpm");
        Fitting.FitAndSave(new FitRequest { Matrix = matrix, Source = "z.npy", Method = "mf", Settings = new ModelSettings { Rank = 2 }, ExampleFeatures = features.Select([.. Enumerable.Range(0, 500)]) }, path);
        var loaded = ModelFile.Load(path);
        var fresh = Path.Combine(_folder, "fresh.csv");
        // (levels of 0.5 lie far from the measured examples' too: that warning follows.)
        File.WriteAllText(fresh, "id,level,source\n500,0.5,perll\n501,0.5,python\n502,0.5,python\n503,0.5,web\n");

        var query = NewExampleQuery.Create(loaded.ExampleFeatures, Data.FeatureFile.ReadNew([fresh], IdList.Implicit(500))!, "fresh.csv", "levels.fpm", "refit");
        var known = NewExampleQuery.Create(loaded.ExampleFeatures, features.Select([.. Enumerable.Range(500, 100)]), "examples.csv", "levels.fpm", "refit");

        Assert.Equal("fresh.csv: source 'perll' is not a level the model was fitted with ('perl', 'web'; did you mean 'perl'?) (1 new example); source 'python' is not a level the model was fitted with ('perl', 'web') (2 new examples). Such an example counts as none of the model's levels there, so its prediction rests on its other features; check the spelling unless the level is new.", query.Warning![..query.Warning!.IndexOf(" fresh.csv: new example", StringComparison.Ordinal)]);
        Assert.Null(known.Warning);
    }

    // Review: a block whose every column is constant over the training rows (one source for every measured example, one family
    // for every training task) was dropped from the model, so a query of another source or family was not warned, as f31897e did.
    [Fact]
    public void Queries_OfALevelABlockConstantOverTheTrainingRowsNeverHad_AreWarned_AfterASaveAndLoad()
    {
        // Given: a model fitted with example features whose source is 'web' for every measured example, and a task feature
        // model whose family is 'web' for every training task; both saved and loaded.
        var csv = Path.Combine(_folder, "one-source.csv");
        File.WriteAllText(csv, "id,level,source\n" + string.Concat(Enumerable.Range(0, 600).Select(j =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{j},{s_training[0, j]},web\n"))));
        var features = Data.FeatureFile.ReadAll([csv], IdList.Implicit(600), "example")!;
        var matrix = ForgettingMatrix.Create([.. Enumerable.Range(0, 15 * 500).Select(c => s_training[c / 500, c % 500])], 15, 500);
        var path = Path.Combine(_folder, "one-source.fpm");
        Fitting.FitAndSave(new FitRequest { Matrix = matrix, Source = "z.npy", Method = "mf", Settings = new ModelSettings { Rank = 2 }, ExampleFeatures = features.Select([.. Enumerable.Range(0, 500)]) }, path);
        var loaded = ModelFile.Load(path);
        var setting = Enumerable.Range(1, 15).Select(t => Enumerable.Range(0, 600).Average(j => (double)s_synthetic.Matrix[t, j])).ToArray();
        var tasks = ConstantFeatures.WithSingleLevel(new Core.Features.FeatureSet(s_model.TaskIds, [new Core.Features.FeatureBlock("tasks.csv", Core.Features.FeatureKind.Numeric, ["lr"], setting)]), "family", "family=web");
        var taskPath = Path.Combine(_folder, "one-family.fpm");
        ModelFile.Save(s_model, taskPath, taskFeatures: Core.Features.TaskFeatureModel.Fit(s_model, tasks));
        var taskModel = ModelFile.Load(taskPath).TaskFeatures!;

        // When: new examples of source 'python' (and 'web') are queried, and a task of family 'poetry' (and 'web').
        var fresh = Path.Combine(_folder, "python.csv");
        File.WriteAllText(fresh, "id,level,source\n500,0.3,python\n501,0.3,python\n502,0.3,web\n");
        var query = NewExampleQuery.Create(loaded.ExampleFeatures, Data.FeatureFile.ReadNew([fresh], IdList.Implicit(500))!, "python.csv", "one-source.fpm", "refit");
        var known = NewExampleQuery.Create(loaded.ExampleFeatures, features.Select([.. Enumerable.Range(500, 100)]), "one-source.csv", "one-source.fpm", "refit");
        Core.Features.FeatureSet Task(string family) => Core.Features.FeatureSet.Combine([Data.FeatureFile.FromValues("taskFeatures", [new("lr", "0.5")], "new"),
            new Core.Features.FeatureSet(IdList.From(["new"]), [new Core.Features.FeatureBlock("family", Core.Features.FeatureKind.Categorical, [$"family={family}"], [1.0])])]);

        // Then: the source and family the blocks never had are named with the one level the model was fitted with, as f31897e
        // did; the training level is not warned about.
        Assert.Equal(["web"], loaded.ExampleFeatures!.ConstantViews.Select(v => Core.Features.FeatureView.SplitLevel(v.Columns.Single()).Level));
        Assert.StartsWith("python.csv: source 'python' is not a level the model was fitted with ('web') (2 new examples).", query.Warning, StringComparison.Ordinal);
        Assert.Null(known.Warning);
        Assert.Equal(["family"], taskModel.ConstantViews.Select(v => v.BlockName));
        Assert.Contains("family 'poetry' is not a level the model was fitted with ('web')", TaskFeatureQuery.Create(taskModel, Task("poetry"), 0, "taskFeatures", "Model 'm'", "refit").Warning, StringComparison.Ordinal);
        Assert.DoesNotContain("family", TaskFeatureQuery.Create(taskModel, Task("web"), 0, "taskFeatures", "Model 'm'", "refit").Warning ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void TaskFeatureQuery_ChecksTheModelAndTheColumns_NamingTheSource()
    {
        // Given: the model with a task feature model fitted on a setting that tracks each task's mean.
        var setting = Enumerable.Range(1, 15).Select(t => Enumerable.Range(0, 600).Average(j => (double)s_synthetic.Matrix[t, j])).ToArray();
        var featureModel = Core.Features.TaskFeatureModel.Fit(s_model, new Core.Features.FeatureSet(s_model.TaskIds, [new Core.Features.FeatureBlock("tasks.csv", Core.Features.FeatureKind.Numeric, ["lr"], setting)]));
        Core.Features.FeatureSet Query(string column) => Data.FeatureFile.FromValues("taskFeatures", [new(column, "0.5")], "new");

        // Then: the right column gives a query; a model without features and other columns are refused with the source and the fix.
        Assert.Same(featureModel, TaskFeatureQuery.Create(featureModel, Query("lr"), 0, "taskFeatures", "Model 'm'", "refit").Model);
        var none = Assert.Throws<ArgumentException>(() => TaskFeatureQuery.Create(null, Query("lr"), 0, "taskFeatures", "Model 'm'", "refit it with task features"));
        Assert.StartsWith("Model 'm' was fitted without task features; refit it with task features to predict from features.", none.Message, StringComparison.Ordinal);
        Assert.True(featureModel.UsesFeatures);
        var wrong = Assert.Throws<ArgumentException>(() => TaskFeatureQuery.Create(featureModel, Query("steps"), 0, "taskFeatures", "Model 'm'", "refit"));
        Assert.StartsWith("taskFeatures: the task features have no block like 'tasks.csv' (numeric columns lr)", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("Give the same feature columns.", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TaskFeatureQuery_ThatDiffersInASettingEveryTrainingTaskHad_IsToldTheModelIgnoresIt()
    {
        // Given: a task feature model fitted on a setting that tracks each task's mean and a seed of 0 for every task.
        var setting = Enumerable.Range(1, 15).Select(t => Enumerable.Range(0, 600).Average(j => (double)s_synthetic.Matrix[t, j])).ToArray();
        var featureModel = Core.Features.TaskFeatureModel.Fit(s_model, new Core.Features.FeatureSet(s_model.TaskIds,
            [new Core.Features.FeatureBlock("tasks.csv", Core.Features.FeatureKind.Numeric, ["lr", "seed"], [.. setting.SelectMany(v => new[] { v, 0.0 })])]));
        Core.Features.FeatureSet Query(string seed) => Data.FeatureFile.FromValues("taskFeatures", [new("lr", setting[3].ToString("R", System.Globalization.CultureInfo.InvariantCulture)), new("seed", seed)], "new");

        // When: a new task of seed 1 is asked about, and one of seed 0.
        var differs = TaskFeatureQuery.Create(featureModel, Query("1"), 0, "taskFeatures", "Model 'm'", "refit");
        var same = TaskFeatureQuery.Create(featureModel, Query("0"), 0, "taskFeatures", "Model 'm'", "refit");

        // Then: the first is told the seed is ignored, and why; its prior is the second's, which is told nothing.
        Assert.True(featureModel.UsesFeatures);
        Assert.Equal("taskFeatures: seed is 1 where every training task had 0. A feature with one value over everything the model was fitted on carried no information, so the model ignores it and its prior rests on the other features; check the value, or refit with data where it varies.", differs.Warning);
        Assert.Null(same.Warning);
        Assert.Equal(featureModel.Prior(Query("0")).Mean.ToArray(), featureModel.Prior(Query("1")).Mean.ToArray());
    }

    [Fact]
    public void TaskFeatures_ThatTheFitDidNotUse_AnswerAQueryWithoutThem_AndSaySo()
    {
        // Given: mf fitted with task features of pure noise, which predict the training tasks no better than its own prior
        // (with this seed; a noise draw can also look useful to 15 tasks).
        var random = new Random(0);
        var noise = Enumerable.Range(0, 15 * 2).Select(_ => random.NextDouble()).ToArray();
        var path = Path.Combine(_folder, "unused.fpm");
        Fitting.FitAndSave(new FitRequest
        {
            Matrix = s_training,
            Source = "train.npy",
            Method = "mf",
            Settings = new ModelSettings { Rank = 3 },
            TaskFeatures = new Core.Features.FeatureSet(s_training.TaskIds, [new Core.Features.FeatureBlock("emb.npy", Core.Features.FeatureKind.Embedding, ["e0", "e1"], noise)]),
        }, path);
        var loaded = ModelFile.Load(path);
        var query = new Core.Features.FeatureSet(Core.IdList.From(["new"]), [new Core.Features.FeatureBlock("emb.npy", Core.Features.FeatureKind.Embedding, ["e0", "e1"], [0.5, 0.5])]);

        // When: a new task is queried with its features.
        var (features, warning) = TaskFeatureQuery.ForModel(loaded, query, 0, "emb0.npy", "unused.fpm", "refit it");

        // Then: the model keeps no feature model, its file says why, and the query goes on without the features, saying so;
        // a model fitted without features still refuses them.
        Assert.Null(loaded.TaskFeatures);
        Assert.True(FitProvenance.FromMetadata(loaded.Metadata).TaskFeaturesUnused);
        Assert.Null(features);
        Assert.Equal("emb0.npy: unused.fpm was fitted with task features that predicted its training tasks no better than its own prior, so it does not use them; the task is predicted without them.", warning);
        var plain = Path.Combine(_folder, "plain.fpm");
        Fitting.FitAndSave(new FitRequest { Matrix = s_training, Source = "train.npy", Method = "mf", Settings = new ModelSettings { Rank = 3 } }, plain);
        Assert.False(FitProvenance.FromMetadata(ModelFile.Load(plain).Metadata).TaskFeaturesUnused);
        var refused = Assert.Throws<ArgumentException>(() => TaskFeatureQuery.ForModel(ModelFile.Load(plain), query, 0, "emb0.npy", "plain.fpm", "refit it"));
        Assert.StartsWith("plain.fpm was fitted without task features", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_FactorModel_GivesRankAndFit()
    {
        var description = ModelDescription.Of(s_model);

        Assert.Equal("mf", description.Method);
        Assert.Equal(3, description.Rank);
        Assert.Equal(s_model.Fit.Iterations, description.Iterations);
        Assert.Equal(new FitProvenance(null, null, null), description.Provenance);
        Assert.Equal("mf rank 3 fitted on 15 past tasks x 600 upstream examples", description.Summary);
    }

    // QA (binary forgetting): mf, auto and knn fitted on a 0/1 matrix said "beyond loss increase 0.409", and their
    // predictions left [0, 1] with no word.
    [Fact]
    public void AGaussianModelOfABinaryMatrix_IsSaidToPredictNoProbabilities_AtTheFitAndAtEachForecastFromItsFile()
    {
        // Given: a 0/1 matrix fitted by mf and by logistic, and a continuous one by mf.
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 200, Binary = true, Seed = 3, KeepSignal = false }).Matrix;
        var mfPath = Path.Combine(_folder, "mf01.fpm");
        var logisticPath = Path.Combine(_folder, "logistic01.fpm");
        var plainPath = Path.Combine(_folder, "plain.fpm");

        // When
        var mf = Fitting.FitAndSave(new FitRequest { Matrix = binary, Source = "flips.npy", Method = "mf", Settings = new ModelSettings { Rank = 2 } }, mfPath);
        var logistic = Fitting.FitAndSave(new FitRequest { Matrix = binary, Source = "flips.npy", Method = "logistic", Settings = new ModelSettings { Rank = 2 } }, logisticPath);
        var plain = Fitting.FitAndSave(new FitRequest { Matrix = s_training, Source = "train.npy", Method = "mf", Settings = new ModelSettings { Rank = 3 } }, plainPath);

        // Then: the mf fit warns, naming the matrix and the fix; its file records the 0/1 matrix, and a forecast from the file
        // says it again, naming the model. The logistic model (probabilities) and the continuous matrix say nothing.
        Assert.Equal("flips.npy is a 0/1 matrix (1 = forgotten), and mf models its cells as continuous values: its predictions estimate the chance of forgetting but are not probabilities (they can fall below 0 or above 1), and its threshold for \"forgotten\" is on the matrix's 0/1 scale, not a loss increase. For probabilities of forgetting, fit method 'logistic' (or 'logistic-additive') instead.", mf.Warnings[0]);
        Assert.DoesNotContain(logistic.Warnings, w => w.Contains("0/1 matrix", StringComparison.Ordinal));
        Assert.DoesNotContain(plain.Warnings, w => w.Contains("0/1 matrix", StringComparison.Ordinal));
        var loaded = ModelFile.Load(mfPath);
        Assert.True(FitProvenance.FromMetadata(loaded.Metadata).BinaryMatrix);
        Assert.True(FitProvenance.FromMetadata(ModelFile.Load(logisticPath).Metadata).BinaryMatrix);
        Assert.False(FitProvenance.FromMetadata(ModelFile.Load(plainPath).Metadata).BinaryMatrix);
        var request = new ForecastRequest { Model = loaded.Model, Provenance = FitProvenance.FromMetadata(loaded.Metadata) };
        Assert.StartsWith("the training matrix of mf01.fpm is a 0/1 matrix (1 = forgotten), and mf models its cells", request.BinaryMatrixWarning("mf01.fpm"), StringComparison.Ordinal);
        Assert.Null((request with { Model = ModelFile.Load(logisticPath).Model }).BinaryMatrixWarning("logistic01.fpm"));
        Assert.Null(new ForecastRequest { Model = ModelFile.Load(plainPath).Model }.BinaryMatrixWarning("plain.fpm"));
    }

    [Fact]
    public void ASelfTunedModel_RecordsTheCellsItWasTunedFor_AndATaskWithMoreThanTwiceAsMany_IsWarned()
    {
        // Given: auto tuned for 3 measured cells, and mf, which tunes nothing, saved to files.
        var autoPath = Path.Combine(_folder, "auto3.fpm");
        var mfPath = Path.Combine(_folder, "mf.fpm");
        Fitting.FitAndSave(new FitRequest { Matrix = s_training, Source = "train.npy", Method = "auto", Settings = new ModelSettings { Known = 3 } }, autoPath);
        Fitting.FitAndSave(new FitRequest { Matrix = s_training, Source = "train.npy", Method = "mf", Settings = new ModelSettings { Rank = 2 } }, mfPath);
        var auto = ModelFile.Load(autoPath);
        var mf = ModelFile.Load(mfPath);

        // When: tasks with 6 and 7 measured cells are forecast from each.
        ForecastRequest Task(LoadedModel loaded, int cells) => new()
        {
            Model = loaded.Model,
            Cells = new ObservedCells([.. Enumerable.Range(0, cells)], [.. Enumerable.Range(0, cells).Select(j => (double)s_synthetic.Matrix[0, j])]),
            Provenance = FitProvenance.FromMetadata(loaded.Metadata),
        };

        // Then: the auto file records 3 (an ensemble the default 30, mf nothing); up to twice as many cells say nothing, more
        // name the fix in the library's words (a front end words the option as its own).
        Assert.Equal(3, FitProvenance.FromMetadata(auto.Metadata).TunedKnown);
        Assert.Null(FitProvenance.FromMetadata(mf.Metadata).TunedKnown);
        Assert.Null(Task(auto, 6).TunedKnownWarning("auto3.fpm"));
        Assert.Equal("auto3.fpm was tuned for 3 measured cells (ModelSettings.Known = 3 at its fit) and this task has 7: with more cells other methods, ranks and weights than it chose for 3 may predict better. For tasks measured on about 7 cells, refit it with ModelSettings.Known = 7 (on charlm-b a model tuned for 5 cells had 3-5% more RMSE on tasks measured on 30 than one tuned for 30).",
            Task(auto, 7).TunedKnownWarning("auto3.fpm")?.ToString());
        Assert.Null(Task(mf, 100).TunedKnownWarning("mf.fpm"));
        var ensemble = Fitting.Fit(new FitRequest { Matrix = s_training, Source = "train.npy", Method = "ensemble" });
        Assert.Equal(30, ensemble.Provenance.TunedKnown);
    }

    // Checked when 'predict --prior' without '--observed' was thought to do nothing: with no measured cell the fold-in's
    // prior is the whole estimate, so the ridge prior (the fit's penalty, centred on no task effect) gives another row, with
    // narrower intervals, than the empirical one (the training tasks' spread). The option is taken there, not refused.
    [Fact]
    public void Forecast_WithoutMeasuredCells_FollowsTheFoldInPrior()
    {
        var empirical = Forecasting.Forecast(new ForecastRequest { Model = s_model, Cells = ObservedCells.None, Prior = FoldInPrior.Empirical });
        var ridge = Forecasting.Forecast(new ForecastRequest { Model = s_model, Cells = ObservedCells.None, Prior = FoldInPrior.Ridge });

        Assert.True(empirical.Task.IsTaskAgnostic);
        Assert.True(ridge.Task.IsTaskAgnostic);
        Assert.NotEqual(empirical.Task.PredictRow(), ridge.Task.PredictRow());
        Assert.NotEqual(empirical.ExpectedForgotten, ridge.ExpectedForgotten);
    }

    // 'fit --method additive --seed 3' ignored the seed in silence: the methods that draw no random numbers fit the same model
    // whatever the seed, and a fit given one is told so (a warning: scripts loop over methods with one seed).
    [Fact]
    public void Fit_ASeedOnAMethodThatDrawsNoRandomNumbers_IsWarnedOf_AndChangesNothing()
    {
        float[] measured = [.. s_training.Values.ToArray().Where(float.IsFinite).Order()];
        var median = measured[measured.Length / 2];
        var binary = ForgettingMatrix.Create([.. s_training.Values.ToArray().Select(v => float.IsNaN(v) ? v : v > median ? 1f : 0f)], s_training.TaskCount, s_training.ExampleCount);
        int[] examples = [0, 7, 100, 333];
        foreach (var method in ModelCatalog.Names.Where(n => !ModelCatalog.UsesSeed(n)))
        {
            var matrix = ModelCatalog.IsBinaryMethod(method) ? binary : s_training;
            double[] Row(int seed)
            {
                var model = Fitting.Fit(new FitRequest { Matrix = matrix, Source = "train.npy", Method = method, Settings = new ModelSettings { Seed = seed } }).Model;
                return model.FoldIn(examples, [.. examples.Select(j => (double)matrix[0, j])]).PredictRow();
            }

            Assert.Equal(Row(1), Row(2));
            Assert.Equal($"ModelSettings.Seed = 3 has no effect on '{method}': it draws no random numbers, so every seed fits the same model (only rank1, mf, logistic, ensemble, auto use a seed).",
                Fitting.UnusedSeedWarning(method, new ModelSettings { Seed = 3 })?.ToString());
            Assert.Null(Fitting.UnusedSeedWarning(method, new ModelSettings()));
        }

        Assert.Equal(["task-mean", "example-mean", "additive", "knn", "logistic-additive"], ModelCatalog.Names.Where(n => !ModelCatalog.UsesSeed(n)));
        Assert.All(ModelCatalog.SeededMethods, m => Assert.Null(Fitting.UnusedSeedWarning(m, new ModelSettings { Seed = 3 })));
    }

    [Fact]
    public void Fit_BinaryFamilyOnAContinuousMatrix_NamesTheSource()
    {
        var error = Assert.Throws<ArgumentException>(() => Fitting.Fit(new FitRequest { Matrix = s_training, Source = "train.npy", Method = "logistic" }));

        Assert.StartsWith("'logistic' needs a binary (0/1) matrix, but train.npy has other values", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ensemble")]
    [InlineData("knn")]
    [InlineData("example-mean")]
    public void Fit_WithTaskFeatures_AMethodThatCannotCarryThem_IsRefusedBeforeFitting_NamingTheFix(string method)
    {
        var (matrix, features) = CharlmDSlice();
        var stages = new List<string>();
        var error = Assert.Throws<ArgumentException>(() => Fitting.Fit(new FitRequest { Matrix = matrix, Source = "z.npy", Method = method, TaskFeatures = features }, (stage, _) => stages.Add(stage)));
        Assert.Empty(stages);
        Assert.Contains($"'{method}' cannot carry them", error.Message, StringComparison.Ordinal);
        Assert.Contains("fit mf (or task-mean, additive, rank1) with the task features", error.Message, StringComparison.Ordinal);
        Assert.Contains("run 'evaluate --methods ensemble' with the same task features (it adds ensemble+features)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("task-mean")]
    [InlineData("knn")]
    [InlineData("ensemble")]
    public void Fit_WithExampleFeatures_AMethodThatCannotCarryThem_IsRefusedBeforeFitting_NamingTheFix(string method)
    {
        var (matrix, _) = CharlmDSlice();
        var examples = Data.FeatureFile.Read(RepoPaths.Data("charlm-d", "upstream.csv"), matrix.ExampleIds, "example");
        var stages = new List<string>();
        var error = Assert.Throws<ArgumentException>(() => Fitting.Fit(new FitRequest { Matrix = matrix, Source = "z.npy", Method = method, ExampleFeatures = examples }, (stage, _) => stages.Add(stage)));
        Assert.Empty(stages);
        Assert.Contains($"'{method}' cannot carry them", error.Message, StringComparison.Ordinal);
        Assert.Contains("fit mf (or additive, rank1) with the example features", error.Message, StringComparison.Ordinal);
        Assert.NotNull(Fitting.Fit(new FitRequest { Matrix = matrix, Source = "z.npy", Method = "additive", ExampleFeatures = examples }).ExampleFeatures);
    }

    [Fact]
    public void Fit_WithTaskFeatures_Auto_ChoosesAmongTheFactorModels_AndCarriesTheFeatures()
    {
        // On charlm-d's first 200 chunks auto without features stacks knn, mf and profile: a model that cannot carry them.
        var (matrix, features) = CharlmDSlice();
        var plain = Fitting.Fit(new FitRequest { Matrix = matrix, Source = "z.npy", Method = "auto" });
        Assert.IsType<EnsembleModel>(plain.Model);
        Assert.Contains("knn", plain.Provenance.Tuning, StringComparison.Ordinal);

        // With features it chooses the better of additive and mf (its rank by the same cross-validation) and carries them.
        var fit = Fitting.Fit(new FitRequest { Matrix = matrix, Source = "z.npy", Method = "auto", TaskFeatures = features });
        var factor = Assert.IsType<FactorModel>(fit.Model);
        Assert.Contains(factor.Method, new[] { ModelMethod.Additive, ModelMethod.LowRank });
        Assert.NotNull(fit.TaskFeatures);
        Assert.StartsWith("auto chose ", fit.Provenance.Tuning, StringComparison.Ordinal);
        Assert.Contains("candidates: additive ", fit.Provenance.Tuning, StringComparison.Ordinal);
        Assert.DoesNotContain("knn", fit.Provenance.Tuning, StringComparison.Ordinal);
        Assert.DoesNotContain("profile", fit.Provenance.Tuning, StringComparison.Ordinal);

        // The cold start works from the features alone, as with mf named.
        var prior = fit.TaskFeatures.Prior(features, 0);
        var row = factor.FoldIn([], [], new FoldInOptions { TaskPrior = prior }).PredictRow();
        Assert.All(row, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Fit_WithExampleFeatures_Auto_CarriesThem()
    {
        var (matrix, _) = CharlmDSlice();
        var fit = Fitting.Fit(new FitRequest { Matrix = matrix, Source = "z.npy", Method = "auto", ExampleFeatures = ExampleTable(matrix) });
        Assert.IsType<FactorModel>(fit.Model);
        Assert.NotNull(fit.ExampleFeatures);
    }

    // The slice's examples' source and base loss (charlm-d's upstream.csv), as example features.
    private static Core.Features.FeatureSet ExampleTable(ForgettingMatrix matrix) =>
        FeatureFile.Read(RepoPaths.Data("charlm-d", "upstream.csv"), matrix.ExampleIds, "example");

    // charlm-d's 31 tasks x its first 200 chunks (tasks are rows 0..30, as in a bare .npy), with the tasks' settings.
    private static (ForgettingMatrix Matrix, Core.Features.FeatureSet Features) CharlmDSlice()
    {
        var z = MatrixFile.Read(RepoPaths.Data("charlm-d", "z.npy"));
        var slice = new float[z.TaskCount, 200];
        for (var i = 0; i < z.TaskCount; i++)
        {
            z.Row(i)[..200].CopyTo(MemoryMarshal.CreateSpan(ref slice[i, 0], 200));
        }

        var matrix = ForgettingMatrix.Create(slice);
        return (matrix, FeatureFile.Read(RepoPaths.Data("charlm-d", "tasks.csv"), matrix.TaskIds));
    }

    [Fact]
    public void Evaluate_UnknownMethod_SuggestsTheClosest()
    {
        var error = Assert.Throws<UnknownNameException>(() => Evaluating.CreateMethod("rank2", s_training, "train.npy"));

        Assert.Equal("method", error.Kind);
        Assert.Contains("did you mean 'rank1'?", error.Message, StringComparison.Ordinal);
        Assert.Equal(["additive", "rank1", "mf", "knn"], Evaluating.DefaultMethods(binary: false));
    }

    [Fact]
    public void Evaluate_RunsTheNamedMethods()
    {
        var result = Evaluating.Evaluate(new EvaluateRequest
        {
            Matrix = s_synthetic.Matrix,
            Source = "synthetic",
            Split = EvaluationSplit.HoldOut(s_synthetic.Matrix, [0, 5]),
            Methods = ["example-mean", "additive"],
            Options = new EvaluationOptions { Known = 10, Seeds = 2 },
        });

        Assert.Equal(["example-mean", "additive"], result.Methods.Select(m => m.Name));
        Assert.False(result.Binary);
    }

    [Fact]
    public void Choices_ParseAndName_EveryValue()
    {
        Assert.Equal(FoldInPrior.Ridge, Choices.Prior.Parse("ridge"));
        Assert.Equal(FoldInPrior.Empirical, Choices.Prior.Parse(null));
        Assert.Equal(ReplayStrategy.TopK, Choices.Strategy.Parse("topk"));
        Assert.Equal(MatrixLayout.Long, Choices.Layout.Parse("long"));
        Assert.Equal(ActiveCriterion.VOptimal, Choices.Criterion.Default);
        foreach (var criterion in Enum.GetValues<ActiveCriterion>())
        {
            Assert.Equal(criterion, Choices.Criterion.Parse(Choices.Criterion.NameOf(criterion)));
        }

        foreach (var strategy in Enum.GetValues<ReplayStrategy>())
        {
            Assert.Equal(strategy, Choices.Strategy.Parse(Choices.Strategy.NameOf(strategy)));
        }

        var error = Assert.Throws<UnknownNameException>(() => Choices.Strategy.Parse("softmx"));
        Assert.Equal("Unknown strategy 'softmx'; did you mean 'softmax'? Strategies: softmax, topk, stratified, random.", error.Message);
        Assert.False(Choices.Layout.TryParse("Wide", out _));
    }

    [Theory]
    [InlineData(ActiveCriterion.VOptimal)]
    [InlineData(ActiveCriterion.DOptimal)]
    [InlineData(ActiveCriterion.GroupMeans)]
    public void Design_ChoosesTheCellsTheProtocolRevealsActively(ActiveCriterion criterion)
    {
        // The design a user asks for on their past tasks is the one 'evaluate --reveal active' measured on the same tasks.
        var revealed = new List<int[]>();
        Protocol.Run(s_synthetic.Matrix, EvaluationSplit.HoldOut(s_synthetic.Matrix, [0]), [new FoldInMethod("mf", new LowRankFitter())],
            new EvaluationOptions { Known = 10, Seeds = 1, Reveal = RevealStrategy.Active, ActiveCriterion = criterion }, onPrediction: p => revealed.Add(p.Known));

        var design = Designing.Design(new MeasurementRequest { Matrix = s_training, Count = 10, Criterion = criterion });

        Assert.Equal(10, design.Examples.Distinct().Count());
        Assert.Equal(revealed.Single(), design.Examples.Order());
        Assert.Equal(design.Examples, Designing.Design(new MeasurementRequest { Matrix = s_training, Count = 10, Criterion = criterion, MaxThreads = 1 }).Examples);
    }

    [Theory]
    [InlineData(ActiveCriterion.VOptimal)]
    [InlineData(ActiveCriterion.DOptimal)]
    public void Design_DoesNotDependOnTheUnitsOrTheLevelOfTheData(ActiveCriterion criterion)
    {
        // Forgetting in nats or millinats, or measured from another baseline, asks for the same cells.
        var m = s_training.TaskCount;
        var n = s_training.ExampleCount;
        ForgettingMatrix Transformed(Func<float, float> f) =>
            ForgettingMatrix.Create([.. s_training.Values.ToArray().Select(f)], m, n);
        var request = new MeasurementRequest { Matrix = s_training, Count = 10, Criterion = criterion };

        var design = Designing.Design(request).Examples;

        Assert.Equal(design, Designing.Design(request with { Matrix = Transformed(v => v * 1000) }).Examples);
        Assert.Equal(design, Designing.Design(request with { Matrix = Transformed(v => v + 5) }).Examples);
    }

    [Fact]
    public void Design_GroupMeans_OfSingletonsIsVOptimal_AndOfOneGroupIsTheRowMean()
    {
        // G = sum over groups of the mean feature vectors' outer products: one group per example is V-optimal's G, one group of
        // every example is the whole row's mean (the criterion without groups).
        var n = s_training.ExampleCount;
        var request = new MeasurementRequest { Matrix = s_training, Count = 8, Criterion = ActiveCriterion.GroupMeans };
        var singletons = ExampleGroups.FromLabels([.. Enumerable.Range(0, n).Select(j => (string?)$"e{j}")]);
        var one = ExampleGroups.FromLabels([.. Enumerable.Range(0, n).Select(_ => (string?)"all")]);

        Assert.Equal(Designing.Design(request with { Criterion = ActiveCriterion.VOptimal }).Examples, Designing.Design(request with { Groups = singletons }).Examples);
        Assert.Equal(Designing.Design(request).Examples, Designing.Design(request with { Groups = one }).Examples);
        Assert.NotEqual(Designing.Design(request).Examples, Designing.Design(request with { Groups = singletons }).Examples);
    }

    [Theory]
    [InlineData(ActiveCriterion.VOptimal)]
    [InlineData(ActiveCriterion.DOptimal)]
    [InlineData(ActiveCriterion.GroupMeans)]
    public void Design_GivenTheFirstCellsMeasured_ChoosesTheRestOfTheLargerDesign(ActiveCriterion criterion)
    {
        var request = new MeasurementRequest { Matrix = s_training, Count = 12, Criterion = criterion };
        var twelve = Designing.Design(request).Examples;

        var rest = Designing.Design(request with { Count = 7, Measured = twelve[..5] });

        Assert.Equal(twelve[5..], rest.Examples);
        Assert.Equal(595, rest.Candidates);
        Assert.Equal(594, Designing.Design(request with { Count = 7, Measured = twelve[..5], Excluded = new HashSet<int>([twelve[0], twelve[6]]) }).Candidates);
        Assert.Contains("distinct examples of the matrix", Assert.Throws<ArgumentException>(() => Designing.Design(request with { Measured = [3, 3] })).Message, StringComparison.Ordinal);
        Assert.Contains("distinct examples of the matrix", Assert.Throws<ArgumentException>(() => Designing.Design(request with { Measured = [600] })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_NeverChoosesAnExcludedExample_AndSaysWhenTooFewAreLeft()
    {
        var request = new MeasurementRequest { Matrix = s_training, Count = 10 };
        var first = Designing.Design(request).Examples;
        var excluded = new HashSet<int>(first.Take(4));

        var result = Designing.Design(request with { Excluded = excluded });
        var design = result.Examples;

        Assert.Equal(596, result.Candidates);
        Assert.Equal(10, design.Length);
        Assert.Empty(design.Intersect(excluded));
        var all = new HashSet<int>(Enumerable.Range(0, 595));
        Assert.Equal(Enumerable.Range(595, 5), Designing.Design(request with { Count = 5, Excluded = all }).Examples.Order());
        Assert.Contains("10 cells were asked for, but only 5 of the 600 examples are neither excluded nor measured already; lower MeasurementRequest.Count",
            Assert.Throws<OptionException>(() => Designing.Design(request with { Excluded = all })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_RefusesTheAdaptiveCriterion_CountsOutOfRange_AndGroupsWithoutExamples()
    {
        var request = new MeasurementRequest { Matrix = s_training };
        Assert.Contains("cannot be planned in advance", Assert.Throws<OptionException>(() => Designing.Design(request with { Criterion = ActiveCriterion.Neighbours })).Message, StringComparison.Ordinal);
        Assert.Contains("MeasurementRequest.Count (the cells to measure) must be between 1 and the 600 examples; it is 0", Assert.Throws<OptionException>(() => Designing.Design(request with { Count = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("it is 601", Assert.Throws<OptionException>(() => Designing.Design(request with { Count = 601 })).Message, StringComparison.Ordinal);
        Assert.Contains("cover 3 examples", Assert.Throws<ArgumentException>(() => Designing.Design(request with { Groups = ExampleGroups.FromLabels(["a", "b", "a"]) })).Message, StringComparison.Ordinal);
        var none = ExampleGroups.FromLabels([.. Enumerable.Range(0, 600).Select(_ => (string?)null)]);
        Assert.Contains("No example is in a group", Assert.Throws<ArgumentException>(() => Designing.Design(request with { Criterion = ActiveCriterion.GroupMeans, Groups = none })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_OnAFittedModel_IsTheDesignOnItsFactorModel_AndSaysSo()
    {
        var request = new MeasurementRequest { Model = s_model, Count = 10, Criterion = ActiveCriterion.DOptimal, Measured = [4] };

        var design = Designing.Design(request);

        Assert.Equal(ActiveDesign.Of(s_model).Choose(10, ActiveCriterion.DOptimal, measured: [4]), design.Examples);
        Assert.Equal(599, design.Candidates);
        Assert.Equal("the model (mf, rank 3; 15 past tasks)", design.Basis);
        Assert.Equal("an mf model (rank 8) of 15 past tasks", Designing.Design(new MeasurementRequest { Matrix = s_training }).Basis);
        var ensemble = Assert.IsType<EnsembleModel>(new EnsembleFitter(new EnsembleOptions { Members = ["knn", "mf"] }).Fit(s_training));
        var member = ActiveDesign.Of(ensemble);
        Assert.Equal(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the model's {member.Member} member (weight {member.Weight:0.00}; 15 past tasks)"),
            Designing.Design(new MeasurementRequest { Model = ensemble }).Basis);
    }

    [Fact]
    public void FoldIn_RefusesAValueFarBeyondTheModelsScale_NamingTheExample()
    {
        // A millionfold unit mistake (or 1e308) is refused; a task far more disruptive than any seen is still a task.
        var agnostic = s_model.FoldIn([], []);
        var mean = new double[1];
        var std = new double[1];
        agnostic.PredictCells([5], mean, std);
        ObservedCells Cell(double value) => ObservedCells.FromPairs([new("ex-00005", value)], s_model.ExampleIds, new ExampleMatching(false, "by index"), "cells.csv");

        var far = Assert.Throws<ArgumentException>(() => Forecasting.FoldIn(s_model, Cell(mean[0] + (2e6 * std[0])), FoldInPrior.Empirical, "cells.csv"));
        Assert.Contains("cells.csv: example 'ex-00005' (index 5) was measured at", far.Message, StringComparison.Ordinal);
        Assert.Contains("Divide by 1E+", far.Message, StringComparison.Ordinal);
        Assert.Contains("2E+06 predictive stds", far.Message, StringComparison.Ordinal);
        Assert.Contains("countless predictive stds", Assert.Throws<ArgumentException>(() => Forecasting.FoldIn(s_model, Cell(-1e308), FoldInPrior.Empirical)).Message, StringComparison.Ordinal);
        var near = Forecasting.FoldIn(s_model, Cell(mean[0] + (5e5 * std[0])), FoldInPrior.Empirical).PredictRow();
        Assert.All(near, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Forecast_CellsThatDoNotFitTheModel_AreRefusedAsTheFoldInRefusesThem()
    {
        // More indices than values, and an index beyond the model's examples: the fold-in's messages, not an index error.
        var lengths = Assert.Throws<ArgumentException>(() => Forecasting.Forecast(new ForecastRequest { Model = s_model, Cells = new ObservedCells([1, 2], [0.1]) }));
        Assert.StartsWith("2 example indices but 1 values; pass one value per known example.", lengths.Message, StringComparison.Ordinal);
        var outside = Assert.Throws<ArgumentException>(() => Forecasting.Forecast(new ForecastRequest { Model = s_model, Cells = new ObservedCells([99999], [0.1]) }));
        Assert.StartsWith("Known example index 99999 is outside 0..599.", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_NeedsExactlyOneOfAMatrixAndAModel()
    {
        const string Message = "Give the past tasks' matrix or a model fitted on them to design on, and only one of the two.";
        Assert.StartsWith(Message, Assert.Throws<ArgumentException>(() => Designing.Design(new MeasurementRequest())).Message, StringComparison.Ordinal);
        Assert.StartsWith(Message, Assert.Throws<ArgumentException>(() => Designing.Design(new MeasurementRequest { Matrix = s_training, Model = s_model })).Message, StringComparison.Ordinal);
        Assert.Contains("the model has 600", Assert.Throws<ArgumentException>(() => Designing.Design(new MeasurementRequest { Model = s_model, Groups = ExampleGroups.FromLabels(["a"]) })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExampleGroups_FromLabels_KeepsFirstAppearanceOrder()
    {
        var groups = ExampleGroups.FromLabels(["b", null, "a", "b", null, "a", "c"]);

        Assert.Equal(["b", "a", "c"], groups.Names);
        Assert.Equal([0, 3], groups.Members(0).ToArray());
        Assert.Equal([2, 5], groups.Members(1).ToArray());
        Assert.Equal(-1, groups.GroupOf(1));
        Assert.Equal(2, groups.GroupOf(6));
        Assert.Equal(2, groups.UngroupedCount);
        Assert.Equal(7, groups.ExampleCount);
    }

    // A name left out stands for NamedChoice.Default, the first entry; the options records have defaults of their own. The
    // command line (which parses names) and the library (which takes the records) must agree on every one.
    [Fact]
    public void EveryChoicesDefault_IsTheOptionsRecordsDefault()
    {
        Assert.Equal(FoldInOptions.Default.Prior, Choices.Prior.Default);
        Assert.Equal(new ReplayOptions().Strategy, Choices.Strategy.Default);
        Assert.Equal(new MeasurementRequest().Criterion, Choices.Criterion.Default);
        Assert.Equal(new EvaluationOptions().ActiveCriterion, Choices.Criterion.Default);
        Assert.Equal(new EvaluationOptions().Reveal, Choices.Reveal.Default);
        Assert.Equal(new EvaluationOptions().RevealRandom, Choices.RevealRng.Default);
        Assert.Equal(new MatrixReadOptions().Layout, Choices.Layout.Default);
    }

    [Fact]
    public void OptionMessages_NameTheOption_AndEachFrontEndWordsItsOwnWay()
    {
        // Given: a library message naming two options, with braces in its data.
        var message = OptionMessage.Of($"column '{"a{b}"}' ({12345:N0} rows): pass {new OptionReference(DataOptionNames.Array)} or {new OptionReference(DataOptionNames.Format, "npz")}.");
        var error = new ForgettingDataException("z.csv", message, line: 3);
        var flags = new OptionVocabulary(new Dictionary<string, string> { [DataOptionNames.Format] = "--format" }, (flag, value) => value is null ? flag : $"{flag} {value}");

        // Then: the library names the options; a front end words those it has, and keeps the library's name for the rest.
        Assert.Equal("z.csv:3: column 'a{b}' (12,345 rows): pass MatrixReadOptions.Array or MatrixReadOptions.Format = npz.", error.Message);
        Assert.Equal([DataOptionNames.Array, DataOptionNames.Format], error.Options.Select(o => o.Name));
        Assert.Equal("z.csv:3: column 'a{b}' (12,345 rows): pass MatrixReadOptions.Array or --format npz.", flags.Describe(error));
        Assert.Equal("plain", flags.Describe(new InvalidOperationException("plain")));

        // Braces written in the message's own text (escaped as {{ }}) are text too, before and after an option.
        var literal = OptionMessage.Of($"write {{\"a\": 1}} with {new OptionReference(DataOptionNames.Format, "json")} or {{}}.");
        Assert.Equal("write {\"a\": 1} with MatrixReadOptions.Format = json or {}.", literal.ToString());
        Assert.Equal("write {\"a\": 1} with --format json or {}.", literal.Format(o => $"--format {o.Value}"));
        Assert.Equal("write {\"a\": 1} with MatrixReadOptions.Format = json or {}. then {x}", literal.Then(OptionMessage.Plain("then {x}")).ToString());
    }

    [Fact]
    public void GroupColumns_Fragmented_WarnsOfAColumnWithAValuePerExample_NotOfGroups()
    {
        // A base loss per example (600 distinct values, 10 examples without one), a source with 6 levels, and 19 examples alone.
        var loss = Enumerable.Range(0, 600).Select(j => j < 10 ? null : (j * 0.37).ToString("R", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var source = Enumerable.Range(0, 600).Select(j => $"s{j % 6}").ToArray();
        var few = Enumerable.Range(0, 600).Select(j => j < 19 ? $"own{j}" : "rest").ToArray();

        var warning = GroupColumns.Fragmented(ExampleGroups.FromLabels(loss), "base_loss", "meta.csv");

        Assert.NotNull(warning);
        Assert.Equal("meta.csv: --group-by 'base_loss' puts 590 of the 590 examples in a group of their own (590 groups), so each group's report is one example's: "
            + "the column holds a value per example (a score, a loss, an id), not groups; group by a column such as source or domain",
            warning.Format(o => o.Name == GroupingOptionNames.GroupBy ? "--group-by" : o.ToString()));
        Assert.Null(GroupColumns.Fragmented(ExampleGroups.FromLabels(source), "source", "meta.csv"));
        Assert.Null(GroupColumns.Fragmented(ExampleGroups.FromLabels(few), "few", "meta.csv"));
        // Under 20 groups: a small table may well have a group per example.
        Assert.Null(GroupColumns.Fragmented(ExampleGroups.FromLabels([.. Enumerable.Range(0, 19).Select(j => $"e{j}")]), "name", "meta.csv"));
        Assert.NotNull(GroupColumns.Fragmented(ExampleGroups.FromLabels([.. Enumerable.Range(0, 20).Select(j => $"e{j}")]), "name", "meta.csv"));
    }

    [Fact]
    public void OptionException_CarriesTheOptionName()
    {
        var error = Assert.Throws<OptionException>(() => ModelCatalog.CreateFitter("additive", new ModelSettings { Rank = 2 }));

        Assert.Equal(ModelOptionNames.Rank, error.OptionName);
        Assert.Equal("ModelSettings.Rank does not apply to 'additive' (only mf and logistic have a rank).", error.Message);
        Assert.Equal("\"rank\" does not apply to 'additive' (only mf and logistic have a rank).", error.Describe(o => "\"rank\""));
    }

    [Fact]
    public void FitCreateFitter_KnownCellsForAMethodThatSimulatesNone_AreRefused_WhileTheCatalogLetsAnEvaluationPassThem()
    {
        // Given: known cells and a seed, set for methods that simulate no cells or draw no random numbers.
        var known = new ModelSettings { Known = 10 };

        // When
        var error = Assert.Throws<OptionException>(() => Fitting.CreateFitter("mf", known, taskFeatures: false, exampleFeatures: false));

        // Then: the fit says so, in each front end's words; auto and ensemble take them, and the catalog lets an
        // evaluation give every method the number of cells it reveals.
        Assert.Equal(ModelOptionNames.Known, error.OptionName);
        Assert.Equal("--known does not apply to 'mf' (only auto and ensemble simulate the cells you will measure).", error.Describe(o => o.Name == ModelOptionNames.Known ? "--known" : o.Name));
        Assert.NotNull(Fitting.CreateFitter("additive", new ModelSettings { Seed = 3 }, taskFeatures: false, exampleFeatures: false));
        Assert.NotNull(Fitting.CreateFitter("auto", known, taskFeatures: false, exampleFeatures: false));
        Assert.NotNull(Fitting.CreateFitter("ensemble", known with { Seed = 3 }, taskFeatures: false, exampleFeatures: false));
        Assert.NotNull(ModelCatalog.CreateFitter("mf", known));
    }

    // The training matrix with each example kept on `tasks` of its 15 tasks (seeded), or every other one on all of them.
    private static ForgettingMatrix KeptOn(int tasks, bool everyOtherComplete = false)
    {
        var values = s_training.Values.ToArray();
        int m = s_training.TaskCount, n = s_training.ExampleCount;
        var random = new Random(5);
        for (var j = 0; j < n; j++)
        {
            var keep = Enumerable.Range(0, m).OrderBy(_ => random.Next()).Take(everyOtherComplete && j % 2 == 0 ? m : tasks).ToHashSet();
            for (var i = 0; i < m; i++)
            {
                values[(i * n) + j] = keep.Contains(i) ? values[(i * n) + j] : float.NaN;
            }
        }

        return ForgettingMatrix.Create(values, m, n, s_training.TaskIds, s_training.ExampleIds);
    }

    // QA: with the adaptive neighbours criterion, additive, knn and auto scored worse than example-mean (no cell read) on
    // charlm-b, without a word; mf, the design's own model, was not affected.
    [Fact]
    public void AnEvaluationWithTheAdaptiveCriterion_WarnsForEveryMethodButMf()
    {
        var request = new EvaluateRequest
        {
            Matrix = s_training,
            Source = "z.npy",
            Methods = ["example-mean", "additive", "mf", "knn"],
            SplitBy = new SplitRequest { TestRows = [0, 1] },
            Options = new EvaluationOptions { Known = 5, Reveal = RevealStrategy.Active, ActiveCriterion = ActiveCriterion.Neighbours },
        };

        var warning = Assert.Single(Evaluating.Plan(request).Warnings, w => w.ToString().StartsWith("the neighbours criterion", StringComparison.Ordinal)).ToString();

        Assert.Contains("methods other than mf (the design's own model) can score worse with them than with no cell at all (additive, knn here)", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(Evaluating.Plan(request with { Methods = ["example-mean", "mf"] }).Warnings, w => w.ToString().StartsWith("the neighbours criterion", StringComparison.Ordinal));
        Assert.DoesNotContain(Evaluating.Plan(request with { Options = request.Options with { ActiveCriterion = ActiveCriterion.VOptimal } }).Warnings, w => w.ToString().StartsWith("the neighbours criterion", StringComparison.Ordinal));
    }

    // QA: a cell of 1e6 among cells of magnitude 1 was fitted without a word (only cells beyond 1e9 times the typical
    // magnitude are refused) and moved every prediction.
    [Fact]
    public void AFitAndAnEvaluation_WarnOfExtremeCells()
    {
        var values = s_training.Values.ToArray();
        var typical = values.Select(Math.Abs).Where(v => v > 0).Order().ElementAt(values.Count(v => v != 0) / 2);
        values[(2 * s_training.ExampleCount) + 5] = 3e4f * typical;
        var matrix = ForgettingMatrix.Create(values, s_training.TaskCount, s_training.ExampleCount, s_training.TaskIds, s_training.ExampleIds);

        var fit = Fitting.Fit(new FitRequest { Matrix = matrix, Source = "z.npy", Method = "additive" });
        var warning = Assert.Single(fit.Warnings);
        Assert.StartsWith("1 cell of z.npy is more than 10,000 times its typical magnitude", warning, StringComparison.Ordinal);
        Assert.Contains($"(task '{s_training.TaskIds[2]}', example '{s_training.ExampleIds[5]}')", warning, StringComparison.Ordinal);
        Assert.Equal(fit.Warnings, Fitting.MatrixWarnings(matrix, "z.npy"));
        // evaluate says it of the training tasks, which its fits read.
        var plan = Evaluating.Plan(new EvaluateRequest { Matrix = matrix, Source = "z.npy", Methods = ["additive"], SplitBy = new SplitRequest { TestRows = [0, 1] } });
        var training = $"the {s_training.TaskCount - 2} training tasks of z.npy";
        Assert.Contains(plan.Warnings, w => w.ToString() == Fitting.ExtremeCellWarning(matrix.SelectTasks(plan.Split.Split.TrainRows), training));
        Assert.StartsWith($"1 cell of {training} is more than 10,000 times", Assert.Single(plan.Warnings).ToString(), StringComparison.Ordinal);

        Assert.Empty(Fitting.Fit(new FitRequest { Matrix = s_training, Source = "z.npy", Method = "additive" }).Warnings);
        Assert.Null(Fitting.ExtremeCellWarning(s_training, "z.npy"));
    }

    // QA: fit warned of a task and an example with no observed cell, and evaluate of the same matrix said nothing.
    [Fact]
    public void AnEvaluation_IsWarnedOfEmptyTasksAndExamples_AsAFitIs()
    {
        var values = s_training.Values.ToArray();
        values.AsSpan(3 * s_training.ExampleCount, s_training.ExampleCount).Fill(float.NaN);
        for (var i = 0; i < s_training.TaskCount; i++)
        {
            values[(i * s_training.ExampleCount) + 7] = float.NaN;
        }

        var matrix = ForgettingMatrix.Create(values, s_training.TaskCount, s_training.ExampleCount, s_training.TaskIds, s_training.ExampleIds);

        var plan = Evaluating.Plan(new EvaluateRequest { Matrix = matrix, Source = "z.npy", Methods = ["additive"], SplitBy = new SplitRequest { TestRows = [0, 1] } });

        // Said of the training tasks, which the protocol's fits read.
        var training = $"the {s_training.TaskCount - 2} training tasks of z.npy";
        var warnings = plan.Warnings.Select(p => p.ToString()).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.StartsWith("1 of the " + s_training.ExampleCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + $" examples of {training} have no observed cell", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith($"1 of {training} have no observed cell", StringComparison.Ordinal)); // not "1 of the 13 tasks of the 13 training tasks"
    }

    // QA: a model of one task predicted a new task with intervals of the fit's residual noise alone (a std of 0.001 where
    // the cells vary by 0.3), without a word.
    [Fact]
    public void AFitOfASingleMeasuredTask_IsWarnedOf()
    {
        const string Expected = "z.npy has a single measured task: a new task is predicted as that task, and its intervals cannot include how tasks differ from one another (one task shows none), so they are far too narrow for a new task. Measure more tasks before trusting them.";
        var one = s_training.SelectTasks([0]);
        Assert.Equal([Expected], Fitting.Fit(new FitRequest { Matrix = one, Source = "z.npy", Method = "rank1" }).Warnings);

        // Two tasks, one of them never measured: one measured task, said with the empty one.
        var values = s_training.SelectTasks([0, 1]).Values.ToArray();
        values.AsSpan(s_training.ExampleCount).Fill(float.NaN);
        var half = ForgettingMatrix.Create(values, 2, s_training.ExampleCount, s_training.SelectTasks([0, 1]).TaskIds, s_training.ExampleIds);
        var warnings = Fitting.MatrixWarnings(half, "z.npy");
        Assert.Contains(Expected, warnings);
        Assert.Contains(warnings, w => w.StartsWith("1 of the 2 tasks of z.npy have no observed cell", StringComparison.Ordinal));
        Assert.DoesNotContain(Expected, Fitting.MatrixWarnings(s_training.SelectTasks([0, 1]), "z.npy"));
    }

    [Fact]
    public void FitModelWarnings_ExamplesMeasuredOnNoMoreTasksThanTheirParameters_AreNamedWithTheRankThatSuits()
    {
        // Each example on 3 of the 15 tasks: mf rank 3 fits 4 parameters for each, none has more cells.
        var three = KeptOn(3);
        var warning = Assert.Single(Fitting.ModelWarnings(new LowRankFitter(new LowRankOptions { Rank = 3 }).FitLowRank(three), three, "z.npy"));
        Assert.Equal("600 of the 600 measured examples of z.npy were measured on no more tasks than the 4 parameters mf rank 3 fits for each (the median example on 3): their factors cannot be learned from their own cells, and with too few examples measured on more, the penalty shrinks the factors hard and the model predicts almost as the additive one does. Rank 1 or lower suits this matrix.", warning);

        // On 2 tasks each, not even rank 1 (2 parameters) has more cells: the additive model suits.
        var two = KeptOn(2);
        Assert.EndsWith("(the median example on 2): their factors cannot be learned from their own cells, and with too few examples measured on more, the penalty shrinks the factors hard and the model predicts almost as the additive one does. The additive model suits this matrix.",
            Assert.Single(Fitting.ModelWarnings(new LowRankFitter(new LowRankOptions { Rank = 1 }).FitLowRank(two), two, "z.npy")), StringComparison.Ordinal);

        // Nothing to say: rank 1 on 3 tasks each (2 parameters), the additive model (1), the complete matrix, half the examples
        // complete (the factors are learned from them: no more than half are short).
        Assert.Empty(Fitting.ModelWarnings(new LowRankFitter(new LowRankOptions { Rank = 1 }).FitLowRank(three), three, "z.npy"));
        Assert.Empty(Fitting.ModelWarnings(new AdditiveFitter().FitAdditive(three), three, "z.npy"));
        Assert.Empty(Fitting.ModelWarnings(s_model, s_training, "z.npy"));
        var half = KeptOn(2, everyOtherComplete: true);
        Assert.Empty(Fitting.ModelWarnings(new LowRankFitter(new LowRankOptions { Rank = 3 }).FitLowRank(half), half, "z.npy"));

        // One example measured on every task leaves 11 residual degrees of freedom, fewer than 10 x 4: the penalty still stays
        // at the data's scale, and the warning still says so.
        var values = three.Values.ToArray();
        for (var i = 0; i < three.TaskCount; i++)
        {
            values[(i * three.ExampleCount) + 7] = s_training[i, 7];
        }

        var oneComplete = ForgettingMatrix.Create(values, three.TaskCount, three.ExampleCount, three.TaskIds, three.ExampleIds);
        Assert.Contains("599 of the 600 measured examples of z.npy were measured on no more tasks than the 4 parameters mf rank 3 fits for each (the median example on 3): their factors cannot be learned from their own cells, and with too few examples measured on more, the penalty shrinks",
            Assert.Single(Fitting.ModelWarnings(new LowRankFitter(new LowRankOptions { Rank = 3 }).FitLowRank(oneComplete), oneComplete, "z.npy")), StringComparison.Ordinal);

        // A logistic model's penalty is fixed: no word of it, and its additive counterpart is logistic-additive.
        // Cut at the observed cells' median: a fixed 0.3 had cut none, and a constant matrix is refused by the logistic fits too.
        var cut = three.Values.ToArray().Where(v => !float.IsNaN(v)).Order().ElementAt(three.Values.ToArray().Count(v => !float.IsNaN(v)) / 2);
        var binary = ForgettingMatrix.Create([.. three.Values.ToArray().Select(v => float.IsNaN(v) ? v : v > cut ? 1f : 0f)], three.TaskCount, three.ExampleCount, three.TaskIds, three.ExampleIds);
        var logistic = Assert.Single(Fitting.ModelWarnings(new LogisticFitter(new LogisticOptions { Rank = 3 }).Fit(binary), binary, "z.npy"));
        Assert.Equal("600 of the 600 measured examples of z.npy were measured on no more tasks than the 4 parameters logistic rank 3 fits for each (the median example on 3): their factors cannot be learned from their own cells. Rank 1 or lower suits this matrix.", logistic);

        // With as many parameters per example as measured tasks (12 of the 15 tasks emptied, rank 3) every example fits its column: nothing to say.
        var emptied = three.Values.ToArray();
        emptied.AsSpan(0, 12 * three.ExampleCount).Fill(float.NaN);
        var fewTasks = ForgettingMatrix.Create(emptied, three.TaskCount, three.ExampleCount, three.TaskIds, three.ExampleIds);
        Assert.Empty(Fitting.ModelWarnings(new LowRankFitter(new LowRankOptions { Rank = 3 }).FitLowRank(fewTasks), fewTasks, "z.npy"));

        // And the fit use case says it beside what it says of the matrix.
        var fit = Fitting.Fit(new FitRequest { Matrix = three, Method = "mf", Source = "z.npy", Settings = new ModelSettings { Rank = 3 } });
        Assert.Contains(warning, fit.Warnings);
    }

    private static ObservedCells Cells(int count)
    {
        var examples = Enumerable.Range(0, count).Select(i => i * (600 / Math.Max(count, 1))).ToArray();
        return new ObservedCells(examples, [.. examples.Select(j => (double)s_synthetic.Matrix[0, j])]);
    }
}

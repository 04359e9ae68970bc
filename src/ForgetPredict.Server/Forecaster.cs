using System.Globalization;
using ForgetPredict.Application;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Replay;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Tables;
using ForgetPredict.Reports;

namespace ForgetPredict.Server;

/// <summary>
/// Answers predict and replay queries from a stored model: parses the wire request into the application layer's
/// <see cref="ForecastRequest"/> or <see cref="ReplayPlanRequest"/> and serialises the result.
/// </summary>
/// <remarks>
/// <para>The CLI asks for every example (<see cref="ForecastDetail.EveryExample"/>: a record per example, sorted, with the
/// exact normal tail for each; about 70 ms for 141,816 examples). A query answers with the top K examples and the groups
/// only, so here the forecast is a <see cref="ForecastDetail.Summary"/> from the <see cref="RowScanner"/> kept with the
/// model and grouping: the same examples, means, stds and probabilities in the top lists, and the same group means and
/// intervals.</para>
/// </remarks>
internal static class Forecaster
{
    /// <summary>Most examples a query may list.</summary>
    public const int MaxTop = 1000;

    public static PredictResponse Predict(StoredModel stored, PredictRequest request)
    {
        if (request.Top is < 0 or > MaxTop)
        {
            throw ApiException.BadRequest(string.Create(CultureInfo.InvariantCulture, $"\"top\" must be {OptionRanges.WholeNumber(0, MaxTop)} (got {request.Top})."));
        }

        if (request.Threshold is { } given && !double.IsFinite(given))
        {
            throw ApiException.BadRequest("\"threshold\" must be a finite number.");
        }

        var model = stored.Model;
        var (grouping, unchosen) = stored.Grouping(request.GroupBy);
        var (features, featureWarning) = TaskFeatures(stored, request.TaskFeatures);
        var task = Task(stored, request.Observed, References(stored.Model, request.ByIndex), request.Prior, grouping, features);
        var newExamples = request.NewExamples is null ? null : NewExamples(stored, request.NewExamples);
        var groupingWarning = grouping?.Warning;
        if (grouping is not null && newExamples is not null)
        {
            // The new examples take their groups from the same metadata, and their rows are not reported unused.
            (newExamples, groupingWarning) = grouping.Group(newExamples);
        }

        var forecast = Forecasting.Forecast(task with
        {
            Threshold = request.Threshold,
            Top = request.Top,
            Detail = request.EveryExample ? ForecastDetail.EveryExample : ForecastDetail.Summary,
            NewExamples = newExamples,
        }, request.EveryExample ? null : stored.Scanner(grouping));
        var examples = forecast.Top.Select((e, r) => new ExampleDto(e.Id, e.Group, e.Predicted, e.Std, e.Probability, r + 1)).ToArray();
        var everyExample = forecast.Report?.Examples.Select(e => new ExampleDto(e.Id, e.Group, e.Predicted, e.Std, e.Probability, e.Rank)).ToArray();
        var groups = forecast.Groups.Select(g => new GroupDto(g.Name, g.Count, g.Mean, g.Lower, g.Upper, g.Share, [.. g.TopExamples.Select(e => e.Id)])
        {
            NewCount = g.NewCount,
            TopNew = [.. g.TopExamples.Select(e => e.IsNew)],
        }).ToArray();
        string? chart = null;
        if (request.Chart && groups.Length > 0)
        {
            chart = Charts.GroupBars([.. groups.Select(g => new ReportGroup(g.Name, g.Count, g.Mean, g.Lower, g.Upper, g.Share, g.TopExamples) { NewCount = g.NewCount })], forecast.PredictsProbability, task.BinaryMatrix);
        }

        string[] warnings = [.. new[] { task.BinaryMatrixWarning($"model '{stored.Name}'"), TunedKnownWarning(task, stored), task.ScaleWarning(), groupingWarning, unchosen, featureWarning, newExamples?.Warning }.OfType<string>(), .. grouping?.LabelWarnings ?? []];
        return new PredictResponse(stored.Name, stored.Stamp.Version, stored.Method, stored.Description, forecast.IsTaskAgnostic, forecast.KnownCount,
            forecast.PredictsProbability, forecast.Threshold, forecast.ThresholdRule, model.ExampleCount, forecast.ExpectedForgotten, grouping?.Column, groups, examples, chart, warnings,
            forecast.Task.FromTaskPrior, everyExample,
            request.NewExamples is null ? null : [.. forecast.ColdExamples.Select(c => new ColdExampleDto(c.Id, c.Predicted, c.Std, c.Probability) { Group = c.Group })])
        {
            BinaryMatrix = task.BinaryMatrix && !forecast.PredictsProbability,
        };
    }

    public static ReplayResponse Replay(StoredModel stored, ReplayRequest request)
    {
        var strategy = Choices.Strategy.Parse(request.Strategy);
        Replaying.CheckSettingsApply(strategy, request.Temperature is not null, request.MinPerGroup is not null, request.Seed is not null);
        var asked = ReplayOptions.ForBudget(request.Budget, request.Ratio, request.TaskSize);
        var budget = asked.Budget;
        var model = stored.Model;
        var (grouping, unchosen) = stored.Grouping(request.GroupBy, required: strategy == ReplayStrategy.Stratified);
        var (features, featureWarning) = TaskFeatures(stored, request.TaskFeatures);
        var task = Task(stored, request.Observed, References(stored.Model, request.ByIndex), request.Prior, grouping, features);
        var (excluded, exclusionWarning) = Excluded(request.Exclude, References(model, request.ByIndex));
        // A setting left out keeps the options record's default (the one place defaults live).
        var options = asked with { Strategy = strategy, MinPerGroup = request.MinPerGroup };
        var plan = Replaying.Plan(new ReplayPlanRequest(task)
        {
            Excluded = excluded,
            ExcludedSource = "exclude",
            Options = options with { Temperature = request.Temperature ?? options.Temperature, Seed = request.Seed ?? options.Seed },
        });
        var set = plan.Set;
        var items = set.Items.Select(i => new ReplayItemDto(model.ExampleIds[i.Example], i.Weight, i.Predicted, i.Group)).ToArray();
        var groups = plan.Groups.Select(g => new ReplayGroupDto(g.Name, g.Replayed, g.Examples)).ToArray();
        string[] warnings = [.. new[] { task.BinaryMatrixWarning($"model '{stored.Name}'"), TunedKnownWarning(task, stored), task.ScaleWarning(), grouping?.Warning, unchosen, featureWarning, exclusionWarning }.OfType<string>(), .. grouping?.LabelWarnings ?? [], .. plan.Warnings];
        return new ReplayResponse(stored.Name, stored.Stamp.Version, Choices.Strategy.NameOf(strategy), budget, set.Candidates, set.CoveredForgetting, set.RandomExpectation,
            double.IsFinite(set.Lift) ? set.Lift : null, grouping?.Column, items, groups, warnings);
    }

    public static DesignResponse Design(StoredModel stored, DesignRequest request)
    {
        var model = stored.Model;
        var criterion = Designing.ParseCriterion(request.Criterion);
        var (grouping, unchosen) = stored.Grouping(request.GroupBy, required: criterion == Core.Evaluation.ActiveCriterion.GroupMeans);
        var references = References(model, request.ByIndex);
        var cells = request.Observed is null || request.Observed.Cells.Count == 0
            ? null
            : ObservedCells.FromPairs(request.Observed.Cells, model.ExampleIds, references.Matching, "observed");
        var measured = cells?.Examples;
        var (excluded, exclusionWarning) = Excluded(request.Exclude, references);
        var design = Designing.Design(new MeasurementRequest
        {
            Model = model,
            Count = request.Count,
            Criterion = criterion,
            Groups = grouping?.Groups,
            Measured = measured,
            Excluded = excluded,
        });
        var items = design.Examples.Select((j, i) => new DesignItemDto(model.ExampleIds[j], design.FirstOrder + i,
            grouping?.Groups.Labels[j])).ToArray();
        string[] warnings = [.. new[] { grouping?.Warning, unchosen, exclusionWarning }.OfType<string>(), .. grouping?.LabelWarnings ?? []];
        var sheet = cells is null ? null : MeasuredSheet.Of(cells, model.ExampleIds, grouping?.Groups);
        var given = sheet is null ? [] : sheet.Examples.Select((example, i) => new MeasuredItemDto(example, sheet.Values[i], i + 1, sheet.Groups?[i])).ToArray();
        return new DesignResponse(stored.Name, stored.Stamp.Version, Choices.Criterion.NameOf(criterion), design.Basis, design.Candidates, grouping?.Column, items, given, warnings);
    }

    /// <summary>The design as the CLI's template for <c>predict --observed</c> (<see cref="Designing.Template"/>: the cells measured
    /// already first), as CSV.</summary>
    public static string Csv(DesignResponse design)
    {
        var grouped = design.GroupBy is not null;
        var measured = design.Measured.Count == 0 ? null
            : new MeasuredSheet([.. design.Measured.Select(c => c.Example)], [.. design.Measured.Select(c => c.Value)], grouped ? [.. design.Measured.Select(c => c.Group)] : null);
        return Csv(Designing.Template([.. design.Examples.Select(e => e.Example)], grouped ? [.. design.Examples.Select(e => e.Group)] : null, measured));
    }

    /// <summary>The replay set as CSV: <c>example,weight,predicted,group</c> (the CLI's replay table, <see cref="Replaying.Table"/>).</summary>
    public static string Csv(ReplayResponse replay)
    {
        var items = replay.Items;
        return Csv(Replaying.Table([.. items.Select(i => i.Example)], [.. items.Select(i => i.Weight)], [.. items.Select(i => i.Predicted)], [.. items.Select(i => i.Group)]));
    }

    private static string Csv(OutputTable table)
    {
        using var csv = new MemoryStream();
        CsvTableFormat.Csv.Write(table, csv);
        return System.Text.Encoding.UTF8.GetString(csv.ToArray());
    }

    // The task a query is about: the stored model, the measured cells of the "observed" field, the prior, the groups and the
    // task's features.
    private static ForecastRequest Task(StoredModel stored, ObservedDto? observed, ExampleReferences references, string? prior, Grouping? grouping, TaskFeatureQuery? features) => new()
    {
        Model = stored.Model,
        Cells = observed is null || observed.Cells.Count == 0 ? ObservedCells.None : ObservedCells.FromPairs(observed.Cells, stored.Model.ExampleIds, references.Matching, "observed"),
        Prior = Choices.Prior.Parse(prior),
        Groups = grouping?.Groups,
        TaskFeatures = features,
        Provenance = FitProvenance.FromMetadata(stored.Loaded.Metadata),
    };

    // The warning of a task measured on more than twice the cells the model was tuned for, its fix worded as an upload's field.
    private static string? TunedKnownWarning(ForecastRequest task, StoredModel stored) =>
        task.TunedKnownWarning($"model '{stored.Name}'") is { } message ? Problems.Fields.Describe(message) : null;

    // The "taskFeatures" field read as the files it stands for would be (each part named by its file, or "taskFeatures").
    private static (TaskFeatureQuery? Query, string? Warning) TaskFeatures(StoredModel stored, TaskFeaturesDto? features)
    {
        if (features is null)
        {
            return (null, null);
        }

        const string Field = "taskFeatures";
        const string Id = "new-task";
        const string Refit = "refit it with task features ('fit --task-features', or an upload with taskFeatures files)";
        var modelName = $"Model '{stored.Name}'";
        if (features.Parts.Any(p => p.Name is not null))
        {
            TaskFeatureQuery.CheckPartNames(stored.Loaded, [.. features.Parts.Select(p => p.Name ?? string.Empty)], Field, modelName);
        }

        var sets = features.Parts.Select(p => p.Embedding is { } embedding
            ? FeatureFile.FromEmbedding(p.Name ?? Field, embedding, Id)
            : FeatureFile.FromValues(p.Name ?? Field, p.Values ?? [], Id)).ToArray();
        return TaskFeatureQuery.ForModel(stored.Loaded, sets.Length == 1 ? sets[0] : FeatureSet.Combine(sets), 0, Field, modelName, Refit);
    }

    // The "newExamples" field read as 'predict --example-features' reads its files (each part named by its file).
    private static NewExampleQuery NewExamples(StoredModel stored, NewExamplesDto examples)
    {
        const string Field = "newExamples";
        var features = FeatureFile.FromNewValues(examples.Parts, stored.Model.ExampleIds, Field);
        return NewExampleQuery.Create(stored.Loaded.ExampleFeatures, features, Field, $"Model '{stored.Name}'",
            "refit it with example features ('fit --example-features', or an upload with exampleFeatures files)");
    }

    // The "byIndex" field mapped to the library's rule for example references.
    private static ExampleReferences References(Core.Models.IForgettingModel model, bool byIndex) =>
        new(model.ExampleIds, new ExampleMatching(byIndex, "set \"byIndex\": true"));

    // The library's rule, as the command line's --exclude: unknown references are ignored with a warning listing them (count
    // and the first few), and a list of which none names an example is refused.
    private static (HashSet<int>? Set, string? Warning) Excluded(IReadOnlyList<string>? ids, ExampleReferences references)
    {
        if (ids is null || ids.Count == 0)
        {
            return (null, null);
        }

        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] is null)
            {
                throw ApiException.BadRequest(string.Create(CultureInfo.InvariantCulture, $"\"exclude\"[{i}] is null: list the example ids to exclude as strings."));
            }
        }

        var (set, unknown) = Replaying.ResolveExamples(references, ids);
        return (set, Replaying.ExclusionWarning(references, set.Count, unknown, ids.Count, "exclude", "ids"));
    }
}

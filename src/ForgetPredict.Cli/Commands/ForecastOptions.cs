using System.CommandLine;
using System.Globalization;
using ForgetPredict.Application;
using ForgetPredict.Core;
using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Cli.Commands;

/// <summary>A saved model, the new task's measured cells and the example groups to report by, read from the command line.</summary>
/// <param name="Task">The model, the cells (named by their file), the prior and the groups, as a forecast with default settings.</param>
/// <param name="Summary">The training matrix summary saved with the model, if any.</param>
/// <param name="GroupColumn">The grouping column, or null.</param>
/// <param name="TaskName">A name for the task in reports.</param>
/// <param name="References">How --observed and --exclude name examples (by id, or by position with --by-index).</param>
internal sealed record ForecastInput(ForecastRequest Task, MatrixSummary? Summary, string? GroupColumn, string TaskName, ExampleReferences References)
{
    /// <summary>The loaded model.</summary>
    public IForgettingModel Model => Task.Model;

    /// <summary>The example groups, or null without --examples.</summary>
    public ExampleGroups? Groups => Task.Groups;

    /// <summary>The model's example feature model (cold columns), or null when it was fitted without example features.</summary>
    public Core.Features.ExampleFeatureModel? ExampleFeatures { get; init; }

    /// <summary>The task's features (one row) and the model's task feature model, or null without --task-features.</summary>
    public TaskFeatureQuery? TaskFeatures => Task.TaskFeatures;

    /// <summary>One line on how <paramref name="task"/>'s prediction was made (<see cref="FoldedTask.IsTaskAgnostic"/> holds the rule),
    /// folded in under <paramref name="prior"/>: with no cell measured, the estimate is that prior's centre.</summary>
    public static string How(FoldedTask task, FoldInPrior prior) => task.IsTaskAgnostic
        ? prior == FoldInPrior.Ridge
            ? "no measured cells: task-agnostic estimate (the ridge prior's centre: the task's own parameters 0)"
            : "no measured cells: task-agnostic estimate (the average training task)"
        : task.KnownCount == 0
            ? "no measured cells: predicted from the task's features (cold start)"
            : string.Create(CultureInfo.InvariantCulture, $"{task.KnownCount} measured cells");
}

/// <summary>The options <c>predict</c> and <c>replay</c> share: the model, the new task's measured cells, and example metadata.</summary>
internal sealed class ForecastOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Model file from 'fit'.", Required = true };

    public Option<string?> Observed { get; } = new("--observed")
    {
        Description = "The new task's measured cells: a table (CSV, TSV, Parquet, or JSON: an array of records) with columns example,value (example id; a column position with --by-index). Omit for a task-agnostic prediction.",
    };

    public Option<string[]?> ObservedColumns { get; } = TableColumnsOption.For("--observed", ["EXAMPLE", "VALUE"], "example,value");

    public Option<bool> ByIndex { get; } = new("--by-index")
    {
        Description = "Read the examples of --observed as column positions 0..N-1 instead of example ids.",
    };

    public GroupOptions Grouping { get; } = new();

    public Option<string> Prior { get; } = CreatePrior();

    public Option<string?> TaskName { get; } = new("--task-name") { Description = "Name of the planned fine-tune in reports (default: the --observed file's name)." };

    public Option<string[]> TaskFeatures { get; } = FeatureOptions.Task();

    public Option<string[]?> TaskFeatureColumns { get; } = FeatureOptions.TaskColumns();

    public IEnumerable<Option> All => [Model, Observed, ObservedColumns, ByIndex, .. Grouping.All, Prior, TaskName, TaskFeatures, TaskFeatureColumns];

    /// <summary>Loads the model and reads the cells and groups; warnings go to <paramref name="warnings"/>.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="warnings">Where warnings go.</param>
    /// <param name="requireGroups">True when the command needs groups (stratified replay).</param>
    /// <param name="newExamples">Reads the new examples to predict from their features (predict's --example-features) from the
    /// loaded model, or null: their groups come from the same --examples as the model's (<see cref="ForecastMetadata"/>).</param>
    public ForecastInput Load(ParseResult parse, TextWriter warnings, bool requireGroups = false, Func<LoadedModel, NewExampleQuery?>? newExamples = null)
    {
        var loaded = ModelFile.Load(parse.GetRequiredValue(Model));
        var model = loaded.Model;
        var observedPath = parse.GetValue(Observed);
        var matching = new ExampleMatching(parse.GetValue(ByIndex), "pass --by-index");
        var cells = observedPath is null ? ObservedCells.None : ObservedCells.Read(observedPath, model.ExampleIds, matching, parse.Names(ObservedColumns));
        var fresh = newExamples?.Invoke(loaded);
        var (groups, column) = Grouping.Read(parse, model.ExampleIds, warnings, requireGroups, ref fresh);
        var name = parse.GetValue(TaskName) ?? (observedPath is null ? "an average task" : Path.GetFileNameWithoutExtension(observedPath));
        var (features, featureWarning) = ReadTaskFeatures(parse, loaded);
        var task = new ForecastRequest
        {
            Model = model,
            Cells = cells,
            CellsSource = observedPath ?? "observed",
            Prior = Choices.Prior.Parse(parse.GetValue(Prior)),
            Groups = groups,
            TaskFeatures = features,
            NewExamples = fresh,
            Provenance = FitProvenance.FromMetadata(loaded.Metadata),
        };
        if (task.BinaryMatrixWarning(parse.GetRequiredValue(Model)) is { } binary)
        {
            warnings.WriteLine($"warning: {binary}");
        }

        if (task.TunedKnownWarning(parse.GetRequiredValue(Model)) is { } tuned)
        {
            warnings.WriteLine($"warning: {CliApp.Flags.Describe(tuned)}");
        }

        foreach (var read in cells.Warnings)
        {
            warnings.WriteLine($"warning: {read}");
        }

        if (featureWarning is not null)
        {
            warnings.WriteLine($"warning: {featureWarning}");
        }

        if (task.ScaleWarning() is { } units)
        {
            warnings.WriteLine($"warning: {units}");
        }

        return new ForecastInput(task, loaded.Summary, column, name, new ExampleReferences(model.ExampleIds, matching)) { ExampleFeatures = loaded.ExampleFeatures };
    }

    // The new task's row of --task-features, found by --task-name; the model must have been fitted with task features (ones
    // the fit found no better than its own prior are left out, with a warning).
    private (TaskFeatureQuery? Query, string? Warning) ReadTaskFeatures(ParseResult parse, LoadedModel loaded)
    {
        var paths = parse.GetValue(TaskFeatures) ?? [];
        if (paths.Length == 0)
        {
            return (null, null);
        }

        var task = parse.GetValue(TaskName) ?? throw new CliException("--task-features needs --task-name: the id of the new task's row in the features.", CliApp.UsageError);
        return TaskFeatureQuery.ForModel(loaded, FeatureFile.ReadAll(paths, IdList.From([task]), "task", parse.Id(TaskFeatureColumns))!, 0, string.Join(", ", paths),
            parse.GetRequiredValue(Model), "refit it with 'fit --task-features'");
    }

    /// <summary>A <c>--prior</c> option: the fold-in prior's name, checked against the choices.</summary>
    internal static Option<string> CreatePrior()
    {
        var prior = new Option<string>("--prior")
        {
            Description = "Fold-in prior: empirical (training tasks' distribution; default) or ridge (the fit's own penalty: science.md's ridge fold-in, what refitting with the new row gives).",
            DefaultValueFactory = _ => Choices.Prior.NameOf(Choices.Prior.Default),
        };
        prior.OneOf(Choices.Prior);
        return prior;
    }
}

/// <summary>The example metadata options (<c>--examples</c>, its columns, <c>--group-by</c>) and the groups they name.</summary>
internal sealed class GroupOptions
{
    public Option<string?> Examples { get; } = new("--examples") { Description = "Example metadata (CSV, TSV or Parquet): an id column plus group columns such as source or domain." };

    public Option<string[]?> ExamplesColumns { get; } = TableColumnsOption.For("--examples", TableColumnsOption.IdRole, "id, else the first column");

    public Option<string?> GroupBy { get; } = new("--group-by") { Description = "The --examples column to group by (e.g. source); default: its only non-id column." };

    public IEnumerable<Option> All => [Examples, ExamplesColumns, GroupBy];

    /// <summary>The groups of <paramref name="exampleIds"/> by the chosen column, or (null, null) without --examples.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="exampleIds">The model's example ids.</param>
    /// <param name="warnings">Where warnings go.</param>
    /// <param name="required">True when the command needs groups (stratified replay, a design for group means).</param>
    public (ExampleGroups? Groups, string? Column) Read(ParseResult parse, IdList exampleIds, TextWriter warnings, bool required = false)
    {
        NewExampleQuery? none = null;
        return Read(parse, exampleIds, warnings, required, ref none);
    }

    /// <summary>
    /// The groups of <paramref name="exampleIds"/> by the chosen column, and of the new examples (cold columns) when there are
    /// any: <paramref name="newExamples"/> comes back with their labels (<see cref="ForecastMetadata"/>), and the metadata's rows
    /// for them are not reported unused.
    /// </summary>
    public (ExampleGroups? Groups, string? Column) Read(ParseResult parse, IdList exampleIds, TextWriter warnings, bool required, ref NewExampleQuery? newExamples)
    {
        var path = parse.GetValue(Examples);
        var requested = parse.GetValue(GroupBy);
        if (path is null)
        {
            return requested is null ? (null, null) : throw new CliException("--group-by needs --examples (the example metadata to group by).", CliApp.UsageError);
        }

        var table = MetadataTable.Read(path, parse.Id(ExamplesColumns));
        var candidates = table.DataColumns;
        // The join first: ids that repeat (the id column guessed wrong) are the problem to name, whichever column is chosen.
        var join = ForecastMetadata.Join(table, exampleIds, newExamples);
        join.RequireAny();
        var (chosen, unchosen) = GroupColumns.Choose(candidates, requested, path, required, table.LeftOutColumns);
        if (chosen is not { } column)
        {
            warnings.WriteLine($"warning: {CliApp.Flags.Describe(unchosen!)}.");
            return (null, null);
        }

        if (!join.IsComplete || join.UnusedCount > 0)
        {
            warnings.WriteLine($"warning: {join.Summary()} {GroupColumns.WithoutMetadata}{TableColumnsOption.IdColumnHint(join.IdColumn, join.MatchedCount, "--examples-columns")}");
        }

        var groups = ExampleGroups.FromLabels(ForecastMetadata.ModelLabels(join, column, exampleIds.Count));
        foreach (var labels in GroupColumns.LabelWarnings(groups, join, column, path))
        {
            warnings.WriteLine($"warning: {labels}.");
        }

        newExamples = newExamples is null ? null : ForecastMetadata.Group(newExamples, join, column);
        if (GroupColumns.Fragmented(groups, column, path) is { } fragmented)
        {
            warnings.WriteLine($"warning: {CliApp.Flags.Describe(fragmented)}.");
        }

        return (groups, column);
    }
}

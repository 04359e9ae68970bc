using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Tables;

namespace ForgetPredict.Application;

/// <summary>How much of the predicted row a forecast keeps.</summary>
public enum ForecastDetail
{
    /// <summary>
    /// The top lists, group means and intervals and the expected count, from a <see cref="RowScanner"/> (single precision
    /// where the model allows it; the top lists are exact either way): what a query service answers with.
    /// </summary>
    Summary,

    /// <summary>Every example's forecast as well (<see cref="Forecast.Report"/>), evaluated in double precision: what reports and tables need.</summary>
    EveryExample,
}

/// <summary>
/// A new task, known by a few measured cells (or none), to fold into a model, and the example groups to report or select
/// by: what every use case about a planned fine-tune starts from.
/// </summary>
public abstract record TaskRequest
{
    /// <summary>The model to fold the task into.</summary>
    public required IForgettingModel Model { get; init; }

    /// <summary>The new task's measured cells (none: a task-agnostic prediction).</summary>
    public ObservedCells Cells { get; init; } = ObservedCells.None;

    /// <summary>Where the cells came from (a file name, a request field), for messages.</summary>
    public string CellsSource { get; init; } = "observed";

    /// <summary>The fold-in prior.</summary>
    public FoldInPrior Prior { get; init; } = FoldInPrior.Empirical;

    /// <summary>The example groups (over the model's examples), or null.</summary>
    public ExampleGroups? Groups { get; init; }

    /// <summary>
    /// The task's features and the model's task feature model, or null: the prior of the task's parameters then comes from its
    /// features, so a task with no measured cell (cold start) is predicted from them alone.
    /// </summary>
    public TaskFeatureQuery? TaskFeatures { get; init; }

    /// <summary>
    /// Where the model came from, as its file records it (<see cref="FitProvenance.FromMetadata"/>), or null when not known: what
    /// a forecast reads of it is <see cref="BinaryMatrix"/> and <see cref="TunedKnown"/>.
    /// </summary>
    public FitProvenance? Provenance { get; init; }

    /// <summary>
    /// True when the model was fitted on a 0/1 matrix (<see cref="FitProvenance.BinaryMatrix"/> of <see cref="Provenance"/>): a
    /// Gaussian model of it predicts values on that scale, not probabilities, and a threshold is not a loss increase.
    /// </summary>
    public bool BinaryMatrix => Provenance?.BinaryMatrix ?? false;

    /// <summary>
    /// The warning when <see cref="BinaryMatrix"/> and the model does not predict probabilities
    /// (<see cref="Fitting.ContinuousModelOfBinaryMatrix"/>, naming the model's training matrix), or null.
    /// </summary>
    /// <param name="modelName">The model as the user names it (a file, a stored model's name), for the message.</param>
    public string? BinaryMatrixWarning(string modelName) =>
        BinaryMatrix ? Fitting.ContinuousModelOfBinaryMatrix(Model, $"the training matrix of {modelName}") : null;

    /// <summary>
    /// The number of measured cells the model was tuned for (<see cref="FitProvenance.TunedKnown"/> of <see cref="Provenance"/>:
    /// auto and ensemble choose their methods, ranks and weights by simulating that many), or null.
    /// </summary>
    public int? TunedKnown => Provenance?.TunedKnown;

    /// <summary>
    /// The warning when the task has more than twice the measured cells the model was tuned for (<see cref="TunedKnown"/>), or
    /// null. Its fix names the option a front end calls <c>known</c>.
    /// </summary>
    /// <remarks>Measured on charlm-b and charlm-d (auto fitted on two thirds of the tasks, the rest predicted): a model tuned for
    /// 5 cells had 3-5% more RMSE on charlm-b's tasks measured on 30 than one tuned for 30, while one tuned for 30 did as well
    /// as one tuned for 5 on tasks measured on 5 (-0.3% to +1.9%), so fewer cells than tuned for are not warned of.</remarks>
    /// <param name="modelName">The model as the user names it (a file, a stored model's name), for the message.</param>
    public OptionMessage? TunedKnownWarning(string modelName)
    {
        var measured = Cells.Examples.Length;
        if (TunedKnown is not { } tuned || measured <= 2L * tuned)
        {
            return null;
        }

        return OptionMessage.Of($"{modelName} was tuned for {tuned} measured {Echo.Plural(tuned, "cell")} ({new OptionReference(ModelOptionNames.Known, tuned.ToString(CultureInfo.InvariantCulture))} at its fit) and this task has {measured}: with more cells other methods, ranks and weights than it chose for {tuned} may predict better. For tasks measured on about {measured} cells, refit it with {new OptionReference(ModelOptionNames.Known, measured.ToString(CultureInfo.InvariantCulture))} (on charlm-b a model tuned for 5 cells had 3-5% more RMSE on tasks measured on 30 than one tuned for 30).");
    }

    /// <summary>The warning when the task's measured cells look measured in other units than the model's matrix, or null (<see cref="Forecasting.ScaleWarning"/>).</summary>
    /// <exception cref="ArgumentException">The cells are refused as <see cref="FoldIn"/> refuses them.</exception>
    public string? ScaleWarning() => Forecasting.ScaleWarning(Model, Cells, CellsSource);

    /// <summary>Folds the task in (<see cref="Forecasting.FoldIn"/>), from its features' prior when it has features.</summary>
    /// <exception cref="ArgumentException">The model is binary and a cell is not 0 or 1, or the features do not suit the model.</exception>
    public FoldedTask FoldIn() => Forecasting.FoldIn(Model, Cells, Prior, CellsSource, TaskFeatures);
}

/// <summary>What to forecast: the task, the groups to report by, the threshold and the top lists' lengths.</summary>
public sealed record ForecastRequest : TaskRequest
{
    /// <summary>Forgetting above this counts as forgotten; null: the model's default (<see cref="ForgettingThreshold.Default"/>).</summary>
    public double? Threshold { get; init; }

    /// <summary>Length of the overall top list.</summary>
    public int Top { get; init; } = Core.Erasure.RowScanOptions.DefaultTop;

    /// <summary>Length of each group's top list.</summary>
    public int TopPerGroup { get; init; } = Core.Erasure.RowScanOptions.DefaultTopPerGroup;

    /// <summary>Whether to keep every example's forecast.</summary>
    public ForecastDetail Detail { get; init; } = ForecastDetail.Summary;

    /// <summary>New upstream examples (never measured on any task) to predict from their features as well, or null.</summary>
    public NewExampleQuery? NewExamples { get; init; }
}

/// <summary>New upstream examples' features and the model's example feature model: cold columns to predict.</summary>
/// <param name="Features">The new examples' features (one row per new example).</param>
/// <param name="Model">The example feature model fitted with the model.</param>
/// <param name="Source">Where the features came from (files), prefixed to messages.</param>
public sealed record NewExampleQuery(Core.Features.FeatureSet Features, Core.Features.ExampleFeatureModel Model, string Source)
{
    /// <summary>The query of new examples' features against a saved model: the model must have been fitted with example features.</summary>
    /// <param name="model">The model's example feature model (<see cref="Data.LoadedModel.ExampleFeatures"/>), or null when it was fitted without.</param>
    /// <param name="features">The new examples' features.</param>
    /// <param name="source">Where the features came from, prefixed to messages.</param>
    /// <param name="modelName">The model as the user names it, for messages.</param>
    /// <param name="refit">How to refit the model with example features in this front end.</param>
    /// <exception cref="ArgumentException">The model has no example feature model.</exception>
    public static NewExampleQuery Create(Core.Features.ExampleFeatureModel? model, Core.Features.FeatureSet features, string source, string modelName, string refit)
    {
        ArgumentNullException.ThrowIfNull(features);
        return model is null
            ? throw new ArgumentException($"{modelName} was fitted without example features; {refit} to predict new examples from their features.", nameof(model))
            : new NewExampleQuery(features, model, source) { Warning = Extrapolation.Join(UnseenLevels(model, features, source), ChangedConstants(model, features, source), FarFromTraining(model, features, source)) };
    }

    // New examples with a categorical value the model never saw ('perll' for 'perl', or a new source): each level once, with
    // how many new examples have it.
    private static string? UnseenLevels(Core.Features.ExampleFeatureModel model, Core.Features.FeatureSet features, string source) =>
        CountedOverNewExamples(features, source, row => Extrapolation.UnseenLevels(model.Views.Concat(model.ConstantViews), features, row),
            "Such an example counts as none of the model's levels there, so its prediction rests on its other features; check the spelling unless the level is new.");

    // New examples whose value differs in a column every measured example had the same value in (the model ignores it): each
    // column once, with how many new examples differ there.
    private static string? ChangedConstants(Core.Features.ExampleFeatureModel model, Core.Features.FeatureSet features, string source) =>
        CountedOverNewExamples(features, source, row => Extrapolation.ChangedConstants(model.Views.Concat(model.ConstantViews), features, row, "measured example"),
            Extrapolation.ConstantConsequence("the predictions rest"));

    // What each new example's row says (a key and its text), each key once in first-seen order with the first row's text and
    // how many new examples said it, then the consequence; null when no row says anything.
    private static string? CountedOverNewExamples(Core.Features.FeatureSet features, string source, Func<int, IEnumerable<(string Key, string Text)>> said, string consequence)
    {
        var counts = new Dictionary<string, (string Text, int Count)>(StringComparer.Ordinal);
        var order = new List<string>();
        for (var row = 0; row < features.Count; row++)
        {
            foreach (var (key, text) in said(row))
            {
                if (!counts.TryGetValue(key, out var seen))
                {
                    order.Add(key);
                }

                counts[key] = (seen.Count == 0 ? text : seen.Text, seen.Count + 1);
            }
        }

        return order.Count == 0 ? null
            : $"{source}: {string.Join("; ", order.Select(k => string.Create(CultureInfo.InvariantCulture, $"{counts[k].Text} ({counts[k].Count} new {Echo.Plural(counts[k].Count, "example")})")))}. {consequence}";
    }

    /// <summary>
    /// Each new example's group label, one per row of <see cref="Features"/> (null or blank: in no group), or null when the
    /// forecast is not grouped. Set by <see cref="ForecastMetadata.Group"/> from the same metadata as the model's examples'
    /// groups: a forecast then counts each new example in its group (<see cref="Forecast.Groups"/>).
    /// </summary>
    public IReadOnlyList<string?>? Labels { get; init; }

    /// <summary>
    /// What the caller should know about these features, or null: a new example whose numeric feature lies more than
    /// <see cref="TaskFeatureQuery.FarFromTrainingLimit"/> standard deviations from the measured examples' values (base_loss 1e10
    /// where they lie between 0.3 and 0.6), where its prediction is an extrapolation. The same rule as a task's settings. Also
    /// a categorical value the model was never fitted with, and a value that differs in a feature every measured example had
    /// the same value in (the model ignores that feature).
    /// </summary>
    public string? Warning { get; init; }

    // Most new examples a warning names (the count says how many more there are).
    private const int Listed = 3;

    private static string? FarFromTraining(Core.Features.ExampleFeatureModel model, Core.Features.FeatureSet features, string source)
    {
        var far = new List<string>();
        var count = 0;
        for (var row = 0; row < features.Count; row++)
        {
            var columns = model.Views.SelectMany(v => v.FarFromTraining(features, row, TaskFeatureQuery.FarFromTrainingLimit)).ToArray();
            if (columns.Length > 0 && ++count <= Listed)
            {
                far.Add($"new example '{features.Ids[row]}': {Extrapolation.Describe(columns, "the measured examples'")}");
            }
        }

        return count == 0 ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"{source}: {string.Join("; ", far)}{(count > Listed ? $" (and {count - Listed} more new examples)" : string.Empty)}, {Extrapolation.Consequence("its prediction")}");
    }
}

/// <summary>The rule that a query's feature lies far outside the values the model was fitted on, said once for tasks and examples.</summary>
internal static class Extrapolation
{
    // "lr 1E+300 lies 755 standard deviations from the training tasks' values; ..."
    // An embedding (a NaN value: the row as a whole) reads "task_emb.npy lies 560 standard deviations from the training tasks'
    // values (root mean square over its columns)".
    public static string Describe(IEnumerable<(string Column, double Value, double Deviations)> far, string whose) =>
        string.Join("; ", far.Select(f => double.IsNaN(f.Value)
            ? string.Create(CultureInfo.InvariantCulture, $"{f.Column} lies {f.Deviations:G3} standard deviations from {whose} values (root mean square over its columns)")
            : string.Create(CultureInfo.InvariantCulture, $"{f.Column} {f.Value:G4} lies {f.Deviations:G3} standard deviations from {whose} values")));

    // The warnings that apply, one after another; null when none does.
    public static string? Join(params string?[] warnings) => warnings.OfType<string>().ToArray() is { Length: > 0 } said ? string.Join(" ", said) : null;

    // Each categorical value of a row that no view was fitted with: a key (the column and level) and "source 'perll' is not a
    // level the model was fitted with ('perl', 'web', ...; did you mean 'perl'?)".
    public static IEnumerable<(string Key, string Text)> UnseenLevels(IEnumerable<Core.Features.FeatureView> views, Core.Features.FeatureSet features, int row)
    {
        foreach (var view in views)
        {
            foreach (var unseen in view.UnseenLevels(features, row))
            {
                var (column, value) = Core.Features.FeatureView.SplitLevel(unseen);
                var known = column is null ? [] : view.Columns.Select(Core.Features.FeatureView.SplitLevel).Where(c => c.Column == column).Select(c => c.Level).ToArray();
                var listed = string.Join(", ", known.Take(8).Select(k => $"'{k}'")) + (known.Length > 8 ? ", ..." : string.Empty);
                yield return (unseen, $"{(column is null ? string.Empty : column + " ")}'{value}' is not a level the model was fitted with{(known.Length == 0 ? string.Empty : $" ({listed}{Suggestion.DidYouMean(value, known)})")}");
            }
        }
    }

    // Each column of a row that differs from the one value every training row had there (the views leave such a column out,
    // so the row's value is ignored): a key (the column) and "seed is 1 where every training task had 0". A categorical level
    // column is not said where the row has a level no view was fitted with in the same column: UnseenLevels says that.
    public static IEnumerable<(string Key, string Text)> ChangedConstants(IEnumerable<Core.Features.FeatureView> views, Core.Features.FeatureSet features, int row, string whose)
    {
        foreach (var view in views)
        {
            var unseen = view.UnseenLevels(features, row).Select(u => Core.Features.FeatureView.SplitLevel(u).Column).ToHashSet(StringComparer.Ordinal);
            foreach (var (name, trained, value) in view.ChangedConstants(features, row))
            {
                if (view.Kind != Core.Features.FeatureKind.Categorical)
                {
                    yield return (name, string.Create(CultureInfo.InvariantCulture, $"{name} is {value:G6} where every {whose} had {trained:G6}"));
                    continue;
                }

                var (column, level) = Core.Features.FeatureView.SplitLevel(name);
                if (column is not null && unseen.Contains(column))
                {
                    continue;
                }

                var said = column is null ? $"'{level}'" : $"{column} '{level}'";
                yield return (name, trained != 0 ? $"{said} is not given where every {whose} had it" : $"{said} is given where no {whose} had it");
            }
        }
    }

    // What follows a changed constant: why the value is ignored.
    public static string ConstantConsequence(string what) =>
        $"A feature with one value over everything the model was fitted on carried no information, so the model ignores it and {what} on the other features; check the value, or refit with data where it varies.";

    // What follows the distances: why it matters and the fix.
    public static string Consequence(string what) => $"far outside anything the model was fitted on, so {what} there is an extrapolation; check the value and its units.";
}

/// <summary>A new upstream example's forecast (a cold column: predicted from its features, with a wider interval).</summary>
/// <param name="Id">Example id.</param>
/// <param name="Predicted">Predicted forgetting.</param>
/// <param name="Std">Predictive standard deviation (adds the features' own error to the measured examples' uncertainty).</param>
/// <param name="Probability">Probability that its forgetting exceeds the threshold.</param>
public sealed record ColdExampleForecast(string Id, double Predicted, double Std, double Probability)
{
    /// <summary>Its group (<see cref="NewExampleQuery.Labels"/>), or null when the forecast is not grouped or its label is missing.</summary>
    public string? Group { get; init; }
}

/// <summary>One example of a forecast's top list.</summary>
/// <param name="Example">Column index in the model; for a new example (<see cref="Forecast.ColdExamples"/>), the model's example
/// count plus its position among the new examples (its row in <see cref="Forecasting.ExampleTable"/>).</param>
/// <param name="Id">Example id.</param>
/// <param name="Group">Its group, or null.</param>
/// <param name="Predicted">Predicted forgetting (a probability for logistic models).</param>
/// <param name="Std">Predictive standard deviation.</param>
/// <param name="Probability">Probability that its forgetting exceeds the threshold.</param>
public sealed record ForecastExample(int Example, string Id, string? Group, double Predicted, double Std, double Probability)
{
    /// <summary>
    /// True for a new example (<see cref="Forecast.ColdExamples"/>, a cold column predicted from its features), which a group's
    /// top list may hold beside the model's examples (<see cref="ForecastGroup.TopExamples"/>); false for one of the model's
    /// examples. Its <see cref="Id"/> is then one of <see cref="Forecast.ColdExamples"/>, not of the model.
    /// </summary>
    public bool IsNew { get; init; }
}

/// <summary>A group's expected damage.</summary>
/// <param name="Name">Group name.</param>
/// <param name="Count">Examples in the group, its new examples (<see cref="NewCount"/>) included.</param>
/// <param name="Mean">Expected mean forgetting over the group.</param>
/// <param name="Lower">Lower end of its 90% interval.</param>
/// <param name="Upper">Upper end of its 90% interval.</param>
/// <param name="Share">Expected share of its examples beyond the threshold.</param>
/// <param name="TopExamples">Its most forgotten examples, most forgotten first: the model's examples and, when the group has new
/// examples (<see cref="NewCount"/>), new ones too, each marked by <see cref="ForecastExample.IsNew"/>.</param>
public sealed record ForecastGroup(string Name, int Count, double Mean, double Lower, double Upper, double Share, IReadOnlyList<ForecastExample> TopExamples)
{
    /// <summary>
    /// How many of <see cref="Count"/> are new examples (cold columns, <see cref="ForecastRequest.NewExamples"/>): their
    /// predictions enter the mean, the share and the top list, and their wider uncertainty the interval
    /// (<see cref="Core.Features.ExampleFeatureModel.Average"/>). 0 for a group of the model's examples alone.
    /// </summary>
    public int NewCount { get; init; }
}

/// <summary>What a planned fine-tune is predicted to erase: the top examples, the groups by expected damage, the expected count.</summary>
/// <param name="Task">The folded-in task.</param>
/// <param name="Threshold">The threshold for "forgotten".</param>
/// <param name="ExpectedForgotten">Expected number of examples beyond the threshold.</param>
/// <param name="Top">The most forgotten examples, most forgotten first (rank = position + 1).</param>
/// <param name="Groups">Groups by expected mean forgetting, most damaged first (empty without groups).</param>
/// <param name="Report">Every example's forecast (<see cref="ForecastDetail.EveryExample"/>), else null.</param>
public sealed record Forecast(FoldedTask Task, double Threshold, double ExpectedForgotten, IReadOnlyList<ForecastExample> Top, IReadOnlyList<ForecastGroup> Groups,
    ErasureReport? Report)
{
    /// <summary>Number of examples predicted.</summary>
    public int ExampleCount => Task.ExampleCount;

    /// <summary>Measured cells behind the forecast.</summary>
    public int KnownCount => Task.KnownCount;

    /// <summary>True when no cell was measured: the average past task.</summary>
    public bool IsTaskAgnostic => Task.IsTaskAgnostic;

    /// <summary>True when predictions are probabilities of forgetting.</summary>
    public bool PredictsProbability => Task.PredictsProbability;

    /// <summary>The new examples' forecasts (<see cref="ForecastRequest.NewExamples"/>), in their order; empty without.</summary>
    public IReadOnlyList<ColdExampleForecast> ColdExamples { get; init; } = [];

    /// <summary>How <see cref="Threshold"/> was chosen (<see cref="ForgettingThreshold.Rule"/>): "given", or the default's rule.</summary>
    public string ThresholdRule { get; init; } = ForgettingThreshold.GivenRule;

    /// <summary>The task's measured cells behind the forecast (none for a task-agnostic or cold-start forecast).</summary>
    public ObservedCells Measured { get; init; } = ObservedCells.None;
}

/// <summary>A new task's features and the task feature model saved with the model: the prior of a cold- or warm-start forecast.</summary>
/// <param name="Features">The task's features.</param>
/// <param name="Row">The task's row in <paramref name="Features"/>.</param>
/// <param name="Model">The task feature model fitted with the model.</param>
public sealed record TaskFeatureQuery(Core.Features.FeatureSet Features, int Row, Core.Features.TaskFeatureModel Model)
{
    /// <summary>
    /// The query of a new task's features against a saved model, checked now (every front end gives the same messages): the model
    /// must have been fitted with task features, and the features must hold the block it uses with its columns or width.
    /// </summary>
    /// <param name="model">The model's task feature model (<see cref="Data.LoadedModel.TaskFeatures"/>), or null when it was fitted without.</param>
    /// <param name="features">The new task's features.</param>
    /// <param name="row">The new task's row in <paramref name="features"/>.</param>
    /// <param name="source">Where the features came from (files, a request field), prefixed to messages.</param>
    /// <param name="modelName">The model as the user names it (a file, a model name), for messages.</param>
    /// <param name="refit">How to refit the model with task features in this front end (e.g. "refit it with 'fit --task-features'").</param>
    /// <exception cref="ArgumentException">The model has no task feature model, or the features lack its block or differ in columns or width.</exception>
    public static TaskFeatureQuery Create(Core.Features.TaskFeatureModel? model, Core.Features.FeatureSet features, int row, string source, string modelName, string refit)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (model is null)
        {
            throw new ArgumentException($"{modelName} was fitted without task features; {refit} to predict from features.", nameof(model));
        }

        Ambiguous(model, features, source);
        try
        {
            _ = model.Prior(features, row);
        }
        catch (ArgumentException e)
        {
            throw Forecasting.From(source, e, nameof(features));
        }

        return new TaskFeatureQuery(features, row, model) { Warning = Extrapolation.Join(UnseenLevels(model, features, row, source), ChangedConstants(model, features, row, source), FarFromTraining(model, features, row, source)) };
    }

    /// <summary>
    /// A new task's features against a loaded model, as <see cref="Create"/>, except for a model fitted with task features that
    /// predicted its training tasks no better than its own prior (it keeps no task feature model): the query is then answered
    /// without them, with a warning saying so, where <see cref="Create"/> would say the model was fitted without features.
    /// </summary>
    /// <returns>The query (null for such a model) and what the caller should be told (null when nothing).</returns>
    /// <exception cref="ArgumentException">As <see cref="Create"/>.</exception>
    public static (TaskFeatureQuery? Query, string? Warning) ForModel(Data.LoadedModel loaded, Core.Features.FeatureSet features, int row, string source, string modelName, string refit)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        if (loaded.TaskFeatures is null && FitProvenance.FromMetadata(loaded.Metadata).TaskFeaturesUnused)
        {
            return (null, $"{source}: {modelName} was fitted with task features that predicted its training tasks no better than its own prior, so it does not use them; the task is predicted without them.");
        }

        // The fit's id columns are ids, not settings, whatever a query table holds in them (a row number beside the name).
        var fitted = loaded.TaskFeatures?.Views.SelectMany(v => v.Columns).ToHashSet(StringComparer.Ordinal) ?? [];
        var idColumns = FitProvenance.FromMetadata(loaded.Metadata).TaskFeatureIdColumns?
            .Where(c => !fitted.Contains(c) && !fitted.Any(f => f.StartsWith(c + "=", StringComparison.Ordinal))).ToArray() ?? [];
        Core.Features.FeatureSet asked;
        try
        {
            asked = idColumns.Length == 0 ? features : features.WithoutColumns(idColumns);
        }
        catch (ArgumentException e)
        {
            throw Forecasting.From(source, e, nameof(features));
        }

        var query = Create(loaded.TaskFeatures, asked, row, source, modelName, refit);
        return (query, query.Warning);
    }

    /// <summary>
    /// Checks the names of a query's feature parts, each named by the feature file it stands for (a service's
    /// <c>{"tasks.csv": {...}, "task_emb.npy": [...]}</c>): every name must be one of the files the model was fitted with, whether or
    /// not its prior uses that file (<see cref="FitProvenance.TaskFeatureFiles"/>). A model file that does not record them (written
    /// before they were recorded) cannot say, and its names are not checked. Files given on a command line are not checked this way: a renamed file (new.csv) is matched by its columns.
    /// </summary>
    /// <param name="loaded">The model.</param>
    /// <param name="names">The parts' names, in order.</param>
    /// <param name="source">Where the parts came from (a request field), prefixed to the message.</param>
    /// <param name="modelName">The model as the user names it, for the message.</param>
    /// <exception cref="ArgumentException">A name is none of the model's feature files; the message lists them.</exception>
    public static void CheckPartNames(Data.LoadedModel loaded, IReadOnlyList<string> names, string source, string modelName)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(names);
        var files = FitProvenance.FromMetadata(loaded.Metadata).TaskFeatureFiles;
        if (files is null || names.FirstOrDefault(n => !files.Contains(n, StringComparer.Ordinal)) is not { } unknown)
        {
            return;
        }

        throw new ArgumentException(
            $"{source}: '{Echo.Printable(unknown)}' is not one of the task feature files {modelName} was fitted with ({string.Join(", ", files)}); name each part by one of them{(Suggestion.DidYouMean(unknown, files) is { Length: > 0 } guess ? guess : ".")}",
            nameof(names));
    }

    // Two blocks of a query that both stand for a view the prior reads (the same name, or the same columns under another name:
    // two files, or a request's two parts, giving lr and steps) would make the answer depend on their order: refused, naming both.
    private static void Ambiguous(Core.Features.TaskFeatureModel model, Core.Features.FeatureSet features, string source)
    {
        foreach (var view in model.Views)
        {
            var standing = features.Blocks.Where(b => string.Equals(b.Name, view.BlockName, StringComparison.Ordinal) || view.Matches(b)).ToArray();
            if (standing.Length > 1)
            {
                var files = standing.Select(b => $"'{FitProvenance.FileOf(b.Name, b.Kind)}'").Distinct(StringComparer.Ordinal).ToArray();
                throw new ArgumentException(
                    $"{source}: {string.Join(" and ", files)} both give the columns of '{FitProvenance.FileOf(view.BlockName, view.Kind)}' ({string.Join(", ", view.Columns.Take(8))}{(view.Columns.Count > 8 ? ", ..." : string.Empty)}), which the model's prior reads, so which one it would read depends on their order; give those columns once, in one of them.",
                    nameof(features));
            }
        }
    }

    /// <summary>
    /// What the caller should know about these features, or null: a categorical value the model was never fitted with (a new
    /// family, or a misspelt one), which counts as none of the model's levels; a value that differs in a setting every training
    /// task had the same value in (seed 1 where each had 0), which the model ignores; a setting far outside the training tasks'.
    /// </summary>
    public string? Warning { get; init; }

    /// <summary>
    /// How many training standard deviations from the training tasks' mean a numeric setting may lie before a query is told its
    /// prior is an extrapolation (a setting the model has seen nothing like).
    /// </summary>
    public const double FarFromTrainingLimit = 10;

    private static string? FarFromTraining(Core.Features.TaskFeatureModel model, Core.Features.FeatureSet features, int row, string source)
    {
        var far = model.Views.SelectMany(v => v.FarFromTraining(features, row, FarFromTrainingLimit)).ToArray();
        return far.Length == 0 ? null
            : $"{source}: {Extrapolation.Describe(far, "the training tasks'")}, {Extrapolation.Consequence("its prior")}";
    }

    private static string? ChangedConstants(Core.Features.TaskFeatureModel model, Core.Features.FeatureSet features, int row, string source)
    {
        var parts = Extrapolation.ChangedConstants(model.Views.Concat(model.ConstantViews), features, row, "training task").Select(u => u.Text).ToList();
        return parts.Count == 0 ? null : $"{source}: {string.Join("; ", parts)}. {Extrapolation.ConstantConsequence("its prior rests")}";
    }

    private static string? UnseenLevels(Core.Features.TaskFeatureModel model, Core.Features.FeatureSet features, int row, string source)
    {
        var parts = Extrapolation.UnseenLevels(model.Views.Concat(model.ConstantViews), features, row).Select(u => u.Text).ToList();
        return parts.Count == 0 ? null
            : $"{source}: {string.Join("; ", parts)}. The task counts as none of the model's levels there, so its prior rests on its other features; check the spelling unless the level is new.";
    }
}

/// <summary>The forecast use case: fold a new task in and report what it will erase.</summary>
public static class Forecasting
{
    /// <summary>Coverage of group intervals.</summary>
    public const double Coverage = 0.9;

    private static readonly double s_z = NormalDistribution.NormalQuantile(0.5 + (Coverage / 2));

    /// <summary>
    /// Folds the task of <paramref name="model"/> in from its measured cells, starting from the prior its features give when
    /// <paramref name="features"/> is not null (the task feature model decides how far to trust it once cells are measured).
    /// </summary>
    /// <exception cref="ArgumentException">A cell is not valid for the model (<see cref="FoldedTask.ValidateKnown"/>), the model is
    /// binary and a cell is not 0 or 1, a value lies beyond <see cref="ScaleLimit"/> predictive stds of what the model expects (a unit mistake), or the features do not suit the
    /// model.</exception>
    /// <exception cref="OptionException"><paramref name="prior"/> is not the default and <paramref name="features"/> is given (the
    /// feature model gives the prior).</exception>
    public static FoldedTask FoldIn(IForgettingModel model, ObservedCells cells, FoldInPrior prior, string cellsSource = "observed", TaskFeatureQuery? features = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(cells);
        CheckCells(model, cells, cellsSource);
        if (features is null)
        {
            return model.FoldIn(cells.Examples, cells.Values, new FoldInOptions { Prior = prior });
        }

        if (prior != FoldInPrior.Empirical)
        {
            // The feature model gives the task's prior; a named fold-in prior would be ignored.
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ForecastOptionNames.Prior, Choices.Prior.NameOf(prior))} is a fold-in prior without task features; with {new OptionReference(ForecastOptionNames.TaskFeatures)}, the task feature model gives the prior of the task's parameters, so it would be ignored: drop one of them."));
        }

        if (model is not FactorModel factor || features.Model.TaskCount != model.TaskCount)
        {
            throw new ArgumentException("The task feature model does not belong to this model; refit with --task-features.", nameof(features));
        }

        var featurePrior = features.Model.Prior(features.Features, features.Row, factor, cells.Examples, cells.Values);
        return factor.FoldIn(cells.Examples, cells.Values, new FoldInOptions { TaskPrior = featurePrior });
    }

    /// <summary>
    /// How far, in predictive standard deviations, a measured value may lie from the model's prediction for an average task
    /// at its example: beyond it the value is not in the units of the matrix the model was fitted on (or is a typo), and is
    /// refused rather than folded in (a cell of 1e30 would otherwise give a row of 1e29s; one of 1e308 overflows). The
    /// library's <see cref="FoldInScale.Limit"/>: the rule is Core's (<see cref="FoldInScale"/>), said here in the front ends' words.
    /// </summary>
    public const double ScaleLimit = FoldInScale.Limit;

    /// <summary>
    /// How far, in predictive standard deviations, the measured cells may lie from the model's prediction for an average task
    /// in the median over the cells before <see cref="ScaleWarning"/> warns that they look measured in other units: the
    /// library's <see cref="FoldInScale.UnitMistakeLimit"/> (the rule is Core's, <see cref="FoldInScale.FindUnitMistake"/>).
    /// </summary>
    public const double UnitMistakeLimit = FoldInScale.UnitMistakeLimit;

    /// <summary>
    /// The warning for measured cells that as a whole look measured in other units than the matrix the model was fitted on
    /// (<see cref="FoldInScale.FindUnitMistake"/>: their median distance from what the model expects of an average task is beyond
    /// <see cref="UnitMistakeLimit"/> predictive stds), naming the median distance, the power of ten they seem off by and the
    /// fix; null when they do not (or there is no cell, or the model is binary). The task is still folded in: the values may be
    /// right (a task unlike any seen), so <c>predict</c>, <c>replay</c> and the service answer and show this beside the answer.
    /// </summary>
    /// <param name="model">The model the cells are for.</param>
    /// <param name="cells">The measured cells.</param>
    /// <param name="cellsSource">Where the cells came from (a file name, a request field), prefixed to the message.</param>
    /// <exception cref="ArgumentException">The cells are refused as <see cref="FoldIn"/> refuses them (not valid for the model, not
    /// 0 or 1 for a binary model, a value beyond <see cref="ScaleLimit"/> stds), with the same message.</exception>
    public static string? ScaleWarning(IForgettingModel model, ObservedCells cells, string cellsSource = "observed")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(cells);
        CheckCells(model, cells, cellsSource);
        if (FoldInScale.FindUnitMistake(model, cells.Examples, cells.Values) is not { } found)
        {
            return null;
        }

        var said = string.Create(CultureInfo.InvariantCulture,
            $"{cellsSource}: the {found.CellCount:N0} measured value{(found.CellCount == 1 ? " lies" : "s lie")} a median of {Distance(found.MedianDistance)} predictive stds from what the model expects of an average task (every task of the bundled matrices lies within 4; this warning starts beyond {UnitMistakeLimit:0}), so they look measured in other units than the matrix the model was fitted on.");
        var fix = found.Decades switch
        {
            > 0 => string.Create(CultureInfo.InvariantCulture,
                $" They seem about {Power(found.Decades)} times too large: divide them by {Power(found.Decades)} (they would then lie a median of {Distance(found.RescaledMedianDistance)} stds away), or check that they measure the same forgetting as the training matrix."),
            < 0 => string.Create(CultureInfo.InvariantCulture,
                $" They seem about {Power(-found.Decades)} times too small: multiply them by {Power(-found.Decades)} (they would then lie a median of {Distance(found.RescaledMedianDistance)} stds away), or check that they measure the same forgetting as the training matrix."),
            _ => " No power of ten brings them near it, so it is not only a unit: check that they measure the same forgetting as the training matrix (the same loss, after minus before) at the examples named.",
        };
        fix += " They were folded in as given.";
        return said + fix;

        static string Distance(double d) => d >= 100 ? d.ToString("N0", CultureInfo.InvariantCulture) : d.ToString("0.#", CultureInfo.InvariantCulture);
        static string Power(int decades) => Math.Pow(10, decades).ToString("#,0", CultureInfo.InvariantCulture);
    }

    // The cells' checks before a fold-in (FoldIn and ScaleWarning): valid for the model, 0 or 1 for a binary one, within the scale.
    private static void CheckCells(IForgettingModel model, ObservedCells cells, string cellsSource)
    {
        FoldedTask.ValidateKnown(cells.Examples, cells.Values, model.ExampleCount);
        if (model.PredictsProbability && Array.FindIndex(cells.Values, v => v is not (0 or 1)) is var bad and >= 0)
        {
            // The cell named where it was read (file, line, column), with its example and the fix.
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"example '{model.ExampleIds[cells.Examples[bad]]}' has value {cells.Values[bad]:G6}, but the model is binary (logistic), so measured cells must be 0 or 1 (1 = forgotten): threshold the measurements first (1 where the example was forgotten), or predict with a model fitted by 'mf' or 'additive' for continuous forgetting.");
            throw (Exception?)cells.AtCell(bad, detail) ?? new ArgumentException($"{cellsSource}: {detail}", nameof(cells));
        }

        CheckScale(model, cells, cellsSource);
    }

    // Core's check (its average-task row is cached per model there), with the message naming the cells' source.
    private static void CheckScale(IForgettingModel model, ObservedCells cells, string cellsSource)
    {
        if (FoldInScale.Find(model, cells.Examples, cells.Values) is { } off)
        {
            // Core's words (the example, the value, the model's scale there and what to divide or multiply by), after the source.
            throw new ArgumentException($"{cellsSource}: {off.Describe()}", nameof(cells));
        }
    }

    /// <summary>Forecasts the request's task.</summary>
    /// <param name="request">The task and what to report.</param>
    /// <param name="scanner">
    /// For <see cref="ForecastDetail.Summary"/>: a scanner of the request's model and groups, kept by a caller that answers many
    /// requests (built here when null). Ignored for <see cref="ForecastDetail.EveryExample"/>.
    /// </param>
    /// <exception cref="ArgumentException">A measured cell is not valid for the model, or the scanner is not of the request's model.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count or the threshold is out of range.</exception>
    public static Forecast Forecast(ForecastRequest request, RowScanner? scanner = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var threshold = ForgettingThreshold.Resolve(request.Model, request.Threshold);
        var task = request.FoldIn();
        var forecast = request.Detail == ForecastDetail.EveryExample ? Report(request, task, threshold.Value) : Scan(request, task, scanner, threshold.Value);
        forecast = forecast with { ThresholdRule = threshold.Rule, Measured = request.Cells };
        if (request.NewExamples is not { } query)
        {
            return forecast;
        }

        var cold = Cold(task, query, forecast.Threshold);
        return request.Groups is null || query.Labels is null
            ? forecast with { ColdExamples = cold }
            : forecast with { ColdExamples = cold, Groups = WithNewExamples(request, task, forecast.Groups, cold) };
    }

    // The groups with their new examples (cold columns) counted in: a group some new example belongs to gets them in its count,
    // mean, interval, share and top list; a label only new examples have is a group of its own. Groups without new examples
    // are kept as they were. Most damaged first again.
    private static ForecastGroup[] WithNewExamples(ForecastRequest request, FoldedTask task, IReadOnlyList<ForecastGroup> groups, ColdExampleForecast[] cold)
    {
        var query = request.NewExamples!;
        var modelGroups = request.Groups!;
        var offset = request.Model.ExampleCount;
        var rows = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var order = new List<string>();
        for (var c = 0; c < cold.Length; c++)
        {
            if (cold[c].Group is not { } label)
            {
                continue;
            }

            if (!rows.TryGetValue(label, out var list))
            {
                rows[label] = list = [];
                order.Add(label);
            }

            list.Add(c);
        }

        var byName = groups.ToDictionary(g => g.Name, StringComparer.Ordinal);
        var index = Enumerable.Range(0, modelGroups.Count).ToDictionary(g => modelGroups.Names[g], StringComparer.Ordinal);
        var result = groups.Where(g => !rows.ContainsKey(g.Name)).ToList();
        foreach (var name in order)
        {
            var newRows = rows[name];
            var members = index.TryGetValue(name, out var g) ? modelGroups.Members(g) : [];
            var measured = byName.GetValueOrDefault(name);
            var n = members.Length + newRows.Count;
            var (mean, variance) = Average(query, task, members, [.. newRows]);
            var half = s_z * Math.Sqrt(Math.Max(variance, 0));
            var expected = ((measured?.Share ?? 0) * members.Length) + newRows.Sum(c => cold[c].Probability);
            ForecastExample[] top = [.. (measured?.TopExamples ?? [])
                .Concat(newRows.Select(c => new ForecastExample(offset + c, cold[c].Id, name, cold[c].Predicted, cold[c].Std, cold[c].Probability) { IsNew = true }))
                .OrderByDescending(e => e.Predicted).ThenBy(e => e.Example)
                .Take(request.TopPerGroup)];
            result.Add(new ForecastGroup(name, n, mean, mean - half, mean + half, expected / n, top) { NewCount = newRows.Count });
        }

        result.Sort(static (a, b) => ErasureReport.MostDamagedFirst(a.Mean, a.Name, b.Mean, b.Name));
        return [.. result];
    }

    private static (double Mean, double Variance) Average(NewExampleQuery query, FoldedTask task, ReadOnlySpan<int> members, ReadOnlySpan<int> newRows)
    {
        try
        {
            return query.Model.Average(task, members, query.Features, newRows);
        }
        catch (ArgumentException e)
        {
            throw From(query.Source, e, nameof(query));
        }
    }

    // The library's refusal of an input (features, a matrix), prefixed with where it came from (a file, a request field),
    // without the " (Parameter 'x')" suffix ArgumentException adds.
    internal static ArgumentException From(string source, ArgumentException e, string parameter) =>
        new($"{source}: {ExceptionText.Clause(e)}", parameter, e);

    // The new examples' forgetting from their features, for the folded task.
    private static ColdExampleForecast[] Cold(FoldedTask task, NewExampleQuery query, double threshold)
    {
        var count = query.Features.Count;
        var mean = new double[count];
        var std = new double[count];
        try
        {
            query.Model.PredictNewExamples(task, query.Features, mean, std);
        }
        catch (ArgumentException e)
        {
            throw From(query.Source, e, nameof(query));
        }

        for (var j = 0; j < count; j++)
        {
            if (!double.IsFinite(mean[j]) || !double.IsFinite(std[j]))
            {
                // An overflow (a feature of 1e200): never answered as infinity or NaN, which no table or JSON can carry.
                var (view, column, value, deviations) = query.Model.Farthest(query.Features, j);
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{query.Source}: new example '{query.Features.Ids[j]}' cannot be predicted: its prediction ({mean[j]:G4}, std {std[j]:G4}) is not a finite number, because its feature {(view == column ? $"'{view}'" : $"'{column}' of '{view}'")} is {value:G4}, {deviations:G3} standard deviations from the measured examples' values. Give its features in the units of the files the model was fitted with."),
                    nameof(query));
            }
        }

        var labels = query.Labels;
        return [.. Enumerable.Range(0, count).Select(j => new ColdExampleForecast(query.Features.Ids[j], mean[j], std[j], NormalDistribution.ExceedanceProbability(mean[j], std[j], threshold))
        {
            Group = labels is null || string.IsNullOrWhiteSpace(labels[j]) ? null : labels[j],
        })];
    }

    /// <summary>
    /// The per-example table of a forecast with every example (<see cref="ForecastDetail.EveryExample"/>), in the model's example
    /// order: <c>example, predicted, std, probability, rank</c>, <c>group</c> when grouped, then <c>measured</c> (true for the
    /// cells the forecast was given) and <c>measured_value</c> (their value; empty elsewhere), so users can tell measured cells
    /// from predicted ones. With new examples (<see cref="Forecast.ColdExamples"/>, cold columns) their rows follow the model's
    /// (no rank, never measured; their group when the forecast is grouped) and a <c>cold</c> column marks them.
    /// </summary>
    /// <exception cref="ArgumentException">The forecast holds only a summary (<see cref="ForecastDetail.Summary"/>).</exception>
    public static OutputTable ExampleTable(Forecast forecast)
    {
        ArgumentNullException.ThrowIfNull(forecast);
        var report = forecast.Report ?? throw new ArgumentException("The per-example table needs a forecast with every example (ForecastDetail.EveryExample).", nameof(forecast));
        var examples = report.Examples;
        var cold = forecast.ColdExamples;
        var measured = new bool?[examples.Count + cold.Count];
        var values = new double[examples.Count + cold.Count];
        Array.Fill(values, double.NaN);
        Array.Fill(measured, false);
        var cells = forecast.Measured;
        for (var t = 0; t < cells.Examples.Length; t++)
        {
            measured[cells.Examples[t]] = true;
            values[cells.Examples[t]] = cells.Values[t];
        }

        var columns = new List<TableColumn>
        {
            IdColumns.Column("example", [.. examples.Select(e => e.Id), .. cold.Select(c => c.Id)]),
            TableColumn.Doubles("predicted", [.. examples.Select(e => e.Predicted), .. cold.Select(c => c.Predicted)]),
            TableColumn.Doubles("std", [.. examples.Select(e => e.Std), .. cold.Select(c => c.Std)]),
            TableColumn.Doubles("probability", [.. examples.Select(e => e.Probability), .. cold.Select(c => c.Probability)]),
            TableColumn.Int64s("rank", [.. examples.Select(e => (long?)e.Rank), .. cold.Select(_ => (long?)null)]),
        };
        if (forecast.Groups.Count > 0)
        {
            columns.Add(IdColumns.Column("group", [.. examples.Select(e => e.Group), .. cold.Select(c => c.Group)]));
        }

        columns.Add(TableColumn.Booleans("measured", measured));
        columns.Add(TableColumn.Doubles("measured_value", values));
        if (cold.Count > 0)
        {
            columns.Add(TableColumn.Booleans("cold", [.. examples.Select(_ => (bool?)false), .. cold.Select(_ => (bool?)true)]));
        }

        return new OutputTable(columns);
    }

    private static Forecast Report(ForecastRequest request, FoldedTask task, double threshold)
    {
        var report = ErasureReport.Create(task, request.Model.ExampleIds, request.Groups,
            new ErasureOptions { Top = request.Top, TopPerGroup = request.TopPerGroup, Threshold = threshold, Coverage = Coverage });
        var top = report.TopExamples.Select(Example).ToArray();
        var groups = report.Groups
            .Select(g => new ForecastGroup(g.Name, g.Count, g.MeanForgetting, g.Lower, g.Upper, g.ShareForgotten, [.. g.TopExamples.Select(Example)]))
            .ToArray();
        return new Forecast(task, report.Threshold, report.Examples.Sum(e => e.Probability), top, groups, report);

        static ForecastExample Example(ExampleForecast e) => new(e.Example, e.Id, e.Group, e.Predicted, e.Std, e.Probability);
    }

    private static Forecast Scan(ForecastRequest request, FoldedTask task, RowScanner? scanner, double threshold)
    {
        var model = request.Model;
        var groups = request.Groups;
        scanner ??= new RowScanner(model, groups);
        if (!ReferenceEquals(scanner.Model, model) || scanner.GroupCount != (groups?.Count ?? 0))
        {
            throw new ArgumentException("The scanner is not of the request's model and groups.", nameof(scanner));
        }

        var scan = scanner.Scan(task, new RowScanOptions { Threshold = threshold, Top = request.Top, TopPerGroup = request.TopPerGroup });
        var ids = model.ExampleIds;
        ForecastExample Example(ScannedExample e) => new(e.Example, ids[e.Example], groups?.Labels[e.Example], e.Mean, e.Std, e.Probability);
        var forecastGroups = new List<ForecastGroup>(groups?.Count ?? 0);
        for (var g = 0; g < (groups?.Count ?? 0); g++)
        {
            var members = groups!.Members(g);
            var (mean, lower, upper) = ErasureReport.GroupInterval(task, members, s_z);
            forecastGroups.Add(new ForecastGroup(groups.Names[g], members.Length, mean, lower, upper, scan.GroupExpected[g] / members.Length, [.. scan.GroupTop[g].Select(Example)]));
        }

        forecastGroups.Sort(static (a, b) => ErasureReport.MostDamagedFirst(a.Mean, a.Name, b.Mean, b.Name));
        return new Forecast(task, threshold, scan.ExpectedForgotten, [.. scan.Top.Select(Example)], forecastGroups, null);
    }
}

/// <summary>The names the forecast use cases' messages give a task request's settings (<see cref="TaskRequest"/>), for front ends to
/// word as their own (a flag, a field).</summary>
public static class ForecastOptionNames
{
    /// <summary><see cref="TaskRequest.Prior"/>.</summary>
    public const string Prior = "TaskRequest.Prior";

    /// <summary><see cref="TaskRequest.TaskFeatures"/>.</summary>
    public const string TaskFeatures = "TaskRequest.TaskFeatures";
}

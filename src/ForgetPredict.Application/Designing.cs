using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Data.Tables;

namespace ForgetPredict.Application;

/// <summary>
/// What to design: the past tasks (or a model fitted on them), how many cells the new task can afford to measure, the
/// criterion and its groups.
/// </summary>
public sealed record MeasurementRequest
{
    /// <summary>The past tasks' forgetting, which the design model is fitted on; null when <see cref="Model"/> is given.</summary>
    public ForgettingMatrix? Matrix { get; init; }

    /// <summary>The matrix as the user names it (a file name), prefixed to what is wrong with it (a constant matrix, say).</summary>
    public string Source { get; init; } = "the matrix";

    /// <summary>
    /// A model fitted already, to design on instead of fitting one (<see cref="ActiveDesign.Of"/>: its factor model, or an
    /// ensemble's heaviest factor member); null when <see cref="Matrix"/> is given. Give one of the two.
    /// </summary>
    public IForgettingModel? Model { get; init; }

    /// <summary>The default <see cref="Count"/>, every front end's default.</summary>
    public const int DefaultCount = 10;

    /// <summary>Cells the new task will measure after its fine-tune.</summary>
    public int Count { get; init; } = DefaultCount;

    /// <summary>What the cells should pin down; <see cref="ActiveCriterion.Neighbours"/>, adaptive, cannot be planned in
    /// advance and is refused.</summary>
    public ActiveCriterion Criterion { get; init; } = ActiveCriterion.VOptimal;

    /// <summary>Worker threads of the design model's fit (from <see cref="Matrix"/>), or -1 for all cores; the design is the same for every value.</summary>
    public int MaxThreads { get; init; } = -1;

    /// <summary>
    /// Examples the new task has measured already (null: none), in the order they were measured: the design chooses the next
    /// ones given them, never them again (designing k cells, then k more given the first k, gives the cells of 2k at once).
    /// </summary>
    public IReadOnlyList<int>? Measured { get; init; }

    /// <summary>Examples that cannot be measured (e.g. a held-out evaluation set), or null: the design chooses among the others.</summary>
    public IReadOnlySet<int>? Excluded { get; init; }

    /// <summary>The example groups whose means <see cref="ActiveCriterion.GroupMeans"/> targets (null: the whole row's mean).</summary>
    public ExampleGroups? Groups { get; init; }
}

/// <summary>A measurement design: the examples to measure, most informative first, and the model that chose them.</summary>
/// <param name="Examples">The chosen examples (indices into the matrix's or the model's examples), in the order chosen.</param>
/// <param name="Design">The design model.</param>
/// <param name="Criterion">The criterion used.</param>
/// <param name="Candidates">The examples it chose among: those neither excluded nor measured already.</param>
public sealed record MeasurementDesign(int[] Examples, ActiveDesign Design, ActiveCriterion Criterion, int Candidates)
{
    /// <summary>
    /// The measuring order of the first chosen example: 1, or one past the cells measured already
    /// (<see cref="MeasurementRequest.Measured"/>), so a design made in batches numbers its cells as one design would.
    /// </summary>
    public int FirstOrder { get; init; } = 1;

    /// <summary>
    /// What the design was computed on, for reports: "an mf model (rank 8) of 46 past tasks" when fitted for it, "the model
    /// (mf, rank 8; 46 past tasks)" or "the model's mf rank 4 member (weight 0.58; 46 past tasks)" for a fitted model.
    /// </summary>
    public required string Basis { get; init; }
}

/// <summary>The cells a task has measured already, as <see cref="Designing.Template"/> lists them before the new ones.</summary>
/// <param name="Examples">Their example ids, in the order measured.</param>
/// <param name="Values">Their measured values.</param>
/// <param name="Groups">Their groups (null exactly when the design has no group column).</param>
public sealed record MeasuredSheet(IReadOnlyList<string> Examples, IReadOnlyList<double> Values, IReadOnlyList<string?>? Groups)
{
    /// <summary>The sheet of a task's measured cells: their example ids and values in the order given, and their groups when the
    /// design has groups (null otherwise).</summary>
    /// <param name="cells">The cells measured already (example positions and values).</param>
    /// <param name="exampleIds">The model's example ids, by position.</param>
    /// <param name="groups">The design's groups, or null.</param>
    public static MeasuredSheet Of(Data.Formats.ObservedCells cells, IReadOnlyList<string> exampleIds, ExampleGroups? groups)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(exampleIds);
        return new MeasuredSheet([.. cells.Examples.Select(j => exampleIds[j])], cells.Values,
            groups is null ? null : [.. cells.Examples.Select(j => groups.Labels[j])]);
    }
}

/// <summary>The names <see cref="Designing.Design"/>'s messages give the request's settings, for front ends to word as their own (a flag, a field).</summary>
public static class DesignOptionNames
{
    /// <summary><see cref="MeasurementRequest.Count"/>: the cells to measure.</summary>
    public const string Count = "MeasurementRequest.Count";

    /// <summary><see cref="MeasurementRequest.Criterion"/>: what the design minimises.</summary>
    public const string Criterion = "MeasurementRequest.Criterion";
}

/// <summary>
/// The active-measurement use case: which upstream examples a new task should measure after its fine-tune, so that a fold-in
/// from those few cells predicts the rest of its row best (the design of the protocol's <c>--reveal active</c>).
/// </summary>
public static class Designing
{
    /// <summary>The criteria a design made in advance can use (every one but the adaptive <see cref="ActiveCriterion.Neighbours"/>).</summary>
    public static IReadOnlyList<ActiveCriterion> Criteria { get; } = [ActiveCriterion.VOptimal, ActiveCriterion.DOptimal, ActiveCriterion.GroupMeans];

    /// <summary>The names of <see cref="Criteria"/>: what a design's help lists and an unknown criterion's message suggests.</summary>
    public static NamedChoice<ActiveCriterion> CriterionNames { get; } = Choices.Criterion.Only(Criteria);

    /// <summary>The least <see cref="MeasurementRequest.Count"/> a design takes: 1 cell.</summary>
    public const int LeastCount = 1;

    /// <summary>The least value the setting named <paramref name="option"/> (a <see cref="DesignOptionNames"/> name) takes, as
    /// <see cref="Design"/> checks it, or null when it is no whole-number setting of a design.</summary>
    /// <param name="option">The setting's name.</param>
    public static int? Least(string? option) => option == DesignOptionNames.Count ? LeastCount : null;

    /// <summary>
    /// A design's criterion by name (null: the default). Every criterion's name parses, so that <see cref="Design"/> refuses the
    /// adaptive one with its reason; a name that is none of them is refused listing only <see cref="Criteria"/>.
    /// </summary>
    /// <exception cref="UnknownNameException">The name is no criterion's; the message lists the criteria a design accepts.</exception>
    public static ActiveCriterion ParseCriterion(string? name) =>
        name is null ? CriterionNames.Default
            : Choices.Criterion.TryParse(name, out var criterion) ? criterion
            : throw new UnknownNameException(CriterionNames.Kind, name, CriterionNames.UnknownMessage(name));

    /// <summary>Fits the design model on the past tasks (or takes the fitted model's) and chooses the cells.</summary>
    /// <exception cref="ArgumentException">Neither or both of a matrix and a model are given, the model has no factor model to
    /// design on (<see cref="ActiveDesign.Of"/>), the criterion is adaptive, the count is out of range (or above the examples neither
    /// excluded nor measured), a measured example is out of range or repeated, or the groups do not cover
    /// the matrix's examples or (for group means) hold none of them.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <param name="request">What to design.</param>
    /// <param name="cancellationToken">Stops the design model's fit on the past tasks between solver sweeps; cancelled while the
    /// cells are chosen (seconds for tens of thousands of cells), the design is dropped when the choice ends.</param>
    public static MeasurementDesign Design(MeasurementRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Criteria.Contains(request.Criterion))
        {
            throw new OptionException(OptionMessage.Of(
                $"The {Choices.Criterion.NameOf(request.Criterion)} criterion chooses each cell after measuring the ones before it, so it cannot be planned in advance; choose one of {string.Join(", ", Criteria.Select(Choices.Criterion.NameOf))} ({new OptionReference(DesignOptionNames.Criterion)})."));
        }

        if ((request.Matrix is null) == (request.Model is null))
        {
            throw new ArgumentException("Give the past tasks' matrix or a model fitted on them to design on, and only one of the two.", nameof(request));
        }

        var n = request.Matrix?.ExampleCount ?? request.Model!.ExampleCount;
        if (request.Count < LeastCount || request.Count > n)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(DesignOptionNames.Count)} (the cells to measure) must be between {LeastCount} and the {n:N0} examples; it is {request.Count}."));
        }

        var measured = request.Measured ?? [];
        ActiveReveal.CheckMeasured(measured, n, nameof(request));

        var unavailable = new HashSet<int>(measured);
        unavailable.UnionWith(request.Excluded?.Where(j => (uint)j < (uint)n) ?? []);
        var candidates = n - unavailable.Count;
        if (request.Count > candidates)
        {
            throw new OptionException(OptionMessage.Of(
                $"{request.Count} cells were asked for, but only {candidates:N0} of the {n:N0} examples are neither excluded nor measured already; lower {new OptionReference(DesignOptionNames.Count)} or exclude fewer."));
        }

        if (request.Groups is { } g && g.ExampleCount != n)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The groups cover {g.ExampleCount:N0} examples; the {(request.Matrix is null ? "model" : "matrix")} has {n:N0}."), nameof(request));
        }

        IReadOnlyList<int[]>? groups = request.Groups is { } labelled && request.Criterion == ActiveCriterion.GroupMeans
            ? [.. Enumerable.Range(0, labelled.Count).Select(i => labelled.Members(i).ToArray()).Where(m => m.Length > 0)]
            : null;
        if (groups is { Count: 0 })
        {
            throw new ArgumentException("No example is in a group, so there are no group means to pin down: check that the metadata's ids match the matrix's examples, or drop the groups to target the whole row's mean.", nameof(request));
        }

        ActiveDesign design;
        try
        {
            design = request.Matrix is { } matrix
                ? ActiveDesign.Fit(matrix, new LowRankFitter(new LowRankOptions { MaxThreads = request.MaxThreads }), cancellationToken)
                : ActiveDesign.Of(request.Model!);
        }
        catch (ArgumentException e) when (request.Matrix is not null && e.ParamName == "matrix" && e is not OptionException)
        {
            // What is wrong with the matrix (a constant one, say) names the file it came from, as fit's message does.
            throw Forecasting.From(request.Source, e, nameof(request));
        }
        catch (ArgumentException e) when (request.Matrix is null && e.ParamName == "model" && e is not OptionException)
        {
            // A model no design can be made on (knn, logistic, task-mean): the fix is another model or the matrix, a setting of
            // the request (exit 2 on the command line, as a refused option is), not the model file's content.
            throw new OptionException(OptionMessage.Of($"{e.Message.Split(" (Parameter", 2)[0]}"));
        }

        var excluded = request.Excluded;
        cancellationToken.ThrowIfCancellationRequested();
        var examples = design.Choose(request.Count, request.Criterion, excluded is null ? null : j => !excluded.Contains(j), groups, measured);
        cancellationToken.ThrowIfCancellationRequested();
        return new MeasurementDesign(examples, design, request.Criterion, candidates) { Basis = BasisOf(design, request.Model), FirstOrder = measured.Count + 1 };
    }

    /// <summary>
    /// The table a design is handed out as, which <c>predict --observed</c> reads once it is filled in:
    /// <c>example,value,order[,group]</c>, one row per example in the order chosen, the values empty (NaN). With the cells
    /// measured already (a design made in batches), they come first with their values and orders 1..m, and the chosen examples
    /// follow from m + 1: the whole task's sheet, which <c>predict --observed</c> takes once the new values are filled in.
    /// </summary>
    /// <param name="examples">The chosen examples' ids, in the order chosen.</param>
    /// <param name="groups">Their groups (null: no group column; a null entry: an example in no group).</param>
    /// <param name="measured">The cells measured already, in their order (null: none).</param>
    /// <exception cref="ArgumentException">The groups are not one per example, or the measured cells have a group column
    /// exactly when the chosen examples do not.</exception>
    public static OutputTable Template(IReadOnlyList<string> examples, IReadOnlyList<string?>? groups, MeasuredSheet? measured = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (groups is not null && groups.Count != examples.Count)
        {
            throw new ArgumentException("Give one group per chosen example.", nameof(groups));
        }

        var before = measured ?? new MeasuredSheet([], [], groups is null ? null : []);
        if ((before.Groups is null) != (groups is null) || before.Values.Count != before.Examples.Count || (before.Groups is { } g && g.Count != before.Examples.Count))
        {
            throw new ArgumentException("The measured cells need one value per example, and groups exactly when the chosen examples have them.", nameof(measured));
        }

        var columns = new List<TableColumn>
        {
            IdColumns.Column("example", [.. before.Examples, .. examples]),
            TableColumn.Doubles("value", [.. before.Values, .. examples.Select(_ => double.NaN)]),
            TableColumn.Int64s("order", [.. Enumerable.Range(1, before.Examples.Count + examples.Count).Select(i => (long?)i)]),
        };
        if (groups is not null)
        {
            columns.Add(IdColumns.Column("group", [.. before.Groups!, .. groups]));
        }

        return new OutputTable([.. columns]);
    }

    private static string BasisOf(ActiveDesign design, IForgettingModel? fitted)
    {
        var model = design.Model;
        var tasks = string.Create(CultureInfo.InvariantCulture, $"{model.TaskCount} past {Echo.Plural(model.TaskCount, "task")}");
        if (fitted is null)
        {
            return string.Create(CultureInfo.InvariantCulture, $"an mf model (rank {model.Rank}) of {tasks}");
        }

        if (design.Member is { } member)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the model's {member} member (weight {design.Weight:0.00}; {tasks})");
        }

        var rank = model.Rank > 0 ? string.Create(CultureInfo.InvariantCulture, $", rank {model.Rank}") : string.Empty;
        return $"the model ({ModelCatalog.NameOf(model.Method)}{rank}; {tasks})";
    }
}

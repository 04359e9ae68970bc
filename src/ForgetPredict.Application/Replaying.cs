using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Replay;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Application;

/// <summary>What to replay for: a new task (its measured cells, or none) folded into a model, and how to choose.</summary>
public sealed record ReplayPlanRequest
{
    /// <summary>The model to fold the task into.</summary>
    public required IForgettingModel Model { get; init; }

    /// <summary>The new task's measured cells.</summary>
    public ObservedCells Cells { get; init; } = ObservedCells.None;

    /// <summary>Where the cells came from, for messages.</summary>
    public string CellsSource { get; init; } = "observed";

    /// <summary>The fold-in prior.</summary>
    public FoldInPrior Prior { get; init; } = FoldInPrior.Empirical;

    /// <summary>Example groups (needed by <see cref="ReplayStrategy.Stratified"/>), or null.</summary>
    public ExampleGroups? Groups { get; init; }

    /// <summary>Examples never to replay, or null.</summary>
    public IReadOnlySet<int>? Excluded { get; init; }

    /// <summary>Budget, strategy and its settings.</summary>
    public ReplayOptions Options { get; init; } = new();

    /// <summary>The task's features and the model's task feature model, or null (see <see cref="ForecastRequest.TaskFeatures"/>).</summary>
    public TaskFeatureQuery? TaskFeatures { get; init; }
}

/// <summary>How many examples of a group a replay set holds.</summary>
/// <param name="Name">The group, or "(no metadata)" for examples in no group.</param>
/// <param name="Replayed">Examples of it chosen.</param>
/// <param name="Examples">Examples it has.</param>
public sealed record ReplayGroupCount(string Name, int Replayed, int Examples);

/// <summary>A chosen replay set.</summary>
/// <param name="Task">The folded-in task whose predictions chose it.</param>
/// <param name="Set">The chosen examples and their coverage.</param>
/// <param name="Groups">Per group (with groups): examples chosen and examples in all, most replayed first; else empty.</param>
public sealed record ReplayPlan(FoldedTask Task, ReplaySet Set, IReadOnlyList<ReplayGroupCount> Groups);

/// <summary>The replay use case: choose upstream examples to mix back into a planned fine-tune.</summary>
public static class Replaying
{
    /// <summary>The group name reported for examples in no group.</summary>
    public const string Ungrouped = "(no metadata)";

    /// <summary>Folds the task in, predicts its row and chooses the replay set.</summary>
    /// <exception cref="ArgumentException">A measured cell is not valid for the model, or stratified selection has no groups.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static ReplayPlan Plan(ReplayPlanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var task = Forecasting.FoldIn(request.Model, request.Cells, request.Prior, request.CellsSource, request.TaskFeatures);
        var groups = request.Groups;
        var set = ReplaySelector.Select(task.PredictRow(), groups?.Labels, request.Excluded, request.Options);
        if (groups is null)
        {
            return new ReplayPlan(task, set, []);
        }

        var replayed = new int[groups.Count + 1];
        foreach (var item in set.Items)
        {
            var g = groups.GroupOf(item.Example);
            replayed[g < 0 ? groups.Count : g]++;
        }

        var counts = new List<ReplayGroupCount>();
        for (var g = 0; g <= groups.Count; g++)
        {
            if (replayed[g] > 0)
            {
                counts.Add(g < groups.Count
                    ? new ReplayGroupCount(groups.Names[g], replayed[g], groups.Members(g).Length)
                    : new ReplayGroupCount(Ungrouped, replayed[g], groups.UngroupedCount));
            }
        }

        counts.Sort(static (a, b) => b.Replayed.CompareTo(a.Replayed) is var c && c != 0 ? c : string.CompareOrdinal(a.Name, b.Name));
        return new ReplayPlan(task, set, counts);
    }

    /// <summary>
    /// Resolves example references (an id, or else a column index) against the model's examples: the indices found, and the
    /// references that name no example, in order.
    /// </summary>
    public static (HashSet<int> Found, IReadOnlyList<string> Unknown) ResolveExamples(IdList exampleIds, IEnumerable<string> references)
    {
        ArgumentNullException.ThrowIfNull(exampleIds);
        ArgumentNullException.ThrowIfNull(references);
        var found = new HashSet<int>();
        var unknown = new List<string>();
        foreach (var reference in references)
        {
            var index = ObservedCells.ExampleIndex(exampleIds, reference, out _);
            if (index >= 0)
            {
                found.Add(index);
            }
            else
            {
                unknown.Add(reference);
            }
        }

        return (found, unknown);
    }
}

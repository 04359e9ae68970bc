using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Replay;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Tables;

namespace ForgetPredict.Application;

/// <summary>What to replay for: the task (with groups, which <see cref="ReplayStrategy.Stratified"/> needs), exclusions and how to choose.</summary>
public sealed record ReplayPlanRequest : TaskRequest
{
    /// <summary>A request for no task yet (set <see cref="TaskRequest.Model"/>).</summary>
    public ReplayPlanRequest()
    {
    }

    /// <summary>A request for the task of <paramref name="task"/> (its model, cells, prior and groups).</summary>
    [SetsRequiredMembers]
    public ReplayPlanRequest(TaskRequest task)
        : base(task)
    {
    }

    /// <summary>Examples never to replay, or null.</summary>
    public IReadOnlySet<int>? Excluded { get; init; }

    /// <summary>
    /// The list of <see cref="Excluded"/> as the user names it (the command line's file, the service's <c>exclude</c> field),
    /// prefixed to the refusal of a list that excludes every example; null: "exclude".
    /// </summary>
    public string? ExcludedSource { get; init; }

    /// <summary>Budget, strategy and its settings.</summary>
    public ReplayOptions Options { get; init; } = new();
}

/// <summary>How many examples of a group a replay set holds.</summary>
/// <param name="Name">The group, or <see cref="Replaying.Ungrouped"/> for examples in none (no metadata row, or no value in the
/// column; <see cref="Replaying.UngroupedWhenTaken"/> when a group has that name).</param>
/// <param name="Replayed">Examples of it chosen.</param>
/// <param name="Examples">Examples it has.</param>
public sealed record ReplayGroupCount(string Name, int Replayed, int Examples)
{
    /// <summary>Examples of it excluded (never to replay), so not candidates.</summary>
    public int Excluded { get; init; }

    /// <summary>What the exclusion left of the group, for a report beside <see cref="Examples"/>: "all excluded", "120 excluded", or null when none was.</summary>
    public string? ExcludedNote => Excluded == 0 ? null
        : Excluded >= Examples ? "all excluded"
        : string.Create(CultureInfo.InvariantCulture, $"{Excluded:N0} excluded");
}

/// <summary>A chosen replay set.</summary>
/// <param name="Task">The folded-in task whose predictions chose it.</param>
/// <param name="Set">The chosen examples and their coverage.</param>
/// <param name="Groups">Per group (with groups), every group even when none of it was chosen: examples chosen and examples in all, most replayed first; else empty.</param>
/// <param name="Budget">The number of examples asked for.</param>
public sealed record ReplayPlan(FoldedTask Task, ReplaySet Set, IReadOnlyList<ReplayGroupCount> Groups, int Budget)
{
    /// <summary>The budget as it was asked for, when above <see cref="Budget"/> (<see cref="ReplayOptions.RequestedBudget"/>), else null.</summary>
    public long? RequestedBudget { get; init; }

    /// <summary>Why fewer examples than the budget were chosen (the budget is above the candidates), or null when it was met.
    /// It quotes the budget asked for (<see cref="RequestedBudget"/>), not the clamped one.</summary>
    public string? Shortfall => Set.Items.Count < Budget
        ? string.Create(CultureInfo.InvariantCulture, $"the budget of {RequestedBudget ?? Budget:N0} is above the {Set.Candidates:N0} candidate examples, so all {Set.Items.Count:N0} were chosen")
        : null;

    /// <summary>
    /// What the caller should be told about the groups: those whose every example is excluded (none of them can be replayed,
    /// and a stratified floor does not apply to them), and a group named <see cref="Replaying.Ungrouped"/> (the examples in
    /// no group are then listed as <see cref="Replaying.UngroupedWhenTaken"/>); empty when nothing applies.
    /// </summary>
    public IReadOnlyList<string> GroupWarnings { get; init; } = [];

    /// <summary>
    /// For softmax replay, when the temperature is far from the spread of the candidates' predictions (it is in their units):
    /// what the choice then amounts to (all but top-k, or all but random) and a temperature on the predictions' scale; else null.
    /// </summary>
    public string? TemperatureWarning { get; init; }

    /// <summary>
    /// When no candidate is predicted to forget (every prediction 0 or below): the set then carries no predicted forgetting,
    /// nor would a random one, and it follows the strategy's order only; else null.
    /// </summary>
    public string? NothingPredicted => Set.Items.Count > 0 && Set.RandomExpectation == 0
        ? "no candidate example is predicted to forget (every prediction is 0 or below), so no replay set carries predicted forgetting; this one follows the strategy's order only"
        : null;

    /// <summary>Everything the caller should be told about the choice: <see cref="Shortfall"/>, <see cref="NothingPredicted"/>,
    /// <see cref="TemperatureWarning"/> and <see cref="GroupWarnings"/>, when they apply.</summary>
    public IReadOnlyList<string> Warnings => [.. new[] { Shortfall, NothingPredicted, TemperatureWarning }.OfType<string>(), .. GroupWarnings];
}

/// <summary>The replay use case: choose upstream examples to mix back into a planned fine-tune.</summary>
public static class Replaying
{
    /// <summary>The group name reported for examples in no group.</summary>
    public const string Ungrouped = "(no group)";

    /// <summary>The name reported for examples in no group when the metadata has a group named <see cref="Ungrouped"/> itself.</summary>
    public const string UngroupedWhenTaken = "(no label)";

    /// <summary>The name a replay's group report gives the examples in no group: <see cref="Ungrouped"/>, or
    /// <see cref="UngroupedWhenTaken"/> when a group of <paramref name="groups"/> has that name itself.</summary>
    /// <param name="groups">The examples' groups.</param>
    public static string UngroupedName(ExampleGroups groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        return groups.Names.Contains(Ungrouped, StringComparer.Ordinal) ? UngroupedWhenTaken : Ungrouped;
    }

    /// <summary>
    /// Refuses a setting the strategy does not read, given by the caller (a front end knows which it was given; a record's
    /// defaults cannot tell): the temperature is softmax's, the per-group floor stratified's, the seed the random strategies'
    /// (softmax and random). They had been ignored in silence, so a user who set one believed it took effect.
    /// </summary>
    /// <exception cref="OptionException">A given setting does not apply to <paramref name="strategy"/>.</exception>
    public static void CheckSettingsApply(ReplayStrategy strategy, bool temperatureGiven, bool minPerGroupGiven, bool seedGiven)
    {
        var name = Choices.Strategy.NameOf(strategy);
        if (temperatureGiven && strategy != ReplayStrategy.Softmax)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ReplayOptionNames.Temperature)} applies to the softmax strategy only, and this replay is {name}: drop it, or replay with {new OptionReference(ReplayOptionNames.Strategy, "softmax")}."));
        }

        if (minPerGroupGiven && strategy != ReplayStrategy.Stratified)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ReplayOptionNames.MinPerGroup)} applies to the stratified strategy only, and this replay is {name}: drop it, or replay with {new OptionReference(ReplayOptionNames.Strategy, "stratified")}."));
        }

        if (seedGiven && strategy is not (ReplayStrategy.Softmax or ReplayStrategy.Random))
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ReplayOptionNames.Seed)} seeds the random strategies (softmax, random), and {name} draws nothing: drop it."));
        }
    }

    /// <summary>Folds the task in, predicts its row and chooses the replay set.</summary>
    /// <exception cref="ArgumentException">A measured cell is not valid for the model, or stratified selection has no groups.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static ReplayPlan Plan(ReplayPlanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Options.Strategy == ReplayStrategy.Stratified && request.Groups is null)
        {
            throw GroupColumns.StratifiedNeedsGroups();
        }

        var task = request.FoldIn();
        var groups = request.Groups;
        var row = task.PredictRow();
        var excluded = request.Excluded;
        if (excluded is not null && row.Length > 0 && excluded.Count(j => (uint)j < (uint)row.Length) == row.Length)
        {
            // The selector's own refusal cannot name the list: the front end's file or field. The list the caller gave leaves
            // nothing: a refused setting (a usage error), as design's is.
            throw new OptionException(string.Create(CultureInfo.InvariantCulture,
                $"{request.ExcludedSource ?? "exclude"}: it excludes all {row.Length:N0} examples of the model, so there is nothing left to replay; exclude fewer examples."));
        }

        var set = ReplaySelector.Select(row, groups, excluded, request.Options);
        var temperature = TemperatureWarning(row, excluded, request.Options);
        if (groups is null)
        {
            return new ReplayPlan(task, set, [], request.Options.Budget) { TemperatureWarning = temperature, RequestedBudget = request.Options.RequestedBudget };
        }

        var replayed = new int[groups.Count + 1];
        foreach (var item in set.Items)
        {
            var g = groups.GroupOf(item.Example);
            replayed[g < 0 ? groups.Count : g]++;
        }

        var excludedIn = new int[groups.Count + 1];
        foreach (var j in excluded ?? new HashSet<int>())
        {
            var g = groups.GroupOf(j);
            excludedIn[g < 0 ? groups.Count : g]++;
        }

        // A group literally named "(no group)" would make two rows of that name: the examples in no group are then named otherwise.
        var ungrouped = UngroupedName(groups);
        var counts = new List<ReplayGroupCount>();
        for (var g = 0; g <= groups.Count; g++)
        {
            // Every group is listed, those with none replayed too; the examples in no group only when there are some.
            if (g < groups.Count || groups.UngroupedCount > 0)
            {
                var count = g < groups.Count
                    ? new ReplayGroupCount(groups.Names[g], replayed[g], groups.Members(g).Length)
                    : new ReplayGroupCount(ungrouped, replayed[g], groups.UngroupedCount);
                counts.Add(count with { Excluded = excludedIn[g] });
            }
        }

        counts.Sort(static (a, b) => b.Replayed.CompareTo(a.Replayed) is var c && c != 0 ? c : string.CompareOrdinal(a.Name, b.Name));
        return new ReplayPlan(task, set, counts, request.Options.Budget)
        {
            TemperatureWarning = temperature,
            RequestedBudget = request.Options.RequestedBudget,
            GroupWarnings = GroupWarnings(counts, groups, ungrouped, request.Options.Strategy),
        };
    }

    // Groups the exclusion emptied (listed in the report's order), and the examples in no group renamed.
    private static List<string> GroupWarnings(List<ReplayGroupCount> counts, ExampleGroups groups, string ungrouped, ReplayStrategy strategy)
    {
        var warnings = new List<string>();
        var emptied = counts.Where(c => c.Examples > 0 && c.Excluded >= c.Examples).ToArray();
        if (emptied.Length > 0)
        {
            var names = string.Join(", ", emptied.Select(c => string.Create(CultureInfo.InvariantCulture, $"'{Echo.Printable(c.Name)}' ({c.Examples:N0})")));
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"every example of {(emptied.Length == 1 ? "group" : "groups")} {names} is excluded, so none of {(emptied.Length == 1 ? "it" : "them")} can be replayed{(strategy == ReplayStrategy.Stratified ? " and the stratified floor does not apply to " + (emptied.Length == 1 ? "it" : "them") : string.Empty)}; the group report lists {(emptied.Length == 1 ? "it" : "them")} as all excluded"));
        }

        if (ungrouped != Ungrouped && groups.UngroupedCount > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"the metadata has a group named '{Ungrouped}', the name the report gives examples in no group, so the {groups.UngroupedCount:N0} examples in no group (no metadata row, or no value in the column) are listed as '{ungrouped}'; rename that group if it is not meant as a group of its own"));
        }

        return warnings;
    }

    /// <summary>
    /// Spread of the candidates' predictions (their standard deviation) over the softmax temperature beyond which the choice is
    /// all but top-k (the weights of the most forgotten examples dwarf the rest), and below whose inverse it is all but random.
    /// </summary>
    public const double TemperatureSpreadLimit = 20;

    // Softmax weights are exp(predicted / temperature): a temperature far below the predictions' spread makes them 0 or 1 (top-k),
    // far above it equal (random). The default 0.1 suits losses in nats; data in other units needs its own.
    private static string? TemperatureWarning(double[] row, IReadOnlySet<int>? excluded, ReplayOptions options)
    {
        if (options.Strategy != ReplayStrategy.Softmax)
        {
            return null;
        }

        var candidates = row.Where((_, j) => excluded is null || !excluded.Contains(j)).ToArray();
        if (candidates.Length < 2)
        {
            return null;
        }

        var mean = candidates.Average();
        var spread = Math.Sqrt(candidates.Sum(v => (v - mean) * (v - mean)) / (candidates.Length - 1));
        if (spread <= 1e-9 * Math.Abs(mean) || spread == 0)
        {
            // Equal predictions (a task-mean model's row; the spread is rounding): no temperature weighs them apart, and
            // advising one "near" the rounding would make the rounding choose.
            return string.Create(CultureInfo.InvariantCulture,
                $"every candidate's predicted forgetting is the same ({Plain(mean)}; the model does not tell examples apart), so softmax chooses at random at any temperature");
        }

        var ratio = spread / options.Temperature;
        if (ratio <= TemperatureSpreadLimit && ratio >= 1 / TemperatureSpreadLimit)
        {
            return null;
        }

        // A subnormal temperature overflows the ratio (1e-310): its size then comes from the logarithms.
        var exponent = Math.Log10(spread) - Math.Log10(options.Temperature);
        var times = ratio is > 1 and < double.PositiveInfinity ? $"{Times(ratio)} times it"
            : ratio is > 0 and <= 1 ? $"1/{Times(1 / ratio)} of it"
            : exponent > 0 ? string.Create(CultureInfo.InvariantCulture, $"about 1E+{Math.Round(exponent):0} times it")
            : string.Create(CultureInfo.InvariantCulture, $"about 1E-{Math.Round(-exponent):0} of it");
        return string.Create(CultureInfo.InvariantCulture,
            $"the softmax temperature {Plain(options.Temperature)} is in the units of the predictions, whose spread (std over the candidates) is {Plain(spread)}, {times}, so the choice is all but {(ratio > 1 ? "top-k" : "random")}; a temperature near {Plain(spread)} weighs the examples by their predicted forgetting");
    }

    // A large ratio: whole with thousands separators up to a billion (1,234), then with an exponent (1.7E+300), never 300 digits.
    private static string Times(double ratio) =>
        ratio < 1e9 ? ratio.ToString("N0", CultureInfo.InvariantCulture) : ratio.ToString("G2", CultureInfo.InvariantCulture);

    // Two significant digits without an exponent between 1e-6 and 1e9 (0.00015, 150), else with one.
    private static string Plain(double value)
    {
        if (!(Math.Abs(value) is >= 1e-6 and < 1e9))
        {
            return value.ToString("G2", CultureInfo.InvariantCulture);
        }

        var decimals = Math.Max(0, 1 - (int)Math.Floor(Math.Log10(Math.Abs(value))));
        return Math.Round(value, decimals).ToString("0.########", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A replay set as the table the command line writes and the service answers as CSV: <c>example,weight,predicted,group</c>,
    /// one row per chosen example in selection order (<paramref name="examples"/>[i] with its weight, predicted forgetting and
    /// group, empty for none).
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length (<see cref="OutputTable"/>).</exception>
    public static OutputTable Table(IReadOnlyList<string> examples, IReadOnlyList<double> weights, IReadOnlyList<double> predicted, IReadOnlyList<string?> groups)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(groups);
        return new OutputTable(
            IdColumns.Column("example", [.. examples]),
            TableColumn.Doubles("weight", [.. weights]),
            TableColumn.Doubles("predicted", [.. predicted]),
            IdColumns.Column("group", [.. groups]));
    }

    /// <summary>
    /// What a replay set's <c>weight</c> column means under <paramref name="options"/>' strategy: for softmax and random, each
    /// chosen example's sampling probability of a draw, i.e. of being drawn first (softmax(predicted / tau) over every
    /// candidate, so the weights of all candidates sum to 1; 1 / candidates), which is not its chance of being in the set
    /// (drawn without replacement, that is higher: for random exactly budget / candidates); 1 for the deterministic
    /// strategies. One sentence for reports and help.
    /// </summary>
    public static string DescribeWeight(ReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Strategy switch
        {
            ReplayStrategy.Softmax => string.Create(CultureInfo.InvariantCulture,
                $"weight is each example's probability of being drawn first, softmax(predicted / {options.Temperature:G4}) over all candidates (they sum to 1; higher means more forgetting); the set is drawn without replacement, so an example's chance of being in it is higher: weight is no inclusion probability to reweight by"),
            ReplayStrategy.Random => "weight is each example's probability of being drawn first, 1 / candidates (uniform); the set is drawn without replacement, so each example's chance of being in it is budget / candidates: weight is no inclusion probability to reweight by",
            _ => "weight is 1 for every chosen example (chosen deterministically, by predicted forgetting)",
        };
    }

    /// <summary>
    /// Resolves example references (ids, or column positions when asked for) against the model's examples: the indices found,
    /// and the references that name no example, in order.
    /// </summary>
    public static (HashSet<int> Found, IReadOnlyList<string> Unknown) ResolveExamples(ExampleReferences exampleIds, IEnumerable<string> references)
    {
        ArgumentNullException.ThrowIfNull(exampleIds);
        ArgumentNullException.ThrowIfNull(references);
        var found = new HashSet<int>();
        var unknown = new List<string>();
        foreach (var reference in references)
        {
            var index = exampleIds.IndexOf(reference);
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

    /// <summary>
    /// What a list of examples to exclude amounts to, in every front end: references that name no example are ignored with a
    /// warning, unless none names one (ids of another matrix, or positions without by-index), which would exclude nothing (a
    /// held-out set replayed or measured without a word) and is refused.
    /// </summary>
    /// <param name="exampleIds">The model's examples.</param>
    /// <param name="found">How many examples the list names.</param>
    /// <param name="unknown">The references that name none.</param>
    /// <param name="count">How many entries the list has.</param>
    /// <param name="source">The list as the user names it (a file, a request field), prefixed to messages.</param>
    /// <param name="entries">What its entries are, plural ("rows", "ids").</param>
    /// <param name="hint">Appended to the messages (a front end's advice on the id column), or empty.</param>
    /// <returns>The warning, or null when every entry names an example.</returns>
    /// <exception cref="ArgumentException">No entry names an example.</exception>
    public static string? ExclusionWarning(ExampleReferences exampleIds, int found, IReadOnlyList<string> unknown, int count, string source, string entries, string hint = "")
    {
        ArgumentNullException.ThrowIfNull(exampleIds);
        ArgumentNullException.ThrowIfNull(unknown);
        if (unknown.Count == 0)
        {
            return null;
        }

        return found == 0
            ? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{source}: none of its {count} {entries} names an example, so it would exclude nothing: {exampleIds.DescribeUnknown(unknown)}.{hint}"), nameof(unknown))
            : string.Create(CultureInfo.InvariantCulture, $"{source}: {unknown.Count} of its {count} {entries} name no example, so they are ignored: {exampleIds.DescribeUnknown(unknown)}.{hint}");
    }

    /// <summary>
    /// The examples a table of ids excludes (<see cref="ResolveExamples"/> over its id column), refusing a table that cannot mean
    /// what it says: one with a header and no rows (it would exclude nothing), and one whose id column is named by an example
    /// id while the caller did not name that column (a file written without a header line, e.g. by pandas with header=False,
    /// whose first id was read as the column name and would be replayed: <see cref="MetadataTable.RequireHeaderLine"/>). A
    /// pandas index that makes the id column ambiguous is settled by which column names the model's examples.
    /// </summary>
    /// <param name="table">The table read.</param>
    /// <param name="exampleIds">The model's examples.</param>
    /// <param name="idColumnNamed">True when the caller named the id column.</param>
    /// <returns>The examples found, the ids that name none, and the column the ids were read from.</returns>
    /// <exception cref="ForgettingDataException">The table has no rows, or its header is an example id.</exception>
    public static (HashSet<int> Found, IReadOnlyList<string> Unknown, string IdColumn) ExcludedBy(MetadataTable table, ExampleReferences exampleIds, bool idColumnNamed)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(exampleIds);
        if (table.RowCount == 0)
        {
            throw new ForgettingDataException(table.SourceName, "it has a header line and no rows, so it would exclude nothing: list the examples under the header, or leave the exclusion out.");
        }

        var idColumn = table.IdColumnAmong(id => exampleIds.IndexOf(id) >= 0);
        if (!idColumnNamed)
        {
            table.RequireHeaderLine(idColumn, id => exampleIds.IndexOf(id) >= 0, "example", "that example would not be excluded");
        }

        var (found, unknown) = ResolveExamples(exampleIds, table.Column(idColumn));
        return (found, unknown, idColumn);
    }
}

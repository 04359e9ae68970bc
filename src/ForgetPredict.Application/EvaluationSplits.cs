using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Application;

/// <summary>
/// How the test tasks of an evaluation are chosen: by row index (<see cref="TestRows"/>), by task id (<see cref="TestTasks"/>),
/// at random (<see cref="TestFraction"/> with <see cref="SplitSeed"/>), or by family (<see cref="Families"/> with
/// <see cref="TestFamily"/> and <see cref="TrainFamily"/>). Give at most one of the four; none draws
/// <see cref="DefaultTestFraction"/> of the tasks at random.
/// </summary>
public sealed record SplitRequest
{
    /// <summary>The fraction of tasks held out when no split is named.</summary>
    public const double DefaultTestFraction = 0.3;

    /// <summary>The seed of the random draw when none is given.</summary>
    public const int DefaultSplitSeed = 0;

    /// <summary>Test rows by index into the matrix's tasks, or null.</summary>
    public IReadOnlyList<int>? TestRows { get; init; }

    /// <summary>Test rows by task id, or null.</summary>
    public IReadOnlyList<string>? TestTasks { get; init; }

    /// <summary>Hold out this fraction of the tasks, drawn at random (rounded to a whole number of tasks), or null.</summary>
    public double? TestFraction { get; init; }

    /// <summary>The seed of the <see cref="TestFraction"/> draw, or null for <see cref="DefaultSplitSeed"/>; only a random split has one.</summary>
    public int? SplitSeed { get; init; }

    /// <summary>The family of every task of the matrix, in its order (null where a task has none), for a family split; or null.</summary>
    public IReadOnlyList<string?>? Families { get; init; }

    /// <summary>The family whose tasks are held out (with <see cref="Families"/>).</summary>
    public string? TestFamily { get; init; }

    /// <summary>The family whose tasks train (with <see cref="Families"/>), or null for every other family's.</summary>
    public string? TrainFamily { get; init; }

    /// <summary>What reading <see cref="Families"/> found (tasks the metadata does not list, rows that name no task), reported
    /// with the split's own warnings.</summary>
    public IReadOnlyList<OptionMessage> FamilyWarnings { get; init; } = [];
}

/// <summary>How a split was chosen.</summary>
public enum SplitKind
{
    /// <summary>Given directly as an <see cref="EvaluationSplit"/>.</summary>
    Given,

    /// <summary>Test rows by index (<see cref="SplitRequest.TestRows"/>).</summary>
    Rows,

    /// <summary>Test rows by task id (<see cref="SplitRequest.TestTasks"/>).</summary>
    Tasks,

    /// <summary>A seeded random fraction (<see cref="SplitRequest.TestFraction"/>).</summary>
    Fraction,

    /// <summary>One family held out (<see cref="SplitRequest.TestFamily"/>).</summary>
    Family,
}

/// <summary>A split with how it was chosen and what its user should be told about it.</summary>
/// <param name="Split">The training and test rows.</param>
/// <param name="Kind">How they were chosen.</param>
/// <param name="Warnings">What the split leaves to be desired (one training task, test tasks with nothing to score, a fraction
/// rounded to another count), each naming the settings that would change it.</param>
public sealed record ChosenSplit(EvaluationSplit Split, SplitKind Kind, IReadOnlyList<OptionMessage> Warnings)
{
    /// <summary>The fraction of tasks drawn (<see cref="SplitKind.Fraction"/>), else null.</summary>
    public double? TestFraction { get; init; }

    /// <summary>The seed of the draw (<see cref="SplitKind.Fraction"/>), else null.</summary>
    public int? SplitSeed { get; init; }

    /// <summary>Whose random draw chose the test tasks (<see cref="SplitKind.Fraction"/>): numpy's <c>choice</c> or our own.</summary>
    public RevealRandom? Random { get; init; }

    /// <summary>The held-out family (<see cref="SplitKind.Family"/>), else null.</summary>
    public string? TestFamily { get; init; }

    /// <summary>The training family (<see cref="SplitKind.Family"/> with one named), else null.</summary>
    public string? TrainFamily { get; init; }
}

/// <summary>The split rules of the evaluation use case: which tasks train and which are held out.</summary>
public static class EvaluationSplits
{
    /// <summary>Chooses the split <paramref name="request"/> asks for.</summary>
    /// <param name="matrix">The matrix whose tasks are split.</param>
    /// <param name="request">How to split (an empty request: <see cref="SplitRequest.DefaultTestFraction"/> at random).</param>
    /// <param name="random">Whose random draw a fraction uses: numpy's (the reference pipeline's) or our own.</param>
    /// <exception cref="OptionException">The request names two splits, a setting that its split does not use, a row or task that
    /// is not in the matrix (or twice), a family with no task, or leaves no task to train on (the message names the settings).</exception>
    /// <exception cref="ArgumentException">The matrix has fewer than two tasks.</exception>
    public static ChosenSplit Choose(ForgettingMatrix matrix, SplitRequest request, RevealRandom random = RevealRandom.Own)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(request);
        var rows = new OptionReference(EvaluateOptionNames.TestRows);
        var tasks = new OptionReference(EvaluateOptionNames.TestTasks);
        var fraction = new OptionReference(EvaluateOptionNames.TestFraction);
        var seed = new OptionReference(EvaluateOptionNames.SplitSeed);
        var families = new OptionReference(EvaluateOptionNames.Families);
        var testFamily = new OptionReference(EvaluateOptionNames.TestFamily);
        var trainFamily = new OptionReference(EvaluateOptionNames.TrainFamily);
        var given = new[] { request.TestRows is not null, request.TestTasks is not null, request.TestFraction is not null, request.Families is not null }.Count(x => x);
        if (given > 1)
        {
            throw Refuse($"Choose one split: {rows}, {tasks}, {fraction}, or {families} with {testFamily} (and {trainFamily}).");
        }

        if (request.Families is null && (request.TestFamily is not null || request.TrainFamily is not null))
        {
            var named = request.TestFamily is not null ? testFamily : trainFamily;
            throw Refuse($"{named} needs {families}: the task metadata that gives each task's family. Give it, or choose the test tasks otherwise ({rows}, {tasks} or {fraction}).");
        }

        if (request.SplitSeed is not null && given == 1 && request.TestFraction is null)
        {
            var named = request.TestRows is not null ? rows : request.TestTasks is not null ? tasks : families;
            throw Refuse($"{seed} seeds the random draw of the test tasks ({fraction}), but {named} names them, so the seed would be ignored: drop {seed}, or draw the test tasks with {fraction}.");
        }

        if (matrix.TaskCount < 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The matrix has {matrix.TaskCount} task: the protocol trains on some tasks and predicts others, so it needs at least 2."), nameof(matrix));
        }

        ChosenSplit chosen;
        if (request.TestRows is { } testRows)
        {
            foreach (var r in testRows.Where(r => r < 0 || r >= matrix.TaskCount).Take(1))
            {
                throw Refuse($"{rows}: {r} is not a row index in 0..{matrix.TaskCount - 1} (the matrix has {matrix.TaskCount} tasks; to name tasks by id, use {tasks}).");
            }

            foreach (var r in Repeated(testRows).Take(1))
            {
                throw Refuse($"{rows} lists row {r} twice.");
            }

            chosen = new ChosenSplit(HoldOut(matrix, testRows, rows), SplitKind.Rows, []);
        }
        else if (request.TestTasks is { } ids)
        {
            foreach (var id in ids.Where(id => matrix.TaskIds.IndexOf(id) < 0).Take(1))
            {
                var guess = Suggestion.DidYouMean(id, matrix.TaskIds);
                throw Refuse($"{tasks}: task '{id}' is not in the matrix{(guess.Length > 0 ? guess : ".")} Its task ids begin {Ids.First(matrix.TaskIds)}.");
            }

            foreach (var id in Repeated(ids).Take(1))
            {
                throw Refuse($"{tasks} lists task '{id}' twice.");
            }

            chosen = new ChosenSplit(HoldOut(matrix, [.. ids.Select(matrix.TaskIds.IndexOf)], tasks), SplitKind.Tasks, []);
        }
        else if (request.Families is { } labels)
        {
            try
            {
                chosen = ByFamily(matrix, request, labels);
            }
            catch (OptionException e) when (request.FamilyWarnings.Count > 0)
            {
                // What reading the families found often explains why a family has no task (ids joined on the wrong column).
                throw new OptionException(request.FamilyWarnings.Aggregate(e.OptionMessage, (message, warning) => message.Then(warning)));
            }

            chosen = chosen with { Warnings = [.. request.FamilyWarnings, .. chosen.Warnings] };
        }
        else
        {
            chosen = AtRandom(matrix, request, random);
        }

        return chosen with { Warnings = [.. chosen.Warnings, .. Check(matrix, chosen.Split)] };

        static OptionException Refuse(FormattableString text) => new(OptionMessage.Of(text));
    }

    /// <summary>
    /// What a split leaves to be desired, whatever chose it: a single training task (no method can generalise from one) and
    /// test tasks without an observed cell (counted, but scored on nothing).
    /// </summary>
    public static IReadOnlyList<OptionMessage> Check(ForgettingMatrix matrix, EvaluationSplit split)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(split);
        var warnings = new List<OptionMessage>();
        if (split.TrainRows.Length == 1)
        {
            warnings.Add(OptionMessage.Of(
                $"only 1 task trains (task '{matrix.TaskIds[split.TrainRows[0]]}', {split.TestRows.Length} held out): every method then learns from a single task, which cannot be generalised from (knn has one neighbour, mf one row to factor), so the scores say little about new tasks; hold out fewer tasks."));
        }

        var empty = split.TestRows.Where(r => r >= 0 && r < matrix.TaskCount && Numerics.ObservedIn(matrix, r) == 0).ToArray();
        if (empty.Length > 0)
        {
            var which = Ids.List(empty.Select(r => matrix.TaskIds[r]).ToArray());
            warnings.Add(empty.Length == 1
                ? OptionMessage.Of($"test task {which} has no observed cell: it is counted among the {split.TestRows.Length} test tasks but contributes nothing to any score; hold out tasks that were measured.")
                : OptionMessage.Of($"test tasks {which} have no observed cell: they are counted among the {split.TestRows.Length} test tasks but contribute nothing to any score; hold out tasks that were measured."));
        }

        return warnings;
    }

    private static ChosenSplit ByFamily(ForgettingMatrix matrix, SplitRequest request, IReadOnlyList<string?> families)
    {
        var familiesOption = new OptionReference(EvaluateOptionNames.Families);
        var testFamily = new OptionReference(EvaluateOptionNames.TestFamily);
        var trainFamily = new OptionReference(EvaluateOptionNames.TrainFamily);
        var test = request.TestFamily ?? throw new OptionException(OptionMessage.Of($"{familiesOption} needs {testFamily} (and {trainFamily}, else every other family trains)."));
        if (families.Count != matrix.TaskCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Give a family (or null) for each of the matrix's {matrix.TaskCount} tasks; {families.Count} were given."), nameof(request));
        }

        // An empty or blank family (a NULL or empty cell of the metadata) is no family: such tasks neither train nor are
        // tested, and the split says so (an empty family had trained silently, as a family of its own).
        families = [.. families.Select(f => string.IsNullOrWhiteSpace(f) ? null : f)];
        var train = request.TrainFamily;
        if (train == test)
        {
            throw new OptionException(OptionMessage.Of(
                $"{trainFamily} and {testFamily} are both '{test}': a task cannot both train and be tested. Name two families, or drop {trainFamily} to train on every other family."));
        }

        var known = Ids.Quoted(families.Where(f => f is not null).Distinct().Order(StringComparer.Ordinal).ToArray()!);
        var trainRows = Enumerable.Range(0, matrix.TaskCount).Where(i => train is null ? families[i] is not null && families[i] != test : families[i] == train).ToArray();
        var testRows = Enumerable.Range(0, matrix.TaskCount).Where(i => families[i] == test).ToArray();
        if (testRows.Length == 0)
        {
            throw new OptionException(OptionMessage.Of($"{testFamily}: family '{test}' has no tasks in the matrix; families: {known}."));
        }

        if (train is not null && trainRows.Length == 0)
        {
            throw new OptionException(OptionMessage.Of($"{trainFamily}: family '{train}' has no tasks in the matrix; families: {known}."));
        }

        if (trainRows.Length == 0)
        {
            throw new OptionException(OptionMessage.Of($"{testFamily}: every task of the matrix with a family is of family '{test}', so none is left to train on; families: {known}."));
        }

        var unfamiliar = Enumerable.Range(0, matrix.TaskCount).Where(i => families[i] is null).ToArray();
        OptionMessage[] warnings = unfamiliar.Length == 0 ? [] : [OptionMessage.Of(
            $"{unfamiliar.Length} of the {matrix.TaskCount} tasks {(unfamiliar.Length == 1 ? "has" : "have")} no family in the task metadata (first: {Ids.Quoted([.. unfamiliar.Take(3).Select(i => matrix.TaskIds[i])])}{(unfamiliar.Length > 3 ? ", ..." : "")}), so they neither train nor are tested; give them a family to use them.")];
        return new ChosenSplit(new EvaluationSplit(trainRows, testRows), SplitKind.Family, warnings) { TestFamily = test, TrainFamily = train };
    }

    private static ChosenSplit AtRandom(ForgettingMatrix matrix, SplitRequest request, RevealRandom random)
    {
        var fractionOption = new OptionReference(EvaluateOptionNames.TestFraction);
        var seedOption = new OptionReference(EvaluateOptionNames.SplitSeed);
        var fraction = request.TestFraction ?? SplitRequest.DefaultTestFraction;
        if (!(fraction > 0 && fraction < 1))
        {
            throw new OptionException(OptionMessage.Of($"{fractionOption} must be above 0 and below 1 (it is {fraction}): the share of the tasks held out."));
        }

        var seed = request.SplitSeed ?? SplitRequest.DefaultSplitSeed;
        if (random == RevealRandom.Numpy && seed < 0)
        {
            throw new OptionException(OptionMessage.Of(
                $"{seedOption} must be 0 or more with {new OptionReference(EvaluationOptionNames.RevealRandom, "numpy")} (it is {seed}): numpy's default_rng takes no negative seed."));
        }

        var m = matrix.TaskCount;
        var exact = fraction * m;
        var rounded = (int)Math.Round(exact);
        var count = Math.Clamp(rounded, 1, m - 1);
        var warnings = new List<OptionMessage>();
        if (count != rounded)
        {
            warnings.Add(count > rounded
                ? OptionMessage.Of($"{fractionOption} {fraction} of {m} tasks is {exact:0.##}, which rounds to no test task; 1 task is held out instead.")
                : OptionMessage.Of($"{fractionOption} {fraction} of {m} tasks is {exact:0.##}, which rounds to all {m}, leaving none to train on; {count} are held out instead."));
        }

        int[] chosen;
        if (random == RevealRandom.Numpy)
        {
            chosen = NumpyReveal.TestRows(m, count, seed);
        }
        else
        {
            var draw = new Random(seed);
            chosen = [.. Enumerable.Range(0, m).OrderBy(_ => draw.Next()).Take(count).Order()];
        }

        return new ChosenSplit(EvaluationSplit.HoldOut(matrix, chosen), SplitKind.Fraction, warnings) { TestFraction = fraction, SplitSeed = seed, Random = random };
    }

    // Holds out the given rows, refusing a choice that leaves no task to train on (naming the option that chose them).
    private static EvaluationSplit HoldOut(ForgettingMatrix matrix, IReadOnlyList<int> testRows, OptionReference option)
    {
        if (testRows.Count == 0)
        {
            throw new OptionException(OptionMessage.Of($"{option} names no task; hold out at least one."));
        }

        if (testRows.Count >= matrix.TaskCount)
        {
            throw new OptionException(OptionMessage.Of($"{option} holds out all {matrix.TaskCount} tasks, leaving none to train on; hold out fewer."));
        }

        return EvaluationSplit.HoldOut(matrix, testRows);
    }

    private static IEnumerable<T> Repeated<T>(IEnumerable<T> values)
    {
        var seen = new HashSet<T>();
        foreach (var v in values)
        {
            if (!seen.Add(v))
            {
                yield return v;
            }
        }
    }

    private static class Numerics
    {
        public static int ObservedIn(ForgettingMatrix matrix, int row)
        {
            var observed = 0;
            foreach (var v in matrix.Row(row))
            {
                observed += float.IsNaN(v) ? 0 : 1;
            }

            return observed;
        }
    }
}

/// <summary>Ids as messages quote them.</summary>
internal static class Ids
{
    /// <summary>The first few ids, quoted: "'a', 'b', 'c' (of 40)".</summary>
    public static string First(IReadOnlyList<string> ids, int count = 5) =>
        string.Join(", ", ids.Take(count).Select(id => $"'{id}'")) + (ids.Count > count ? string.Create(CultureInfo.InvariantCulture, $" (of {ids.Count:N0})") : string.Empty);

    /// <summary>Every id, quoted, up to <paramref name="count"/>: "'a', 'b' and 3 more".</summary>
    public static string List(IReadOnlyList<string> ids, int count = 5) =>
        string.Join(", ", ids.Take(count).Select(id => $"'{id}'")) + (ids.Count > count ? string.Create(CultureInfo.InvariantCulture, $" and {ids.Count - count} more") : string.Empty);

    /// <summary>Every id, quoted.</summary>
    public static string Quoted(IReadOnlyList<string> ids) => string.Join(", ", ids.Select(id => $"'{id}'"));

    /// <summary>Whether the ids are "0", "1", ..., "n-1" in order: the row or column numbers a file gets when written without its ids.</summary>
    public static bool AreRowNumbers(IReadOnlyList<string> ids)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] != i.ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }
        }

        return ids.Count > 0;
    }
}

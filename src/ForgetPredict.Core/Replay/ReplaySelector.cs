using System.Globalization;

namespace ForgetPredict.Core.Replay;

/// <summary>How replay examples are chosen from predicted forgetting.</summary>
public enum ReplayStrategy
{
    /// <summary>Sample without replacement with probability softmax(predicted / temperature) (the reference strategy).</summary>
    Softmax,

    /// <summary>The examples with the highest predicted forgetting.</summary>
    TopK,

    /// <summary>Every group keeps a floor of examples (its most forgotten ones); the rest of the budget goes by predicted forgetting.</summary>
    Stratified,

    /// <summary>Uniformly at random (the baseline).</summary>
    Random,
}

/// <summary>
/// The replay settings the library's messages name (<see cref="OptionReference.Name"/>): front ends map them to their own
/// vocabulary (a command-line flag, a request field).
/// </summary>
public static class ReplayOptionNames
{
    /// <summary><see cref="ReplayOptions.Budget"/>.</summary>
    public const string Budget = "ReplayOptions.Budget";

    /// <summary><see cref="ReplayOptions.Strategy"/>.</summary>
    public const string Strategy = "ReplayOptions.Strategy";

    /// <summary><see cref="ReplayOptions.Temperature"/>.</summary>
    public const string Temperature = "ReplayOptions.Temperature";

    /// <summary><see cref="ReplayOptions.Seed"/>.</summary>
    public const string Seed = "ReplayOptions.Seed";

    /// <summary><see cref="ReplayOptions.MinPerGroup"/>.</summary>
    public const string MinPerGroup = "ReplayOptions.MinPerGroup";

    /// <summary>The ratio of <see cref="ReplayOptions.ResolveBudget"/>: one replayed example per that many task examples.</summary>
    public const string Ratio = "ReplayOptions.Ratio";

    /// <summary>The task size of <see cref="ReplayOptions.ResolveBudget"/>: the fine-tune's number of examples.</summary>
    public const string TaskSize = "ReplayOptions.TaskSize";
}

/// <summary>Options of <see cref="ReplaySelector.Select"/>.</summary>
public sealed record ReplayOptions
{
    /// <summary>The least <see cref="Budget"/> (and <see cref="MinPerGroup"/>) the options take: 0.</summary>
    public const int LeastBudget = 0;

    /// <summary>The least ratio and task size of <see cref="ResolveBudget"/>: 1 (one replayed example per task example).</summary>
    public const int LeastRatio = 1;

    /// <summary>
    /// The least value the option named <paramref name="option"/> (a <see cref="ReplayOptionNames"/> name) takes, or null when
    /// any whole number is taken (the seed) or the name is not a whole-number replay option: what front ends say of a range.
    /// </summary>
    /// <param name="option">The option's name.</param>
    public static int? Least(string? option) => option switch
    {
        ReplayOptionNames.Budget or ReplayOptionNames.MinPerGroup => LeastBudget,
        ReplayOptionNames.Ratio or ReplayOptionNames.TaskSize => LeastRatio,
        _ => null,
    };

    /// <summary>Number of examples to replay.</summary>
    public int Budget { get; init; } = 100;

    /// <summary>The selection strategy.</summary>
    public ReplayStrategy Strategy { get; init; } = ReplayStrategy.Softmax;

    /// <summary>The default <see cref="Temperature"/> (the reference's), every front end's default.</summary>
    public const double DefaultTemperature = 0.1;

    /// <summary>Softmax temperature tau, in the units of the predictions (the reference: 0.1).</summary>
    public double Temperature { get; init; } = DefaultTemperature;

    /// <summary>Stratified: examples every group keeps (capped by the group's size); null = a quarter of the budget shared equally, at least one.</summary>
    public int? MinPerGroup { get; init; }

    /// <summary>Seed of the random strategies.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// The budget as it was asked for, when it is above the largest <see cref="Budget"/> (<see cref="int.MaxValue"/>, which
    /// <see cref="Budget"/> then holds): one example per ratio of a task of more examples than that. Messages quote it, not the
    /// clamped budget; null when the budget is <see cref="Budget"/> (<see cref="ForBudget"/> sets both).
    /// </summary>
    public long? RequestedBudget { get; init; }

    /// <summary>
    /// Options with the budget a request gives (<see cref="ResolveBudget"/>), and <see cref="RequestedBudget"/> when a ratio
    /// asks for more examples than a budget can hold; the other settings are the defaults (set them with <c>with</c>).
    /// </summary>
    /// <exception cref="OptionException">Both forms or neither are given, or a value is out of range (the message names the options).</exception>
    public static ReplayOptions ForBudget(int? budget, int? ratio, long? taskSize)
    {
        var resolved = ResolveBudget(budget, ratio, taskSize);
        var asked = budget is null && ratio is { } r && taskSize is { } size ? (size / r) + (size % r == 0 ? 0 : 1) : resolved;
        return new ReplayOptions { Budget = resolved, RequestedBudget = asked > resolved ? asked : null };
    }

    /// <summary>
    /// The budget a request gives: <paramref name="budget"/> itself, or one replayed example per <paramref name="ratio"/> of
    /// the task's <paramref name="taskSize"/> examples (<see cref="BudgetFromRatio"/>); exactly one of the two forms.
    /// </summary>
    /// <exception cref="OptionException">Both forms or neither are given, or a value is out of range (the message names the options).</exception>
    public static int ResolveBudget(int? budget, int? ratio, long? taskSize)
    {
        var budgetOption = new OptionReference(ReplayOptionNames.Budget);
        if (budget is not null)
        {
            return ratio is null && taskSize is null && budget >= LeastBudget ? budget.Value
                : throw new OptionException(budget < LeastBudget
                    ? OptionMessage.Of($"{budgetOption} must be at least {LeastBudget}.")
                    : BothForms(budgetOption, ratio is not null, taskSize is not null));
        }

        if (ratio is null || taskSize is null || ratio < LeastRatio || taskSize < LeastRatio)
        {
            throw new OptionException(OptionMessage.Of(
                $"Give {new OptionReference(ReplayOptionNames.Budget, "B")}, or {new OptionReference(ReplayOptionNames.Ratio, "R")} with {new OptionReference(ReplayOptionNames.TaskSize, "S")} (one replayed example per R of the task's S examples; both at least {LeastRatio})."));
        }

        return BudgetFromRatio(ratio.Value, taskSize.Value);
    }

    // Budget with the ratio form, or with half of it: worded for what was given ('--budget 3 --task-size 10' names no --ratio).
    private static OptionMessage BothForms(OptionReference budget, bool ratio, bool taskSize)
    {
        var ratioOption = new OptionReference(ReplayOptionNames.Ratio);
        var sizeOption = new OptionReference(ReplayOptionNames.TaskSize);
        return (ratio, taskSize) switch
        {
            (true, true) => OptionMessage.Of($"Give either {budget} or {ratioOption} with {sizeOption}, not both."),
            (false, _) => OptionMessage.Of($"{sizeOption} goes with {new OptionReference(ReplayOptionNames.Ratio, "R")} (one replayed example per R of the task's examples), and {budget} is the budget itself: drop {sizeOption}, or give {ratioOption} with it instead of {budget}."),
            _ => OptionMessage.Of($"{ratioOption} goes with {new OptionReference(ReplayOptionNames.TaskSize, "S")} (one replayed example per R of the task's S examples), and {budget} is the budget itself: drop {ratioOption}, or give {sizeOption} with it instead of {budget}."),
        };
    }

    /// <summary>The budget for "one replayed example per <paramref name="ratio"/> task examples" over a task of <paramref name="taskSize"/> examples.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is below 1.</exception>
    public static int BudgetFromRatio(int ratio, long taskSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ratio, LeastRatio);
        ArgumentOutOfRangeException.ThrowIfLessThan(taskSize, LeastRatio);
        // Rounded up without forming taskSize + ratio - 1, which overflows near long.MaxValue.
        return (int)Math.Min(int.MaxValue, (taskSize / ratio) + (taskSize % ratio == 0 ? 0 : 1));
    }

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="OptionException">The budget, temperature or floor is out of range (the message names the option).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The strategy is not one of <see cref="ReplayStrategy"/>, or
    /// <see cref="RequestedBudget"/> is below <see cref="Budget"/>.</exception>
    public void Validate()
    {
        if (Budget < LeastBudget)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ReplayOptionNames.Budget)} must be at least {LeastBudget} (it is {Budget})."));
        }

        if (!(Temperature > 0) || !double.IsFinite(Temperature))
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ReplayOptionNames.Temperature)} must be a finite number above 0 (it is {Temperature}); smaller values replay the most forgotten examples more surely."));
        }

        if (MinPerGroup < LeastBudget)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ReplayOptionNames.MinPerGroup)} must be at least {LeastBudget} (it is {MinPerGroup})."));
        }

        if (RequestedBudget is { } requested && requested < Budget)
        {
            throw new ArgumentOutOfRangeException(nameof(RequestedBudget), requested, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The budget asked for ({requested}) is below the budget applied ({Budget}); it is the larger budget a ratio asked for, or null (ForBudget sets it)."));
        }

        if (!Enum.IsDefined(Strategy))
        {
            throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Unknown strategy.");
        }
    }
}

/// <summary>One replay example.</summary>
/// <param name="Example">Example index.</param>
/// <param name="Weight">Its probability of being drawn first (of each draw while every candidate is left) under the strategy:
/// softmax(predicted / tau) over all candidates for softmax, 1 / candidates for random, 1 for the deterministic strategies.
/// The set is drawn without replacement, so an example's chance of being in it is higher (for random exactly budget /
/// candidates): this is no inclusion probability to reweight by.</param>
/// <param name="Predicted">Its predicted forgetting.</param>
/// <param name="Group">Its group, or null.</param>
public sealed record ReplayItem(int Example, double Weight, double Predicted, string? Group);

/// <summary>A chosen replay set and how much of the predicted forgetting it covers.</summary>
/// <param name="Items">The chosen examples, in selection order.</param>
/// <param name="Candidates">Examples that could be chosen (not excluded).</param>
/// <param name="CoveredForgetting">Share of the candidates' total positive predicted forgetting that the chosen examples carry.</param>
/// <param name="RandomExpectation">The same share for a random choice of the same size (budget / candidates; 0 when no candidate has positive predicted forgetting).</param>
public sealed record ReplaySet(IReadOnlyList<ReplayItem> Items, int Candidates, double CoveredForgetting, double RandomExpectation)
{
    /// <summary>Covered forgetting relative to random replay (e.g. 3.2 = three times what random replay covers).</summary>
    public double Lift => RandomExpectation > 0 ? CoveredForgetting / RandomExpectation : double.NaN;
}

/// <summary>
/// Picks upstream examples to mix back into a fine-tune from their predicted forgetting (science.md §5).
/// </summary>
/// <remarks>
/// <para>Softmax sampling without replacement uses the Gumbel-top-k trick: each candidate gets key predicted/tau + G with
/// G ~ Gumbel(0, 1) and the budget's largest keys are taken; this is exactly sequential sampling without replacement
/// with probability softmax(predicted / tau) over the candidates still left. Seeded and deterministic.</para>
/// <para>Excluded examples (e.g. a held-out evaluation set) are never chosen.</para>
/// </remarks>
public static class ReplaySelector
{
    /// <summary>Chooses replay examples.</summary>
    /// <param name="predicted">Predicted forgetting of every example.</param>
    /// <param name="groups">The example groups (needed by <see cref="ReplayStrategy.Stratified"/>), or null.</param>
    /// <param name="excluded">Example indices never to replay, or null.</param>
    /// <param name="options">Budget, strategy and settings.</param>
    /// <exception cref="ArgumentException">Inputs disagree in length, a prediction is not finite, an excluded index is outside
    /// 0..N-1 (negative ones too), every example is excluded, or stratified selection has no groups.</exception>
    public static ReplaySet Select(ReadOnlySpan<double> predicted, ExampleGroups? groups, IReadOnlySet<int>? excluded, ReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var n = predicted.Length;
        if (groups is not null && groups.ExampleCount != n)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Groups of {groups.ExampleCount} examples for {n} examples."), nameof(groups));
        }

        var values = predicted.ToArray();
        if (values.Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("Predicted forgetting must be finite.", nameof(predicted));
        }

        if (n == 0)
        {
            throw new ArgumentException("The predicted row has no examples, so there is nothing to replay; predict the task's row first.", nameof(predicted));
        }

        // The smallest offending index (a negative one first): a sentinel such as -1 would collide with a negative index.
        if (excluded is not null && excluded.Where(j => (uint)j >= (uint)n).Select(j => (int?)j).Min() is { } outside)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Excluded example index {outside} is outside 0..{n - 1}; exclude examples of this row."), nameof(excluded));
        }

        var candidates = Enumerable.Range(0, n).Where(j => excluded is null || !excluded.Contains(j)).ToArray();
        if (candidates.Length == 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"All {n} examples are excluded, so there is nothing left to replay; exclude fewer examples."), nameof(excluded));
        }

        var budget = Math.Min(options.Budget, candidates.Length);
        var random = new Random(options.Seed);
        int[] chosen;
        double[] weights;
        switch (options.Strategy)
        {
            case ReplayStrategy.Softmax:
            {
                // (predicted - max) / tau is at most 0, so it never overflows to +infinity however small tau is (predicted / tau
                // did for a subnormal tau: every weight NaN, and the first examples chosen by index); where it underflows to
                // -infinity the example's probability is 0, and the ties of such keys are broken by predicted forgetting, so
                // as tau goes to 0 softmax replay becomes top-K. The shift leaves softmax and the Gumbel keys' order unchanged.
                var max = candidates.Max(j => values[j]);
                var scaled = candidates.Select(j => (values[j] - max) / options.Temperature).ToArray();
                var probabilities = Softmax(scaled);
                var keys = scaled.Select(x => x + Gumbel(random)).ToArray();
                var order = ByDescending(keys, [.. candidates.Select(j => values[j])]);
                chosen = order.Take(budget).Select(t => candidates[t]).ToArray();
                weights = order.Take(budget).Select(t => probabilities[t]).ToArray();
                break;
            }

            case ReplayStrategy.TopK:
                chosen = ByDescending(candidates.Select(j => values[j]).ToArray()).Take(budget).Select(t => candidates[t]).ToArray();
                weights = Enumerable.Repeat(1.0, chosen.Length).ToArray();
                break;

            case ReplayStrategy.Stratified:
                chosen = Stratified(values, groups ?? throw new ArgumentException("Stratified replay needs each example's group.", nameof(groups)), candidates, budget, options.MinPerGroup);
                weights = Enumerable.Repeat(1.0, chosen.Length).ToArray();
                break;

            default:
            {
                var shuffled = (int[])candidates.Clone();
                for (var t = 0; t < budget; t++)
                {
                    var pick = t + random.Next(shuffled.Length - t);
                    (shuffled[t], shuffled[pick]) = (shuffled[pick], shuffled[t]);
                }

                chosen = shuffled[..budget];
                weights = Enumerable.Repeat(1.0 / Math.Max(candidates.Length, 1), budget).ToArray();
                break;
            }
        }

        var total = candidates.Sum(j => Math.Max(values[j], 0));
        var covered = total > 0 ? chosen.Sum(j => Math.Max(values[j], 0)) / total : 0;
        var items = chosen.Select((j, t) => new ReplayItem(j, weights[t], values[j], groups?.Labels[j])).ToArray();
        // With no positive predicted forgetting there is nothing to carry, for a random set as for this one: both shares are 0.
        return new ReplaySet(ReadOnlyView.Of(items), candidates.Length, covered, candidates.Length == 0 || total <= 0 ? 0 : (double)budget / candidates.Length);
    }

    /// <summary>softmax(x) computed stably (the largest exponent is 0): never NaN. Entries of -infinity get 0; when some are
    /// +infinity, they share the whole mass (the limit of softmax as they grow); when all are -infinity, the mass is shared equally.</summary>
    /// <exception cref="ArgumentException">An entry is NaN.</exception>
    public static double[] Softmax(ReadOnlySpan<double> x)
    {
        if (x.IsEmpty)
        {
            return [];
        }

        var max = double.NegativeInfinity;
        foreach (var v in x)
        {
            max = double.IsNaN(v) ? throw new ArgumentException("Softmax of NaN; give numbers.", nameof(x)) : Math.Max(max, v);
        }

        if (double.IsInfinity(max))
        {
            // All -infinity: equal logits in the limit. Some +infinity: they take everything.
            var count = 0;
            foreach (var v in x)
            {
                count += v == max ? 1 : 0;
            }

            var limit = new double[x.Length];
            for (var i = 0; i < x.Length; i++)
            {
                limit[i] = x[i] == max ? 1.0 / count : 0;
            }

            return limit;
        }

        var result = new double[x.Length];
        double sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            result[i] = Math.Exp(x[i] - max);
            sum += result[i];
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] /= sum;
        }

        return result;
    }

    // Floors first (each group's most forgotten examples, up to its size), then the rest of the budget by predicted forgetting.
    private static int[] Stratified(double[] values, ExampleGroups groups, int[] candidates, int budget, int? minPerGroup)
    {
        var byGroup = candidates.Where(j => groups.GroupOf(j) >= 0).GroupBy(groups.GroupOf)
            .OrderBy(g => groups.Names[g.Key], StringComparer.Ordinal).ToArray();
        // The default floor: a quarter of the budget shared equally, and at least one example a group (with a budget under
        // four per group a quarter rounds to none, and stratified would quietly be top-K).
        var floor = minPerGroup ?? (byGroup.Length == 0 || budget == 0 ? 0 : Math.Max(1, budget / 4 / byGroup.Length));
        var needed = byGroup.Sum(g => (long)Math.Min(floor, g.Count()));
        if (needed > budget && minPerGroup is null)
        {
            throw new OptionException(OptionMessage.Of(
                $"Stratified replay keeps at least one example of each of the {byGroup.Length} groups, which a budget of {budget:N0} cannot: raise {new OptionReference(ReplayOptionNames.Budget)} to at least {needed:N0}, or choose by predicted forgetting alone (top-K)."));
        }

        if (needed > budget)
        {
            // Meeting the floor in some groups and not others would drop whole groups without a word.
            var most = budget / byGroup.Length;
            throw new OptionException(most > 0
                ? OptionMessage.Of($"{new OptionReference(ReplayOptionNames.MinPerGroup, floor.ToString(CultureInfo.InvariantCulture))} for {byGroup.Length} groups needs {needed:N0} examples, more than the budget of {budget:N0}: lower it to at most {most}, or raise {new OptionReference(ReplayOptionNames.Budget)}.")
                : OptionMessage.Of($"{new OptionReference(ReplayOptionNames.MinPerGroup, floor.ToString(CultureInfo.InvariantCulture))} for {byGroup.Length} groups needs {needed:N0} examples, more than the budget of {budget:N0}: raise {new OptionReference(ReplayOptionNames.Budget)} to at least {needed:N0}, or drop the floor."));
        }

        var chosen = new List<int>();
        var taken = new HashSet<int>();
        foreach (var group in byGroup)
        {
            var members = group.ToArray();
            foreach (var t in ByDescending(members.Select(j => values[j]).ToArray()).Take(floor))
            {
                if (chosen.Count < budget && taken.Add(members[t]))
                {
                    chosen.Add(members[t]);
                }
            }
        }

        foreach (var t in ByDescending(candidates.Select(j => values[j]).ToArray()))
        {
            if (chosen.Count >= budget)
            {
                break;
            }

            if (taken.Add(candidates[t]))
            {
                chosen.Add(candidates[t]);
            }
        }

        return [.. chosen];
    }

    // Positions sorted by decreasing key; ties by position (deterministic).
    private static int[] ByDescending(double[] keys)
    {
        var order = Enumerable.Range(0, keys.Length).ToArray();
        Array.Sort(order, (a, b) => keys[b].CompareTo(keys[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order;
    }

    // Positions sorted by decreasing key, ties by decreasing value, then by position.
    private static int[] ByDescending(double[] keys, double[] values)
    {
        var order = Enumerable.Range(0, keys.Length).ToArray();
        Array.Sort(order, (a, b) => keys[b].CompareTo(keys[a]) is var c && c != 0 ? c : values[b].CompareTo(values[a]) is var d && d != 0 ? d : a.CompareTo(b));
        return order;
    }

    // G = -ln(-ln U) with U uniform on (0, 1).
    private static double Gumbel(Random random)
    {
        double u;
        do
        {
            u = random.NextDouble();
        }
        while (u == 0);

        return -Math.Log(-Math.Log(u));
    }
}

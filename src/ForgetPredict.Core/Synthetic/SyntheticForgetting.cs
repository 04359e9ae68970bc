using System.Globalization;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Synthetic;

/// <summary>
/// The synthetic-matrix settings the library's messages name (<see cref="OptionReference.Name"/>): front ends map them to
/// their own vocabulary (a command-line flag).
/// </summary>
public static class SyntheticOptionNames
{
    /// <summary><see cref="SyntheticOptions.Tasks"/>.</summary>
    public const string Tasks = "SyntheticOptions.Tasks";

    /// <summary><see cref="SyntheticOptions.Examples"/>.</summary>
    public const string Examples = "SyntheticOptions.Examples";

    /// <summary><see cref="SyntheticOptions.Groups"/>.</summary>
    public const string Groups = "SyntheticOptions.Groups";

    /// <summary><see cref="SyntheticOptions.Patterns"/>.</summary>
    public const string Patterns = "SyntheticOptions.Patterns";

    /// <summary><see cref="SyntheticOptions.Noise"/>.</summary>
    public const string Noise = "SyntheticOptions.Noise";

    /// <summary><see cref="SyntheticOptions.MissingFraction"/>.</summary>
    public const string MissingFraction = "SyntheticOptions.MissingFraction";
}

/// <summary>Options of <see cref="SyntheticForgetting.Generate"/>; every default in one place, validated.</summary>
public sealed record SyntheticOptions
{
    /// <summary>Number of tasks M.</summary>
    public int Tasks { get; init; } = 66;

    /// <summary>Number of upstream examples N.</summary>
    public int Examples { get; init; } = 10_000;

    /// <summary>Example groups (data sources); examples are assigned round-robin so groups are balanced.</summary>
    public int Groups { get; init; } = 6;

    /// <summary>
    /// Extra low-rank patterns beyond "fragility x disruptiveness": pattern k makes task family k forget group k
    /// more. At most <see cref="Groups"/>. The planted rank is 1 + Patterns.
    /// </summary>
    public int Patterns { get; init; } = 3;

    /// <summary>Typical forgetting of the rank-1 part (mean of d_i f_j), in nats.</summary>
    public double Scale { get; init; } = 0.03;

    /// <summary>Strength of a pattern relative to <see cref="Scale"/>.</summary>
    public double PatternStrength { get; init; } = 1.5;

    /// <summary>Standard deviation of the Gaussian noise added to every cell, in nats.</summary>
    public double Noise { get; init; } = 0.01;

    /// <summary>Fraction of cells made missing (NaN) at random.</summary>
    public double MissingFraction { get; init; }

    /// <summary>Produce the binary form: Z = 1 (forgotten) with probability sigmoid((signal - c) / t).</summary>
    public bool Binary { get; init; }

    /// <summary>Target fraction of ones in the binary form.</summary>
    public double BinaryRate { get; init; } = 0.1;

    /// <summary>Seed: the same options give the same matrix, bit for bit (whatever the thread count).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Keep the noiseless signal in <see cref="SyntheticForgetting.Signal"/> (doubles the memory; off for huge matrices).</summary>
    public bool KeepSignal { get; init; } = true;

    /// <summary>Throws when a setting is out of range, naming it (and the setting it clashes with), its value and the fix.</summary>
    /// <exception cref="OptionException">A setting is out of range.</exception>
    public void Validate()
    {
        static OptionReference Name(string property) => new($"{nameof(SyntheticOptions)}.{property}");
        var (tasks, examples, groups, patterns) = (new OptionReference(SyntheticOptionNames.Tasks), new OptionReference(SyntheticOptionNames.Examples),
            new OptionReference(SyntheticOptionNames.Groups), new OptionReference(SyntheticOptionNames.Patterns));
        Check(Tasks is >= 1 and <= 1_000_000, OptionMessage.Of($"{tasks} must be from 1 to 1,000,000 (it is {Tasks})."));
        Check(Examples is >= 1, OptionMessage.Of($"{examples} must be at least 1 (it is {Examples})."));
        Check((long)Tasks * Examples <= Array.MaxLength,
            OptionMessage.Of($"{tasks} x {examples} must be at most {Array.MaxLength:N0} cells, one array's limit (it is {Tasks:N0} x {Examples:N0} = {(long)Tasks * Examples:N0}); lower one of them."));
        Check(Groups >= 1 && Groups <= Examples, OptionMessage.Of($"{groups} must be from 1 to {examples} ({Examples}) (it is {Groups}): every group needs an example."));
        Check(Patterns >= 0 && Patterns <= Groups,
            OptionMessage.Of($"{patterns} ({Patterns}) must be from 0 to {groups} ({Groups}): pattern k makes task family k forget group k; lower {patterns} or raise {groups}."));
        Check(Scale > 0 && double.IsFinite(Scale), OptionMessage.Of($"{Name(nameof(Scale))} must be a finite number above 0 (it is {Scale})."));
        Check(PatternStrength >= 0 && double.IsFinite(PatternStrength), OptionMessage.Of($"{Name(nameof(PatternStrength))} must be a finite number of at least 0 (it is {PatternStrength})."));
        Check(Noise >= 0 && double.IsFinite(Noise), OptionMessage.Of($"{new OptionReference(SyntheticOptionNames.Noise)} must be a finite number of at least 0 (it is {Noise})."));
        Check(MissingFraction is >= 0 and < 1, OptionMessage.Of($"{new OptionReference(SyntheticOptionNames.MissingFraction)} must be at least 0 and below 1 (it is {MissingFraction}): the share of cells made missing."));
        Check(BinaryRate is > 0 and < 1, OptionMessage.Of($"{Name(nameof(BinaryRate))} must be above 0 and below 1 (it is {BinaryRate})."));
    }

    private static void Check(bool ok, OptionMessage message)
    {
        if (!ok)
        {
            throw new OptionException(message);
        }
    }
}

/// <summary>
/// A synthetic forgetting matrix with planted structure, and the truth behind it: used by tests, the demo,
/// benchmarks and <c>forgetpredict synth</c>.
/// </summary>
/// <remarks>
/// <para>Continuous form: <c>Z[i, j] = d_i f_j + sum_k s_ik g_kj + noise</c>, where f_j (example fragility) and d_i (task
/// disruptiveness) are log-normal, g_kj is non-zero only for examples of group k, and s_ik is large only for tasks of
/// family k (family k "hits" group k). Tasks of families beyond <see cref="SyntheticOptions.Patterns"/> only have
/// the rank-1 part. The signal has rank 1 + Patterns.</para>
/// <para>Binary form: Z = 1 with probability sigmoid((signal - c) / t), c set so that the rate is
/// <see cref="SyntheticOptions.BinaryRate"/>.</para>
/// </remarks>
public sealed class SyntheticForgetting
{
    private static readonly string[] s_groupNames = ["wiki", "code", "web", "books", "news", "math", "forum", "legal", "medical", "dialogue"];
    private static readonly string[] s_familyNames = ["flan", "tulu", "dolly", "oasst", "alpaca", "sharegpt", "wizard", "orca", "lima", "ultra"];

    private SyntheticForgetting(ForgettingMatrix matrix, string[] exampleGroups, string[] taskFamilies, float[] signal, int plantedRank)
    {
        Matrix = matrix;
        ExampleGroups = exampleGroups;
        TaskFamilies = taskFamilies;
        Signal = signal;
        PlantedRank = plantedRank;
    }

    /// <summary>The generated matrix (task ids "task-000"..., example ids "ex-00000"...).</summary>
    public ForgettingMatrix Matrix { get; }

    /// <summary>The group (data source) of each example.</summary>
    public IReadOnlyList<string> ExampleGroups { get; }

    /// <summary>The family of each task; family k's tasks hit group k when k &lt; Patterns.</summary>
    public IReadOnlyList<string> TaskFamilies { get; }

    /// <summary>The noiseless signal, row-major (M x N; empty unless <see cref="SyntheticOptions.KeepSignal"/>); for binary matrices the latent score.</summary>
    public IReadOnlyList<float> Signal { get; }

    /// <summary>Rank of the noiseless signal (1 + Patterns).</summary>
    public int PlantedRank { get; }

    /// <summary>The name of group <paramref name="k"/>.</summary>
    public static string GroupName(int k) => k < s_groupNames.Length ? s_groupNames[k] : string.Create(CultureInfo.InvariantCulture, $"group{k}");

    /// <summary>The name of family <paramref name="k"/>.</summary>
    public static string FamilyName(int k) => k < s_familyNames.Length ? s_familyNames[k] : string.Create(CultureInfo.InvariantCulture, $"family{k}");

    /// <summary>Generates a matrix; the same options always give the same result.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static SyntheticForgetting Generate(SyntheticOptions? options = null)
    {
        var o = options ?? new SyntheticOptions();
        o.Validate();
        int m = o.Tasks, n = o.Examples;
        var random = new Random(o.Seed);
        var families = Math.Max(o.Patterns + 1, 2);


        var groupOf = new int[n];
        var exampleGroups = new string[n];
        for (var j = 0; j < n; j++)
        {
            groupOf[j] = j % o.Groups;
            exampleGroups[j] = GroupName(groupOf[j]);
        }

        var familyOf = new int[m];
        var taskFamilies = new string[m];
        for (var i = 0; i < m; i++)
        {
            familyOf[i] = i % families;
            taskFamilies[i] = FamilyName(familyOf[i]);
        }

        // Rank-1 part: fragility f_j (mean 1) and disruptiveness d_i (mean Scale).
        var fragility = new double[n];
        for (var j = 0; j < n; j++)
        {
            fragility[j] = LogNormal(random, 0.6);
        }

        var disruption = new double[m];
        for (var i = 0; i < m; i++)
        {
            disruption[i] = o.Scale * LogNormal(random, 0.6);
        }

        // Patterns: g_kj on group k's examples, s_ik strong for family k.
        var loading = new double[o.Patterns * n];
        for (var k = 0; k < o.Patterns; k++)
        {
            for (var j = 0; j < n; j++)
            {
                loading[(k * n) + j] = groupOf[j] == k ? LogNormal(random, 0.4) : 0;
            }
        }

        var strength = new double[m * o.Patterns];
        for (var i = 0; i < m; i++)
        {
            for (var k = 0; k < o.Patterns; k++)
            {
                var hit = familyOf[i] == k;
                strength[(i * o.Patterns) + k] = o.Scale * o.PatternStrength * (hit ? LogNormal(random, 0.4) : 0.1 * AlternatingLeastSquares.Gaussian(random));
            }
        }

        double SignalAt(int i, int j)
        {
            var v = disruption[i] * fragility[j];
            for (var k = 0; k < o.Patterns; k++)
            {
                v += strength[(i * o.Patterns) + k] * loading[(k * n) + j];
            }

            return v;
        }

        // Cut-off and temperature of the binary form come from a sample of the signal (fixed, seeded).
        double cut = 0, temperature = 1;
        if (o.Binary)
        {
            var sample = new double[Math.Min(200_000, m * n)];
            var sampler = new Random(o.Seed ^ 0x5A5A5A5A);
            for (var t = 0; t < sample.Length; t++)
            {
                var e = sample.Length == m * n ? t : sampler.Next(m * n);
                sample[t] = SignalAt(e / n, e % n);
            }

            Array.Sort(sample);
            cut = sample[(int)Math.Clamp((1 - o.BinaryRate) * sample.Length, 0, sample.Length - 1)];
            temperature = Math.Max(sample[(int)(0.9 * (sample.Length - 1))] - sample[(int)(0.1 * (sample.Length - 1))], 1e-12) / 8;
        }

        var values = new float[checked(m * n)];
        var signal = o.KeepSignal ? new float[values.Length] : [];
        Parallel.For(0, m, i =>
        {
            // One stream per row, derived from the seed: the result does not depend on scheduling.
            var rowRandom = new Random(Numerics.Seeds.Mix(o.Seed, i));
            for (var j = 0; j < n; j++)
            {
                var v = SignalAt(i, j);
                if (o.KeepSignal)
                {
                    signal[(i * n) + j] = (float)v;
                }

                var z = o.Binary
                    ? (rowRandom.NextDouble() < Numerics.LogitNormal.Sigmoid((v - cut) / temperature) ? 1f : 0f)
                    : (float)(v + (o.Noise * AlternatingLeastSquares.Gaussian(rowRandom)));
                values[(i * n) + j] = o.MissingFraction > 0 && rowRandom.NextDouble() < o.MissingFraction ? float.NaN : z;
            }
        });

        if (o.MissingFraction > 0 && System.Numerics.Tensors.TensorPrimitives.IsNaNAll<float>(values))
        {
            throw new OptionException(OptionMessage.Of(
                $"{new OptionReference(SyntheticOptionNames.MissingFraction)} {o.MissingFraction} left no cell of the {m} x {n} matrix observed, and every command refuses such a matrix; lower it, or ask for more cells."));
        }

        var taskIds = Enumerable.Range(0, m).Select(i => string.Create(CultureInfo.InvariantCulture, $"task-{i:D3}"));
        var exampleIds = Enumerable.Range(0, n).Select(j => string.Create(CultureInfo.InvariantCulture, $"ex-{j:D5}"));
        var matrix = ForgettingMatrix.Wrap(values, m, n, taskIds, exampleIds);
        return new SyntheticForgetting(matrix, exampleGroups, taskFamilies, signal, 1 + o.Patterns);
    }

    private static double LogNormal(Random random, double sigma) =>
        Math.Exp((sigma * AlternatingLeastSquares.Gaussian(random)) - (0.5 * sigma * sigma));
}

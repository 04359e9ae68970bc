using System.Globalization;

namespace ForgetPredict.Core.Models;

/// <summary>Settings a user can override by name, whatever the method (CLI flags, server requests).</summary>
public sealed record ModelSettings
{
    /// <summary>Latent rank (mf, logistic), or null for the method's default.</summary>
    public int? Rank { get; init; }

    /// <summary>The method's main penalty (see <see cref="ModelCatalog"/>), or null for its default.</summary>
    public double? Lambda { get; init; }

    /// <summary>
    /// Seed of random initialisations (rank1, mf, logistic) or of the cross-validation's draws (ensemble, auto), or null for the
    /// default. The methods without either ignore it (an evaluation gives every method the same settings), unlike a rank or a
    /// penalty they do not have, which they refuse.
    /// </summary>
    public int? Seed { get; init; }

    /// <summary>Worker threads, -1 for all cores.</summary>
    public int MaxThreads { get; init; } = -1;

    /// <summary>
    /// Known cells per new task that the self-tuning methods (auto, ensemble) simulate, or null for 30. The other methods
    /// simulate nothing and ignore it, so that an evaluation can give every method the number of cells it reveals; a fit that
    /// means it for one method is checked by the fit use case (<c>Fitting.CreateFitter</c> refuses it for the others).
    /// </summary>
    public int? Known { get; init; }

    /// <summary>
    /// The model will carry task or example features: auto then chooses among the families whose models can
    /// (<see cref="AutoOptions.FeatureCapableOnly"/>). False by default.
    /// </summary>
    public bool WithFeatures { get; init; }
}

/// <summary>
/// The methods by the names the CLI, server and reports use, and how a name plus <see cref="ModelSettings"/> becomes a
/// fitter. <c>--lambda</c> means: additive, knn: the bias penalty (in cells); rank1, mf: the factor penalty as a multiple
/// of the noise-adaptive threshold; logistic, logistic-additive: the L2 precision.
/// </summary>
public static class ModelCatalog
{
    /// <summary>Every method name, in the order reports list them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["task-mean", "example-mean", "additive", "rank1", "mf", "knn", "logistic", "logistic-additive", "ensemble", Auto];

    /// <summary>The self-tuning choice (<see cref="AutoFitter"/>): whichever family, rank or ensemble cross-validates best.</summary>
    public const string Auto = "auto";

    /// <summary>
    /// The method a fit uses when the user names none (<c>fit</c> without <c>--method</c>, an upload to the service without a
    /// <c>method</c> field): <see cref="Auto"/>, which chooses per matrix.
    /// </summary>
    public const string Default = Auto;

    /// <summary>The model family behind a name.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name is unknown (the message suggests the closest one).</exception>
    public static ModelMethod MethodOf(string name) => name switch
    {
        null => throw new ArgumentNullException(nameof(name)),
        "task-mean" => ModelMethod.TaskMean,
        "example-mean" => ModelMethod.ExampleMean,
        "additive" => ModelMethod.Additive,
        "rank1" => ModelMethod.RankOne,
        "mf" => ModelMethod.LowRank,
        "knn" => ModelMethod.Knn,
        "logistic" => ModelMethod.Logistic,
        "logistic-additive" => ModelMethod.LogisticAdditive,
        "ensemble" or Auto => ModelMethod.Ensemble,
        _ => throw new ArgumentException(UnknownMessage(name), nameof(name)),
    };

    /// <summary>The catalog name of a family.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is not a <see cref="ModelMethod"/>.</exception>
    public static string NameOf(ModelMethod method) => Enum.IsDefined(method)
        ? Names[(int)method]
        : throw new ArgumentOutOfRangeException(nameof(method), method, string.Create(CultureInfo.InvariantCulture, $"{(int)method} is not a model method; the methods are {string.Join(", ", Enum.GetNames<ModelMethod>())}."));

    /// <summary>
    /// The methods that draw random numbers, and so read <see cref="ModelSettings.Seed"/>: rank1, mf and logistic (their
    /// initialisation), ensemble and auto (their cross-validation's draws). The others (task-mean, example-mean, additive, knn,
    /// logistic-additive) are deterministic and ignore a seed.
    /// </summary>
    public static IReadOnlyList<string> SeededMethods { get; } = ["rank1", "mf", "logistic", "ensemble", Auto];

    /// <summary>True when method <paramref name="name"/> reads <see cref="ModelSettings.Seed"/> (<see cref="SeededMethods"/>).</summary>
    public static bool UsesSeed(string name) => SeededMethods.Contains(name);

    /// <summary>True for the self-tuning methods, which simulate <see cref="ModelSettings.Known"/> cells per new task: ensemble and auto.</summary>
    public static bool SimulatesKnownCells(string name) => name is "ensemble" or Auto;

    /// <summary>True for methods that need a binary matrix.</summary>
    public static bool IsBinaryMethod(string name) => name is "logistic" or "logistic-additive";

    /// <summary>The largest rank a fit takes (<see cref="LowRankOptions.Rank"/>).</summary>
    public const int MaxRank = 1024;

    /// <summary>The least rank a fit takes (<see cref="ModelSettings.Rank"/>): 1.</summary>
    public const int LeastRank = 1;

    /// <summary>The least number of known cells a self-tuning fit simulates (<see cref="ModelSettings.Known"/>): 0, the cold start.</summary>
    public const int LeastKnown = 0;

    /// <summary>
    /// The least value the setting named <paramref name="option"/> (a <see cref="ModelOptionNames"/> name) takes, as
    /// <see cref="CreateFitter"/> checks it, or null when any whole number is taken (the seed) or the name is not a
    /// whole-number model setting: what front ends say of a range.
    /// </summary>
    /// <param name="option">The setting's name.</param>
    public static int? Least(string? option) => option switch
    {
        ModelOptionNames.Rank => LeastRank,
        ModelOptionNames.Known => LeastKnown,
        _ => null,
    };

    /// <summary>
    /// The greatest value the setting named <paramref name="option"/> (a <see cref="ModelOptionNames"/> name) takes, as
    /// <see cref="CreateFitter"/> checks it (the rank: <see cref="MaxRank"/>), or null when its type's greatest is taken.
    /// </summary>
    /// <param name="option">The setting's name.</param>
    public static int? Most(string? option) => option == ModelOptionNames.Rank ? MaxRank : null;

    /// <summary>Creates the fitter for <paramref name="name"/> with <paramref name="settings"/> applied over the defaults.</summary>
    /// <exception cref="ArgumentException">The name is unknown, a setting does not apply to the method (a rank or penalty it has not; a seed is taken by every method, and those that draw no random numbers ignore it), or <see cref="ModelSettings.Known"/> is negative.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static IForgettingFitter CreateFitter(string name, ModelSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var s = settings ?? new ModelSettings();
        if (s.Known is < LeastKnown)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ModelOptionNames.Known)} must be >= 0 (got {s.Known})."));
        }

        // The settings' own ranges, named as the settings (a front end words them as its flag or field): the options records
        // would refuse them too, naming their properties ("Rank must be in 1..1024.").
        if (s.Rank is < LeastRank or > MaxRank)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ModelOptionNames.Rank)} must be between {LeastRank} and {MaxRank} (got {s.Rank})."));
        }

        if (s.Lambda is { } lambda && !(lambda >= 0 && lambda <= FitOptions.MaxSetting))
        {
            throw new OptionException(OptionMessage.Of(
                $"{new OptionReference(ModelOptionNames.Lambda)} must be a finite number >= 0 (got {lambda}){(lambda > FitOptions.MaxSetting && double.IsFinite(lambda) ? $", at most {FitOptions.MaxSetting:G3}: far beyond any data's scale, a larger penalty only overflows the fit" : string.Empty)}."));
        }

        var method = MethodOf(name);
        var crossValidation = new CrossValidationOptions { Known = s.Known ?? Evaluation.EvaluationOptions.DefaultKnown, Seed = s.Seed ?? Defaults.Seed };
        if (name == Auto)
        {
            return new AutoFitter(new AutoOptions
            {
                MaxThreads = s.MaxThreads,
                Rank = s.Rank,
                Lambda = s.Lambda,
                CrossValidation = new AutoOptions().CrossValidation with { Known = crossValidation.Known, Seed = crossValidation.Seed },
                FeatureCapableOnly = s.WithFeatures,
            });
        }

        if (s.Rank is not null && method is not (ModelMethod.LowRank or ModelMethod.Logistic))
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ModelOptionNames.Rank)} does not apply to '{name}' (only mf and logistic have a rank)."));
        }

        if (s.Lambda is not null && method is ModelMethod.TaskMean or ModelMethod.ExampleMean or ModelMethod.Ensemble)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ModelOptionNames.Lambda)} does not apply to '{name}' (it has no penalty)."));
        }

        return method switch
        {
            ModelMethod.TaskMean => new TaskMeanFitter(new TaskMeanOptions { MaxThreads = s.MaxThreads }),
            ModelMethod.ExampleMean => new ExampleMeanFitter(new ExampleMeanOptions { MaxThreads = s.MaxThreads }),
            ModelMethod.Additive => new AdditiveFitter(new AdditiveOptions { MaxThreads = s.MaxThreads, BiasLambda = s.Lambda ?? Defaults.BiasLambda }),
            ModelMethod.RankOne => new RankOneFitter(new RankOneOptions { MaxThreads = s.MaxThreads, Lambda = s.Lambda ?? Defaults.FactorLambda, Seed = s.Seed ?? Defaults.Seed }),
            ModelMethod.LowRank => new LowRankFitter(new LowRankOptions
            {
                MaxThreads = s.MaxThreads,
                Rank = s.Rank ?? Defaults.Rank,
                Lambda = s.Lambda ?? Defaults.FactorLambda,
                Seed = s.Seed ?? Defaults.Seed,
            }),
            ModelMethod.Knn => new KnnFitter(new KnnOptions { MaxThreads = s.MaxThreads, Baseline = new AdditiveOptions { BiasLambda = s.Lambda ?? Defaults.BiasLambda } }),
            ModelMethod.Logistic => new LogisticFitter(new LogisticOptions
            {
                MaxThreads = s.MaxThreads,
                Rank = s.Rank ?? Defaults.LogisticRank,
                Lambda = s.Lambda,
                Seed = s.Seed ?? Defaults.Seed,
            }),
            ModelMethod.Ensemble => new EnsembleFitter(new EnsembleOptions { MaxThreads = s.MaxThreads, CrossValidation = crossValidation }),
            _ => new LogisticFitter(new LogisticOptions { MaxThreads = s.MaxThreads, Rank = 0, Lambda = s.Lambda }),
        };
    }

    /// <summary>"Unknown method 'x'; did you mean 'y'? Methods: ..." with the full list.</summary>
    public static string UnknownMessage(string name) =>
        string.Create(CultureInfo.InvariantCulture, $"Unknown method '{name}'{Suggestion.AndList(name, Names, "methods")}");
}

/// <summary>"Did you mean" suggestions by edit distance (BenchmarkDotNet's CorrectionsSuggester idea).</summary>
public static class Suggestion
{
    /// <summary>"; did you mean 'x'?" for the closest candidate within a small edit distance, else empty.</summary>
    public static string DidYouMean(string value, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(candidates);
        var best = candidates.Select(c => (Candidate: c, Distance: Distance(value.ToLowerInvariant(), c.ToLowerInvariant())))
            .OrderBy(x => x.Distance).ThenBy(x => x.Candidate, StringComparer.Ordinal).FirstOrDefault();
        return best.Candidate is not null && best.Distance <= Math.Max(2, value.Length / 3) ? $"; did you mean '{best.Candidate}'?" : string.Empty;
    }

    /// <summary>
    /// What follows "Unknown thing 'x'": "; did you mean 'y'? Things: a, b." with a suggestion, else "; things: a, b.", so the
    /// suggestion ends its own sentence and the list starts the next.
    /// </summary>
    /// <param name="value">The value that matched no candidate.</param>
    /// <param name="candidates">The values that would have matched, in the order to list them.</param>
    /// <param name="plural">What the candidates are, in lower case ("methods", "columns").</param>
    public static string AndList(string value, IEnumerable<string> candidates, string plural)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var list = candidates.ToList();
        return AndList(value, list, plural, string.Join(", ", list));
    }

    /// <summary>As <see cref="AndList(string, IEnumerable{string}, string)"/> with the list as the caller words it (quoted, or cut short).</summary>
    /// <param name="value">The value that matched no candidate.</param>
    /// <param name="candidates">The values that would have matched.</param>
    /// <param name="plural">What the candidates are, in lower case ("methods", "columns").</param>
    /// <param name="listed">The candidates as the message lists them.</param>
    public static string AndList(string value, IEnumerable<string> candidates, string plural, string listed)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentException.ThrowIfNullOrEmpty(plural);
        ArgumentNullException.ThrowIfNull(listed);
        var guess = DidYouMean(value, candidates);
        return guess.Length == 0
            ? $"; {plural}: {listed}."
            : $"{guess} {char.ToUpperInvariant(plural[0])}{plural[1..]}: {listed}.";
    }

    /// <summary>Levenshtein edit distance.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}

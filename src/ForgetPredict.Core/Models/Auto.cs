using System.Globalization;
using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Models;

/// <summary>Options of <see cref="AutoFitter"/>.</summary>
public sealed record AutoOptions : FitOptions
{
    /// <summary>Ranks tried for the low-rank model (mf); the smallest within <see cref="RankTolerance"/> of the best is kept.</summary>
    public IReadOnlyList<int> Ranks { get => _ranks!; init => _ranks = ValueList<int>.Of(value); }

    /// <summary>Principal components of the scale-free profile model (<see cref="ProfileFitter"/>) tried.</summary>
    public IReadOnlyList<int> ProfileRanks { get => _profileRanks!; init => _profileRanks = ValueList<int>.Of(value); }

    /// <summary>Interpolation priors (<see cref="KnnOptions.InterpolationPrior"/>) of the knn variants tried beside plain knn; the
    /// best knn by cross-validated RMSE enters the stack. Each variant reuses each fold's knn fit.</summary>
    public IReadOnlyList<double> InterpolationPriors { get => _interpolationPriors!; init => _interpolationPriors = ValueList<double>.Of(value); }

    // Kept as value lists: two options with the same settings are equal and print their lists (the settings are copied in).
    private readonly ValueList<int>? _ranks = ValueList<int>.Of([1, 2, 4, 8]);
    private readonly ValueList<int>? _profileRanks = ValueList<int>.Of([2, 4]);
    private readonly ValueList<double>? _interpolationPriors = ValueList<double>.Of([1, 10]);

    /// <summary>A fixed rank (the user's <c>--rank</c>): mf and the profile model use only it.</summary>
    public int? Rank { get; init; }

    /// <summary>A fixed penalty (the user's <c>--lambda</c>) for mf, knn and additive, as <see cref="ModelCatalog"/> defines it.</summary>
    public double? Lambda { get; init; }

    /// <summary>Relative cross-validated RMSE by which a larger rank must beat a smaller one to be kept (0.5%).</summary>
    public double RankTolerance { get; init; } = 0.005;

    /// <summary>
    /// Relative cross-validated RMSE by which each member must improve the stacked ensemble to be kept (0.2%): a member that
    /// adds less is dropped, since every member costs each prediction its own pass over the examples.
    /// </summary>
    public double MemberTolerance { get; init; } = 0.002;

    /// <summary>The simulated task: known cells per held-out task, folds, draws.</summary>
    public CrossValidationOptions CrossValidation { get; init; } = new() { Folds = 3 };

    /// <summary>
    /// Only the families whose models carry task and example features (the Gaussian factor models: additive and mf at each
    /// rank of <see cref="Ranks"/>), and one of them rather than a stacked ensemble: set when the fit has features. False (the
    /// default) also tries knn, the profile model and their ensemble.
    /// </summary>
    public bool FeatureCapableOnly { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(Ranks);
        ArgumentNullException.ThrowIfNull(ProfileRanks);
        ArgumentNullException.ThrowIfNull(InterpolationPriors);
        if (InterpolationPriors.Any(p => !(p > 0) || !double.IsFinite(p)))
        {
            throw new ArgumentOutOfRangeException(nameof(InterpolationPriors), "Interpolation priors must be positive and finite.");
        }

        ArgumentNullException.ThrowIfNull(CrossValidation);
        if (Ranks.Count == 0 || Ranks.Any(r => r is < 1 or > 1024))
        {
            throw new ArgumentOutOfRangeException(nameof(Ranks), string.Join(",", Ranks), "Ranks must be in 1..1024 and at least one must be given.");
        }

        if (ProfileRanks.Any(r => r is < 0 or > 1024))
        {
            throw new ArgumentOutOfRangeException(nameof(ProfileRanks), string.Join(",", ProfileRanks), "Profile ranks must be in 0..1024.");
        }

        if (Rank is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(Rank), Rank, "Rank must be in 1..1024.");
        }

        if (Lambda is { } lambda)
        {
            NonNegative(lambda, nameof(Lambda));
        }

        NonNegative(RankTolerance, nameof(RankTolerance));
        NonNegative(MemberTolerance, nameof(MemberTolerance));
        CrossValidation.Validate();
    }
}

/// <summary>What <see cref="AutoFitter"/> tried and chose.</summary>
/// <param name="Choice">The chosen model: a candidate's name or the ensemble's description.</param>
/// <param name="CrossValidatedRmse">Its cross-validated RMSE.</param>
/// <param name="Candidates">Every candidate's cross-validated RMSE, by name.</param>
/// <param name="Known">Known cells per simulated task.</param>
/// <param name="Rank">The mf rank kept.</param>
public sealed record AutoReport(string Choice, double CrossValidatedRmse, IReadOnlyList<(string Name, double Rmse)> Candidates, int Known, int Rank)
{
    /// <summary>Held-out tasks with no more than <see cref="Known"/> observed cells, which revealed all their cells but one
    /// (<see cref="TaskCrossValidation.ShortTasks"/>); 0 when every task had more.</summary>
    public int ShortTasks { get; init; }

    /// <summary>Cross-validation folds left out because the tasks fitted on were constant
    /// (<see cref="TaskCrossValidation.SkippedFolds"/>); 0 normally.</summary>
    public int SkippedFolds { get; init; }

    /// <summary>One line for fit reports, e.g. "auto chose 0.3 mf rank 4 + 0.7 knn (cross-validated RMSE 0.1280 with 30 known cells)".</summary>
    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"auto chose {Choice} (cross-validated RMSE {ErrorText.Format(CrossValidatedRmse)} with {Known} known cells{ShortNote()}{SkippedNote()}; candidates: {string.Join(", ", Candidates.Select(c => $"{c.Name} {ErrorText.Format(c.Rmse)}"))})");

    private string ShortNote() => ShortTasks == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
        $"; {ShortTasks} held-out task{(ShortTasks == 1 ? " has" : "s have")} no more than {Known} observed cells and revealed all but one");

    private string SkippedNote() => SkippedFolds == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
        $"; {SkippedFolds} fold{(SkippedFolds == 1 ? "" : "s")} not scored, {(SkippedFolds == 1 ? "its" : "their")} training tasks being constant");
}

/// <summary>
/// Chooses the method, rank and combination per matrix by <see cref="TaskCrossValidation"/> for the number of known cells
/// the user will have: additive, knn, mf at every rank of <see cref="AutoOptions.Ranks"/> (the smallest rank within
/// <see cref="AutoOptions.RankTolerance"/> of the best is kept), knn with interpolation weights at every prior of
/// <see cref="AutoOptions.InterpolationPriors"/> (the best knn is kept) and the scale-free profile model are scored on held-out
/// training tasks, and the best single model or their stacked ensemble (<see cref="EnsembleModel"/>) wins. With
/// <see cref="AutoOptions.FeatureCapableOnly"/> only additive and mf compete, and the better one wins.
/// </summary>
/// <remarks>Cost: every candidate is fitted once per fold (three by default) plus the winner once on all rows; folds run in
/// parallel. Deterministic for any thread count.</remarks>
public sealed class AutoFitter(AutoOptions? options = null) : IForgettingFitter
{
    private readonly AutoOptions _o = FactorFits.Validated(options ?? new AutoOptions());

    /// <inheritdoc />
    public ModelMethod Method => ModelMethod.Ensemble;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default) => FitAuto(matrix, cancellationToken).Model;

    /// <summary>Fits, and says what was chosen and why.</summary>
    /// <param name="matrix">The training matrix.</param>
    /// <param name="cancellationToken">Stops the cross-validation's fits and the final refit between solver sweeps.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public (IForgettingModel Model, AutoReport Report) FitAuto(ForgettingMatrix matrix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var threads = _o.MaxThreads;
        var ranks = _o.Rank is { } fixedRank ? [fixedRank] : _o.Ranks.Distinct().Order().ToArray();
        var featureCapable = _o.FeatureCapableOnly;
        int[] profileRanks = featureCapable ? [] : _o.Rank is { } r ? [r] : [.. _o.ProfileRanks.Distinct().Order()];
        var knnFitter = (KnnFitter)ModelCatalog.CreateFitter("knn", new ModelSettings { MaxThreads = threads, Lambda = _o.Lambda });
        var candidates = new List<Candidate>
        {
            new("additive", ModelCatalog.CreateFitter("additive", new ModelSettings { MaxThreads = threads, Lambda = _o.Lambda })),
        };
        if (!featureCapable)
        {
            candidates.Add(new("knn", knnFitter));
        }

        // Inside the cross-validation only predicted means and cell stds are scored: the factor models skip the residual
        // components that serve group intervals (a quarter of a fit) and get them in the final refit.
        var firstMf = candidates.Count;
        candidates.AddRange(ranks.Select(rank => new Candidate($"mf rank {rank}", MfFitter(rank, 0), MfFitter(rank, Defaults.ResidualRank))));
        candidates.AddRange(profileRanks.Select(rank => new Candidate($"profile rank {rank}",
            new ProfileFitter(new ProfileOptions { MaxThreads = threads, Rank = rank, ResidualRank = 0 }), new ProfileFitter(new ProfileOptions { MaxThreads = threads, Rank = rank }))));
        // The interpolated knn variants: inside the cross-validation, each fold's knn fit with another prior (no refit).
        var fitted = candidates.Count;
        double[] priors = featureCapable ? [] : [.. _o.InterpolationPriors.Distinct().Order()];
        candidates.AddRange(priors.Select(prior => new Candidate(string.Create(CultureInfo.InvariantCulture, $"knn interpolated prior {prior:0.###}"),
            new KnnFitter(knnFitter.Options with { InterpolationPrior = prior }))));
        var cv = TaskCrossValidation.Run(matrix, candidates.Count, train =>
        {
            var models = candidates.Take(fitted).Select(c => c.Fitter.Fit(train, cancellationToken)).ToList();
            if (priors.Length > 0)
            {
                var knn = (KnnModel)models[1];
                models.AddRange(priors.Select(knn.WithInterpolationPrior));
            }

            return [.. models.Select(TaskCrossValidation.FoldInOf)];
        }, _o.CrossValidation with { MaxThreads = threads }, cancellationToken);
        var rmse = Enumerable.Range(0, candidates.Count).Select(cv.Rmse).ToArray();

        // The mf rank: the smallest within the tolerance of the best mf rank; the other mf ranks leave the race.
        var mf = Enumerable.Range(firstMf, ranks.Length).ToArray();
        var bestMf = mf.Min(c => rmse[c]);
        var keptMf = mf.First(c => rmse[c] <= bestMf * (1 + _o.RankTolerance));
        var keptProfile = Enumerable.Range(firstMf + ranks.Length, profileRanks.Length).OrderBy(c => rmse[c]).Take(1);
        int[] keptKnn = featureCapable ? [] : [Enumerable.Range(fitted, priors.Length).Prepend(1).MinBy(c => rmse[c])];
        var finalists = keptKnn.Prepend(0).Append(keptMf).Concat(keptProfile).ToArray();
        var best = finalists.OrderBy(c => rmse[c]).First();
        var report = finalists.Select(c => (candidates[c].Name, rmse[c])).ToArray();
        var rank = ranks[keptMf - firstMf];
        if (!featureCapable && Members(cv, finalists, _o.MemberTolerance) is { Length: > 1 } members)
        {
            var stackedCv = cv.Select(members);
            if (EnsembleModel.Weigh(stackedCv).Rmse < rmse[best])
            {
                var model = EnsembleModel.Stack(matrix, [.. members.Select(c => candidates[c])], stackedCv, cancellationToken);
                return (model, new AutoReport(model.Describe(), model.CrossValidatedRmse, report, _o.CrossValidation.Known, rank) { ShortTasks = cv.ShortTasks, SkippedFolds = cv.SkippedFolds });
            }
        }

        return (candidates[best].Final.Fit(matrix, cancellationToken), new AutoReport(candidates[best].Name, rmse[best], report, _o.CrossValidation.Known, rank) { ShortTasks = cv.ShortTasks, SkippedFolds = cv.SkippedFolds });

        LowRankFitter MfFitter(int rank, int residualRank) => new(new LowRankOptions
        {
            MaxThreads = threads,
            Rank = rank,
            Lambda = _o.Lambda ?? Defaults.FactorLambda,
            ResidualRank = residualRank,
        });
    }

    /// <summary>
    /// The members of the stacked ensemble of <paramref name="finalists"/>: those with a positive stacking weight, less the
    /// ones whose removal (one at a time, the least useful first, weights re-learned) leaves the cross-validated RMSE within
    /// <paramref name="tolerance"/> of the whole stack's. Every removal is measured against the whole stack, so together they
    /// cost at most that tolerance.
    /// </summary>
    internal static int[] Members(TaskCrossValidation cv, int[] finalists, double tolerance)
    {
        var (weights, full, _) = EnsembleModel.Weigh(cv.Select(finalists));
        var members = finalists.Where((_, i) => weights[i] > 0).ToList();
        while (members.Count > 1)
        {
            var (drop, rmse) = members.Select(m => (m, EnsembleModel.Weigh(cv.Select([.. members.Where(c => c != m)])).Rmse)).MinBy(d => d.Rmse);
            if (rmse > full * (1 + tolerance))
            {
                break;
            }

            members.Remove(drop);
        }

        return [.. members];
    }
}

using System.Globalization;

namespace ForgetPredict.Core.Models;

/// <summary>
/// Every default of every fitter, in one place (see the README's "How the defaults were chosen" for the data
/// behind each number).
/// </summary>
public static class Defaults
{
    /// <summary>Latent rank of the low-rank model. With the noise-adaptive penalty, unneeded components shrink to zero, so a
    /// generous rank costs time, not accuracy (rank 8-12 beat 5 on charlm-b; 5 and 10 tie on planted rank-4 data).</summary>
    public const int Rank = 8;

    /// <summary>
    /// Factor penalty as a multiple of the universal singular-value threshold sigma sqrt(rho) (sqrt(M) + sqrt(N)), sigma the
    /// residual noise (estimated during the fit), rho the observed fraction. 0.75 was best or within 0.2% of best
    /// for 30-cell fold-in on charlm-b and on 12 synthetic shapes (19-142 tasks, noise 0.005-0.05), and never worse
    /// than the additive model.
    /// </summary>
    public const double FactorLambda = 0.75;

    /// <summary>L2 penalty on biases, in units of observations (a bias estimated from n cells shrinks by n / (n + lambda)).</summary>
    public const double BiasLambda = 1.0;

    /// <summary>Maximum alternating sweeps.</summary>
    public const int MaxIterations = 100;

    /// <summary>Relative objective change that counts as converged. 1e-4 (11 sweeps on charlm-b, 15 on charlm-d) is not the
    /// exact optimum (single predictions move by up to 0.015 against 1e-6, 93 sweeps), but the protocol's RMSE moves by at
    /// most 0.4% (charlm-d, 30 known cells; charlm-b within 0.0001), so the looser tolerance is kept for speed.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Convergence tolerance of the additive model's bias sweeps (cheap, so converged tightly).</summary>
    public const double AdditiveTolerance = 1e-9;

    /// <summary>
    /// Residual components a Gaussian factor model keeps (the leading principal directions of its training residuals), so
    /// that the interval of a group's mean forgetting accounts for examples that err together. On charlm-b
    /// (leave-one-task-out, 30 known cells, 3 draws, 6 data sources) the low-rank model's 90% group intervals covered 76.5%
    /// of measured group means with none, 82.5% with 8, 83.8% with 16 and 86.9% with 32 (additive: 57% with none, 89% with
    /// 32). Capped at M - 1; the model grows by 2 q N bytes (half precision).
    /// </summary>
    public const int ResidualRank = 32;

    /// <summary>Seed of every random initialisation.</summary>
    public const int Seed = 42;

    /// <summary>Neighbouring tasks the KNN-baseline averages over (the reference uses 40).</summary>
    public const int Neighbors = 40;

    /// <summary>Shrinkage of the KNN Pearson-baseline similarity toward 0 (in shared cells). Inert when every task shares
    /// the same known cells (a fold-in); it only down-weights pairs with few shared cells in matrices with missing cells.</summary>
    public const double SimilarityShrinkage = 100;

    /// <summary>Exponent on KNN similarities. 2 cut charlm-b's 30-cell fold-in RMSE from 0.1247 to 0.1211 with no change
    /// on synthetic data (3 helped charlm-b more but hurt synthetic data).</summary>
    public const double SimilarityAmplification = 2;

    /// <summary>L2 penalty of the logistic models (precision of a Gaussian prior on every parameter, logit scale) on a matrix of
    /// too few tasks to cross-validate one (<see cref="LogisticOptions.Lambda"/>); 10 had the best AUC of {5, 10, 20} on four
    /// synthetic binary shapes (19-85 tasks, 5-20% ones), and was every fit's penalty before it was chosen per matrix.</summary>
    public const double LogisticLambda = 10.0;

    /// <summary>Latent rank of the logistic model (the reference uses 5).</summary>
    public const int LogisticRank = 5;

    /// <summary>Whether the rank-r logistic model also has mu + a_i + b_j inside the sigmoid: on every synthetic binary shape
    /// tried it matched or beat the literal sigmoid(U_i . V_j) (AUC +0.000 to +0.013, log-loss -0.003 to -0.031).</summary>
    public const bool LogisticBiases = true;
}

/// <summary>Settings shared by every fitter.</summary>
public abstract record FitOptions
{
    /// <summary>Worker threads, or -1 for all cores. Results are bit-identical for every value.</summary>
    public int MaxThreads { get; init; } = -1;

    /// <summary>Throws when a setting is out of range, naming it and its allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public virtual void Validate()
    {
        Numerics.Parallelism.Validate(MaxThreads, nameof(MaxThreads));
    }

    /// <summary>The largest penalty or tolerance a fit takes: far beyond any float32 data's scale (3.4e38), and far enough
    /// below double's range that the solver's products with it stay finite (1e308 overflowed into a model that failed its checks).</summary>
    public const double MaxSetting = 1e100;

    /// <summary>Checks a non-negative finite number, at most <see cref="MaxSetting"/>.</summary>
    protected static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || !(value <= MaxSetting))
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be a number from 0 to {MaxSetting:G3}."));
        }
    }

    /// <summary>Checks an integer range.</summary>
    protected static void InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be in {min}..{max}."));
        }
    }

    /// <summary>Checks a tolerance in (0, 1).</summary>
    protected static void InUnitInterval(double value, string name)
    {
        if (!(value > 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be in (0, 1)."));
        }
    }
}

/// <summary>Options of <see cref="TaskMeanFitter"/> (row means; nothing to tune).</summary>
public sealed record TaskMeanOptions : FitOptions;

/// <summary>Options of <see cref="ExampleMeanFitter"/> (column means; nothing to tune).</summary>
public sealed record ExampleMeanOptions : FitOptions;

/// <summary>What the Gaussian factor fitters (additive, rank-1, low-rank) share: alternating sweeps and residual components.</summary>
public abstract record GaussianFactorOptions : FitOptions
{
    /// <summary>Maximum alternating sweeps.</summary>
    public int MaxIterations { get; init; } = Defaults.MaxIterations;

    /// <summary>Residual components kept for group intervals (see <see cref="Defaults.ResidualRank"/>), 0..255 and at most M - 1; 0 treats residuals as independent.</summary>
    public int ResidualRank { get; init; } = Defaults.ResidualRank;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        InRange(MaxIterations, 1, 100_000, nameof(MaxIterations));
        InRange(ResidualRank, 0, ResidualStructure.SampleTasks - 1, nameof(ResidualRank));
    }
}

/// <summary>Options of <see cref="AdditiveFitter"/>: mu + a_i + b_j with L2-regularised biases.</summary>
public sealed record AdditiveOptions : GaussianFactorOptions
{
    /// <summary>L2 penalty on each bias, in cells: a bias from n observed cells shrinks by n / (n + BiasLambda).</summary>
    public double BiasLambda { get; init; } = Defaults.BiasLambda;

    /// <summary>A different penalty for example biases b_j (null: <see cref="BiasLambda"/> for both sides).</summary>
    public double? ExampleBiasLambda { get; init; }

    /// <summary>Relative objective change that counts as converged.</summary>
    public double Tolerance { get; init; } = Defaults.AdditiveTolerance;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        NonNegative(BiasLambda, nameof(BiasLambda));
        NonNegative(ExampleBiasLambda ?? 0, nameof(ExampleBiasLambda));
        InUnitInterval(Tolerance, nameof(Tolerance));
    }
}

/// <summary>Options of <see cref="RankOneFitter"/>: uncentred u_i * v_j.</summary>
public sealed record RankOneOptions : GaussianFactorOptions
{
    /// <summary>Penalty on u and v as a multiple of the noise-adaptive universal threshold (see <see cref="Defaults.FactorLambda"/>).</summary>
    public double Lambda { get; init; } = Defaults.FactorLambda;

    /// <summary>Relative objective change that counts as converged.</summary>
    public double Tolerance { get; init; } = Defaults.Tolerance;

    /// <summary>Seed of the initialisation: the same seed and input give a bit-identical model.</summary>
    public int Seed { get; init; } = Defaults.Seed;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        NonNegative(Lambda, nameof(Lambda));
        InUnitInterval(Tolerance, nameof(Tolerance));
    }
}

/// <summary>Options of <see cref="LowRankFitter"/>: mu + a_i + b_j + U_i . V_j by alternating least squares on observed cells.</summary>
public sealed record LowRankOptions : GaussianFactorOptions
{
    /// <summary>Latent dimension r, at most the matrix's smaller side (a fit of a smaller matrix uses min(M, N)). The model stores (M + N)(r + 1) doubles.</summary>
    public int Rank { get; init; } = Defaults.Rank;

    /// <summary>
    /// Factor penalty as a multiple of the noise-adaptive universal threshold (see <see cref="Defaults.FactorLambda"/>): 0 fits
    /// without factor regularisation, larger values shrink toward the additive model. Dimensionless and shape-aware.
    /// </summary>
    public double Lambda { get; init; } = Defaults.FactorLambda;

    /// <summary>L2 penalty on biases, in cells.</summary>
    public double BiasLambda { get; init; } = Defaults.BiasLambda;

    /// <summary>Relative objective change that counts as converged.</summary>
    public double Tolerance { get; init; } = Defaults.Tolerance;

    /// <summary>Seed of the factor initialisation: the same seed and input give a bit-identical model.</summary>
    public int Seed { get; init; } = Defaults.Seed;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        InRange(Rank, 1, ModelCatalog.MaxRank, nameof(Rank));
        NonNegative(Lambda, nameof(Lambda));
        NonNegative(BiasLambda, nameof(BiasLambda));
        InUnitInterval(Tolerance, nameof(Tolerance));
    }
}

using System.Globalization;

namespace ForgetPredict.Core.Models;

/// <summary>How a fold-in regularises the new task's parameters.</summary>
public enum FoldInPrior
{
    /// <summary>
    /// Gaussian prior with the mean and covariance of the training tasks' parameters, and the noise variance of the
    /// training residuals (empirical Bayes). Scale-free and needs no tuning; the default. A model with fewer than two measured
    /// training tasks has no covariance to estimate: its fold-in takes the ridge penalty centred on the mean of those tasks'
    /// parameters (a model of one task starts a new task from that task).
    /// </summary>
    Empirical,

    /// <summary>The same L2 penalty the fit used for task parameters (the fold-in then equals one exact row update of the fit).</summary>
    Ridge,
}

/// <summary>Options for <see cref="IForgettingModel.FoldIn"/>.</summary>
public sealed record FoldInOptions
{
    /// <summary>The prior on the new task's parameters; see <see cref="FoldInPrior"/>. Default <see cref="FoldInPrior.Empirical"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="FoldInPrior"/>.</exception>
    public FoldInPrior Prior
    {
        get;
        init => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Prior), value, $"Not a fold-in prior; use one of {string.Join(", ", Enum.GetNames<FoldInPrior>())}.");
    } = FoldInPrior.Empirical;

    /// <summary>
    /// A prior on the new task's parameters that replaces the one <see cref="Prior"/> selects, e.g. the prior a
    /// <see cref="Features.TaskFeatureModel"/> predicts from the task's features; null (the default) uses <see cref="Prior"/>.
    /// Factor models only; its dimension must match the model's task vectors.
    /// </summary>
    public GaussianPrior? TaskPrior { get; init; }

    /// <summary>The default options.</summary>
    public static FoldInOptions Default { get; } = new();
}

/// <summary>
/// A new task folded into a fitted model: predictions (and their uncertainty) for every example.
/// </summary>
/// <remarks>Immutable and safe for concurrent use.</remarks>
public abstract class FoldedTask
{
    /// <summary>Creates the base with the row length and number of known cells, for a fold-in that used its model's own prior
    /// and does not name the examples (<see cref="ExampleIds"/> is null).</summary>
    protected FoldedTask(int exampleCount, int knownCount, bool predictsProbability)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(exampleCount);
        ArgumentOutOfRangeException.ThrowIfNegative(knownCount);
        ExampleCount = exampleCount;
        KnownCount = knownCount;
        PredictsProbability = predictsProbability;
    }

    /// <summary>Creates the base for a task folded into a model whose examples are <paramref name="exampleIds"/>.</summary>
    /// <param name="exampleIds">The model's example ids, in its order (the row has one cell per id).</param>
    /// <param name="knownCount">Number of known cells the fold-in used.</param>
    /// <param name="predictsProbability">True when predictions are probabilities of forgetting.</param>
    /// <param name="fromTaskPrior">True when the fold-in's prior was given (<see cref="FoldInOptions.TaskPrior"/>), not the model's own.</param>
    protected FoldedTask(IdList exampleIds, int knownCount, bool predictsProbability, bool fromTaskPrior)
        : this((exampleIds ?? throw new ArgumentNullException(nameof(exampleIds))).Count, knownCount, predictsProbability)
    {
        ExampleIds = exampleIds;
        FromTaskPrior = fromTaskPrior;
    }

    /// <summary>Number of examples in the predicted row.</summary>
    public int ExampleCount { get; }

    /// <summary>The ids of the examples of the model the task was folded into, in its order; null for a fold that does not name
    /// them (made by a subclass outside this library with the constructor that takes only a count).</summary>
    public IdList? ExampleIds { get; }

    /// <summary>Number of known cells the fold-in used.</summary>
    public int KnownCount { get; }

    /// <summary>
    /// True when the fold-in started from a prior it was given (<see cref="FoldInOptions.TaskPrior"/>, e.g. the prior a
    /// <see cref="Features.TaskFeatureModel"/> predicts from the task's features) instead of the model's own.
    /// </summary>
    public bool FromTaskPrior { get; }

    /// <summary>True when predictions are probabilities of forgetting (logistic models).</summary>
    public bool PredictsProbability { get; }

    /// <summary>
    /// The natural threshold of the scale: 0.5 for probabilities (logistic models), else 0 (any increase of the loss). Forecasts
    /// default to the model's informative threshold instead (<see cref="Erasure.ForgettingThreshold.Default"/>).
    /// </summary>
    public double DefaultThreshold => PredictsProbability ? 0.5 : 0;

    /// <summary>
    /// True when nothing about this task was used: no cell was known and the prior was the model's own, so the row is what an
    /// average past task does. A cold start from a given prior (<see cref="FromTaskPrior"/>: the task's features) is not
    /// task-agnostic.
    /// </summary>
    public bool IsTaskAgnostic => KnownCount == 0 && !FromTaskPrior;

    /// <summary>
    /// Writes the predicted row into <paramref name="mean"/> and, when <paramref name="std"/> is not empty, the
    /// predictive standard deviation of each cell (the uncertainty of a new measurement of that cell).
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void PredictRow(Span<double> mean, Span<double> std)
    {
        if (mean.Length != ExampleCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Destination has {mean.Length} cells; the row has {ExampleCount}."), nameof(mean));
        }

        if (std.Length != 0 && std.Length != ExampleCount)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Std destination has {std.Length} cells; pass an empty span or one of {ExampleCount}."), nameof(std));
        }

        PredictRowCore(mean, std);
    }

    /// <summary>Writes the predicted row only.</summary>
    /// <exception cref="ArgumentException"><paramref name="mean"/> has the wrong length.</exception>
    public void PredictRow(Span<double> mean) => PredictRow(mean, default);

    /// <summary>The predicted row as a new array.</summary>
    public double[] PredictRow()
    {
        var row = new double[ExampleCount];
        PredictRow(row, default);
        return row;
    }

    /// <summary>
    /// Writes the predictions of the examples <paramref name="examples"/> only, in their order, into <paramref name="mean"/> and,
    /// when <paramref name="std"/> is not empty, their predictive standard deviations: each value bit-identical to the same
    /// example of <see cref="PredictRow(Span{double}, Span{double})"/>. Much cheaper than the whole row when the examples are
    /// few (e.g. the cells a cross-validation scores), for every model that can predict examples one at a time; the others
    /// predict the whole row and pick the examples from it.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length differs from the number of examples, or an index is out of range.</exception>
    public void PredictCells(ReadOnlySpan<int> examples, Span<double> mean, Span<double> std)
    {
        if (mean.Length != examples.Length || (std.Length != 0 && std.Length != examples.Length))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{examples.Length} examples but destinations of {mean.Length} and {std.Length} cells; give one cell per example (std may be empty)."), nameof(mean));
        }

        foreach (var j in examples)
        {
            if ((uint)j >= (uint)ExampleCount)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Example index {j} is outside 0..{ExampleCount - 1}."), nameof(examples));
            }
        }

        PredictCellsCore(examples, mean, std);
    }

    /// <summary>
    /// Implementation of <see cref="PredictCells"/> with validated arguments: one-example blocks (<see cref="PredictBlock"/>
    /// promises the row's bits for any block), or the whole row when this fold predicts only whole rows. Folds that can
    /// predict examples without a block's set-up override it.
    /// </summary>
    internal virtual void PredictCellsCore(ReadOnlySpan<int> examples, Span<double> mean, Span<double> std)
    {
        for (var t = 0; t < examples.Length; t++)
        {
            if (!PredictBlock(examples[t], mean.Slice(t, 1), std.IsEmpty ? default : std.Slice(t, 1)))
            {
                // Whether a fold predicts blocks does not change along the row: this happens on the first example.
                var rowMean = new double[ExampleCount];
                var rowStd = std.IsEmpty ? [] : new double[ExampleCount];
                PredictRowCore(rowMean, rowStd);
                for (var i = 0; i < examples.Length; i++)
                {
                    mean[i] = rowMean[examples[i]];
                    if (!std.IsEmpty)
                    {
                        std[i] = rowStd[examples[i]];
                    }
                }

                return;
            }
        }
    }

    /// <summary>
    /// The expected average forgetting of a set of examples (e.g. a data source) and the variance of that average: the
    /// uncertainty of the task's parameters (shared by every example, so it does not average out) plus the cell noise
    /// divided by the set's size.
    /// </summary>
    /// <exception cref="ArgumentException">The set is empty or has an index out of range.</exception>
    public (double Mean, double Variance) Average(ReadOnlySpan<int> examples)
    {
        if (examples.IsEmpty)
        {
            throw new ArgumentException("Average over an empty set of examples.", nameof(examples));
        }

        foreach (var j in examples)
        {
            if ((uint)j >= (uint)ExampleCount)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Example index {j} is outside 0..{ExampleCount - 1}."), nameof(examples));
            }
        }

        return AverageCore(examples);
    }

    /// <summary>
    /// The part of <see cref="Average"/>'s variance that comes from the uncertainty of the task's parameters (0 for models
    /// without a parameter posterior).
    /// </summary>
    internal virtual double ParameterVariance(ReadOnlySpan<int> examples) => 0;

    /// <summary>
    /// This task as a row linear in Gaussian task parameters (the Gaussian factor models' fold-ins), for the row scanner's
    /// single-precision pass; null for other models.
    /// </summary>
    internal virtual ILinearGaussianTask? LinearGaussian => null;

    /// <summary>The longest block <see cref="PredictBlock"/> must accept (its buffers live on the stack).</summary>
    internal const int BlockSize = 1024;

    /// <summary>
    /// Writes examples <paramref name="start"/> .. start + mean.Length - 1 (at most <see cref="BlockSize"/>) of the row (and their stds when <paramref name="std"/>
    /// is not empty), bit-identical to the same examples of <see cref="PredictRow(Span{double}, Span{double})"/>; false, having
    /// written nothing useful, when this fold predicts only whole rows. Lets an ensemble evaluate its members block by block.
    /// </summary>
    internal virtual bool PredictBlock(int start, Span<double> mean, Span<double> std) => false;

    /// <summary>Implementation of <see cref="PredictRow(Span{double}, Span{double})"/> with validated spans.</summary>
    protected abstract void PredictRowCore(Span<double> mean, Span<double> std);

    /// <summary>
    /// Implementation of <see cref="Average"/> with validated indices. The default treats cells as independent: the mean of
    /// the predictions and the mean predictive variance divided by the set's size.
    /// </summary>
    protected virtual (double Mean, double Variance) AverageCore(ReadOnlySpan<int> examples)
    {
        var mean = new double[ExampleCount];
        var std = new double[ExampleCount];
        PredictRowCore(mean, std);
        double m = 0, v = 0;
        foreach (var j in examples)
        {
            m += mean[j];
            v += std[j] * std[j];
        }

        return (m / examples.Length, v / examples.Length / examples.Length);
    }

    /// <summary>
    /// Checks measured cells as every model's fold-in does: one finite value per example index, each index in
    /// 0..<paramref name="exampleCount"/>-1 and given once.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ, an index is out of range or repeated, or a value is not finite; the message says which.</exception>
    public static void ValidateKnown(ReadOnlySpan<int> examples, ReadOnlySpan<double> values, int exampleCount)
    {
        if (examples.Length != values.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{examples.Length} example indices but {values.Length} values; pass one value per known example."), nameof(values));
        }

        var seen = new HashSet<int>();
        for (var t = 0; t < examples.Length; t++)
        {
            if ((uint)examples[t] >= (uint)exampleCount)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Known example index {examples[t]} is outside 0..{exampleCount - 1}."), nameof(examples));
            }

            if (!seen.Add(examples[t]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Known example {examples[t]} is given twice; give each known cell once."), nameof(examples));
            }

            if (!double.IsFinite(values[t]))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Known value for example {examples[t]} is {values[t]}; known values must be finite."), nameof(values));
            }
        }
    }
}

/// <summary>
/// A folded task whose row is linear in Gaussian task parameters: mean_j = mu + b_j + x_j . w with w ~ N(<see cref="Parameters"/>,
/// <see cref="Covariance"/>), x_j the model's example features (with a leading 1 when the model has a task bias).
/// </summary>
internal interface ILinearGaussianTask
{
    /// <summary>The model the task was folded into.</summary>
    FactorModel Model { get; }

    /// <summary>Posterior mean of the task parameters: the task bias first when the model has one, then the r factors.</summary>
    ReadOnlySpan<double> Parameters { get; }

    /// <summary>Posterior covariance of <see cref="Parameters"/>, row-major.</summary>
    ReadOnlySpan<double> Covariance { get; }

    /// <summary>Example <paramref name="example"/>'s mean and std, bit-identical to <see cref="FoldedTask.PredictRow(Span{double}, Span{double})"/>.</summary>
    (double Mean, double Std) PredictCell(int example);
}

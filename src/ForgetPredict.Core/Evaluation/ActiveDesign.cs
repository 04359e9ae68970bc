using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Evaluation;

/// <summary>
/// The model behind active measurement: mf (rank 8 by default) fitted on the past tasks, with each example's noise variance
/// from its residuals (<see cref="ActiveReveal.ExampleNoise"/>), or (<see cref="Of"/>) the factor model inside a model
/// fitted already. It chooses which cells a new task should measure; the protocol's <see cref="RevealStrategy.Active"/>
/// and the <c>design</c> command both design on it. Immutable.
/// </summary>
public sealed class ActiveDesign
{
    private readonly double[] _noise;

    private ActiveDesign(FactorModel model, double[] noise)
    {
        Model = model;
        _noise = noise;
    }

    /// <summary>The factor model the designs are computed on.</summary>
    public FactorModel Model { get; }

    /// <summary>
    /// The name of the ensemble member the design model is (<see cref="Of"/> on an ensemble), or null when it is the whole
    /// model or was fitted for the design.
    /// </summary>
    public string? Member { get; private init; }

    /// <summary>That member's weight in its ensemble, or 1.</summary>
    public double Weight { get; private init; } = 1;

    /// <summary>Each example's noise variance.</summary>
    public ReadOnlySpan<double> ExampleNoise => _noise;

    /// <summary>Fits the design model on the past tasks <paramref name="training"/>.</summary>
    /// <param name="training">The past tasks' forgetting.</param>
    /// <param name="fitter">The mf fitter (null: the default options).</param>
    /// <param name="cancellationToken">Stops the fit between solver sweeps.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ActiveDesign Fit(ForgettingMatrix training, LowRankFitter? fitter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(training);
        var model = (fitter ?? new LowRankFitter()).FitLowRank(training, cancellationToken);
        return new ActiveDesign(model, ActiveReveal.ExampleNoise(model, training, model.NoiseVariance));
    }

    /// <summary>
    /// The design model of a model fitted already, so a new task can be designed for without the past tasks' matrix: the model
    /// itself when it is a factor model (additive, rank-1, mf, profile), or an ensemble's factor member with the largest weight
    /// (the first of equals). Each example's noise variance is the model's own residual variance, as its residual components
    /// give it (not shrunk, without its parameters' share: what the designs were measured with), where <see cref="Fit"/>
    /// measures it on the training residuals; on charlm-b and charlm-d the two give designs of the same accuracy.
    /// </summary>
    /// <param name="model">The fitted model.</param>
    /// <exception cref="ArgumentException">The model has no factor model to design on (knn, or an ensemble without a factor
    /// member), it predicts probabilities (logistic), or it learns nothing from measured cells (example-only).</exception>
    public static ActiveDesign Of(IForgettingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (factor, member, weight) = model switch
        {
            FactorModel f => (f, null, 1.0),
            EnsembleModel e => Heaviest(e),
            _ => (null, null, 0),
        };
        if (factor is null)
        {
            throw new ArgumentException(
                $"{Article(ModelCatalog.NameOf(model.Method))} model has no factor model to design on; {OtherModels}",
                nameof(model));
        }

        if (factor.PredictsProbability)
        {
            throw new ArgumentException("A logistic model predicts probabilities, and the designs assume Gaussian cells; design on the past tasks' matrix instead (forgetpredict design MATRIX).", nameof(model));
        }

        if (!factor.HasTaskBias && factor.Rank == 0)
        {
            throw new ArgumentException(
                $"{Article(ModelCatalog.NameOf(factor.Method))} model learns nothing about a new task from its measured cells, so no cell is worth more than another; {OtherModels}",
                nameof(model));
        }

        // A task-mean model learns the new task's bias, but every example shares it: any cells inform it alike, and the design
        // would list the first examples in index order as if it had chosen them.
        if (!factor.HasExampleBias && factor.Rank == 0)
        {
            throw new ArgumentException(
                $"{Article(ModelCatalog.NameOf(factor.Method))} model predicts every example of a task alike (it has no example parameters), so no cell is worth more than another; {OtherModels}",
                nameof(model));
        }

        return new ActiveDesign(factor, factor.ResidualVariances()) { Member = member, Weight = weight };
    }

    // "An example-mean", "An mf", "A knn": the article as the method's name is read aloud.
    private static string Article(string method) =>
        (method.Length > 0 && "aeiou".Contains(method[0], StringComparison.Ordinal)) || method == "mf" ? $"An {method}" : $"A {method}";

    // What to design on instead of a model that has nothing to design on.
    private const string OtherModels = "design on an mf, additive or ensemble (auto) model, or on the past tasks' matrix (forgetpredict design MATRIX).";

    private static (FactorModel? Model, string? Member, double Weight) Heaviest(EnsembleModel ensemble)
    {
        var best = -1;
        for (var i = 0; i < ensemble.Members.Count; i++)
        {
            if (ensemble.Members[i] is FactorModel && (best < 0 || ensemble.Weights[i] > ensemble.Weights[best]))
            {
                best = i;
            }
        }

        return best < 0 ? (null, null, 0) : ((FactorModel)ensemble.Members[best], ensemble.MemberNames[best], ensemble.Weights[best]);
    }

    /// <summary>
    /// <paramref name="count"/> examples to measure, in the order chosen (<see cref="ActiveReveal.Choose"/>), with a criterion
    /// that does not depend on the measured values; <paramref name="measured"/> are examples measured already (null: none).
    /// </summary>
    /// <exception cref="ArgumentException">The criterion is <see cref="ActiveCriterion.Neighbours"/> (use <see cref="ChooseAdaptive"/>), a group is empty or out of range, or a measured example is out of range or repeated.</exception>
    public int[] Choose(int count, ActiveCriterion criterion = ActiveCriterion.VOptimal, Func<int, bool>? available = null, IReadOnlyList<int[]>? groups = null,
        IReadOnlyList<int>? measured = null) =>
        ActiveReveal.Choose(Model, count, available, _noise, criterion, groups, measured);

    /// <summary>
    /// <paramref name="count"/> examples chosen one at a time with <see cref="ActiveCriterion.Neighbours"/>, each knowing the
    /// values <paramref name="measure"/> returned for those before it (<see cref="ActiveReveal.ChooseAdaptive"/>).
    /// </summary>
    public int[] ChooseAdaptive(int count, Func<int, double> measure, Func<int, bool>? available = null) =>
        ActiveReveal.ChooseAdaptive(Model, count, measure, available, _noise);
}

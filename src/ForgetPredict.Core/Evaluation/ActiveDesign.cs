using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Evaluation;

/// <summary>
/// The model behind active measurement: mf (rank 8 by default) fitted on the past tasks, with each example's noise variance
/// from its residuals (<see cref="ActiveReveal.ExampleNoise"/>). It chooses which cells a new task should measure; the
/// protocol's <see cref="RevealStrategy.Active"/> and the <c>design</c> command both design on it. Immutable.
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

    /// <summary>Each example's noise variance.</summary>
    public ReadOnlySpan<double> ExampleNoise => _noise;

    /// <summary>Fits the design model on the past tasks <paramref name="training"/>.</summary>
    /// <param name="training">The past tasks' forgetting.</param>
    /// <param name="fitter">The mf fitter (null: the default options).</param>
    public static ActiveDesign Fit(ForgettingMatrix training, LowRankFitter? fitter = null)
    {
        ArgumentNullException.ThrowIfNull(training);
        var model = (fitter ?? new LowRankFitter()).FitLowRank(training);
        return new ActiveDesign(model, ActiveReveal.ExampleNoise(model, training, model.NoiseVariance));
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

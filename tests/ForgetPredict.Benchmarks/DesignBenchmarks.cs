using BenchmarkDotNet.Attributes;
using ForgetPredict.Core.Evaluation;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// Designing 10 cells to measure for a new task ('forgetpredict design') on 85 past tasks x 141,816 examples: fitting the
/// design model (mf rank 8 and each example's noise) and the greedy choice itself, per criterion; and the design on a
/// model fitted already ('design --model', the service's design endpoint), which fits nothing.
/// </summary>
[MemoryDiagnoser]
public class DesignBenchmarks
{
    private Core.ForgettingMatrix _past = null!;
    private ActiveDesign _design = null!;
    private Core.Models.FactorModel _fitted = null!;

    /// <summary>What the design minimises.</summary>
    [Params(ActiveCriterion.VOptimal, ActiveCriterion.DOptimal)]
    public ActiveCriterion Criterion { get; set; }

    /// <summary>The past tasks, and their design model fitted once for <see cref="Choose"/>.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _past = BenchmarkInputs.Synthetic(BenchmarkInputs.IsSmoke ? 12 : 85, BenchmarkInputs.IsSmoke ? 2_000 : 141_816);
        _design = ActiveDesign.Fit(_past);
        _fitted = new Core.Models.LowRankFitter().FitLowRank(_past);
    }

    /// <summary>The greedy choice of 10 cells on a fitted design model.</summary>
    [Benchmark]
    public int[] Choose() => _design.Choose(10, Criterion);

    /// <summary>The design on a fitted model: its per-example noise read from the model, then the choice.</summary>
    [Benchmark]
    public int[] OnAFittedModel() => ActiveDesign.Of(_fitted).Choose(10, Criterion);

    /// <summary>The whole design: the model's fit on the past tasks, then the choice.</summary>
    [Benchmark(Baseline = true)]
    public int[] FitAndChoose() => ActiveDesign.Fit(_past).Choose(10, Criterion);
}

using BenchmarkDotNet.Attributes;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// The default threshold of a model (mf rank 5, 85 x 141,816): the task-agnostic row with stds, then the mixture's 90%
/// quantile by bisection. A process pays it once per model (a server caches it per model instance); the benchmark
/// computes it afresh each time (<see cref="ForgettingThreshold.MixtureQuantile"/> on the prepared row, and the whole
/// default through a new model instance's fold-in).
/// </summary>
[MemoryDiagnoser]
public class ForgettingThresholdBenchmarks
{
    private FactorModel _model = null!;
    private double[] _mean = null!;
    private double[] _std = null!;

    /// <summary>Fits the model and predicts its task-agnostic row.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _model = new LowRankFitter(new LowRankOptions { Rank = 5, MaxIterations = 5 }).FitLowRank(BenchmarkInputs.Published);
        _mean = new double[_model.ExampleCount];
        _std = new double[_model.ExampleCount];
        _model.FoldIn([], []).PredictRow(_mean, _std);
    }

    /// <summary>The quantile of the mixture alone.</summary>
    [Benchmark]
    public double MixtureQuantile() => ForgettingThreshold.MixtureQuantile(_mean, _std, ForgettingThreshold.PastQuantile);

    /// <summary>The task-agnostic row and its quantile (what the first forecast of a model pays).</summary>
    [Benchmark(Baseline = true)]
    public double RowAndQuantile()
    {
        var mean = new double[_model.ExampleCount];
        var std = new double[_model.ExampleCount];
        _model.FoldIn([], [], FoldInOptions.Default).PredictRow(mean, std);
        return ForgettingThreshold.MixtureQuantile(mean, std, ForgettingThreshold.PastQuantile);
    }
}

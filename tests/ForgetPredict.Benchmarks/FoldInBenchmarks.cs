using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// Folding a new task in from 30 known cells and predicting every example. Target (issue 2): the 141,816 predictions in
/// at most 1 ms. The baseline is the straightforward implementation: one TensorPrimitives multiply-add pass per factor.
/// </summary>
[MemoryDiagnoser]
public class FoldInBenchmarks
{
    private FactorModel _model = null!;
    private int[] _known = [];
    private double[] _values = [];
    private double[] _mean = [];
    private double[] _std = [];
    private double[] _weights = [];

    /// <summary>Examples N.</summary>
    [Params(1_024, 16_384, 141_816)]
    public int Examples { get; set; } = 141_816;

    /// <summary>Latent rank r.</summary>
    [Params(1, 5, 32)]
    public int Rank { get; set; } = 5;

    /// <summary>Fits the model on 85 tasks and picks 30 known cells of a held-out task.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var n = BenchmarkInputs.IsSmoke ? Math.Min(Examples, 2_000) : Examples;
        var z = BenchmarkInputs.Synthetic(BenchmarkInputs.IsSmoke ? 12 : 86, n);
        var train = z.SelectTasks(Enumerable.Range(1, z.TaskCount - 1).ToArray());
        _model = new LowRankFitter(new LowRankOptions { Rank = Rank, MaxIterations = 5 }).FitLowRank(train);
        _known = Enumerable.Range(0, 30).Select(i => i * (n / 30)).ToArray();
        _values = _known.Select(j => (double)z[0, j]).ToArray();
        _mean = new double[n];
        _std = new double[n];
        // The fit's rank (at most the training tasks: the smoke run's 11 tasks fit rank 11 for Rank = 32).
        _weights = _model.FoldIn(_known, _values).PredictRow()[.._model.Rank];
    }

    /// <summary>Naive baseline: the predicted row as r + 1 separate vector passes over the output.</summary>
    [Benchmark(Baseline = true)]
    public double[] PredictionsByPasses()
    {
        TensorPrimitives.Add(_model.ExampleBiases, 0.1, _mean);
        for (var k = 0; k < _model.Rank; k++)
        {
            TensorPrimitives.MultiplyAdd(_model.ExampleFactors.Slice(k * _mean.Length, _mean.Length), _weights[k], _mean, _mean);
        }

        return _mean;
    }

    /// <summary>Fold-in (solve for the new task) plus every prediction, fused kernel.</summary>
    [Benchmark]
    public double[] FoldInPredictions()
    {
        _model.FoldIn(_known, _values).PredictRow(_mean, default);
        return _mean;
    }

    /// <summary>Fold-in plus every prediction and its predictive standard deviation.</summary>
    [Benchmark]
    public double[] FoldInPredictionsWithStd()
    {
        _model.FoldIn(_known, _values).PredictRow(_mean, _std);
        return _std;
    }
}

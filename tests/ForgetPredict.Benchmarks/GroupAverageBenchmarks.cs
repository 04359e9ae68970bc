using BenchmarkDotNet.Attributes;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// A new task's mean forgetting and its variance for six groups covering all 141,816 examples (the group table of a report
/// or a service request), with 32 residual directions. The model-side moments of a group cost O((r + q) N); a model
/// remembers them for large groups, so a repeated grouping costs a hash and a comparison of the members.
/// </summary>
[MemoryDiagnoser]
public class GroupAverageBenchmarks
{
    private FactorModel _model = null!;
    private FactorModel _fresh = null!;
    private int[] _known = [];
    private double[] _values = [];
    private int[][] _groups = [];

    /// <summary>Fits the model and splits the examples into six interleaved groups.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var z = BenchmarkInputs.Published;
        var n = z.ExampleCount;
        _model = new LowRankFitter(new LowRankOptions { Rank = 5, MaxIterations = 5 }).FitLowRank(z);
        _known = Enumerable.Range(0, 30).Select(i => i * (n / 30)).ToArray();
        _values = _known.Select(j => (double)z[0, j]).ToArray();
        _groups = Enumerable.Range(0, 6).Select(g => Enumerable.Range(0, n).Where(j => (j * 7919 % 6) == g).ToArray()).ToArray();
        Averages(_model);
    }

    /// <summary>A model that has not seen the groups yet.</summary>
    [IterationSetup(Target = nameof(FirstRequest))]
    public void ForgetGroups() => _fresh = FactorModel.Create(_model.Parameters);

    /// <summary>Fold-in plus six group averages, moments computed.</summary>
    [Benchmark(Baseline = true)]
    public double FirstRequest() => Averages(_fresh);

    /// <summary>Fold-in plus six group averages, moments remembered from an earlier request.</summary>
    [Benchmark]
    public double RepeatedRequest() => Averages(_model);

    private double Averages(FactorModel model)
    {
        var fold = model.FoldIn(_known, _values);
        double total = 0;
        foreach (var group in _groups)
        {
            var (mean, variance) = fold.Average(group);
            total += mean + variance;
        }

        return total;
    }
}

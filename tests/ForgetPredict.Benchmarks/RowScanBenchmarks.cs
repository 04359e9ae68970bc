using BenchmarkDotNet.Attributes;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// What a served predict query needs from the predicted row (mf rank 5, 141,816 examples, six groups, 30 measured
/// cells): the expected number forgotten overall and per group, the top 20 and each group's top 3. The single-precision
/// scan (one pass over a float copy of the example side, candidates re-ranked in double) against the double path (the
/// whole row with stds, a vectorised normal tail, heap selections), which gives the same top lists.
/// </summary>
[MemoryDiagnoser]
public class RowScanBenchmarks
{
    private RowScanner _single = null!;
    private RowScanner _double = null!;
    private FoldedTask _task = null!;

    /// <summary>Fits the model, folds in a task and builds both scanners.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var z = BenchmarkInputs.Published;
        var n = z.ExampleCount;
        var model = new LowRankFitter(new LowRankOptions { Rank = 5, MaxIterations = 5 }).FitLowRank(z);
        var known = Enumerable.Range(0, 30).Select(i => i * (n / 30)).ToArray();
        _task = model.FoldIn(known, known.Select(j => (double)z[0, j]).ToArray());
        var groups = Enumerable.Range(0, 6).Select(g => Enumerable.Range(0, n).Where(j => (j * 7919 % 6) == g).ToArray()).ToArray();
        _single = new RowScanner(model, groups);
        _double = new RowScanner(model, groups, allowSinglePrecision: false);
    }

    /// <summary>The double path.</summary>
    [Benchmark(Baseline = true)]
    public RowScan DoublePrecision() => _double.Scan(_task);

    /// <summary>The single-precision scan.</summary>
    [Benchmark]
    public RowScan SinglePrecision() => _single.Scan(_task);
}

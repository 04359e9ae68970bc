using BenchmarkDotNet.Attributes;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// The cost of self-tuning on the published-size 85 x 141,816 matrix: <c>auto</c> (cross-validation over additive, knn,
/// mf ranks 1, 2, 4 and 8, knn with interpolation weights at priors 1 and 10 (reusing each fold's knn fit) and the profile model,
/// three folds in parallel, then the winner refitted) against one default mf fit.
/// Target (issue 13): at most 10x. One cold iteration each (a full auto fit runs for tens of seconds).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(BenchmarkDotNet.Engines.RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class AutoFitBenchmarks
{
    private ForgettingMatrix _matrix = null!;

    /// <summary>
    /// The share of cells missing at random: none, or 0.04% (real matrices have a few gaps, which take the solvers' paths
    /// for missing cells: mf's per-column systems, knn's gap corrections and per-cell neighbourhoods).
    /// </summary>
    [Params(0.0, 0.0004)]
    public double Missing { get; set; }

    /// <summary>The published-size matrix, with <see cref="Missing"/> of its cells missing.</summary>
    [GlobalSetup]
    public void Setup() => _matrix = Missing == 0 ? BenchmarkInputs.Published
        : Core.Synthetic.SyntheticForgetting.Generate(new() { Tasks = BenchmarkInputs.PublishedTasks, Examples = BenchmarkInputs.PublishedExamples, MissingFraction = Missing, KeepSignal = false, Seed = 42 }).Matrix;

    /// <summary>One default mf fit (rank 8).</summary>
    [Benchmark(Baseline = true)]
    public IForgettingModel FitMf() => ModelCatalog.CreateFitter("mf").Fit(_matrix);

    /// <summary>One auto fit for 30 known cells.</summary>
    [Benchmark]
    public IForgettingModel FitAuto() => ModelCatalog.CreateFitter(ModelCatalog.Auto).Fit(_matrix);
}

/// <summary>
/// The same fits on a tall matrix, 4,000 tasks x 400 examples (planted rank 4; 300 x 40 in the smoke run): more tasks than examples, where knn's task
/// similarities come from <c>GramMatrix.Tall</c> (tile rows shared by the workers) and <c>auto</c>'s cross-validation scores
/// at most 200 held-out tasks per fold. Before both: knn 7.1 s and auto 29.6 s inside the command line's fit.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(BenchmarkDotNet.Engines.RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class TallFitBenchmarks
{
    private ForgettingMatrix _matrix = null!;

    /// <summary>The tall matrix.</summary>
    [GlobalSetup]
    public void Setup() => _matrix = BenchmarkInputs.IsSmoke ? BenchmarkInputs.Synthetic(300, 40, 3) : BenchmarkInputs.Synthetic(4000, 400, 3);

    /// <summary>One default mf fit (rank 8).</summary>
    [Benchmark(Baseline = true)]
    public IForgettingModel FitMf() => ModelCatalog.CreateFitter("mf").Fit(_matrix);

    /// <summary>One default knn fit (40 neighbours, Pearson-baseline similarities of all 4,000 x 4,000 pairs).</summary>
    [Benchmark]
    public IForgettingModel FitKnn() => ModelCatalog.CreateFitter("knn").Fit(_matrix);

    /// <summary>One auto fit for 30 known cells.</summary>
    [Benchmark]
    public IForgettingModel FitAuto() => ModelCatalog.CreateFitter(ModelCatalog.Auto).Fit(_matrix);
}

/// <summary>
/// A prediction (fold-in from 30 known cells plus the whole predicted row with its std) with a model that <c>auto</c>
/// fitted, against the plain mf and knn models (defaults: rank 8, 40 neighbours), on 85 x 141,816. Issue 13 asks for the same
/// speed; an ensemble's members are evaluated block by block, but each still reads its own example side (knn: its 40 nearest
/// training rows). Allocations are reported: an ensemble prediction allocates no row-sized buffer.
/// </summary>
[MemoryDiagnoser]
public class AutoPredictBenchmarks
{
    private IForgettingModel _mf = null!;
    private IForgettingModel _knn = null!;
    private IForgettingModel _auto = null!;
    private int[] _known = [];
    private double[] _values = [];
    private double[] _mean = [];
    private double[] _std = [];

    /// <summary>
    /// The share of the training cells missing at random: none, or 0.04% (then knn's neighbours miss a few cells, and the
    /// examples they missed are predicted from the next neighbours that measured them).
    /// </summary>
    [Params(0.0, 0.0004)]
    public double Missing { get; set; }

    /// <summary>Fits the three models on all but the first task (with <see cref="Missing"/> of their cells missing) and picks
    /// 30 of the first task's cells.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var z = BenchmarkInputs.Published;
        var n = z.ExampleCount;
        var train = z.SelectTasks(Enumerable.Range(1, z.TaskCount - 1).ToArray());
        if (Missing > 0)
        {
            var values = train.Values.ToArray();
            var random = new Random(7);
            for (var c = 0; c < values.Length; c++)
            {
                values[c] = random.NextDouble() < Missing ? float.NaN : values[c];
            }

            train = ForgettingMatrix.Wrap(values, train.TaskCount, n);
        }

        _mf = ModelCatalog.CreateFitter("mf").Fit(train);
        _knn = ModelCatalog.CreateFitter("knn").Fit(train);
        var (auto, report) = ((AutoFitter)ModelCatalog.CreateFitter(ModelCatalog.Auto)).FitAuto(train);
        _auto = auto;
        Console.WriteLine($"// {report.Summary()}");
        _known = Enumerable.Range(0, 30).Select(i => i * (n / 30)).ToArray();
        _values = _known.Select(j => (double)z[0, j]).ToArray();
        _mean = new double[n];
        _std = new double[n];
    }

    /// <summary>Plain mf.</summary>
    [Benchmark(Baseline = true)]
    public double[] PredictMf()
    {
        _mf.FoldIn(_known, _values).PredictRow(_mean, _std);
        return _mean;
    }

    /// <summary>Plain knn.</summary>
    [Benchmark]
    public double[] PredictKnn()
    {
        _knn.FoldIn(_known, _values).PredictRow(_mean, _std);
        return _mean;
    }

    /// <summary>The model auto chose.</summary>
    [Benchmark]
    public double[] PredictAuto()
    {
        _auto.FoldIn(_known, _values).PredictRow(_mean, _std);
        return _mean;
    }
}

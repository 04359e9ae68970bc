using BenchmarkDotNet.Attributes;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// Fitting each model family on the published-size 85 x 141,816 matrix (mf at rank 5, the reference rank). Target
/// (issue 2): mf at most 1 s on 2 cores. "Allocated" is the fit's whole managed allocation, model included; compare it
/// with the matrix's 48.2 MB.
/// </summary>
[MemoryDiagnoser]
public class FitBenchmarks
{
    private ForgettingMatrix _matrix = null!;
    private IForgettingFitter _fitter = null!;

    /// <summary>The method, by its CLI name.</summary>
    [Params("additive", "rank1", "mf", "knn")]
    public string Method { get; set; } = "mf";

    /// <summary>Builds the matrix and the fitter.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _matrix = BenchmarkInputs.Published;
        _fitter = ModelCatalog.CreateFitter(Method, new ModelSettings { Rank = Method == "mf" ? 5 : null });
    }

    /// <summary>One complete fit.</summary>
    [Benchmark]
    public IForgettingModel Fit() => _fitter.Fit(_matrix);
}

/// <summary>
/// Fitting mf (rank 5) on a 1,000 x 1,000,000 matrix: 4 GB of float32. One cold iteration (the matrix takes a while to
/// generate and the fit runs for tens of seconds); "Allocated" shows the fit's extra memory against the 4,000 MB matrix.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(BenchmarkDotNet.Engines.RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class LargeFitBenchmarks
{
    private ForgettingMatrix _matrix = null!;

    /// <summary>Generates the 4 GB matrix (1,000 x 1,000,000; 100 x 10,000 in smoke runs).</summary>
    [GlobalSetup]
    public void Setup() => _matrix = BenchmarkInputs.IsSmoke ? BenchmarkInputs.Synthetic(100, 10_000) : BenchmarkInputs.Synthetic(1_000, 1_000_000);

    /// <summary>One complete rank-5 fit.</summary>
    [Benchmark]
    public IForgettingModel FitRank5() => new LowRankFitter(new LowRankOptions { Rank = 5 }).Fit(_matrix);
}

/// <summary>
/// The stages of <c>forgetpredict fit</c> around the solver on the 85 x 141,816 matrix (mf, rank 5): the sweeps alone
/// (no residual directions), the training R^2, and writing the model file with its matrix summary (to memory). The whole fit
/// with its 32 residual directions is <see cref="FitBenchmarks"/> (mf).
/// </summary>
[MemoryDiagnoser]
public class FitStageBenchmarks
{
    private ForgettingMatrix _matrix = null!;
    private IForgettingModel _model = null!;

    /// <summary>Builds the matrix and fits the model the later stages use.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _matrix = BenchmarkInputs.Published;
        _model = new LowRankFitter(new LowRankOptions { Rank = 5 }).Fit(_matrix);
    }

    /// <summary>The alternating sweeps and the model's parameters, without residual directions.</summary>
    [Benchmark]
    public IForgettingModel SweepsOnly() => new LowRankFitter(new LowRankOptions { Rank = 5, ResidualRank = 0 }).Fit(_matrix);

    /// <summary>The training R^2 of the fitted model.</summary>
    [Benchmark]
    public double RSquared() => Core.Analysis.GoodnessOfFit.RSquared(_model, _matrix);

    /// <summary>The model file, with the training matrix's summary, written to memory.</summary>
    [Benchmark]
    public long SaveModel()
    {
        using var stream = new MemoryStream();
        Data.ModelFile.Write(_model, stream, new Dictionary<string, string> { ["method"] = "mf" }, Core.Analysis.MatrixSummary.ForModel(_matrix, _model));
        return stream.Length;
    }
}

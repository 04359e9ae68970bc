using BenchmarkDotNet.Attributes;
using ForgetPredict.Core;
using ForgetPredict.Core.Analysis;

namespace ForgetPredict.Benchmarks;

/// <summary>The truncated-SVD R^2 curve for ranks 1..10 of the published-size 85 x 141,816 matrix. Target (issue 2): at most 1 s.</summary>
[MemoryDiagnoser]
public class AnalysisBenchmarks
{
    private ForgettingMatrix _matrix = null!;

    /// <summary>Builds the matrix.</summary>
    [GlobalSetup]
    public void Setup() => _matrix = BenchmarkInputs.Published;

    /// <summary>Gram matrix, eigenvalues and the R^2 curve.</summary>
    [Benchmark]
    public SpectrumAnalysis SvdCurveRanks1To10() => Spectrum.Analyze(_matrix, 10);
}

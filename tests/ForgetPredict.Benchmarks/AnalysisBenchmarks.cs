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

/// <summary>
/// The whole published protocol on a 66 x 10,000 matrix: 20 test tasks x 10 seeds x (additive, knn, mf), fits included.
/// Target (issue 4): under 2 s on 2 cores. The reference refit-per-row methods are timed separately (one refit each).
/// </summary>
[MemoryDiagnoser]
public class EvaluationBenchmarks
{
    private Core.ForgettingMatrix _matrix = null!;
    private int[] _test = [];

    /// <summary>Builds the matrix and picks 20 test rows.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _matrix = BenchmarkInputs.IsSmoke ? BenchmarkInputs.Synthetic(20, 500) : BenchmarkInputs.Synthetic(66, 10_000);
        _test = Enumerable.Range(0, _matrix.TaskCount).Where(i => i % 3 == 1).Take(20).ToArray();
    }

    /// <summary>Our three methods through the full protocol.</summary>
    [Benchmark]
    public Core.Evaluation.EvaluationResult ProtocolAdditiveKnnMf() =>
        Core.Evaluation.Protocol.Run(_matrix, _test, [Ours("additive"), Ours("knn"), Ours("mf")], new Core.Evaluation.EvaluationOptions { Seeds = BenchmarkInputs.IsSmoke ? 2 : 10 });

    /// <summary>One refit of the reference SGD MF (rank 5, 1,000 epochs) on the training rows plus one revealed row: ref-mf does this per test row and seed.</summary>
    [Benchmark]
    public double[] ReferenceMfOneRefit() => Refit("ref-mf");

    /// <summary>One refit of the reference MSD KNN-baseline.</summary>
    [Benchmark]
    public double[] ReferenceKnnOneRefit() => Refit("ref-knn");

    /// <summary>One refit of the reference SGD additive model.</summary>
    [Benchmark]
    public double[] ReferenceAdditiveOneRefit() => Refit("ref-additive");

    private static Core.Evaluation.FoldInMethod Ours(string name) => new(name, Core.Models.ModelCatalog.CreateFitter(name));

    private double[] Refit(string name)
    {
        var split = Core.Evaluation.EvaluationSplit.HoldOut(_matrix, _test);
        var known = Core.Evaluation.Protocol.Reveal(_matrix, _test[0], 0, new Core.Evaluation.EvaluationOptions());
        var values = known.Select(j => (double)_matrix[_test[0], j]).ToArray();
        var method = Core.Evaluation.ReferenceMethods.Create(name);
        return method.Prepare(_matrix.SelectTasks(split.TrainRows)).PredictRow(known, values);
    }
}

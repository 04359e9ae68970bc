using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests;

/// <summary>Every long-running entry point stops with an <see cref="OperationCanceledException"/> when its token is cancelled.</summary>
public class CancellationTests
{
    private static readonly ForgettingMatrix s_continuous = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 600, MissingFraction = 0.05, Seed = 4 }).Matrix;
    private static readonly ForgettingMatrix s_binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 600, Binary = true, Seed = 4 }).Matrix;

    public static TheoryData<string> Fitters() => [.. ModelCatalog.Names, "profile", "sgd"];

    private static IForgettingFitter FitterOf(string name) => name switch
    {
        "profile" => new ProfileFitter(),
        "sgd" => new SgdFitter(new SgdOptions { Rank = 2, Epochs = 5 }),
        _ => ModelCatalog.CreateFitter(name),
    };

    private static ForgettingMatrix MatrixFor(string name) => name.StartsWith("logistic", StringComparison.Ordinal) ? s_binary : s_continuous;

    private static CancellationToken Cancelled()
    {
        using var source = new CancellationTokenSource();
        source.Cancel();
        return source.Token;
    }

    [Theory]
    [MemberData(nameof(Fitters))]
    public void Fit_WithACancelledToken_Throws(string name)
    {
        Assert.ThrowsAny<OperationCanceledException>(() => FitterOf(name).Fit(MatrixFor(name), Cancelled()));
    }

    [Theory]
    [MemberData(nameof(Fitters))]
    public void Fit_WithATokenNeverCancelled_IsBitIdenticalToAFitWithout(string name)
    {
        using var source = new CancellationTokenSource();
        var with = FitterOf(name).Fit(MatrixFor(name), source.Token);
        var without = FitterOf(name).Fit(MatrixFor(name));
        ModelAssert.SameTrainingRows(without, with);

        // And a new task's means and stds.
        int[] known = [3, 50, 200, 401];
        ModelAssert.SameNewTask(without, with, known, [.. known.Select(j => (double)MatrixFor(name)[0, j])]);
    }

    [Fact]
    public void Fit_CancelledWhileItRuns_StopsBetweenSweeps()
    {
        // Uncancelled, this fit would run up to 100,000 sweeps of tens of milliseconds (a tolerance of 1e-15 is met only at a
        // fixed point); cancelled after its first ones it must stop with the exception instead of returning a model.
        var big = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 100, Examples = 20_000, Seed = 5 }).Matrix;
        var fitter = new LowRankFitter(new LowRankOptions { Rank = 6, MaxIterations = 100_000, Tolerance = 1e-15 });
        using var source = new CancellationTokenSource();

        // Cancelled from a thread of its own: a timer's callback waits for a pool thread, which the fit's workers can hold for seconds.
        var canceller = new Thread(() =>
        {
            Thread.Sleep(300);
            source.Cancel();
        });
        canceller.Start();
        Assert.ThrowsAny<OperationCanceledException>(() => fitter.Fit(big, source.Token));
        canceller.Join();
    }

    [Fact]
    public void CrossValidation_Protocol_Analysis_AndDesign_WithACancelledToken_Throw()
    {
        var token = Cancelled();
        Assert.ThrowsAny<OperationCanceledException>(() => TaskCrossValidation.Run(s_continuous, [new Candidate("additive", new AdditiveFitter())], new CrossValidationOptions { Known = 10 }, token));
        Assert.ThrowsAny<OperationCanceledException>(() => new AutoFitter().FitAuto(s_continuous, token));
        var split = EvaluationSplit.HoldOut(s_continuous, [0, 1]);
        Assert.ThrowsAny<OperationCanceledException>(() => Protocol.Run(s_continuous, split, [new FoldInMethod("mf", new LowRankFitter())], new EvaluationOptions { Known = 10 }, cancellationToken: token));
        Assert.ThrowsAny<OperationCanceledException>(() => Protocol.Run(s_continuous, split, [ReferenceMethods.Create("ref-additive")], new EvaluationOptions { Known = 10 }, cancellationToken: token));
        Assert.ThrowsAny<OperationCanceledException>(() => EvaluationCurve.Run(s_continuous, split, [new FoldInMethod("additive", new AdditiveFitter())], [0, 10], cancellationToken: token));
        Assert.ThrowsAny<OperationCanceledException>(() => MatrixAnalysis.Run(s_continuous, 3, cancellationToken: token));
        Assert.ThrowsAny<OperationCanceledException>(() => Spectrum.Analyze(s_continuous, 3, cancellationToken: token));
        Assert.ThrowsAny<OperationCanceledException>(() => ActiveDesign.Fit(s_continuous, cancellationToken: token));
        Assert.ThrowsAny<OperationCanceledException>(() => KnnModel.Create(s_continuous, new AdditiveFitter().FitAdditive(s_continuous), new KnnOptions(), token));

        // knn's other similarity paths: complete wide, complete tall (more tasks than examples), few missing cells
        foreach (var (tasks, examples, missing) in new[] { (12, 400, 0.0), (300, 20, 0.0), (12, 400, 0.01) })
        {
            var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = tasks, Examples = examples, MissingFraction = missing, Seed = 3 }).Matrix;
            var baseline = new AdditiveFitter().FitAdditive(z);
            Assert.ThrowsAny<OperationCanceledException>(() => KnnModel.Create(z, baseline, new KnnOptions(), token));
        }
    }
}

using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Erasure;

public class ForgettingThresholdTests
{
    private static readonly SyntheticForgetting s_data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 40, Examples = 1500, Groups = 4, Patterns = 3, Noise = 0.02, Seed = 5, KeepSignal = false });

    [Theory]
    [InlineData(0.9, 1.2815515655446004)]
    [InlineData(0.5, 0)]
    [InlineData(0.1, -1.2815515655446004)]
    public void MixtureQuantile_OfOneStandardNormal_IsItsQuantile(double quantile, double expected) =>
        Assert.Equal(expected, ForgettingThreshold.MixtureQuantile([0.0], [1.0], quantile), 1e-7);

    [Fact]
    public void MixtureQuantile_OfTwoSeparatedComponents_SplitsTheMass()
    {
        // Half the mass near 0 and half near 10: the 75% quantile is the upper component's median; 90% its 80% quantile.
        Assert.Equal(10, ForgettingThreshold.MixtureQuantile([0.0, 10.0], [0.1, 0.1], 0.75), 1e-6);
        Assert.Equal(10 + (0.1 * NormalDistribution.NormalQuantile(0.8)), ForgettingThreshold.MixtureQuantile([0.0, 10.0], [0.1, 0.1], 0.9), 1e-6);
    }

    [Fact]
    public void MixtureQuantile_OfPointMasses_IsAnOrderStatistic()
    {
        // Zero stds: step functions; 10 values 1..10, so 90% of the mass is at or below 9 and 10% above anything in (9, 10).
        var mean = Enumerable.Range(1, 10).Select(v => (double)v).ToArray();
        var t = ForgettingThreshold.MixtureQuantile(mean, new double[10], 0.9);
        Assert.InRange(t, 9, 10 + 1e-9);
    }

    // QA (degenerate matrices): a matrix of zeros with a single 1 gave a threshold of -1.56E-14 and 98% of the examples
    // forgotten: the zero-std components at 0 (apart from float noise) lay within the solver's tolerance of the quantile, and
    // the midpoint it returned fell just below them all.
    [Fact]
    public void MixtureQuantile_OfTiedPointMasses_LeavesAtMostTheTailAbove()
    {
        // 19 point masses at 0 give or take 1e-16, and one at 0.9.
        var mean = Enumerable.Range(0, 19).Select(i => (i - 9) * 1e-17).Append(0.9).ToArray();
        var std = new double[mean.Length];

        var t = ForgettingThreshold.MixtureQuantile(mean, std, 0.9);

        Assert.InRange(mean.Count(m => m > t) / (double)mean.Length, 0, 0.1);
        Assert.InRange(t, -1e-15, 1e-12);
    }

    [Fact]
    public void MixtureQuantile_RefusesBadArguments()
    {
        Assert.Throws<ArgumentException>(() => ForgettingThreshold.MixtureQuantile([], [], 0.9));
        Assert.Throws<ArgumentException>(() => ForgettingThreshold.MixtureQuantile([1.0], [1.0, 2.0], 0.9));
        Assert.Throws<ArgumentOutOfRangeException>(() => ForgettingThreshold.MixtureQuantile([1.0], [1.0], 1));
    }

    [Theory]
    [InlineData("additive")]
    [InlineData("mf")]
    [InlineData("knn")]
    public void Default_IsCloseToThePastCellsNinetiethPercentile(string method)
    {
        // Given: a model of the training matrix.
        var model = ModelCatalog.CreateFitter(method, new ModelSettings { Seed = method == "mf" ? 0 : null }).Fit(s_data.Matrix);

        // When: its default threshold is taken.
        var threshold = ForgettingThreshold.Default(model);

        // Then: about 10% of the training cells lie above it (the model's description of past cells, not the cells themselves).
        var values = s_data.Matrix.Values.ToArray().Where(float.IsFinite).ToArray();
        var above = values.Count(v => v > threshold.Value) / (double)values.Length;
        Assert.InRange(above, 0.07, 0.13);
        Assert.Contains("90th percentile", threshold.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_IsUnitFree()
    {
        // Given: the same matrix in units 1000 times smaller, fitted the same way.
        var scaled = s_data.Matrix.Values.ToArray().Select(v => v * 1000).ToArray();
        var matrix = ForgettingMatrix.Wrap(scaled, s_data.Matrix.TaskCount, s_data.Matrix.ExampleCount);
        var fitter = ModelCatalog.CreateFitter("mf", new ModelSettings { Seed = 0 });

        // When/Then: the threshold scales with the data, so the same examples count as forgotten.
        var a = ForgettingThreshold.Default(fitter.Fit(s_data.Matrix)).Value;
        var b = ForgettingThreshold.Default(fitter.Fit(matrix)).Value;
        Assert.Equal(1000 * a, b, 1e-4 * Math.Abs(b));
    }

    [Fact]
    public void Default_OfABinaryModel_IsProbabilityOneHalf()
    {
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 200, Binary = true, Seed = 3, KeepSignal = false }).Matrix;
        var model = ModelCatalog.CreateFitter("logistic", new ModelSettings { Rank = 2 }).Fit(binary);

        Assert.Equal(0.5, ForgettingThreshold.Default(model).Value);
    }

    [Fact]
    public void Resolve_PrefersTheGivenValue_AndRefusesNonFinite()
    {
        var model = ModelCatalog.CreateFitter("additive", new ModelSettings()).Fit(s_data.Matrix);

        Assert.Equal(new ForgettingThreshold(0.25, ForgettingThreshold.GivenRule), ForgettingThreshold.Resolve(model, 0.25));
        Assert.Same(ForgettingThreshold.Default(model), ForgettingThreshold.Resolve(model, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => ForgettingThreshold.Resolve(model, double.NaN));
    }
}

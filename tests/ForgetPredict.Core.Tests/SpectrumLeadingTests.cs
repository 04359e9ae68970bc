using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests;

/// <summary>
/// A complete matrix whose smaller side is above <see cref="Spectrum.FullSpectrumLimit"/> gets its leading singular values by
/// subspace iteration instead of the smaller side's whole Gram matrix (an 8,000 x 8,000 matrix took 5.6 GB that way): the
/// same curve and values as the Gram path, for wide and tall matrices, whatever the thread count.
/// </summary>
public class SpectrumLeadingTests
{
    [Theory]
    [InlineData(40, 300, 6)]
    [InlineData(300, 40, 6)]
    [InlineData(50, 50, 12)]
    public void Leading_MatchesTheWholeGramMatrixs_CurveAndValues(int tasks, int examples, int maxRank)
    {
        // Given: a noisy matrix with planted structure, analysed both ways (the limit lowered below its smaller side).
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = tasks, Examples = examples, Noise = 0.1, Seed = 4 }).Matrix;

        // When
        var full = Spectrum.Analyze(z, maxRank);
        var leading = Spectrum.Analyze(z, maxRank, -1, fullSpectrumLimit: 10, default);
        var oneThread = Spectrum.Analyze(z, maxRank, 1, fullSpectrumLimit: 10, default);

        // Then: R^2 to 1e-9 and the leading singular values to 1e-8 of the largest; bit for bit on one thread.
        Assert.Equal(maxRank, leading.RSquared.Length);
        Assert.Equal(maxRank, leading.SingularValues.Length);
        for (var r = 0; r < maxRank; r++)
        {
            Assert.True(Math.Abs(full.RSquared[r] - leading.RSquared[r]) < 1e-9, $"rank {r + 1}: {full.RSquared[r]} vs {leading.RSquared[r]}");
            Assert.True(Math.Abs(full.SingularValues[r] - leading.SingularValues[r]) < 1e-8 * full.SingularValues[0], $"singular value {r + 1}: {full.SingularValues[r]} vs {leading.SingularValues[r]}");
        }

        Assert.Equal(leading.RSquared, oneThread.RSquared);
        Assert.Equal(leading.SingularValues, oneThread.SingularValues);
    }

    [Fact]
    public void Leading_OfAZeroMatrix_IsZero_AndOfAConstantOne_IsRankOne()
    {
        var zero = ForgettingMatrix.Wrap(new float[30 * 40], 30, 40);
        var constant = ForgettingMatrix.Wrap([.. Enumerable.Repeat(2f, 30 * 40)], 30, 40);

        var a = Spectrum.Analyze(zero, 3, -1, fullSpectrumLimit: 5, default);
        var b = Spectrum.Analyze(constant, 3, -1, fullSpectrumLimit: 5, default);

        Assert.Equal([0.0, 0.0, 0.0], a.SingularValues);
        Assert.True(Math.Abs(b.SingularValues[0] - (2 * Math.Sqrt(30 * 40))) < 1e-9, b.SingularValues[0].ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([0.0, 0.0], b.SingularValues[1..]);
    }
}

using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests;

/// <summary>
/// The rank-r curve of a matrix with missing cells: ALS from a random start has local optima there, so the analysis also
/// starts from a hard-impute reconstruction and keeps the better fit.
/// </summary>
public class SpectrumMissingCellsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void RankCurve_IsNeverBelowTheRandomStartsFit_AndAboveItWhereThatStartIsStuck(int seed)
    {
        // Given: a small, noisy matrix with a fifth of its cells missing, where unpenalised rank-r ALS has local optima
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 60, Noise = 0.05, Patterns = 6, MissingFraction = 0.2, Seed = seed }).Matrix;
        var total = Spectrum.CenteredSumOfSquares(z);

        // When
        var curve = Spectrum.Analyze(z, 5).RSquared;

        // Then: at least the random start's fit at every rank, and clearly better at one
        // (the random start as the analysis runs it: on Z / RMS(Z), its residual variance in those units)
        var rms = DataScale.Rms(z);
        var gains = new double[5];
        for (var r = 1; r <= 5; r++)
        {
            var random = new AlternatingLeastSquares(z, new AlsProblem { Rank = r, FactorLambda = 1e-9, InputScale = 1 / rms, MaxIterations = 200, Tolerance = 1e-7, Seed = Defaults.Seed }).Solve();
            var randomR2 = 1 - (random.Report.ResidualVariance * rms * rms * z.ObservedCount / total);
            gains[r - 1] = curve[r - 1] - randomR2;
        }

        Assert.All(gains, g => Assert.True(g >= 0, string.Join(", ", gains)));
        Assert.Contains(gains, g => g > 1e-3);
    }

    // The solver reads Z / RMS(Z): its tiny factor penalty had met the data's units, and at a scale of 1e-6 the leading
    // singular values of such a block moved by 20% (found by a QA pass).
    [Theory]
    [InlineData(3.0)]
    [InlineData(1e-6)]
    [InlineData(1e6)]
    public void Curve_WithMissingCells_ScalesWithTheData(double c)
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 60, Noise = 0.05, Patterns = 6, MissingFraction = 0.2, Seed = 3 }).Matrix;
        var scaled = ForgettingMatrix.Create([.. z.Values.ToArray().Select(v => (float)(v * c))], z.TaskCount, z.ExampleCount);

        var plain = Spectrum.Analyze(z, 5);
        var other = Spectrum.Analyze(scaled, 5);

        Assert.Equal(plain.SingularValues.Length, other.SingularValues.Length);
        for (var k = 0; k < plain.SingularValues.Length; k++)
        {
            Assert.Equal(1, other.SingularValues[k] / c / plain.SingularValues[k], 4);
        }

        for (var r = 0; r < 5; r++)
        {
            Assert.Equal(plain.RSquared[r], other.RSquared[r], 6);
        }
    }

    [Fact]
    public void ImputedStart_OfACompleteLowRankMatrix_SpansItsRows()
    {
        // Given: an exactly rank-2 matrix (no missing cell: the iterations keep it)
        var u = new[] { 1.0, 2, -1, 0.5, 3, 1, 2, -2 };
        var v = new[] { 1.0, 0, 2, -1, 0.5, 1, 1, 3, -2, 0, 1, 1 };
        var values = new float[4 * 6];
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 6; j++)
            {
                values[(i * 6) + j] = (float)((u[i * 2] * v[j]) + (u[(i * 2) + 1] * v[6 + j]));
            }
        }

        var z = ForgettingMatrix.Create(values, 4, 6);

        // When
        var start = Spectrum.ImputedStart(z, 2, 3, maxThreads: 1);

        // Then: every row of Z is a combination of the two start rows (least squares leaves nothing)
        for (var i = 0; i < 4; i++)
        {
            double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
            for (var j = 0; j < 6; j++)
            {
                a11 += start[j] * start[j];
                a12 += start[j] * start[6 + j];
                a22 += start[6 + j] * start[6 + j];
                b1 += start[j] * values[(i * 6) + j];
                b2 += start[6 + j] * values[(i * 6) + j];
            }

            var det = (a11 * a22) - (a12 * a12);
            var c1 = ((a22 * b1) - (a12 * b2)) / det;
            var c2 = ((a11 * b2) - (a12 * b1)) / det;
            for (var j = 0; j < 6; j++)
            {
                Assert.Equal(values[(i * 6) + j], (c1 * start[j]) + (c2 * start[6 + j]), 4);
            }
        }
    }
}

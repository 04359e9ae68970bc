using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests;

/// <summary>Planted low-rank structure is recovered: the R^2 curve has its elbow at the planted rank with the planted value.</summary>
public class PlantedStructureTests
{
    public static TheoryData<int, int, int> Shapes() => new() { { 12, 257, 2 }, { 40, 3000, 3 }, { 85, 5000, 4 } };

    private static double PlantedRSquared(SyntheticForgetting s)
    {
        var z = s.Matrix;
        double mean = 0;
        foreach (var v in z.Values)
        {
            mean += v;
        }

        mean /= z.Values.Length;
        double noise = 0, total = 0;
        for (var e = 0; e < z.Values.Length; e++)
        {
            noise += (z.Values[e] - s.Signal[e]) * (z.Values[e] - s.Signal[e]);
            total += (z.Values[e] - mean) * (z.Values[e] - mean);
        }

        return 1 - (noise / total);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SvdCurve_ElbowAtPlantedRankWithPlantedRSquared(int tasks, int examples, int patterns)
    {
        var s = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = tasks, Examples = examples, Patterns = patterns, Groups = Math.Max(patterns, 2), Noise = 0.01, Seed = tasks });
        var planted = PlantedRSquared(s);
        var curve = Spectrum.Analyze(s.Matrix, s.PlantedRank + 2).RSquared;
        var atPlanted = curve[s.PlantedRank - 1];

        // The best rank-r fit also absorbs a little noise, so it sits just above the planted value.
        Assert.InRange(atPlanted, planted - 1e-9, planted + 0.02);
        var gainInto = atPlanted - curve[s.PlantedRank - 2];
        var gainBeyond = curve[s.PlantedRank] - atPlanted;
        Assert.True(gainInto > 3 * gainBeyond, $"gain into planted rank {gainInto}, beyond {gainBeyond}");
    }

    [Fact]
    public void SvdCurve_WithMissingCells_ApproximatesTheCompleteCurve()
    {
        var complete = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 800, Noise = 0.01, Seed = 4 });
        var holey = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 800, Noise = 0.01, Seed = 4, MissingFraction = 0.1 });
        var a = Spectrum.Analyze(complete.Matrix, 5);
        var b = Spectrum.Analyze(holey.Matrix, 5);
        Assert.False(a.FromObservedCells);
        Assert.True(b.FromObservedCells);
        for (var r = 0; r < 5; r++)
        {
            Assert.InRange(b.RSquared[r], a.RSquared[r] - 0.02, a.RSquared[r] + 0.02);
        }

        Assert.Equal(5, b.SingularValues.Length);
        // With a tenth of the cells missing every example keeps about 27 of its 30: no rank passes through its cells.
        Assert.Empty(a.InterpolatedCells);
        Assert.Equal(0, b.InSampleFromRank);
        Assert.Null(b.InSampleNote);
    }

    // QA: pure noise with 90% of its cells missing read R^2 0.98 at rank 5, and analyze said nothing of why.
    [Fact]
    public void SvdCurve_OfASparseMatrix_SaysFromWhichRankItPassesThroughTheCells()
    {
        var random = new Random(7);
        var values = new float[40 * 600];
        for (var c = 0; c < values.Length; c++)
        {
            values[c] = random.NextDouble() < 0.9 ? float.NaN : (float)random.NextDouble();
        }

        var noise = ForgettingMatrix.Create(values, 40, 600);
        var perExample = Enumerable.Range(0, 600).Select(j => Enumerable.Range(0, 40).Count(i => !float.IsNaN(values[(i * 600) + j]))).ToArray();

        var a = Spectrum.Analyze(noise, 5);

        // An example measured on 4 tasks is passed through from rank 4 on; tasks hold about 60 cells each, so only examples count.
        for (var r = 1; r <= 5; r++)
        {
            var expected = (double)perExample.Where(n => n <= r).Sum() / noise.ObservedCount;
            Assert.Equal(expected, a.InterpolatedCells[r - 1], 12);
        }

        var from = Enumerable.Range(1, 5).First(r => a.InterpolatedCells[r - 1] >= SpectrumAnalysis.InSampleShare);
        Assert.Equal(from, a.InSampleFromRank);
        Assert.InRange(from, 2, 4);
        Assert.StartsWith($"From rank {from} on, ", a.InSampleNote, StringComparison.Ordinal);
        Assert.True(a.RSquared[from - 1] > a.RSquared[0], "the note's rank fits more of the noise than rank 1");
    }

    [Fact]
    public void LowRankFit_RecoversThePlantedSignalBelowTheNoiseLevel()
    {
        var s = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 60, Examples = 2000, Noise = 0.01, MissingFraction = 0.05, Seed = 6 });
        var model = new LowRankFitter().FitLowRank(s.Matrix);
        var row = new double[s.Matrix.ExampleCount];
        double se = 0;
        for (var i = 0; i < s.Matrix.TaskCount; i++)
        {
            model.PredictRow(i, row);
            for (var j = 0; j < row.Length; j++)
            {
                var d = row[j] - s.Signal[(i * row.Length) + j];
                se += d * d;
            }
        }

        var rmse = Math.Sqrt(se / s.Matrix.CellCount);
        Assert.True(rmse < 0.5 * 0.01, $"signal RMSE {rmse} against noise 0.01");
    }

    // Eight tasks of 20,000 examples, planted rank 2 with strong factors and noise 0.05. The first sweeps stay on a plateau at the
    // additive residual before the factors emerge; the noise-adaptive penalty used to stop adapting there and keep a penalty
    // sized for that residual (R^2 0.94 where 0.999 is there to fit, and no better than additive on new tasks).
    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public void LowRankFit_OnAFewTasksOfManyExamples_KeepsThePlantedFactors(int rank)
    {
        var random = new Random(11);
        const int Tasks = 8, Examples = 20000;
        var u = Enumerable.Range(0, Tasks * 2).Select(_ => AlternatingLeastSquares.Gaussian(random)).ToArray();
        var v = Enumerable.Range(0, 2 * Examples).Select(_ => AlternatingLeastSquares.Gaussian(random)).ToArray();
        var a = Enumerable.Range(0, Tasks).Select(_ => AlternatingLeastSquares.Gaussian(random)).ToArray();
        var b = Enumerable.Range(0, Examples).Select(_ => AlternatingLeastSquares.Gaussian(random)).ToArray();
        var signal = new double[Tasks * Examples];
        var values = new float[Tasks * Examples];
        for (var i = 0; i < Tasks; i++)
        {
            for (var j = 0; j < Examples; j++)
            {
                signal[(i * Examples) + j] = a[i] + b[j] + (u[i * 2] * v[j]) + (u[(i * 2) + 1] * v[Examples + j]);
                values[(i * Examples) + j] = (float)(signal[(i * Examples) + j] + (0.05 * AlternatingLeastSquares.Gaussian(random)));
            }
        }

        var model = new LowRankFitter(new LowRankOptions { Rank = rank }).FitLowRank(ForgettingMatrix.Wrap(values, Tasks, Examples));

        var row = new double[Examples];
        double se = 0;
        for (var i = 0; i < Tasks; i++)
        {
            model.PredictRow(i, row);
            se += row.Select((p, j) => (p - signal[(i * Examples) + j]) * (p - signal[(i * Examples) + j])).Sum();
        }

        var rmse = Math.Sqrt(se / values.Length);
        Assert.True(model.Fit.Converged, $"{model.Fit.Iterations} sweeps");
        Assert.True(rmse < 0.15, $"signal RMSE {rmse} against noise 0.05 and a signal of RMS 1.7 (each example bias, from 8 cells, shrinks by 1/9 of its N(0, 1) size)");
    }

    [Fact]
    public void GoodnessOfFit_ReferenceModelsOrderAsExpected()
    {
        var s = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 40, Examples = 1500, Noise = 0.01, Seed = 12 });
        var a = MatrixAnalysis.Run(s.Matrix, 6);
        Assert.True(a.Additive >= Math.Max(a.TaskOnly, a.ExampleOnly) - 1e-12);
        Assert.True(a.Spectrum.RSquared[0] >= a.RankOne - 1e-6, "SVD is the best rank-1 fit");
        Assert.InRange(a.RankOne, a.Spectrum.RSquared[0] - 1e-4, a.Spectrum.RSquared[0]);
        var mf = GoodnessOfFit.RSquared(new LowRankFitter().Fit(s.Matrix), s.Matrix);
        Assert.True(mf > a.Additive);
    }

    [Fact]
    public void GoodnessOfFit_AdditiveIsTheLeastSquaresTwoWayFit_NotTheRidgeOne_SoNeverBelowEitherReference()
    {
        // Two tasks: each example bias rests on at most 2 cells, so the fitting default's penalty (1 cell's worth)
        // shrank it by a third and the additive R^2 read 0.79, below the column means' 0.90. The analysis measures
        // structure, as its unpenalised rank-1 and SVD rows do. Golden from numpy's lstsq on the 0/1 design matrix.
        float[] values =
        [
            1.273923397064209f, float.NaN, 2.081947088241577f, 3.033055305480957f, 5.626540660858154f, 6.8255109786987305f,
            1.2132714986801147f, 2.4589931964874268f, 3.087249994277954f, 4.870144844055176f, 5.631707191467285f, 5.005476951599121f,
        ];
        var a = MatrixAnalysis.Run(ForgettingMatrix.Create(values, 2, 6), 2);
        Assert.Equal(0.8968101291795902, a.ExampleOnly, 1e-6);
        Assert.Equal(0.8993151764803675, a.Additive, 1e-6);
    }

    [Fact]
    public void Spectrum_TallMatrix_UsesTheExampleGramAndMatchesTheWideTranspose()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 50 * 7).Select(_ => (float)random.NextDouble()).ToArray();
        var tall = ForgettingMatrix.Create(values, 50, 7);
        var transposed = new float[values.Length];
        for (var i = 0; i < 50; i++)
        {
            for (var j = 0; j < 7; j++)
            {
                transposed[(j * 50) + i] = values[(i * 7) + j];
            }
        }

        var wide = ForgettingMatrix.Create(transposed, 7, 50);
        Tolerance.AssertClose(Spectrum.Analyze(wide, 7).SingularValues, Spectrum.Analyze(tall, 7).SingularValues, 1e-10, 1e-12);
    }
}

using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Models;

public class KnnInterpolationTests
{
    private static readonly ForgettingMatrix s_z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 1500, Seed = 8 }).Matrix;

    [Fact]
    public void StrongPrior_GivesTheSimilarityWeights()
    {
        var plain = new KnnFitter().FitKnn(s_z);
        var interpolated = plain.WithInterpolationPrior(1e12);
        int[] known = [3, 40, 90, 300, 777, 1200, 1499];
        var values = known.Select(j => (double)s_z[5, j]).ToArray();
        var expected = plain.FoldIn(known, values).PredictRow();
        var actual = interpolated.FoldIn(known, values).PredictRow();
        for (var j = 0; j < expected.Length; j++)
        {
            Assert.Equal(expected[j], actual[j], 1e-9);
        }
    }

    [Fact]
    public void WeakPrior_RecoversATaskMadeOfTwoTrainingTasks_WhereSimilarityWeightsCannot()
    {
        // The new task is 0.7 x task 3 + 0.3 x task 11: its baseline residuals are that mixture of theirs, which jointly
        // solved weights recover from the known cells; similarity weights average many neighbours instead.
        var row = Enumerable.Range(0, s_z.ExampleCount).Select(j => (0.7 * s_z[3, j]) + (0.3 * s_z[11, j])).ToArray();
        var plain = new KnnFitter().FitKnn(s_z);
        var interpolated = plain.WithInterpolationPrior(1e-3);
        int[] known = [.. Enumerable.Range(0, 60).Select(i => i * 25)];
        var values = known.Select(j => row[j]).ToArray();
        var unknown = Enumerable.Range(0, s_z.ExampleCount).Except(known).ToArray();
        double Rmse(KnnModel model)
        {
            var predicted = model.FoldIn(known, values).PredictRow();
            return Math.Sqrt(unknown.Average(j => (predicted[j] - row[j]) * (predicted[j] - row[j])));
        }

        Assert.True(Rmse(interpolated) < 0.5 * Rmse(plain), $"interpolated {Rmse(interpolated)} vs similarity weights {Rmse(plain)}");
    }

    [Fact]
    public void Std_IsTheSimilarityWeightedSpread_AndGroupMeansAverageTheRow()
    {
        var plain = new KnnFitter().FitKnn(s_z);
        var interpolated = plain.WithInterpolationPrior(3);
        int[] known = [1, 10, 100, 200, 400, 799, 1000, 1400];
        var values = known.Select(j => (double)s_z[2, j]).ToArray();
        var (plainMean, plainStd, mean, std) = (new double[1500], new double[1500], new double[1500], new double[1500]);
        plain.FoldIn(known, values).PredictRow(plainMean, plainStd);
        var fold = interpolated.FoldIn(known, values);
        fold.PredictRow(mean, std);
        Assert.Equal(plainStd, std);
        Assert.NotEqual(plainMean, mean);

        int[] group = [.. Enumerable.Range(0, 1500).Where(j => j % 7 == 2)];
        Assert.Equal(group.Average(j => mean[j]), fold.Average(group).Mean, 1e-12);
        Assert.Equal(plain.FoldIn(known, values).Average(group).Variance, fold.Average(group).Variance, 1e-15);
    }

    [Fact]
    public void Blocks_AreTheRowsSlices_BitForBit()
    {
        var model = new KnnFitter().FitKnn(s_z).WithInterpolationPrior(3);
        int[] known = [1, 10, 100, 1499];
        var fold = model.FoldIn(known, [0.1, 0.3, 0.2, 0.5]);
        var (mean, std) = (new double[1500], new double[1500]);
        fold.PredictRow(mean, std);
        var (blockMean, blockStd) = (new double[476], new double[476]);
        Assert.True(fold.PredictBlock(1024, blockMean, blockStd));
        Assert.Equal(mean.AsSpan(1024, 476).ToArray(), blockMean);
        Assert.Equal(std.AsSpan(1024, 476).ToArray(), blockStd);
    }

    [Fact]
    public void MissingNeighbourCells_FallBackToSimilarityWeights()
    {
        var gappy = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 600, Seed = 8, MissingFraction = 0.05 }).Matrix;
        var plain = new KnnFitter().FitKnn(gappy);
        int[] known = [1, 10, 100, 500];
        double[] values = [0.1, 0.3, 0.2, 0.5];
        Assert.Equal(plain.FoldIn(known, values).PredictRow(), plain.WithInterpolationPrior(3).FoldIn(known, values).PredictRow());
    }

    [Fact]
    public void FoldIn_IsTheSameForAnyThreadCount()
    {
        int[] known = [2, 30, 333, 901, 1200];
        double[] values = [0.3, 0.1, 0.2, 0.25, 0.4];
        var (meanOne, stdOne, meanAll, stdAll) = (new double[1500], new double[1500], new double[1500], new double[1500]);
        new KnnFitter(new KnnOptions { MaxThreads = 1, InterpolationPrior = 3 }).FitKnn(s_z).FoldIn(known, values).PredictRow(meanOne, stdOne);
        new KnnFitter(new KnnOptions { MaxThreads = -1, InterpolationPrior = 3 }).FitKnn(s_z).FoldIn(known, values).PredictRow(meanAll, stdAll);
        Assert.Equal(meanOne, meanAll);
        Assert.Equal(stdOne, stdAll);
    }

    [Fact]
    public void NegativePrior_IsRefused()
    {
        var model = new KnnFitter().FitKnn(s_z);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.WithInterpolationPrior(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KnnFitter(new KnnOptions { InterpolationPrior = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AutoFitter(new AutoOptions { InterpolationPriors = [0] }));
    }
}

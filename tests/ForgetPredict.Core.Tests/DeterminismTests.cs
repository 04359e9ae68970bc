using ForgetPredict.Core.Models;
using ForgetPredict.Core.Numerics;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests;

/// <summary>Every fit is bit-for-bit identical with 1 and 2 threads (and across repeated runs).</summary>
public class DeterminismTests
{
    // 19 tasks x 2500 examples: several row blocks and column chunks, 5% missing cells.
    private static readonly ForgettingMatrix s_continuous = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 19, Examples = 2500, MissingFraction = 0.05, Seed = 2 }).Matrix;
    private static readonly ForgettingMatrix s_binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 19, Examples = 2500, MissingFraction = 0.05, Binary = true, Seed = 2 }).Matrix;

    public static TheoryData<string> Fitters() => ["task-mean", "example-mean", "additive", "rank1", "mf", "knn", "logistic", "logistic-additive"];

    private static IForgettingModel Fit(string name, int threads) => name switch
    {
        "task-mean" => new TaskMeanFitter(new TaskMeanOptions { MaxThreads = threads }).Fit(s_continuous),
        "example-mean" => new ExampleMeanFitter(new ExampleMeanOptions { MaxThreads = threads }).Fit(s_continuous),
        "additive" => new AdditiveFitter(new AdditiveOptions { MaxThreads = threads }).Fit(s_continuous),
        "rank1" => new RankOneFitter(new RankOneOptions { MaxThreads = threads }).Fit(s_continuous),
        "mf" => new LowRankFitter(new LowRankOptions { MaxThreads = threads }).Fit(s_continuous),
        "knn" => new KnnFitter(new KnnOptions { MaxThreads = threads }).Fit(s_continuous),
        "logistic" => new LogisticFitter(new LogisticOptions { MaxThreads = threads }).Fit(s_binary),
        "logistic-additive" => new LogisticFitter(new LogisticOptions { Rank = 0, MaxThreads = threads }).Fit(s_binary),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Fitters))]
    public void Fit_OneVersusTwoThreads_IsBitIdentical(string fitter)
    {
        var one = Fit(fitter, 1);
        var two = Fit(fitter, 2);
        var again = Fit(fitter, 2);
        ModelAssert.SameTrainingRows(one, two);
        ModelAssert.SameTrainingRows(one, again);
        ModelAssert.SameNewTask(one, two, [1, 5, 9], [1, 0, 1]);

        // Group intervals depend on the residual directions (Gaussian factor models) and the neighbourhood (KNN).
        var fa = one.FoldIn([1, 5, 9], [1, 0, 1]);
        var fb = two.FoldIn([1, 5, 9], [1, 0, 1]);
        int[] group = [.. Enumerable.Range(0, one.ExampleCount).Where(j => j % 7 == 2)];
        Assert.Equal(fa.Average(group), fb.Average(group));
    }

    [Fact]
    public void Gram_OneVersusTwoThreads_IsBitIdentical()
    {
        var complete = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 19, Examples = 9000, Seed = 2 }).Matrix;
        Assert.Equal(GramMatrix.Of(complete, 1), GramMatrix.Of(complete, 2));
    }

    [Fact]
    public void TallGram_OneTwoOrThreeThreads_IsBitIdentical_AndTheGramOfTheRows()
    {
        // More tasks than examples, with several column blocks (GramMatrix.Tall's block holds 2^20 values: 3,000 tasks x 349)
        var tall = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 3000, Examples = 700, Seed = 4 }).Matrix;
        var one = GramMatrix.Rows(tall, default, default, 1);
        Assert.Equal(one, GramMatrix.Rows(tall, default, default, 2));
        Assert.Equal(one, GramMatrix.Rows(tall, default, default, 3));
        Assert.Equal(3000L * 3000, one.LongLength);
        var random = new Random(1);
        for (var check = 0; check < 200; check++)
        {
            int a = random.Next(3000), b = random.Next(3000);
            double dot = 0, magnitude = 0;
            for (var j = 0; j < 700; j++)
            {
                dot += (double)tall[a, j] * tall[b, j];
                magnitude += Math.Abs((double)tall[a, j] * tall[b, j]);
            }

            Assert.True(Math.Abs(one[(a * 3000) + b] - dot) <= 1e-13 * magnitude, $"({a}, {b}): {one[(a * 3000) + b]} vs {dot}");
        }

        // A wide matrix takes GramMatrix.Of's path, bit for bit
        var wide = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 19, Examples = 900, Seed = 2 }).Matrix;
        Assert.Equal(GramMatrix.Of(wide, 2), GramMatrix.Rows(wide, default, default, 2));
    }

    [Fact]
    public void Knn_WithFewMissingCells_OneVersusTwoThreads_IsBitIdentical()
    {
        // 1% missing: the Gram path corrected at each task's gaps (5% takes the pairwise path, covered above)
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 19, Examples = 2500, MissingFraction = 0.01, Seed = 2 }).Matrix;
        var one = new KnnFitter(new KnnOptions { MaxThreads = 1 }).FitKnn(z);
        var two = new KnnFitter(new KnnOptions { MaxThreads = 2 }).FitKnn(z);
        Assert.Equal(one.Similarity.ToArray(), two.Similarity.ToArray());
        ModelAssert.SameNewTask(one, two, [1, 5, 9], [1, 0, 1]);
    }

    [Fact]
    public void KnnOrder_IsSimilarityDescendingThenIndex_PositiveOnly()
    {
        var random = new Random(3);
        for (var trial = 0; trial < 200; trial++)
        {
            // Few distinct values, so runs of ties are common; some zero and negative similarities
            var similarity = Enumerable.Range(0, random.Next(0, 60)).Select(_ => (random.Next(-3, 8) / 7.0)).ToArray();
            var exclude = similarity.Length == 0 ? -1 : random.Next(-1, similarity.Length);
            var expected = Enumerable.Range(0, similarity.Length).Where(n => n != exclude && similarity[n] > 0)
                .OrderByDescending(n => similarity[n]).ThenBy(n => n).ToArray();
            Assert.Equal(expected, KnnModel.Order(similarity, exclude));
        }
    }

    [Fact]
    public void Synthetic_SameOptions_SameMatrix()
    {
        var a = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 7, Examples = 300, MissingFraction = 0.1, Seed = 99 });
        var b = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 7, Examples = 300, MissingFraction = 0.1, Seed = 99 });
        Assert.Equal(a.Matrix.Values.ToArray(), b.Matrix.Values.ToArray());
        Assert.NotEqual(a.Matrix.Values.ToArray(), SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 7, Examples = 300, MissingFraction = 0.1, Seed = 98 }).Matrix.Values.ToArray());
    }
}

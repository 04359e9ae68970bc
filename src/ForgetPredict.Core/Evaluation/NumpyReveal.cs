using ForgetPredict.Core.Numerics;

namespace ForgetPredict.Core.Evaluation;

/// <summary>Which random draws reveal the known cells under <see cref="RevealStrategy.Random"/>.</summary>
public enum RevealRandom
{
    /// <summary>ForgetPredict's own: a fresh draw without replacement per (seed, test row) among the row's observed cells.</summary>
    Own,

    /// <summary>
    /// The reference pipeline's numpy draws: seed s reveals the columns <c>numpy.random.default_rng(Seed + s).choice(N, Known)</c>
    /// (with replacement, so a repeated column counts once), the same columns for every test row; a drawn column the row
    /// did not observe is not revealed.
    /// </summary>
    Numpy,
}

/// <summary>The reference pipeline's reveal draws (<see cref="RevealRandom.Numpy"/>), reproduced with <see cref="NumpyRandom"/>.</summary>
public static class NumpyReveal
{
    /// <summary>The distinct revealed columns of seed index <paramref name="seed"/>, sorted, before removing unobserved cells.</summary>
    public static int[] Columns(int exampleCount, int seed, EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var columns = new NumpyRandom((long)options.Seed + seed).Choice(exampleCount, options.Known);
        return [.. columns.Distinct().Order()];
    }

    /// <summary>The held-out rows <c>numpy.random.default_rng(seed).choice(taskCount, count, replace=False)</c>, sorted.</summary>
    public static int[] TestRows(int taskCount, int count, int seed) => [.. new NumpyRandom(seed).ChoiceWithoutReplacement(taskCount, count).Order()];

    // reveals[seed][test row], as Protocol uses them.
    internal static int[][][] Reveals(ForgettingMatrix matrix, int[] test, EvaluationOptions options) =>
        Enumerable.Range(0, options.Seeds).Select(s =>
        {
            var columns = Columns(matrix.ExampleCount, s, options);
            return test.Select(row => columns.Where(j => !float.IsNaN(matrix[row, j])).ToArray()).ToArray();
        }).ToArray();
}

using ForgetPredict.Core;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// Shared, documented fixtures. "Published" is a synthetic 85 x 141,816 matrix: the shape of the largest published
/// forgetting matrix (planted rank 4, noise 0.01, seed 42). Under <c>FP_BENCH_SMOKE=1</c> every fixture shrinks so the
/// smoke run takes seconds.
/// </summary>
internal static class BenchmarkInputs
{
    private static readonly Lazy<ForgettingMatrix> s_published = new(() => Synthetic(PublishedTasks, PublishedExamples));

    /// <summary>True during <c>make bench-smoke</c>.</summary>
    public static bool IsSmoke => Environment.GetEnvironmentVariable("FP_BENCH_SMOKE") == "1";

    /// <summary>Tasks of the published-size matrix (85).</summary>
    public static int PublishedTasks => IsSmoke ? 12 : 85;

    /// <summary>Examples of the published-size matrix (141,816).</summary>
    public static int PublishedExamples => IsSmoke ? 2_000 : 141_816;

    /// <summary>The 85 x 141,816 synthetic matrix (created once per process).</summary>
    public static ForgettingMatrix Published => s_published.Value;

    /// <summary>A synthetic matrix of the given shape without the kept signal (half the memory).</summary>
    public static ForgettingMatrix Synthetic(int tasks, int examples, int seed = 42) =>
        SyntheticForgetting.Generate(new SyntheticOptions { Tasks = tasks, Examples = examples, KeepSignal = false, Seed = seed }).Matrix;
}

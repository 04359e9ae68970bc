using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ForgetPredict.Benchmarks;

/// <summary>Benchmark entry point: <c>--smoke</c> runs every benchmark once, dry and in-process (CI), anything else goes to BenchmarkSwitcher.</summary>
public static class Program
{
    /// <summary>True while a smoke run is in progress; benchmarks then use small inputs.</summary>
    public static bool Smoke { get; private set; }

    /// <summary>Where BenchmarkDotNet writes its reports and logs: .artifacts/benchmarks under the repository root, whatever the
    /// working directory (the default would put a BenchmarkDotNet.Artifacts folder wherever the run started).</summary>
    public static string ArtifactsPath => Path.Combine(Testing.RepoPaths.Root, ".artifacts", "benchmarks");

    /// <summary>Runs the benchmarks selected by <paramref name="args"/>; returns non-zero when a smoke run fails.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--smoke")
        {
            Smoke = true;
            Environment.SetEnvironmentVariable("FP_BENCH_SMOKE", "1");
            var config = ManualConfig.CreateMinimumViable()
                .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance))
                .WithOptions(ConfigOptions.DisableOptimizationsValidator)
                .WithArtifactsPath(ArtifactsPath);
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).RunAll(config);
            var failed = summaries.Sum(s => s.Reports.Count(r => !r.Success)) + summaries.Sum(s => s.ValidationErrors.Count(e => e.IsCritical));
            Console.WriteLine($"bench-smoke: {summaries.Sum(s => s.Reports.Length)} benchmark cases, {failed} failed");
            return failed == 0 && summaries.Any() ? 0 : 1;
        }

        if (args.Length == 3 && args[0] == "--memory")
        {
            return MemoryReport.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.WithArtifactsPath(ArtifactsPath));
        return 0;
    }
}

using System.Diagnostics;
using System.Globalization;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// <c>--memory TASKS EXAMPLES</c>: peak memory of an mf (rank 5) fit, which BenchmarkDotNet does not measure. Prints the
/// matrix size, the process's peak resident set (VmHWM) before and after the fit, and the fit's managed allocations.
/// </summary>
internal static class MemoryReport
{
    public static int Run(int tasks, int examples)
    {
        var matrix = BenchmarkInputs.Synthetic(tasks, examples);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var matrixMb = matrix.Values.Length * 4.0 / 1e6;
        var baseline = PeakResidentMb();
        ResetPeak();
        var before = PeakResidentMb();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var model = new LowRankFitter(new LowRankOptions { Rank = 5 }).FitLowRank(matrix);
        var seconds = clock.Elapsed.TotalSeconds;
        var allocated = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1e6;
        var peak = PeakResidentMb();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{tasks} x {examples}: matrix {matrixMb:F1} MB; fit {seconds:F2} s ({model.Fit.Iterations} sweeps); managed allocations during the fit {allocated:F1} MB ({allocated / matrixMb:F3} x matrix); " +
            $"process peak RSS {baseline:F0} MB after generating, {before:F0} MB at fit start, {peak:F0} MB after the fit ({peak / matrixMb:F3} x matrix; the fit added {peak - before:F0} MB)"));
        GC.KeepAlive(model);
        return 0;
    }

    private static double PeakResidentMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024 / 1e6; // kB (KiB) to MB
            }
        }

        return double.NaN;
    }

    // Writing 5 to /proc/self/clear_refs resets VmHWM to the current resident set (Linux).
    private static void ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

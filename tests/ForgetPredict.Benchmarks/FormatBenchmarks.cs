using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using ForgetPredict.Core;
using ForgetPredict.Data;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// Reading the published-size forgetting matrix (85 x 141,816 float32, <see cref="BenchmarkInputs.Published"/>) from
/// each file format through <see cref="MatrixFile.Read(string, MatrixReadOptions?)"/>, file in the page cache. The
/// <c>Input MB/s</c> column is file bytes per second (10^6 bytes).
/// </summary>
/// <remarks>
/// Fixtures, written once by our writers into the temp folder (<c>fp-bench-formats/TASKSxEXAMPLES/</c>) and reused:
/// <list type="bullet">
/// <item><b>Npy</b>: float32 C order, 48,217,568 bytes. Target: at least 1 GB/s.</item>
/// <item><b>WideCsv</b>: a header of example ids, then one row per task of float32 shortest round-trip text (what pandas
/// writes for a float32 frame), about 0.15 GB. Target: at least 100 MB/s of text.</item>
/// <item><b>LongCsv</b>: <c>task,example,value</c>, one row per cell (12,054,360 rows, about 0.3 GB).</item>
/// </list>
/// With <c>FP_BENCH_SMOKE=1</c> the matrix is 12 x 2,000.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class FormatBenchmarks
{
    private string _path = string.Empty;

    private static string Folder => Path.Combine(Path.GetTempPath(), "fp-bench-formats", string.Create(CultureInfo.InvariantCulture, $"{BenchmarkInputs.PublishedTasks}x{BenchmarkInputs.PublishedExamples}"));

    /// <summary>Writes (or reuses) the .npy fixture.</summary>
    [GlobalSetup(Target = nameof(Npy))]
    public void SetupNpy() => _path = Fixture("z.npy", MatrixLayout.Wide);

    /// <summary>Writes (or reuses) the wide CSV fixture.</summary>
    [GlobalSetup(Target = nameof(WideCsv))]
    public void SetupWideCsv() => _path = Fixture("wide.csv", MatrixLayout.Wide);

    /// <summary>Writes (or reuses) the long CSV fixture.</summary>
    [GlobalSetup(Target = nameof(LongCsv))]
    public void SetupLongCsv() => _path = Fixture("long.csv", MatrixLayout.Long);

    /// <summary>.npy: header check, one bulk read into the matrix buffer, the finiteness scan.</summary>
    [Benchmark(Baseline = true)]
    public ForgettingMatrix Npy() => MatrixFile.Read(_path);

    /// <summary>Wide CSV: tokenise, parse every cell from UTF-8, assemble rows.</summary>
    [Benchmark]
    public ForgettingMatrix WideCsv() => MatrixFile.Read(_path);

    /// <summary>Long CSV: tokenise, intern both ids per row, parse, scatter with duplicate detection.</summary>
    [Benchmark]
    public ForgettingMatrix LongCsv() => MatrixFile.Read(_path);

    // Written to a temporary name and renamed, so a run interrupted mid-write never leaves a short fixture behind.
    private static string Fixture(string name, MatrixLayout layout)
    {
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Folder);
            MatrixFile.Write(BenchmarkInputs.Published, path, new MatrixWriteOptions { Layout = layout });
        }

        var check = MatrixFile.Read(path);
        if (check.TaskCount != BenchmarkInputs.PublishedTasks || check.ExampleCount != BenchmarkInputs.PublishedExamples)
        {
            throw new InvalidOperationException($"Benchmark fixture {path} has the wrong shape; delete {Folder} and rerun.");
        }

        return path;
    }

    /// <summary>Adds the input throughput column.</summary>
    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new InputThroughputColumn());
    }

    /// <summary>File megabytes (10^6 bytes) read per second, from the mean time and the fixture's size on disk.</summary>
    private sealed class InputThroughputColumn : IColumn
    {
        public string Id => nameof(InputThroughputColumn);

        public string ColumnName => "Input MB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "File bytes read per second, in 10^6 bytes";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
            var name = benchmarkCase.Descriptor.WorkloadMethod.Name switch
            {
                nameof(Npy) => "z.npy",
                nameof(WideCsv) => "wide.csv",
                _ => "long.csv",
            };
            var file = new FileInfo(Path.Combine(Folder, name));
            if (meanNanoseconds is not > 0 || !file.Exists)
            {
                return "-";
            }

            return (file.Length / (meanNanoseconds.Value / 1e9) / 1e6).ToString("F0", CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}

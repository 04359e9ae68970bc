using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using ForgetPredict.Data.Compression;
using ForgetPredict.Testing;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// <see cref="Zstd.Decompress"/> throughput on the data our Parquet reader meets, compressed once per run by the
/// reference <c>zstd</c> CLI (Debian package <c>zstd</c>, installed by <c>make test</c>). The <c>Output MB/s</c>
/// column is decompressed bytes per second (10^6 bytes).
/// </summary>
/// <remarks>
/// Fixtures:
/// <list type="bullet">
/// <item><b>Float32 matrix</b>: 85 tasks x 141,816 examples of float32 (48,217,440 bytes), row-major, shaped like a
/// forgetting matrix: a rank-2 signal plus uniform noise of width 0.02, seed 20251122. Mostly Huffman-coded literals.</item>
/// <item><b>Text</b>: 8,000,000 bytes of pseudo-English from a 40-word vocabulary, seed 7. Mostly matches (sequences).</item>
/// </list>
/// With <c>FP_BENCH_SMOKE=1</c> (the <c>--smoke</c> run) the matrix is 2 x 4,096 and the text 64 KiB, so setup takes seconds.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class ZstdBenchmarks
{
    private byte[] _compressed = [];
    private byte[] _destination = [];

    private static bool IsSmoke => Environment.GetEnvironmentVariable("FP_BENCH_SMOKE") == "1";

    private static int MatrixTasks => IsSmoke ? 2 : 85;

    private static int MatrixExamples => IsSmoke ? 4096 : 141_816;

    private static int MatrixBytes => MatrixTasks * MatrixExamples * sizeof(float);

    private static int TextBytes => IsSmoke ? 65_536 : 8_000_000;

    /// <summary>Compresses the float32 matrix at level 3 (each case prepares only its own fixture: BenchmarkDotNet runs each in its own process).</summary>
    [GlobalSetup(Target = nameof(Float32MatrixLevel3))]
    public void SetupFloat32MatrixLevel3() => Prepare(Float32Matrix(MatrixTasks, MatrixExamples, 20251122), "-3");

    /// <summary>Compresses the float32 matrix at level 1.</summary>
    [GlobalSetup(Target = nameof(Float32MatrixLevel1))]
    public void SetupFloat32MatrixLevel1() => Prepare(Float32Matrix(MatrixTasks, MatrixExamples, 20251122), "-1");

    /// <summary>Compresses the text at level 3.</summary>
    [GlobalSetup(Target = nameof(TextLevel3))]
    public void SetupTextLevel3() => Prepare(Text(TextBytes, 7), "-3");

    /// <summary>Compresses the text at level 19.</summary>
    [GlobalSetup(Target = nameof(TextLevel19))]
    public void SetupTextLevel19() => Prepare(Text(TextBytes, 7), "-19");

    /// <summary>The float32 matrix at zstd level 3 (what polars and DuckDB write by default).</summary>
    [Benchmark(Baseline = true)]
    public int Float32MatrixLevel3() => Zstd.Decompress(_compressed, _destination);

    /// <summary>The float32 matrix at zstd level 1.</summary>
    [Benchmark]
    public int Float32MatrixLevel1() => Zstd.Decompress(_compressed, _destination);

    /// <summary>Text at zstd level 3.</summary>
    [Benchmark]
    public int TextLevel3() => Zstd.Decompress(_compressed, _destination);

    /// <summary>Text at zstd level 19 (long matches, FSE-compressed tables).</summary>
    [Benchmark]
    public int TextLevel19() => Zstd.Decompress(_compressed, _destination);

    /// <summary>Compresses <paramref name="original"/> with the CLI, sizes the destination exactly and checks one round trip.</summary>
    private void Prepare(byte[] original, string level)
    {
        _compressed = CompressWithCli(original, level);
        _destination = new byte[original.Length];
        Verify(_compressed, original);
    }

    private static void Verify(byte[] compressed, byte[] original)
    {
        var output = new byte[original.Length];
        int written = Zstd.Decompress(compressed, output);
        if (written != original.Length || !output.AsSpan().SequenceEqual(original))
        {
            throw new InvalidOperationException("Zstd.Decompress did not reproduce a benchmark fixture.");
        }
    }

    private static byte[] CompressWithCli(byte[] input, string level)
    {
        string folder = RepoPaths.NewTempFolder("fp-bench-zstd");
        try
        {
            string inputPath = Path.Combine(folder, "input.bin");
            string outputPath = Path.Combine(folder, "input.bin.zst");
            File.WriteAllBytes(inputPath, input);
            ExternalTool.Run("zstd", ["-q", "-f", level, inputPath, "-o", outputPath], timeout: TimeSpan.FromMinutes(10));
            return File.ReadAllBytes(outputPath);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static byte[] Float32Matrix(int tasks, int examples, int seed)
    {
        var random = new Random(seed);
        var rowA = new float[tasks];
        var rowB = new float[tasks];
        for (int i = 0; i < tasks; i++)
        {
            rowA[i] = (float)random.NextDouble();
            rowB[i] = (float)(random.NextDouble() - 0.5);
        }

        var colA = new float[examples];
        var colB = new float[examples];
        for (int j = 0; j < examples; j++)
        {
            colA[j] = (float)(random.NextDouble() * 0.2);
            colB[j] = (float)(random.NextDouble() - 0.5);
        }

        var values = new float[tasks * examples];
        for (int i = 0; i < tasks; i++)
        {
            for (int j = 0; j < examples; j++)
            {
                values[(i * examples) + j] = (float)((rowA[i] * colA[j]) + (rowB[i] * colB[j] * 0.1) + ((random.NextDouble() - 0.5) * 0.02));
            }
        }

        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    private static byte[] Text(int length, int seed)
    {
        string[] words =
        [
            "the", "forgetting", "matrix", "of", "a", "model", "after", "fine", "tuning", "on", "task", "upstream", "example", "loss",
            "increases", "when", "rank", "low", "predict", "cell", "observed", "mask", "zstd", "parquet", "page", "column", "value", "and",
            "is", "to", "in", "with", "for", "that", "we", "measure", "per-byte", "negative", "log-likelihood", "nats",
        ];
        var random = new Random(seed);
        var builder = new StringBuilder(length + 32);
        while (builder.Length < length)
        {
            builder.Append(words[random.Next(words.Length)]).Append(random.Next(20) == 0 ? ".\n" : " ");
        }

        return Encoding.ASCII.GetBytes(builder.ToString(0, length));
    }

    /// <summary>Adds the output throughput column.</summary>
    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new OutputThroughputColumn());
    }

    /// <summary>Decompressed megabytes (10^6 bytes) per second, from the mean time and the fixture's size.</summary>
    private sealed class OutputThroughputColumn : IColumn
    {
        public string Id => nameof(OutputThroughputColumn);

        public string ColumnName => "Output MB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Decompressed bytes per second, in 10^6 bytes";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            double? meanNanoseconds = report?.ResultStatistics?.Mean;
            if (meanNanoseconds is not > 0)
            {
                return "-";
            }

            int bytes = benchmarkCase.Descriptor.WorkloadMethod.Name.StartsWith("Float32", StringComparison.Ordinal) ? MatrixBytes : TextBytes;
            return (bytes / (meanNanoseconds.Value / 1e9) / 1e6).ToString("F0", CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}

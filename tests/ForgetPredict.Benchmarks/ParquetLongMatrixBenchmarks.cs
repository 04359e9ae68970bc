using BenchmarkDotNet.Attributes;
using ForgetPredict.Core;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Benchmarks;

/// <summary>Reading a long-layout Parquet matrix (task, example, value; one row per cell) into a
/// <see cref="ForgettingMatrix"/> with <see cref="ParquetMatrixFormat.Read(string, MatrixReadOptions?)"/>: both passes
/// over the ids, the values and the duplicate check.</summary>
/// <remarks>28 tasks x 141,816 examples (3,970,848 rows; the 85-task matrix's examples, a third of its rows) written by <c>forgetpredict convert --layout long</c>'s writer:
/// string ids, the example column PLAIN (its dictionary outgrows 1 MiB), 1,048,576-row row groups. Allocated bytes
/// matter as much as time: the reader used to allocate a string per id per row (see Utf8IdTable). FP_BENCH_SMOKE=1
/// shrinks the matrix to 5 x 1000.</remarks>
[MemoryDiagnoser]
public class ParquetLongMatrixBenchmarks
{
    private string _folder = "";
    private string _path = "";

    /// <summary>Writes the long file.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var smoke = Environment.GetEnvironmentVariable("FP_BENCH_SMOKE") == "1";
        int m = smoke ? 5 : 28, n = smoke ? 1000 : 141_816;
        var random = new Random(85);
        var values = new float[m * n];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        _folder = RepoPaths.NewTempFolder("fp-bench-parquet-long");
        _path = Path.Combine(_folder, "long.parquet");
        using var stream = File.Create(_path);
        ParquetMatrixFormat.Write(ForgettingMatrix.Wrap(values, m, n), stream, new MatrixWriteOptions { Layout = MatrixLayout.Long });
    }

    /// <summary>Deletes the file.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    /// <summary>Reads the matrix; returns its first value.</summary>
    [Benchmark]
    public float ReadLongMatrix() => ParquetMatrixFormat.Read(_path)[0, 0];
}

using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using ForgetPredict.Data.Compression;

namespace ForgetPredict.Benchmarks;

/// <summary>Snappy block decompression and compression of 1 MiB Parquet-like pages (random float32, sequential
/// int32 ids, CSV-like text), the inner loop of SNAPPY column reads.</summary>
[MemoryDiagnoser]
public class ParquetSnappyBenchmarks
{
    private byte[] _input = [];
    private byte[] _compressed = [];
    private byte[] _output = [];

    /// <summary>What the page holds.</summary>
    [Params("float32", "int32-ids", "text")]
    public string Data { get; set; } = "float32";

    /// <summary>Builds and compresses the page.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var size = Environment.GetEnvironmentVariable("FP_BENCH_SMOKE") == "1" ? 4096 : 1 << 20;
        var random = new Random(1);
        _input = Data switch
        {
            "float32" => MemoryMarshal.AsBytes(Enumerable.Range(0, size / 4).Select(_ => (float)random.NextDouble()).ToArray().AsSpan()).ToArray(),
            "int32-ids" => MemoryMarshal.AsBytes(Enumerable.Range(0, size / 4).ToArray().AsSpan()).ToArray(),
            _ => System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, (size / 16) + 1).Select(i => $"task_{i % 85:D2},ex_{i:D6},0.5\n")))[..size],
        };
        _compressed = new byte[Snappy.GetMaxCompressedLength(_input.Length)];
        _compressed = _compressed.AsSpan(0, Snappy.Compress(_input, _compressed)).ToArray();
        _output = new byte[_input.Length];
    }

    /// <summary>Decompresses the page; the result's throughput is page bytes / time.</summary>
    [Benchmark]
    public int Decompress() => Snappy.Decompress(_compressed, _output);

    /// <summary>Compresses the page.</summary>
    [Benchmark]
    public int Compress()
    {
        var buffer = new byte[Snappy.GetMaxCompressedLength(_input.Length)];
        return Snappy.Compress(_input, buffer);
    }
}

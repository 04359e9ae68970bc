using System.Text;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Compression;

/// <summary>Runs the reference <c>zstd</c> CLI (Debian package <c>zstd</c>, installed by <c>make test</c>) on bytes.</summary>
internal static class ZstdCli
{
    /// <summary>Compresses <paramref name="input"/> with <c>zstd -q -f</c> and <paramref name="options"/> (file to file, so the
    /// header carries the content size unless the options say otherwise).</summary>
    public static byte[] Compress(byte[] input, params string[] options)
    {
        string folder = RepoPaths.NewTempFolder("fp-zstd");
        try
        {
            string inputPath = Path.Combine(folder, "input.bin");
            string outputPath = Path.Combine(folder, "input.bin.zst");
            File.WriteAllBytes(inputPath, input);
            try
            {
                ExternalTool.Run("zstd", ["-q", "-f", .. options, inputPath, "-o", outputPath], timeout: TimeSpan.FromMinutes(5));
            }
            catch (InvalidOperationException e) when (e.Message.Contains("not installed", StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    "The reference 'zstd' CLI is missing: the Zstandard conformance tests need it. 'make test' installs it (Debian package zstd: apt-get install -y zstd).", e);
            }

            return File.ReadAllBytes(outputPath);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>Deterministic sample inputs for the Zstandard tests, cached per name.</summary>
internal static class ZstdSamples
{
    private static readonly Dictionary<string, byte[]> s_cache = [];
    private static readonly Lock s_lock = new();

    /// <summary>Names accepted by <see cref="Get"/>.</summary>
    public static readonly string[] Names =
    [
        "empty", "one-byte", "short-text", "text-200k", "random-300k", "repetitive-1m", "zeros-300k", "float32-matrix-85x2000", "mixed-5m",
    ];

    /// <summary>The sample called <paramref name="name"/>.</summary>
    public static byte[] Get(string name)
    {
        lock (s_lock)
        {
            if (!s_cache.TryGetValue(name, out byte[]? data))
            {
                data = Create(name);
                s_cache[name] = data;
            }

            return data;
        }
    }

    /// <summary>Pseudo-English text of <paramref name="length"/> bytes.</summary>
    public static byte[] Text(int length, int seed)
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
            builder.Append(words[random.Next(words.Length)]);
            int r = random.Next(20);
            builder.Append(r == 0 ? ".\n" : r == 1 ? ", " : " ");
        }

        return Encoding.ASCII.GetBytes(builder.ToString(0, length));
    }

    /// <summary>Random bytes (incompressible).</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>A tasks x examples float32 matrix shaped like a forgetting matrix: a rank-2 signal plus noise, row-major, little-endian.</summary>
    public static byte[] Float32Matrix(int tasks, int examples, int seed)
    {
        var random = new Random(seed);
        var rowA = new float[tasks];
        var rowB = new float[tasks];
        var colA = new float[examples];
        var colB = new float[examples];
        for (int i = 0; i < tasks; i++)
        {
            rowA[i] = (float)random.NextDouble();
            rowB[i] = (float)(random.NextDouble() - 0.5);
        }

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
                double noise = (random.NextDouble() - 0.5) * 0.02;
                values[(i * examples) + j] = (float)((rowA[i] * colA[j]) + (rowB[i] * colB[j] * 0.1) + noise);
            }
        }

        var bytes = new byte[values.Length * sizeof(float)];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(bytes);
        return bytes;
    }

    private static byte[] Create(string name) => name switch
    {
        "empty" => [],
        "one-byte" => [0x42],
        "short-text" => Encoding.ASCII.GetBytes("Zstandard test: the quick brown fox jumps over the lazy dog; the lazy dog sleeps."),
        "text-200k" => Text(200_000, 1),
        "random-300k" => RandomBytes(300_000, 2),
        "repetitive-1m" => Repetitive(1 << 20),
        "zeros-300k" => new byte[300_000],
        "float32-matrix-85x2000" => Float32Matrix(85, 2000, 3),
        "mixed-5m" => Mixed(),
        _ => throw new ArgumentException("unknown sample " + name, nameof(name)),
    };

    private static byte[] Repetitive(int length)
    {
        byte[] pattern = Encoding.ASCII.GetBytes("abcabcabd0123456789-");
        var data = new byte[length];
        var random = new Random(4);
        for (int i = 0; i < length; i++)
        {
            // Mostly a short period, with rare mutations and runs so every offset and repeat code appears.
            data[i] = random.Next(1000) == 0 ? (byte)random.Next(256) : pattern[i % pattern.Length];
        }

        return data;
    }

    private static byte[] Mixed()
    {
        var parts = new List<byte[]>
        {
            Text(1_500_000, 5),
            Float32Matrix(40, 10_000, 6),
            RandomBytes(300_000, 7),
            new byte[200_000],
            Repetitive(500_000),
            Text(1_400_000, 5), // repeats the first part at a long distance
        };
        return [.. parts.SelectMany(p => p)];
    }
}

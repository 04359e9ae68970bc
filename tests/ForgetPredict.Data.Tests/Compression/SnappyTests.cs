using ForgetPredict.Data.Compression;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Compression;

// Lives under Parquet/ for now: tests/Directory.Build.props turns XML docs off for test projects, which makes
// IDE0005 fail the build (EnableGenerateDocumentationFile) for files outside the folder whose .editorconfig
// silences it. Move to Compression/ once the overlay enables GenerateDocumentationFile.
public sealed class SnappyTests
{
    // Theories take the input's name and build the bytes inside the test: xunit serialises theory data during
    // discovery, which for megabyte arrays costs tens of seconds.
    public static TheoryData<string> Inputs() => [.. BuildInputs().Keys];

    private static Dictionary<string, byte[]> BuildInputs()
    {
        var random = new Random(42);
        var incompressible = new byte[100_000];
        random.NextBytes(incompressible);
        var floats = new float[50_000];
        for (var i = 0; i < floats.Length; i++)
        {
            floats[i] = (float)random.NextDouble();
        }

        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"task_{i % 85},example_{i},0.{i % 7}\n")));
        return new Dictionary<string, byte[]>
        {
            { "empty", [] },
            { "one byte", [0x5A] },
            { "fifteen bytes", "abcdefghijklmno"u8.ToArray() },
            { "incompressible 100k", incompressible },
            { "all zeros 1 MiB", new byte[1 << 20] },
            { "repeating pattern 70k", Enumerable.Range(0, 70_000).Select(i => (byte)(i % 3)).ToArray() },
            { "float32 values 200k", System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()).ToArray() },
            { "csv text", text },
        };
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Compress_ThenDecompress_RoundTrips(string name)
    {
        var input = BuildInputs()[name];
        var compressed = new byte[Snappy.GetMaxCompressedLength(input.Length)];
        var length = Snappy.Compress(input, compressed);
        Assert.Equal(input.Length, Snappy.GetUncompressedLength(compressed.AsSpan(0, length)));
        var output = new byte[input.Length];
        Assert.Equal(input.Length, Snappy.Decompress(compressed.AsSpan(0, length), output));
        Assert.True(input.AsSpan().SequenceEqual(output), name);
        if (name.StartsWith("all zeros", StringComparison.Ordinal))
        {
            Assert.True(length < input.Length / 20, $"{name}: {length} bytes");
        }
    }

    [Fact]
    public void Compress_EveryLengthUpTo300_RoundTrips()
    {
        var random = new Random(7);
        for (var n = 0; n <= 300; n++)
        {
            var input = new byte[n];
            for (var i = 0; i < n; i++)
            {
                input[i] = (byte)(random.Next(4) == 0 ? random.Next(256) : i % 5);
            }

            var compressed = new byte[Snappy.GetMaxCompressedLength(n)];
            var length = Snappy.Compress(input, compressed);
            var output = new byte[n];
            Snappy.Decompress(compressed.AsSpan(0, length), output);
            Assert.True(input.AsSpan().SequenceEqual(output), $"length {n}");
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Decompress_PythonSnappyOutput_MatchesInput(string name)
    {
        var input = BuildInputs()[name];
        // Given: Debian's python3-snappy (Google's C++ library) compresses the input.
        var folder = RepoPaths.NewTempFolder("fp-snappy");
        try
        {
            var inputPath = Path.Combine(folder, "in.bin");
            var outputPath = Path.Combine(folder, "out.snappy");
            File.WriteAllBytes(inputPath, input);
            ExternalTool.RunPython(PythonSnappy("open(sys.argv[2], 'wb').write(snappy.compress(open(sys.argv[1], 'rb').read()))"), inputPath, outputPath);
            var compressed = File.ReadAllBytes(outputPath);

            // When
            var output = new byte[Snappy.GetUncompressedLength(compressed)];
            Snappy.Decompress(compressed, output);

            // Then
            Assert.True(input.AsSpan().SequenceEqual(output), name);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Compress_PythonSnappyDecompresses_ToInput(string name)
    {
        var input = BuildInputs()[name];
        var folder = RepoPaths.NewTempFolder("fp-snappy");
        try
        {
            var compressed = new byte[Snappy.GetMaxCompressedLength(input.Length)];
            var length = Snappy.Compress(input, compressed);
            var inputPath = Path.Combine(folder, "in.snappy");
            var outputPath = Path.Combine(folder, "out.bin");
            File.WriteAllBytes(inputPath, compressed.AsSpan(0, length).ToArray());
            ExternalTool.RunPython(PythonSnappy("open(sys.argv[2], 'wb').write(snappy.uncompress(open(sys.argv[1], 'rb').read()))"), inputPath, outputPath);
            Assert.True(input.AsSpan().SequenceEqual(File.ReadAllBytes(outputPath)), name);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(new byte[] { }, "preamble")]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80 }, "preamble")]
    [InlineData(new byte[] { 0x05, 0x10, 0x61 }, "truncated")]
    [InlineData(new byte[] { 0x04, 0x01, 0x01 }, "before the start")]
    [InlineData(new byte[] { 0x08, 0x00, 0x61, 0x05, 0x02 }, "before the start")]
    [InlineData(new byte[] { 0x03, 0x0C, 0x61, 0x62, 0x63, 0x64 }, "past the declared")]
    [InlineData(new byte[] { 0x05, 0x08, 0x61, 0x62, 0x63 }, "ends after 3 of 5")]
    [InlineData(new byte[] { 0x02, 0x04, 0x61, 0x62, 0x1E }, "truncated")]
    public void Decompress_MalformedInput_ThrowsInvalidData(byte[] input, string fragment)
    {
        var e = Assert.Throws<InvalidDataException>(() => Snappy.Decompress(input, new byte[64]));
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decompress_LengthBeyondDestination_Throws()
    {
        var e = Assert.Throws<InvalidDataException>(() => Snappy.Decompress([0x80, 0x80, 0x80, 0x80, 0x07], new byte[16]));
        Assert.Contains("only 16 are expected", e.Message, StringComparison.Ordinal);
    }

    private static string PythonSnappy(string statement) =>
        "import sys\ntry:\n    import snappy\nexcept ImportError:\n    sys.exit('python3-snappy is missing; make test installs it (apt python3-snappy)')\n" + statement;
}

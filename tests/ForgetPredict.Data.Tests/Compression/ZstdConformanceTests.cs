using ForgetPredict.Data.Compression;

namespace ForgetPredict.Data.Tests.Compression;

/// <summary>Round trips through the independent reference encoder: the <c>zstd</c> CLI compresses, <see cref="Zstd"/> must give the original bytes back.</summary>
public sealed class ZstdConformanceTests
{
    /// <summary>Compression settings, each a CLI argument list (space separated).</summary>
    private static readonly string[] s_settings =
    [
        "-1",
        "-3",
        "-9",
        "-19",
        "--ultra -22",
        "--long=27 -3",
        "--fast=5",
        "-3 --no-check",
        "-3 --check",
        "-3 --no-content-size",
        "-19 --no-check --no-content-size",
        "--format=zstd -3",
        "-3 -T2 -B1MiB",
        "-6 --target-compressed-block-size=1340",
        "-3 --zstd=wlog=10",
        "-19 --zstd=wlog=12,clog=12,hlog=12",
    ];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string sample in ZstdSamples.Names)
        {
            foreach (string setting in s_settings)
            {
                // The slowest settings on the largest sample add minutes and nothing the smaller samples do not cover.
                if (sample == "mixed-5m" && setting is "--ultra -22" or "-19 --zstd=wlog=12,clog=12,hlog=12")
                {
                    continue;
                }

                data.Add(sample, setting);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decompress_ReferenceEncoderOutput_ReturnsOriginalBytes(string sample, string setting)
    {
        // Given
        byte[] original = ZstdSamples.Get(sample);
        byte[] compressed = ZstdCli.Compress(original, setting.Split(' '));

        // When
        var destination = new byte[original.Length];
        int written = Zstd.Decompress(compressed, destination);

        // Then
        Assert.Equal(original.Length, written);
        Assert.True(original.AsSpan().SequenceEqual(destination), $"{sample} with zstd {setting}: decompressed bytes differ from the original");
    }

    [Fact]
    public void Decompress_ConcatenatedFramesWithSkippableFrame_ReturnsConcatenation()
    {
        // Given: text at -3, a skippable frame, a float matrix at -19 without checksum, an empty frame, random bytes at -1 without content size
        byte[] a = ZstdSamples.Get("text-200k");
        byte[] b = ZstdSamples.Get("float32-matrix-85x2000");
        byte[] c = ZstdSamples.Get("random-300k");
        byte[] skippable = [0x5E, 0x2A, 0x4D, 0x18, 5, 0, 0, 0, 1, 2, 3, 4, 5];
        byte[] source =
        [
            .. ZstdCli.Compress(a, "-3"),
            .. skippable,
            .. ZstdCli.Compress(b, "-19", "--no-check"),
            .. ZstdCli.Compress([], "-3"),
            .. ZstdCli.Compress(c, "-1", "--no-content-size"),
            .. skippable,
        ];
        byte[] expected = [.. a, .. b, .. c];

        // When
        var destination = new byte[expected.Length];
        int written = Zstd.Decompress(source, destination);

        // Then
        Assert.Equal(expected.Length, written);
        Assert.True(expected.AsSpan().SequenceEqual(destination));
    }

    [Fact]
    public void Decompress_ReferenceEncoderOutput_SurvivesLargerDestination()
    {
        // Given: a destination larger than needed (a Parquet page buffer can be pooled and oversized)
        byte[] original = ZstdSamples.Get("text-200k");
        byte[] compressed = ZstdCli.Compress(original, "-3");

        // When
        var destination = new byte[original.Length + 1000];
        int written = Zstd.Decompress(compressed, destination);

        // Then
        Assert.Equal(original.Length, written);
        Assert.True(original.AsSpan().SequenceEqual(destination.AsSpan(0, written)));
    }
}

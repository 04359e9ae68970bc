using System.Buffers.Binary;
using System.Text;
using ForgetPredict.Data.Compression;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Compression;

/// <summary>XXH64, the Zstandard content checksum, against published vectors and the reference CLI's checksums.</summary>
public sealed class ZstdChecksumTests
{
    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    public void XxHash64_PublishedVectors_Match(string text, ulong expected) =>
        Assert.Equal(expected, XxHash64.Hash(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void XxHash64_EveryTailLength_MatchesReferenceFrameChecksums()
    {
        // Given: inputs of every length 0..67 (all stripe and tail paths) plus two long ones, compressed with --check in one CLI call
        int[] lengths = [.. Enumerable.Range(0, 68), 1000, 100_003];
        byte[] data = ZstdSamples.RandomBytes(100_003, 41);
        string folder = RepoPaths.NewTempFolder("fp-zstd-xxh");
        try
        {
            var paths = lengths.Select(n => Path.Combine(folder, "in" + n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            for (int i = 0; i < lengths.Length; i++)
            {
                File.WriteAllBytes(paths[i], data.AsSpan(0, lengths[i]).ToArray());
            }

            ExternalTool.Run("zstd", ["-q", "-f", "--check", .. paths]);

            for (int i = 0; i < lengths.Length; i++)
            {
                // When
                byte[] frame = File.ReadAllBytes(paths[i] + ".zst");
                uint stored = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(frame.Length - 4));

                // Then
                Assert.Equal(stored, (uint)XxHash64.Hash(data.AsSpan(0, lengths[i])));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

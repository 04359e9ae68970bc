using System.Text;
using ForgetPredict.Data.Compression;
using static ForgetPredict.Data.Tests.Compression.ZstdHandMadeFrames;

namespace ForgetPredict.Data.Tests.Compression;

/// <summary>Hand-made frames and damaged reference frames: the format's corner cases and every refusal path.</summary>
public sealed class ZstdCornerCaseTests
{
    private static readonly byte[] s_text = Encoding.ASCII.GetBytes(
        "Forgetting is measured per upstream example after each fine-tuning task; the matrix is then compressed in Parquet pages.");

    public sealed class Blocks
    {
        [Fact]
        public void Decompress_RleBlock_RepeatsTheByte()
        {
            byte[] frame = RleBlockFrame(0x7A, 1000, withChecksum: true);
            var destination = new byte[1000];

            int written = Zstd.Decompress(frame, destination);

            Assert.Equal(1000, written);
            Assert.All(destination, b => Assert.Equal(0x7A, b));
        }

        [Fact]
        public void Decompress_RawBlock_CopiesTheBytes()
        {
            byte[] frame = RawBlockFrame(s_text, withChecksum: true);
            var destination = new byte[s_text.Length];

            int written = Zstd.Decompress(frame, destination);

            Assert.Equal(s_text.Length, written);
            Assert.Equal(s_text, destination);
        }

        [Fact]
        public void Decompress_RawRleAndRawBlocksInOneFrame_ConcatenatesThem()
        {
            byte[] frame =
            [
                .. Header(0, 0, singleSegment: false, checksum: false),
                .. BlockHeader(Raw, 3, last: false), (byte)'a', (byte)'b', (byte)'c',
                .. BlockHeader(Rle, 5, last: false), (byte)'-',
                .. BlockHeader(Raw, 0, last: false),
                .. BlockHeader(Raw, 2, last: true), (byte)'y', (byte)'z',
            ];
            var destination = new byte[10];

            int written = Zstd.Decompress(frame, destination);

            Assert.Equal("abc-----yz", Encoding.ASCII.GetString(destination, 0, written));
        }

        [Fact]
        public void Decompress_ReservedBlockType_Throws()
        {
            byte[] frame = [.. Header(0, 0, singleSegment: false, checksum: false), .. BlockHeader(3, 0, last: true)];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[16]));
            Assert.StartsWith("Zstandard data is corrupt:", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Decompress_RleBlockLargerThanWindow_IsAcceptedLikeTheReferenceDecoder()
        {
            // Window descriptor 0 = 1 KiB window; libzstd bounds only compressed blocks by it, so a 2000-byte RLE block decodes.
            byte[] frame = [.. Header(0, 0, singleSegment: false, checksum: false, windowDescriptor: 0), .. BlockHeader(Rle, 2000, last: true), 1];
            var destination = new byte[4000];

            int written = Zstd.Decompress(frame, destination);

            Assert.Equal(2000, written);
            Assert.All(destination.AsSpan(0, written).ToArray(), b => Assert.Equal(1, b));
        }

        [Fact]
        public void Decompress_RepeatOffsetRules_FollowRfc8878()
        {
            // Five compressed blocks, one sequence each (RLE-mode codes), walking the repeat-offset rules of §3.1.1.5:
            // 1: 8 literals, offset value 7 (offset 4), match 4            -> "abcdefgh" + "efgh", reps 4 1 4
            // 2: 0 literals, offset value 3 (=> repeat1 - 1 = 3), match 3   -> "fgh",              reps 3 4 1
            // 3: 0 literals, offset value 1 (=> repeat2 = 4), match 5       -> "hfghh",            reps 4 3 1
            // 4: 0 literals, offset value 2 (=> repeat3 = 1), match 3       -> "hhh",              reps 1 4 3
            // 5: 2 literals, offset value 3 (=> repeat3 = 3), match 3       -> "XY" + "hXY",       reps 3 1 4
            byte[] frame =
            [
                .. Header(0, 0, singleSegment: false, checksum: false),
                .. OneSequenceBlock("abcdefgh", literalLengthCode: 8, offsetCode: 2, offsetExtra: 3, matchLengthCode: 1, last: false),
                .. OneSequenceBlock("", literalLengthCode: 0, offsetCode: 1, offsetExtra: 1, matchLengthCode: 0, last: false),
                .. OneSequenceBlock("", literalLengthCode: 0, offsetCode: 0, offsetExtra: 0, matchLengthCode: 2, last: false),
                .. OneSequenceBlock("", literalLengthCode: 0, offsetCode: 1, offsetExtra: 0, matchLengthCode: 0, last: false),
                .. OneSequenceBlock("XY", literalLengthCode: 2, offsetCode: 1, offsetExtra: 1, matchLengthCode: 0, last: true),
            ];
            var destination = new byte[64];

            int written = Zstd.Decompress(frame, destination);

            Assert.Equal("abcdefghefgh" + "fgh" + "hfghh" + "hhh" + "XYhXY", Encoding.ASCII.GetString(destination, 0, written));
        }

        [Fact]
        public void Decompress_RepeatOneMinusOneReachingZero_Throws()
        {
            // Offset value 3 with no literals means repeat1 - 1; at frame start repeat1 is 1, so the offset would be 0.
            byte[] frame =
            [
                .. Header(0, 0, singleSegment: false, checksum: false),
                .. OneSequenceBlock("ab", literalLengthCode: 2, offsetCode: 0, offsetExtra: 0, matchLengthCode: 0, last: false),
                .. OneSequenceBlock("", literalLengthCode: 0, offsetCode: 1, offsetExtra: 1, matchLengthCode: 0, last: true),
            ];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[64]));
            Assert.StartsWith("Zstandard data is corrupt:", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Decompress_OffsetBeforeFrameStart_Throws()
        {
            // Initial repeat offset 2 is 4, but only 2 bytes precede the match.
            byte[] frame =
            [
                .. Header(0, 0, singleSegment: false, checksum: false),
                .. OneSequenceBlock("ab", literalLengthCode: 2, offsetCode: 1, offsetExtra: 0, matchLengthCode: 0, last: true),
            ];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[64]));
            Assert.StartsWith("Zstandard data is corrupt:", e.Message, StringComparison.Ordinal);
        }
    }

    public sealed class Literals
    {
        // Weights for symbols 0..97: only 'a' (97) has weight 1; the implied last symbol 'b' (98) gets weight 1 too,
        // so the tree is 1 bit deep: 'a' is code 0, 'b' is code 1 (codes go to symbols in natural order).
        private static readonly byte[] s_twoLetterTree = DirectWeights([.. new byte[97], 1]);

        [Fact]
        public void Decompress_DirectWeightsThenTreeless_ReusesTheTree()
        {
            // "abba" = bits 0110 under the end marker (first symbol in the highest bit): 0b1_0110.
            // "baab" = bits 1001: 0b1_1001, in a treeless block that reuses the tree.
            byte[] frame =
            [
                .. Header(0, 0, singleSegment: false, checksum: false),
                .. HuffmanLiteralsBlock(s_twoLetterTree, [0b1_0110], 4, last: false),
                .. HuffmanLiteralsBlock([], [0b1_1001], 4, last: true),
            ];
            var destination = new byte[8];

            int written = Zstd.Decompress(frame, destination);

            Assert.Equal("abbabaab", Encoding.ASCII.GetString(destination, 0, written));
        }

        [Fact]
        public void Decompress_TwelveBitTree_IsAcceptedLikeTheReferenceDecoder()
        {
            // Weights 12, 11, ..., 1 for symbols 0..11 sum to 4095; the implied symbol 12 gets weight 1: a 12-bit tree
            // (RFC 8878 says 11 at most; libzstd accepts 12). Symbol 12 is code 000000000001, symbol 0 is code 1.
            byte[] tree = DirectWeights(12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
            byte[] frame = [.. Header(0, 0, singleSegment: false, checksum: false), .. HuffmanLiteralsBlock(tree, [0x03, 0x20], 2, last: true)];
            var destination = new byte[2];

            int written = Zstd.Decompress(frame, destination);

            Assert.Equal(2, written);
            Assert.Equal(new byte[] { 12, 0 }, destination);
        }

        [Fact]
        public void Decompress_WeightAboveTwelve_Throws()
        {
            byte[] tree = DirectWeights(13, 1);
            byte[] frame = [.. Header(0, 0, singleSegment: false, checksum: false), .. HuffmanLiteralsBlock(tree, [0x03, 0x20], 2, last: true)];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[8]));
            Assert.StartsWith("Zstandard data is corrupt:", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Decompress_WeightsNotCompletingAPowerOfTwo_Throws()
        {
            // Weights 2, 2, 1: sum 5, so the last symbol would need 8 - 5 = 3, not a power of two.
            byte[] frame = [.. Header(0, 0, singleSegment: false, checksum: false), .. HuffmanLiteralsBlock(DirectWeights(2, 2, 1), [0x01], 0, last: true)];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[8]));
            Assert.StartsWith("Zstandard data is corrupt:", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Decompress_TreelessWithoutPreviousTree_Throws()
        {
            byte[] frame = [.. Header(0, 0, singleSegment: false, checksum: false), .. HuffmanLiteralsBlock([], [0b1_0110], 4, last: true)];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[8]));
            Assert.Contains("treeless", e.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData(3)] // one bit left over
        [InlineData(5)] // one symbol more than the stream holds
        public void Decompress_StreamNotConsumedExactly_Throws(int literalCount)
        {
            byte[] frame = [.. Header(0, 0, singleSegment: false, checksum: false), .. HuffmanLiteralsBlock(s_twoLetterTree, [0b1_0110], literalCount, last: true)];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[8]));
            Assert.StartsWith("Zstandard data is corrupt:", e.Message, StringComparison.Ordinal);
        }
    }

    public sealed class Headers
    {
        [Theory]
        [InlineData(1, true)]
        [InlineData(2, false)]
        [InlineData(2, true)]
        [InlineData(4, false)]
        [InlineData(8, true)]
        public void Decompress_ContentSizeEncodings_AreRead(int contentSizeBytes, bool singleSegment)
        {
            // 2-byte sizes store size - 256, so use a size the 1-byte field can also hold only when it is 1 byte.
            int size = contentSizeBytes == 1 ? 200 : 300;
            byte[] content = Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();
            byte[] frame = [.. Header(size, contentSizeBytes, singleSegment, checksum: true), .. BlockHeader(Raw, size, last: true), .. content, .. Checksum(content)];

            var destination = new byte[size];
            Assert.Equal(size, Zstd.Decompress(frame, destination));
            Assert.Equal(content, destination);
        }

        [Fact]
        public void Decompress_EmptyFrameWithContentSize_WritesNothing()
        {
            byte[] frame = [.. Header(0, 1, singleSegment: true, checksum: true), .. BlockHeader(Raw, 0, last: true), .. Checksum([])];

            Assert.Equal(0, Zstd.Decompress(frame, []));
        }

        [Fact]
        public void Decompress_EmptyFrameWithoutContentSize_WritesNothing()
        {
            byte[] frame = [.. Header(0, 0, singleSegment: false, checksum: false), .. BlockHeader(Raw, 0, last: true)];

            Assert.Equal(0, Zstd.Decompress(frame, new byte[8]));
        }

        [Fact]
        public void Decompress_EmptySource_WritesNothing() => Assert.Equal(0, Zstd.Decompress([], new byte[8]));

        [Fact]
        public void Decompress_OnlySkippableFrames_WritesNothing()
        {
            byte[] source = [0x50, 0x2A, 0x4D, 0x18, 2, 0, 0, 0, 9, 9, 0x5F, 0x2A, 0x4D, 0x18, 0, 0, 0, 0];

            Assert.Equal(0, Zstd.Decompress(source, new byte[8]));
        }

        [Fact]
        public void Decompress_ContentSizeDisagreesWithBlocks_Throws()
        {
            byte[] frame = [.. Header(10, 1, singleSegment: true, checksum: false), .. BlockHeader(Raw, 4, last: true), 1, 2, 3, 4];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[16]));
            Assert.StartsWith("Zstandard data is corrupt:", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Decompress_ReservedHeaderBit_Throws()
        {
            byte[] frame = [.. Header(0, 0, singleSegment: false, checksum: false), .. BlockHeader(Raw, 0, last: true)];
            frame[4] |= 0x08;

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[8]));
            Assert.Contains("reserved bit", e.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(4)]
        public void Decompress_DictionaryId_IsRefusedNamingDictionaries(int dictionaryIdBytes)
        {
            byte[] frame = [.. Header(3, 1, singleSegment: true, checksum: false, dictionaryIdBytes, dictionaryId: 0x8001), .. BlockHeader(Raw, 3, last: true), 1, 2, 3];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[8]));
            Assert.Contains("dictionar", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Decompress_DictionaryIdZero_MeansNoDictionary()
        {
            byte[] frame = [.. Header(3, 1, singleSegment: true, checksum: false, dictionaryIdBytes: 4, dictionaryId: 0), .. BlockHeader(Raw, 3, last: true), 1, 2, 3];

            Assert.Equal(3, Zstd.Decompress(frame, new byte[8]));
        }

        [Fact]
        public void Decompress_ReferenceFrameWithRawContentDictionary_IsRefusedNamingDictionaries()
        {
            // Given: the CLI with a raw-content dictionary writes no dictionary id, but the first match reaches into the dictionary.
            byte[] dictionary = ZstdSamples.Text(4000, 21);
            string folder = ForgetPredict.Testing.RepoPaths.NewTempFolder("fp-zstd-dict");
            try
            {
                string dictionaryPath = Path.Combine(folder, "dictionary.bin");
                File.WriteAllBytes(dictionaryPath, dictionary);
                byte[] compressed = ZstdCli.Compress(dictionary.AsSpan(0, 2000).ToArray(), "-3", "-D", dictionaryPath);

                // When / Then
                var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(compressed, new byte[2000]));
                Assert.Contains("dictionar", e.Message, StringComparison.Ordinal);
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        [Theory]
        [InlineData(0xFD2FB51Eu)]
        [InlineData(0xFD2FB524u)]
        [InlineData(0xFD2FB527u)]
        public void Decompress_LegacyFormat_IsRefusedNamingIt(uint magic)
        {
            byte[] source = [(byte)magic, (byte)(magic >> 8), (byte)(magic >> 16), (byte)(magic >> 24), 0, 0, 0, 0];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(source, new byte[8]));
            Assert.Contains("legacy Zstandard format", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Decompress_NotZstandard_Throws()
        {
            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress("PAR1 is not a frame"u8, new byte[8]));
            Assert.Contains("no Zstandard frame", e.Message, StringComparison.Ordinal);
        }
    }

    public sealed class Damage
    {
        [Fact]
        public void Decompress_ChecksumMismatch_ThrowsNamingTheChecksum()
        {
            // Given: a reference frame with a checksum whose last stored byte is changed
            byte[] original = ZstdSamples.Text(50_000, 31);
            byte[] compressed = ZstdCli.Compress(original, "-3", "--check");
            compressed[^1] ^= 0x01;

            // When / Then
            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(compressed, new byte[original.Length]));
            Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Decompress_HandMadeChecksumMismatch_ThrowsNamingTheChecksum()
        {
            byte[] frame = RawBlockFrame(s_text, withChecksum: true);
            frame[^3] ^= 0x40;

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[s_text.Length]));
            Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("-3")]
        [InlineData("--no-content-size")]
        public void Decompress_DestinationTooSmall_ThrowsNamingTheExpectedSize(string setting)
        {
            byte[] original = ZstdSamples.Text(300_000, 32);
            byte[] compressed = ZstdCli.Compress(original, setting);
            var buffer = new byte[original.Length + 64];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(compressed, buffer.AsSpan(0, original.Length - 1)));

            Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"decompressed data is larger than the {original.Length - 1} bytes expected"), e.Message, StringComparison.Ordinal);
            Assert.All(buffer.AsSpan(original.Length - 1).ToArray(), b => Assert.Equal(0, b));
        }

        [Theory]
        [InlineData(Raw)]
        [InlineData(Rle)]
        public void Decompress_DestinationTooSmallForRawOrRleBlock_Throws(int blockType)
        {
            byte[] frame = blockType == Raw ? RawBlockFrame(s_text, withChecksum: false) : RleBlockFrame(1, 100, withChecksum: false);
            frame[4] &= 0x1F; // drop the content size flag bits: single segment with a 1-byte size stays valid for both
            var buffer = new byte[40];

            var e = Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, buffer.AsSpan(0, 10)));

            Assert.Contains("larger than the 10 bytes expected", e.Message, StringComparison.Ordinal);
            Assert.All(buffer.AsSpan(10).ToArray(), b => Assert.Equal(0, b));
        }

        [Fact]
        public void Decompress_EveryTruncation_Throws()
        {
            byte[] original = ZstdSamples.Text(5_000, 33);
            byte[] compressed = ZstdCli.Compress(original, "-19");
            var destination = new byte[original.Length];

            for (int length = 1; length < compressed.Length; length++)
            {
                byte[] prefix = compressed.AsSpan(0, length).ToArray();
                Assert.Throws<InvalidDataException>(() => Zstd.Decompress(prefix, destination));
            }
        }

        [Fact]
        public void Decompress_TrailingGarbage_Throws()
        {
            byte[] frame = [.. RawBlockFrame(s_text, withChecksum: false), 0x01, 0x02];

            Assert.Throws<InvalidDataException>(() => Zstd.Decompress(frame, new byte[s_text.Length + 16]));
        }
    }
}

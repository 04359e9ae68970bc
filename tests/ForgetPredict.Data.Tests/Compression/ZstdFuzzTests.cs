using System.Diagnostics;
using System.Globalization;
using System.Text;
using ForgetPredict.Data.Compression;
using Xunit.Abstractions;

namespace ForgetPredict.Data.Tests.Compression;

/// <summary>
/// Bounded, seeded fuzzing of <see cref="Zstd"/>: mutated reference frames and random bytes must only ever raise
/// <see cref="InvalidDataException"/> (one the decoder threw on purpose, not a wrapped internal error), must not write
/// past the destination, and must not hang.
/// </summary>
/// <remarks>
/// <c>FP_FUZZ_SECONDS</c> sets the time budget (default 5), <c>FP_FUZZ_SEED</c> the seed (default 8878). A failure
/// prints the seed, the iteration, the destination length and the input in base64, which reproduce it alone.
/// </remarks>
public sealed class ZstdFuzzTests(ITestOutputHelper output)
{
    private const int GuardBytes = 64;
    private const byte GuardValue = 0xA5;

    [Fact]
    public void Decompress_MutatedAndRandomInputs_OnlyThrowsInvalidDataAndStaysInBounds()
    {
        // Given
        double seconds = ReadSetting("FP_FUZZ_SECONDS", 5.0);
        int seed = (int)ReadSetting("FP_FUZZ_SEED", 8878);
        var corpus = BuildCorpus();
        var state = new FuzzState();

        // When: the loop runs on its own thread so a hang is reported instead of blocking the test run
        var thread = new Thread(() => Run(corpus, seed, TimeSpan.FromSeconds(seconds), state), 16 * 1024 * 1024) { IsBackground = true };
        thread.Start();
        bool finished = thread.Join(TimeSpan.FromSeconds(seconds + 60));

        // Then
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"zstd fuzz: seed {seed}, {state.Iterations} inputs in {seconds} s ({state.Decoded} decoded fully, {state.Rejected} rejected)"));
        if (!finished)
        {
            Assert.Fail("Zstd.Decompress did not return (hang) on " + Describe(seed, state.Iterations, state.CurrentInput, state.CurrentDestinationLength));
        }

        if (state.Failure is not null)
        {
            Assert.Fail(state.Failure);
        }

        Assert.True(state.Iterations > 0, "the fuzz loop ran no input");
    }

    private static void Run(List<(byte[] Compressed, int OriginalLength)> corpus, int seed, TimeSpan budget, FuzzState state)
    {
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        byte[] buffer = new byte[(1 << 20) + GuardBytes];
        while (clock.Elapsed < budget && state.Failure is null)
        {
            var (input, originalLength) = NextInput(random, corpus);
            int destinationLength = random.Next(8) switch
            {
                0 => 0,
                1 => Math.Max(0, originalLength - random.Next(1, 64)),
                2 => originalLength + random.Next(1, 4096),
                3 => random.Next(0, 1 << 16),
                _ => originalLength,
            };
            destinationLength = Math.Min(destinationLength, buffer.Length - GuardBytes);
            state.CurrentInput = input;
            state.CurrentDestinationLength = destinationLength;
            state.Iterations++;
            buffer.AsSpan(destinationLength, GuardBytes).Fill(GuardValue);
            try
            {
                int written = Zstd.Decompress(input, buffer.AsSpan(0, destinationLength));
                if (written < 0 || written > destinationLength)
                {
                    state.Failure = "Decompress returned " + written.ToString(CultureInfo.InvariantCulture) + " for "
                        + Describe(seed, state.Iterations, input, destinationLength);
                }

                state.Decoded++;
            }
            catch (InvalidDataException e) when (e.InnerException is null)
            {
                state.Rejected++;
            }
            catch (Exception e)
            {
                state.Failure = "Decompress threw " + e + "\non " + Describe(seed, state.Iterations, input, destinationLength);
            }

            if (state.Failure is null && buffer.AsSpan(destinationLength, GuardBytes).ContainsAnyExcept(GuardValue))
            {
                state.Failure = "Decompress wrote past the end of its destination on " + Describe(seed, state.Iterations, input, destinationLength);
            }
        }
    }

    private static (byte[] Input, int OriginalLength) NextInput(Random random, List<(byte[] Compressed, int OriginalLength)> corpus)
    {
        if (random.Next(20) == 0)
        {
            // Random bytes, sometimes behind a valid magic number and frame header descriptor.
            var noise = new byte[random.Next(0, 300)];
            random.NextBytes(noise);
            if (noise.Length >= 6 && random.Next(2) == 0)
            {
                noise[0] = 0x28;
                noise[1] = 0xB5;
                noise[2] = 0x2F;
                noise[3] = 0xFD;
            }

            return (noise, random.Next(0, 1000));
        }

        var (compressed, originalLength) = corpus[random.Next(corpus.Count)];
        byte[] data = (byte[])compressed.Clone();
        int mutations = 1 + (random.Next(4) == 0 ? random.Next(1, 8) : 0);
        for (int m = 0; m < mutations && data.Length > 0; m++)
        {
            // Most mutations target the first bytes (headers, tables), where structure is densest.
            int Position() => random.Next(2) == 0 ? random.Next(Math.Min(data.Length, 64)) : random.Next(data.Length);
            switch (random.Next(9))
            {
                case 0:
                case 1:
                    data[Position()] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    data[Position()] = (byte)random.Next(256);
                    break;
                case 3:
                    data[Position()] = random.Next(4) switch { 0 => 0x00, 1 => 0xFF, 2 => 0x7F, _ => 0x80 };
                    break;
                case 4:
                    data = data.AsSpan(0, random.Next(data.Length)).ToArray();
                    break;
                case 5:
                {
                    // Splice: the head of this frame, the tail of another.
                    byte[] other = corpus[random.Next(corpus.Count)].Compressed;
                    int cut = random.Next(data.Length + 1);
                    int from = random.Next(other.Length + 1);
                    data = [.. data.AsSpan(0, cut), .. other.AsSpan(from)];
                    break;
                }

                case 6:
                {
                    // Insert random bytes.
                    int at = random.Next(data.Length + 1);
                    var extra = new byte[random.Next(1, 16)];
                    random.NextBytes(extra);
                    data = [.. data.AsSpan(0, at), .. extra, .. data.AsSpan(at)];
                    break;
                }

                case 7:
                {
                    // Delete a range.
                    int at = random.Next(data.Length);
                    int count = Math.Min(data.Length - at, random.Next(1, 16));
                    data = [.. data.AsSpan(0, at), .. data.AsSpan(at + count)];
                    break;
                }

                default:
                {
                    // Duplicate a range (random lengths, repeated structure).
                    int at = random.Next(data.Length);
                    int count = Math.Min(data.Length - at, random.Next(1, 64));
                    data = [.. data.AsSpan(0, at + count), .. data.AsSpan(at, count), .. data.AsSpan(at + count)];
                    break;
                }
            }
        }

        return (data, originalLength);
    }

    private static List<(byte[] Compressed, int OriginalLength)> BuildCorpus()
    {
        byte[] text = ZstdSamples.Text(20_000, 11);
        byte[] floats = ZstdSamples.Float32Matrix(4, 1000, 12);
        byte[] random = ZstdSamples.RandomBytes(3000, 13);
        byte[] repetitive = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcabd0123-", 500)));
        byte[] mixed = [.. text.AsSpan(0, 3000), .. new byte[2000], .. floats.AsSpan(0, 2000), .. text.AsSpan(0, 3000)];
        var corpus = new List<(byte[], int)>
        {
            (ZstdCli.Compress(text, "-3"), text.Length),
            (ZstdCli.Compress(text, "-19", "--no-check"), text.Length),
            (ZstdCli.Compress(text, "-1", "--no-check", "--zstd=wlog=10"), text.Length),
            (ZstdCli.Compress(floats, "-3", "--no-check"), floats.Length),
            (ZstdCli.Compress(random, "-3", "--no-content-size"), random.Length),
            (ZstdCli.Compress(repetitive, "-9", "--no-check"), repetitive.Length),
            (ZstdCli.Compress(mixed, "-19", "--no-check", "--no-content-size"), mixed.Length),
            (ZstdCli.Compress(mixed, "--fast=3"), mixed.Length),
            (ZstdCli.Compress(text.AsSpan(0, 100).ToArray(), "-3", "--no-check"), 100),
            (ZstdCli.Compress([], "-3"), 0),
            (ZstdHandMadeFrames.RleBlockFrame(0x41, 300, withChecksum: false), 300),
            (ZstdHandMadeFrames.RawBlockFrame(Encoding.ASCII.GetBytes("raw block content"), withChecksum: true), 17),
            (
                [
                    .. ZstdHandMadeFrames.Header(0, 0, singleSegment: false, checksum: false),
                    .. ZstdHandMadeFrames.HuffmanLiteralsBlock(ZstdHandMadeFrames.DirectWeights([.. new byte[97], 1]), [0b1_0110], 4, last: false),
                    .. ZstdHandMadeFrames.HuffmanLiteralsBlock([], [0b1_1001], 4, last: false),
                    .. ZstdHandMadeFrames.OneSequenceBlock("abcdefgh", literalLengthCode: 8, offsetCode: 2, offsetExtra: 3, matchLengthCode: 1, last: false),
                    .. ZstdHandMadeFrames.OneSequenceBlock("", literalLengthCode: 0, offsetCode: 1, offsetExtra: 1, matchLengthCode: 0, last: true),
                ],
                27),
        };
        return corpus;
    }

    private static string Describe(int seed, long iteration, byte[]? input, int destinationLength) =>
        string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}, iteration {iteration}, destination length {destinationLength}, input ({input?.Length ?? 0} bytes, base64): {Convert.ToBase64String(input ?? [])}\n"
            + $"reproduce: Zstd.Decompress(Convert.FromBase64String(\"...\"), new byte[{destinationLength}]) or FP_FUZZ_SEED={seed}");

    private static double ReadSetting(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0
            ? value
            : fallback;

    private sealed class FuzzState
    {
        public volatile string? Failure;
        public long Iterations;
        public long Decoded;
        public long Rejected;
        public volatile byte[]? CurrentInput;
        public volatile int CurrentDestinationLength;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;
using Xunit.Abstractions;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>
/// Bounded, seeded fuzzing of every matrix reader: mutated valid files (bit flips, byte substitutions, truncations,
/// splices, insertions, deletions, duplicated and swapped lines) must only ever raise
/// <see cref="ForgettingDataException"/>, must not hang, and must not allocate out of proportion to the input.
/// </summary>
/// <remarks>
/// <c>FP_FUZZ_SECONDS</c> sets the time budget per parser (default 5), <c>FP_FUZZ_SEED</c> the seed (default 4180). A
/// failure prints the seed, the iteration and the input in base64, and saves the input to a file named in the message.
/// </remarks>
public sealed class FormatFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] s_extremeNumbers =
    [
        "0", "1", "2147483647", "2147483648", "4294967296", "3037000500", "9223372036854775807", "18446744073709551616",
        "99999999999999999999999", "65535", "1e308", "1e-400", "340282356779733661637539395458142568448",
    ];

    private const long AllocationFloor = 64L << 20;
    private const long AllocationPerInputByte = 4096;

    [Fact]
    public void CsvWide_MutatedFiles_OnlyRaiseDataErrors() => Fuzz("csv-wide", "f.csv", WideCorpus(), alsoForwardOnly: true);

    [Fact]
    public void CsvLong_MutatedFiles_OnlyRaiseDataErrors() => Fuzz("csv-long", "f.csv", LongCorpus(), alsoForwardOnly: true);

    [Fact]
    public void Npz_MutatedArchives_OnlyRaiseDataErrors() => Fuzz("npz", "f.npz", NpzCorpus(), alsoForwardOnly: true);

    [Fact]
    public void Json_MutatedFiles_OnlyRaiseDataErrors() => Fuzz("json", "f.json", JsonCorpus(), alsoForwardOnly: true);

    [Fact]
    public void Npy_MutatedFiles_OnlyRaiseDataErrors() => Fuzz("npy", "f.npy", NpyCorpus());

    // Issue 14 item 1: seeded mutations of Parquet footers (row counts, value counts, offsets, sizes, repetition) and
    // pages, read as wide and long matrices; the allocation bound below holds every reader to the bytes it was given.
    [Fact]
    public void Parquet_MutatedFootersAndRowCounts_OnlyRaiseDataErrorsWithinMemoryBound() => Fuzz("parquet", "f.parquet", ParquetCorpus());

    // alsoForwardOnly: every other input is read through a stream that cannot seek (the one-pass code paths).
    private void Fuzz(string parser, string sourceName, List<byte[]> corpus, bool alsoForwardOnly = false)
    {
        // Given
        var seconds = Setting("FP_FUZZ_SECONDS", 5.0);
        var seed = (int)Setting("FP_FUZZ_SEED", 4180);
        var state = new FuzzState();

        // When: on its own thread, so a hang is reported instead of blocking the run.
        var thread = new Thread(() => Run(corpus, sourceName, seed, TimeSpan.FromSeconds(seconds), alsoForwardOnly, state), 16 << 20) { IsBackground = true };
        thread.Start();
        var finished = thread.Join(TimeSpan.FromSeconds(seconds + 60));

        // Then
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{parser} fuzz: seed {seed}, {state.Iterations} inputs in {seconds} s ({state.Accepted} read, {state.Refused} refused)"));
        if (!finished)
        {
            Assert.Fail($"{parser}: the reader did not return (hang) on " + Describe(parser, seed, state.Iterations, state.Current));
        }

        if (state.Failure is not null)
        {
            Assert.Fail(state.Failure);
        }

        Assert.True(state.Refused > 0 && state.Accepted > 0, "the fuzz loop should see both valid and refused inputs");
    }

    private static void Run(List<byte[]> corpus, string sourceName, int seed, TimeSpan budget, bool alsoForwardOnly, FuzzState state)
    {
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < budget && state.Failure is null)
        {
            var input = Mutate(random, corpus);
            state.Current = input;
            state.Iterations++;
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using Stream stream = alsoForwardOnly && (state.Iterations & 1) == 0
                    ? new ForwardOnlyStream(new MemoryStream(input, writable: false))
                    : new MemoryStream(input, writable: false);
                var matrix = MatrixFile.Read(stream, sourceName);
                if (matrix.TaskIds.Count != matrix.TaskCount || matrix.ExampleIds.Count != matrix.ExampleCount)
                {
                    state.Failure = "inconsistent matrix on " + Describe(sourceName, seed, state.Iterations, input);
                }

                state.Accepted++;
            }
            catch (ForgettingDataException e) when (e.Message.Length > 0)
            {
                state.Refused++;
            }
            catch (Exception e)
            {
                state.Failure = $"the reader threw {e}\non " + Describe(sourceName, seed, state.Iterations, input);
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (state.Failure is null && allocated > AllocationFloor + (AllocationPerInputByte * input.Length))
            {
                state.Failure = string.Create(CultureInfo.InvariantCulture, $"the reader allocated {allocated} bytes for a {input.Length}-byte input on ") + Describe(sourceName, seed, state.Iterations, input);
            }
        }
    }

    private static byte[] Mutate(Random random, List<byte[]> corpus)
    {
        var data = (byte[])corpus[random.Next(corpus.Count)].Clone();
        var mutations = 1 + (random.Next(3) == 0 ? random.Next(1, 8) : 0);
        byte[] interesting = [0, 0xFF, (byte)'"', (byte)',', (byte)'\t', (byte)';', (byte)'\n', (byte)'\r', (byte)'9', (byte)'-', (byte)'e', (byte)'.', (byte)'[', (byte)']', (byte)'{', (byte)'}', (byte)'n', 0x7F, 0x80];
        for (var m = 0; m < mutations && data.Length > 0; m++)
        {
            int Position() => random.Next(2) == 0 ? random.Next(Math.Min(data.Length, 128)) : random.Next(data.Length);
            switch (random.Next(14))
            {
                case 12:
                case 13:
                    data = MutateFooterVarint(random, data);
                    break;
                case 0:
                case 1:
                    data[Position()] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    data[Position()] = (byte)random.Next(256);
                    break;
                case 3:
                    data[Position()] = interesting[random.Next(interesting.Length)];
                    break;
                case 4:
                    data = data.AsSpan(0, random.Next(data.Length)).ToArray();
                    break;
                case 5:
                {
                    var other = corpus[random.Next(corpus.Count)];
                    var cut = random.Next(data.Length + 1);
                    var from = random.Next(other.Length + 1);
                    data = [.. data.AsSpan(0, cut), .. other.AsSpan(from)];
                    break;
                }

                case 6:
                {
                    var at = random.Next(data.Length + 1);
                    var extra = new byte[random.Next(1, 16)];
                    random.NextBytes(extra);
                    data = [.. data.AsSpan(0, at), .. extra, .. data.AsSpan(at)];
                    break;
                }

                case 7:
                {
                    var at = random.Next(data.Length);
                    var count = Math.Min(data.Length - at, random.Next(1, 32));
                    data = [.. data.AsSpan(0, at), .. data.AsSpan(at + count)];
                    break;
                }

                case 8:
                {
                    var at = random.Next(data.Length);
                    var count = Math.Min(data.Length - at, random.Next(1, 64));
                    data = [.. data.AsSpan(0, at + count), .. data.AsSpan(at, count), .. data.AsSpan(at + count)];
                    break;
                }

                case 11:
                {
                    // Replace a run of digits (a shape, a count, a value) with an extreme number, and half the time
                    // the next run too (both dimensions of a shape).
                    var number = Encoding.ASCII.GetBytes(s_extremeNumbers[random.Next(s_extremeNumbers.Length)]);
                    var at = Position();
                    for (var run = random.Next(2); run >= 0 && at < data.Length; run--)
                    {
                        while (at < data.Length && (uint)(data[at] - '0') > 9)
                        {
                            at++;
                        }

                        var end = at;
                        while (end < data.Length && (uint)(data[end] - '0') <= 9)
                        {
                            end++;
                        }

                        data = [.. data.AsSpan(0, Math.Min(at, data.Length)), .. number, .. data.AsSpan(Math.Min(end, data.Length))];
                        at += number.Length;
                    }

                    break;
                }

                default:
                {
                    // Duplicate (case 9) or swap (case 10) whole lines: repeated ids, repeated cells, reordered rows.
                    var lines = Lines(data);
                    if (lines.Count < 2)
                    {
                        break;
                    }

                    var a = random.Next(lines.Count);
                    var b = random.Next(lines.Count);
                    if (random.Next(2) == 0)
                    {
                        lines.Insert(b, lines[a]);
                    }
                    else
                    {
                        (lines[a], lines[b]) = (lines[b], lines[a]);
                    }

                    data = [.. lines.SelectMany(l => l)];
                    break;
                }
            }
        }

        return data;
    }

    private static List<byte[]> Lines(byte[] data)
    {
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n')
            {
                lines.Add(data[start..(i + 1)]);
                start = i + 1;
            }
        }

        if (start < data.Length)
        {
            lines.Add(data[start..]);
        }

        return lines;
    }

    private static List<byte[]> WideCorpus()
    {
        var matrix = FormatTestSupport.Matrix(4, 9, seed: 1);
        var wide = Write(matrix, "csv", MatrixLayout.Wide);
        var text = Encoding.UTF8.GetString(wide);
        return
        [
            wide,
            Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal)),
            [0xEF, 0xBB, 0xBF, .. Write(matrix, "tsv", MatrixLayout.Wide)],
            Encoding.UTF8.GetBytes(",a,b,c\nt0,0.5,NaN,\nt1,1e-05,-0.25,NA\n\"t,2\",\"3\",\"\",\"4.5\"\n"),
            Encoding.UTF8.GetBytes("x;a;b\nt;1.5;2\nu;;-3e+38\n"),
            Write(FormatTestSupport.Matrix(2, 200, seed: 2, awkwardIds: false), "csv", MatrixLayout.Wide),
        ];
    }

    private static List<byte[]> LongCorpus()
    {
        var matrix = FormatTestSupport.Matrix(4, 9, seed: 3);
        return
        [
            Write(matrix, "csv", MatrixLayout.Long),
            Write(matrix, "tsv", MatrixLayout.Long),
            Encoding.UTF8.GetBytes("seed,value,example,task\n1,0.25,e2,tB\n1,0.5,e1,tA\n2,,e1,tB\n3,1e-3,\"e,3\",tA\n"),
            Encoding.UTF8.GetBytes("task,example,value\r\nt0,e0,1\r\nt0,e1,0\r\nt1,e0,0.5\r\n"),
        ];
    }

    private static List<byte[]> JsonCorpus()
    {
        var matrix = FormatTestSupport.Matrix(3, 7, seed: 4);
        return
        [
            Write(matrix, "json", MatrixLayout.Wide),
            Write(matrix.WithIds(IdList.Implicit(3), IdList.Implicit(7)), "json", MatrixLayout.Wide),
            Encoding.UTF8.GetBytes("{\"index\": [\"a\", \"b\"], \"columns\": [1, 2, 3], \"data\": [[0.5, null, 1e-3], [1, -2, \"NaN\"]], \"x\": {\"y\": [1, [2]]}}"),
            Encoding.UTF8.GetBytes("{\n  \"values\": [\n    [1, 2],\n    [3, 4]\n  ]\n}\n"),
        ];
    }

    // Replaces one varint in a Parquet footer (a row count, num_values, an offset, a size, a repetition) with an
    // extreme value and keeps the footer length consistent, so the reader gets past the footer checks to the counts.
    private static byte[] MutateFooterVarint(Random random, byte[] data)
    {
        long[] extremes = [0, 1, -1, 2, 1_000_000_000, int.MaxValue, (long)int.MaxValue + 1, 1L << 40, long.MaxValue / 2, random.Next(1, 1 << 20)];
        var footerStart = 0;
        var footerEnd = data.Length;
        var isParquet = data.Length >= 12 && data.AsSpan(data.Length - 4).SequenceEqual("PAR1"u8);
        if (isParquet)
        {
            var length = BitConverter.ToInt32(data, data.Length - 8);
            footerEnd = data.Length - 8;
            footerStart = length > 0 && length <= footerEnd - 4 ? footerEnd - length : 4;
        }

        if (footerEnd <= footerStart)
        {
            return data;
        }

        var at = random.Next(footerStart, footerEnd);
        var end = at;
        while (end < footerEnd && end - at < 10 && (data[end] & 0x80) != 0)
        {
            end++;
        }

        end = Math.Min(end + 1, footerEnd);
        var value = extremes[random.Next(extremes.Length)];
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        var varint = new List<byte>();
        do
        {
            var b = (byte)(zigzag & 0x7F);
            zigzag >>= 7;
            varint.Add(zigzag != 0 ? (byte)(b | 0x80) : b);
        }
        while (zigzag != 0);

        byte[] mutated = [.. data.AsSpan(0, at), .. varint, .. data.AsSpan(end)];
        if (isParquet)
        {
            BitConverter.TryWriteBytes(mutated.AsSpan(mutated.Length - 8), footerEnd - footerStart + varint.Count - (end - at));
        }

        return mutated;
    }

    private static List<byte[]> ParquetCorpus()
    {
        var corpus = new List<byte[]>();
        foreach (var (matrix, layout) in new[]
                 {
                     (FormatTestSupport.Matrix(4, 9, seed: 3), MatrixLayout.Wide),
                     (FormatTestSupport.Matrix(4, 9, seed: 4), MatrixLayout.Long),
                     (FormatTestSupport.Matrix(3, 5, seed: 6, missing: 0), MatrixLayout.Long),
                 })
        {
            using var stream = new MemoryStream();
            MatrixFile.Write(matrix, stream, "parquet", new MatrixWriteOptions { Layout = layout });
            corpus.Add(stream.ToArray());
        }

        return corpus;
    }

    private static List<byte[]> NpzCorpus()
    {
        var matrix = FormatTestSupport.Matrix(3, 8, seed: 5);
        var corpus = new List<byte[]> { Npz(matrix, false), Npz(matrix, true), Npz(matrix.WithIds(IdList.Implicit(3), IdList.Implicit(8)), false) };
        var folder = RepoPaths.NewTempFolder("fp-fuzz-npz");
        ExternalTool.RunPython("""
            import numpy as np, sys, os
            f = sys.argv[1]
            z = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
            z[1, 1] = np.nan
            np.savez(os.path.join(f, 'a.npz'), z=z, task_ids=np.asarray(['a', 'b', 'c']), example_ids=np.arange(4))
            np.savez_compressed(os.path.join(f, 'b.npz'), first=z.astype(np.float64), tasks=np.asarray([b'x', b'y', b'z']))
            """, folder);
        corpus.Add(File.ReadAllBytes(Path.Combine(folder, "a.npz")));
        corpus.Add(File.ReadAllBytes(Path.Combine(folder, "b.npz")));
        return corpus;
    }

    private static List<byte[]> NpyCorpus()
    {
        var folder = RepoPaths.NewTempFolder("fp-fuzz-npy");
        ExternalTool.RunPython("""
            import numpy as np, sys, os
            from numpy.lib import format
            f = sys.argv[1]
            z = np.arange(20, dtype=np.float64).reshape(4, 5) / 3
            z[2, 2] = np.nan
            for name, a in [('f8', z), ('f4be', z.astype('>f4')), ('fortran', np.asfortranarray(z.astype('<f4'))), ('i2', (z * 10).astype('<i2')), ('b1', z > 2), ('f2', z.astype('<f2'))]:
                np.save(os.path.join(f, name + '.npy'), a)
            with open(os.path.join(f, 'v2.npy'), 'wb') as h:
                format.write_array(h, z.astype('<f4'), version=(2, 0))
            """, folder);
        var corpus = Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        corpus.Add(Write(FormatTestSupport.Matrix(3, 6, seed: 6), "npy", MatrixLayout.Wide));
        return corpus;
    }

    private static byte[] Write(ForgettingMatrix matrix, string format, MatrixLayout layout)
    {
        using var stream = new MemoryStream();
        MatrixFile.Write(matrix, stream, format, new MatrixWriteOptions { Layout = layout });
        return stream.ToArray();
    }

    private static byte[] Npz(ForgettingMatrix matrix, bool compress)
    {
        using var stream = new MemoryStream();
        NpzFormat.Write(matrix, stream, compress);
        return stream.ToArray();
    }

    private static string Describe(string sourceName, int seed, long iteration, byte[]? input)
    {
        var saved = Path.Combine(RepoPaths.NewTempFolder("fp-fuzz-failure"), sourceName);
        File.WriteAllBytes(saved, input ?? []);
        return string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}, iteration {iteration}, input saved as {saved} ({input?.Length ?? 0} bytes, base64): {Convert.ToBase64String(input ?? [])}\n"
            + $"reproduce: MatrixFile.Read(\"{saved}\") or FP_FUZZ_SEED={seed}");
    }

    private static double Setting(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    private sealed class FuzzState
    {
        public volatile string? Failure;
        public long Iterations;
        public long Accepted;
        public long Refused;
        public volatile byte[]? Current;
    }
}

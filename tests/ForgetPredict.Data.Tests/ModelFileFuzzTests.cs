using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using Xunit.Abstractions;

namespace ForgetPredict.Data.Tests;

/// <summary>
/// Seeded mutations of small saved models of every kind, with the checksum recomputed (so the decoder, not the checksum, must
/// catch them): loading either throws <see cref="ForgettingDataException"/> or gives a model whose predictions and stds are
/// finite, for its training tasks, an unmeasured new task and a new task with measured cells.
/// </summary>
/// <remarks><c>FP_FUZZ_SECONDS</c> sets the time budget (default 5), <c>FP_FUZZ_SEED</c> the seed (default 4180), as in the
/// format fuzz tests; at least <see cref="MinIterations"/> inputs are tried whatever the budget.</remarks>
public sealed class ModelFileFuzzTests(ITestOutputHelper output)
{
    private const int MinIterations = 3000;

    private static readonly double[] s_extremeDoubles =
    [
        double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, -double.MaxValue, 1e300, -1e300, 1e200, 1e154, 1e100, 1e30,
        -1e30, 1e-300, double.Epsilon, -double.Epsilon, 0, -0.0, -1, 1e-30,
    ];

    private static readonly int[] s_extremeInts = [0, 1, -1, 2, 3, int.MaxValue, int.MinValue, 1024, 1025, 4096, 65536];

    private static readonly Half[] s_extremeHalves = [Half.NaN, Half.PositiveInfinity, Half.NegativeInfinity, Half.MaxValue, Half.MinValue, Half.Epsilon, (Half)0];

    /// <summary>One small saved model per catalog method, with three cells a new task could measure in the data's units (what
    /// the model predicts for an average task there; 0 and 1 for a binary model).</summary>
    private static List<(string Method, byte[] File, int[] Known, double[] Values)> Corpus()
    {
        var continuous = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 10, Examples = 24, MissingFraction = 0.05, Seed = 3 }).Matrix;
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 10, Examples = 24, Binary = true, Seed = 3 }).Matrix;
        var corpus = new List<(string, byte[], int[], double[])>();
        foreach (var method in ModelCatalog.Names)
        {
            var model = ModelCatalog.CreateFitter(method, new ModelSettings { MaxThreads = 1, Known = 5 }).Fit(ModelCatalog.IsBinaryMethod(method) ? binary : continuous);
            using var stream = new MemoryStream();
            ModelFile.Write(model, stream);
            int[] known = [0, 11, 23];
            var average = model.FoldIn([], []).PredictRow();
            corpus.Add((method, stream.ToArray(), known, [.. known.Select(j => model.PredictsProbability ? j % 2 : average[j])]));
        }

        return corpus;
    }

    [Fact]
    public void Load_MutatedModelsWithTheirChecksumRecomputed_EitherFailAsDataErrorsOrPredictFiniteValues()
    {
        // Given
        var seconds = Setting("FP_FUZZ_SECONDS", 5.0);
        var seed = (int)Setting("FP_FUZZ_SEED", 4180);
        var corpus = Corpus();
        var random = new Random(seed);
        int iterations = 0, loaded = 0, refused = 0;
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();

        // When
        while ((iterations < MinIterations || clock.Elapsed < TimeSpan.FromSeconds(seconds)) && failures.Count < 10)
        {
            var (method, original, known, values) = corpus[random.Next(corpus.Count)];
            var file = Mutate(random, original);
            iterations++;
            LoadedModel model;
            try
            {
                model = ModelFile.Read(file, "m.fpm");
            }
            catch (ForgettingDataException e) when (e.Message.Length > 0)
            {
                refused++;
                continue;
            }
            catch (Exception e)
            {
                failures.Add(Describe($"loading threw {e.GetType().Name}: {e.Message}", method, seed, iterations, file));
                continue;
            }

            loaded++;
            if (NonFinite(model.Model, known, values) is { } problem)
            {
                failures.Add(Describe(problem, method, seed, iterations, file));
            }
        }

        // Then
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model file fuzz: seed {seed}, {iterations} inputs ({loaded} loaded, {refused} refused)"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(loaded > 0 && refused > 0, "the fuzz loop should see both loaded and refused inputs");
    }

    /// <summary>What is not finite about the model's predictions (training rows, a new task without and with the measured cells
    /// <paramref name="known"/>), or null.</summary>
    private static string? NonFinite(IForgettingModel model, int[] known, double[] values)
    {
        var n = model.ExampleCount;
        var mean = new double[n];
        var std = new double[n];
        try
        {
            for (var i = 0; i < model.TaskCount; i++)
            {
                model.PredictRow(i, mean);
                if (!AllFinite(mean))
                {
                    return string.Create(CultureInfo.InvariantCulture, $"training task {i}'s prediction is not finite");
                }
            }

            foreach (var measured in new[] { false, true })
            {
                // A damaged model may expect another scale than the measured values (a mean of -1e30, a noise variance of
                // 1e-321): its fold-in may refuse them as out of scale, as it refuses any value not in the units of its data.
                int[] cells = measured ? [.. known.Where(j => j < n)] : [];
                FoldedTask task;
                try
                {
                    task = model.FoldIn(cells, measured ? [.. values.Where((_, t) => known[t] < n)] : []);
                }
                catch (ArgumentException e) when (measured && e.Message.StartsWith("The measured values are too far from what the model expects", StringComparison.Ordinal))
                {
                    continue;
                }

                task.PredictRow(mean, std);
                if (!AllFinite(mean) || !AllFinite(std))
                {
                    return string.Create(CultureInfo.InvariantCulture, $"a new task with {cells.Length} measured cells has a non-finite prediction or std");
                }

                var (groupMean, groupVariance) = task.Average([.. Enumerable.Range(0, n).Where(j => j % 3 == 0)]);
                if (!double.IsFinite(groupMean) || !double.IsFinite(groupVariance))
                {
                    return string.Create(CultureInfo.InvariantCulture, $"a new task with {cells.Length} measured cells has a non-finite group mean or variance");
                }
            }
        }
        catch (Exception e)
        {
            return $"predicting threw {e.GetType().Name}: {e.Message}";
        }

        return null;
    }

    private static bool AllFinite(double[] values) => values.All(double.IsFinite);

    // One to three mutations of the payload (bit flips, bytes, and numbers written over any position: extreme doubles, ints and
    // halves), then the checksum recomputed.
    private static byte[] Mutate(Random random, byte[] original)
    {
        var file = (byte[])original.Clone();
        var payload = file.AsSpan(20, file.Length - 52);
        var mutations = 1 + (random.Next(3) == 0 ? random.Next(1, 3) : 0);
        for (var m = 0; m < mutations; m++)
        {
            var at = random.Next(payload.Length);
            switch (random.Next(6))
            {
                case 0:
                    payload[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    payload[at] = (byte)random.Next(256);
                    break;
                case 2:
                case 3:
                    if (at + 8 <= payload.Length)
                    {
                        BitConverter.TryWriteBytes(payload[at..], s_extremeDoubles[random.Next(s_extremeDoubles.Length)]);
                    }

                    break;
                case 4:
                    if (at + 4 <= payload.Length)
                    {
                        BitConverter.TryWriteBytes(payload[at..], s_extremeInts[random.Next(s_extremeInts.Length)]);
                    }

                    break;
                default:
                    if (at + 2 <= payload.Length)
                    {
                        BitConverter.TryWriteBytes(payload[at..], s_extremeHalves[random.Next(s_extremeHalves.Length)]);
                    }

                    break;
            }
        }

        SHA256.HashData(payload).CopyTo(file.AsSpan(file.Length - 32));
        return file;
    }

    private static string Describe(string problem, string method, int seed, int iteration, byte[] file)
    {
        var path = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"fp-model-fuzz-{seed}-{iteration}.fpm"));
        File.WriteAllBytes(path, file);
        return string.Create(CultureInfo.InvariantCulture, $"{problem} (a mutated {method} model; seed {seed}, input {iteration}, saved as {path})");
    }

    private static double Setting(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}

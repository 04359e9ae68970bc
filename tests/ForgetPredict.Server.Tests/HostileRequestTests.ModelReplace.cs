using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace ForgetPredict.Server.Tests;

// Model files replaced on disk while queries read them: an answer's version is that of the bytes it was computed from, and a
// file copied over in place (half-written for a moment) is a 503 to retry, never a 500 blaming a damaged model. (The class's
// store and test host are in HostileRequestTests.cs.)
public sealed partial class HostileRequestTests
{
    private static readonly DateTime s_time = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    // Two model files with the same examples and different methods, and the version and method each answers with: file i is
    // always written with time s_time + i seconds, so each version names one file.
    private async Task<(string[] Files, Dictionary<string, string> MethodOfVersion)> TwoModelsAsync()
    {
        var files = new[] { "plain", "small" }.Select(n => Path.Combine(_store.Directory, n + ".fpm")).ToArray();
        var methodOf = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < files.Length; i++)
        {
            File.Copy(files[i], Path.Combine(_store.Directory, "swap.fpm"), overwrite: true);
            File.SetLastWriteTimeUtc(Path.Combine(_store.Directory, "swap.fpm"), s_time.AddSeconds(i));
            var info = await (await _client.GetAsync("/v1/models/swap")).JsonAsync();
            methodOf[info.GetProperty("version").GetString()!] = info.GetProperty("method").GetString()!;
        }

        Assert.Equal(["additive", "mf"], methodOf.Values.Order());
        return (files, methodOf);
    }

    private static async Task QueryWhileAsync(Func<Task> query, Action replace, int rounds)
    {
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await query();
            }
        })).ToArray();
        try
        {
            for (var r = 0; r < rounds; r++)
            {
                replace();
                await Task.Delay(2);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(readers);
        }
    }

    [Fact]
    public async Task ModelRenamedOverWhileQueried_AnswersCarryTheVersionOfTheBytesTheyCameFrom()
    {
        var (files, methodOf) = await TwoModelsAsync();
        var mismatches = new ConcurrentBag<string>();
        var answers = 0;
        var round = 0;
        await QueryWhileAsync(async () =>
        {
            var response = await _client.GetAsync("/v1/models/swap");
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            using var info = JsonDocument.Parse(text);
            var version = info.RootElement.GetProperty("version").GetString()!;
            var method = info.RootElement.GetProperty("method").GetString()!;
            if (methodOf.GetValueOrDefault(version) != method)
            {
                mismatches.Add($"{version}: {method}");
            }

            Interlocked.Increment(ref answers);
        }, () =>
        {
            var next = round++ % 2;
            var temporary = Path.Combine(_store.Directory, ".swap.tmp");
            File.Copy(files[next], temporary, overwrite: true);
            File.SetLastWriteTimeUtc(temporary, s_time.AddSeconds(next));
            File.Move(temporary, Path.Combine(_store.Directory, "swap.fpm"), overwrite: true);
        }, rounds: 300);
        Assert.True(answers > 0);
        Assert.Empty(mismatches);
    }

    // A model file copied over in place (cp, tar) is half-written for a moment: that is a 503 to retry, not a damaged model.
    [Fact]
    public async Task ModelFileHalfWrittenMomentsAgo_Is503ToRetry_ThenLoads_AndOnlyAnOldBrokenFileIsDamaged()
    {
        var path = Path.Combine(_store.Directory, "swap.fpm");
        var bytes = File.ReadAllBytes(Path.Combine(_store.Directory, "plain.fpm"));

        // "Moments ago" is the store's 2 s: a request that a machine too busy took longer to answer met a file old enough to be
        // damaged, so it is tried again (each write gives the file a new time, so it is read anew).
        for (var attempt = 1; ; attempt++)
        {
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var response = await _client.PostAsync("/v1/models/swap/predict", Http.Json("{}"));
            if (clock.Elapsed < TimeSpan.FromSeconds(1) || attempt == 5)
            {
                await response.ProblemAsync(HttpStatusCode.ServiceUnavailable, "is being replaced", "retry", "(mv)");
                break;
            }
        }

        // The copy completes: the model loads.
        File.WriteAllBytes(path, bytes);
        await (await _client.PostAsync("/v1/models/swap/predict", Http.Json("{}"))).JsonAsync();

        // A broken file that has sat for an hour is a damaged model (and stays one, without being read again, until it changes).
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-1));
        for (var i = 0; i < 2; i++)
        {
            await (await _client.PostAsync("/v1/models/swap/predict", Http.Json("{}"))).ProblemAsync(HttpStatusCode.InternalServerError, "swap.fpm", "operator");
        }
    }

    // cp opens the old file with O_TRUNC: ext4 publishes size 0 before the new mtime, so for a few ms the file is empty with
    // the OLD time (seen by the read and the re-check alike). An empty file's time says nothing: 503, never a cached 500.
    [Fact]
    public async Task ModelFileEmptyWithAnOldTime_Is503ToRetry_NotDamaged()
    {
        var path = Path.Combine(_store.Directory, "swap.fpm");
        File.WriteAllBytes(path, []);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-1));
        for (var i = 0; i < 2; i++)
        {
            await (await _client.PostAsync("/v1/models/swap/predict", Http.Json("{}"))).ProblemAsync(HttpStatusCode.ServiceUnavailable, "empty file", "retry");
        }

        File.WriteAllBytes(path, File.ReadAllBytes(Path.Combine(_store.Directory, "plain.fpm")));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-1));
        await (await _client.PostAsync("/v1/models/swap/predict", Http.Json("{}"))).JsonAsync();
    }

    [Fact]
    public async Task Metadata_WrittenWithPandasIndex_OffersTheGroupColumnsTheCommandLineOffers()
    {
        // Given: a model's metadata written by pandas with its index (an unnamed first column of row numbers) and an id column.
        File.WriteAllText(Path.Combine(_store.Directory, "plain.examples.csv"),
            ",example,source\n" + string.Join('\n', _store.Training.ExampleIds.Select((id, i) => $"{i},{id},{(i % 2 == 0 ? "web" : "code")}")) + "\n");

        // When: the model is described and queried with no group column named.
        var model = await (await _client.GetAsync("/v1/models/plain")).JsonAsync();
        var answer = await (await _client.PostAsync("/v1/models/plain/predict", Http.Json("{}"))).JsonAsync();

        // Then: the only column to group by is source, as the command line has it (the index had been a second candidate, so
        // the answer had no groups and warned that one must be chosen).
        Assert.Equal(["source"], model.GetProperty("groupColumns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["code", "web"], answer.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("name").GetString()).Order());
    }

    [Fact]
    public async Task ListingModels_KeepsNoneLoaded_DescribesThemAsTheyAre_AndForgetsDeletedOnes()
    {
        var store = _factory.Services.GetRequiredService<ModelStore>();
        var listed = await (await _client.GetAsync("/v1/models")).JsonAsync();
        Assert.Equal(0, store.CachedModels);
        var small = listed.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "small");
        Assert.Equal((await (await _client.GetAsync("/v1/models/small")).JsonAsync()).ToString(), small.ToString());
        Assert.Equal(1, store.CachedModels);

        // A query's model is kept; the listing describes it from the cache, and sees a metadata file that changed.
        await (await _client.PostAsync("/v1/models/plain/predict", Http.Json("{}"))).JsonAsync();
        Assert.Equal(2, store.CachedModels);
        File.WriteAllText(Path.Combine(_store.Directory, "plain.examples.csv"), "id,source\n" + string.Join('\n', _store.Training.ExampleIds.Select(id => id + ",x")) + "\n");
        var again = await (await _client.GetAsync("/v1/models")).JsonAsync();
        var plain = again.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "plain");
        Assert.Equal(["source"], plain.GetProperty("groupColumns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(2, store.CachedModels);

        // Deleted files leave the cache with the next listing.
        File.Delete(Path.Combine(_store.Directory, "plain.fpm"));
        File.Delete(Path.Combine(_store.Directory, "small.fpm"));
        await (await _client.GetAsync("/v1/models")).JsonAsync();
        Assert.Equal(0, store.CachedModels);
    }

    [Fact]
    public async Task AFieldGivenTwice_IsRefused_NotSilentlyReplaced()
    {
        var twice = await (await _client.PostAsync("/v1/models/small/predict", Http.Json("{\"observed\": {\"1\": 0.1}, \"observed\": {\"2\": 0.5}}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "\"observed\" is given twice", "send each field once");
        Assert.DoesNotContain("ForgetPredict.", twice, StringComparison.Ordinal);
        await (await _client.PostAsync("/v1/models/small/predict", Http.Json("{\"top\": 5, \"Top\": 7}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "is given twice");
    }
}

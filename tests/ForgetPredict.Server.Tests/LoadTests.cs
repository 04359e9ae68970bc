using System.Globalization;
using System.Text;
using System.Text.Json;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Server.Tests;

/// <summary>The load test runs alone, after the parallel tests: its server shares their process and thread pool.</summary>
[CollectionDefinition(nameof(LoadMeasurements), DisableParallelization = true)]
public sealed class LoadMeasurements;

/// <summary>
/// A short wrk run (tests/ForgetPredict.Server.Tests/load/predict.lua, 3 s) against a live server: every predict request
/// with 30 measured cells must answer 2xx. Throughput is measured by 'make load' on the full-size model, not asserted here.
/// It runs alone (<see cref="LoadMeasurements"/>): beside another test class's fits, which take both cores and the thread
/// pool the in-process server answers on, a fresh clone's run once saw wrk complete no request in its 3 s.
/// </summary>
[Collection(nameof(LoadMeasurements))]
public sealed class LoadTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("fp-server-load");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Wrk_PredictWith30Cells_HasNoErrors()
    {
        // Given: an mf rank-5 model of 30 x 20,000 with grouped examples, served on loopback.
        var store = Directory.CreateDirectory(Path.Combine(_folder, "store")).FullName;
        var synthetic = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 20_000, Seed = 4, KeepSignal = false });
        var model = new LowRankFitter(new LowRankOptions { Rank = 5, MaxIterations = 5 }).FitLowRank(synthetic.Matrix);
        ModelFile.Save(model, Path.Combine(store, "load.fpm"));
        var metadata = new StringBuilder("id,group\n");
        for (var j = 0; j < model.ExampleCount; j++)
        {
            metadata.Append(CultureInfo.InvariantCulture, $"{model.ExampleIds[j]},{synthetic.ExampleGroups[j]}\n");
        }

        File.WriteAllText(Path.Combine(store, "load.examples.csv"), metadata.ToString());
        var observed = string.Join(",", Enumerable.Range(0, 30).Select(i => string.Create(CultureInfo.InvariantCulture, $"\"{model.ExampleIds[(i * 661) + 7]}\":{0.01 * (i % 9):R}")));
        var body = Path.Combine(_folder, "body.json");
        File.WriteAllText(body, $"{{\"observed\":{{{observed}}},\"top\":20,\"groupBy\":\"group\"}}");
        await using var server = await LiveServer.StartAsync(store);
        await WarmAsync(server.Url, body);

        // When: wrk posts predict queries for 3 seconds over 4 connections.
        var script = Path.Combine(RepoPaths.Root, "tests", "ForgetPredict.Server.Tests", "load", "predict.lua");
        var output = await Task.Run(() => RunWrk(server.Url, script, body));

        // Then: requests were served and none failed (how many is the machine's: 'make load' measures throughput).
        var result = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.True(result.GetProperty("requests").GetInt64() > 0, output);
        Assert.Equal(0, result.GetProperty("errors").GetInt32());
        Assert.Equal(0, result.GetProperty("non2xx").GetInt32());
    }

    // The first query loads the model and compiles the endpoint; on a busy machine that can take most of wrk's 3 s, so it is
    // made before wrk starts (and must itself succeed).
    private static async Task WarmAsync(string url, string body)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var content = new StringContent(await File.ReadAllTextAsync(body), Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri($"{url}/v1/models/load/predict"), content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string RunWrk(string url, string script, string body)
    {
        Environment.SetEnvironmentVariable("FP_MODEL", "load");
        Environment.SetEnvironmentVariable("FP_BODY", body);
        try
        {
            return ExternalTool.Run("wrk", ["-t1", "-c4", "-d3s", "--timeout", "10s", "-s", script, url], timeout: TimeSpan.FromMinutes(1));
        }
        finally
        {
            Environment.SetEnvironmentVariable("FP_MODEL", null);
            Environment.SetEnvironmentVariable("FP_BODY", null);
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Server.Tests;

/// <summary>
/// The store is the state: a server process killed (SIGKILL) in the middle of a background fit leaves no model file behind
/// but complete ones, and a restarted server serves exactly the complete models.
/// </summary>
public class CrashTests
{
    [Fact]
    public async Task KilledDuringAFit_LeavesOnlyCompleteModels_AndARestartServesThem()
    {
        var store = RepoPaths.NewTempFolder("fp-crash-store");
        var small = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 300, Seed = 3 }).Matrix;
        ModelFile.Save(new AdditiveFitter().Fit(small), Path.Combine(store, "base.fpm"));

        // A fit that takes seconds (300 x 40,000, rank 20), so the kill lands while it runs.
        var big = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 300, Examples = 40_000, Seed = 4 }).Matrix;
        var upload = UploadTests.MatrixBytes(big, ".npy");

        var port = FreePort();
        using var server = StartProcess(store, port);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
        await WaitHealthyAsync(client, server);

        var job = await (await client.PostAsync("/v1/models", Http.Upload("big.npy", upload, ("name", "big"), ("method", "mf"), ("rank", "20")))).JsonAsync(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;
        string state, stage;
        var deadline = DateTime.UtcNow.AddMinutes(1);
        do
        {
            var status = await (await client.GetAsync($"/v1/jobs/{id}")).JsonAsync();
            state = status.GetProperty("state").GetString()!;
            stage = status.GetProperty("stage").GetString()!;
            if (stage == "fitting" || state is "succeeded" or "failed" || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(20);
        }
        while (true);

        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync();
        Assert.True(state == "running" && stage == "fitting", $"the kill must land during the fit (job was {state}/{stage})");

        // No partial model: the half-done fit left no big.fpm, and every model file in the store loads completely.
        Assert.False(File.Exists(Path.Combine(store, "big.fpm")));
        var models = Directory.GetFiles(store, "*.fpm");
        Assert.Equal(["base.fpm"], models.Select(Path.GetFileName));
        Assert.All(models, path => ModelFile.Load(path));

        // A restarted server lists and serves exactly the complete model; leftover temporary files are not models.
        await using var restarted = await LiveServer.StartAsync(store);
        using var again = new HttpClient { BaseAddress = new Uri(restarted.Url) };
        var list = await (await again.GetAsync("/v1/models")).JsonAsync();
        var listed = list.GetProperty("models").EnumerateArray().ToArray();
        Assert.Single(listed);
        Assert.Equal("base", listed[0].GetProperty("name").GetString());
        Assert.False(listed[0].TryGetProperty("error", out _));
        await (await again.PostAsync("/v1/models/base/predict", Http.Json("{}"))).JsonAsync();
        await (await again.GetAsync("/v1/models/big")).ProblemAsync(HttpStatusCode.NotFound, "big");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The built forgetpredict executable, same configuration as these tests (make test builds the whole solution first).
    private static Process StartProcess(string store, int port)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var cli = Path.Combine(RepoPaths.Root, "src", "ForgetPredict.Cli", "bin", configuration, "net10.0", "forgetpredict.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing: build the solution first (make build).");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { cli, "serve", "--store", store, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitHealthyAsync(HttpClient client, Process server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(server.HasExited, $"the server exited with code {(server.HasExited ? server.ExitCode : 0)}");
            try
            {
                if ((await client.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        Assert.Fail("the server did not become healthy within 30 s");
    }
}

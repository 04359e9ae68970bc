using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace ForgetPredict.Server.Tests;

/// <summary>The service on a real loopback socket (an ephemeral port), for clients outside the process: Chromium and wrk.</summary>
public sealed class LiveServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LiveServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The base address, e.g. http://127.0.0.1:41234.</summary>
    public string Url { get; }

    public static async Task<LiveServer> StartAsync(string store, string? apiKey = null)
    {
        var app = ServerApp.Build(new ServerOptions { StoreDirectory = store, Urls = "http://127.0.0.1:0", ApiKey = apiKey }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        return new LiveServer(app, app.Urls.Single().TrimEnd('/'));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ForgetPredict.Server;

/// <summary>
/// The forgetting query service: a minimal API over a store of fitted models (see <see cref="ModelStore"/>) plus a small
/// web page. <see cref="Build"/> makes a ready-to-run application; <see cref="CreateBuilder"/>, <see cref="AddServices"/> and
/// <see cref="Configure"/> are its parts, shared with <see cref="Program"/> and the test host.
/// </summary>
public static partial class ServerApp
{
    /// <summary>Builds the application for <paramref name="options"/> (listening on <see cref="ServerOptions.Urls"/>).</summary>
    /// <exception cref="ArgumentException">The options are invalid (e.g. the store does not exist).</exception>
    public static WebApplication Build(ServerOptions options, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = CreateBuilder([]);
        builder.WebHost.UseUrls(options.Urls);
        if (logging is not null)
        {
            logging(builder.Logging);
        }

        AddServices(builder, _ => options);
        var app = builder.Build();
        Configure(app);
        return app;
    }

    /// <summary>A slim web application builder (Kestrel, configuration, logging; no static file or MVC machinery).</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        return builder;
    }

    /// <summary>Registers the store, the fit queue and the JSON context; options come from <paramref name="options"/> when first needed.</summary>
    public static void AddServices(WebApplicationBuilder builder, Func<IServiceProvider, ServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var services = builder.Services;
        services.AddSingleton(s =>
        {
            var o = options(s);
            o.Validate();
            return o;
        });
        services.AddSingleton(s => new ModelStore(s.GetRequiredService<ServerOptions>().StoreDirectory));
        services.AddSingleton<FitQueue>();
        services.AddHostedService(s => s.GetRequiredService<FitQueue>());
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default));
        services.AddRouting();
        // Kestrel's own limit is a backstop above the per-endpoint limits the handlers enforce (413 problems).
        services.AddOptions<KestrelServerOptions>().Configure<ServerOptions>((kestrel, o) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Math.Max(o.MaxUploadBytes, o.MaxJsonBodyBytes) + (1 << 20);
        });
    }

    /// <summary>Adds the middleware (errors, authentication) and maps every endpoint.</summary>
    public static void Configure(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<ServerOptions>();
        var store = app.Services.GetRequiredService<ModelStore>();
        var removed = Data.TemporaryFiles.RemoveStale(store.Directory);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ForgetPredict.Server");
        var count = store.Names().Count;
        LogStarted(logger, store.Directory, count, options.ApiKey is not null, removed);

        app.Use(HandleErrorsAsync);
        app.UseStatusCodePages(context => context.HttpContext.Response.HasStarted || context.HttpContext.Response.ContentLength > 0
            ? Task.CompletedTask
            : Problems.WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode, DefaultDetail(context.HttpContext)));
        if (options.ApiKey is { } key)
        {
            var expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));
            app.Use((context, next) => IsOpen(context.Request.Path) || HasKey(context.Request, expected)
                ? next(context)
                : Unauthorized(context));
        }

        Endpoints.Map(app);
    }

    /// <summary>True for the one path that needs no API key: the health check.</summary>
    internal static bool IsOpen(PathString path) => path == "/healthz";

    // The key as a bearer token, an X-Api-Key header, or the password of HTTP Basic credentials (any user name): a browser
    // asked for Basic credentials by the page remembers them and sends them with the page's own API calls.
    private static bool HasKey(HttpRequest request, byte[] expected)
    {
        string? given = null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            given = authorization[7..].Trim();
        }
        else if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            given = BasicPassword(authorization[6..].Trim());
        }
        else if (request.Headers["X-Api-Key"].ToString() is { Length: > 0 } header)
        {
            given = header.Trim();
        }

        // Hashes have a fixed length, so the comparison's time reveals neither the key nor its length.
        return given is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), expected);
    }

    private static string? BasicPassword(string encoded)
    {
        Span<byte> decoded = stackalloc byte[Math.Min(encoded.Length, 4096)];
        if (!Convert.TryFromBase64String(encoded, decoded, out var length))
        {
            return null;
        }

        var credentials = Encoding.UTF8.GetString(decoded[..length]);
        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? null : credentials[(colon + 1)..];
    }

    private static Task Unauthorized(HttpContext context)
    {
        var sent = context.Request.Headers.Authorization.Count > 0 || context.Request.Headers.ContainsKey("X-Api-Key");
        if (StaticAssets.IsAsset(context.Request.Path))
        {
            // The page: the browser asks for the key (as a password) and sends it from then on.
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"forgetpredict\", charset=\"UTF-8\"";
            return Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, sent
                ? "The API key is wrong. Sign in with any user name and the key from the server's --api-key-file as the password."
                : "This server needs an API key: sign in with any user name and the key from the server's --api-key-file as the password.");
        }

        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"forgetpredict\"";
        return Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, sent
            ? "The API key is wrong. Send the key from the server's --api-key-file as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'."
            : "This server needs an API key: send 'Authorization: Bearer KEY' or 'X-Api-Key: KEY' (the key in the server's --api-key-file).");
    }

    private static async Task HandleErrorsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var classified = Problems.Classify(e);
            var (status, detail) = classified ?? (StatusCodes.Status500InternalServerError, "The server failed while answering; the error is in its log.");
            if (status >= 500)
            {
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ForgetPredict.Server");
                if (classified is not null)
                {
                    // A state the server recognised and explained (its store gone, a model file damaged or being replaced, a full
                    // disk): the explanation, once a request, without the stack trace of a fault.
                    LogUnavailable(logger, context.Request.Path.Value ?? "/", status, detail);
                }
                else
                {
                    LogFailure(logger, e, context.Request.Path.Value ?? "/");
                }
            }

            context.Response.Clear();
            await Problems.WriteAsync(context, status, detail).ConfigureAwait(false);
        }
    }

    private static string DefaultDetail(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => $"No endpoint at '{context.Request.Path}'. The API is under /v1 (GET /v1/models); its description is at /openapi.json.",
        StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on '{context.Request.Path}'; see /openapi.json.",
        var status => Problems.TitleFor(status),
    };

    /// <summary>Reads a JSON body of at most <see cref="ServerOptions.MaxJsonBodyBytes"/> bytes.</summary>
    internal static async Task<T> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> type, ServerOptions options)
        where T : class
    {
        var request = context.Request;
        if (request.ContentType is { Length: > 0 } contentType)
        {
            // application/json or a +json type, in UTF-8 (JSON's only encoding on the wire, RFC 8259): a UTF-16 body or an
            // ISO-8859-1 one would be read as UTF-8, garbling its ids or failing at its first byte.
            if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
                || !(media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.MediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase)
                    || media.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
            {
                throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"Send the query as JSON (Content-Type: application/json), not {Application.Echo.Printable(contentType)}.");
            }

            // (quoted or not, RFC 9110; ASCII is UTF-8's first half)
            if (Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(media.Charset) is { Length: > 0 } charset
                && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
            {
                throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"Send the query in UTF-8 (Content-Type: application/json; charset=utf-8), not {Application.Echo.Printable(charset.ToString())}.");
            }
        }

        if (request.Headers.ContentEncoding is { Count: > 0 } encoding && !encoding.All(e => string.Equals(e, "identity", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"The service reads query bodies uncompressed (Content-Encoding {Application.Echo.Printable(encoding.ToString())} is not supported): send the JSON as it is.");
        }

        if (request.ContentLength > options.MaxJsonBodyBytes)
        {
            throw ApiException.TooLarge(options.MaxJsonBodyBytes, "request body", "--max-body-mb");
        }

        var body = new LimitedStream(request.Body, options.MaxJsonBodyBytes, "request body", "--max-body-mb");
        try
        {
            return await JsonSerializer.DeserializeAsync(body, type, context.RequestAborted).ConfigureAwait(false)
                ?? throw ApiException.BadRequest("The request body is null; send a JSON object such as {\"observed\": {\"example-id\": 0.1}}.");
        }
        catch (JsonException e) when (body.Position == 0 || e.Message.Contains("0 bytes", StringComparison.Ordinal))
        {
            throw ApiException.BadRequest("The request body is empty; send a JSON object such as {\"observed\": {\"example-id\": 0.1}}.");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest(JsonProblem.Describe(e, type));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "serving store {Store} ({Count} models), API key {KeyOn}; removed {Removed} stale temporary files")]
    private static partial void LogStarted(ILogger logger, string store, int count, bool keyOn, int removed);

    [LoggerMessage(Level = LogLevel.Error, Message = "request {Path} failed")]
    private static partial void LogFailure(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "request {Path} answered {Status}: {Detail}")]
    private static partial void LogUnavailable(ILogger logger, string path, int status, string detail);
}

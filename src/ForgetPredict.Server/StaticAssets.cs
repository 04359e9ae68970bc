using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ForgetPredict.Server;

/// <summary>
/// The web page's static files (<c>wwwroot/</c>) and the OpenAPI document, embedded in the assembly and served from memory
/// with ETags: no content root, no build step, no CDN.
/// </summary>
internal static class StaticAssets
{
    private static readonly FrozenDictionary<string, string> s_routes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["/"] = "wwwroot/index.html",
        ["/index.html"] = "wwwroot/index.html",
        ["/app.js"] = "wwwroot/app.js",
        ["/app.css"] = "wwwroot/app.css",
        ["/favicon.svg"] = "wwwroot/favicon.svg",
        ["/favicon.ico"] = "wwwroot/favicon.svg",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly Lazy<FrozenDictionary<string, Asset>> s_assets = new(Load);

    /// <summary>True for the page's files (with an API key set, a request for them is challenged with HTTP Basic, so a browser prompts).</summary>
    public static bool IsAsset(PathString path) => path.Value is { } value && s_routes.ContainsKey(value);

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var (route, resource) in s_routes)
        {
            app.MapRead(route, (HttpContext context) => Serve(context, resource));
        }
    }

    public static IResult Serve(HttpContext context, string resource)
    {
        var asset = s_assets.Value[resource];
        context.Response.Headers.ETag = asset.ETag;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (resource.EndsWith(".html", StringComparison.Ordinal))
        {
            // The page loads only its own files and talks only to this server.
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
        }

        return context.Request.Headers.IfNoneMatch.ToString() == asset.ETag ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(StaticAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in s_routes.Values.Append("openapi.json").Distinct())
        {
            using var stream = assembly.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"Embedded resource '{resource}' is missing from the build.");
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var content = memory.ToArray();
            assets[resource] = new Asset(content, ContentType(resource), $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string resource) => Path.GetExtension(resource) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json; charset=utf-8",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}

using System.Globalization;
using ForgetPredict.Data;
using Microsoft.Extensions.Configuration;

namespace ForgetPredict.Server;

/// <summary>How the forgetting query service runs: its store, address, key and limits. Validated by <see cref="Validate"/>.</summary>
public sealed partial record ServerOptions
{
    /// <summary>The default listening address: loopback only.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>The store folder: <c>NAME.fpm</c> models and optional <c>NAME.examples.csv|.tsv|.parquet</c> example metadata.</summary>
    public required string StoreDirectory { get; init; }

    /// <summary>Addresses to listen on (semicolon-separated), e.g. <c>http://127.0.0.1:5080</c>.</summary>
    public string Urls { get; init; } = DefaultUrls;

    /// <summary>The API key every request except <c>/healthz</c> must carry (bearer token, X-Api-Key header or HTTP Basic password), or null for no authentication.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest JSON request body (predict, replay), in bytes; larger bodies get 413.</summary>
    public long MaxJsonBodyBytes { get; init; } = 1L << 20;

    /// <summary>Largest upload (the multipart body of <c>POST /v1/models</c>), in bytes; larger bodies get 413.</summary>
    public long MaxUploadBytes { get; init; } = 64L << 20;

    /// <summary>How many times the upload limit an uploaded matrix may decompress to when <see cref="MaxMatrixBytes"/> is not set.</summary>
    public const int DefaultMatrixToUploadRatio = 16;

    /// <summary>
    /// Largest uncompressed size, in bytes, of an uploaded compressed array file (<c>.npz</c>: the sizes its entries declare,
    /// checked before anything is decompressed); larger uploads get 413. Null (the default) means
    /// <see cref="DefaultMatrixToUploadRatio"/> times <see cref="MaxUploadBytes"/> (1 GB for the default 64 MB uploads).
    /// An .npz of zeros deflates about 1,000:1, so without this cap a 64 MB upload could make the fit allocate 64 GB.
    /// </summary>
    public long? MaxMatrixBytes { get; init; }

    /// <summary>The effective <see cref="MaxMatrixBytes"/>.</summary>
    public long MatrixLimit => MaxMatrixBytes ?? (MaxUploadBytes * DefaultMatrixToUploadRatio);

    /// <summary>Fits waiting for the background worker before new uploads are refused with 503.</summary>
    public int MaxQueuedFits { get; init; } = 8;

    /// <summary>Worker threads of one fit (fits run one at a time so queries keep the other cores).</summary>
    public int FitThreads { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Throws when a setting is out of range or the store is missing.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message says which and how to fix it.</exception>
    public void Validate()
    {
        if (!string.IsNullOrWhiteSpace(StoreDirectory) && InputPath.FileForFolder(StoreDirectory, "NAME.fpm models from 'forgetpredict fit'") is { } file)
        {
            throw new ArgumentException($"Store folder: {file}", nameof(StoreDirectory));
        }

        if (string.IsNullOrWhiteSpace(StoreDirectory) || !Directory.Exists(StoreDirectory))
        {
            throw new ArgumentException($"Store folder '{StoreDirectory}' does not exist; create it (it holds NAME.fpm models from 'forgetpredict fit').", nameof(StoreDirectory));
        }

        if (ApiKey is not null && string.IsNullOrWhiteSpace(ApiKey))
        {
            throw new ArgumentException("The API key is empty; put a non-empty key in the key file.", nameof(ApiKey));
        }

        if (MaxJsonBodyBytes < 1024 || MaxUploadBytes < 1024 || MatrixLimit < 1024)
        {
            throw new ArgumentException("Body limits must be at least 1 KB.", nameof(MaxJsonBodyBytes));
        }

        CheckUrls(Urls);
        if (MaxQueuedFits < 1 || FitThreads < 1)
        {
            throw new ArgumentException("The fit queue and fit threads must be at least 1.", nameof(MaxQueuedFits));
        }
    }

    /// <summary>Reads the API key from a file (first line, surrounding whitespace trimmed).</summary>
    /// <exception cref="ArgumentException">The file is missing, unreadable or empty.</exception>
    public static string ReadApiKey(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (InputPath.FolderForFile(path) is { } folder)
        {
            throw new ArgumentException($"The API key file '{path}' {folder}", nameof(path));
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Cannot read the API key file '{path}': {e.Message}", nameof(path), e);
        }

        var key = text.Split('\n', 2)[0].Trim();
        return key.Length > 0 ? key : throw new ArgumentException($"The API key file '{path}' is empty; write the key on its first line.", nameof(path));
    }

    /// <summary>
    /// Options from configuration keys <c>store</c>, <c>urls</c>, <c>api-key-file</c>, <c>max-body-mb</c>,
    /// <c>max-upload-mb</c> and <c>max-matrix-mb</c> (so <c>ForgetPredict.Server --store DIR</c> works like
    /// <c>forgetpredict serve --store DIR</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The store is not configured or a number does not parse.</exception>
    public static ServerOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var store = configuration["store"] ?? throw new ArgumentException("Pass --store DIR (the folder of NAME.fpm models).", nameof(configuration));
        var keyFile = configuration["api-key-file"];
        return new ServerOptions
        {
            StoreDirectory = store,
            Urls = configuration["urls"] ?? DefaultUrls,
            ApiKey = keyFile is null ? null : ReadApiKey(keyFile),
            MaxJsonBodyBytes = Megabytes(configuration["max-body-mb"], 1),
            MaxUploadBytes = Megabytes(configuration["max-upload-mb"], 64),
            MaxMatrixBytes = configuration["max-matrix-mb"] is { } matrix ? Megabytes(matrix, 0) : null,
        };
    }

    /// <summary>Megabytes (decimal fractions allowed) as bytes.</summary>
    /// <exception cref="ArgumentException">The value is not a positive number.</exception>
    public static long Megabytes(string? value, double fallback)
    {
        if (value is null)
        {
            return (long)(fallback * (1 << 20));
        }

        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var mb)
            ? Megabytes(mb, value)
            : throw new ArgumentException($"'{value}' is not a size in megabytes (a positive number).", nameof(value));
    }

    /// <summary>Megabytes as bytes; <paramref name="what"/> names the setting in the error.</summary>
    /// <exception cref="ArgumentException">The value is not positive or absurdly large.</exception>
    public static long Megabytes(double megabytes, string what) =>
        megabytes > 0 && megabytes < 1 << 20
            ? (long)(megabytes * (1 << 20))
            : throw new ArgumentException($"{what}: {Application.OptionRanges.Number(megabytes)} is not a size in megabytes ({Application.OptionRanges.PositiveBelow(1 << 20)}).", nameof(megabytes));

    /// <summary>
    /// Refuses any listening address that does not parse exactly: each of the semicolon-separated entries must be
    /// <c>http(s)://HOST[:PORT]</c> with HOST an IP address, <c>localhost</c>, or <c>*</c>/<c>+</c> (every interface, said
    /// explicitly) and PORT 0..65535. A host name, an empty or non-numeric port, or an empty entry would otherwise make the
    /// server fall back to listening on every interface.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is malformed; the message quotes it and shows the accepted form.</exception>
    public static void CheckUrls(string urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var entries = urls.Split(';', StringSplitOptions.TrimEntries);
        foreach (var url in entries)
        {
            var match = UrlPattern().Match(url);
            var host = match.Groups["host"].Value;
            var port = match.Groups["port"];
            var hostOk = match.Success && (host is "*" or "+" or "localhost" || System.Net.IPAddress.TryParse(host.Trim('[', ']'), out _));
            var portOk = !port.Success || (int.TryParse(port.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p <= 65535);
            if (!hostOk || !portOk)
            {
                var why = url.Length == 0 ? "an empty address"
                    : !match.Success ? $"'{url}': it is not http(s)://HOST[:PORT]"
                    : !hostOk ? $"'{url}': host '{host}' is not an IP address, localhost, or * for every interface"
                    : $"'{url}': port '{port.Value}' is not a number from 0 to 65535";
                throw new ArgumentException($"Cannot listen on {why}. Give addresses like http://127.0.0.1:5080 (several separated by ';'; http://0.0.0.0:5080 for every interface).", nameof(urls));
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^https?://(?<host>\[[0-9A-Fa-f:.]+\]|[^:/\[\]]+)(?::(?<port>[^/]*))?/?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex UrlPattern();

    /// <summary>True when every address in <paramref name="urls"/> is a loopback address (127.x, ::1 or localhost).</summary>
    public static bool IsLoopbackOnly(string urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || !(uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip))))
            {
                return false;
            }
        }

        return true;
    }
}

using System.Text.Json;
using ForgetPredict.Application;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;
using Microsoft.AspNetCore.Http;

namespace ForgetPredict.Server;

/// <summary>A request that cannot be served: its HTTP status and a detail for the user (an RFC 7807 problem).</summary>
public sealed class ApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ApiException(int status, string detail, Exception? innerException = null)
        : base(detail, innerException)
    {
        Status = status;
    }

    /// <summary>Creates a 400 with a generic message.</summary>
    public ApiException()
        : this(StatusCodes.Status400BadRequest, "The request cannot be served.")
    {
    }

    /// <summary>Creates a 400.</summary>
    public ApiException(string message)
        : this(StatusCodes.Status400BadRequest, message)
    {
    }

    /// <summary>Creates a 400 with an inner exception.</summary>
    public ApiException(string message, Exception innerException)
        : this(StatusCodes.Status400BadRequest, message, innerException)
    {
    }

    /// <summary>The HTTP status to answer with.</summary>
    public int Status { get; }

    /// <summary>400: the request is malformed or names something that does not exist in the model.</summary>
    public static ApiException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, detail);

    /// <summary>404: no such model or job.</summary>
    public static ApiException NotFound(string detail) => new(StatusCodes.Status404NotFound, detail);

    /// <summary>406: the Accept header asks only for forms this endpoint cannot answer in.</summary>
    public static ApiException NotAcceptable(string detail) => new(StatusCodes.Status406NotAcceptable, detail);

    /// <summary>413: the body is larger than the limit set by the server option <paramref name="option"/> (e.g. <c>--max-upload-mb</c>).</summary>
    public static ApiException TooLarge(long limit, string what, string option) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The {what} is larger than the server's limit of {Megabytes(limit)} ({option}); send less, or start the server with a higher {option}.");

    /// <summary>
    /// 507 when the store's disk is full, else 500: the store cannot be written while <paramref name="doing"/> (e.g. "saving
    /// the upload"). Either way the operator must act, and the detail says how.
    /// </summary>
    internal static ApiException StoreWriteFailed(Exception e, string doing) => e is DirectoryNotFoundException ? StoreMissing()
        : Problems.IsDiskFull(e)
        ? new(StatusCodes.Status507InsufficientStorage,
            $"The server's model store is full: {doing} failed because its disk has no space left. Its operator must free space in the store folder (or move the store to a larger disk); then send the upload again. Queries keep working.", e)
        : new(StatusCodes.Status500InternalServerError,
            $"The server's model store cannot be written: {doing} failed ({e.Message.TrimEnd('.')}). Its operator must fix the store folder (its permissions, or free space); then send the upload again. Queries keep working.", e);

    /// <summary>503: the store folder is gone (moved or deleted while the server ran); nothing can be read or written.</summary>
    internal static ApiException StoreMissing() => new(StatusCodes.Status503ServiceUnavailable,
        "The server's model store folder no longer exists (it was moved or deleted while the server ran); its operator must restore it, or restart the server with another --store.");

    /// <summary>A byte limit in the unit the server's options take (MB of 2^20 bytes): <c>--max-upload-mb 64</c> is "64 MB".</summary>
    internal static string Megabytes(long bytes) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):0.###} MB");
}

/// <summary>Writes RFC 7807 problem documents (<c>application/problem+json</c>) and maps exceptions to them.</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>The status and detail for an exception thrown while serving a request, or null when it is a server fault.</summary>
    public static (int Status, string Detail)? Classify(Exception e) => e switch
    {
        ApiException api => (api.Status, api.Message),
        // Only the server writes to its disk: a full one is the operator's to fix, whatever was being written.
        _ when IsDiskFull(e) => (StatusCodes.Status507InsufficientStorage, ApiException.StoreWriteFailed(e, "writing a file").Message),
        // A file of the server's own store (named by an absolute path) that cannot be read is the server's problem, not
        // the request's; files a client sent are named as the client named them.
        ForgettingDataException data when Path.IsPathRooted(data.SourcePath) => (StatusCodes.Status500InternalServerError,
            $"{Fields.Describe(data)} The file is in the server's model store: its operator must refit or replace it."),
        ForgettingDataException data => (StatusCodes.Status400BadRequest, Fields.Describe(data)),
        JsonException json => (StatusCodes.Status400BadRequest, $"The request body is not valid JSON for this endpoint: {json.Message}"),
        BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => "The request body is larger than the server's limit.",
            StatusCodes.Status408RequestTimeout => "The request body arrived too slowly (the server waits 5 s, then asks for at least 240 bytes a second); send it again over a faster connection.",
            _ => bad.Message,
        }),
        ArgumentException argument => (StatusCodes.Status400BadRequest, Fields.Describe(argument)),
        _ => null,
    };

    /// <summary>True when <paramref name="e"/> or an exception inside it says the disk (or the user's quota) is full.</summary>
    public static bool IsDiskFull(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            // Unix: the errno (ENOSPC 28, EDQUOT 122 on Linux, 69 on macOS); Windows: ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL.
            if (e is IOException { HResult: 28 or 122 or 69 or unchecked((int)0x80070070) or unchecked((int)0x80070027) })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The service's words for the library's options: the fields of an upload.</summary>
    public static OptionVocabulary Fields { get; } = new(new Dictionary<string, string>
    {
        [DataOptionNames.Format] = "format",
        [Core.Erasure.ForgettingThreshold.OptionName] = "threshold",
        [DataOptionNames.Layout] = "layout",
        [DataOptionNames.Array] = "array",
        [DataOptionNames.MaxCells] = "the server's --max-matrix-mb, at 4 bytes a cell",

        // An upload names no id column: a feature table's ids are read from its column named id (or the first that holds them).
        [DataOptionNames.TaskFeatureColumns] = "in an upload, call that column id",
        [DataOptionNames.ExampleFeatureColumns] = "in an upload, call that column id",
        [DataOptionNames.SaveModel] = "an upload (POST /v1/models)",
        [ModelOptionNames.Rank] = "rank",
        [ModelOptionNames.Lambda] = "lambda",
        [ModelOptionNames.Seed] = "seed",
        [ModelOptionNames.Known] = "known",
        [Core.Replay.ReplayOptionNames.Budget] = "budget",
        [Core.Replay.ReplayOptionNames.Temperature] = "temperature",
        [Core.Replay.ReplayOptionNames.Strategy] = "strategy",
        [Core.Replay.ReplayOptionNames.Seed] = "seed",
        [Core.Replay.ReplayOptionNames.MinPerGroup] = "minPerGroup",
        [Core.Replay.ReplayOptionNames.Ratio] = "ratio",
        [Core.Replay.ReplayOptionNames.TaskSize] = "taskSize",
        [ForecastOptionNames.Prior] = "prior",
        [ForecastOptionNames.TaskFeatures] = "taskFeatures",
        [DesignOptionNames.Count] = "count",
        [DesignOptionNames.Criterion] = "criterion",
        [GroupingOptionNames.GroupBy] = "groupBy",
        [GroupingOptionNames.Metadata] = "NAME.examples.csv beside the model in the server's store, or an upload's examples file",
    }, static (field, value) => field.Contains(' ', StringComparison.Ordinal) ? field : value is null ? $"\"{field}\"" : $"\"{field}\" = {value}");

    /// <summary>Writes a problem document as the response.</summary>
    public static Task WriteAsync(HttpContext context, int status, string detail)
    {
        var response = context.Response;
        detail = StoreRelative(context, detail);
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        var problem = new ProblemDto(TypeFor(status), TitleFor(status), status, detail, Instance(context));
        return JsonSerializer.SerializeAsync(response.Body, problem, ServerJson.Wire.ProblemDto, context.RequestAborted);
    }

    /// <summary>A problem document as an endpoint result.</summary>
    public static IResult Result(HttpContext context, int status, string detail) =>
        Results.Json(new ProblemDto(TypeFor(status), TitleFor(status), status, StoreRelative(context, detail), Instance(context)), ServerJson.Wire.ProblemDto, ContentType, status);

    /// <summary>
    /// The problem's <c>instance</c>: the request path as a URI reference (escaped), at most 256 characters; a longer one is cut
    /// to 253 and "..." (never inside a %XX escape).
    /// </summary>
    internal static string Instance(HttpContext context)
    {
        var path = context.Request.Path.HasValue ? context.Request.Path.ToUriComponent() : "/";
        if (path.Length <= MaxInstance)
        {
            return path;
        }

        var cut = MaxInstance - 3;
        var escape = path.LastIndexOf('%', cut - 1, 2);
        return string.Concat(path.AsSpan(0, escape >= 0 ? escape : cut), "...");
    }

    private const int MaxInstance = 256;

    // Every problem detail names store files relative to the store (see ModelStore.Relative).
    private static string StoreRelative(HttpContext context, string detail) =>
        context.RequestServices.GetService(typeof(ModelStore)) is ModelStore store ? store.Relative(detail) : detail;

    public static string TitleFor(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        503 => "Service Unavailable",
        500 => "Internal Server Error",
        507 => "Insufficient Storage",
        _ => "Error",
    };

    // RFC 9110 section anchors, as ASP.NET Core's own problem details use them.
    private static string TypeFor(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        406 => "https://tools.ietf.org/html/rfc9110#section-15.5.7",
        408 => "https://tools.ietf.org/html/rfc9110#section-15.5.9",
        409 => "https://tools.ietf.org/html/rfc9110#section-15.5.10",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        507 => "https://tools.ietf.org/html/rfc4918#section-11.5",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    };
}

using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ForgetPredict.Server;

/// <summary>The HTTP API (every route is described in openapi.json).</summary>
internal static class Endpoints
{
    private static readonly string[] s_read = [HttpMethods.Get, HttpMethods.Head];

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRead("/healthz", (ModelStore store) => Results.Json(new HealthDto("ok", store.Names().Count), ServerJson.Wire.HealthDto));
        app.MapRead("/openapi.json", (HttpContext context) => StaticAssets.Serve(context, "openapi.json"));
        StaticAssets.Map(app);

        // The API's answers change with the store and the jobs (a job's progress, a replaced model): no cache may keep one,
        // as none keeps an error (the page and openapi.json are revalidated by their ETag instead).
        var v1 = app.MapGroup("/v1").AddEndpointFilter((context, next) =>
        {
            context.HttpContext.Response.Headers.CacheControl = "no-store";
            return next(context);
        });
        v1.MapRead("/models", ListModels).AddEndpointFilter(NoQueryString);
        v1.MapRead("/models/{name}", (string name, ModelStore store) => Results.Json(store.Get(name).Info(), ServerJson.Wire.ModelInfoDto)).AddEndpointFilter(NoQueryString);
        v1.MapPost("/models/{name}/predict", PredictAsync);
        v1.MapPost("/models/{name}/replay", ReplayAsync);
        v1.MapPost("/models/{name}/design", DesignAsync);
        v1.MapPost("/models", UploadAsync);
        v1.MapRead("/jobs", (FitQueue queue) => Results.Json(new JobListDto([.. queue.All().Select(j => j.ToDto())]), ServerJson.Wire.JobListDto)).AddEndpointFilter(NoQueryString);
        v1.MapRead("/jobs/{id}", (string id, FitQueue queue) =>
            Results.Json((queue.Find(id) ?? throw NoJob(id)).ToDto(), ServerJson.Wire.JobDto)).AddEndpointFilter(NoQueryString);
        v1.MapDelete("/jobs/{id}", CancelJob).AddEndpointFilter(NoQueryString);
    }

    // The API's reads and the cancel take no query parameters: one given there (format=csv on the model listing, a misspelt
    // one) is refused, as the queries refuse the ones they do not take, instead of being answered as if it were not there.
    private static ValueTask<object?> NoQueryString(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.Request.Query.Keys.FirstOrDefault() is { } key
            ? throw ApiException.BadRequest($"Unknown query parameter '{Application.Echo.Printable(key)}'; this endpoint takes none (its answer is JSON only).")
            : next(context);

    private static ApiException NoJob(string id) =>
        ApiException.NotFound($"No job '{Application.Echo.Printable(id)}' (jobs live in memory: a restarted server forgets them; its models stay in the store).");

    // Cancels a fit: a queued one fails at once (200, state failed, stage cancelled); a running one stops at its next solver
    // sweep (202, stage cancelling: poll GET /v1/jobs/ID). A finished job is left as it is (200).
    private static IResult CancelJob(string id, FitQueue queue)
    {
        var job = queue.Cancel(id) ?? throw NoJob(id);
        return Results.Json(job.ToDto(), ServerJson.Wire.JobDto, statusCode: job.IsFinished ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// Maps a route that reads: GET, and HEAD (the same headers and status, no body; what health checks and link checkers
    /// send), which minimal APIs' MapGet answers with 405.
    /// </summary>
    public static RouteHandlerBuilder MapRead(this IEndpointRouteBuilder app, string pattern, Delegate handler) =>
        app.MapMethods(pattern, s_read, handler).AddEndpointFilter((context, next) =>
        {
            // Kestrel drops a HEAD answer's body itself; this keeps any host (the test server too) from sending one.
            if (HttpMethods.IsHead(context.HttpContext.Request.Method))
            {
                context.HttpContext.Response.Body = Stream.Null;
            }

            return next(context);
        });

    private static IResult ListModels(ModelStore store)
    {
        var models = new List<ModelInfoDto>();
        var names = store.Names();
        store.Prune(names);
        foreach (var name in names)
        {
            try
            {
                models.Add(store.Describe(name));
            }
            catch (Exception e) when (e is Data.ForgettingDataException or IOException or UnauthorizedAccessException
                || (e is ApiException { Status: StatusCodes.Status500InternalServerError or StatusCodes.Status503ServiceUnavailable }))
            {
                // A damaged or foreign file is listed with the reason (and its real size and time) instead of failing the whole listing.
                var file = new FileInfo(Path.Combine(store.Directory, name + ModelStore.ModelExtension));
                models.Add(new ModelInfoDto(name, null, 0, 0, null, false, null, null, null, null, [], file.Exists ? file.Length : 0,
                    file.Exists ? new DateTimeOffset(file.LastWriteTimeUtc) : DateTimeOffset.MinValue, string.Empty,
                    new Dictionary<string, string>(), store.Relative(Problems.Fields.Describe(e))));
            }
            catch (ApiException e) when (e.Status == StatusCodes.Status404NotFound)
            {
                // Deleted between the listing and the load.
            }
        }

        return Results.Json(new ModelListDto(models), ServerJson.Wire.ModelListDto);
    }

    private static Task<IResult> PredictAsync(string name, HttpContext context, ModelStore store, ServerOptions options) =>
        AnswerAsync(name, context, store, options, ServerJson.Wire.PredictRequest, ServerJson.Wire.PredictResponse, Forecaster.Predict, csv: null);

    private static Task<IResult> ReplayAsync(string name, HttpContext context, ModelStore store, ServerOptions options) =>
        AnswerAsync(name, context, store, options, ServerJson.Wire.ReplayRequest, ServerJson.Wire.ReplayResponse, Forecaster.Replay, ("replay", Forecaster.Csv, r => r.Warnings));

    private static Task<IResult> DesignAsync(string name, HttpContext context, ModelStore store, ServerOptions options) =>
        AnswerAsync(name, context, store, options, ServerJson.Wire.DesignRequest, ServerJson.Wire.DesignResponse, Forecaster.Design, ("design", Forecaster.Csv, r => r.Warnings));

    // A query on a stored model: its JSON body read, answered, and written as JSON or (where the answer has a table form and
    // the caller asks for it) as a CSV download named after the model, its warnings in the X-Warnings header (a JSON array of
    // strings, non-ASCII escaped, since a CSV has no place for them; absent when there are none).
    private static async Task<IResult> AnswerAsync<TRequest, TResponse>(string name, HttpContext context, ModelStore store, ServerOptions options,
        JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, Func<StoredModel, TRequest, TResponse> answer,
        (string Suffix, Func<TResponse, string> Write, Func<TResponse, IReadOnlyList<string>> Warnings)? csv)
        where TRequest : class
    {
        ModelStore.CheckName(name);
        var wantsCsv = WantsCsv(context, csv is not null);
        var request = await ServerApp.ReadJsonAsync(context, requestType, options).ConfigureAwait(false);
        var response = answer(store.Get(name), request);
        if (csv is not { } table || !wantsCsv)
        {
            return Results.Json(response, responseType);
        }

        if (table.Warnings(response) is { Count: > 0 } warnings)
        {
            context.Response.Headers[WarningsHeader] = System.Text.Json.JsonSerializer.Serialize(warnings, ServerJsonContext.Default.IReadOnlyListString);
        }

        return CsvAttachment(context, $"{name}-{table.Suffix}.csv", table.Write(response));
    }

    /// <summary>The header of a CSV answer that carries the answer's warnings, as a JSON array of strings.</summary>
    public const string WarningsHeader = "X-Warnings";

    // format=csv, or no format and an Accept header asking for text/csv; format=json (or none) is JSON; anything else is refused.
    // An endpoint without a table form (predict) takes format=json alone: its query string was not read at all, so a
    // misspelt parameter or format=csv was answered in JSON without a word.
    private static bool WantsCsv(HttpContext context, bool hasCsv)
    {
        var formats = hasCsv ? "format=json (default) or format=csv" : "format=json (its only form)";

        // The query string takes format alone: a misspelt one (fromat=csv) was ignored and answered in JSON.
        if (context.Request.Query.Keys.FirstOrDefault(k => !k.Equals("format", StringComparison.OrdinalIgnoreCase)) is { } unknown)
        {
            throw ApiException.BadRequest($"Unknown query parameter '{Application.Echo.Printable(unknown)}'{(Core.Models.Suggestion.DidYouMean(unknown, ["format"]) is { Length: > 0 } guess ? guess + " This" : "; this")} endpoint takes {formats}, and its settings in the JSON body.");
        }

        var format = context.Request.Query["format"].ToString();
        if (format.Length > 0 && !format.Equals("json", StringComparison.OrdinalIgnoreCase) && !(hasCsv && format.Equals("csv", StringComparison.OrdinalIgnoreCase)))
        {
            throw ApiException.BadRequest(hasCsv || !format.Equals("csv", StringComparison.OrdinalIgnoreCase)
                ? $"Unknown format '{Application.Echo.Printable(format)}'; use {formats}."
                : "This endpoint answers in JSON only (its examples and groups have no one table form); use format=json or leave format out.");
        }

        if (format.Length > 0)
        {
            return hasCsv && format.Equals("csv", StringComparison.OrdinalIgnoreCase);
        }

        // Without format, the Accept header chooses between CSV (where there is a table form) and JSON by their weights (below);
        // an Accept of only other forms (text/csv on predict, application/xml) is a 406, as HTTP says, instead of a JSON answer
        // it did not ask for.
        var accept = context.Request.Headers.Accept;
        if (accept.Count == 0 || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParseList(accept, out var types) || types.Count == 0)
        {
            return false;
        }

        // Each form's weight is that of the most specific range naming it (text/csv, then text/*, then */*; q defaults to 1), as
        // HTTP says: CSV when a range other than */* gives it a weight at least JSON's, else JSON when it has any weight.
        (double Quality, bool Specific) Weight(string type, string subtype)
        {
            Microsoft.Net.Http.Headers.MediaTypeHeaderValue? best = null;
            var rank = -1;
            foreach (var t in types)
            {
                var r = t.MatchesAllTypes ? 0 : !t.Type.Equals(type, StringComparison.OrdinalIgnoreCase) ? -1 : t.MatchesAllSubTypes ? 1
                    : t.SubType.Equals(subtype, StringComparison.OrdinalIgnoreCase) ? 2 : -1;
                if (r > rank)
                {
                    (best, rank) = (t, r);
                }
            }

            return best is null ? (0, false) : (best.Quality ?? 1, rank > 0);
        }

        var csv = hasCsv ? Weight("text", "csv") : (0, false);
        var json = Weight("application", "json");
        if (csv.Quality > 0 && csv.Specific && csv.Quality >= json.Quality)
        {
            return true;
        }

        return json.Quality > 0 ? false
            : throw ApiException.NotAcceptable($"This endpoint answers in application/json{(hasCsv ? " or text/csv" : string.Empty)}, and the Accept header ('{Application.Echo.Printable(accept.ToString())}') admits neither; send Accept: application/json (or */*), or leave it out{(hasCsv ? "; format=csv asks for the CSV" : string.Empty)}.");
    }

    private static IResult CsvAttachment(HttpContext context, string fileName, string csv)
    {
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        return Results.Text(csv, "text/csv; charset=utf-8");
    }

    private static async Task<IResult> UploadAsync(HttpContext context, ModelStore store, ServerOptions options, FitQueue queue)
    {
        var job = await UploadFiles.ReadAsync(context, store, options).ConfigureAwait(false);
        try
        {
            queue.Submit(job);
        }
        catch
        {
            foreach (var path in job.TempPaths)
            {
                UploadFiles.TryDelete(path);
            }

            throw;
        }

        return Results.Json(job.ToDto(), ServerJson.Wire.JobDto, statusCode: StatusCodes.Status202Accepted) is var result
            ? new Accepted($"/v1/jobs/{job.Id}", result)
            : result;
    }

    // 202 with a Location header around the JSON body.
    private sealed class Accepted(string location, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}

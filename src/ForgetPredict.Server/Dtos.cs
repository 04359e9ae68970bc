using System.Text.Json;
using System.Text.Json.Serialization;
using ForgetPredict.Data.Tables;

namespace ForgetPredict.Server;

// Wire types: records separate from the Core types they are built from, serialised by the source-generated ServerJsonContext.

/// <summary>An RFC 7807 problem document.</summary>
/// <param name="Type">A URI naming the kind of problem.</param>
/// <param name="Title">The HTTP status text.</param>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Detail">What went wrong and how to fix it (the library's own message where it raised one).</param>
/// <param name="Instance">The request path.</param>
public sealed record ProblemDto(string Type, string Title, int Status, string Detail, string Instance);

/// <summary>The answer of <c>GET /healthz</c>.</summary>
/// <param name="Status">Always "ok" when the service answers.</param>
/// <param name="Models">Number of model files in the store.</param>
public sealed record HealthDto(string Status, int Models);

/// <summary>The answer of <c>GET /v1/models</c>.</summary>
/// <param name="Models">Every model in the store, by name.</param>
public sealed record ModelListDto(IReadOnlyList<ModelInfoDto> Models);

/// <summary>A stored model: its shape, family and fit quality.</summary>
/// <param name="Name">The model's name (its file is <c>NAME.fpm</c>).</param>
/// <param name="Method">The family (mf, additive, ...), or null when the file cannot be read.</param>
/// <param name="TaskCount">Training tasks (rows).</param>
/// <param name="ExampleCount">Upstream examples (columns).</param>
/// <param name="Rank">Latent rank of factor models.</param>
/// <param name="PredictsProbability">True for logistic models on binary matrices.</param>
/// <param name="R2">Training R^2 saved by the fit.</param>
/// <param name="Source">The matrix file the model was fitted on.</param>
/// <param name="Iterations">Fit sweeps of factor models.</param>
/// <param name="Converged">Whether the fit converged.</param>
/// <param name="GroupColumns">Columns of the example metadata to group predictions by (empty without metadata).</param>
/// <param name="SizeBytes">Size of the model file.</param>
/// <param name="Modified">When the model file was last written.</param>
/// <param name="Version">Changes whenever the model file is replaced.</param>
/// <param name="Metadata">Every key/value saved with the model.</param>
/// <param name="Error">Why the file cannot be served (a damaged or foreign file), else null.</param>
/// <param name="TaskFeatures">The task features the model predicts from (cold and warm start), or null when it was fitted without.</param>
/// <param name="ExampleFeatures">The example feature views new examples are predicted from (a predict query's <c>newExamples</c> gives their parts), or null when it was fitted without.</param>
public sealed record ModelInfoDto(string Name, string? Method, int TaskCount, int ExampleCount, int? Rank, bool PredictsProbability, double? R2, string? Source,
    int? Iterations, bool? Converged, IReadOnlyList<string> GroupColumns, long SizeBytes, DateTimeOffset Modified, string Version,
    IReadOnlyDictionary<string, string> Metadata, string? Error = null, TaskFeatureInfoDto? TaskFeatures = null, IReadOnlyList<ExampleFeatureInfoDto>? ExampleFeatures = null);

/// <summary>One view of the example features a model was fitted with: a file's numeric or categorical columns, or an embedding.</summary>
/// <param name="View">The view's name: the file it came from ("upstream.csv"; "upstream.csv categories" for its text columns; "example_emb.npy").</param>
/// <param name="Kind">numeric, categorical or embedding.</param>
/// <param name="Columns">Its columns: names (numeric), "column=level" (categorical), or one per embedding dimension.</param>
/// <param name="Width">Number of columns.</param>
public sealed record ExampleFeatureInfoDto(string View, string Kind, IReadOnlyList<string> Columns, int Width);

/// <summary>
/// The task features a model was fitted with: the views (a file's numeric or categorical columns, or an embedding) its prior
/// uses. View, Kind, Columns and Width describe the first of <paramref name="Views"/>, the only one unless the prior combines several.
/// </summary>
/// <param name="View">The first view's name: the file it came from ("tasks.csv"; "tasks.csv categories" for its text columns; "task_emb.npy").</param>
/// <param name="Kind">numeric, categorical or embedding.</param>
/// <param name="Columns">Its columns: names (numeric), "column=level" (categorical), or one per embedding dimension.</param>
/// <param name="Width">Number of columns.</param>
/// <param name="Chosen">The views and kernel the fit chose, e.g. "tasks.csv (log), rbf 2" or "tasks.csv (log) + task_emb.npy, linear".</param>
/// <param name="Views">Every view the prior uses, in order; a query's task features must give each.</param>
public sealed record TaskFeatureInfoDto(string View, string Kind, IReadOnlyList<string> Columns, int Width, string Chosen, IReadOnlyList<FeatureViewInfoDto> Views);

/// <summary>One view of the task features a model's prior uses.</summary>
/// <param name="View">The view's name: the file it came from ("tasks.csv"; "tasks.csv categories" for its text columns; "task_emb.npy").</param>
/// <param name="Kind">numeric, categorical or embedding.</param>
/// <param name="Columns">Its columns: names (numeric), "column=level" (categorical), or one per embedding dimension.</param>
/// <param name="Width">Number of columns.</param>
public sealed record FeatureViewInfoDto(string View, string Kind, IReadOnlyList<string> Columns, int Width);

/// <summary>
/// A new task's features: <c>{"lr": 0.001, "steps": 600, "family": "web"}</c> (a table row: numbers and categories), an
/// embedding <c>[0.1, -0.3, ...]</c>, or several named by the files the model was fitted with,
/// <c>{"tasks.csv": {...}, "task_emb.npy": [...]}</c>.
/// </summary>
[JsonConverter(typeof(TaskFeaturesJsonConverter))]
public sealed class TaskFeaturesDto
{
    /// <summary>Creates the features.</summary>
    public TaskFeaturesDto(IReadOnlyList<TaskFeaturePart> parts)
    {
        Parts = parts;
    }

    /// <summary>The parts, each a table row or an embedding.</summary>
    public IReadOnlyList<TaskFeaturePart> Parts { get; }
}

/// <summary>One file's worth of a task's features: a table row (<see cref="Values"/>) or an embedding (<see cref="Embedding"/>).</summary>
/// <param name="Name">The file it stands for, or null when the features were not named.</param>
/// <param name="Values">Column name and value (numbers written culture-invariant), or null.</param>
/// <param name="Embedding">The embedding, or null.</param>
public sealed record TaskFeaturePart(string? Name, IReadOnlyList<KeyValuePair<string, string>>? Values, IReadOnlyList<double>? Embedding);

/// <summary>
/// New upstream examples' features, keyed by example id and named by the files the model was fitted with:
/// <c>{"upstream.csv": [{"id": "n1", "source": "web", "base_loss": 0.5}, ...], "example_emb.npy": {"n1": [0.1, ...], ...}}</c>
/// (a table part: rows with an <c>id</c>, or an object of id to row; an embedding part: an object of id to embedding), or one
/// unnamed table, <c>[{"id": "n1", "source": "web", "base_loss": 0.5}, ...]</c>.
/// </summary>
[JsonConverter(typeof(NewExamplesJsonConverter))]
public sealed class NewExamplesDto
{
    /// <summary>Creates the features.</summary>
    public NewExamplesDto(IReadOnlyList<Data.FeatureRows> parts)
    {
        Parts = parts;
    }

    /// <summary>The parts, each a table's rows or embeddings by example id, in the order given.</summary>
    public IReadOnlyList<Data.FeatureRows> Parts { get; }
}

/// <summary>A new example's forecast, predicted from its features (a cold column: never measured on any task).</summary>
/// <param name="Id">Example id.</param>
/// <param name="Predicted">Predicted forgetting.</param>
/// <param name="Std">Predictive standard deviation (wider than a measured example's: it adds the features' own error).</param>
/// <param name="Probability">Probability of forgetting beyond the threshold.</param>
/// <param name="Cold">Always true: predicted from features, as <c>predict --out</c> marks such rows.</param>
public sealed record ColdExampleDto(string Id, double Predicted, double Std, double Probability, bool Cold = true)
{
    /// <summary>Its group by <c>groupBy</c> (its row of the model's example metadata), or null when the answer has no groups or the metadata has no row for it.</summary>
    public string? Group { get; init; }
}

/// <summary>The new task's measured cells, <c>{"exampleId": value, ...}</c>, in the order given (repeats are kept so they can be reported).</summary>
[JsonConverter(typeof(ObservedJsonConverter))]
public sealed class ObservedDto
{
    /// <summary>Creates the cells.</summary>
    public ObservedDto(IReadOnlyList<KeyValuePair<string, double>> cells)
    {
        Cells = cells;
    }

    /// <summary>(example id or column index, measured forgetting) pairs.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Cells { get; }
}

/// <summary>The body of <c>POST /v1/models/{name}/predict</c>.</summary>
/// <remarks>Settable, not init-only: the source-generated reader would otherwise reset omitted members to zero instead of keeping their defaults.</remarks>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PredictRequest
{
    /// <summary>Measured cells of the new task; omit or leave empty for a task-agnostic estimate.</summary>
    public ObservedDto? Observed { get; set; }

    /// <summary>True: the examples of <see cref="Observed"/> (and of an exclusion list) are column positions 0..N-1, not ids.</summary>
    public bool ByIndex { get; set; }

    /// <summary>Examples listed as most forgotten.</summary>
    public int Top { get; set; } = Core.Erasure.RowScanOptions.DefaultTop;

    /// <summary>Metadata column to group by; default: the only non-id column, if there is exactly one.</summary>
    public string? GroupBy { get; set; }

    /// <summary>Forgetting above this counts as forgotten; default: the model's (the 90th percentile of the training tasks' forgetting; probability 0.5 for binary models).</summary>
    public double? Threshold { get; set; }

    /// <summary>Fold-in prior: empirical (default) or ridge.</summary>
    public string? Prior { get; set; }

    /// <summary>Include the group chart (SVG) in the answer (the web page asks for it; API clients rarely want it).</summary>
    public bool Chart { get; set; }

    /// <summary>The new task's features (a model fitted with task features): with no measured cell the row is predicted from them alone.</summary>
    public TaskFeaturesDto? TaskFeatures { get; set; }

    /// <summary>Include every example's forecast (<c>examples</c>, in the model's example order): the whole row, as <c>predict --out</c> writes it.</summary>
    public bool EveryExample { get; set; }

    /// <summary>New upstream examples' features (a model fitted with example features): they are predicted from them (<c>coldExamples</c>).</summary>
    public NewExamplesDto? NewExamples { get; set; }
}

/// <summary>What a fine-tune will erase: the answer of <c>POST /v1/models/{name}/predict</c>.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Version">The model file's version the prediction was made with.</param>
/// <param name="Method">The model family.</param>
/// <param name="Description">One line on the model, as the reports print it.</param>
/// <param name="TaskAgnostic">True when no cell was measured: the average past task.</param>
/// <param name="KnownCount">Measured cells behind the prediction.</param>
/// <param name="PredictsProbability">True when predictions are probabilities of forgetting.</param>
/// <param name="Threshold">The threshold for "forgotten".</param>
/// <param name="ThresholdRule">How <paramref name="Threshold"/> was chosen: "given", or the default's rule in words.</param>
/// <param name="ExampleCount">Upstream examples predicted.</param>
/// <param name="ExpectedForgotten">Expected number of examples beyond the threshold.</param>
/// <param name="GroupBy">The grouping column, or null.</param>
/// <param name="Groups">Groups by expected mean forgetting, most damaged first.</param>
/// <param name="Top">The most forgotten examples, most forgotten first.</param>
/// <param name="ChartSvg">The group chart of the HTML report (SVG), or null.</param>
/// <param name="Warnings">Things the caller should know (e.g. examples without metadata, measured cells that look measured in other units).</param>
/// <param name="FromTaskFeatures">True when the task's features gave the prior (with no measured cell: a cold start).</param>
/// <param name="Examples">Every example's forecast in the model's example order (<c>"everyExample": true</c>), else null.</param>
/// <param name="ColdExamples">The new examples of <c>newExamples</c>, in their order, predicted from their features; else null.</param>
public sealed record PredictResponse(string Model, string Version, string Method, string Description, bool TaskAgnostic, int KnownCount, bool PredictsProbability,
    double Threshold, string ThresholdRule, int ExampleCount, double ExpectedForgotten, string? GroupBy, IReadOnlyList<GroupDto> Groups, IReadOnlyList<ExampleDto> Top,
    string? ChartSvg, IReadOnlyList<string> Warnings, bool FromTaskFeatures = false, IReadOnlyList<ExampleDto>? Examples = null, IReadOnlyList<ColdExampleDto>? ColdExamples = null)
{
    /// <summary>
    /// True when the model was fitted on a 0/1 matrix and models it as continuous values: its predictions and
    /// <see cref="Threshold"/> are on that 0/1 scale, not loss increases, and are not probabilities (a warning says so).
    /// </summary>
    public bool BinaryMatrix { get; init; }
}

/// <summary>One group's expected damage.</summary>
/// <param name="Name">Group name.</param>
/// <param name="Count">Examples in the group, its new examples (<see cref="NewCount"/>) included.</param>
/// <param name="Mean">Expected mean forgetting.</param>
/// <param name="Lower">Lower end of the 90% interval.</param>
/// <param name="Upper">Upper end of the 90% interval.</param>
/// <param name="Share">Expected share of the group beyond the threshold.</param>
/// <param name="TopExamples">The group's three most forgotten example ids.</param>
public sealed record GroupDto(string Name, int Count, double Mean, double Lower, double Upper, double Share, IReadOnlyList<string> TopExamples)
{
    /// <summary>How many of <see cref="Count"/> are new examples of <c>newExamples</c> (cold columns), predicted from their features.</summary>
    public int NewCount { get; init; }

    /// <summary>
    /// Parallel to <see cref="TopExamples"/>: true where the id is a new example's (one of <c>coldExamples</c>), false where it is
    /// one of the model's examples (<see cref="ForgetPredict.Application.ForecastExample.IsNew"/>).
    /// </summary>
    public IReadOnlyList<bool> TopNew { get; init; } = [];
}

/// <summary>One example's forecast.</summary>
/// <param name="Id">Example id.</param>
/// <param name="Group">Its group, or null.</param>
/// <param name="Predicted">Predicted forgetting.</param>
/// <param name="Std">Predictive standard deviation.</param>
/// <param name="Probability">Probability of forgetting beyond the threshold.</param>
/// <param name="Rank">1 for the most forgotten example.</param>
public sealed record ExampleDto(string Id, string? Group, double Predicted, double Std, double Probability, int Rank);

/// <summary>The body of <c>POST /v1/models/{name}/replay</c> (settable members, as <see cref="PredictRequest"/>).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ReplayRequest
{
    /// <summary>Measured cells of the new task.</summary>
    public ObservedDto? Observed { get; set; }

    /// <summary>True: the examples of <see cref="Observed"/> (and of an exclusion list) are column positions 0..N-1, not ids.</summary>
    public bool ByIndex { get; set; }

    /// <summary>Examples to replay (or give <see cref="Ratio"/> and <see cref="TaskSize"/>).</summary>
    public int? Budget { get; set; }

    /// <summary>One replayed example per this many task examples.</summary>
    public int? Ratio { get; set; }

    /// <summary>Examples in the fine-tuning task (with <see cref="Ratio"/>).</summary>
    public long? TaskSize { get; set; }

    /// <summary>softmax (default), topk, stratified or random.</summary>
    public string? Strategy { get; set; }

    /// <summary>Softmax temperature.</summary>
    public double? Temperature { get; set; }

    /// <summary>Stratified: examples every group keeps.</summary>
    public int? MinPerGroup { get; set; }

    /// <summary>Metadata column to group by.</summary>
    public string? GroupBy { get; set; }

    /// <summary>Example ids never to replay.</summary>
    public IReadOnlyList<string>? Exclude { get; set; }

    /// <summary>Seed of the random strategies.</summary>
    public int? Seed { get; set; }

    /// <summary>Fold-in prior: empirical (default) or ridge.</summary>
    public string? Prior { get; set; }

    /// <summary>The new task's features (a model fitted with task features), as in a predict request.</summary>
    public TaskFeaturesDto? TaskFeatures { get; set; }
}

/// <summary>A replay set: the answer of <c>POST /v1/models/{name}/replay</c> (or a CSV with <c>Accept: text/csv</c>).</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Version">The model file's version.</param>
/// <param name="Strategy">The strategy used.</param>
/// <param name="Budget">Examples asked for.</param>
/// <param name="Candidates">Examples that could be chosen (not excluded).</param>
/// <param name="CoveredForgetting">Share of the candidates' positive predicted forgetting the set carries.</param>
/// <param name="RandomExpectation">The same share for a random set of the same size.</param>
/// <param name="Lift">Covered over random (null when random covers nothing).</param>
/// <param name="GroupBy">The grouping column, or null.</param>
/// <param name="Items">The chosen examples, in selection order.</param>
/// <param name="Groups">Replayed examples per group.</param>
/// <param name="Warnings">Things the caller should know, as in a predict answer (measured cells that look measured in other units, metadata that is not the model's, examples without metadata, a budget above the candidates).</param>
public sealed record ReplayResponse(string Model, string Version, string Strategy, int Budget, int Candidates, double CoveredForgetting, double RandomExpectation,
    double? Lift, string? GroupBy, IReadOnlyList<ReplayItemDto> Items, IReadOnlyList<ReplayGroupDto> Groups, IReadOnlyList<string> Warnings);

/// <summary>One replayed example.</summary>
/// <param name="Example">Example id.</param>
/// <param name="Weight">Its probability of being drawn first under the strategy (softmax(predicted / tau) over all candidates, 1 /
/// candidates for random, 1 for topk and stratified); the set is drawn without replacement, so this is no inclusion probability.</param>
/// <param name="Predicted">Its predicted forgetting.</param>
/// <param name="Group">Its group, or null.</param>
public sealed record ReplayItemDto(string Example, double Weight, double Predicted, string? Group);

/// <summary>How many examples of a group were replayed.</summary>
/// <param name="Name">Group name ("(no group)" for examples without one).</param>
/// <param name="Replayed">Examples of the group in the replay set.</param>
/// <param name="Examples">Examples of the group in the model.</param>
public sealed record ReplayGroupDto(string Name, int Replayed, int Examples);

/// <summary>The body of <c>POST /v1/models/{name}/design</c> (settable members, as <see cref="PredictRequest"/>).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DesignRequest
{
    /// <summary>Cells the new task will measure after its fine-tune.</summary>
    public int Count { get; set; } = Application.MeasurementRequest.DefaultCount;

    /// <summary>v-optimal (default), d-optimal or group-means.</summary>
    public string? Criterion { get; set; }

    /// <summary>Metadata column whose group means group-means pins down (without it: the whole row's mean).</summary>
    public string? GroupBy { get; set; }

    /// <summary>Cells the new task has measured already: the next ones are chosen given them (their values are not needed by the design).</summary>
    public ObservedDto? Observed { get; set; }

    /// <summary>True: the examples of <see cref="Observed"/> and <see cref="Exclude"/> are column positions 0..N-1, not ids.</summary>
    public bool ByIndex { get; set; }

    /// <summary>Example ids that cannot be measured.</summary>
    public IReadOnlyList<string>? Exclude { get; set; }
}

/// <summary>Which examples a new task should measure: the answer of <c>POST /v1/models/{name}/design</c> (or a CSV template with <c>Accept: text/csv</c>).</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Version">The model file's version.</param>
/// <param name="Criterion">The criterion used.</param>
/// <param name="Basis">What the design was computed on, e.g. "the model (mf, rank 8; 46 past tasks)".</param>
/// <param name="Candidates">Examples it chose among (neither excluded nor measured already).</param>
/// <param name="GroupBy">The grouping column, or null.</param>
/// <param name="Examples">The examples to measure, most informative first.</param>
/// <param name="Measured">The cells the request gave as measured already, in their order (orders 1..m; the examples to measure
/// follow from m + 1), with their values: the CSV template lists them first, so that filled in it holds the task's every cell.</param>
/// <param name="Warnings">What the caller should know (excluded ids that name no example, metadata that does not match), else empty.</param>
public sealed record DesignResponse(string Model, string Version, string Criterion, string Basis, int Candidates, string? GroupBy, IReadOnlyList<DesignItemDto> Examples,
    IReadOnlyList<MeasuredItemDto> Measured, IReadOnlyList<string> Warnings);

/// <summary>One example to measure.</summary>
/// <param name="Example">Example id.</param>
/// <param name="Order">Its place in the measuring order: 1 for the most informative, or one past the cells measured already.</param>
/// <param name="Group">Its group, or null.</param>
public sealed record DesignItemDto(string Example, int Order, string? Group);

/// <summary>A cell measured already, as a design request gave it.</summary>
/// <param name="Example">Example id.</param>
/// <param name="Value">Its measured value.</param>
/// <param name="Order">Its place among the cells measured already (1 for the first given).</param>
/// <param name="Group">Its group, or null.</param>
public sealed record MeasuredItemDto(string Example, double Value, int Order, string? Group);

/// <summary>A background fit started by an upload.</summary>
/// <param name="Id">Job id.</param>
/// <param name="State">queued, running, succeeded or failed.</param>
/// <param name="Stage">What it is doing: queued, reading, fitting, scoring, saving, done, failed; cancelling (asked to stop, DELETE /v1/jobs/ID) and cancelled (failed because it was stopped: by that request or by the server shutting down).</param>
/// <param name="Progress">From 0 to 1.</param>
/// <param name="Model">The model's name.</param>
/// <param name="Method">The family being fitted.</param>
/// <param name="Submitted">When the upload finished.</param>
/// <param name="Started">When the fit started.</param>
/// <param name="Finished">When it succeeded or failed.</param>
/// <param name="Error">Why it failed (the parser's or fitter's message).</param>
/// <param name="ModelUrl">Where the finished model is served.</param>
public sealed record JobDto(string Id, string State, string Stage, double Progress, string Model, string Method, DateTimeOffset Submitted,
    DateTimeOffset? Started, DateTimeOffset? Finished, string? Error, string? ModelUrl)
{
    /// <summary>
    /// What the fit warned of, as <c>fit</c> warns (<see cref="Application.FitResult.Warnings"/>): the matrix (examples or tasks
    /// with no observed cell), then the feature blocks it left out as constant over the training rows; null when nothing.
    /// </summary>
    public IReadOnlyList<string>? Warnings { get; init; }
}

/// <summary>The answer of <c>GET /v1/jobs</c>.</summary>
/// <param name="Jobs">Jobs since the server started, newest first.</param>
public sealed record JobListDto(IReadOnlyList<JobDto> Jobs);

/// <summary>Source-generated JSON for every wire type (camelCase, nulls omitted; floats as <see cref="JsonFloat"/> writes them:
/// a whole one with its ".0", which json, pandas and polars would otherwise read back as an integer).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true, Converters = [typeof(JsonFloatConverter)])]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(HealthDto))]
[JsonSerializable(typeof(ModelListDto))]
[JsonSerializable(typeof(ModelInfoDto))]
[JsonSerializable(typeof(PredictRequest))]
[JsonSerializable(typeof(PredictResponse))]
[JsonSerializable(typeof(ReplayRequest))]
[JsonSerializable(typeof(ReplayResponse))]
[JsonSerializable(typeof(DesignRequest))]
[JsonSerializable(typeof(DesignResponse))]
[JsonSerializable(typeof(JobDto))]
[JsonSerializable(typeof(JobListDto))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
public sealed partial class ServerJsonContext : JsonSerializerContext;

/// <summary>The JSON context the service reads and writes with.</summary>
public static class ServerJson
{
    /// <summary>
    /// <see cref="ServerJsonContext.Default"/> without escaping HTML-sensitive characters (answers are application/json, never
    /// inlined into HTML), so messages and the SVG chart stay readable; a field given twice is refused (the second would
    /// silently replace the first, e.g. one of two "observed" objects).
    /// </summary>
    public static ServerJsonContext Wire { get; } = new(new JsonSerializerOptions(ServerJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        AllowDuplicateProperties = false,
    });
}

/// <summary>Reads a task's features (a table row, an embedding, or several named by file); writes them back the same way.</summary>
internal sealed class TaskFeaturesJsonConverter : JsonConverter<TaskFeaturesDto>
{
    private const string Shape = "'taskFeatures' must be an object of column to value ({\"lr\": 0.001, \"family\": \"web\"}), an embedding ([0.1, -0.2, ...]), or an object of file name to either ({\"tasks.csv\": {...}, \"task_emb.npy\": [...]})";

    public override TaskFeaturesDto Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            return new TaskFeaturesDto([new TaskFeaturePart(null, null, Embedding(ref reader, "taskFeatures"))]);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"{Shape}, not {ObservedJsonConverter.Describe(reader.TokenType)}.");
        }

        var values = new List<KeyValuePair<string, string>>();
        var parts = new List<TaskFeaturePart>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString() ?? string.Empty;
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    parts.Add(new TaskFeaturePart(name, null, Embedding(ref reader, $"taskFeatures.{name}")));
                    break;
                case JsonTokenType.StartObject:
                    parts.Add(new TaskFeaturePart(name, Row(ref reader, $"taskFeatures.{name}"), null));
                    break;
                default:
                    values.Add(new(name, Value(ref reader, $"taskFeatures.{name}")));
                    break;
            }
        }

        if (values.Count > 0 && parts.Count > 0)
        {
            throw new JsonException($"{Shape}: do not mix columns ('{values[0].Key}') with named files ('{parts[0].Name}'); name the columns' file too.");
        }

        return new TaskFeaturesDto(parts.Count > 0 ? parts : [new TaskFeaturePart(null, values, null)]);
    }

    public override void Write(Utf8JsonWriter writer, TaskFeaturesDto value, JsonSerializerOptions options)
    {
        if (value.Parts is [{ Name: null } single])
        {
            WritePart(writer, single);
            return;
        }

        writer.WriteStartObject();
        foreach (var part in value.Parts)
        {
            writer.WritePropertyName(part.Name ?? string.Empty);
            WritePart(writer, part);
        }

        writer.WriteEndObject();
    }

    private static void WritePart(Utf8JsonWriter writer, TaskFeaturePart part)
    {
        if (part.Embedding is { } embedding)
        {
            writer.WriteStartArray();
            foreach (var x in embedding)
            {
                JsonFloat.WriteValue(writer, x);
            }

            writer.WriteEndArray();
            return;
        }

        writer.WriteStartObject();
        foreach (var (column, text) in part.Values ?? [])
        {
            writer.WriteString(column, text);
        }

        writer.WriteEndObject();
    }

    // An object of column to value (the reader on its start), read to its end; each value as Value reads it ('{field}.{column}').
    internal static List<KeyValuePair<string, string>> Row(ref Utf8JsonReader reader, string field)
    {
        var row = new List<KeyValuePair<string, string>>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var column = reader.GetString() ?? string.Empty;
            if (row.Exists(c => c.Key == column))
            {
                // A row's "id" given twice had kept the last one in silence.
                throw new JsonException($"'{field}' gives \"{Application.Echo.Printable(column)}\" twice; give each column once.");
            }

            reader.Read();
            row.Add(new(column, Value(ref reader, $"{field}.{column}")));
        }

        return row;
    }

    internal static string Value(ref Utf8JsonReader reader, string field) => reader.TokenType switch
    {
        JsonTokenType.Number when reader.TryGetDouble(out var x) && double.IsFinite(x) => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        JsonTokenType.String => reader.GetString() ?? string.Empty,
        JsonTokenType.Number => throw new JsonException($"'{field}' must be a finite number (it is {Application.Echo.Printable(System.Text.Encoding.UTF8.GetString(reader.ValueSpan))})."),
        _ => throw new JsonException($"'{field}' must be a number (e.g. lr) or a string (a category, e.g. family), not {ObservedJsonConverter.Describe(reader.TokenType)}."),
    };

    internal static List<double> Embedding(ref Utf8JsonReader reader, string field)
    {
        var values = new List<double>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var x) || !double.IsFinite(x))
            {
                throw new JsonException($"'{field}' is an embedding: every entry must be a finite number, and entry {values.Count} is not.");
            }

            values.Add(x);
        }

        return values;
    }
}

/// <summary>Reads new examples' features (parts named by file, or one unnamed table); writes them back in the named form.</summary>
internal sealed class NewExamplesJsonConverter : JsonConverter<NewExamplesDto>
{
    private const string Field = "newExamples";
    private const string Shape = "'newExamples' must be an object of file name to the new examples' features by id ({\"upstream.csv\": [{\"id\": \"n1\", \"source\": \"web\", \"base_loss\": 0.5}], \"example_emb.npy\": {\"n1\": [0.1, ...]}}), or an array of rows with an \"id\"";

    public override NewExamplesDto Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            return new NewExamplesDto([Rows(ref reader, null)]);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"{Shape}, not {ObservedJsonConverter.Describe(reader.TokenType)}.");
        }

        var parts = new List<Data.FeatureRows>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString() ?? string.Empty;
            reader.Read();
            parts.Add(reader.TokenType switch
            {
                JsonTokenType.StartArray => Rows(ref reader, name),
                JsonTokenType.StartObject => ById(ref reader, name),
                _ => throw new JsonException($"{Shape}; '{Field}.{name}' is {ObservedJsonConverter.Describe(reader.TokenType)}."),
            });
        }

        return new NewExamplesDto(parts);
    }

    public override void Write(Utf8JsonWriter writer, NewExamplesDto value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var part in value.Parts)
        {
            writer.WritePropertyName(part.Name ?? Field);
            writer.WriteStartObject();
            for (var i = 0; i < part.Ids.Count; i++)
            {
                writer.WritePropertyName(part.Ids[i]);
                if (part.Embeddings is { } embeddings)
                {
                    writer.WriteStartArray();
                    foreach (var x in embeddings[i])
                    {
                        JsonFloat.WriteValue(writer, x);
                    }

                    writer.WriteEndArray();
                    continue;
                }

                writer.WriteStartObject();
                foreach (var (column, text) in part.Values![i])
                {
                    writer.WriteString(column, text);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    // [{"id": "n1", "source": "web", ...}, ...]: a table's rows, each naming its example.
    private static Data.FeatureRows Rows(ref Utf8JsonReader reader, string? name)
    {
        var where = name is null ? Field : $"{Field}.{name}";
        var ids = new List<string>();
        var rows = new List<IReadOnlyList<KeyValuePair<string, string>>>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException($"'{where}' is a table: each entry must be a row object with an \"id\" ({{\"id\": \"n1\", \"source\": \"web\"}}), and entry {rows.Count} is {ObservedJsonConverter.Describe(reader.TokenType)}.");
            }

            var row = TaskFeaturesJsonConverter.Row(ref reader, $"{where}[{rows.Count}]");
            var id = row.LastOrDefault(c => c.Key == "id").Value;
            row.RemoveAll(c => c.Key == "id");
            ids.Add(id ?? throw new JsonException($"'{where}' row {rows.Count} has no \"id\"; give each new example's id in its row."));
            rows.Add(row);
        }

        return new Data.FeatureRows(name, ids, rows, null);
    }

    // {"n1": {...}, ...} (a table's rows by id) or {"n1": [0.1, ...], ...} (embeddings by id).
    private static Data.FeatureRows ById(ref Utf8JsonReader reader, string name)
    {
        var ids = new List<string>();
        var rows = new List<IReadOnlyList<KeyValuePair<string, string>>>();
        var embeddings = new List<IReadOnlyList<double>>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var id = reader.GetString() ?? string.Empty;
            var where = $"{Field}.{name}.{id}";
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartArray && rows.Count == 0)
            {
                embeddings.Add(TaskFeaturesJsonConverter.Embedding(ref reader, where));
            }
            else if (reader.TokenType == JsonTokenType.StartObject && embeddings.Count == 0)
            {
                rows.Add(TaskFeaturesJsonConverter.Row(ref reader, where));
            }
            else
            {
                throw new JsonException($"'{where}' must be {(rows.Count > 0 ? "a row object, as the part's other examples" : embeddings.Count > 0 ? "an embedding, as the part's other examples" : "a row object ({\"source\": \"web\"}) or an embedding ([0.1, ...])")}, not {ObservedJsonConverter.Describe(reader.TokenType)}.");
            }

            ids.Add(id);
        }

        return embeddings.Count > 0 ? new Data.FeatureRows(name, ids, null, embeddings) : new Data.FeatureRows(name, ids, rows, null);
    }
}

/// <summary>Reads <c>{"id": number, ...}</c> keeping order and repeats; writes it back as an object.</summary>
internal sealed class ObservedJsonConverter : JsonConverter<ObservedDto>
{
    public override ObservedDto Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("'observed' must be an object of example id to measured forgetting, e.g. {\"ex-00001\": 0.12}.");
        }

        var cells = new List<KeyValuePair<string, double>>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var id = reader.GetString() ?? string.Empty;
            reader.Read();
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw new JsonException($"The measured value of example '{id}' must be a number, not {Describe(reader.TokenType)}.");
            }

            if (!reader.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                throw new JsonException($"The measured value of example '{id}' is not a finite number.");
            }

            cells.Add(new(id, value));
        }

        return new ObservedDto(cells);
    }

    public override void Write(Utf8JsonWriter writer, ObservedDto value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (id, v) in value.Cells)
        {
            JsonFloat.Write(writer, id, v);
        }

        writer.WriteEndObject();
    }

    internal static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Null => "null",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.Number => "a number",
        _ => token.ToString(),
    };
}

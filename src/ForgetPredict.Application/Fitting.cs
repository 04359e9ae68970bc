using System.Diagnostics;
using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;

namespace ForgetPredict.Application;

/// <summary>What to fit: a matrix, a model family and its settings.</summary>
public sealed record FitRequest
{
    /// <summary>The training matrix.</summary>
    public required ForgettingMatrix Matrix { get; init; }

    /// <summary>The matrix's file name, recorded with the model and named in messages.</summary>
    public required string Source { get; init; }

    /// <summary>The model family, a <see cref="ModelCatalog.Names"/> entry.</summary>
    public required string Method { get; init; }

    /// <summary>Rank, penalty, seed and threads.</summary>
    public ModelSettings Settings { get; init; } = new();

    /// <summary>When the matrix was uploaded (a service's jobs), or null.</summary>
    public DateTimeOffset? Uploaded { get; init; }

    /// <summary>SHA-256 (hex) of the example metadata uploaded with the matrix, or null.</summary>
    public string? ExamplesSha256 { get; init; }

    /// <summary>Features of the matrix's tasks, or null: a Gaussian factor model then also fits a task feature model (cold and warm start from features).</summary>
    public Core.Features.FeatureSet? TaskFeatures { get; init; }

    /// <summary>
    /// Features of the matrix's examples, or null: a Gaussian factor model then also fits an example feature model, which
    /// predicts examples never measured on any task (cold columns) from their features.
    /// </summary>
    public Core.Features.FeatureSet? ExampleFeatures { get; init; }
}

/// <summary>
/// Where a saved model came from, as recorded in its file: the family, the training matrix, the training R^2 and, for
/// uploads, when and with which example metadata.
/// </summary>
/// <param name="Method">The family's catalog name.</param>
/// <param name="Source">The training matrix's file name, or null when not recorded.</param>
/// <param name="RSquared">Training R^2, or null when not recorded.</param>
/// <param name="Uploaded">When the matrix was uploaded, or null.</param>
/// <param name="ExamplesSha256">SHA-256 (hex) of the example metadata uploaded with the model, or null.</param>
/// <param name="Tuning">What a self-tuning fit (auto) chose and its cross-validated error, or null.</param>
/// <param name="TaskFeaturesUnused">True when task features were given to the fit but predicted its training tasks no better
/// than the model's own prior, so the model keeps no task feature model (a query with features is then answered without them).</param>
/// <param name="TaskFeatureIdColumns">The task feature tables' id columns at the fit (<see cref="Core.Features.FeatureSet.IdColumns"/>), or
/// null: a query's columns of these names are never read as features.</param>
/// <param name="TaskFeatureFiles">The names of the task feature files the fit was given (<see cref="FeatureFiles"/>), whether or not its
/// prior uses them, or null when not recorded (an older model file): the names a query's parts may have.</param>
/// <param name="BinaryMatrix">True when the training matrix was 0/1 (1 = forgotten, <see cref="ForgettingMatrix.IsBinary"/>): a
/// Gaussian model of it predicts values on that scale, not probabilities (<see cref="Fitting.ContinuousModelOfBinaryMatrix"/>).</param>
/// <param name="TunedKnown">The number of measured cells a self-tuning fit (auto, ensemble) simulated in its cross-validation, or
/// null for other methods (and older model files): a task measured on more than twice as many is warned of (<see cref="TaskRequest.TunedKnownWarning"/>).</param>
public sealed record FitProvenance(string? Method, string? Source, double? RSquared, DateTimeOffset? Uploaded = null, string? ExamplesSha256 = null, string? Tuning = null,
    bool TaskFeaturesUnused = false, IReadOnlyList<string>? TaskFeatureIdColumns = null, IReadOnlyList<string>? TaskFeatureFiles = null, bool BinaryMatrix = false,
    int? TunedKnown = null)
{
    private const string TunedKnownKey = "tuned-known";
    private const string MatrixValuesKey = "matrix-values";
    private const string BinaryValue = "0/1";

    private const string TaskFeatureFilesKey = "task-features-files";

    /// <summary>
    /// The files <paramref name="features"/> were read from, in order: each block's name, a table's categorical block
    /// ("tasks.csv categories") named by its file ("tasks.csv").
    /// </summary>
    public static IReadOnlyList<string> FeatureFiles(Core.Features.FeatureSet features)
    {
        ArgumentNullException.ThrowIfNull(features);
        return [.. features.Blocks.Select(b => FileOf(b.Name, b.Kind)).Distinct(StringComparer.Ordinal)];
    }

    // The file a block was read from (FeatureFile names a table's categorical block after its file, plus " categories").
    internal static string FileOf(string block, Core.Features.FeatureKind kind) =>
        kind == Core.Features.FeatureKind.Categorical && block.EndsWith(CategoriesSuffix, StringComparison.Ordinal) ? block[..^CategoriesSuffix.Length] : block;

    private const string CategoriesSuffix = " categories";

    private const string TuningKey = "tuning";
    private const string TaskFeaturesKey = "task-features";
    private const string TaskFeatureIdColumnsKey = "task-features-id-columns";
    private const string UnusedValue = "unused";
    private const string MethodKey = "method";
    private const string SourceKey = "source";
    private const string RSquaredKey = "r2";
    private const string UploadedKey = "uploaded";

    /// <summary>The model file metadata key of <see cref="ExamplesSha256"/>.</summary>
    public const string ExamplesSha256Key = "examples-sha256";

    /// <summary>The provenance as model file metadata (keys <c>method</c>, <c>source</c>, <c>r2</c>, <c>uploaded</c>, <c>examples-sha256</c>, <c>tuning</c>, <c>task-features</c>, <c>task-features-id-columns</c>, <c>task-features-files</c>, <c>matrix-values</c>, <c>tuned-known</c>).</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        Add(MethodKey, Method);
        Add(SourceKey, Source);
        Add(RSquaredKey, RSquared?.ToString("R", CultureInfo.InvariantCulture));
        Add(UploadedKey, Uploaded?.ToString("O", CultureInfo.InvariantCulture));
        Add(ExamplesSha256Key, ExamplesSha256);
        Add(TuningKey, Tuning);
        Add(TaskFeaturesKey, TaskFeaturesUnused ? UnusedValue : null);
        Add(TaskFeatureIdColumnsKey, TaskFeatureIdColumns is { Count: > 0 } columns ? System.Text.Json.JsonSerializer.Serialize(columns) : null);
        Add(TaskFeatureFilesKey, TaskFeatureFiles is { Count: > 0 } files ? System.Text.Json.JsonSerializer.Serialize(files) : null);
        Add(MatrixValuesKey, BinaryMatrix ? BinaryValue : null);
        Add(TunedKnownKey, TunedKnown?.ToString(CultureInfo.InvariantCulture));
        return metadata;

        void Add(string key, string? value)
        {
            if (value is not null)
            {
                metadata[key] = value;
            }
        }
    }

    /// <summary>Reads the provenance from model file metadata; keys that are missing or do not parse are null.</summary>
    public static FitProvenance FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        double? r2 = metadata.TryGetValue(RSquaredKey, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value : null;
        DateTimeOffset? uploaded = metadata.TryGetValue(UploadedKey, out var stamp) && DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var when)
            ? when : null;
        return new FitProvenance(metadata.GetValueOrDefault(MethodKey), metadata.GetValueOrDefault(SourceKey), r2, uploaded, metadata.GetValueOrDefault(ExamplesSha256Key), metadata.GetValueOrDefault(TuningKey),
            metadata.GetValueOrDefault(TaskFeaturesKey) == UnusedValue, IdColumns(metadata.GetValueOrDefault(TaskFeatureIdColumnsKey)), IdColumns(metadata.GetValueOrDefault(TaskFeatureFilesKey)),
            metadata.GetValueOrDefault(MatrixValuesKey) == BinaryValue,
            int.TryParse(metadata.GetValueOrDefault(TunedKnownKey), NumberStyles.None, CultureInfo.InvariantCulture, out var known) ? known : null);
    }

    // A JSON array of names (id columns, files), as ToMetadata writes it; anything else (an older file has none) is null.
    private static string[]? IdColumns(string? json)
    {
        try
        {
            return json is null ? null : System.Text.Json.JsonSerializer.Deserialize<string[]>(json) is { } names && names.All(n => n is not null) ? names : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

/// <summary>A fitted model with its fit quality and provenance.</summary>
/// <param name="Model">The model.</param>
/// <param name="Matrix">The matrix it was fitted on.</param>
/// <param name="Provenance">What its file records.</param>
/// <param name="FitTime">How long the fit took (without scoring).</param>
public sealed record FitResult(IForgettingModel Model, ForgettingMatrix Matrix, FitProvenance Provenance, TimeSpan FitTime)
{
    /// <summary>The task feature model fitted beside the model, or null when no task features were given.</summary>
    public Core.Features.TaskFeatureModel? TaskFeatures { get; init; }

    /// <summary>The example feature model fitted beside the model, or null when no example features were given.</summary>
    public Core.Features.ExampleFeatureModel? ExampleFeatures { get; init; }

    /// <summary>Training R^2.</summary>
    public double RSquared => Provenance.RSquared ?? double.NaN;

    /// <summary>
    /// What the caller should be told about the matrix the model was fitted on (<see cref="Fitting.MatrixWarnings(ForgettingMatrix, string, bool)"/>,
    /// <see cref="Fitting.ModelWarnings"/>): cells thousands of times its typical magnitude, a single measured task, examples or
    /// tasks with no observed cell, and examples measured on too few tasks for the model's factors; then the task or example
    /// feature blocks left out of the fit because every column was constant over the training rows. Empty when there is
    /// nothing to say.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>The fit use case: fit a family to a matrix, score it, and save it with its provenance.</summary>
public static class Fitting
{
    /// <summary>Checks that <paramref name="method"/> can be fitted to <paramref name="matrix"/> (binary families need a 0/1 matrix).</summary>
    /// <exception cref="ArgumentException">The family is binary and the matrix is not.</exception>
    public static void CheckMatrix(string method, ForgettingMatrix matrix, string source)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (ModelCatalog.IsBinaryMethod(method) && !matrix.IsBinary)
        {
            throw new ArgumentException($"'{method}' needs a binary (0/1) matrix, but {source} has other values; use 'mf' or 'additive', or threshold the matrix.", nameof(matrix));
        }
    }

    /// <summary>
    /// Checks that a rank the caller fixed (<see cref="ModelSettings.Rank"/>) is at most the matrix's smaller side: a rank-r
    /// model of an M x N matrix has no more than min(M, N) directions to find, and the rest only cost time (rank 1,000 on
    /// 20 x 300 took two minutes). The default ranks are not checked; they are chosen for the matrix.
    /// </summary>
    /// <exception cref="OptionException">The rank is larger than min(M, N).</exception>
    public static void CheckRank(ModelSettings settings, ForgettingMatrix matrix, string source)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(matrix);
        var most = Math.Min(matrix.TaskCount, matrix.ExampleCount);
        if (settings.Rank is { } rank && rank > most)
        {
            throw new OptionException(OptionMessage.Of(
                $"{new OptionReference(ModelOptionNames.Rank)} {rank} is more than the {most:N0} factors {source} can have ({matrix.TaskCount:N0} x {matrix.ExampleCount:N0}: at most the smaller side); give {most:N0} or less, or leave it out to use the method's own."));
        }
    }

    /// <summary>
    /// What a fit should be told of a seed given to a method that draws no random numbers (additive, knn...:
    /// <see cref="ModelCatalog.UsesSeed"/>), which ignores it; null when no seed is given or the method uses it. A warning, not a
    /// refusal: scripts loop over methods with one seed.
    /// </summary>
    /// <param name="method">The method's catalog name.</param>
    /// <param name="settings">The fit's settings.</param>
    public static OptionMessage? UnusedSeedWarning(string method, ModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Seed is not { } seed || ModelCatalog.UsesSeed(method) || !ModelCatalog.Names.Contains(method) ? null
            : OptionMessage.Of($"{new OptionReference(ModelOptionNames.Seed, seed.ToString(CultureInfo.InvariantCulture))} has no effect on '{method}': it draws no random numbers, so every seed fits the same model (only {string.Join(", ", ModelCatalog.SeededMethods)} use a seed).");
    }

    /// <summary>The methods whose models carry a task feature model: the Gaussian factor models with a task prior.</summary>
    public static IReadOnlyList<string> TaskFeatureMethods { get; } = ["task-mean", "additive", "rank1", "mf"];

    /// <summary>The methods whose models carry an example feature model: the Gaussian factor models with example parameters.</summary>
    public static IReadOnlyList<string> ExampleFeatureMethods { get; } = ["additive", "rank1", "mf"];

    /// <summary>
    /// Checks, before fitting, that <paramref name="method"/> can carry task features: ensemble, knn, example-mean and the
    /// logistic families cannot; auto can, since with features it chooses among the families that can
    /// (<see cref="ModelSettings.WithFeatures"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The method's models cannot carry task features (the message names the fix).</exception>
    public static void CheckTaskFeatures(string method)
    {
        if (method != ModelCatalog.Auto && !TaskFeatureMethods.Contains(method))
        {
            throw new ArgumentException(
                $"Task features are carried by the Gaussian factor models ({string.Join(", ", TaskFeatureMethods)}); '{method}' cannot carry them. "
                + "To predict new tasks from their features, fit mf (or task-mean, additive, rank1) with the task features, or auto, which then chooses among additive and mf; "
                + "to measure the stacked ensemble with features, run 'evaluate --methods ensemble' with the same task features (it adds ensemble+features).",
                nameof(method));
        }
    }

    /// <summary>Checks, before fitting, that <paramref name="method"/> can carry example features (see <see cref="ExampleFeatureMethods"/>; auto can).</summary>
    /// <exception cref="ArgumentException">The method's models cannot carry example features (the message names the fix).</exception>
    public static void CheckExampleFeatures(string method)
    {
        if (method != ModelCatalog.Auto && !ExampleFeatureMethods.Contains(method))
        {
            throw new ArgumentException(
                $"Example features are carried by the Gaussian factor models with example parameters ({string.Join(", ", ExampleFeatureMethods)}); '{method}' cannot carry them. "
                + "To predict new examples from their features, fit mf (or additive, rank1) with the example features, or auto, which then chooses among additive and mf.",
                nameof(method));
        }
    }

    /// <summary>
    /// The fitter of <paramref name="method"/> with <paramref name="settings"/>, checked before any data is read: the method
    /// and settings are valid and, when features will be given, its models can carry them (with features, auto chooses among
    /// the models that can). <see cref="Fit"/> uses it; a front end that fits later (an upload's job) calls it to refuse at once.
    /// </summary>
    /// <exception cref="ArgumentException">The method is unknown, a setting does not apply (a rank, penalty or seed the method
    /// has not, or known cells for a method other than auto and ensemble), or the models cannot carry the features.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public static IForgettingFitter CreateFitter(string method, ModelSettings settings, bool taskFeatures, bool exampleFeatures)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var fitter = ModelCatalog.CreateFitter(method, settings with { WithFeatures = taskFeatures || exampleFeatures });

        // The catalog lets every method take a number of known cells (an evaluation gives each the cells it reveals); a fit
        // that names one for a method that simulates none would have it ignored.
        if (settings.Known is not null && !ModelCatalog.SimulatesKnownCells(method))
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(ModelOptionNames.Known)} does not apply to '{method}' (only auto and ensemble simulate the cells you will measure)."));
        }
        if (taskFeatures)
        {
            CheckTaskFeatures(method);
        }

        if (exampleFeatures)
        {
            CheckExampleFeatures(method);
        }

        return fitter;
    }

    /// <summary>Fits and scores the model.</summary>
    /// <param name="request">The matrix, the family and its settings.</param>
    /// <param name="progress">Told "fitting" and "scoring" as the stages start, with the fraction of the work done.</param>
    /// <param name="cancellationToken">Stops the fit between solver sweeps (and cross-validation folds, and before the feature
    /// models and the scoring).</param>
    /// <exception cref="ArgumentException">The family is unknown, a setting is invalid, or the matrix does not suit the family.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static FitResult Fit(FitRequest request, Action<string, double>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fitter = CreateFitter(request.Method, request.Settings, request.TaskFeatures is not null, request.ExampleFeatures is not null);
        CheckMatrix(request.Method, request.Matrix, request.Source);
        CheckRank(request.Settings, request.Matrix, request.Source);
        progress?.Invoke("fitting", 0.2);
        var clock = Stopwatch.StartNew();
        IForgettingModel model;
        AutoReport? choice;
        try
        {
            (model, choice) = fitter is AutoFitter auto && auto.FitAuto(request.Matrix, cancellationToken) is var (chosen, report)
                ? (chosen, report)
                : (fitter.Fit(request.Matrix, cancellationToken), null);
        }
        catch (ArgumentException e) when (e.ParamName == "matrix" && e is not OptionException)
        {
            // What is wrong with the matrix (a constant one, say) names the file it came from.
            throw Forecasting.From(request.Source, e, nameof(request));
        }

        // Example features first: the examples no task measured then get their parameters from their features, and the model
        // with them is the one the task feature model describes.
        cancellationToken.ThrowIfCancellationRequested();
        Core.Features.ExampleFeatureModel? exampleFeatures = null;
        FactorModel? withExamples = null;
        if (request.ExampleFeatures is { } examples)
        {
            var fitted = Core.Features.ExampleFeatureModel.Fit(Factor(), examples, new Core.Features.ExampleFeatureOptions { MaxThreads = request.Settings.MaxThreads });
            (withExamples, exampleFeatures) = fitted.PredictUnmeasured(examples);
        }

        var final = withExamples ?? model;
        cancellationToken.ThrowIfCancellationRequested();

        var taskFeatures = request.TaskFeatures is { } features
            ? Core.Features.TaskFeatureModel.Fit(Factor(), features, new Core.Features.TaskFeatureOptions { MaxThreads = request.Settings.MaxThreads })
            : null;
        var tuning = choice?.Summary();
        var elapsed = clock.Elapsed;
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Invoke("scoring", 0.8);
        var r2 = GoodnessOfFit.TrainingRSquared(final, request.Matrix, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return new FitResult(final, request.Matrix, new FitProvenance(request.Method, request.Source, r2, request.Uploaded, request.ExamplesSha256, tuning, taskFeatures is { UsesFeatures: false }, request.TaskFeatures?.IdColumns,
            request.TaskFeatures is { } given ? FitProvenance.FeatureFiles(given) : null, request.Matrix.IsBinary,
            ModelCatalog.SimulatesKnownCells(request.Method) ? choice?.Known ?? request.Settings.Known ?? Core.Evaluation.EvaluationOptions.DefaultKnown : null), elapsed)
        {
            TaskFeatures = taskFeatures,
            ExampleFeatures = exampleFeatures,
            // What the matrix and model call for, then the feature blocks left out as constant (a user who passed them should know).
            Warnings = [.. Warnings(final, request.Matrix, request.Source, exampleFeatures is not null),
                .. taskFeatures is null ? [] : LeftOutTaskFeatures(taskFeatures), .. exampleFeatures is null ? [] : LeftOutExampleFeatures(exampleFeatures)],
        };

        // The checks above, and auto's feature-capable candidates, leave a Gaussian factor model whenever features are given.
        FactorModel Factor() => (withExamples ?? model) as FactorModel ?? throw new InvalidOperationException($"'{request.Method}' fitted a {ModelCatalog.NameOf(model.Method)} model, which cannot carry features.");
    }

    /// <summary>
    /// What a fit on <paramref name="matrix"/> should be told: cells thousands of times its typical magnitude
    /// (<see cref="ExtremeCellWarning"/>), a single measured task (a new task's intervals cannot include how tasks differ),
    /// examples with no observed cell (the model knows nothing of them, so it predicts them
    /// as the average measured example, with wider intervals) and tasks with no observed cell (they add nothing). Empty for a
    /// matrix of two or more tasks with a cell in every row and column and no such outlier.
    /// </summary>
    /// <param name="matrix">The training matrix.</param>
    /// <param name="source">The matrix as the user names it, for the message.</param>
    /// <param name="fromFeatures">True when example features predict the examples with no observed cell.</param>
    public static IReadOnlyList<string> MatrixWarnings(ForgettingMatrix matrix, string source, bool fromFeatures = false) =>
        MatrixWarnings(matrix, source, fromFeatures, singleTask: true);

    // The same, leaving out the single measured task when the caller has said it otherwise (evaluate's split: "only 1 task trains").
    // tasks: when source already names its tasks ("the 8 training tasks of half.npy"), true, so the empty tasks are counted
    // "of the 8 training tasks of half.npy" rather than "of the 8 tasks of the 8 training tasks of half.npy".
    internal static IReadOnlyList<string> MatrixWarnings(ForgettingMatrix matrix, string source, bool fromFeatures, bool singleTask, bool tasks = false)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var counts = matrix.MissingCount == 0 ? null : CellCounts.Of(matrix);
        return [.. GeneralWarnings(matrix, source, counts, singleTask), .. counts is null ? [] : MatrixWarningsOf(counts, matrix, source, fromFeatures, tasks)];
    }

    // The warnings any matrix may get: extreme cells, and a single measured task (a model of one task starts a new task from
    // that task, and no interval can include how tasks differ: its std is the fit's residual noise alone).
    private static List<string> GeneralWarnings(ForgettingMatrix matrix, string source, CellCounts? counts, bool singleTask = true)
    {
        var warnings = new List<string>();
        if (ExtremeCellWarning(matrix, source) is { } extreme)
        {
            warnings.Add(extreme);
        }

        if (singleTask && matrix.TaskCount - (counts?.EmptyTasks.Count ?? 0) == 1)
        {
            warnings.Add($"{source} has a single measured task: a new task is predicted as that task, and its intervals cannot include how tasks differ from one another (one task shows none), so they are far too narrow for a new task. Measure more tasks before trusting them.");
        }

        return warnings;
    }

    /// <summary>
    /// The warning for cells thousands of times the matrix's typical magnitude (<see cref="ExtremeCells"/>): they are
    /// accepted (only cells beyond 1e9 times it are refused), but a least-squares fit follows them. Null when there are none.
    /// </summary>
    /// <param name="matrix">The matrix.</param>
    /// <param name="source">The matrix as the user names it, for the message.</param>
    public static string? ExtremeCellWarning(ForgettingMatrix matrix, string source)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return ExtremeCells.Find(matrix) is not { } e ? null : string.Create(CultureInfo.InvariantCulture,
            $"{e.Count:N0} cell{(e.Count == 1 ? " of " + source + " is" : "s of " + source + " are")} more than {e.Ratio:N0} times its typical magnitude (the median |value| of its non-zero cells, {e.Typical:G3}); the largest is {e.Value:G6} (task '{matrix.TaskIds[e.Task]}', example '{matrix.ExampleIds[e.Example]}'). Least-squares fits follow such cells at the cost of every other prediction: check {(e.Count == 1 ? "it" : "them")} (a unit, overflow or parsing error?), or set {(e.Count == 1 ? "it" : "them")} to NaN to leave {(e.Count == 1 ? "it" : "them")} out.");
    }

    // Every warning of a fit: a Gaussian model of a 0/1 matrix, the general ones, and both kinds of warning on missing cells
    // from one pass over the matrix.
    private static List<string> Warnings(IForgettingModel model, ForgettingMatrix matrix, string source, bool fromFeatures)
    {
        List<string> binary = matrix.IsBinary && ContinuousModelOfBinaryMatrix(model, source) is { } said ? [said] : [];
        if (matrix.MissingCount == 0)
        {
            return [.. binary, .. GeneralWarnings(matrix, source, null)];
        }

        var counts = CellCounts.Of(matrix);
        return [.. binary, .. GeneralWarnings(matrix, source, counts), .. MatrixWarningsOf(counts, matrix, source, fromFeatures), .. ModelWarningsOf(counts, model, matrix, source)];
    }

    /// <summary>
    /// The warning for a model that treats the 0/1 matrix it was fitted on (<paramref name="source"/>, 1 = forgotten) as
    /// continuous values, or null for a model that predicts probabilities (logistic): its predictions estimate the chance of
    /// forgetting but are not probabilities (they can fall below 0 or above 1), and a threshold is on the matrix's 0/1 scale,
    /// not a loss increase. What <c>fit</c> says of such a fit, and a forecast with its model
    /// (<see cref="TaskRequest.BinaryMatrixWarning"/>).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="source">The training matrix as the user names it, for the message.</param>
    public static string? ContinuousModelOfBinaryMatrix(IForgettingModel model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.PredictsProbability ? null
            : $"{source} is a 0/1 matrix (1 = forgotten), and {ModelCatalog.NameOf(model.Method)} models its cells as continuous values: its predictions estimate the chance of forgetting but are not probabilities (they can fall below 0 or above 1), and its threshold for \"forgotten\" is on the matrix's 0/1 scale, not a loss increase. For probabilities of forgetting, fit method 'logistic' (or 'logistic-additive') instead.";
    }

    // Each example's observed cells and the tasks with none.
    private sealed record CellCounts(int[] PerExample, IReadOnlyList<int> EmptyTasks)
    {
        public static CellCounts Of(ForgettingMatrix matrix)
        {
            var (perTask, perExample) = Core.Analysis.MatrixSummary.ObservedCounts(matrix);
            return new CellCounts(perExample, [.. Enumerable.Range(0, perTask.Length).Where(i => perTask[i] == 0)]);
        }
    }

    private static List<string> MatrixWarningsOf(CellCounts counts, ForgettingMatrix matrix, string source, bool fromFeatures, bool tasks = false)
    {
        var emptyExamples = Enumerable.Range(0, counts.PerExample.Length).Where(j => counts.PerExample[j] == 0).ToArray();
        var emptyTasks = counts.EmptyTasks;
        var warnings = new List<string>();
        if (emptyExamples.Length > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{emptyExamples.Length:N0} of the {matrix.ExampleCount:N0} examples of {source} have no observed cell ({First(emptyExamples, matrix.ExampleIds)}): the model knows nothing of them: {(fromFeatures ? "it predicts them from their example features, with intervals widened by those predictions' leave-one-out error" : "it predicts each as the average measured example, with intervals widened by how much the measured examples differ")}. Drop those columns, or measure them on some task."));
        }

        if (emptyTasks.Count > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{emptyTasks.Count:N0} of {(tasks ? source : $"the {matrix.TaskCount:N0} tasks of {source}")} have no observed cell ({First(emptyTasks, matrix.TaskIds)}): they add nothing to the fit. Drop those rows."));
        }

        return warnings;

        static string First(IReadOnlyList<int> indices, IdList ids) =>
            $"first: {string.Join(", ", indices.Take(3).Select(k => $"'{ids[k]}'"))}{(indices.Count > 3 ? ", ..." : string.Empty)}";
    }

    /// <summary>
    /// What a fit of <paramref name="model"/> on <paramref name="matrix"/> should be told of the examples whose factors it could
    /// not learn (mf, rank1, logistic): when most measured examples were measured on no more tasks than the model fits
    /// parameters for each (its rank, plus one with example biases), their factors cannot come from their own cells, and
    /// when the others leave too few residual degrees of freedom, mf's and rank1's noise-adaptive penalty stays at the data's
    /// scale, so the factors are shrunk hard and the model predicts almost as the additive one. Empty for a complete matrix,
    /// another model, or one with at least as many parameters per example as measured tasks.
    /// </summary>
    /// <param name="model">The fitted model.</param>
    /// <param name="matrix">The training matrix.</param>
    /// <param name="source">The matrix as the user names it, for the message.</param>
    public static IReadOnlyList<string> ModelWarnings(IForgettingModel model, ForgettingMatrix matrix, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(matrix);
        return matrix.MissingCount == 0 ? [] : ModelWarningsOf(CellCounts.Of(matrix), model, matrix, source);
    }

    private static IReadOnlyList<string> ModelWarningsOf(CellCounts counts, IForgettingModel model, ForgettingMatrix matrix, string source)
    {
        if (model is not FactorModel { Rank: > 0, Method: ModelMethod.LowRank or ModelMethod.RankOne or ModelMethod.Logistic } factor)
        {
            return [];
        }

        var cells = counts.PerExample;
        var measuredTasks = matrix.TaskCount - counts.EmptyTasks.Count;

        // As the solver: with as many parameters per example as measured tasks every example fits its column.
        var q = factor.Rank + (factor.HasExampleBias ? 1 : 0);
        var measured = cells.Count(c => c > 0);
        var few = cells.Count(c => c > 0 && c <= q);
        if (q >= measuredTasks || 2 * few <= measured)
        {
            return [];
        }

        // The solver's rule for its noise-adaptive penalty (mf, rank1; logistic's is fixed): with fewer residual degrees of
        // freedom than ten times an example's parameters in the other examples, the penalty stays at the data's scale.
        var degrees = cells.Where(c => c > q).Sum(c => (long)(c - q));
        var adaptive = factor.Method is not ModelMethod.Logistic && degrees < 10L * q;
        var additive = factor.Method is ModelMethod.Logistic ? ModelCatalog.NameOf(ModelMethod.LogisticAdditive) : ModelCatalog.NameOf(ModelMethod.Additive);

        // The rank at which the median measured example has more cells than parameters.
        var median = cells.Where(c => c > 0).Order().ElementAt(measured / 2);
        var suits = median - 1 - (factor.HasExampleBias ? 1 : 0);
        return [string.Create(CultureInfo.InvariantCulture,
            $"{few:N0} of the {measured:N0} measured examples of {source} were measured on no more tasks than the {q} {Echo.Plural(q, "parameter")} {ModelCatalog.NameOf(factor.Method)} rank {factor.Rank} fits for each (the median example on {median}): their factors cannot be learned from their own cells{(adaptive ? $", and with too few examples measured on more, the penalty shrinks the factors hard and the model predicts almost as the {additive} one does" : string.Empty)}. {(suits >= 1 ? $"Rank {suits} or lower suits this matrix" : $"The {additive} model suits this matrix")}.")];
    }

    // One warning per task feature block left out as constant over the training tasks: "task features: 'tasks.csv' is left
    // out, as it is constant over the training tasks (every training task has seed 0), so it carries no information; a new
    // task that differs there is warned about". Part of FitResult.Warnings, so fit, the service's fit job and Python say it.
    private static string[] LeftOutTaskFeatures(Core.Features.TaskFeatureModel model) => LeftOut("task", model.ConstantViews, "training task", "new task");

    // The same for example feature blocks left out as constant over the measured examples ("example features: 'up600.csv
    // categories' is left out, as it is constant over the measured examples (every measured example has source
    // 'c-header'), ...").
    private static string[] LeftOutExampleFeatures(Core.Features.ExampleFeatureModel model) => LeftOut("example", model.ConstantViews, "measured example", "new example");

    private static string[] LeftOut(string what, IReadOnlyList<Core.Features.FeatureView> leftOut, string whose, string query) =>
        [.. leftOut.Select(view => $"{what} features: '{view.BlockName}' is left out, as it is constant over the {whose}s (every {whose} has {ConstantValues(view)}), so it carries no information; a {query} that differs there is warned about")];

    // "source 'c-header'", "seed 0, warmup 100", or for an embedding "the same row".
    private static string ConstantValues(Core.Features.FeatureView view)
    {
        if (view.Kind == Core.Features.FeatureKind.Embedding)
        {
            return "the same row";
        }

        var values = new List<string>();
        for (var c = 0; c < view.Columns.Count; c++)
        {
            if (view.Kind == Core.Features.FeatureKind.Numeric)
            {
                values.Add(string.Create(CultureInfo.InvariantCulture, $"{view.Columns[c]} {view.Shift[c]:G6}"));
            }
            else if (view.Shift[c] != 0)
            {
                var (column, level) = Core.Features.FeatureView.SplitLevel(view.Columns[c]);
                values.Add(column is null ? $"'{level}'" : $"{column} '{level}'");
            }
        }

        return values.Count == 0 ? "none of its levels" : string.Join(", ", values.Take(8)) + (values.Count > 8 ? ", ..." : string.Empty);
    }

    /// <summary>Saves a fitted model atomically with its provenance and the training matrix's summary.</summary>
    public static void Save(FitResult fit, string path)
    {
        ArgumentNullException.ThrowIfNull(fit);
        ModelFile.Save(fit.Model, path, fit.Provenance.ToMetadata(), MatrixSummary.ForModel(fit.Matrix, fit.Model), fit.TaskFeatures, fit.ExampleFeatures);
    }

    /// <summary>Fits, scores and saves the model (<see cref="Fit"/>, then <see cref="Save"/>).</summary>
    public static FitResult FitAndSave(FitRequest request, string path)
    {
        var fit = Fit(request);
        Save(fit, path);
        return fit;
    }
}

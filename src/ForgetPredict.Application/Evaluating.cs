using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using ForgetPredict.Core;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Application;

/// <summary>What to evaluate: methods on a matrix under the published protocol.</summary>
public sealed record EvaluateRequest
{
    /// <summary>The matrix.</summary>
    public required ForgettingMatrix Matrix { get; init; }

    /// <summary>The matrix's file name, for messages.</summary>
    public required string Source { get; init; }

    /// <summary>The file the matrix was read from, recorded in the report's settings with its SHA-256; null: not recorded.</summary>
    public string? InputPath { get; init; }

    /// <summary>Which tasks are held out, given directly; null: chosen by <see cref="SplitBy"/>.</summary>
    public EvaluationSplit? Split { get; init; }

    /// <summary>How to choose the held-out tasks when <see cref="Split"/> is null (null: <see cref="SplitRequest.DefaultTestFraction"/> at random).</summary>
    public SplitRequest? SplitBy { get; init; }

    /// <summary>Method names (<see cref="Evaluating.MethodNames"/>); null: <see cref="Evaluating.DefaultMethods"/>.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>Reveal count, seeds, metrics and threads (<see cref="EvaluationOptions.MaxThreads"/> also bounds the methods' fits).</summary>
    public EvaluationOptions Options { get; init; } = new();

    /// <summary>
    /// The numbers of revealed cells to evaluate at, each in turn (a curve of error against k, each method fitted once);
    /// null: <see cref="EvaluationOptions.Known"/> alone.
    /// </summary>
    public IReadOnlyList<int>? Known { get; init; }

    /// <summary>Other predictors' predictions for the test tasks, aligned already, scored on the same cells at every draw and k.</summary>
    public IReadOnlyList<ExternalPredictions> Externals { get; init; } = [];

    /// <summary>
    /// Other predictors' predictions as files, read and aligned by task and example id: one file, or one per draw and/or k
    /// (<see cref="ExternalFile.DrawPlaceholder"/>, <see cref="ExternalFile.KnownPlaceholder"/>).
    /// </summary>
    public IReadOnlyList<ExternalFile> ExternalFiles { get; init; } = [];

    /// <summary>
    /// Accept <see cref="ExternalFiles"/> that lack some of the cells to be scored: every method is then scored on the cells every
    /// external covers, and the report says so. False (the default) refuses them.
    /// </summary>
    public bool AllowPartial { get; init; }

    /// <summary>
    /// The files the front end writes from the run (its results, every prediction): each is refused when an external reads
    /// it, named or as one of the files its pattern expands to, for writing it would destroy the predictions scored.
    /// </summary>
    public IReadOnlyList<EvaluationOutput> Outputs { get; init; } = [];

    /// <summary>
    /// The fold-in prior of our methods (<see cref="FoldInPrior.Empirical"/>, the default; <see cref="FoldInPrior.Ridge"/> is
    /// science.md's ridge fold-in, which gives what refitting with the new row gives). The feature methods fold in from their
    /// features' prior whatever this says; the reference methods refit.
    /// </summary>
    public FoldInPrior Prior { get; init; } = FoldInPrior.Empirical;

    /// <summary>Told each method's fraction done, or null.</summary>
    public IProgress<(string Method, double Fraction)>? Progress { get; init; }

    /// <summary>Given every prediction as it is scored, or null.</summary>
    public Action<PredictionRecord>? OnPrediction { get; init; }

    /// <summary>
    /// Features of every task of the matrix (aligned by id), or null: each factor method that can use them (task-mean, additive,
    /// rank1, mf) also runs as "NAME+features".
    /// </summary>
    public FeatureSet? TaskFeatures { get; init; }

    /// <summary>Features of the matrix's examples, or null: with <see cref="TaskFeatures"/>, adds the representation baseline.</summary>
    public FeatureSet? ExampleFeatures { get; init; }

    /// <summary>Whether the matrix is scored as binary: <see cref="EvaluationOptions.Binary"/>, else a 0/1 matrix.</summary>
    public bool IsBinary => Options.Binary ?? Matrix.IsBinary;

    /// <summary>The methods that run: <see cref="Methods"/>, or the defaults for the matrix.</summary>
    public IReadOnlyList<string> MethodNames => Methods ?? Evaluating.DefaultMethods(IsBinary);
}

/// <summary>The names the evaluation use case's messages give the request's settings, for front ends to word as their own (a flag, a field).</summary>
public static class EvaluateOptionNames
{
    /// <summary><see cref="SplitRequest.TestRows"/>.</summary>
    public const string TestRows = "SplitRequest.TestRows";

    /// <summary><see cref="SplitRequest.TestTasks"/>.</summary>
    public const string TestTasks = "SplitRequest.TestTasks";

    /// <summary><see cref="SplitRequest.TestFraction"/>.</summary>
    public const string TestFraction = "SplitRequest.TestFraction";

    /// <summary><see cref="SplitRequest.SplitSeed"/>.</summary>
    public const string SplitSeed = "SplitRequest.SplitSeed";

    /// <summary><see cref="SplitRequest.Families"/>: the task metadata giving each task's family.</summary>
    public const string Families = "SplitRequest.Families";

    /// <summary><see cref="SplitRequest.TestFamily"/>.</summary>
    public const string TestFamily = "SplitRequest.TestFamily";

    /// <summary><see cref="SplitRequest.TrainFamily"/>.</summary>
    public const string TrainFamily = "SplitRequest.TrainFamily";

    /// <summary><see cref="EvaluateRequest.Methods"/>.</summary>
    public const string Methods = "EvaluateRequest.Methods";

    /// <summary><see cref="EvaluateRequest.Known"/>: the numbers of revealed cells.</summary>
    public const string Known = "EvaluateRequest.Known";

    /// <summary><see cref="EvaluateRequest.ExternalFiles"/>.</summary>
    public const string ExternalFiles = "EvaluateRequest.ExternalFiles";

    /// <summary><see cref="EvaluateRequest.AllowPartial"/>.</summary>
    public const string AllowPartial = "EvaluateRequest.AllowPartial";

    /// <summary>The file of the run's results (an <see cref="EvaluationOutput"/>).</summary>
    public const string ResultsFile = "EvaluateRequest.Outputs.Results";

    /// <summary>The file of every prediction scored (an <see cref="EvaluationOutput"/>).</summary>
    public const string PredictionsFile = "EvaluateRequest.Outputs.Predictions";

    /// <summary><see cref="EvaluationOptions.Seeds"/>: the reveal draws.</summary>
    public const string Seeds = "EvaluationOptions.Seeds";
}

/// <summary>
/// An evaluation checked and ready to run (<see cref="Evaluating.Plan"/>): the split, the methods, the external predictions read
/// and checked, and what the user should be told before it runs. Nothing has been fitted yet.
/// </summary>
public sealed class EvaluationPlan
{
    internal EvaluationPlan(EvaluateRequest request, ChosenSplit split, EvaluationOptions options, IReadOnlyList<int> known, IReadOnlyList<IEvaluationMethod> methods,
        IReadOnlyList<ExternalReport> externals, IReadOnlyList<OptionMessage> warnings, Func<int, IReadOnlyList<ExternalPredictions>> externalsAt)
    {
        Request = request;
        Split = split;
        Options = options;
        Known = known;
        Methods = methods;
        Externals = externals;
        Warnings = warnings;
        ExternalsAt = externalsAt;
    }

    /// <summary>The request planned.</summary>
    public EvaluateRequest Request { get; }

    /// <summary>The training and test tasks, and how they were chosen.</summary>
    public ChosenSplit Split { get; }

    /// <summary>The protocol's options, checked (binary resolved; <see cref="EvaluationOptions.Known"/> is the first of <see cref="Known"/>).</summary>
    public EvaluationOptions Options { get; }

    /// <summary>The numbers of revealed cells, run in turn.</summary>
    public IReadOnlyList<int> Known { get; }

    /// <summary>The methods that run, in order (the named ones, then those the features add).</summary>
    public IReadOnlyList<IEvaluationMethod> Methods { get; }

    /// <summary>The external predictors read from files, with their coverage.</summary>
    public IReadOnlyList<ExternalReport> Externals { get; }

    /// <summary>What the user should know about the run (the split, the external files), each naming the settings that would change it.</summary>
    public IReadOnlyList<OptionMessage> Warnings { get; }

    internal Func<int, IReadOnlyList<ExternalPredictions>> ExternalsAt { get; }
}

/// <summary>An evaluation's results with everything needed to reproduce them.</summary>
/// <param name="Results">One result per number of revealed cells, in the order asked.</param>
/// <param name="Settings">The split, k, seeds, methods' settings, externals and input that produced them.</param>
/// <param name="Warnings">What the user was told about the run (<see cref="EvaluationPlan.Warnings"/>).</param>
public sealed record EvaluationReport(IReadOnlyList<EvaluationResult> Results, EvaluationSettings Settings, IReadOnlyList<OptionMessage> Warnings);

/// <summary>A method's settings as it ran, and what it chose where it chooses (auto, an ensemble).</summary>
/// <param name="Name">The method.</param>
/// <param name="Settings">Its settings by name (snake_case; values are numbers, strings, booleans or lists of them).</param>
public sealed record MethodSettings(string Name, IReadOnlyList<KeyValuePair<string, object>> Settings)
{
    /// <summary>What it fitted at each k, where it says (<see cref="MethodResult.Fitted"/>): auto's choice, an ensemble's weights.</summary>
    public IReadOnlyList<(int Known, string Fitted)> Fitted { get; init; } = [];
}

/// <summary>Everything an evaluation ran with, so that a reader can reproduce it: the input, the split, k, seeds, reveal, and every method's settings.</summary>
public sealed record EvaluationSettings
{
    /// <summary>The matrix file (<see cref="EvaluateRequest.InputPath"/>), or null.</summary>
    public string? Input { get; init; }

    /// <summary>The SHA-256 (hex) of the matrix file, or null.</summary>
    public string? InputSha256 { get; init; }

    /// <summary>The engine's version (with its commit).</summary>
    public required string EngineVersion { get; init; }

    /// <summary>The split: how it was chosen, with its fraction, seed and families where they apply.</summary>
    public required ChosenSplit Split { get; init; }

    /// <summary>The training tasks' ids.</summary>
    public required IReadOnlyList<string> TrainTasks { get; init; }

    /// <summary>The test tasks' ids.</summary>
    public required IReadOnlyList<string> TestTasks { get; init; }

    /// <summary>The numbers of revealed cells.</summary>
    public required IReadOnlyList<int> Known { get; init; }

    /// <summary>The protocol's options (seeds, base seed, reveal strategy and random draws, top fraction, threshold, binary).</summary>
    public required EvaluationOptions Options { get; init; }

    /// <summary>K of precision@K.</summary>
    public int TopK { get; init; }

    /// <summary>Each method's settings, in the order run.</summary>
    public required IReadOnlyList<MethodSettings> Methods { get; init; }

    /// <summary>The external predictors read from files.</summary>
    public required IReadOnlyList<ExternalReport> Externals { get; init; }

    /// <summary>The names of the externals given aligned already (<see cref="EvaluateRequest.Externals"/>).</summary>
    public IReadOnlyList<string> AlignedExternals { get; init; } = [];

    /// <summary>Whether partial external coverage was allowed (<see cref="EvaluateRequest.AllowPartial"/>).</summary>
    public bool AllowPartial { get; init; }

    /// <summary>The fold-in prior of our methods (<see cref="EvaluateRequest.Prior"/>).</summary>
    public FoldInPrior Prior { get; init; }

    /// <summary>Whether it applied: an external lacked cells, so every method was scored only on the cells every external covers.</summary>
    public bool PartialApplied => Externals.Any(e => e.PartialNote is not null);
}

/// <summary>The evaluation use case: the published protocol over our methods, the reference ones and external predictions.</summary>
public static class Evaluating
{
    private static readonly string[] s_continuousDefaults = ["additive", "rank1", "mf", "knn"];
    private static readonly string[] s_binaryDefaults = ["logistic-additive", "logistic", "mf"];
    private static readonly string[] s_featureMethods = ["task-mean", "additive", "rank1", "mf"];

    /// <summary>Every method name: the model catalog's, then the reference implementations'.</summary>
    public static IReadOnlyList<string> MethodNames { get; } = [.. ModelCatalog.Names.Concat(ReferenceMethods.Names)];

    /// <summary>
    /// The header of a file of every prediction an evaluation scored (the command line's <c>--predictions</c>): one row per
    /// method, draw (<c>seed</c>, 0, 1, ...), test task and example. Such a file is refused as an external predictor's.
    /// </summary>
    public const string PredictionsHeader = "method,seed,task,example,predicted,actual,revealed";

    /// <summary>The methods evaluated when none are named.</summary>
    public static IReadOnlyList<string> DefaultMethods(bool binary) => binary ? s_binaryDefaults : s_continuousDefaults;

    /// <summary>"Unknown method 'x'; did you mean 'y'? Methods: ...".</summary>
    public static string UnknownMethodMessage(string name) =>
        $"Unknown method '{name}'{Suggestion.AndList(name, MethodNames, "methods")}";

    /// <summary>The evaluation method named <paramref name="name"/>, checked against the matrix.</summary>
    /// <exception cref="UnknownNameException">No method has that name.</exception>
    /// <exception cref="ArgumentException">The method needs a binary matrix and this one is not.</exception>
    /// <param name="name">The method's name.</param>
    /// <param name="matrix">The matrix it will be evaluated on.</param>
    /// <param name="source">The matrix's file name, for messages.</param>
    /// <param name="known">Cells revealed per test task: what the self-tuning methods (auto, ensemble) simulate.</param>
    /// <param name="maxThreads">Worker threads of its fits (-1: all cores); the results are the same for every value.</param>
    /// <param name="prior">The fold-in prior of our methods (the reference methods refit).</param>
    public static IEvaluationMethod CreateMethod(string name, ForgettingMatrix matrix, string source, int known = 30, int maxThreads = -1, FoldInPrior prior = FoldInPrior.Empirical)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (ReferenceMethods.Names.Contains(name))
        {
            return ReferenceMethods.Create(name);
        }

        if (!ModelCatalog.Names.Contains(name))
        {
            throw new UnknownNameException("method", name, UnknownMethodMessage(name));
        }

        Fitting.CheckMatrix(name, matrix, source);
        var options = prior == FoldInPrior.Empirical ? null : new FoldInOptions { Prior = prior };
        return ModelCatalog.MethodOf(name) == ModelMethod.Ensemble
            ? new KnownTunedFoldInMethod(name, k => ModelCatalog.CreateFitter(name, new ModelSettings { Known = k, MaxThreads = maxThreads }), known, options)
            : new FoldInMethod(name, ModelCatalog.CreateFitter(name, new ModelSettings { Known = known, MaxThreads = maxThreads }), options);
    }

    /// <summary>Runs the protocol at <see cref="EvaluationOptions.Known"/> revealed cells.</summary>
    /// <param name="request">The evaluation.</param>
    /// <param name="cancellationToken">Stops the run (the methods' fits between solver sweeps, the test rows between rows).</param>
    /// <exception cref="ArgumentException">A method is unknown or does not suit the matrix, or the split, an option or an external file is invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static EvaluationResult Evaluate(EvaluateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Run(request with { Known = [request.Options.Known] }, cancellationToken).Results[0];
    }

    /// <summary>Runs the protocol at each of <paramref name="known"/> revealed cells (every method fitted once): the curve of error against k.</summary>
    /// <param name="request">The evaluation.</param>
    /// <param name="known">The numbers of revealed cells.</param>
    /// <param name="cancellationToken">Stops the run (the methods' fits between solver sweeps, the test rows between rows).</param>
    /// <exception cref="ArgumentException">A method is unknown or does not suit the matrix, a k is negative, or the split, an option or an external file is invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static IReadOnlyList<EvaluationResult> EvaluateCurve(EvaluateRequest request, IReadOnlyList<int> known, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Run(request with { Known = known }, cancellationToken).Results;
    }

    /// <summary>Plans and runs the evaluation (<see cref="Plan"/>, then <see cref="Run(EvaluationPlan, IProgress{ValueTuple{string, double}}?, CancellationToken)"/>).</summary>
    /// <param name="request">The evaluation.</param>
    /// <param name="cancellationToken">Stops the run (the methods' fits between solver sweeps, the test rows between rows).</param>
    /// <exception cref="ArgumentException">A method is unknown or does not suit the matrix, or the split, an option or an external file is invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static EvaluationReport Run(EvaluateRequest request, CancellationToken cancellationToken = default) => Run(Plan(request), cancellationToken: cancellationToken);

    /// <summary>
    /// Checks everything an evaluation needs before anything is fitted: the options and k, the split (and what it leaves to be
    /// desired), the methods, the externals' names, and their files (read, aligned to the test tasks by id, and checked against
    /// the cells that will be scored).
    /// </summary>
    /// <exception cref="OptionException">A setting cannot be used (the message names it): two splits, a split setting its split
    /// does not use, a row or task that is not in the matrix, a k listed twice, an external named as a method or as another external.</exception>
    /// <exception cref="Data.ForgettingDataException">An external file is missing, matches none of the test tasks or examples by id,
    /// holds a value that cannot be scored, or (without <see cref="EvaluateRequest.AllowPartial"/>) lacks cells that will be scored.</exception>
    /// <exception cref="ArgumentException">A method is unknown or does not suit the matrix.</exception>
    public static EvaluationPlan Plan(EvaluateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var known = request.Known ?? [request.Options.Known];
        var knownOption = new OptionReference(EvaluateOptionNames.Known);
        if (known.Count == 0)
        {
            throw new OptionException(OptionMessage.Of($"{knownOption} lists no number of revealed cells; give e.g. 30 or 0,5,10,30."));
        }

        foreach (var k in known.Where(k => k < 0).Take(1))
        {
            throw new OptionException(OptionMessage.Of($"{knownOption}: {k} is not a number of revealed cells; give whole numbers of 0 or more."));
        }

        foreach (var k in known.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => g.Key).Take(1))
        {
            throw new OptionException(OptionMessage.Of($"{knownOption} lists {k} twice."));
        }

        var matrix = request.Matrix;
        CheckThreshold(request);
        try
        {
            // A cell beyond 1e9 times the typical magnitude is refused once, on the whole matrix, naming its file: the
            // training tasks' fits and auto's cross-validation folds had refused it against their own typical magnitude.
            Core.Analysis.ExtremeCells.CheckRefusal(matrix);
        }
        catch (ArgumentException e) when (e.ParamName == "matrix" && e is not OptionException)
        {
            throw Forecasting.From(request.Source, e, nameof(request));
        }

        request.Options.ValidateFor(matrix);
        var options = request.Options with { Binary = request.IsBinary, Known = known[0] };
        options.Validate();
        var split = request.Split is { } given
            ? new ChosenSplit(given, SplitKind.Given, EvaluationSplits.Check(matrix, given))
            : EvaluationSplits.Choose(matrix, request.SplitBy ?? new SplitRequest(), options.RevealRandom);
        var methods = Methods(request);
        CheckNames(request, methods);
        // What a fit of the training tasks is told (extreme cells, examples no training task measured, training tasks with no
        // cell), as the protocol's fits see them: the whole matrix's had left unsaid the examples measured on test tasks
        // alone, which every method predicts as the average measured example. An extreme cell of a test task, which the
        // scores read, is named from the whole matrix.
        var warnings = new List<OptionMessage>(split.Warnings);
        if (request.IsBinary && NoForgottenTestCell(matrix, split.Split.TestRows) is { } cells)
        {
            // Recall is 0 / 0 with no forgotten cell to find; Metrics.Classification reads it as 0 (scikit-learn's
            // zero_division default), and F1 with it, which had looked like a method that finds nothing.
            warnings.Add(OptionMessage.Of(
                $"no test cell of {request.Source} is forgotten: the {cells:N0} observed cells of its {split.Split.TestRows.Length} test tasks are all 0, so recall and F1 read 0 for every method at any threshold (here {new OptionReference(EvaluationOptionNames.Threshold, request.Options.Threshold.ToString(CultureInfo.InvariantCulture))}): with no forgotten cell to find, recall is 0 / 0, read as 0 (scikit-learn's zero_division convention), F1 follows it, and ROC-AUC has no value. Hold out tasks that forget some examples (another {new OptionReference(EvaluateOptionNames.SplitSeed)} or {new OptionReference(EvaluateOptionNames.TestTasks)}), or compare the methods on precision, RMSE and MAE."));
        }
        else if (request.IsBinary && options.Reveal == RevealStrategy.Random && DrawsScoringNoForgottenCell(matrix, split.Split, options, known) is { Count: > 0 } empty)
        {
            // The observed cells hold a 1, but the draws reveal it: the cells actually scored are all 0 (recall 0 / 0 again).
            var (k, draws) = empty[0];
            var atKnown = empty.Count == 1 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" (and at {string.Join(", ", empty.Skip(1).Select(e => $"{e.Known} known: {e.Draws} of {options.Seeds}"))})");
            warnings.Add(OptionMessage.Of(
                $"{draws} of the {options.Seeds} draws at {new OptionReference(EvaluationOptionNames.Known, k.ToString(CultureInfo.InvariantCulture))} score no forgotten cell{atKnown}: the test tasks' forgotten cells of {request.Source} are all revealed there, so every scored cell is 0 and recall and F1 read 0 for every method in {(draws == 1 ? "that draw" : "those draws")}: with no forgotten cell to find, recall is 0 / 0, read as 0 (scikit-learn's zero_division convention), F1 follows it, and ROC-AUC has no value. Reveal fewer cells, hold out tasks that forget more examples (another {new OptionReference(EvaluateOptionNames.SplitSeed)} or {new OptionReference(EvaluateOptionNames.TestTasks)}), or compare the methods on precision, RMSE and MAE."));
        }

        var train = matrix.SelectTasks(split.Split.TrainRows);
        if (train.ObservedCount == 0)
        {
            // Every method fits the training tasks: with no cell among them, each fit had said "Every cell of the matrix is
            // missing", naming no file, of a matrix that has observed cells (on the test tasks).
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{request.Source}: the {train.TaskCount} training tasks (every task but the {split.Split.TestRows.Length} test tasks) have no observed cell, so there is nothing to fit: the matrix's {matrix.ObservedCount:N0} observed cells are all on the test tasks. Hold out other tasks, or measure the training tasks."), nameof(request));
        }

        var fitWarnings = Fitting.MatrixWarnings(train, string.Create(CultureInfo.InvariantCulture, $"the {train.TaskCount} training tasks of {request.Source}"), fromFeatures: false, singleTask: train.TaskCount > 1, tasks: true);
        warnings.AddRange(fitWarnings.Select(OptionMessage.Plain));
        if (Core.Analysis.ExtremeCells.Find(train) is null && Fitting.ExtremeCellWarning(matrix, request.Source) is { } extreme)
        {
            warnings.Add(OptionMessage.Plain(extreme));
        }
        if (options.Reveal == RevealStrategy.Active && options.ActiveCriterion == ActiveCriterion.Neighbours
            && methods.Select(m => m.Name).Where(n => n is not ("mf" or "example-mean")).ToList() is { Count: > 0 } biased)
        {
            // Found by a QA pass: on charlm-b (38 training, 9 test tasks, 30 cells) additive scored 0.2396, knn 0.2293 and auto
            // 0.2227 against 0.1849 for example-mean, which reads no cell, and 0.1280 for mf, the design's own model.
            warnings.Add(OptionMessage.Plain($"the neighbours criterion chooses each cell from the values measured before it, so the revealed cells are not a sample of the row, and methods other than mf (the design's own model) can score worse with them than with no cell at all ({string.Join(", ", biased)} here). Compare those on random or v-optimal reveals."));
        }

        if (ReferenceCostWarning(methods, train, split.Split.TestRows.Length, options.Seeds, known.Count) is { } slow)
        {
            warnings.Add(slow);
        }

        if (options.Reveal == RevealStrategy.Active && options.Seeds > 1)
        {
            // A design chooses one set of cells per test task and split (it draws nothing), so every draw reveals the same.
            warnings.Add(OptionMessage.Of($"an active design chooses the same cells on every draw (active designs are one per split), so the {options.Seeds} draws ({new OptionReference(EvaluateOptionNames.Seeds, options.Seeds.ToString(CultureInfo.InvariantCulture))}) repeat the same reveals and the run takes {options.Seeds} times as long for one draw's scores; give {new OptionReference(EvaluateOptionNames.Seeds, "1")} (to vary the reveals, compare splits)."));
        }

        IReadOnlyList<ExternalReport> reports = [];
        Func<int, IReadOnlyList<ExternalPredictions>> fromFiles = _ => [];
        if (request.ExternalFiles.Count > 0)
        {
            var loaded = ExternalPredictionFiles.Read(matrix, split.Split, options, known, request.ExternalFiles, request.AllowPartial, request.IsBinary, request.Outputs);
            reports = loaded.Reports;
            fromFiles = loaded.At;
            warnings.AddRange(loaded.Warnings);
        }

        var aligned = request.Externals;
        return new EvaluationPlan(request, split, options, known, methods, reports, warnings, k => [.. aligned, .. fromFiles(k)]);
    }

    /// <summary>Runs a planned evaluation: every method fitted on the training tasks and scored at each k.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="progress">Told each method's fraction done; null: the request's <see cref="EvaluateRequest.Progress"/>.</param>
    /// <param name="cancellationToken">Stops the run (the methods' fits between solver sweeps, the test rows between rows).</param>
    /// <exception cref="ArgumentException">Nothing can be scored, or a method cannot fit the training tasks.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static EvaluationReport Run(EvaluationPlan plan, IProgress<(string Method, double Fraction)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var r = plan.Request;
        progress ??= r.Progress;
        var split = plan.Split.Split;
        IReadOnlyList<EvaluationResult> results = plan.Known.Count == 1
            ? [Protocol.Run(r.Matrix, split, plan.Methods, plan.Options, plan.ExternalsAt(plan.Known[0]), progress, r.OnPrediction, cancellationToken)]
            : EvaluationCurve.Run(r.Matrix, split, plan.Methods, plan.Known, plan.Options, plan.ExternalsAt, progress, r.OnPrediction, cancellationToken);
        // A method run by default that could not be fitted is named with the reason (once, though a curve skips it at every k).
        var skipped = results.SelectMany(r => r.Skipped).DistinctBy(m => m.Name).Select(m =>
            OptionMessage.Plain($"{m.Name} was left out of the evaluation (it runs by default, and could not be fitted on the training tasks): {m.Reason}"));
        return new EvaluationReport(results, Settings(plan, results), [.. plan.Warnings, .. skipped, .. ShortRowWarnings(r.Matrix, results, plan.Options.Seeds)]);
    }

    // For each known count (in the order given), how many random draws score no forgotten cell: every observed test cell above
    // 0.5 is revealed, so the cells scored (observed, not revealed) are all 0. Only counts with such draws are listed.
    private static List<(int Known, int Draws)> DrawsScoringNoForgottenCell(ForgettingMatrix matrix, EvaluationSplit split, EvaluationOptions options, IReadOnlyList<int> known)
    {
        var found = new List<(int Known, int Draws)>();
        foreach (var k in known)
        {
            var reveals = Protocol.Reveals(matrix, split, options with { Known = k });
            var draws = 0;
            foreach (var draw in reveals)
            {
                var positive = false;
                for (var t = 0; t < split.TestRows.Length && !positive; t++)
                {
                    var row = matrix.Row(split.TestRows[t]);
                    var revealed = draw[t];
                    for (var j = 0; j < row.Length && !positive; j++)
                    {
                        positive = row[j] > 0.5f && Array.BinarySearch(revealed, j) < 0;
                    }
                }

                draws += positive ? 0 : 1;
            }

            if (draws > 0)
            {
                found.Add((k, draws));
            }
        }

        return found;
    }

    // The number of observed cells of the test tasks when none of them is forgotten (above 0.5 on a 0/1 matrix), else null.
    private static long? NoForgottenTestCell(ForgettingMatrix matrix, int[] testRows)
    {
        long observed = 0;
        foreach (var row in testRows)
        {
            foreach (var v in matrix.Row(row))
            {
                if (v > 0.5f)
                {
                    return null;
                }

                observed += float.IsNaN(v) ? 0 : 1;
            }
        }

        return observed;
    }

    /// <summary>Cell updates per method and run from which <see cref="ReferenceCostWarning"/> speaks: 2 x 10^11, about half an
    /// hour of the reference methods' SGD at the development machine's 8-13 ns an update.</summary>
    internal const double SlowReferenceUpdates = 2e11;

    // The reference methods refit the reference stack's SGD (1,000 epochs over every training cell) for each test task, draw
    // and k, single-threaded as Surprise does: on 85 x 141,816 cells a QA pass measured 1.6 hours a draw, with no word before.
    // On charlm-b (32 training tasks, 76,800 cells, 15 test tasks) a draw takes 9.5-14.6 s: 8-13 ns a cell update.
    internal static OptionMessage? ReferenceCostWarning(IReadOnlyList<IEvaluationMethod> methods, ForgettingMatrix train, int testTasks, int seeds, int ks)
    {
        var references = methods.Select(m => m.Name).Where(ReferenceMethods.Names.Contains).ToArray();
        var updates = (double)train.ObservedCount * ReferenceMethods.Epochs * testTasks * seeds * ks;
        if (references.Length == 0 || updates < SlowReferenceUpdates)
        {
            return null;
        }

        static string Duration(double seconds) => seconds < 3600
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:N0} minutes")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:N1} hours");
        var power = (int)Math.Floor(Math.Log10(updates));
        var count = string.Create(CultureInfo.InvariantCulture, $"{updates / Math.Pow(10, power):0.0} x 10^{power}");
        var runs = string.Create(CultureInfo.InvariantCulture, $"{testTasks} test {Echo.Plural(testTasks, "task")} x {seeds} {Echo.Plural(seeds, "draw")}{(ks > 1 ? $" x {ks} values of k" : "")}");
        return OptionMessage.Of(
            $"{string.Join(", ", references)} refit the reference stack's SGD ({ReferenceMethods.Epochs:N0} epochs over the {train.ObservedCount:N0} training cells) for each of {runs}, single-threaded as Surprise does: {count} cell updates each, about {Duration(updates * 8e-9)} to {Duration(updates * 13e-9)} each at the 8-13 ns an update of a 2-core machine. To compare with the reference on a matrix this size, give {new OptionReference(EvaluateOptionNames.Seeds, "1")} and fewer test tasks.");
    }

    // The classification threshold (EvaluationOptions.Threshold) cuts the predictions of a binary matrix for F1, precision and
    // recall; a continuous matrix's scores never read it, so one set there would silently change nothing.
    private static void CheckThreshold(EvaluateRequest request)
    {
        var threshold = request.Options.Threshold;
        var option = new OptionReference(EvaluationOptionNames.Threshold);
        if (!double.IsFinite(threshold))
        {
            throw new OptionException(OptionMessage.Of(
                $"{option} must be a finite number (it is {threshold.ToString(CultureInfo.InvariantCulture)}): a prediction above it counts as forgotten (0.5 for probabilities, 0 for logits)."));
        }

        if (threshold != EvaluationOptions.DefaultThreshold && !request.IsBinary)
        {
            throw new OptionException(OptionMessage.Of(
                $"{option} is the classification threshold on the predictions of a binary (0/1) matrix, for F1, precision and recall; {request.Source} is not binary, so its scores (RMSE, MAE, Spearman, precision@K) do not use it and it would change nothing. Leave it out."));
        }
    }

    // Rows with at most K cells to score rank nothing, so precision@K and recall@K leave them out (EvaluationResult.ShortRows).
    // The count is of the cells every predictor shares; an external scored on fewer cells of its own can lose more rows.
    private static IEnumerable<OptionMessage> ShortRowWarnings(ForgettingMatrix matrix, IReadOnlyList<EvaluationResult> results, int seeds)
    {
        foreach (var result in results)
        {
            var pairs = result.TestRows.Length * seeds;
            var at = results.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $"with {result.Options.Known} known cells, ") : "";
            if (result.UnscoredRows.Count > 0)
            {
                var ids = result.UnscoredRows.Select(r => matrix.TaskIds[r]).ToArray();
                var which = ids.Length == 1 ? $"test task {Ids.List(ids)} had" : $"test tasks {Ids.List(ids)} had";
                var cause = result.Externals.Count > 0 ? "every observed cell was revealed, or the rest lack a prediction from an external" : $"every cell they were measured on was revealed (at most {result.Options.Known})";
                yield return OptionMessage.Of(
                    $"{at}{which} no cell left to score in {result.UnscoredPairs} of the {pairs} test tasks and draws: {cause}, so they count among the test tasks but add nothing to those scores. Hold out tasks measured on more cells, or reveal fewer ({new OptionReference(EvaluationOptionNames.Known)}).");
            }

            if (result.ShortRows > 0)
            {
                yield return OptionMessage.Of(
                    $"{at}{result.ShortRows} of the {pairs} test tasks and draws have at most K = {result.TopK} cells left to score (the rest revealed or missing), where every ranking would pick them all: precision@K and recall@K leave them out{(result.ShortRows == pairs ? ", so they have no value" : "")}. A smaller {new OptionReference(EvaluationOptionNames.TopFraction)} scores them.");
            }

            foreach (var own in result.Methods.Concat(result.Externals.Select(e => e.Result)).Where(m => m.ShortRows > result.ShortRows))
            {
                var kind = result.Externals.Any(e => e.Result.Name == own.Name) ? "external " : "";
                yield return OptionMessage.Of(
                    $"{at}{kind}{own.Name} leaves some cells to be scored without a prediction, so it is scored on fewer cells: {own.ShortRows} of the {pairs} test tasks and draws have at most K = {result.TopK} of its cells left ({result.ShortRows} of every predictor's), and its precision@K and recall@K leave them out{(own.ShortRows == pairs ? ", so they have no value" : "")}. A smaller {new OptionReference(EvaluationOptionNames.TopFraction)} scores them.");
            }
        }
    }

    /// <summary>
    /// The methods a request runs: the named ones, then with task features "NAME+features" for each factor method named, and
    /// with example features too the representation baseline.
    /// </summary>
    /// <exception cref="ArgumentException">A method is unknown or does not suit the matrix, or example features come without task features.</exception>
    public static IReadOnlyList<IEvaluationMethod> Methods(EvaluateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var threads = request.Options.MaxThreads;
        // Methods run by default (none named) are left out with a warning when they cannot be fitted on the training tasks
        // (rank1's fit collapses on a 3 x 4 matrix): the user did not ask for them, and the others still answer.
        var byDefault = request.Methods is null;
        var methods = request.MethodNames.Select(name => CreateMethod(name, request.Matrix, request.Source, request.Options.Known, threads, request.Prior)).ToList();
        if (request.TaskFeatures is not { } tasks)
        {
            return request.ExampleFeatures is null ? Defaulted(methods)
                : throw new ArgumentException("Example features are used together with task features (by the representation baseline); give task features too.", nameof(request));
        }

        var featureOptions = new TaskFeatureOptions { MaxThreads = threads };
        foreach (var name in request.MethodNames.Where(n => s_featureMethods.Contains(n)))
        {
            methods.Add(new FeatureFoldInMethod(name + "+features", ModelCatalog.CreateFitter(name, new ModelSettings { MaxThreads = threads }), tasks, featureOptions));
        }

        if (request.MethodNames.Contains("ensemble"))
        {
            methods.Add(new FeatureEnsembleMethod(tasks, request.Options.Known, new EnsembleOptions().CrossValidation with { MaxThreads = threads }, featureOptions));
        }

        if (request.ExampleFeatures is { } examples)
        {
            methods.Add(new RepresentationMethod(tasks, examples));
        }

        return Defaulted(methods);

        // Every method of a run with none named, the +features variants of the defaults too, may be left out.
        List<IEvaluationMethod> Defaulted(List<IEvaluationMethod> all) => byDefault ? [.. all.Select(Skippable)] : all;
    }

    private static IEvaluationMethod Skippable(IEvaluationMethod method) =>
        method is IKnownTunedMethod tuned ? new SkippableTunedMethod(tuned) : new SkippableMethod(method);

    // A method the run leaves out, with the reason, when it cannot be fitted on the training tasks (IEvaluationMethod.SkipIfUnfittable).
    private sealed class SkippableMethod(IEvaluationMethod method) : IEvaluationMethod
    {
        public string Name => method.Name;

        public bool SkipIfUnfittable => true;

        public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default) => method.Prepare(train, cancellationToken);
    }

    // The same for a method tuned for the number of known cells (auto, ensemble), which stays one.
    private sealed class SkippableTunedMethod(IKnownTunedMethod method) : IKnownTunedMethod
    {
        public string Name => method.Name;

        public bool SkipIfUnfittable => true;

        public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default) => method.Prepare(train, cancellationToken);

        public IRowPredictor Prepare(ForgettingMatrix train, int known, CancellationToken cancellationToken = default) => method.Prepare(train, known, cancellationToken);
    }

    /// <summary>
    /// The settings method <paramref name="name"/> runs with under evaluation, by name: rank, penalty, neighbours, seed, members
    /// or candidates where they apply; the reference methods' published settings.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object>> SettingsOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        const string features = "+features";
        if (name.EndsWith(features, StringComparison.Ordinal) && name != "ensemble+features")
        {
            return [.. SettingsOf(name[..^features.Length]), Pair("task_features", true)];
        }

        if (ReferenceMethods.Names.Contains(name))
        {
            var (sgd, knn) = ReferenceMethods.OptionsOf(name);
            var optimiser = new KeyValuePair<string, object>[]
            {
                Pair("sgd_epochs", sgd.Epochs), Pair("sgd_learning_rate", sgd.LearningRate), Pair("sgd_penalty", sgd.Regularization),
            };
            return knn is not null
                ? [Pair("neighbours", knn.Neighbors), Pair("similarity", "msd"), Pair("min_k", 1), Pair("baseline", "sgd"), .. optimiser]
                : sgd.Rank > 0 ? [Pair("rank", sgd.Rank), .. optimiser, Pair("init_std", sgd.InitStd), Pair("seed", sgd.Seed)] : optimiser;
        }

        var auto = new AutoOptions();
        var ensemble = new EnsembleOptions();
        return name switch
        {
            "additive" => [Pair("bias_lambda", Defaults.BiasLambda)],
            "rank1" => [Pair("lambda", Defaults.FactorLambda), Pair("seed", Defaults.Seed)],
            "mf" => [Pair("rank", Defaults.Rank), Pair("lambda", Defaults.FactorLambda), Pair("seed", Defaults.Seed)],
            "knn" => [Pair("neighbours", Defaults.Neighbors), Pair("bias_lambda", Defaults.BiasLambda)],
            "logistic" => [Pair("rank", Defaults.LogisticRank), Pair("lambda", "cross-validated"), Pair("lambda_grid", LogisticFitter.LambdaGrid), Pair("seed", Defaults.Seed)],
            "logistic-additive" => [Pair("lambda", "cross-validated"), Pair("lambda_grid", LogisticFitter.LambdaGrid), Pair("seed", Defaults.Seed)],
            "ensemble" => [Pair("members", ensemble.Members), Pair("folds", ensemble.CrossValidation.Folds), Pair("draws", ensemble.CrossValidation.Draws), Pair("seed", Defaults.Seed), Pair("tuned_for_known", true)],
            ModelCatalog.Auto => [Pair("mf_ranks", auto.Ranks), Pair("profile_ranks", auto.ProfileRanks), Pair("knn_interpolation_priors", auto.InterpolationPriors),
                Pair("folds", auto.CrossValidation.Folds), Pair("draws", auto.CrossValidation.Draws), Pair("seed", Defaults.Seed), Pair("tuned_for_known", true)],
            "ensemble+features" => [Pair("members", FeatureEnsembleMethod.MemberNames), Pair("tuned_for_known", true)],
            "representation" => [Pair("example_components", 32)],
            _ => [],
        };

        static KeyValuePair<string, object> Pair(string key, object value) => new(key, value);
    }

    // An external's name must tell it apart from every method and every other external in the table and the comparisons.
    private static void CheckNames(EvaluateRequest request, IReadOnlyList<IEvaluationMethod> methods)
    {
        var option = new OptionReference(EvaluateOptionNames.ExternalFiles);
        var names = methods.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var externals = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in request.Externals.Select(e => e.Name).Concat(request.ExternalFiles.Select(f => f.Name)))
        {
            if (names.Contains(name))
            {
                throw new OptionException(request.Methods is null
                    ? OptionMessage.Of($"{option}: '{name}' is also the name of a method evaluated (by default: {string.Join(", ", methods.Select(m => m.Name))}); give the external another name, so that the table and the comparisons tell them apart.")
                    : OptionMessage.Of($"{option}: '{name}' is also the name of a method evaluated ({new OptionReference(EvaluateOptionNames.Methods)} {string.Join(",", request.Methods)}); give the external another name, so that the table and the comparisons tell them apart."));
            }

            if (!externals.Add(name))
            {
                throw new OptionException(OptionMessage.Of($"{option} names two externals '{name}'; give each its own name."));
            }
        }
    }

    private static EvaluationSettings Settings(EvaluationPlan plan, IReadOnlyList<EvaluationResult> results)
    {
        var r = plan.Request;
        var z = r.Matrix;
        // A method left out at every k (a default that could not be fitted) ran with no settings: only its warning names it.
        var methods = plan.Methods.Where(m => !results.All(result => result.Skipped.Any(x => x.Name == m.Name))).Select(m => new MethodSettings(m.Name, SettingsOf(m.Name))
        {
            Fitted = [.. results.Select(result => (result.Options.Known, result.Methods.FirstOrDefault(x => x.Name == m.Name)?.Fitted)).Where(x => x.Fitted is not null).Select(x => (x.Known, x.Fitted!))],
        }).ToArray();
        return new EvaluationSettings
        {
            Input = r.InputPath,
            InputSha256 = r.InputPath is { } path && File.Exists(path) ? Sha256(path) : null,
            EngineVersion = EngineVersion,
            Split = plan.Split,
            TrainTasks = [.. plan.Split.Split.TrainRows.Select(i => z.TaskIds[i])],
            TestTasks = [.. plan.Split.Split.TestRows.Select(i => z.TaskIds[i])],
            Known = plan.Known,
            Options = plan.Options,
            TopK = results[0].TopK,
            Methods = methods,
            Externals = plan.Externals,
            AlignedExternals = [.. r.Externals.Select(e => e.Name)],
            AllowPartial = r.AllowPartial,
            Prior = r.Prior,
        };
    }

    /// <summary>The engine's version: the application assembly's informational version (the release and its commit).</summary>
    public static string EngineVersion { get; } =
        typeof(Evaluating).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? typeof(Evaluating).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

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

    /// <summary>Which tasks are held out.</summary>
    public required EvaluationSplit Split { get; init; }

    /// <summary>Method names (<see cref="Evaluating.MethodNames"/>); null: <see cref="Evaluating.DefaultMethods"/>.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>Reveal count, seeds, metrics.</summary>
    public EvaluationOptions Options { get; init; } = new();

    /// <summary>Other predictors' predictions for the test tasks, scored on the same cells.</summary>
    public IReadOnlyList<ExternalPredictions> Externals { get; init; } = [];

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

/// <summary>The evaluation use case: the published protocol over our methods, the reference ones and external predictions.</summary>
public static class Evaluating
{
    private static readonly string[] s_continuousDefaults = ["additive", "rank1", "mf", "knn"];
    private static readonly string[] s_binaryDefaults = ["logistic-additive", "logistic", "mf"];
    private static readonly string[] s_featureMethods = ["task-mean", "additive", "rank1", "mf"];

    /// <summary>Every method name: the model catalog's, then the reference implementations'.</summary>
    public static IReadOnlyList<string> MethodNames { get; } = [.. ModelCatalog.Names.Concat(ReferenceMethods.Names)];

    /// <summary>The methods evaluated when none are named.</summary>
    public static IReadOnlyList<string> DefaultMethods(bool binary) => binary ? s_binaryDefaults : s_continuousDefaults;

    /// <summary>"Unknown method 'x'; did you mean 'y'?. Methods: ...".</summary>
    public static string UnknownMethodMessage(string name) =>
        $"Unknown method '{name}'{Suggestion.DidYouMean(name, MethodNames)}. Methods: {string.Join(", ", MethodNames)}.";

    /// <summary>The evaluation method named <paramref name="name"/>, checked against the matrix.</summary>
    /// <exception cref="UnknownNameException">No method has that name.</exception>
    /// <exception cref="ArgumentException">The method needs a binary matrix and this one is not.</exception>
    /// <param name="name">The method's name.</param>
    /// <param name="matrix">The matrix it will be evaluated on.</param>
    /// <param name="source">The matrix's file name, for messages.</param>
    /// <param name="known">Cells revealed per test task: what the self-tuning methods (auto, ensemble) simulate.</param>
    public static IEvaluationMethod CreateMethod(string name, ForgettingMatrix matrix, string source, int known = 30)
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
        return ModelCatalog.MethodOf(name) == ModelMethod.Ensemble
            ? new KnownTunedFoldInMethod(name, k => ModelCatalog.CreateFitter(name, new ModelSettings { Known = k }), known)
            : new FoldInMethod(name, ModelCatalog.CreateFitter(name, new ModelSettings { Known = known }));
    }

    /// <summary>Runs the protocol.</summary>
    /// <exception cref="ArgumentException">A method is unknown or does not suit the matrix, or the split or an option is invalid.</exception>
    public static EvaluationResult Evaluate(EvaluateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var methods = Methods(request);
        return Protocol.Run(request.Matrix, request.Split, methods, request.Options with { Binary = request.IsBinary }, request.Externals, request.Progress, request.OnPrediction);
    }

    /// <summary>
    /// The methods a request runs: the named ones, then with task features "NAME+features" for each factor method named, and
    /// with example features too the representation baseline.
    /// </summary>
    /// <exception cref="ArgumentException">A method is unknown or does not suit the matrix, or example features come without task features.</exception>
    public static IReadOnlyList<IEvaluationMethod> Methods(EvaluateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var methods = request.MethodNames.Select(name => CreateMethod(name, request.Matrix, request.Source, request.Options.Known)).ToList();
        if (request.TaskFeatures is not { } tasks)
        {
            return request.ExampleFeatures is null ? methods
                : throw new ArgumentException("Example features are used together with task features (by the representation baseline); give task features too.", nameof(request));
        }

        foreach (var name in request.MethodNames.Where(n => s_featureMethods.Contains(n)))
        {
            methods.Add(new FeatureFoldInMethod(name + "+features", ModelCatalog.CreateFitter(name), tasks));
        }

        if (request.MethodNames.Contains("ensemble"))
        {
            methods.Add(new FeatureEnsembleMethod(tasks, request.Options.Known));
        }

        if (request.ExampleFeatures is { } examples)
        {
            methods.Add(new RepresentationMethod(tasks, examples));
        }

        return methods;
    }

    /// <summary>Runs the protocol at each of <paramref name="known"/> revealed cells (every method fitted once): the curve of error against k.</summary>
    /// <exception cref="ArgumentException">A method is unknown or does not suit the matrix, a k is negative, or the split is invalid.</exception>
    public static IReadOnlyList<EvaluationResult> EvaluateCurve(EvaluateRequest request, IReadOnlyList<int> known)
    {
        ArgumentNullException.ThrowIfNull(request);
        return EvaluationCurve.Run(request.Matrix, request.Split, Methods(request), known, request.Options with { Binary = request.IsBinary }, request.Externals, request.Progress);
    }
}

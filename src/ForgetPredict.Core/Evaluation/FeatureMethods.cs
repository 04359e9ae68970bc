using System.Globalization;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Evaluation;

/// <summary>A row predictor that also uses which task it predicts (e.g. to look up the task's features).</summary>
public interface ITaskAwarePredictor : IRowPredictor
{
    /// <summary>The predicted row (length N) of task <paramref name="taskId"/> from its revealed cells.</summary>
    double[] PredictRow(string taskId, int[] known, double[] values);
}

/// <summary>
/// One of our factor methods with task features: fit on the training rows, fit a <see cref="TaskFeatureModel"/> on the training
/// tasks' features, then fold each test row in from its revealed cells with the prior its features predict.
/// </summary>
/// <param name="name">Name shown in reports.</param>
/// <param name="fitter">A fitter of Gaussian factor models (task-mean, additive, rank1, mf).</param>
/// <param name="features">Features of every task of the evaluated matrix (looked up by task id).</param>
/// <param name="options">Feature model settings, or null for the defaults.</param>
public sealed class FeatureFoldInMethod(string name, IForgettingFitter fitter, FeatureSet features, TaskFeatureOptions? options = null) : IEvaluationMethod
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>The feature model of the last <see cref="Prepare"/> (for reports), or null before the first.</summary>
    public TaskFeatureModel? LastFeatureModel { get; private set; }

    /// <inheritdoc />
    public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (fitter.Fit(train, cancellationToken) is not FactorModel model || model.PredictsProbability)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Method '{Name}' cannot use task features: only Gaussian factor models (task-mean, additive, rank1, mf) can."));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var featureModel = TaskFeatureModel.Fit(model, features, options);
        LastFeatureModel = featureModel;
        return new Predictor(model, featureModel, features);
    }

    private sealed class Predictor(FactorModel model, TaskFeatureModel featureModel, FeatureSet features) : ITaskAwarePredictor
    {
        // The held-out task's cells are the matrix's own values: no scale check (FoldInScale).
        public double[] PredictRow(int[] known, double[] values) => model.FoldIn(known, values, null, checkScale: false).PredictRow();

        public double[] PredictRow(string taskId, int[] known, double[] values)
        {
            var row = features.Ids.IndexOf(taskId);
            if (row < 0)
            {
                throw new ArgumentException($"Task '{taskId}' has no row in the task features; add one.", nameof(taskId));
            }

            var prior = featureModel.Prior(features, row, model, known, values);
            return model.FoldIn(known, values, new FoldInOptions { TaskPrior = prior }, checkScale: false).PredictRow();
        }
    }
}

/// <summary>Runs the protocol at several numbers of revealed cells, fitting each method once.</summary>
public static class EvaluationCurve
{
    /// <summary>
    /// One <see cref="EvaluationResult"/> per entry of <paramref name="known"/> (in that order): every method at every k, on the
    /// same split and seeds. Each method is prepared once and reused for every k, except methods tuned for the number of known cells (<see cref="IKnownTunedMethod"/>), prepared for each k.
    /// </summary>
    /// <param name="matrix">The full matrix (training and test rows).</param>
    /// <param name="split">Training and test rows.</param>
    /// <param name="methods">Methods to evaluate.</param>
    /// <param name="known">The numbers of revealed cells, each run in turn.</param>
    /// <param name="options">Protocol settings (<see cref="EvaluationOptions.Known"/> is replaced by each k), or null for the defaults.</param>
    /// <param name="externals">Other predictors' predictions, scored alike at every k (see the overload taking predictions per k).</param>
    /// <param name="progress">Receives (method name, fraction done), or null.</param>
    /// <param name="onPrediction">Receives every predicted test row, or null.</param>
    /// <param name="cancellationToken">Stops the run: the methods' fits between solver sweeps, the test rows between rows.</param>
    /// <exception cref="ArgumentException">No k given, or a k is negative.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static IReadOnlyList<EvaluationResult> Run(ForgettingMatrix matrix, EvaluationSplit split, IReadOnlyList<IEvaluationMethod> methods, IReadOnlyList<int> known,
        EvaluationOptions? options = null, IReadOnlyList<ExternalPredictions>? externals = null, IProgress<(string Method, double Fraction)>? progress = null,
        Action<PredictionRecord>? onPrediction = null, CancellationToken cancellationToken = default) =>
        Run(matrix, split, methods, known, options, _ => externals ?? [], progress, onPrediction, cancellationToken);

    /// <summary>
    /// <see cref="Run(ForgettingMatrix, EvaluationSplit, IReadOnlyList{IEvaluationMethod}, IReadOnlyList{int}, EvaluationOptions?, IReadOnlyList{ExternalPredictions}?, IProgress{ValueTuple{string, double}}?, Action{PredictionRecord}?, CancellationToken)"/>
    /// with other predictors' predictions made for each k: a predictor that folds in the revealed cells predicts each k (and
    /// each draw, <see cref="ExternalPredictions.PerDraw"/>) from the cells revealed there.
    /// </summary>
    /// <param name="matrix">The full matrix (training and test rows).</param>
    /// <param name="split">Training and test rows.</param>
    /// <param name="methods">Methods to evaluate.</param>
    /// <param name="known">The numbers of revealed cells, each run in turn.</param>
    /// <param name="options">Protocol settings (<see cref="EvaluationOptions.Known"/> is replaced by each k), or null for the defaults.</param>
    /// <param name="externalsAt">The external predictions scored at k, asked once per k just before k's run (so they may be read then).</param>
    /// <param name="progress">Receives (method name, fraction of the whole curve done: k number i of n covers i / n to (i + 1) / n), or null.</param>
    /// <param name="onPrediction">Receives every predicted test row, or null.</param>
    /// <param name="cancellationToken">Stops the run: the methods' fits between solver sweeps, the test rows between rows.</param>
    /// <exception cref="ArgumentException">No k given, or a k is negative.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static IReadOnlyList<EvaluationResult> Run(ForgettingMatrix matrix, EvaluationSplit split, IReadOnlyList<IEvaluationMethod> methods, IReadOnlyList<int> known,
        EvaluationOptions? options, Func<int, IReadOnlyList<ExternalPredictions>> externalsAt, IProgress<(string Method, double Fraction)>? progress = null,
        Action<PredictionRecord>? onPrediction = null, CancellationToken cancellationToken = default)
    {
        Protocol.CheckMethods(methods);
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(externalsAt);
        if (known.Count == 0 || known.Any(k => k < 0))
        {
            throw new ArgumentException("Give one or more numbers of known cells, each >= 0.", nameof(known));
        }

        var prepared = methods.Select(m => new PreparedOnce(m)).ToArray();
        var o = options ?? new EvaluationOptions();
        return known.Select((k, i) => Protocol.Run(matrix, split, prepared, o with { Known = k }, externalsAt(k), progress is null ? null : new OneOf(progress, i, known.Count), onPrediction, cancellationToken)).ToArray();
    }

    // A method's progress over the whole curve: k number i of count covers the i-th part of it.
    private sealed class OneOf(IProgress<(string Method, double Fraction)> progress, int index, int count) : IProgress<(string Method, double Fraction)>
    {
        public void Report((string Method, double Fraction) value) => progress.Report((value.Method, (index + value.Fraction) / count));
    }

    // Prepares the wrapped method on the first call and hands the same predictor to later calls (the training rows are the same).
    // A method tuned for the number of known cells is prepared for each k as the protocol asks, and not kept: each k's run asks
    // once, so holding every k's models (an ensemble's members per k) would only raise the peak memory.
    private sealed class PreparedOnce(IEvaluationMethod method) : IKnownTunedMethod
    {
        private IRowPredictor? _predictor;

        public string Name => method.Name;

        public bool SkipIfUnfittable => method.SkipIfUnfittable;

        public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default) => _predictor ??= method.Prepare(train, cancellationToken);

        public IRowPredictor Prepare(ForgettingMatrix train, int known, CancellationToken cancellationToken = default) =>
            method is IKnownTunedMethod tuned ? tuned.Prepare(train, known, cancellationToken) : Prepare(train, cancellationToken);
    }
}

/// <summary>
/// The stacked ensemble with task features (evaluation method "ensemble+features"): the members of <see cref="EnsembleFitter"/>
/// (additive, mf, knn, profile) plus mf folded in from the prior its features predict, and the features-only prediction that
/// ignores the measured cells. Non-negative weights are learned for the number of known cells by the same held-out-task
/// cross-validation the ensemble uses (<see cref="TaskCrossValidation"/> inside the training rows, with the feature model
/// refitted on each fold's training tasks), so the features get weight only where they predicted held-out training tasks better.
/// </summary>
/// <param name="features">Features of every task of the evaluated matrix (looked up by task id).</param>
/// <param name="defaultKnown">The number of known cells <see cref="Prepare(ForgettingMatrix, CancellationToken)"/> (with no k) tunes for.</param>
/// <param name="crossValidation">How the weights are learned (its <see cref="CrossValidationOptions.Known"/> is replaced by the
/// k being tuned for), or null for the ensemble's defaults; its <see cref="FitOptions.MaxThreads"/> also bounds the members' fits.</param>
/// <param name="options">Feature model settings, or null for the defaults.</param>
public sealed class FeatureEnsembleMethod(FeatureSet features, int defaultKnown = EvaluationOptions.DefaultKnown, CrossValidationOptions? crossValidation = null, TaskFeatureOptions? options = null)
    : IKnownTunedMethod
{
    private static readonly string[] s_baseMembers = ["additive", "mf", "knn", "profile"];
    private readonly CrossValidationOptions _crossValidation = crossValidation ?? new EnsembleOptions().CrossValidation;

    /// <summary>The members' names, in the order of <see cref="LastWeights"/>.</summary>
    public static IReadOnlyList<string> MemberNames { get; } = [.. s_baseMembers, "mf+features", "features only"];

    /// <inheritdoc />
    public string Name => "ensemble+features";

    /// <summary>The weights the last <see cref="Prepare(ForgettingMatrix, int, CancellationToken)"/> learned (for reports), or null before the first.</summary>
    public IReadOnlyList<double>? LastWeights { get; private set; }

    /// <inheritdoc />
    public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default) => Prepare(train, defaultKnown, cancellationToken);

    /// <inheritdoc />
    public IRowPredictor Prepare(ForgettingMatrix train, int known, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegative(known);
        var cv = TaskCrossValidation.Run(train, MemberNames.Count, fold =>
        {
            var members = FitMembers(fold, cancellationToken);
            return [.. Enumerable.Range(0, MemberNames.Count).Select(c => (HeldOutFoldIn)((row, k, v, cells, mean, std) => FoldIn(members, c, train.TaskIds[row], k, v).PredictCells(cells, mean, std)))];
        }, _crossValidation with { Known = known }, cancellationToken);
        var weights = EnsembleModel.StackingWeights(cv);
        LastWeights = weights;
        return new Predictor(this, FitMembers(train, cancellationToken), weights, train.ExampleCount);
    }

    private Members FitMembers(ForgettingMatrix train, CancellationToken cancellationToken)
    {
        var threads = _crossValidation.MaxThreads;
        var models = s_baseMembers.Select(name => (name == "profile" ? new ProfileFitter(new ProfileOptions { MaxThreads = threads }) : ModelCatalog.CreateFitter(name, new ModelSettings { MaxThreads = threads })).Fit(train, cancellationToken)).ToArray();
        var mf = (FactorModel)models[1];
        return new Members(models, mf, TaskFeatureModel.Fit(mf, features, options));
    }

    // Member c's fold-in of task taskId (c indexes MemberNames).
    private FoldedTask FoldIn(Members members, int c, string taskId, int[] known, double[] values)
    {
        if (c < s_baseMembers.Length)
        {
            return FoldInScale.Unchecked(members.Models[c], known, values, null);
        }

        var row = features.Ids.IndexOf(taskId);
        if (row < 0)
        {
            throw new ArgumentException($"Task '{taskId}' has no row in the task features; add one.", nameof(taskId));
        }

        var cold = c == s_baseMembers.Length + 1;
        var prior = cold ? members.Features.Prior(features, row) : members.Features.Prior(features, row, members.Mf, known, values);
        return members.Mf.FoldIn(cold ? [] : known, cold ? [] : values, new FoldInOptions { TaskPrior = prior }, checkScale: false);
    }

    private sealed record Members(IForgettingModel[] Models, FactorModel Mf, TaskFeatureModel Features);

    private sealed class Predictor(FeatureEnsembleMethod method, Members members, double[] weights, int exampleCount) : ITaskAwarePredictor, IDescribedPredictor
    {
        public string? Fitted => string.Join(" + ", weights.Select((w, c) => (w, c)).Where(x => x.w > 0).Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.w:0.00} {MemberNames[x.c]}")));

        public double[] PredictRow(int[] known, double[] values) =>
            throw new InvalidOperationException("ensemble+features needs the task's id to look up its features.");

        public double[] PredictRow(string taskId, int[] known, double[] values)
        {
            var row = new double[exampleCount];
            var member = new double[exampleCount];
            for (var c = 0; c < weights.Length; c++)
            {
                if (weights[c] > 0)
                {
                    method.FoldIn(members, c, taskId, known, values).PredictRow(member);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(member, weights[c], row, row);
                }
            }

            return row;
        }
    }
}

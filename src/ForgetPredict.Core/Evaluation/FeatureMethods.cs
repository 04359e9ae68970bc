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
    public IRowPredictor Prepare(ForgettingMatrix train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (fitter.Fit(train) is not FactorModel model || model.PredictsProbability)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Method '{Name}' cannot use task features: only Gaussian factor models (task-mean, additive, rank1, mf) can."));
        }

        var featureModel = TaskFeatureModel.Fit(model, features, options);
        LastFeatureModel = featureModel;
        return new Predictor(model, featureModel, features);
    }

    private sealed class Predictor(FactorModel model, TaskFeatureModel featureModel, FeatureSet features) : ITaskAwarePredictor
    {
        public double[] PredictRow(int[] known, double[] values) => model.FoldIn(known, values).PredictRow();

        public double[] PredictRow(string taskId, int[] known, double[] values)
        {
            var row = features.Ids.IndexOf(taskId);
            if (row < 0)
            {
                throw new ArgumentException($"Task '{taskId}' has no row in the task features; add one.", nameof(taskId));
            }

            var prior = featureModel.Prior(features, row, model, known, values);
            return model.FoldIn(known, values, new FoldInOptions { TaskPrior = prior }).PredictRow();
        }
    }
}

/// <summary>Runs the protocol at several numbers of revealed cells, fitting each method once.</summary>
public static class EvaluationCurve
{
    /// <summary>
    /// One <see cref="EvaluationResult"/> per entry of <paramref name="known"/> (in that order): every method at every k, on the
    /// same split and seeds. Each method is prepared once and reused for every k.
    /// </summary>
    /// <exception cref="ArgumentException">No k given, or a k is negative.</exception>
    public static IReadOnlyList<EvaluationResult> Run(ForgettingMatrix matrix, EvaluationSplit split, IReadOnlyList<IEvaluationMethod> methods, IReadOnlyList<int> known,
        EvaluationOptions? options = null, IReadOnlyList<ExternalPredictions>? externals = null, IProgress<(string Method, double Fraction)>? progress = null,
        Action<PredictionRecord>? onPrediction = null)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(known);
        if (known.Count == 0 || known.Any(k => k < 0))
        {
            throw new ArgumentException("Give one or more numbers of known cells, each >= 0.", nameof(known));
        }

        var prepared = methods.Select(m => new PreparedOnce(m)).ToArray();
        var o = options ?? new EvaluationOptions();
        return known.Select(k => Protocol.Run(matrix, split, prepared, o with { Known = k }, externals, progress, onPrediction)).ToArray();
    }

    // Prepares the wrapped method on the first call and hands the same predictor to later calls (the training rows are the same).
    private sealed class PreparedOnce(IEvaluationMethod method) : IEvaluationMethod
    {
        private IRowPredictor? _predictor;

        public string Name => method.Name;

        public IRowPredictor Prepare(ForgettingMatrix train) => _predictor ??= method.Prepare(train);
    }
}

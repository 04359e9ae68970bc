using System.Diagnostics;
using System.Globalization;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Evaluation;

/// <summary>Predicts a test row from its revealed cells; produced by an <see cref="IEvaluationMethod"/> for one training set.</summary>
public interface IRowPredictor
{
    /// <summary>The predicted row (length N) from the revealed cells (example index, value).</summary>
    double[] PredictRow(int[] known, double[] values);
}

/// <summary>A method under evaluation: prepared once on the training rows, then asked for each test row.</summary>
public interface IEvaluationMethod
{
    /// <summary>Name shown in reports (e.g. "mf", "ref-knn").</summary>
    string Name { get; }

    /// <summary>Fits whatever the method needs from the training rows.</summary>
    IRowPredictor Prepare(ForgettingMatrix train);
}

/// <summary>Our methods: fit once on the training rows, then fold each test row in from its revealed cells (no refit).</summary>
public sealed class FoldInMethod(string name, IForgettingFitter fitter, FoldInOptions? options = null) : IEvaluationMethod
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public IRowPredictor Prepare(ForgettingMatrix train)
    {
        var model = fitter.Fit(train);
        return new Folding(model, options);
    }

    private sealed class Folding(IForgettingModel model, FoldInOptions? options) : IRowPredictor
    {
        public double[] PredictRow(int[] known, double[] values) => model.FoldIn(known, values, options).PredictRow();
    }
}

/// <summary>Options of the evaluation protocol.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Cells revealed per test row (the reference uses 30).</summary>
    public int Known { get; init; } = 30;

    /// <summary>Number of seeds (reveal draws) per test row (the reference uses 10).</summary>
    public int Seeds { get; init; } = 10;

    /// <summary>Base seed; seed s of row t reveals with a stream derived from (Seed, s, t).</summary>
    public int Seed { get; init; }

    /// <summary>K of precision@K / recall@K as a fraction of the examples (default 1%, at least 1).</summary>
    public double TopFraction { get; init; } = 0.01;

    /// <summary>Score as a binary matrix (F1, precision, recall, ROC-AUC); null detects a 0/1 matrix.</summary>
    public bool? Binary { get; init; }

    /// <summary>Threshold above which a binary prediction counts as "forgotten" (0.5 for probabilities).</summary>
    public double Threshold { get; init; } = 0.5;

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Known < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Known), Known, "Known must be >= 0.");
        }

        if (Seeds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Seeds), Seeds, "Seeds must be >= 1.");
        }

        if (!(TopFraction > 0 && TopFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TopFraction), TopFraction, "TopFraction must be in (0, 1].");
        }
    }
}

/// <summary>Mean and sample standard deviation of a metric over seeds.</summary>
/// <param name="Mean">Mean over seeds (NaN seeds skipped).</param>
/// <param name="Std">Sample standard deviation over seeds (0 with one seed).</param>
/// <param name="PerSeed">The metric for each seed.</param>
public sealed record MetricSummary(double Mean, double Std, double[] PerSeed)
{
    /// <summary>Summarises per-seed values.</summary>
    public static MetricSummary Of(double[] perSeed)
    {
        var valid = perSeed.Where(v => !double.IsNaN(v)).ToArray();
        if (valid.Length == 0)
        {
            return new MetricSummary(double.NaN, double.NaN, perSeed);
        }

        var mean = valid.Average();
        var std = valid.Length > 1 ? Math.Sqrt(valid.Sum(v => (v - mean) * (v - mean)) / (valid.Length - 1)) : 0;
        return new MetricSummary(mean, std, perSeed);
    }
}

/// <summary>Per test row and seed: the sums behind the pooled metrics (kept for paired bootstraps over rows).</summary>
/// <param name="Row">The test row (task index in the full matrix).</param>
/// <param name="Seed">Seed index.</param>
/// <param name="SquaredError">Sum of squared errors over the row's scored cells.</param>
/// <param name="AbsoluteError">Sum of absolute errors.</param>
/// <param name="Cells">Number of scored cells.</param>
public sealed record RowScore(int Row, int Seed, double SquaredError, double AbsoluteError, long Cells);

/// <summary>Everything one method scored.</summary>
/// <param name="Name">Method name.</param>
/// <param name="Rmse">RMSE pooled over test rows.</param>
/// <param name="Mae">MAE pooled over test rows.</param>
/// <param name="Spearman">Mean per-row Spearman correlation.</param>
/// <param name="PrecisionAtK">Mean per-row precision@K of the truly top-K forgotten examples.</param>
/// <param name="RecallAtK">Mean per-row recall@K.</param>
/// <param name="F1">Binary matrices: pooled F1 (else null).</param>
/// <param name="Precision">Binary: pooled precision.</param>
/// <param name="Recall">Binary: pooled recall.</param>
/// <param name="Auc">Binary: pooled ROC-AUC.</param>
/// <param name="Seconds">Wall time: preparing (fitting) plus every prediction.</param>
/// <param name="Rows">Per row and seed sums, for bootstraps.</param>
public sealed record MethodResult(string Name, MetricSummary Rmse, MetricSummary Mae, MetricSummary Spearman, MetricSummary PrecisionAtK, MetricSummary RecallAtK,
    MetricSummary? F1, MetricSummary? Precision, MetricSummary? Recall, MetricSummary? Auc, double Seconds, IReadOnlyList<RowScore> Rows);

/// <summary>The result of a protocol run.</summary>
/// <param name="TaskCount">M of the evaluated matrix.</param>
/// <param name="ExampleCount">N.</param>
/// <param name="TestRows">Test row indices.</param>
/// <param name="Options">The options used.</param>
/// <param name="TopK">K of precision@K.</param>
/// <param name="Binary">Whether binary metrics were computed.</param>
/// <param name="Methods">One result per method, in the order given.</param>
public sealed record EvaluationResult(int TaskCount, int ExampleCount, int[] TestRows, EvaluationOptions Options, int TopK, bool Binary, IReadOnlyList<MethodResult> Methods);

/// <summary>
/// The published evaluation protocol (science.md §4): for each test row and seed, reveal K cells at random, predict the
/// rest, score only the unrevealed observed cells; pooled metrics per seed, mean and spread over seeds.
/// </summary>
/// <remarks>Each method is prepared (fitted) once on the training rows; our methods then fold each test row in, so a
/// whole protocol costs one fit per method plus (rows x seeds) fold-ins. The reveal draws depend only on
/// (Seed, seed index, row), so every method sees exactly the same cells. Deterministic.</remarks>
public static class Protocol
{
    /// <summary>The revealed example indices of test row <paramref name="row"/> under seed index <paramref name="seed"/> (sorted).</summary>
    public static int[] Reveal(ForgettingMatrix matrix, int row, int seed, EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(options);
        var observed = new List<int>();
        var values = matrix.Row(row);
        for (var j = 0; j < values.Length; j++)
        {
            if (!float.IsNaN(values[j]))
            {
                observed.Add(j);
            }
        }

        var random = new Random(Numerics.Seeds.Mix(options.Seed, seed, row + 1));
        var k = Math.Min(options.Known, observed.Count);
        // Partial Fisher-Yates: the first k of a seeded shuffle.
        for (var t = 0; t < k; t++)
        {
            var pick = t + random.Next(observed.Count - t);
            (observed[t], observed[pick]) = (observed[pick], observed[t]);
        }

        var known = observed.GetRange(0, k).ToArray();
        Array.Sort(known);
        return known;
    }

    /// <summary>Runs the protocol.</summary>
    /// <param name="matrix">The full matrix (training and test rows).</param>
    /// <param name="testRows">Rows held out; every other row trains.</param>
    /// <param name="methods">Methods to evaluate.</param>
    /// <param name="options">Protocol settings, or null for the reference defaults.</param>
    /// <param name="progress">Receives (method name, fraction done), or null.</param>
    /// <exception cref="ArgumentException">The test rows are empty, repeated, out of range, or leave no training row.</exception>
    public static EvaluationResult Run(ForgettingMatrix matrix, IReadOnlyList<int> testRows, IReadOnlyList<IEvaluationMethod> methods, EvaluationOptions? options = null, IProgress<(string Method, double Fraction)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(testRows);
        ArgumentNullException.ThrowIfNull(methods);
        var o = options ?? new EvaluationOptions();
        o.Validate();
        var test = ValidateSplit(matrix, testRows);
        var train = matrix.SelectTasks(Enumerable.Range(0, matrix.TaskCount).Except(test).ToArray());
        var binary = o.Binary ?? matrix.IsBinary;
        var topK = Math.Max(1, (int)Math.Round(o.TopFraction * matrix.ExampleCount));
        var reveals = new int[o.Seeds][][];
        for (var s = 0; s < o.Seeds; s++)
        {
            reveals[s] = test.Select(row => Reveal(matrix, row, s, o)).ToArray();
        }

        var results = new List<MethodResult>();
        foreach (var method in methods)
        {
            var clock = Stopwatch.StartNew();
            var predictor = method.Prepare(train);
            var predictions = new double[o.Seeds][][];
            var done = 0;
            for (var s = 0; s < o.Seeds; s++)
            {
                predictions[s] = new double[test.Length][];
                for (var t = 0; t < test.Length; t++)
                {
                    var known = reveals[s][t];
                    var values = known.Select(j => (double)matrix[test[t], j]).ToArray();
                    predictions[s][t] = predictor.PredictRow(known, values);
                    progress?.Report((method.Name, (double)++done / (o.Seeds * test.Length)));
                }
            }

            var seconds = clock.Elapsed.TotalSeconds;
            results.Add(Score(method.Name, matrix, test, reveals, predictions, o, binary, topK, seconds));
        }

        return new EvaluationResult(matrix.TaskCount, matrix.ExampleCount, test, o, topK, binary, results);
    }

    /// <summary>Scores externally made predictions (e.g. an LM-based predictor's) on exactly the protocol's unrevealed cells.</summary>
    /// <param name="name">Name for the report.</param>
    /// <param name="matrix">The full matrix.</param>
    /// <param name="testRows">The same test rows as the protocol run.</param>
    /// <param name="predictions">One predicted row (length N) per test row, in <paramref name="testRows"/> order; NaN where the predictor has no value.</param>
    /// <param name="options">The same options as the protocol run.</param>
    /// <exception cref="ArgumentException">Shapes disagree.</exception>
    public static MethodResult ScoreExternal(string name, ForgettingMatrix matrix, IReadOnlyList<int> testRows, IReadOnlyList<double[]> predictions, EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(options);
        var test = ValidateSplit(matrix, testRows);
        if (predictions.Count != test.Length || predictions.Any(p => p.Length != matrix.ExampleCount))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"External predictions need one row of {matrix.ExampleCount} values per test row ({test.Length} rows)."), nameof(predictions));
        }

        var reveals = new int[options.Seeds][][];
        var perSeed = new double[options.Seeds][][];
        for (var s = 0; s < options.Seeds; s++)
        {
            reveals[s] = test.Select(row => Reveal(matrix, row, s, options)).ToArray();
            perSeed[s] = [.. predictions];
        }

        var topK = Math.Max(1, (int)Math.Round(options.TopFraction * matrix.ExampleCount));
        return Score(name, matrix, test, reveals, perSeed, options, options.Binary ?? matrix.IsBinary, topK, 0);
    }

    private static int[] ValidateSplit(ForgettingMatrix matrix, IReadOnlyList<int> testRows)
    {
        var test = testRows.ToArray();
        if (test.Length == 0)
        {
            throw new ArgumentException("No test rows: choose at least one task to hold out.", nameof(testRows));
        }

        if (test.Distinct().Count() != test.Length || test.Any(r => r < 0 || r >= matrix.TaskCount))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Test rows must be distinct indices in 0..{matrix.TaskCount - 1}."), nameof(testRows));
        }

        if (test.Length >= matrix.TaskCount)
        {
            throw new ArgumentException("Every row is a test row: leave at least one task to train on.", nameof(testRows));
        }

        return test;
    }

    private static MethodResult Score(string name, ForgettingMatrix matrix, int[] test, int[][][] reveals, double[][][] predictions, EvaluationOptions o, bool binary, int topK, double seconds)
    {
        var n = matrix.ExampleCount;
        double[] rmse = new double[o.Seeds], mae = new double[o.Seeds], spearman = new double[o.Seeds], pAtK = new double[o.Seeds];
        double[] f1 = new double[o.Seeds], precision = new double[o.Seeds], recall = new double[o.Seeds], auc = new double[o.Seeds];
        var rows = new List<RowScore>();
        for (var s = 0; s < o.Seeds; s++)
        {
            var pooledTruth = new List<double>();
            var pooledPrediction = new List<double>();
            double spearmanSum = 0, pSum = 0;
            int spearmanCount = 0, pCount = 0;
            for (var t = 0; t < test.Length; t++)
            {
                var revealed = new HashSet<int>(reveals[s][t]);
                var truth = new double[n];
                var predicted = predictions[s][t];
                double sse = 0, sae = 0;
                long cells = 0;
                var rowTruth = new List<double>();
                var rowPredicted = new List<double>();
                for (var j = 0; j < n; j++)
                {
                    var z = matrix[test[t], j];
                    if (float.IsNaN(z) || revealed.Contains(j) || double.IsNaN(predicted[j]))
                    {
                        continue;
                    }

                    var d = predicted[j] - z;
                    sse += d * d;
                    sae += Math.Abs(d);
                    cells++;
                    rowTruth.Add(z);
                    rowPredicted.Add(predicted[j]);
                }

                rows.Add(new RowScore(test[t], s, sse, sae, cells));
                pooledTruth.AddRange(rowTruth);
                pooledPrediction.AddRange(rowPredicted);
                var rho = Metrics.Spearman([.. rowTruth], [.. rowPredicted]);
                if (!double.IsNaN(rho))
                {
                    spearmanSum += rho;
                    spearmanCount++;
                }

                var p = Metrics.PrecisionAtK([.. rowTruth], [.. rowPredicted], topK);
                if (!double.IsNaN(p))
                {
                    pSum += p;
                    pCount++;
                }
            }

            var truthArray = pooledTruth.ToArray();
            var predictionArray = pooledPrediction.ToArray();
            rmse[s] = Metrics.Rmse(truthArray, predictionArray);
            mae[s] = Metrics.Mae(truthArray, predictionArray);
            spearman[s] = spearmanCount == 0 ? double.NaN : spearmanSum / spearmanCount;
            pAtK[s] = pCount == 0 ? double.NaN : pSum / pCount;
            if (binary)
            {
                (precision[s], recall[s], f1[s]) = Metrics.Classification(truthArray, predictionArray, o.Threshold);
                auc[s] = Metrics.RocAuc(truthArray, predictionArray);
            }
        }

        return new MethodResult(name, MetricSummary.Of(rmse), MetricSummary.Of(mae), MetricSummary.Of(spearman), MetricSummary.Of(pAtK), MetricSummary.Of(pAtK),
            binary ? MetricSummary.Of(f1) : null, binary ? MetricSummary.Of(precision) : null, binary ? MetricSummary.Of(recall) : null, binary ? MetricSummary.Of(auc) : null,
            seconds, rows);
    }
}

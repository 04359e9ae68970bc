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
    /// <param name="train">The training rows.</param>
    /// <param name="cancellationToken">Stops the fits (between solver sweeps); a predictor that refits per row is stopped by it too.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default);

    /// <summary>
    /// True when a run should leave this method out of its results, with the reason (<see cref="EvaluationResult.Skipped"/>),
    /// when it cannot be fitted on the training tasks (its preparation throws an <see cref="ArgumentException"/> itself, not
    /// a derived one such as <see cref="ArgumentOutOfRangeException"/>, which is a setting or a bug), instead of
    /// failing: a method run by default rather than one the user named. False unless a method says otherwise.
    /// </summary>
    bool SkipIfUnfittable => false;
}

/// <summary>A method left out of a run because it could not be fitted on the training tasks (<see cref="IEvaluationMethod.SkipIfUnfittable"/>).</summary>
/// <param name="Name">The method.</param>
/// <param name="Reason">Why its fit was refused (the fit's message).</param>
public sealed record SkippedMethod(string Name, string Reason);

/// <summary>
/// A method tuned for the number of cells each test task reveals (e.g. auto and ensemble, whose cross-validation simulates k
/// known cells): the protocol prepares it with the k it runs at, and a curve over several k prepares it once per k.
/// </summary>
public interface IKnownTunedMethod : IEvaluationMethod
{
    /// <summary>Fits whatever the method needs from the training rows, tuned for <paramref name="known"/> revealed cells per test task.</summary>
    /// <param name="train">The training rows.</param>
    /// <param name="known">Revealed cells per test task.</param>
    /// <param name="cancellationToken">Stops the fits (between solver sweeps).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    IRowPredictor Prepare(ForgettingMatrix train, int known, CancellationToken cancellationToken = default);
}

/// <summary>A fold-in method whose fitter is made for the number of known cells (see <see cref="IKnownTunedMethod"/>).</summary>
/// <param name="name">Name shown in reports.</param>
/// <param name="fitter">Makes the fitter tuned for k known cells.</param>
/// <param name="defaultKnown">The k that <see cref="Prepare(ForgettingMatrix, CancellationToken)"/> (with no k) tunes for.</param>
/// <param name="options">Fold-in settings of the test tasks, or null for the defaults.</param>
public sealed class KnownTunedFoldInMethod(string name, Func<int, IForgettingFitter> fitter, int defaultKnown, FoldInOptions? options = null) : IKnownTunedMethod
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default) => Prepare(train, defaultKnown, cancellationToken);

    /// <inheritdoc />
    public IRowPredictor Prepare(ForgettingMatrix train, int known, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        return new FoldInMethod(Name, fitter(known), options).Prepare(train, cancellationToken);
    }
}

/// <summary>Our methods: fit once on the training rows, then fold each test row in from its revealed cells (no refit).</summary>
public sealed class FoldInMethod(string name, IForgettingFitter fitter, FoldInOptions? options = null) : IEvaluationMethod
{
    /// <inheritdoc />
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("A method needs a name: its results are reported under it.", nameof(name));

    /// <inheritdoc />
    public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        if (fitter is AutoFitter auto)
        {
            var (chosen, report) = auto.FitAuto(train, cancellationToken);
            return new Folding(chosen, options, report.Summary());
        }

        var model = fitter.Fit(train, cancellationToken);
        return new Folding(model, options, model is EnsembleModel ensemble
            ? string.Create(CultureInfo.InvariantCulture, $"{ensemble.Describe()} (cross-validated RMSE {Numerics.ErrorText.Format(ensemble.CrossValidatedRmse)})")
            : null);
    }

    private sealed class Folding(IForgettingModel model, FoldInOptions? options, string? fitted) : IDescribedPredictor
    {
        public string? Fitted => fitted;

        // The held-out task's cells are the matrix's own values: no scale check (FoldInScale).
        public double[] PredictRow(int[] known, double[] values) => FoldInScale.Unchecked(model, known, values, options).PredictRow();
    }
}

/// <summary>
/// The evaluation settings the library's messages name (<see cref="OptionReference.Name"/>): front ends map them to their own
/// vocabulary (a command-line flag, a keyword argument).
/// </summary>
public static class EvaluationOptionNames
{
    /// <summary><see cref="EvaluationOptions.TopFraction"/>.</summary>
    public const string TopFraction = "EvaluationOptions.TopFraction";

    /// <summary><see cref="EvaluationOptions.Seed"/>: the base seed of the reveal draws.</summary>
    public const string Seed = "EvaluationOptions.Seed";

    /// <summary><see cref="EvaluationOptions.Known"/>: the cells revealed per test row.</summary>
    public const string Known = "EvaluationOptions.Known";

    /// <summary><see cref="EvaluationOptions.RevealRandom"/>: whose random draws reveal the cells.</summary>
    public const string RevealRandom = "EvaluationOptions.RevealRandom";

    /// <summary><see cref="EvaluationOptions.MaxThreads"/>.</summary>
    public const string MaxThreads = "EvaluationOptions.MaxThreads";

    /// <summary><see cref="EvaluationOptions.Threshold"/>: the classification threshold on predictions of a binary matrix.</summary>
    public const string Threshold = "EvaluationOptions.Threshold";
}

/// <summary>Options of the evaluation protocol.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The default <see cref="Known"/>, the reference's 30, and every front end's (and the cross-validation's) default k.</summary>
    public const int DefaultKnown = 30;

    /// <summary>The default <see cref="Seeds"/>, the reference's 10.</summary>
    public const int DefaultSeeds = 10;

    /// <summary>The default <see cref="TopFraction"/>: 1% of the examples.</summary>
    public const double DefaultTopFraction = 0.01;

    /// <summary>Cells revealed per test row (default <see cref="DefaultKnown"/>, as the reference).</summary>
    public int Known { get; init; } = DefaultKnown;

    /// <summary>Number of seeds (reveal draws) per test row (default <see cref="DefaultSeeds"/>, as the reference).</summary>
    public int Seeds { get; init; } = DefaultSeeds;

    /// <summary>Base seed; seed s of row t reveals with a stream derived from (Seed, s, t).</summary>
    public int Seed { get; init; }

    /// <summary>K of precision@K / recall@K as a fraction of the examples (default 1%, at least 1).</summary>
    public double TopFraction { get; init; } = DefaultTopFraction;

    /// <summary>Score as a binary matrix (F1, precision, recall, ROC-AUC); null detects a 0/1 matrix.</summary>
    public bool? Binary { get; init; }

    /// <summary>The default <see cref="Threshold"/>: 0.5, for predictions that are probabilities of forgetting.</summary>
    public const double DefaultThreshold = 0.5;

    /// <summary>
    /// The classification threshold on predictions of a binary matrix: a prediction above it counts as "forgotten" for F1,
    /// precision and recall (default <see cref="DefaultThreshold"/> for probabilities; 0 for logits). ROC-AUC does not depend
    /// on it, and a continuous matrix's scores do not use it.
    /// </summary>
    public double Threshold { get; init; } = DefaultThreshold;

    /// <summary>
    /// Whether the predictions of a binary matrix must be probabilities, in [0, 1]: the rule for scored predictions, such as
    /// another predictor's. They must when <see cref="Threshold"/> lies strictly between 0 and 1 (a probability threshold, as
    /// the default 0.5); with a threshold of 0 or less, or 1 or more (logits, or other scores), any finite value is a prediction.
    /// </summary>
    public bool ProbabilityPredictions => Threshold is > 0 and < 1;

    /// <summary>
    /// Whether <paramref name="prediction"/> can be scored on a binary matrix under <see cref="Threshold"/>
    /// (<see cref="ProbabilityPredictions"/>): NaN (no prediction) and any finite value when the threshold is not a
    /// probability; a value in [0, 1] when it is.
    /// </summary>
    public bool AcceptsBinaryPrediction(double prediction) =>
        double.IsNaN(prediction) || (double.IsFinite(prediction) && (!ProbabilityPredictions || prediction is >= 0 and <= 1));

    /// <summary>How the known cells of a test row are chosen: at random (the reference) or actively.</summary>
    public RevealStrategy Reveal { get; init; } = RevealStrategy.Random;

    /// <summary>The random draws behind <see cref="RevealStrategy.Random"/>: ForgetPredict's own per-row draws, or numpy's.</summary>
    public RevealRandom RevealRandom { get; init; } = RevealRandom.Own;

    /// <summary>The design criterion behind <see cref="RevealStrategy.Active"/>.</summary>
    public ActiveCriterion ActiveCriterion { get; init; } = ActiveCriterion.VOptimal;

    /// <summary>
    /// Worker threads of the protocol's own fits (the active design's model), -1 for all cores. The methods' fits take theirs
    /// from their own options. The reveals and scores are the same for every value.
    /// </summary>
    public int MaxThreads { get; init; } = -1;

    /// <summary>
    /// <see cref="Validate"/>, and refuses <see cref="Binary"/> scoring of a matrix that is not 0/1: its truth would have to be
    /// cut somewhere, which is the user's choice, not the protocol's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="OptionException">As <see cref="Validate"/>, or <see cref="Binary"/> is true and the matrix has values
    /// other than 0 and 1.</exception>
    public void ValidateFor(ForgettingMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        Validate();
        if (Binary == true && !matrix.IsBinary)
        {
            // The binary option contradicts the matrix given: a refused setting (a usage error), as a threshold on it is.
            throw new OptionException(
                "Binary scoring (F1, precision, recall, ROC-AUC) needs a 0/1 matrix (1 = forgotten), and this one has other values; threshold it first (e.g. np.save(path, (z > t).astype(np.float32)) for your threshold t), or score it as it is without the binary option.");
        }
    }

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="OptionException"><see cref="TopFraction"/> is not in (0, 1], <see cref="Seed"/> is negative with numpy's
    /// draws, or <see cref="MaxThreads"/> is 0 or below -1 (the message names the option).</exception>
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

        if (RevealRandom == RevealRandom.Numpy && Seed < 0)
        {
            throw new OptionException(OptionMessage.Of(
                $"{new OptionReference(EvaluationOptionNames.Seed)} must be 0 or more with {new OptionReference(EvaluationOptionNames.RevealRandom, "numpy")} (it is {Seed}): numpy's default_rng takes no negative seed."));
        }

        if (MaxThreads is 0 or < -1)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(EvaluationOptionNames.MaxThreads)} must be -1 (all cores) or at least 1 (it is {MaxThreads})."));
        }

        if (!(TopFraction > 0 && TopFraction <= 1))
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(EvaluationOptionNames.TopFraction)} must be above 0 and at most 1 (it is {TopFraction}): K of precision@K is that share of the examples."));
        }

        if (!double.IsFinite(Threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "Threshold must be a finite number (0.5 for probabilities): a prediction above it counts as forgotten.");
        }

        Defined(Reveal, nameof(Reveal));
        Defined(RevealRandom, nameof(RevealRandom));
        Defined(ActiveCriterion, nameof(ActiveCriterion));

        static void Defined<T>(T value, string name)
            where T : struct, Enum
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(name, value, $"Not a {typeof(T).Name}; use one of {string.Join(", ", Enum.GetNames<T>())}.");
            }
        }
    }
}

/// <summary>How the protocol chooses which cells of a test row are revealed.</summary>
public enum RevealStrategy
{
    /// <summary>Uniformly at random among the row's observed cells, a fresh draw per seed (the reference protocol).</summary>
    Random,

    /// <summary>
    /// A greedy design (<see cref="EvaluationOptions.ActiveCriterion"/>, V-optimal by default) over an mf model fitted on the
    /// training rows, weighted by each example's noise (<see cref="ActiveReveal"/>): the cells that help predict the rest
    /// most. The same for every seed. An adaptive criterion sees the value of each cell it chose before choosing the next.
    /// </summary>
    Active,
}

/// <summary>Which rows train and which are held out. Two splits are equal when they list the same rows in the same order.</summary>
/// <param name="TrainRows">Rows the methods are fitted on.</param>
/// <param name="TestRows">Rows predicted from their revealed cells.</param>
/// <exception cref="ArgumentNullException">A list of rows is null.</exception>
public sealed record EvaluationSplit(int[] TrainRows, int[] TestRows)
{
    /// <summary>Rows the methods are fitted on.</summary>
    public int[] TrainRows { get; init => field = value ?? throw new ArgumentNullException(nameof(TrainRows)); } = TrainRows ?? throw new ArgumentNullException(nameof(TrainRows));

    /// <summary>Rows predicted from their revealed cells.</summary>
    public int[] TestRows { get; init => field = value ?? throw new ArgumentNullException(nameof(TestRows)); } = TestRows ?? throw new ArgumentNullException(nameof(TestRows));

    /// <summary>True when <paramref name="other"/> lists the same training and test rows, in the same order.</summary>
    public bool Equals(EvaluationSplit? other) =>
        other is not null && TrainRows.AsSpan().SequenceEqual(other.TrainRows) && TestRows.AsSpan().SequenceEqual(other.TestRows);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var row in TrainRows)
        {
            hash.Add(row);
        }

        hash.Add(-1);
        foreach (var row in TestRows)
        {
            hash.Add(row);
        }

        return hash.ToHashCode();
    }

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"TrainRows = [{string.Join(", ", TrainRows)}], TestRows = [{string.Join(", ", TestRows)}]");
        return true;
    }

    /// <summary>Holds out <paramref name="testRows"/> and trains on every other row.</summary>
    public static EvaluationSplit HoldOut(ForgettingMatrix matrix, IReadOnlyList<int> testRows)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(testRows);
        var test = testRows.ToArray();
        return new EvaluationSplit(Enumerable.Range(0, matrix.TaskCount).Except(test).ToArray(), test);
    }
}

/// <summary>Another predictor's predictions for the test rows (e.g. an LM-based one), to be scored on the same cells.</summary>
/// <remarks>A predictor that uses the revealed cells (a fold-in of its own) predicts each reveal draw from that draw's cells,
/// so it gives one set of rows per draw (<see cref="PerDraw"/>); scoring one draw's predictions on every draw would
/// credit it with cells it was never shown.</remarks>
/// <param name="Name">Name for the report.</param>
/// <param name="Rows">One predicted row (length N) per test row, in the split's order; NaN where it has no prediction. Scored on
/// every draw, unless <see cref="Draws"/> is given (then these are draw 0's).</param>
public sealed record ExternalPredictions(string Name, IReadOnlyList<double[]> Rows)
{
    /// <summary>
    /// One set of rows per reveal draw (index d: draw d's predictions, one row per test row in the split's order), or null
    /// (the default): <see cref="Rows"/> is scored on every draw.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<double[]>>? Draws { get; init; }

    /// <summary>Predictions made for each reveal draw: <paramref name="draws"/>[d] is scored on draw d only.</summary>
    /// <exception cref="ArgumentException">No draw is given.</exception>
    public static ExternalPredictions PerDraw(string name, IReadOnlyList<IReadOnlyList<double[]>> draws)
    {
        ArgumentNullException.ThrowIfNull(draws);
        return draws.Count > 0 ? new ExternalPredictions(name, draws[0]) { Draws = draws } : throw new ArgumentException("Give the predictions of at least one draw.", nameof(draws));
    }

    /// <summary>The rows scored on draw <paramref name="draw"/>: that draw's (<see cref="Draws"/>), else <see cref="Rows"/>.</summary>
    public IReadOnlyList<double[]> RowsOf(int draw) => Draws is null ? Rows : Draws[draw];
}

/// <summary>One predicted test row, as handed to a prediction callback.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Seed">Seed index.</param>
/// <param name="Row">Test row (task index).</param>
/// <param name="Known">Revealed example indices.</param>
/// <param name="Predicted">The predicted row (length N).</param>
public sealed record PredictionRecord(string Method, int Seed, int Row, int[] Known, double[] Predicted);

/// <summary>An external predictor's scores and its paired comparison with each of our methods.</summary>
/// <param name="Result">Its metrics on the shared cells.</param>
/// <param name="Comparisons">RMSE difference (external minus ours) with a paired bootstrap 95% interval, per method.</param>
public sealed record ExternalResult(MethodResult Result, IReadOnlyList<RmseDifference> Comparisons);

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

    /// <summary>True when <paramref name="other"/> has the same mean, std and per-seed values (NaN equal to NaN): two runs'
    /// summaries compare by their numbers, not by the identity of their arrays.</summary>
    public bool Equals(MetricSummary? other) =>
        other is not null && Mean.Equals(other.Mean) && Std.Equals(other.Std) && PerSeed.AsSpan().SequenceEqual(other.PerSeed);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Mean);
        hash.Add(Std);
        foreach (var value in PerSeed)
        {
            hash.Add(value);
        }

        return hash.ToHashCode();
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
/// <param name="PrecisionAtK">Mean per-row precision@K of the truly top-K forgotten examples (on a 0/1 matrix, of the forgotten
/// ones: <see cref="Metrics.PrecisionAtK(ReadOnlySpan{double}, ReadOnlySpan{double}, int, bool)"/> with labels); a row predicted as one value everywhere ranks nothing and is left out
/// (as from <paramref name="Spearman"/>), so a method that never ranks has NaN, and so is a row with at most K cells to score
/// (<see cref="EvaluationResult.ShortRows"/>).</param>
/// <param name="RecallAtK">Mean per-row recall@K (<see cref="Metrics.RecallAtK(ReadOnlySpan{double}, ReadOnlySpan{double}, int, bool)"/>): equal to precision@K on a continuous row
/// without ties; on a 0/1 matrix the share of each row's forgotten cells among its K highest predictions, rows with none left
/// out.</param>
/// <param name="F1">Binary matrices: pooled F1 (else null).</param>
/// <param name="Precision">Binary: pooled precision.</param>
/// <param name="Recall">Binary: pooled recall.</param>
/// <param name="Auc">Binary: pooled ROC-AUC.</param>
/// <param name="Seconds">Wall time: preparing (fitting) plus every prediction.</param>
/// <param name="Rows">Per row and seed sums, for bootstraps.</param>
public sealed record MethodResult(string Name, MetricSummary Rmse, MetricSummary Mae, MetricSummary Spearman, MetricSummary PrecisionAtK, MetricSummary RecallAtK,
    MetricSummary? F1, MetricSummary? Precision, MetricSummary? Recall, MetricSummary? Auc, double Seconds, IReadOnlyList<RowScore> Rows)
{
    /// <summary>
    /// What the method fitted on the training rows, when it says (<see cref="IDescribedPredictor"/>): auto's choice and its
    /// cross-validated error, an ensemble's weights; null otherwise.
    /// </summary>
    public string? Fitted { get; init; }

    /// <summary>
    /// How many (draw, test row) pairs had at most <see cref="EvaluationResult.TopK"/> cells scored for this predictor, left out
    /// of its precision@K and recall@K: <see cref="EvaluationResult.ShortRows"/>, counted on the cells every predictor shares,
    /// plus the rows where this one left cells without a prediction (NaN) and so was scored on fewer.
    /// </summary>
    public int ShortRows { get; init; }
}

/// <summary>The result of a protocol run.</summary>
/// <param name="TaskCount">M of the evaluated matrix.</param>
/// <param name="ExampleCount">N.</param>
/// <param name="TestRows">Test row indices.</param>
/// <param name="Options">The options used.</param>
/// <param name="TopK">K of precision@K.</param>
/// <param name="Binary">Whether binary metrics were computed.</param>
/// <param name="Methods">One result per method, in the order given.</param>
/// <param name="Externals">External predictors, scored on the same cells (empty when none).</param>
/// <param name="TrainRows">Training row indices.</param>
public sealed record EvaluationResult(int TaskCount, int ExampleCount, int[] TestRows, EvaluationOptions Options, int TopK, bool Binary, IReadOnlyList<MethodResult> Methods,
    IReadOnlyList<ExternalResult> Externals, int[] TrainRows)
{
    /// <summary>
    /// The distinct cells revealed per test row, averaged over rows and draws: <see cref="EvaluationOptions.Known"/> unless a
    /// row observed fewer cells, or numpy's draws (with replacement) repeated a column or drew one the row did not observe.
    /// </summary>
    public double RevealedPerRow { get; init; }

    /// <summary>
    /// How many (draw, test row) pairs have at most <see cref="TopK"/> cells to score (the rest revealed or missing): precision@K
    /// and recall@K leave them out, as every prediction would pick all their cells and score 1; 0 normally. Counted on the
    /// cells every predictor shares; a predictor that leaves some of them without a prediction can have more
    /// (<see cref="MethodResult.ShortRows"/>).
    /// </summary>
    public int ShortRows { get; init; }

    /// <summary>
    /// The measured test rows (matrix row indices, ascending) that had no cell left to score in at least one draw: every
    /// observed cell was revealed (a row measured on at most <see cref="EvaluationOptions.Known"/> cells), or, with external
    /// predictors, none of the others was predicted by all of them. Such a row counts among the test rows but adds nothing to
    /// those draws' scores; empty normally.
    /// </summary>
    public IReadOnlyList<int> UnscoredRows { get; init; } = [];

    /// <summary>How many (draw, test row) pairs of <see cref="UnscoredRows"/> had no cell left to score.</summary>
    public int UnscoredPairs { get; init; }

    /// <summary>The methods left out because they could not be fitted on the training tasks (only those that allow it,
    /// <see cref="IEvaluationMethod.SkipIfUnfittable"/>), in the order given; empty normally.</summary>
    public IReadOnlyList<SkippedMethod> Skipped { get; init; } = [];
}

/// <summary>A row predictor that says what its method fitted (auto's choice, an ensemble's weights), for reports.</summary>
public interface IDescribedPredictor : IRowPredictor
{
    /// <summary>What was fitted, in one line, or null when there is nothing to say beyond the method's settings.</summary>
    string? Fitted { get; }
}

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

    /// <summary>Runs the protocol holding out <paramref name="testRows"/> and training on the rest.</summary>
    /// <exception cref="ArgumentException">The test rows are empty, repeated, out of range, or leave no training row.</exception>
    public static EvaluationResult Run(ForgettingMatrix matrix, IReadOnlyList<int> testRows, IReadOnlyList<IEvaluationMethod> methods, EvaluationOptions? options = null, IProgress<(string Method, double Fraction)>? progress = null) =>
        Run(matrix, EvaluationSplit.HoldOut(matrix, testRows), methods, options, progress: progress);


    /// <summary>Runs the protocol.</summary>
    /// <param name="matrix">The full matrix (training and test rows).</param>
    /// <param name="split">Training and test rows.</param>
    /// <param name="methods">Methods to evaluate.</param>
    /// <param name="options">Protocol settings, or null for the reference defaults.</param>
    /// <param name="externals">Other predictors' predictions for the test rows; when given, every method is scored only on cells
    /// where all of them have a value, so the comparisons are paired.</param>
    /// <param name="progress">Receives (method name, fraction done), or null.</param>
    /// <param name="onPrediction">Receives every predicted test row, or null.</param>
    /// <param name="cancellationToken">Stops the run: the methods' fits between solver sweeps, the test rows between rows.</param>
    /// <exception cref="ArgumentException">The split is invalid (empty, overlapping, out of range) or an external has the wrong
    /// shape; a method cannot be fitted on the training tasks (one that may be skipped, <see cref="IEvaluationMethod.SkipIfUnfittable"/>,
    /// is left out instead, unless no method or external is left to score).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static EvaluationResult Run(ForgettingMatrix matrix, EvaluationSplit split, IReadOnlyList<IEvaluationMethod> methods, EvaluationOptions? options = null,
        IReadOnlyList<ExternalPredictions>? externals = null, IProgress<(string Method, double Fraction)>? progress = null, Action<PredictionRecord>? onPrediction = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(split);
        CheckMethods(methods, externals);
        if (methods.Count == 0 && (externals is null || externals.Count == 0))
        {
            throw new ArgumentException("Give at least one method or external predictor to score.", nameof(methods));
        }

        var o = options ?? new EvaluationOptions();
        o.ValidateFor(matrix);
        var test = ValidateSplit(matrix, split);
        // Cells beyond the outlier limit are refused once, on the whole matrix with its typical magnitude; the training
        // tasks' fits (and their cross-validation folds) are not refused again against their own.
        matrix = Models.DataScale.CheckOutliers(matrix, o.MaxThreads);
        var train = matrix.SelectTasks(split.TrainRows);
        var binary = o.Binary ?? matrix.IsBinary;
        var topK = Math.Max(1, (int)Math.Round(o.TopFraction * matrix.ExampleCount));
        var extras = externals ?? [];
        foreach (var e in extras)
        {
            var sets = e.Draws ?? [e.Rows];
            if (e.Draws is not null && e.Draws.Count != o.Seeds)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"External '{e.Name}' gives predictions for {e.Draws.Count} draws; the protocol runs {o.Seeds}: give one set per draw."), nameof(externals));
            }

            if (sets.Any(rows => rows.Count != test.Length || rows.Any(r => r.Length != matrix.ExampleCount)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"External '{e.Name}' needs one row of {matrix.ExampleCount} predictions per test row ({test.Length} rows){(e.Draws is null ? "" : " in each draw")}."), nameof(externals));
            }
        }

        var scorable = Scorable(matrix.ExampleCount, test.Length, extras, o.Seeds);
        var reveals = Reveals(matrix, train, test, o, cancellationToken);
        CheckSomethingToScore(matrix, test, reveals, scorable, o);
        var truths = new TruthCache(matrix, test, reveals, scorable, topK, matrix.IsBinary);
        var results = new List<MethodResult>();
        var skipped = new List<SkippedMethod>();
        foreach (var method in methods)
        {
            var clock = Stopwatch.StartNew();
            IRowPredictor predictor;
            try
            {
                predictor = method is IKnownTunedMethod tuned ? tuned.Prepare(train, o.Known, cancellationToken) : method.Prepare(train, cancellationToken);
            }
            catch (ArgumentException e) when (method.SkipIfUnfittable && e.GetType() == typeof(ArgumentException))
            {
                skipped.Add(new SkippedMethod(method.Name, ExceptionText.Sentence(e)));
                continue;
            }

            var fitted = (predictor as IDescribedPredictor)?.Fitted;
            // Each row is scored (and handed to onPrediction) as soon as it is predicted, with the clock stopped, so the
            // memory held does not grow with the draws and the seconds are the method's own.
            var scoring = new Scoring(truths, test, o, binary, topK);
            var done = 0;
            for (var s = 0; s < o.Seeds; s++)
            {
                for (var t = 0; t < test.Length; t++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var known = reveals[s][t];
                    var values = known.Select(j => (double)matrix[test[t], j]).ToArray();
                    var predicted = predictor is ITaskAwarePredictor aware ? aware.PredictRow(matrix.TaskIds[test[t]], known, values) : predictor.PredictRow(known, values);
                    clock.Stop();
                    scoring.Add(s, t, predicted);
                    onPrediction?.Invoke(new PredictionRecord(method.Name, s, test[t], known, predicted));
                    progress?.Report((method.Name, (double)++done / (o.Seeds * test.Length)));
                    clock.Start();
                }
            }

            results.Add(scoring.Result(method.Name, clock.Elapsed.TotalSeconds) with { Fitted = fitted });
        }

        if (results.Count == 0 && extras.Count == 0)
        {
            throw new ArgumentException($"No method could be fitted on the {train.TaskCount} training tasks: {string.Join(" ", skipped.Select(m => $"{m.Name}: {m.Reason}"))}", nameof(methods));
        }

        var externalResults = new List<ExternalResult>();
        foreach (var e in extras)
        {
            var scoring = new Scoring(truths, test, o, binary, topK);
            for (var s = 0; s < o.Seeds; s++)
            {
                var rows = e.RowsOf(s).ToArray();
                for (var t = 0; t < test.Length; t++)
                {
                    scoring.Add(s, t, rows[t]);
                }
            }

            var scored = scoring.Result(e.Name, 0);
            externalResults.Add(new ExternalResult(scored, results.Select(r => PairedBootstrap.RmseDifference(scored, r, seed: o.Seed)).ToArray()));
        }

        var (shortRows, unscoredRows, unscoredPairs) = ShortRows(matrix, truths, o.Seeds, test, topK);
        return new EvaluationResult(matrix.TaskCount, matrix.ExampleCount, test, o, topK, binary, results, externalResults, split.TrainRows)
        {
            RevealedPerRow = reveals.Average(draw => draw.Average(row => (double)row.Length)),
            ShortRows = shortRows,
            UnscoredRows = unscoredRows,
            UnscoredPairs = unscoredPairs,
            Skipped = skipped,
        };
    }

    /// <summary>
    /// The revealed example indices of every draw and test row, as <see cref="Run(ForgettingMatrix, EvaluationSplit, IReadOnlyList{IEvaluationMethod}, EvaluationOptions?, IReadOnlyList{ExternalPredictions}?, IProgress{ValueTuple{string, double}}?, Action{PredictionRecord}?, CancellationToken)"/>
    /// reveals them: element [d][t] holds draw d's cells of the split's test row t (sorted, distinct, observed). Every other
    /// observed cell of the row is scored. An active design is fitted on the training rows for it.
    /// </summary>
    /// <exception cref="ArgumentException">The split or an option is invalid.</exception>
    public static int[][][] Reveals(ForgettingMatrix matrix, EvaluationSplit split, EvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var test = ValidateSplit(matrix, split);
        return Reveals(matrix, matrix.SelectTasks(split.TrainRows), test, options);
    }

    // scorable[draw][test row][example]: whether every external has a prediction there. Draws share one array unless an
    // external gives predictions per draw.
    private static bool[][][] Scorable(int exampleCount, int testCount, IReadOnlyList<ExternalPredictions> extras, int seeds)
    {
        bool[][] Of(int draw)
        {
            var scorable = new bool[testCount][];
            for (var t = 0; t < testCount; t++)
            {
                scorable[t] = new bool[exampleCount];
                for (var j = 0; j < exampleCount; j++)
                {
                    var all = true;
                    foreach (var e in extras)
                    {
                        all &= !double.IsNaN(e.RowsOf(draw)[t][j]);
                    }

                    scorable[t][j] = all;
                }
            }

            return scorable;
        }

        if (extras.All(e => e.Draws is null))
        {
            var shared = Of(0);
            return [.. Enumerable.Repeat(shared, seeds)];
        }

        return [.. Enumerable.Range(0, seeds).Select(Of)];
    }

    // Only observed cells that were not revealed are scored; when no test row has one for any seed, every metric would
    // be empty, so say why instead of returning a table of blanks.
    private static void CheckSomethingToScore(ForgettingMatrix matrix, int[] test, int[][][] reveals, bool[][][] scorable, EvaluationOptions o)
    {
        for (var s = 0; s < reveals.Length; s++)
        {
            for (var t = 0; t < test.Length; t++)
            {
                var revealed = new HashSet<int>(reveals[s][t]);
                var row = matrix.Row(test[t]);
                for (var j = 0; j < row.Length; j++)
                {
                    if (!float.IsNaN(row[j]) && scorable[s][t][j] && !revealed.Contains(j))
                    {
                        return;
                    }
                }
            }
        }

        var observed = test.Max(r => matrix.ExampleCount - (int)Numerics.ValueScan.Scan(matrix.Row(r)).MissingCount);
        if (observed == 0)
        {
            // No test row has a measured cell: revealing fewer cannot help (QA: "Reveal fewer cells" was said at --known 0).
            // The matrix's content is at fault, not a setting (bad data, exit 1), even when --test-rows chose the rows.
            throw new ArgumentException(
                $"Nothing can be scored: no cell of the {test.Length} test row(s) was measured (every one is missing), so there is nothing to compare a prediction with. Hold out tasks with measured cells (another split), or leave the unmeasured tasks out of the matrix.", nameof(matrix));
        }

        throw new OptionException(OptionMessage.Of(
            $"Nothing can be scored: the {test.Length} test row(s) have at most {observed} observed cell(s) of {matrix.ExampleCount}, and revealing {o.Known} leaves none unrevealed (or no external predicts one). Reveal fewer cells ({new OptionReference(EvaluationOptionNames.Known)}), hold out rows with more observed cells, or evaluate a matrix with more examples."));
    }

    private static int[] ValidateSplit(ForgettingMatrix matrix, EvaluationSplit split)
    {
        var test = split.TestRows;
        var train = split.TrainRows;
        if (test.Length == 0)
        {
            throw new ArgumentException("No test rows: choose at least one task to hold out.", nameof(split));
        }

        if (train.Length == 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"No training rows: the {test.Length} test rows leave none of the {matrix.TaskCount} tasks to train on; hold out fewer."), nameof(split));
        }

        var outside = test.Concat(train).Where(r => r < 0 || r >= matrix.TaskCount).Take(1).ToArray();
        if (outside.Length > 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {outside[0]} is not a row index: rows are 0..{matrix.TaskCount - 1}."), nameof(split));
        }

        if (Repeated(test) is { } testTwice)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Test row {testTwice} is listed twice."), nameof(split));
        }

        if (Repeated(train) is { } trainTwice)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Training row {trainTwice} is listed twice."), nameof(split));
        }

        var testSet = new HashSet<int>(test);
        if (train.FirstOrDefault(testSet.Contains, -1) is var both && both >= 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Row {both} is both a training and a test row."), nameof(split));
        }

        return test;

        static int? Repeated(int[] rows)
        {
            var seen = new HashSet<int>();
            foreach (var r in rows)
            {
                if (!seen.Add(r))
                {
                    return r;
                }
            }

            return null;
        }
    }

    // reveals[seed][test row]: random draws per seed, or one active design shared by every seed.
    private static int[][][] Reveals(ForgettingMatrix matrix, ForgettingMatrix train, int[] test, EvaluationOptions o, CancellationToken cancellationToken = default)
    {
        if (o.Reveal == RevealStrategy.Random && o.RevealRandom == RevealRandom.Numpy)
        {
            return NumpyReveal.Reveals(matrix, test, o);
        }

        if (o.Reveal == RevealStrategy.Random)
        {
            return Enumerable.Range(0, o.Seeds).Select(s => test.Select(row => Reveal(matrix, row, s, o)).ToArray()).ToArray();
        }

        var design = ActiveDesign.Fit(train, new LowRankFitter(new LowRankOptions { MaxThreads = o.MaxThreads }), cancellationToken);
        int[]? complete = null;
        var perRow = test.Select(row =>
        {
            var values = matrix.Row(row).ToArray();
            var all = !System.Numerics.Tensors.TensorPrimitives.IsNaNAny<float>(values);
            Func<int, bool>? available = all ? null : j => !float.IsNaN(values[j]);
            if (o.ActiveCriterion == ActiveCriterion.Neighbours)
            {
                // Adaptive: each next cell is chosen knowing only the values of the cells revealed before it.
                return Sorted(design.ChooseAdaptive(o.Known, j => values[j], available));
            }

            return all ? complete ??= Sorted(design.Choose(o.Known, o.ActiveCriterion))
                : Sorted(design.Choose(o.Known, o.ActiveCriterion, available));
        }).ToArray();
        return Enumerable.Range(0, o.Seeds).Select(_ => perRow).ToArray();
    }

    private static int[] Sorted(int[] values)
    {
        var copy = (int[])values.Clone();
        Array.Sort(copy);
        return copy;
    }

    /// <summary>Refuses a null method or external predictor, one without a name, or two of one name among them all (their
    /// results could not be told apart).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="methods"/> is null.</exception>
    /// <exception cref="ArgumentException">An entry is null or unnamed, or a name repeats.</exception>
    internal static void CheckMethods(IReadOnlyList<IEvaluationMethod> methods, IReadOnlyList<ExternalPredictions>? externals = null)
    {
        ArgumentNullException.ThrowIfNull(methods);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var entries = methods.Select(m => (What: "Method", Item: (object?)m, Name: m?.Name))
            .Concat((externals ?? []).Select(e => (What: "External predictor", Item: (object?)e, Name: e?.Name)))
            .ToArray();
        for (var i = 0; i < entries.Length; i++)
        {
            var (what, item, name) = entries[i];
            var index = what == "Method" ? i : i - methods.Count;
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{what} {index} is {(item is null ? "null" : "unnamed")}; give every method and external predictor a name."), what == "Method" ? nameof(methods) : nameof(externals));
            }

            if (!names.Add(name))
            {
                throw new ArgumentException($"Two methods or external predictors are named '{name}'; name each differently, or their results cannot be told apart.", what == "Method" ? nameof(methods) : nameof(externals));
            }
        }
    }

    /// <summary>One method's (or external's) metrics, accumulated row by row as its predictions come, in draw order and row
    /// order within a draw (the order of the sums, so the results do not depend on how the rows were produced).</summary>
    private sealed class Scoring(TruthCache truths, int[] test, EvaluationOptions o, bool binary, int topK)
    {
        private readonly double[] _rmse = new double[o.Seeds], _mae = new double[o.Seeds], _spearman = new double[o.Seeds], _pAtK = new double[o.Seeds], _rAtK = new double[o.Seeds];
        private readonly double[] _f1 = new double[o.Seeds], _precision = new double[o.Seeds], _recall = new double[o.Seeds], _auc = new double[o.Seeds];
        private readonly RowScore[] _rows = new RowScore[o.Seeds * test.Length];
        private readonly List<double>? _pooledTruth = binary ? [] : null;
        private readonly List<double>? _pooledPrediction = binary ? [] : null;
        private int _shortRows;
        private int _seed;
        private int _next;
        private double _spearmanSum, _pSum, _rSum, _sse, _sae;
        private int _spearmanCount, _pCount, _rCount;
        private long _cells;

        /// <summary>Scores draw <paramref name="s"/>'s prediction of test row <paramref name="t"/>; rows come in order.</summary>
        public void Add(int s, int t, double[] predicted)
        {
            if (s != _seed || t != _next)
            {
                throw new InvalidOperationException($"Row ({s}, {t}) scored out of order: ({_seed}, {_next}) was expected.");
            }

            var truth = truths.Get(s, t);
            var complete = true;
            foreach (var j in truth.Cells)
            {
                complete &= !double.IsNaN(predicted[j]);
            }

            // A predictor without a value for some cell (an external one) is scored on the cells it has.
            var scored = complete ? truth : truth.Without(predicted, topK);
            var rowPredicted = new double[scored.Cells.Length];
            double rowSse = 0, rowSae = 0;
            for (var c = 0; c < scored.Cells.Length; c++)
            {
                rowPredicted[c] = predicted[scored.Cells[c]];
                var d = rowPredicted[c] - scored.Values[c];
                rowSse += d * d;
                rowSae += Math.Abs(d);
            }

            var count = scored.Cells.Length;
            _shortRows += count > 0 && count <= topK ? 1 : 0;
            _rows[(s * test.Length) + t] = new RowScore(test[t], s, rowSse, rowSae, count);
            _sse += rowSse;
            _sae += rowSae;
            _cells += count;
            _pooledTruth?.AddRange(scored.Values);
            _pooledPrediction?.AddRange(rowPredicted);
            // Ranked with ties in exact arithmetic kept as ties, not ordered by the last bits (Metrics.MergeNearTies).
            var (predictedRanks, predictedTop, ranked) = Metrics.RanksAndTop(rowPredicted, topK, mergeNearTies: true);
            var rho = count < 2 ? double.NaN : Metrics.Pearson(scored.Ranks, predictedRanks);
            if (!double.IsNaN(rho))
            {
                _spearmanSum += rho;
                _spearmanCount++;
            }

            // A row predicted as one value everywhere ranks nothing: its top K would be the first K cells by index, so
            // precision@K is undefined there (as its Spearman is), not the share of the truth's top K among those cells.
            // Nor does a row of at most K scored cells rank anything: every prediction would pick all of them and score 1.
            if (count > topK && !Constant(ranked))
            {
                // Ties at either cut count alike whatever the cells' order (Metrics.PrecisionAtK); the K-th largest
                // prediction is the smallest of the top K.
                var k = topK;
                var predictedCut = predictedTop.Length == 0 ? double.PositiveInfinity : predictedTop.Min(c => ranked[c]);
                var hits = Metrics.TopKHits(scored.Values, scored.TopCut, ranked, predictedCut, k);
                _pSum += hits / k;
                _pCount++;
                if (scored.Relevant > 0)
                {
                    _rSum += hits / scored.Relevant;
                    _rCount++;
                }
            }

            if (++_next == test.Length)
            {
                EndDraw();
            }
        }

        /// <summary>The metrics, once every draw's rows have been added.</summary>
        public MethodResult Result(string name, double seconds)
        {
            if (_seed != o.Seeds)
            {
                throw new InvalidOperationException($"Only {_seed} of {o.Seeds} draws were scored.");
            }

            return new MethodResult(name, MetricSummary.Of(_rmse), MetricSummary.Of(_mae), MetricSummary.Of(_spearman), MetricSummary.Of(_pAtK), MetricSummary.Of(_rAtK),
                binary ? MetricSummary.Of(_f1) : null, binary ? MetricSummary.Of(_precision) : null, binary ? MetricSummary.Of(_recall) : null, binary ? MetricSummary.Of(_auc) : null,
                seconds, _rows)
            {
                ShortRows = _shortRows,
            };
        }

        // Pools the draw's sums into its metrics and starts the next draw.
        private void EndDraw()
        {
            var s = _seed;
            _rmse[s] = _cells == 0 ? double.NaN : Math.Sqrt(_sse / _cells);
            _mae[s] = _cells == 0 ? double.NaN : _sae / _cells;
            _spearman[s] = _spearmanCount == 0 ? double.NaN : _spearmanSum / _spearmanCount;
            _pAtK[s] = _pCount == 0 ? double.NaN : _pSum / _pCount;
            _rAtK[s] = _rCount == 0 ? double.NaN : _rSum / _rCount;
            if (binary)
            {
                var truthArray = _pooledTruth!.ToArray();
                var predictionArray = _pooledPrediction!.ToArray();
                (_precision[s], _recall[s], _f1[s]) = Metrics.Classification(truthArray, predictionArray, o.Threshold);
                _auc[s] = Metrics.RocAuc(truthArray, predictionArray, mergeNearTies: true);
                _pooledTruth.Clear();
                _pooledPrediction.Clear();
            }

            _spearmanSum = _pSum = _rSum = _sse = _sae = 0;
            _spearmanCount = _pCount = _rCount = 0;
            _cells = 0;
            _seed++;
            _next = 0;
        }
    }

    // The (draw, test row) pairs with from 1 to K cells to score, which precision@K and recall@K leave out; and the measured
    // test rows with no cell left to score in some draw (every observed cell revealed, or left without an external's
    // prediction), with how many pairs they make.
    private static (int ShortRows, int[] UnscoredRows, int UnscoredPairs) ShortRows(ForgettingMatrix matrix, TruthCache truths, int seeds, int[] test, int topK)
    {
        var count = 0;
        var unscored = new SortedSet<int>();
        var pairs = 0;
        for (var s = 0; s < seeds; s++)
        {
            for (var t = 0; t < test.Length; t++)
            {
                var cells = truths.Cells(s, t).Length;
                count += cells > 0 && cells <= topK ? 1 : 0;
                if (cells == 0 && Numerics.ValueScan.Scan(matrix.Row(test[t])).MissingCount < matrix.ExampleCount)
                {
                    unscored.Add(test[t]);
                    pairs++;
                }
            }
        }

        return (count, [.. unscored], pairs);
    }

    // Two or more cells, all predicted alike.
    private static bool Constant(double[] values)
    {
        for (var c = 1; c < values.Length; c++)
        {
            if (values[c] != values[0])
            {
                return false;
            }
        }

        return values.Length > 1;
    }

    /// <summary>What every method is scored against for one (seed, test row): the scored cells, their true values, ranks, the
    /// truth a hit of precision@K must reach (the K-th largest value; on a 0/1 matrix, a forgotten cell) and how many cells
    /// reach it (recall@K's denominator).</summary>
    private sealed record Truth(int[] Cells, double[] Values, double[] Ranks, double TopCut, int Relevant, bool Labels)
    {
        public static Truth Of(int[] cells, double[] values, int topK, bool labels)
        {
            var (ranks, top) = Metrics.RanksAndTop(values, topK);
            var cut = labels ? Metrics.TruthCut(values, topK, labels: true) : top.Length == 0 ? double.PositiveInfinity : top.Min(c => values[c]);
            return new(cells, values, ranks, cut, Metrics.Relevant(values, cut), labels);
        }

        // The same row restricted to the cells where a predictor has a value.
        public Truth Without(double[] predicted, int topK)
        {
            var keep = Enumerable.Range(0, Cells.Length).Where(c => !double.IsNaN(predicted[Cells[c]])).ToArray();
            return Of(keep.Select(c => Cells[c]).ToArray(), keep.Select(c => Values[c]).ToArray(), topK, Labels);
        }
    }

    /// <summary>Truth per (seed, test row), shared by every method: computed once and kept when every draw's truth fits in
    /// <see cref="MaxCachedBytes"/> (the truth side of ranks and top-K is then sorted once), otherwise computed again for each
    /// method, so that a large matrix's evaluation holds one row's truth at a time rather than every draw's.</summary>
    private sealed class TruthCache(ForgettingMatrix matrix, int[] test, int[][][] reveals, bool[][][] scorable, int topK, bool labels)
    {
        // A scored cell's truth holds its index, value and rank: 20 bytes.
        private const long MaxCachedBytes = 64L << 20;
        private readonly Dictionary<(int Seed, int Row), Truth>? _truths = 20L * reveals.Length * test.Length * matrix.ExampleCount <= MaxCachedBytes ? [] : null;

        public Truth Get(int seed, int t)
        {
            if (_truths is not null && _truths.TryGetValue((seed, t), out var cached))
            {
                return cached;
            }

            var cells = Cells(seed, t);
            var row = matrix.Row(test[t]);
            var values = new double[cells.Length];
            for (var c = 0; c < values.Length; c++)
            {
                values[c] = row[cells[c]];
            }

            var truth = Truth.Of(cells, values, topK, labels);
            if (_truths is not null)
            {
                _truths[(seed, t)] = truth;
            }

            return truth;
        }

        /// <summary>The cells scored in draw <paramref name="seed"/>'s test row <paramref name="t"/>: observed, not revealed,
        /// and predicted by every external.</summary>
        public int[] Cells(int seed, int t)
        {
            if (_truths is not null && _truths.TryGetValue((seed, t), out var cached))
            {
                return cached.Cells;
            }

            var revealed = new HashSet<int>(reveals[seed][t]);
            var row = matrix.Row(test[t]);
            var cells = new List<int>(row.Length);
            for (var j = 0; j < row.Length; j++)
            {
                if (!float.IsNaN(row[j]) && !revealed.Contains(j) && scorable[seed][t][j])
                {
                    cells.Add(j);
                }
            }

            return [.. cells];
        }
    }
}

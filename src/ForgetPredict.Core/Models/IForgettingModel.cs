namespace ForgetPredict.Core.Models;

/// <summary>The model families ForgetPredict fits (science.md, section 3).</summary>
public enum ModelMethod
{
    /// <summary>Zhat[i, j] = mean of row i (the task-only reference).</summary>
    TaskMean,

    /// <summary>Zhat[i, j] = mean of column j (the example-only reference).</summary>
    ExampleMean,

    /// <summary>Zhat[i, j] = mu + a_i + b_j with L2-regularised biases.</summary>
    Additive,

    /// <summary>Zhat[i, j] = u_i * v_j, uncentred rank-1.</summary>
    RankOne,

    /// <summary>Zhat[i, j] = mu + a_i + b_j + U_i . V_j, rank r, L2-regularised (biased matrix factorisation).</summary>
    LowRank,

    /// <summary>Additive baseline plus the similarity-weighted mean residual of the k most similar tasks.</summary>
    Knn,

    /// <summary>P(Z[i, j] = 1) = sigmoid(U_i . V_j), rank r, for binary matrices.</summary>
    Logistic,

    /// <summary>P(Z[i, j] = 1) = sigmoid(mu + a_i + b_j), for binary matrices.</summary>
    LogisticAdditive,

    /// <summary>A stacked ensemble: non-negative, cross-validated weights summing to one on other methods' predictions.</summary>
    Ensemble,
}

/// <summary>
/// A fitted, immutable forgetting model: predictions for the tasks it was fitted on, and a fold-in that
/// predicts a new task's whole row from a few of its measured cells without refitting.
/// </summary>
/// <remarks>Implementations are immutable and safe for concurrent use.</remarks>
public interface IForgettingModel
{
    /// <summary>The model family.</summary>
    ModelMethod Method { get; }

    /// <summary>Number of training tasks (rows).</summary>
    int TaskCount { get; }

    /// <summary>Number of upstream examples (columns).</summary>
    int ExampleCount { get; }

    /// <summary>Training task ids.</summary>
    IdList TaskIds { get; }

    /// <summary>Example ids.</summary>
    IdList ExampleIds { get; }

    /// <summary>True when predictions are probabilities that a cell is 1 (logistic models on binary matrices).</summary>
    bool PredictsProbability { get; }

    /// <summary>The prediction for a training task's cell. Allocates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> or <paramref name="example"/> is not an index of the
    /// training matrix.</exception>
    double Predict(int task, int example);

    /// <summary>Writes the predictions of a training task's whole row into <paramref name="destination"/> (length <see cref="ExampleCount"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="task"/> is not a training task's index.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length is not <see cref="ExampleCount"/>.</exception>
    void PredictRow(int task, Span<double> destination);

    /// <summary>
    /// Predicts a new task from its known cells (example index, value) without refitting: the example side of the
    /// model stays fixed and only the new task's own parameters are solved for. With no known cells the result is
    /// the model's task-agnostic estimate (the average task).
    /// </summary>
    /// <param name="examples">Indices of the known examples, each in 0..ExampleCount-1, no repeats.</param>
    /// <param name="values">The known values, finite, same length as <paramref name="examples"/>.</param>
    /// <param name="options">Fold-in settings, or null for the defaults.</param>
    /// <remarks>The models of this library refuse a value more than <see cref="FoldInScale.Limit"/> predictive stds from what
    /// they expect of an average task at its example (a unit mistake or a typo; see <see cref="FoldInScale"/>), naming the example
    /// and the fix; an implementation elsewhere can call <see cref="FoldInScale.Check"/> to do the same.</remarks>
    /// <exception cref="ArgumentException">Lengths differ, an index is out of range or repeated, a value is not finite, a value
    /// lies beyond <see cref="FoldInScale.Limit"/> predictive stds of what the model expects (not in the units of its data), or
    /// the values are so far from what the model expects that the new task's predictions would overflow.</exception>
    FoldedTask FoldIn(ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FoldInOptions? options = null);
}

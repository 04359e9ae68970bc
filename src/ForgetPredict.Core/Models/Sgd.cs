namespace ForgetPredict.Core.Models;

/// <summary>
/// Options of <see cref="SgdFitter"/>: plain stochastic gradient descent on the biased factorisation, the way the
/// reference Python pipeline (Surprise's SVD and BaselineOnly) fits it. Kept for fidelity: ForgetPredict's own fitters
/// are faster and more accurate.
/// </summary>
public sealed record SgdOptions : FitOptions
{
    /// <summary>Latent rank r; 0 fits biases only (the reference additive model).</summary>
    public int Rank { get; init; } = 5;

    /// <summary>Step size (the reference: 0.005).</summary>
    public double LearningRate { get; init; } = 0.005;

    /// <summary>L2 penalty on biases and factors per update (the reference MF: 0; Surprise's baseline default: 0.02).</summary>
    public double Regularization { get; init; }

    /// <summary>Passes over the observed cells (the reference: 1,000).</summary>
    public int Epochs { get; init; } = 1000;

    /// <summary>Standard deviation of the initial factors (the reference MF: 0.001).</summary>
    public double InitStd { get; init; } = 0.001;

    /// <summary>Seed of the factor initialisation.</summary>
    public int Seed { get; init; } = Defaults.Seed;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        InRange(Rank, 0, 1024, nameof(Rank));
        NonNegative(LearningRate, nameof(LearningRate));
        NonNegative(Regularization, nameof(Regularization));
        InRange(Epochs, 1, 1_000_000, nameof(Epochs));
        NonNegative(InitStd, nameof(InitStd));
    }
}

/// <summary>
/// Fits mu + a_i + b_j + U_i . V_j by stochastic gradient descent, visiting observed cells in row-major order every epoch
/// (as Surprise does), with mu fixed at the observed mean.
/// </summary>
/// <remarks>
/// <para>Each visit: e = z - zhat; a_i += lr (e - reg a_i); b_j += lr (e - reg b_j); U_i += lr (e V_j - reg U_i);
/// V_j += lr (e U_i - reg V_j) (both factor updates from the old values). Cost O(epochs x observed x r), inherently
/// sequential (single-threaded); deterministic.</para>
/// <para>The model it returns has no task prior (its fold-in uses the ridge prior with the SGD penalty).</para>
/// </remarks>
public sealed class SgdFitter(SgdOptions? options = null) : IForgettingFitter
{
    private readonly SgdOptions _o = FactorFits.Validated(options ?? new SgdOptions());

    /// <inheritdoc />
    public ModelMethod Method => _o.Rank == 0 ? ModelMethod.Additive : ModelMethod.LowRank;

    /// <inheritdoc />
    public IForgettingModel Fit(ForgettingMatrix matrix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.ObservedCount == 0)
        {
            throw new ArgumentException("Every cell of the matrix is missing (NaN); there is nothing to fit.", nameof(matrix));
        }

        int m = matrix.TaskCount, n = matrix.ExampleCount, r = _o.Rank;
        double lr = _o.LearningRate, reg = _o.Regularization;
        var random = new Random(_o.Seed);
        var a = new double[m];
        var b = new double[n];
        var u = new double[m * r];        // task-major: U_i at i * r
        var vByExample = new double[n * r]; // example-major while training (each update touches r adjacent values)
        for (var e = 0; e < u.Length; e++)
        {
            u[e] = _o.InitStd * AlternatingLeastSquares.Gaussian(random);
        }

        // Initialised in the r x N order the model stores, so the random stream matches the stored layout.
        for (var k = 0; k < r; k++)
        {
            for (var j = 0; j < n; j++)
            {
                vByExample[(j * r) + k] = _o.InitStd * AlternatingLeastSquares.Gaussian(random);
            }
        }

        // The observed cells, row-major, as parallel arrays.
        var count = checked((int)matrix.ObservedCount);
        var rows = new int[count];
        var columns = new int[count];
        var values = new double[count];
        double sum = 0;
        var c = 0;
        for (var i = 0; i < m; i++)
        {
            var row = matrix.Row(i);
            for (var j = 0; j < n; j++)
            {
                if (!float.IsNaN(row[j]))
                {
                    rows[c] = i;
                    columns[c] = j;
                    values[c++] = row[j];
                    sum += row[j];
                }
            }
        }

        var mu = sum / count;
        for (var epoch = 0; epoch < _o.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (c = 0; c < count; c++)
            {
                int i = rows[c], j = columns[c];
                var ui = u.AsSpan(i * r, r);
                var vj = vByExample.AsSpan(j * r, r);
                var dot = 0d;
                for (var k = 0; k < r; k++)
                {
                    dot += ui[k] * vj[k];
                }

                var err = values[c] - (mu + a[i] + b[j] + dot);
                a[i] += lr * (err - (reg * a[i]));
                b[j] += lr * (err - (reg * b[j]));
                for (var k = 0; k < r; k++)
                {
                    var uk = ui[k];
                    ui[k] += lr * ((err * vj[k]) - (reg * uk));
                    vj[k] += lr * ((err * uk) - (reg * vj[k]));
                }
            }
        }

        // (TensorPrimitives.IsFiniteAll is false for an empty span, as the factors of a rank-0 fit are.)
        static bool Finite(double[] values) => values.Length == 0 || System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<double>(values);
        if (!Finite(a) || !Finite(b) || !Finite(u) || !Finite(vByExample))
        {
            var rms = Math.Sqrt(values.Sum(x => x * x) / count);
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Stochastic gradient descent with learning rate {lr:G3} diverged on this matrix: its values (RMS {rms:G3}) are too large for that fixed step (the reference stack's, which diverges here too). Rescale the matrix to losses near 1 to compare with the reference, or leave the ref-* methods out."),
                nameof(matrix));
        }

        var v = new double[r * n];
        for (var j = 0; j < n; j++)
        {
            for (var k = 0; k < r; k++)
            {
                v[(k * n) + j] = vByExample[(j * r) + k];
            }
        }

        double rss = 0;
        for (c = 0; c < count; c++)
        {
            var zhat = mu + a[rows[c]] + b[columns[c]];
            for (var k = 0; k < r; k++)
            {
                zhat += u[(rows[c] * r) + k] * vByExample[(columns[c] * r) + k];
            }

            rss += (values[c] - zhat) * (values[c] - zhat);
        }

        return FactorModel.CreateOwned(new FactorModelParameters
        {
            Method = Method,
            TaskIds = matrix.TaskIds,
            ExampleIds = matrix.ExampleIds,
            GlobalMean = mu,
            TaskBiases = a,
            ExampleBiases = b,
            Rank = r,
            TaskFactors = u,
            ExampleFactors = v,
            NoiseVariance = rss / count,
            TaskBiasPenalty = reg,
            TaskFactorPenalty = reg,
            Fit = new FitReport(_o.Epochs, true, rss, rss / count),
        });
    }
}

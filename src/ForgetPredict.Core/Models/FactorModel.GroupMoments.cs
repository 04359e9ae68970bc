namespace ForgetPredict.Core.Models;

// Group moments: what a group's average needs from the model (mean features, mean example bias, variance of the mean
// residual, how many of its examples are unmeasured), whatever the new task.
public sealed partial class FactorModel
{
    // Variance of a new task's mean residual over a set of examples under the residual covariance W^T W + iso I + D: the
    // directions' part (sum_k mean_g(W_k)^2, its products between examples j != l weighted g_j g_l, see
    // FactorModelParameters.ResidualCrossMissing, and never below the own squares alone), the isotropic part (iso / size),
    // and D, what each example's own variance holds beyond iso + sum_k W[k, j]^2, independent across examples and never
    // negative: the raise toward the noise variance, the example parameters' share, the least share each keeps, an unmeasured
    // example's average residual. So a one-example group's variance is its cell's, and no group's is below what the
    // directions give it (without cross weights) or below its examples' variances taken as independent (with them).
    private double MeanResidualVariance(ReadOnlySpan<int> examples)
    {
        var size = examples.Length;
        if (_exampleNoise is null)
        {
            return _p.NoiseVariance / size;
        }

        double diagonal = 0;
        foreach (var j in examples)
        {
            diagonal += _exampleNoise[j];
        }

        var n = ExampleCount;
        var weighted = size > 1 && _p.ResidualCrossMissing.Length != 0;
        var weights = weighted ? new double[size] : [];
        for (var t = 0; t < weights.Length; t++)
        {
            weights[t] = ResidualCrossWeight(examples[t]);
        }

        double means = 0, squares = 0, weightedSquares = 0;
        for (var k = 0; k < _p.ResidualRank; k++)
        {
            var w = _p.ResidualFactors.AsSpan(k * n, n);
            double sum = 0, square = 0, weightedSum = 0, weightedSquare = 0;
            for (var t = 0; t < size; t++)
            {
                var v = (float)w[examples[t]];
                sum += v;
                square += (double)v * v;
                if (weighted)
                {
                    var gv = weights[t] * v;
                    weightedSum += gv;
                    weightedSquare += gv * gv;
                }
            }

            var scale = _p.ResidualScales[k];
            var mean = scale * (weighted ? weightedSum : sum) / size;
            means += mean * mean;
            squares += scale * scale * square;
            weightedSquares += scale * scale * weightedSquare;
        }

        // D's sum: each example's variance less its directions and isotropic part (non-negative but for rounding).
        var extra = Math.Max(diagonal - (size * _isotropicNoise) - squares, 0);
        if (weighted)
        {
            // With cross weights the products between different examples count g_j g_l times, an example's own square once:
            // never less than the own squares alone (examples independent).
            var own = squares / ((double)size * size);
            means = Math.Max(means - ((weightedSquares - squares) / ((double)size * size)), own);
        }

        return means + (_isotropicNoise / size) + (extra / ((double)size * size));
    }

    // Average of x_j over a set of examples, with x_j = ([1], V_j): the features of the set's mean.
    private double[] MeanFeatures(ReadOnlySpan<int> examples)
    {
        var x = new double[_taskDim];
        var o = HasTaskBias ? 1 : 0;
        if (HasTaskBias)
        {
            x[0] = 1;
        }

        foreach (var j in examples)
        {
            for (var k = 0; k < _p.Rank; k++)
            {
                x[o + k] += _p.ExampleFactors[((long)k * ExampleCount) + j] / examples.Length;
            }
        }

        return x;
    }

    // What a group's average needs from the model, whatever the new task: the mean example features, the mean example bias
    // and the variance of the mean residual. O((r + q) n) to compute, so large groups are remembered (a service asks for
    // the same groups of a model with every request).
    private GroupMoments Moments(ReadOnlySpan<int> examples)
    {
        if (examples.Length < GroupCache.MinimumSize)
        {
            return ComputeMoments(examples);
        }

        return _groups.GetOrAdd(examples, ComputeMoments);
    }

    private GroupMoments ComputeMoments(ReadOnlySpan<int> examples)
    {
        double bias = 0;
        if (HasExampleBias)
        {
            foreach (var j in examples)
            {
                bias += _p.ExampleBiases[j];
            }

            bias /= examples.Length;
        }

        var unmeasured = UnmeasuredColumns.CountIn(_p.UnmeasuredExamples, examples);
        return new GroupMoments(MeanFeatures(examples), bias, MeanResidualVariance(examples), unmeasured);
    }
}

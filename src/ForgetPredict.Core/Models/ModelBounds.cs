using System.Globalization;

namespace ForgetPredict.Core.Models;

// Every value of a model finite is not enough: a finite example factor of 1e200 squares to infinity in a predictive variance,
// and a finite weight of 1e300 makes a finite prediction infinite. Each model (FactorModel, KnnModel, EnsembleModel) knows a
// bound on the magnitude of its predictions and of their stds, and refuses to be built when one exceeds Limit: far beyond any float32 data (3.4e38), whose
// units every fitted parameter is in, and far enough below double's range (1.8e308) that the sums and squares that consume
// them (group averages, an ensemble's weighted sum, a variance) stay finite. Only a damaged or hand-made model meets it.

/// <summary>The limit every model's predictions and stds stay under, and its check.</summary>
internal static class ModelBounds
{
    /// <summary>The largest magnitude a model's predictions and stds may reach.</summary>
    public const double Limit = 1e100;

    /// <summary>The bounds on |prediction| and on the predictive std of <paramref name="model"/> (for every training task and a new
    /// task under the model's own prior; a fold-in's posterior is narrower), or (0, 0) for a model of another library.</summary>
    public static (double Mean, double Std) Of(IForgettingModel model) => model switch
    {
        FactorModel factor => (factor.MeanBound, factor.StdBound),
        KnnModel knn => (knn.MeanBound, knn.StdBound),
        EnsembleModel ensemble => (ensemble.MeanBound, ensemble.StdBound),
        _ => (0, 0),
    };

    /// <summary>Throws unless both bounds are within <see cref="Limit"/>; <paramref name="what"/> names the parts that set them (called only then).</summary>
    /// <exception cref="ArgumentException">A bound is beyond the limit or not a number.</exception>
    public static void Check(double meanBound, double stdBound, Func<string> what, string paramName)
    {
        if (!(meanBound <= Limit) || !(stdBound <= Limit))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The parameters are too large to predict with: predictions could reach {meanBound:G3} and their stds {stdBound:G3}, beyond {Limit:G0} ({what()}); no fit makes such a model."), paramName);
        }
    }
}

using System.Globalization;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Application;

/// <summary>What a model is: its family, shape, fit and provenance.</summary>
/// <param name="Method">The family's catalog name.</param>
/// <param name="TaskCount">Training tasks.</param>
/// <param name="ExampleCount">Upstream examples.</param>
/// <param name="Rank">Latent rank of factor models, else null.</param>
/// <param name="PredictsProbability">True for logistic models on binary matrices.</param>
/// <param name="Iterations">Fit sweeps of factor models, else null.</param>
/// <param name="Converged">Whether a factor model's fit converged, else null.</param>
/// <param name="Provenance">What the model's file records of its fit.</param>
/// <param name="Summary">One line on the model, as the reports print it.</param>
public sealed record ModelDescription(string Method, int TaskCount, int ExampleCount, int? Rank, bool PredictsProbability, int? Iterations, bool? Converged,
    FitProvenance Provenance, string Summary)
{
    /// <summary>Describes <paramref name="model"/> with the metadata saved with it.</summary>
    public static ModelDescription Of(IForgettingModel model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var factor = model as FactorModel;
        return new ModelDescription(ModelCatalog.NameOf(model.Method), model.TaskCount, model.ExampleCount, factor?.Rank, model.PredictsProbability,
            factor?.Fit.Iterations, factor?.Fit.Converged, FitProvenance.FromMetadata(metadata ?? new Dictionary<string, string>()), SummaryOf(model));
    }

    /// <summary>"mf rank 8 fitted on 46 past tasks x 2,400 upstream examples".</summary>
    public static string SummaryOf(IForgettingModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return string.Create(CultureInfo.InvariantCulture,
            $"{ModelCatalog.NameOf(model.Method)}{(model is FactorModel { Rank: > 0 } f ? $" rank {f.Rank}" : string.Empty)} fitted on {model.TaskCount:N0} past tasks x {model.ExampleCount:N0} upstream examples");
    }
}

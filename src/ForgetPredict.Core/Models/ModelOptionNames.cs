namespace ForgetPredict.Core.Models;

/// <summary>
/// The model settings the library's messages name (<see cref="OptionReference.Name"/>): front ends map them to their own
/// vocabulary (a command-line flag, a request field).
/// </summary>
public static class ModelOptionNames
{
    /// <summary><see cref="ModelSettings.Rank"/>.</summary>
    public const string Rank = "ModelSettings.Rank";

    /// <summary><see cref="ModelSettings.Lambda"/>.</summary>
    public const string Lambda = "ModelSettings.Lambda";

    /// <summary><see cref="ModelSettings.Seed"/>.</summary>
    public const string Seed = "ModelSettings.Seed";

    /// <summary><see cref="ModelSettings.Known"/>.</summary>
    public const string Known = "ModelSettings.Known";
}

using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data;

/// <summary>Options for reading a matrix file.</summary>
public sealed record MatrixReadOptions
{
    /// <summary>Format name overriding the file extension (e.g. "npy"), or null to choose by extension.</summary>
    public string? Format { get; init; }
}

/// <summary>Reads forgetting matrices from files, choosing the format by extension (or <see cref="MatrixReadOptions.Format"/>).</summary>
public static class MatrixFile
{
    /// <summary>The format names and the extensions that select them.</summary>
    public static IReadOnlyDictionary<string, string[]> Formats { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["npy"] = [".npy"],
    };

    /// <summary>Reads the matrix in <paramref name="path"/>.</summary>
    /// <exception cref="ForgettingDataException">The file is missing, malformed, or of an unknown format.</exception>
    public static ForgettingMatrix Read(string path, MatrixReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var format = FormatOf(path, options?.Format);
        return format switch
        {
            "npy" => NpyFormat.Read(path),
            _ => throw new ForgettingDataException(path, $"format '{format}' cannot be read."),
        };
    }

    /// <summary>The format name for a path: the explicit one if given, else by extension.</summary>
    /// <exception cref="ForgettingDataException">The extension or name is unknown (the message lists the known ones).</exception>
    public static string FormatOf(string path, string? explicitFormat)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (explicitFormat is not null)
        {
            return Formats.ContainsKey(explicitFormat)
                ? explicitFormat
                : throw new ForgettingDataException(path, $"unknown format '{explicitFormat}'{Suggestion.DidYouMean(explicitFormat, Formats.Keys)}; known formats: {string.Join(", ", Formats.Keys)}.");
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        foreach (var (name, extensions) in Formats)
        {
            if (extensions.Contains(extension))
            {
                return name;
            }
        }

        throw new ForgettingDataException(path, $"cannot tell the format from the extension '{extension}'; use one of {string.Join(", ", Formats.Values.SelectMany(e => e))} or pass --format ({string.Join(", ", Formats.Keys)}).");
    }
}

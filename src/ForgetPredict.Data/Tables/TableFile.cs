using ForgetPredict.Core.Models;

namespace ForgetPredict.Data.Tables;

/// <summary>A file format an <see cref="OutputTable"/> can be written in, chosen by name or extension through <see cref="TableFile"/>.</summary>
/// <remarks>To add a format (e.g. Parquet), derive from this class and add an instance to <see cref="TableFile.Formats"/>.</remarks>
public abstract class TableFormat
{
    /// <summary>The format's name ("csv", "json"...), as <c>--format</c> options take it.</summary>
    public abstract string Name { get; }

    /// <summary>File extensions (with the dot, lower case) that select this format.</summary>
    public abstract IReadOnlyList<string> Extensions { get; }

    /// <summary>Writes <paramref name="table"/> to <paramref name="destination"/> (left open).</summary>
    public abstract void Write(OutputTable table, Stream destination);
}

/// <summary>Writes <see cref="OutputTable"/>s to files atomically, in the format the extension (or an explicit name) selects.</summary>
public static class TableFile
{
    /// <summary>Every table format: csv (.csv), tsv (.tsv, .tab), json (.json, records orient).</summary>
    public static IReadOnlyList<TableFormat> Formats { get; } = [CsvTableFormat.Csv, CsvTableFormat.Tsv, JsonTableFormat.Records, ParquetTableFormat.Instance];

    /// <summary>The format for <paramref name="path"/>: the named one if <paramref name="explicitFormat"/> is given, else by extension.</summary>
    /// <exception cref="ForgettingDataException">The name or extension is unknown (the message lists the known ones).</exception>
    public static TableFormat FormatOf(string path, string? explicitFormat = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        // Outputs are written uncompressed: a name ending in .gz would promise gzip to the reader, whatever the format.
        InputFile.RefuseGzipOutput(path);
        if (explicitFormat is not null)
        {
            return Formats.FirstOrDefault(f => f.Name == explicitFormat)
                ?? throw new ForgettingDataException(path, $"unknown table format '{explicitFormat}'{Suggestion.AndList(explicitFormat, Formats.Select(f => f.Name), "known formats")}");
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        return Formats.FirstOrDefault(f => f.Extensions.Contains(extension))
            ?? throw new ForgettingDataException(path, $"cannot tell the table format from the extension '{extension}'; name the file {string.Join(", ", Formats.SelectMany(f => f.Extensions))}.");
    }

    /// <summary>Writes <paramref name="table"/> to <paramref name="path"/> through <see cref="AtomicFile"/>.</summary>
    /// <exception cref="ForgettingDataException">The format is unknown or the file cannot be written.</exception>
    public static void Write(OutputTable table, string path, string? format = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        var chosen = FormatOf(path, format);
        AtomicFile.Write(path, stream => chosen.Write(table, stream));
    }
}

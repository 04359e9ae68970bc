using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data;

/// <summary>
/// Reads and writes forgetting matrices, choosing the format by extension (or <see cref="MatrixReadOptions.Format"/> /
/// <see cref="MatrixWriteOptions.Format"/>): .npy, .npz, .csv, .tsv, .json and .parquet.
/// </summary>
/// <remarks>
/// <para>Formats (details on each format's class):</para>
/// <list type="bullet">
/// <item><c>npy</c> (<see cref="NpyFormat"/>): one 2-D numeric array; no ids (they are "0".."M-1", "0".."N-1").</item>
/// <item><c>npz</c> (<see cref="NpzFormat"/>): np.savez/np.savez_compressed archives; <c>task_ids</c>/<c>example_ids</c> arrays carry ids.</item>
/// <item><c>csv</c>, <c>tsv</c> (<see cref="CsvMatrixFormat"/>): wide or long layout; a .csv's delimiter is sniffed.</item>
/// <item><c>json</c> (<see cref="JsonMatrixFormat"/>): <c>{"tasks", "examples", "values"}</c> or pandas' orient='split'.</item>
/// <item><c>parquet</c> (<see cref="ParquetMatrixFormat"/>): wide or long layout; what pandas/pyarrow, polars, DuckDB and Spark write.</item>
/// <item><c>txt</c> (<see cref="TextMatrixFormat"/>): whitespace-separated values, what np.savetxt writes; example ids from a '# ' header.</item>
/// </list>
/// </remarks>
public static class MatrixFile
{
    /// <summary>The format names and the extensions that select them.</summary>
    public static IReadOnlyDictionary<string, string[]> Formats { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["npy"] = [".npy"],
        ["npz"] = [".npz"],
        ["csv"] = [".csv"],
        ["tsv"] = [".tsv", ".tab"],
        ["json"] = [".json"],
        ["parquet"] = [".parquet", ".pq"],
        ["txt"] = [".txt", ".dat"],
    };

    /// <summary>
    /// The extension a reader picks the format of <paramref name="path"/> by, as it is written there: its last one, or for a
    /// gzip-compressed name the last two (<c>z.csv.gz</c>: <c>.csv.gz</c>, read as a .csv).
    /// </summary>
    public static string ExtensionOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (name, gz) = InputFile.WithoutGz(path);
        return Path.GetExtension(name) + gz;
    }

    /// <summary>
    /// Whether a file is gzip-compressed, as every reader here tells it: its name ends in .gz, or its first bytes are gzip's
    /// 1F 8B. The readers read gzipped text and refuse gzipped binary formats.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="name">The name it goes by, when not its path's (an upload kept in a temporary file), or null.</param>
    /// <exception cref="ForgettingDataException">The file cannot be opened.</exception>
    public static bool IsGzip(string path, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return InputFile.IsGzip(path, name);
    }

    /// <summary>Reads the matrix in <paramref name="path"/>.</summary>
    /// <exception cref="ForgettingDataException">The file is missing, malformed, of an unknown format, or has more cells than
    /// <see cref="MatrixReadOptions.MaxCells"/> (refused before the matrix is allocated, in every format); or an option does not
    /// apply to its format (a layout or long-layout column names for a format without columns, an array for one that is not .npz:
    /// <see cref="ForgettingDataException.ContradictsOption"/>).</exception>
    /// <exception cref="ArgumentException">An option is invalid: <see cref="MatrixReadOptions.MaxCells"/> under 1 (an
    /// <see cref="OptionException"/>), a long-layout column name empty or two the same.</exception>
    public static ForgettingMatrix Read(string path, MatrixReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var format = Prepare(path, options ??= new MatrixReadOptions());
        if (IsText(format))
        {
            using var text = InputFile.OpenText(path);
            return ReadText(text, path, format, options);
        }

        return format switch
        {
            "npy" => NpyFormat.Read(path, options.MaxCells),
            "npz" => NpzFormat.Read(path, options),
            "parquet" => ParquetMatrixFormat.Read(path, options),
            _ => throw new ForgettingDataException(path, $"format '{format}' cannot be read."),
        };
    }

    /// <summary>Reads a matrix from <paramref name="stream"/> (left open); the format comes from <paramref name="sourceName"/>'s extension or the options.</summary>
    /// <remarks>An .npy needs a stream that can seek (its size is checked against the header before anything is allocated);
    /// the other formats read any stream.</remarks>
    /// <exception cref="ForgettingDataException">The content is malformed, the format unknown, an .npy stream cannot seek, or
    /// the matrix has more cells than <see cref="MatrixReadOptions.MaxCells"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="Read(string, MatrixReadOptions?)"/>).</exception>
    public static ForgettingMatrix Read(Stream stream, string sourceName, MatrixReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        var format = Prepare(sourceName, options ??= new MatrixReadOptions());
        if (IsText(format))
        {
            using var gunzipped = InputFile.Decompressing(stream, sourceName, leaveOpen: true);
            return ReadText(gunzipped ?? stream, sourceName, format, options);
        }

        InputFile.RefuseGzip(stream, sourceName);
        return format switch
        {
            "npy" => NpyFormat.Read(stream, sourceName, stream.CanSeek ? stream.Length - stream.Position : throw new ForgettingDataException(sourceName, ".npy needs a seekable stream (its size is checked against the header)."), options.MaxCells),
            "npz" => NpzFormat.Read(stream, sourceName, options),
            "parquet" => ParquetMatrixFormat.Read(stream, sourceName, options),
            _ => throw new ForgettingDataException(sourceName, $"format '{format}' cannot be read."),
        };
    }

    /// <summary>
    /// Makes, without reading the matrix, the checks of the read options that <see cref="Read(Stream, string, MatrixReadOptions?)"/>
    /// makes before its data: the options are valid, the format is known, and no option contradicts the file (a layout for a
    /// format that has none, an array for a file that is not an .npz, a format that reads a file as another than the one it is
    /// named and made as, such as csv for an .npy). Only the file's first bytes are read (a binary format's magic, an .npy's
    /// header), so a front end that reads the matrix later (the service's fit job) can refuse such options at once, as the
    /// command line does; any other fault of the content is left to the read, which says it.
    /// </summary>
    /// <param name="stream">The file's content (left open, and where it was); a stream that cannot seek is not read.</param>
    /// <param name="sourceName">The file's name, whose extension gives the format unless the options name one.</param>
    /// <param name="options">The options it is to be read with.</param>
    /// <returns>The format the file is read as (a key of <see cref="Formats"/>).</returns>
    /// <exception cref="ForgettingDataException">The format is unknown, or an option contradicts the file
    /// (<see cref="ForgettingDataException.ContradictsOption"/>; the message names the option and the fix).</exception>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="Read(string, MatrixReadOptions?)"/>).</exception>
    public static string CheckReadOptions(Stream stream, string sourceName, MatrixReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        var format = Prepare(sourceName, options ?? new MatrixReadOptions());
        if (!stream.CanSeek)
        {
            return format;
        }

        var start = stream.Position;
        try
        {
            // The readers' own first checks: a text reader's of a binary format's magic, the .npy reader's of its header.
            if (IsText(format))
            {
                InputFile.RefuseBinaryFormat(stream, sourceName);
            }
            else if (format == "npy")
            {
                NpyFormat.ReadHeader(stream, sourceName, stream.Length - start);
            }
            else
            {
                InputFile.RefuseOtherBinaryFormat(stream, sourceName, format);
            }
        }
        catch (ForgettingDataException e) when (!e.ContradictsOption)
        {
            // Bad data, not a setting: the read says it where it meets it.
        }
        finally
        {
            stream.Position = start;
        }

        return format;
    }

    /// <summary>Writes <paramref name="matrix"/> to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>), in the format its extension or the options name.</summary>
    /// <exception cref="ForgettingDataException">The format is unknown or the file cannot be written.</exception>
    /// <exception cref="ArgumentException">The options do not apply to the format (e.g. the long layout for .npy).</exception>
    public static void Write(ForgettingMatrix matrix, string path, MatrixWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(path);
        options ??= new MatrixWriteOptions();
        var format = WriteFormatOf(path, options.Format);
        CheckApplicable(format, options);
        AtomicFile.Write(path, stream => Write(matrix, stream, format, options));
    }

    /// <summary>Writes <paramref name="matrix"/> to <paramref name="stream"/> in the named format (a key of <see cref="Formats"/>).</summary>
    /// <exception cref="ArgumentException">The format is unknown or the options do not apply to it.</exception>
    public static void Write(ForgettingMatrix matrix, Stream stream, string format, MatrixWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(format);
        options ??= new MatrixWriteOptions();
        CheckApplicable(format, options);
        switch (format)
        {
            case "npy":
                NpyFormat.Write(matrix, stream);
                break;
            case "npz":
                NpzFormat.Write(matrix, stream, options.Compress);
                break;
            case "csv":
                CsvMatrixFormat.Write(matrix, stream, options, ',');
                break;
            case "tsv":
                CsvMatrixFormat.Write(matrix, stream, options, '\t');
                break;
            case "json":
                JsonMatrixFormat.Write(matrix, stream);
                break;
            case "parquet":
                ParquetMatrixFormat.Write(matrix, stream, options);
                break;
            case "txt":
                TextMatrixFormat.Write(matrix, stream);
                break;
            default:
                throw new ArgumentException($"Unknown format '{format}'{Suggestion.AndList(format, Formats.Keys, "known formats")}", nameof(format));
        }
    }

    /// <summary>
    /// What writing <paramref name="matrix"/> in <paramref name="format"/> would leave out, as one warning per loss (empty when
    /// nothing is lost): .npy holds the values only (numpy's own format has no place for ids; .npz keeps them as the arrays
    /// <c>task_ids</c> and <c>example_ids</c>), and the long layout holds observed cells only, so a task or example with no
    /// observed cell disappears. In the wide layout of delimited text or Parquet the example ids are column names, and two
    /// that differ only in case (<c>A</c> and <c>a</c>), or an example equal ignoring case to the task id column's name
    /// <paramref name="taskColumn"/> (<c>TASK</c> beside <c>task</c>), are renamed by DuckDB, which reads column names ignoring
    /// ASCII case (<c>a_1</c>, <c>TASK_1</c>; <c>É</c> and <c>é</c> stay apart): warned naming the two, with the long layout as
    /// the fix.
    /// </summary>
    /// <param name="matrix">The matrix to write.</param>
    /// <param name="format">The format it is written in.</param>
    /// <param name="layout">The layout it is written in.</param>
    /// <param name="taskColumn">The name the writer gives the wide layout's task id column (<see cref="MatrixWriteOptions.TaskColumn"/>).</param>
    public static IReadOnlyList<string> LossesOnWrite(ForgettingMatrix matrix, string format, MatrixLayout layout, string taskColumn = "task")
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(format);
        var losses = new List<string>();
        if (format == "npy" && !(matrix.TaskIds.IsImplicit && matrix.ExampleIds.IsImplicit))
        {
            losses.Add(".npy holds the values only, so the task and example ids are not written (numpy reads rows and columns by position). Write .npz instead to keep them: np.load(path)['task_ids'], ['example_ids'].");
        }

        if (format == "txt" && !(matrix.TaskIds.IsImplicit && TextMatrixFormat.CanWriteExampleIds(matrix)))
        {
            losses.Add(TextMatrixFormat.CanWriteExampleIds(matrix)
                ? "whitespace-separated text holds the values and the example ids (its '# ' header) but not the task ids. Write .npz or .csv instead to keep them."
                : "whitespace-separated text cannot hold these ids (an example id is empty or contains whitespace; task ids have no place), so none are written. Write .npz or .csv instead to keep them.");
        }

        // The task id column comes first in the header (an example named exactly as it is refused or leaves the header cell empty).
        var taskName = taskColumn is null || matrix.ExampleIds.IndexOf(taskColumn) >= 0 ? null : taskColumn;
        if (HasLayout(format) && layout == MatrixLayout.Wide && !matrix.ExampleIds.IsImplicit && taskName is not null
            && matrix.ExampleIds.FirstOrDefault(id => AsciiCase.Instance.Equals(id, taskName)) is { } twin)
        {
            losses.Add($"the example {Echo.Quote(twin)} and the task id column {Echo.Quote(taskName)} differ only in case; in the wide layout both are column names, which DuckDB reads ignoring case, so it renames the example ({Echo.Quote(twin + "_1")}) and the ids no longer match (pandas, polars and forgetpredict read them exactly). Write the long layout (--layout long) to keep them for DuckDB.");
        }

        if (HasLayout(format) && layout == MatrixLayout.Wide && !matrix.ExampleIds.IsImplicit && CaseTwins(matrix.ExampleIds) is var (first, second, more))
        {
            losses.Add($"the examples {Echo.Quote(first)} and {Echo.Quote(second)}{(more > 0 ? string.Create(CultureInfo.InvariantCulture, $" (and {more} more pair(s))") : string.Empty)} differ only in case; in the wide layout they are column names, which DuckDB reads ignoring case, so it renames one ({Echo.Quote(second + "_1")}) and the ids no longer match (pandas, polars and forgetpredict read them exactly). Write the long layout (--layout long) to keep them for DuckDB.");
        }

        if (HasLayout(format) && layout == MatrixLayout.Long)
        {
            var emptyTasks = 0;
            var seen = new bool[matrix.ExampleCount];
            for (var i = 0; i < matrix.TaskCount; i++)
            {
                var row = matrix.Row(i);
                var any = false;
                for (var j = 0; j < row.Length; j++)
                {
                    if (!float.IsNaN(row[j]))
                    {
                        any = seen[j] = true;
                    }
                }

                emptyTasks += any ? 0 : 1;
            }

            var emptyExamples = seen.Count(s => !s);
            if (emptyTasks + emptyExamples > 0)
            {
                losses.Add(string.Create(CultureInfo.InvariantCulture, $"the long layout holds observed cells only, so {emptyTasks} task(s) and {emptyExamples} example(s) with no observed cell are not written; use the wide layout to keep them."));
            }
        }

        return losses;
    }

    // The first two ids equal ignoring ASCII case (in id order), and how many more ids repeat one so; null when none do.
    private static (string First, string Second, int More)? CaseTwins(IdList ids)
    {
        var seen = new Dictionary<string, string>(AsciiCase.Instance);
        (string, string)? pair = null;
        var more = 0;
        foreach (var id in ids)
        {
            if (!seen.TryAdd(id, id))
            {
                if (pair is null)
                {
                    pair = (seen[id], id);
                }
                else
                {
                    more++;
                }
            }
        }

        return pair is var (a, b) ? (a, b, more) : null;
    }

    // Equality ignoring ASCII case only, as DuckDB compares column names: 'A' and 'a' are one name, 'É' and 'é' two.
    private sealed class AsciiCase : IEqualityComparer<string>
    {
        public static readonly AsciiCase Instance = new();

        public bool Equals(string? x, string? y) =>
            x is null || y is null ? ReferenceEquals(x, y) : x.Length == y.Length && Fold(x).Equals(Fold(y), StringComparison.Ordinal);

        public int GetHashCode(string obj) => StringComparer.Ordinal.GetHashCode(Fold(obj));

        private static string Fold(string s) => string.Create(s.Length, s, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsAsciiLetterUpper(source[i]) ? (char)(source[i] + 32) : source[i];
            }
        });
    }

    /// <summary>True for the formats that come in a wide and a long layout (delimited text and Parquet).</summary>
    public static bool HasLayout(string format) => format is "csv" or "tsv" or "parquet";

    /// <summary>The format name for a path: the explicit one if given, else by extension.</summary>
    /// <exception cref="ForgettingDataException">The extension or name is unknown (the message lists the known ones).</exception>
    public static string FormatOf(string path, string? explicitFormat) => FormatOf(path, explicitFormat, DataOptionNames.Format);

    /// <summary>The format to write a path in: the explicit one (<see cref="MatrixWriteOptions.Format"/>) if given, else by extension.</summary>
    /// <exception cref="ForgettingDataException">The extension or name is unknown (the message lists the known ones and names the writer's option).</exception>
    public static string WriteFormatOf(string path, string? explicitFormat) => FormatOf(path, explicitFormat, DataOptionNames.WriteFormat);

    // The option that overrides the extension is the reader's or the writer's (a command line's --format or --to-format).
    private static string FormatOf(string path, string? explicitFormat, string option)
    {
        ArgumentNullException.ThrowIfNull(path);
        // A reader takes z.csv.gz as a .csv (gzip is read for text formats only); a writer writes no gzip, whatever the format.
        var reading = option == DataOptionNames.Format;
        if (!reading)
        {
            InputFile.RefuseGzipOutput(path);
        }
        else
        {
            // A folder has no extension to tell its format by.
            InputPath.RefuseFolder(path);
        }

        if (explicitFormat is not null)
        {
            return Formats.ContainsKey(explicitFormat)
                ? explicitFormat
                : throw new ForgettingDataException(path, $"unknown format '{explicitFormat}'{Suggestion.AndList(explicitFormat, Formats.Keys, "known formats")}");
        }

        var extension = reading ? InputFile.ReaderExtension(path) : Path.GetExtension(path).ToLowerInvariant();
        foreach (var (name, extensions) in Formats)
        {
            if (extensions.Contains(extension))
            {
                if (reading && !IsText(name))
                {
                    InputFile.RefuseGzipName(path);
                }

                return name;
            }
        }

        if (reading)
        {
            InputFile.RefuseGzipName(path);
        }

        var known = Formats.Values.SelectMany(e => e).ToList();
        throw new ForgettingDataException(path, OptionMessage.Of($"cannot tell the format from the extension '{extension}'; use one of {string.Join(", ", known)} or pass {new OptionReference(option)} ({string.Join(", ", Formats.Keys)})."));
    }

    // The formats whose files are text, read through gzip too (numpy's savetxt and pandas' to_csv write z.csv.gz).
    private static bool IsText(string format) => format is "csv" or "tsv" or "json" or "txt";

    private static ForgettingMatrix ReadText(Stream stream, string sourceName, string format, MatrixReadOptions options) => format switch
    {
        "csv" => CsvMatrixFormat.Read(stream, sourceName, options),
        "tsv" => CsvMatrixFormat.Read(stream, sourceName, options with { Delimiter = options.Delimiter ?? '\t' }),
        "json" => JsonMatrixFormat.Read(stream, sourceName, options.MaxCells),
        _ => TextMatrixFormat.Read(stream, sourceName, options.MaxCells),
    };

    // What every read checks before it opens the data: the options, the format they and the name give, and that the options apply to it.
    private static string Prepare(string sourceName, MatrixReadOptions options)
    {
        options.Validate();
        var format = FormatOf(sourceName, options.Format);
        CheckApplicable(sourceName, format, options);
        return format;
    }

    private static void CheckApplicable(string path, string format, MatrixReadOptions options)
    {
        if (options.Layout != MatrixLayout.Auto && !HasLayout(format))
        {
            throw new ForgettingDataException(path, OptionMessage.Of($"a layout ({options.Layout.ToString().ToLowerInvariant()}) applies only to CSV/TSV and Parquet files, but this is read as {format}; drop {new OptionReference(DataOptionNames.Layout)} or pass {new OptionReference(DataOptionNames.Format, "csv")}.")) { ContradictsOption = true };
        }

        if (!HasLayout(format) && options.NamesColumns)
        {
            // A .npy, .npz, JSON or .txt matrix has no columns to pick by name: the names had been taken and ignored.
            throw new ForgettingDataException(path, OptionMessage.Of($"{new OptionReference(DataOptionNames.Columns, $"{options.TaskColumn},{options.ExampleColumn},{options.ValueColumn}")} names the task, example and value columns of a long table, which only CSV/TSV and Parquet files hold, but this is read as {format}, which has none to pick by name; drop {new OptionReference(DataOptionNames.Columns)}, or pass {new OptionReference(DataOptionNames.Format, "csv")} if it is a long CSV table.")) { ContradictsOption = true };
        }

        if (options.Array is not null && format != "npz")
        {
            throw new ForgettingDataException(path, OptionMessage.Of($"{new OptionReference(DataOptionNames.Array)} (array '{options.Array}') applies only to .npz archives, but this is read as {format}; drop {new OptionReference(DataOptionNames.Array)} or pass {new OptionReference(DataOptionNames.Format, "npz")}.")) { ContradictsOption = true };
        }
    }

    private static void CheckApplicable(string format, MatrixWriteOptions options)
    {
        if (options.Layout == MatrixLayout.Long && !HasLayout(format))
        {
            throw new ArgumentException($"The long layout applies only to CSV/TSV and Parquet output, not {format}; write a .csv, .tsv or .parquet file, or drop the layout.", nameof(options));
        }

        if (options.Compress && format != "npz")
        {
            throw new ArgumentException($"Compression applies only to .npz output, not {format}.", nameof(options));
        }
    }
}

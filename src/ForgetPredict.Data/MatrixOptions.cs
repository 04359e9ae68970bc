using System.Globalization;
using ForgetPredict.Core;

namespace ForgetPredict.Data;

/// <summary>How a delimited text file lays out a matrix.</summary>
public enum MatrixLayout
{
    /// <summary>Reading: long when the header names the task, example and value columns, else wide. Writing: wide.</summary>
    Auto,

    /// <summary>One row per task: the first column is the task id, the header row holds the example ids, one cell per example.</summary>
    Wide,

    /// <summary>One row per observed cell: columns task, example and value (names configurable), in any order.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "'Long' is the data-frame term (long vs wide layout), not the integer type.")]
    Long,
}

/// <summary>Options for reading a matrix file; every property has a default that suits files written by pandas and numpy.</summary>
public sealed record MatrixReadOptions
{
    /// <summary>Format name overriding the file extension (see <see cref="MatrixFile.Formats"/>), or null to choose by extension.</summary>
    public string? Format { get; init; }

    /// <summary>CSV/TSV and Parquet layout; <see cref="MatrixLayout.Auto"/> (the default) detects it from the header or columns.</summary>
    public MatrixLayout Layout { get; init; } = MatrixLayout.Auto;

    /// <summary>.npz: the array to read (with or without ".npy"); null reads the only 2-D array, and refuses an archive of several.</summary>
    public string? Array { get; init; }

    /// <summary>Long layout: the name of the task id column (matched ignoring case and surrounding spaces).</summary>
    public string TaskColumn { get; init; } = "task";

    /// <summary>Long layout: the name of the example id column.</summary>
    public string ExampleColumn { get; init; } = "example";

    /// <summary>Long layout: the name of the value column.</summary>
    public string ValueColumn { get; init; } = "value";

    /// <summary>Whether the long layout's column names are not the defaults (task, example, value): names that only a CSV/TSV
    /// or Parquet table can use, which a file without columns (.npy, .npz, JSON, .txt) refuses.</summary>
    public bool NamesColumns => (TaskColumn, ExampleColumn, ValueColumn) != (s_defaults.TaskColumn, s_defaults.ExampleColumn, s_defaults.ValueColumn);

    private static readonly MatrixReadOptions s_defaults = new();

    /// <summary>CSV field delimiter; null means tab for .tsv/.tab files and the TSV format, else sniffed from the header (',', tab or ';').</summary>
    public char? Delimiter { get; init; }

    /// <summary>Checks the column names are non-empty and distinct.</summary>
    /// <exception cref="ArgumentException">A column name is empty or two are the same.</exception>
    /// <summary>
    /// The most cells a matrix read with these options may have, or null for no limit beyond memory: checked against the
    /// shape a file declares or implies (a long file's ids, a Parquet footer, an .npy header) before the matrix is allocated,
    /// so a small file cannot ask for gigabytes (a service reading what anyone uploads sets it).
    /// </summary>
    public long? MaxCells { get; init; }

    /// <summary>Throws unless an <paramref name="m"/> x <paramref name="n"/> matrix fits <see cref="MaxCells"/>.</summary>
    /// <param name="source">The file, for the message.</param>
    /// <param name="m">Rows (tasks).</param>
    /// <param name="n">Columns (examples).</param>
    /// <param name="soFar">True while a text file is still being read: the matrix has at least that many rows.</param>
    /// <exception cref="ForgettingDataException">It has more cells; the message names the shape, the limit and the option.</exception>
    internal void CheckCells(string source, long m, long n, bool soFar = false) => CheckCells(MaxCells, source, m, n, soFar);

    /// <summary>Throws unless an <paramref name="m"/> x <paramref name="n"/> matrix fits <paramref name="maxCells"/>.</summary>
    /// <param name="maxCells">The limit (<see cref="MaxCells"/>), or null for none.</param>
    /// <param name="source">The file, for the message.</param>
    /// <param name="m">Rows (tasks).</param>
    /// <param name="n">Columns (examples).</param>
    /// <param name="soFar">True while a text file is still being read: the matrix has at least that many rows.</param>
    /// <exception cref="ForgettingDataException">It has more cells.</exception>
    internal static void CheckCells(long? maxCells, string source, long m, long n, bool soFar = false)
    {
        if (maxCells is { } max && m * n > max)
        {
            var shape = soFar ? $"has at least {m:N0} row{(m == 1 ? string.Empty : "s")} of {n:N0} values ({m * n:N0} cells)" : $"is {m:N0} x {n:N0} ({m * n:N0} cells)";
            throw new ForgettingDataException(source, OptionMessage.Of(
                $"the matrix {shape}, more than the {max:N0} accepted here ({new OptionReference(DataOptionNames.MaxCells)}); send a smaller matrix, or raise the limit."));
        }
    }

    internal void Validate()
    {
        if (MaxCells is < 1)
        {
            throw new OptionException(OptionMessage.Of($"{new OptionReference(DataOptionNames.MaxCells)} must be at least 1 (it is {MaxCells})."));
        }

        LongColumns.Validate(TaskColumn, ExampleColumn, ValueColumn);
    }
}

/// <summary>Options for writing a matrix file.</summary>
public sealed record MatrixWriteOptions
{
    /// <summary>Format name overriding the file extension (see <see cref="MatrixFile.Formats"/>), or null to choose by extension.</summary>
    public string? Format { get; init; }

    /// <summary>CSV/TSV and Parquet layout: wide (the default; <see cref="MatrixLayout.Auto"/> also means wide) or long (only observed cells are written).</summary>
    public MatrixLayout Layout { get; init; } = MatrixLayout.Wide;

    /// <summary>Long layout: the task id column's name.</summary>
    public string TaskColumn { get; init; } = "task";

    /// <summary>Long layout: the example id column's name.</summary>
    public string ExampleColumn { get; init; } = "example";

    /// <summary>Long layout: the value column's name.</summary>
    public string ValueColumn { get; init; } = "value";

    /// <summary>.npz: deflate the entries (like <c>np.savez_compressed</c>); false stores them (like <c>np.savez</c>).</summary>
    public bool Compress { get; init; }

    /// <summary>Checks the column names.</summary>
    /// <exception cref="ArgumentException">A column name is empty or two are the same.</exception>
    internal void Validate()
    {
        LongColumns.Validate(TaskColumn, ExampleColumn, ValueColumn);
    }
}

/// <summary>Validation of the long layout's column names.</summary>
internal static class LongColumns
{
    public static void Validate(string task, string example, string value)
    {
        string[] names = [task, example, value];
        if (names.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("Long layout column names must not be empty.", nameof(task));
        }

        if (names.Distinct(StringComparer.OrdinalIgnoreCase).Count() != 3)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Long layout column names must differ: '{task}', '{example}', '{value}'."), nameof(task));
        }
    }
}

/// <summary>
/// The options the data layer's messages name (<see cref="Core.OptionReference.Name"/>): front ends map them to their own
/// vocabulary (a command-line flag, a request field).
/// </summary>
public static class DataOptionNames
{
    /// <summary><see cref="MatrixReadOptions.Format"/>.</summary>
    public const string Format = "MatrixReadOptions.Format";

    /// <summary><see cref="MatrixWriteOptions.Format"/>.</summary>
    public const string WriteFormat = "MatrixWriteOptions.Format";

    /// <summary><see cref="MatrixReadOptions.Layout"/>.</summary>
    public const string Layout = "MatrixReadOptions.Layout";

    /// <summary><see cref="MatrixReadOptions.Array"/>.</summary>
    public const string Array = "MatrixReadOptions.Array";

    /// <summary><see cref="MatrixReadOptions.MaxCells"/>.</summary>
    public const string MaxCells = "MatrixReadOptions.MaxCells";

    /// <summary>The long layout's column names when reading: <see cref="MatrixReadOptions.TaskColumn"/>, <see cref="MatrixReadOptions.ExampleColumn"/> and <see cref="MatrixReadOptions.ValueColumn"/>.</summary>
    public const string Columns = "MatrixReadOptions.TaskColumn/ExampleColumn/ValueColumn";

    /// <summary>The long layout's column names when writing (<see cref="MatrixWriteOptions.TaskColumn"/> and the others).</summary>
    public const string WriteColumns = "MatrixWriteOptions.TaskColumn/ExampleColumn/ValueColumn";

    /// <summary><see cref="MatrixWriteOptions.Layout"/>.</summary>
    public const string WriteLayout = "MatrixWriteOptions.Layout";

    /// <summary>The measured cells' example and value columns (<see cref="Formats.ObservedCells.Read"/>'s <c>columns</c>).</summary>
    public const string ObservedColumns = "ObservedCells.Columns";

    /// <summary>A task feature table's id column (<see cref="FeatureFile.Read(string, Core.IdList, string, string?)"/>'s <c>idColumn</c> for tasks).</summary>
    public const string TaskFeatureColumns = "FeatureFile.TaskIdColumn";

    /// <summary>An example feature table's id column (<see cref="FeatureFile.Read(string, Core.IdList, string, string?)"/>'s <c>idColumn</c> for examples).</summary>
    public const string ExampleFeatureColumns = "FeatureFile.ExampleIdColumn";

    /// <summary>What creates a model file: <see cref="ModelFile.Save"/> (a front end names its own fit command).</summary>
    public const string SaveModel = "ModelFile.Save";
}

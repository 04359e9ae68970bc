using System.Globalization;
using System.Text;
using ForgetPredict.Core;

namespace ForgetPredict.Data;

/// <summary>
/// A file could not be read as forgetting data. The message names the file, where in it the problem is (line,
/// row, column, Parquet column and page...), what was expected, and how to fix it.
/// </summary>
/// <remarks>Every reader in this assembly reports malformed input with this type and nothing else, so callers
/// (the CLI, the server) can turn any input problem into a clear message and a non-zero exit code.</remarks>
public sealed class ForgettingDataException : FormatException, IOptionMessageException
{
    private readonly OptionMessage? _detail;

    /// <summary>Creates the exception; <paramref name="detail"/> says what is wrong and how to fix it.</summary>
    /// <param name="sourcePath">The file (or stream name) being read.</param>
    /// <param name="detail">What is wrong, what was expected, and the fix.</param>
    /// <param name="line">1-based line or row number, or 0 when not applicable.</param>
    /// <param name="column">Column name or ordinal, when one is at fault.</param>
    /// <param name="location">Any other location (e.g. "row group 2, page 3"), when useful.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ForgettingDataException(string sourcePath, string detail, long line = 0, string? column = null, string? location = null, Exception? innerException = null)
        : base(Compose(sourcePath, detail, line, column, location), innerException)
    {
        SourcePath = sourcePath;
        Detail = detail;
        Line = line;
        Column = column;
        Location = location;
    }

    /// <summary>Creates the exception; <paramref name="detail"/> says what is wrong and how to fix it, naming the options that would fix it.</summary>
    /// <param name="sourcePath">The file (or stream name) being read.</param>
    /// <param name="detail">What is wrong, what was expected, and the fix, with the options it names.</param>
    /// <param name="line">1-based line or row number, or 0 when not applicable.</param>
    /// <param name="column">Column name or ordinal, when one is at fault.</param>
    /// <param name="location">Any other location (e.g. "row group 2, page 3"), when useful.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ForgettingDataException(string sourcePath, OptionMessage detail, long line = 0, string? column = null, string? location = null, Exception? innerException = null)
        : this(sourcePath, (detail ?? throw new ArgumentNullException(nameof(detail))).ToString(), line, column, location, innerException)
    {
        _detail = detail;
    }

    /// <summary>
    /// True when the file is readable but contradicts, or lacks what is named by, an option the user gave (a layout for a .npy,
    /// an id column the table does not have, a format its bytes are not): the fix is the setting, not the file, so a front end
    /// treats it as a usage error (the command line's exit 2, see <c>Failures.IsInvalidSetting</c>). False for a file whose
    /// content cannot be used whatever the settings.
    /// </summary>
    public bool ContradictsOption { get; init; }

    /// <summary>Creates the exception with a message only (required by serialisation conventions).</summary>
    public ForgettingDataException()
        : this("<unknown>", "The data could not be read.")
    {
    }

    /// <summary>Creates the exception with a message only.</summary>
    public ForgettingDataException(string message)
        : this("<unknown>", message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ForgettingDataException(string message, Exception innerException)
        : this("<unknown>", message, innerException: innerException)
    {
    }

    /// <summary>The file (or stream name) being read.</summary>
    public string SourcePath { get; }

    /// <summary>What is wrong and how to fix it, without the location prefix.</summary>
    public string Detail { get; }

    /// <summary>1-based line or row number, or 0 when not applicable.</summary>
    public long Line { get; }

    /// <summary>The column at fault, if any.</summary>
    public string? Column { get; }

    /// <summary>Any other location inside the file, if any.</summary>
    public string? Location { get; }

    /// <inheritdoc />
    public IReadOnlyList<OptionReference> Options => _detail?.Options ?? [];

    /// <inheritdoc />
    public string Describe(Func<OptionReference, string> word) => _detail is null ? Message : Compose(SourcePath, _detail.Format(word), Line, Column, Location);

    private static string Compose(string sourcePath, string detail, long line, string? column, string? location)
    {
        var text = new StringBuilder(sourcePath);
        if (line > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $":{line}");
        }

        text.Append(": ");
        if (location is not null)
        {
            text.Append(location).Append(": ");
        }

        if (column is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"column {Echo.Quote(column)}: ");
        }

        return text.Append(detail).ToString();
    }
}

namespace ForgetPredict.Cli;

/// <summary>
/// Passes everything written to it on to the error stream unchanged and keeps each "warning: " line's text (without the
/// prefix), so a command's JSON summary can carry the warnings its user was shown.
/// </summary>
internal sealed class WarningLog(TextWriter inner) : TextWriter
{
    private const string Prefix = "warning: ";
    private readonly System.Text.StringBuilder _line = new();
    private readonly List<string> _warnings = [];

    /// <summary>The warnings written so far, in order.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <inheritdoc/>
    public override System.Text.Encoding Encoding => inner.Encoding;

    /// <inheritdoc/>
    public override void Write(char value)
    {
        inner.Write(value);
        if (value != '\n')
        {
            _line.Append(value);
            return;
        }

        var line = _line.ToString().TrimEnd('\r');
        _line.Clear();
        if (line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            _warnings.Add(line[Prefix.Length..]);
        }
    }

    /// <inheritdoc/>
    public override void Write(string? value)
    {
        foreach (var c in value ?? string.Empty)
        {
            Write(c);
        }
    }

    /// <inheritdoc/>
    public override void Flush() => inner.Flush();
}

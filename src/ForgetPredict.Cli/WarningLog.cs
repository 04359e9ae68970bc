namespace ForgetPredict.Cli;

/// <summary>
/// Passes everything written to it on to the error stream unchanged, each write as one write (so a line reaches a shared
/// stream whole), and keeps each "warning: " line's text (without the prefix), so a command's JSON summary can carry the
/// warnings its user was shown.
/// </summary>
internal sealed class WarningLog(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    private const string Prefix = "warning: ";
    private readonly System.Text.StringBuilder _line = new();
    private readonly List<string> _warnings = [];

    /// <summary>The warnings written so far, in order.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <inheritdoc/>
    public override System.Text.Encoding Encoding => inner.Encoding;

    /// <inheritdoc/>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    /// <inheritdoc/>
    public override void Write(char value)
    {
        inner.Write(value);
        Keep([value]);
    }

    /// <inheritdoc/>
    public override void Write(string? value)
    {
        inner.Write(value);
        Keep(value);
    }

    /// <inheritdoc/>
    public override void Write(char[] buffer, int index, int count)
    {
        inner.Write(buffer, index, count);
        Keep(buffer.AsSpan(index, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<char> buffer)
    {
        inner.Write(buffer);
        Keep(buffer);
    }

    /// <inheritdoc/>
    public override void WriteLine(string? value)
    {
        inner.WriteLine(value);
        Keep(value);
        Keep(inner.NewLine);
    }

    /// <inheritdoc/>
    public override void Flush() => inner.Flush();

    // Splits what was written into lines and keeps the warnings among them.
    private void Keep(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c != '\n')
            {
                _line.Append(c);
                continue;
            }

            var line = _line.ToString().TrimEnd('\r');
            _line.Clear();
            if (line.StartsWith(Prefix, StringComparison.Ordinal))
            {
                _warnings.Add(line[Prefix.Length..]);
            }
        }
    }
}

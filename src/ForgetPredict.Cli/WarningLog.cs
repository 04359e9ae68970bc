namespace ForgetPredict.Cli;

/// <summary>
/// Passes everything written to it on to the error stream unchanged, each write as one write (so a line reaches a shared
/// stream whole), and keeps each "warning: " line's text (without the prefix), so a command's JSON summary can carry the
/// warnings its user was shown.
/// </summary>
internal sealed class WarningLog : TextWriter
{
    private const string Prefix = "warning: ";
    private readonly TextWriter _inner;
    private readonly System.Text.StringBuilder _line = new();
    private readonly List<string> _warnings = [];

    /// <summary>Passes writes on to <paramref name="inner"/>, with its line end.</summary>
    /// <param name="inner">The error stream.</param>
    public WarningLog(TextWriter inner)
        : base(inner.FormatProvider)
    {
        _inner = inner;
        CoreNewLine = inner.NewLine.ToCharArray();
    }

    /// <summary>The warnings written so far, in order.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <inheritdoc/>
    public override System.Text.Encoding Encoding => _inner.Encoding;

    /// <inheritdoc/>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => _inner.NewLine;
        set
        {
            _inner.NewLine = value;
            CoreNewLine = _inner.NewLine.ToCharArray();
        }
    }

    /// <inheritdoc/>
    public override void Write(char value)
    {
        _inner.Write(value);
        Keep([value]);
    }

    /// <inheritdoc/>
    public override void Write(string? value)
    {
        _inner.Write(value);
        Keep(value);
    }

    /// <inheritdoc/>
    public override void Write(char[] buffer, int index, int count)
    {
        _inner.Write(buffer, index, count);
        Keep(buffer.AsSpan(index, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<char> buffer)
    {
        _inner.Write(buffer);
        Keep(buffer);
    }

    /// <inheritdoc/>
    public override void WriteLine(string? value)
    {
        _inner.WriteLine(value);
        Keep(value);
        Keep(_inner.NewLine);
    }

    /// <inheritdoc/>
    public override void Flush() => _inner.Flush();

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

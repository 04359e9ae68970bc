using System.Globalization;
using Spectre.Console;

namespace ForgetPredict.Cli;

/// <summary>Console rendering shared by the commands: Spectre.Console over the invocation's writer, plain when redirected.</summary>
internal static class Terminal
{
    /// <summary>A Spectre console writing to <paramref name="writer"/>: colour only on an interactive terminal, 120 columns otherwise.</summary>
    public static IAnsiConsole For(TextWriter writer)
    {
        var interactive = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(new TrimmingWriter(writer)),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
        {
            console.Profile.Width = 120;
        }

        return console;
    }

    /// <summary>A table with simple borders: the first column left-aligned (labels), the others right-aligned (numbers).</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Simple);
        for (var i = 0; i < columns.Length; i++)
        {
            var column = new TableColumn(Markup.Escape(columns[i]));
            table.AddColumn(i == 0 ? column : column.RightAligned());
        }

        return table;
    }

    /// <summary>Adds a row of plain (escaped) text cells.</summary>
    public static void Row(this Table table, params string[] cells) => table.AddRow(cells.Select(Markup.Escape).ToArray());

    /// <summary>A number with <paramref name="digits"/> decimals, invariant culture; from a million up in scientific notation (1.2346E+30) so a table keeps its width; "-" for NaN.</summary>
    public static string Num(double value, int digits = 4) =>
        double.IsNaN(value) ? "-"
        : double.IsInfinity(value) ? (value > 0 ? "inf" : "-inf")
        : Math.Abs(value) >= 1e6 ? value.ToString("0." + new string('#', digits) + "E+0", CultureInfo.InvariantCulture)
        : value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>
    /// Decimals for a column of values in the data's units whose largest magnitude is <paramref name="scale"/>: at least
    /// <paramref name="minimum"/>, and enough for three significant digits, so that a matrix in small units (losses in
    /// thousandths) reads as well as one near 1 instead of as a column of 0.0001s.
    /// </summary>
    public static int Decimals(double scale, int minimum) =>
        double.IsFinite(scale) && scale > 0 ? Math.Clamp(2 - (int)Math.Floor(Math.Log10(scale)), minimum, 15) : minimum;

    /// <summary>The largest finite magnitude among <paramref name="values"/>, or 0.</summary>
    public static double Scale(IEnumerable<double> values) => values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();

    /// <summary>An integer with thousands separators.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>
    /// Passes text on line by line without trailing spaces, so padded table cells and blank padding lines end at their last
    /// character. A flush passes on the unfinished line as it is (live displays need it).
    /// </summary>
    private sealed class TrimmingWriter(TextWriter inner) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                var end = _line.Length;
                while (end > 0 && _line[end - 1] == ' ')
                {
                    end--;
                }

                inner.Write(_line.ToString(0, end));
                inner.Write('\n');
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? string.Empty)
            {
                Write(c);
            }
        }

        public override void Flush()
        {
            inner.Write(_line.ToString());
            _line.Clear();
            inner.Flush();
        }
    }
}

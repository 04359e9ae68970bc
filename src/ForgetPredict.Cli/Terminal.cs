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
        // A value that rounds to zero prints as 0.0000, not -0.0000 (an R^2 of -1e-17 on a one-task matrix, say).
        : (Math.Round(value, digits) == 0 ? 0d : value).ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>
    /// How to print a column of values in the data's units whose largest magnitude is <paramref name="scale"/>: with at least
    /// <paramref name="minimum"/> decimals and enough for three significant digits, so that a matrix in small units (losses in
    /// thousandths) reads as well as one near 1 instead of as a column of 0.0001s; the whole column in scientific notation
    /// with three significant digits when that would take more than 8 decimals, or the values reach a million (a column of
    /// 0.000000000000000 at a scale of 1e-20, or 953774.390 beside 1.018E+6, is no reading).
    /// </summary>
    public static NumberColumn ColumnFor(double scale, int minimum)
    {
        if (!double.IsFinite(scale) || scale <= 0)
        {
            return new NumberColumn(minimum, Scientific: false);
        }

        var decimals = Math.Max(2 - (int)Math.Floor(Math.Log10(scale)), minimum);
        return decimals > 8 || scale >= 1e6 ? new NumberColumn(2, Scientific: true) : new NumberColumn(decimals, Scientific: false);
    }

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

/// <summary>How a column of numbers prints: fixed decimals, or scientific notation with <see cref="Decimals"/> + 1 significant digits.</summary>
/// <param name="Decimals">Decimals after the point (of the mantissa when scientific).</param>
/// <param name="Scientific">True for scientific notation (1.23E-20).</param>
internal readonly record struct NumberColumn(int Decimals, bool Scientific)
{
    /// <summary>The value as this column prints it; "-" for NaN.</summary>
    public string Format(double value) => Scientific && double.IsFinite(value)
        ? value.ToString("0." + new string('0', Decimals) + "E+0", CultureInfo.InvariantCulture)
        : Terminal.Num(value, Decimals);

    /// <summary>A difference with its sign at this column's precision; one that rounds to zero is 0 (not "-+0.0000").</summary>
    public string Signed(double value)
    {
        if (Scientific)
        {
            return value == 0 ? Format(0) : (value > 0 ? "+" : string.Empty) + Format(value);
        }

        var rounded = Math.Round(value, Decimals);
        var digits = new string('0', Decimals);
        return rounded == 0 ? Terminal.Num(0, Decimals) : rounded.ToString($"+0.{digits};-0.{digits}", CultureInfo.InvariantCulture);
    }
}

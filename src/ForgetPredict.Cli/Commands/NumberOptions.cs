using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ForgetPredict.Cli.Commands;

/// <summary>
/// Gives every numeric option of the command tree a parser that reads invariant-culture numbers and, for anything
/// else, reports "--rank takes a whole number (got 'abc')." instead of System.CommandLine's message with .NET type
/// names; the options' own range validators then see a value and never fail on an unparsable one.
/// </summary>
internal static class NumberOptions
{
    /// <summary>Installs the parsers on every option of <paramref name="command"/> and its subcommands.</summary>
    public static void Apply(Command command)
    {
        foreach (var option in command.Options)
        {
            switch (option)
            {
                case Option<int> { CustomParser: not null }:
                    break;
                case Option<int> o:
                    o.CustomParser = r => Parse<int>(r, o.Name, "a whole number", s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null) ?? default;
                    break;
                case Option<int?> o:
                    o.CustomParser = r => Parse<int>(r, o.Name, "a whole number", s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null);
                    break;
                case Option<long?> o:
                    o.CustomParser = r => Parse<long>(r, o.Name, "a whole number", s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null);
                    break;
                case Option<double> o:
                    o.CustomParser = r => Parse(r, o.Name, "a number", ParseDouble) ?? default;
                    break;
                case Option<double?> o:
                    o.CustomParser = r => Parse(r, o.Name, "a number", ParseDouble);
                    break;
                case Option<bool> o:
                    o.CustomParser = r => r.Tokens.Count == 0 || (Parse(r, o.Name, "no value (or true or false)", s => bool.TryParse(s, out var v) ? v : (bool?)null) ?? false);
                    break;
            }
        }

        foreach (var sub in command.Subcommands)
        {
            Apply(sub);
        }
    }

    /// <summary>A whole number of at least <paramref name="min"/> for option <paramref name="name"/>, or an error on the result.</summary>
    public static int Whole(ArgumentResult result, string name, int min, int fallback, string? rangeMessage = null, int max = int.MaxValue)
    {
        if (result.Tokens.Count == 0)
        {
            return fallback;
        }

        if (Parse<int>(result, name, "a whole number", s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null, (min, max)) is not { } value)
        {
            return fallback;
        }

        if (value < min)
        {
            result.AddError(rangeMessage ?? string.Create(CultureInfo.InvariantCulture, $"{name} must be at least {min}."));
        }
        else if (value > max)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be at most {max:N0} (got {value:N0})."));
        }

        return value;
    }

    // Finite numbers only ("1e308" yes, "NaN", "Infinity" and "1e999" no), '.' as the decimal point.
    private static double? ParseDouble(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    // bounds: the range the option's own parser checks (Whole's), said when a number is too large for its type; without them,
    // the library's least value for the option (OptionRanges), else the type's.
    private static T? Parse<T>(ArgumentResult result, string name, string what, Func<string, T?> parse, (long Least, long Most)? bounds = null)
        where T : struct
    {
        if (result.Tokens.Count == 0)
        {
            return null;
        }

        var text = result.Tokens[^1].Value;
        if (parse(text) is { } value)
        {
            return value;
        }

        // A whole number too large for the option's type is a whole number: say how large it may be.
        var words = what == "a whole number" && System.Numerics.BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
            ? bounds is { } range ? Application.OptionRanges.WholeNumber(range.Least, range.Most) : Application.OptionRanges.WholeNumber(CliApp.Flags.OptionOf(name), typeof(T) == typeof(long))
            : what;
        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} takes {words} (got '{text}')."));
        return null;
    }
}

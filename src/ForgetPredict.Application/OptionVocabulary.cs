using ForgetPredict.Core;

namespace ForgetPredict.Application;

/// <summary>
/// A front end's words for the library's options: messages from Core and Data name options (<c>MatrixReadOptions.Array</c>);
/// a front end words them as its users set them (<c>--array</c> on the command line, a field of a request).
/// </summary>
/// <remarks><threadsafety>Immutable; safe for concurrent use.</threadsafety></remarks>
public sealed class OptionVocabulary
{
    private readonly Dictionary<string, string> _names;
    private readonly Func<string, string?, string> _word;

    /// <summary>Creates the vocabulary.</summary>
    /// <param name="names">The front end's name of each option it has (<see cref="OptionReference.Name"/> to flag or field).</param>
    /// <param name="word">Words a named option with the value a message suggests (null: none), e.g. <c>--layout wide</c>.</param>
    public OptionVocabulary(IReadOnlyDictionary<string, string> names, Func<string, string?, string> word)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(word);
        _names = new Dictionary<string, string>(names, StringComparer.Ordinal);
        _word = word;
    }

    /// <summary>The front end's words for <paramref name="option"/>; the library's own when the front end has no such option.</summary>
    public string Word(OptionReference option) => _names.TryGetValue(option.Name, out var name) ? _word(name, option.Value) : option.ToString();

    /// <summary>The library's option (<see cref="OptionReference.Name"/>) the front end calls <paramref name="word"/> (a flag, a
    /// field; fields matched without case, as the service reads them), or null when it names none; the first when several.</summary>
    public string? OptionOf(string word) =>
        _names.FirstOrDefault(p => string.Equals(p.Value, word, StringComparison.OrdinalIgnoreCase)).Key;

    /// <summary>The message in this vocabulary: each option it names worded as the front end's.</summary>
    public string Describe(OptionMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Format(Word);
    }

    /// <summary>
    /// The exception's message in this vocabulary (the message itself when it names no option), without the
    /// " (Parameter 'x')" that <see cref="ArgumentException"/> appends: users need the sentence, not the parameter name.
    /// </summary>
    public string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is IOptionMessageException named ? named.Describe(Word) : ExceptionText.Sentence(exception);
    }
}

/// <summary>
/// The range of a whole-number setting, as every front end says it when a value cannot be read as one (too large for its
/// type, or not a number): the least value the library takes (a replay budget from 0, a ratio from 1), not the type's.
/// </summary>
public static class OptionRanges
{
    /// <summary>The least value the library takes for <paramref name="option"/> (an <see cref="OptionReference.Name"/>), or null when
    /// any whole number of its type is taken (a seed): the value each options record's validation checks against (a replay
    /// budget from 0, a ratio from 1, a rank from 1, known cells from 0).</summary>
    public static long? Least(string? option) =>
        Core.Replay.ReplayOptions.Least(option) ?? Core.Models.ModelCatalog.Least(option) ?? Designing.Least(option);

    /// <summary>The greatest value the library takes for <paramref name="option"/> (the rank's 1,024), or null when any whole
    /// number of its type up from <see cref="Least"/> is taken.</summary>
    public static long? Most(string? option) => Core.Models.ModelCatalog.Most(option);

    /// <summary>"a whole number from 0 to 2,147,483,647", "from 1 to 1,024": the range of <paramref name="option"/> (null: none
    /// known) in a field of 32 bits, or of 64 when <paramref name="wide"/>, bounded where the library bounds it.</summary>
    public static string WholeNumber(string? option, bool wide = false) =>
        WholeNumber(Least(option) ?? (wide ? long.MinValue : int.MinValue), Most(option) ?? (wide ? long.MaxValue : int.MaxValue));

    /// <summary>"a whole number from 1 to 100,000": a range a front end checks itself (a parser's bounds), worded as every range is.</summary>
    public static string WholeNumber(long least, long most) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"a whole number from {least:N0} to {most:N0}");

    /// <summary>"a positive number below 1,048,576": a range of numbers with decimals above 0 that a front end checks itself (a
    /// size in megabytes), its bound worded as every range's is.</summary>
    public static string PositiveBelow(long most) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"a positive number below {most:N0}");

    /// <summary>A value as a range's message gives it: with thousands separators ("99,999,999,999", "0.5", "-1"), and in
    /// exponent form beyond 10^15 ("1E+300"), where every digit is no longer the value's.</summary>
    public static string Number(double value) =>
        Math.Abs(value) < 1e15 ? value.ToString("#,0.##########", System.Globalization.CultureInfo.InvariantCulture) : value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
}

using System.Globalization;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>How a user's example references (measured cells, exclusions) name a model's examples.</summary>
/// <param name="ByIndex">True: references are column positions 0..N-1; false (the default): they must equal an example id.</param>
/// <param name="ByIndexSwitch">How the user asks for positions, quoted in the fix of an error (e.g. <c>pass --by-index</c>).</param>
public sealed record ExampleMatching(bool ByIndex, string ByIndexSwitch)
{
    /// <summary>How the user asks for positions, quoted in the fix of an error.</summary>
    public string ByIndexSwitch { get; } = string.IsNullOrWhiteSpace(ByIndexSwitch)
        ? throw new ArgumentException("Name how the user asks for column positions (e.g. 'pass --by-index').", nameof(ByIndexSwitch))
        : ByIndexSwitch;
}

/// <summary>
/// The one rule for example references: an id must match a model's example id exactly, unless positions are asked for
/// (<see cref="ExampleMatching.ByIndex"/>). A model whose ids are implicit ("0".."N-1") matches numbers either way.
/// </summary>
/// <param name="ExampleIds">The model's example ids.</param>
/// <param name="Matching">By id (default) or by column position.</param>
public sealed record ExampleReferences(IdList ExampleIds, ExampleMatching Matching)
{
    private const int Shown = 5;

    /// <summary>The example a reference names, or -1 when it names none.</summary>
    public int IndexOf(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (!Matching.ByIndex)
        {
            return ExampleIds.IndexOf(reference);
        }

        return int.TryParse(reference, NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position < ExampleIds.Count ? position : -1;
    }

    /// <summary>
    /// What is wrong with references that name no example, and the fix: the count, the first few, and the cause when it is
    /// known (ids pandas read as numbers, dropping their leading zeros, or wrote as decimals), else (when they look like column
    /// positions but positions were not asked for) how to ask for them. No trailing period.
    /// </summary>
    public string DescribeUnknown(IReadOnlyList<string> unknown)
    {
        ArgumentNullException.ThrowIfNull(unknown);
        var shown = string.Join(", ", unknown.Take(Shown).Select(Echo.Quote));
        var count = ExampleIds.Count;
        if (Matching.ByIndex)
        {
            var range = count == 0 ? "the model has no examples" : string.Create(CultureInfo.InvariantCulture, $"0..{count - 1}");
            return unknown.Count == 1
                ? $"example {shown} is not a column position {range} (examples are read as column positions, counted from 0)"
                : string.Create(CultureInfo.InvariantCulture, $"{unknown.Count} examples are not column positions {range} (first: {shown}; examples are read as column positions, counted from 0)");
        }

        var what = unknown.Count == 1
            ? string.Create(CultureInfo.InvariantCulture, $"example {shown} is not one of the model's {count} example ids")
            : string.Create(CultureInfo.InvariantCulture, $"{unknown.Count} examples are not among the model's {count} example ids (first: {shown})");
        if (LeadingZeros(unknown, ExampleIds, "they are", "example", "example") is { } zeros)
        {
            return $"{what}; {zeros} (they are ids: read as column positions they would name other examples)";
        }

        if (ExtraZeros(unknown, ExampleIds, "they are", "example") is { } padded)
        {
            return $"{what}; {padded}";
        }

        if (DecimalIds(unknown, ExampleIds, "they are", "example") is { } decimals)
        {
            return $"{what}; {decimals}";
        }

        var looksLikePositions = !ExampleIds.IsImplicit
            && unknown.Any(u => int.TryParse(u, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p < count);
        return looksLikePositions
            ? $"{what}; examples are matched by id exactly: {Matching.ByIndexSwitch} to read these as column positions"
            : $"{what}; check the ids, or refit the model on a matrix that has them";
    }

    /// <summary>
    /// The one rule for ids pandas wrote as floats (a whole-number column with a missing value becomes float: 101.0): when
    /// every given id (of the first 100) spells a whole number as a decimal and every known id is an integer, the cause and
    /// the fix ("<paramref name="subject"/> written as decimals ('101.0') where the examples' are whole numbers ('101'):
    /// write them as integers ..."), without a trailing period; else null.
    /// </summary>
    internal static string? DecimalIds(IReadOnlyList<string> given, IReadOnlyList<string> known, string subject, string what) =>
        given.Count > 0 && known.Count > 0
            && given.Take(100).All(id => IdList.WholeNumber(id) is { } whole && whole != id)
            && known.Take(100).All(id => long.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            ? $"{subject} written as decimals ({Echo.Quote(given[0])}) where the {what}s' are whole numbers ({Echo.Quote(known[0])}): write them as integers (pandas: astype(int) before to_csv)"
            : null;

    /// <summary>
    /// The one rule for ids pandas read as numbers, dropping their leading zeros ('00596' became '596'): when every given id
    /// (of the first 100) is a whole number that equals exactly one known id once that id's leading zeros are stripped (and
    /// differs from it), the cause and the fix ("<paramref name="subject"/> <paramref name="what"/> ids with their
    /// leading zeros dropped ('596' for '00596') ..., read the file with pd.read_csv(..., dtype={'<paramref name="column"/>': str})"),
    /// without a trailing period; else null.
    /// </summary>
    internal static string? LeadingZeros(IReadOnlyList<string> given, IReadOnlyList<string> known, string subject, string what, string column)
    {
        if (given.Count == 0 || known.Count == 0)
        {
            return null;
        }

        // The known ids with leading zeros, by the number they spell; null marks a number two of them spell ('01', '001').
        var stripped = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var id in known)
        {
            if (id.Length > 1 && id[0] == '0' && !id.AsSpan().ContainsAnyExceptInRange('0', '9'))
            {
                var number = id.TrimStart('0') is { Length: > 0 } digits ? digits : "0";
                stripped[number] = stripped.ContainsKey(number) ? null : id;
            }
        }

        if (stripped.Count == 0)
        {
            return null;
        }

        string? example = null;
        foreach (var id in given.Take(100))
        {
            if (IdList.WholeNumber(id) is not { } number || !stripped.TryGetValue(number, out var match) || match is null)
            {
                return null;
            }

            example ??= match;
        }

        return $"{subject} {what} ids with their leading zeros dropped ({Echo.Quote(given[0])} for {Echo.Quote(example!)}), as pandas drops them when it reads ids as numbers: read the file with pd.read_csv(..., dtype={{'{column}': str}}) (or dtype=str) before writing it again";
    }

    /// <summary>
    /// The reverse of <see cref="LeadingZeros"/>: ids given with leading zeros that the known ids lack ('01740' where the
    /// model has '1740', as when the model's matrix was read by pandas as numbers and the given file kept the text). When
    /// every given id that is not known (of the first 100) is a zero-padded whole number whose digits without the zeros are a
    /// known id, the cause and the fix, without a trailing period; else null.
    /// </summary>
    internal static string? ExtraZeros(IReadOnlyList<string> given, IReadOnlyList<string> known, string subject, string what)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(known);
        var knownSet = new HashSet<string>(known, StringComparer.Ordinal);
        string? first = null, match = null;
        foreach (var id in given.Where(g => !knownSet.Contains(g)).Take(100))
        {
            if (id.Length < 2 || id[0] != '0' || id.AsSpan().ContainsAnyExceptInRange('0', '9'))
            {
                return null;
            }

            var number = id.TrimStart('0') is { Length: > 0 } digits ? digits : "0";
            if (!knownSet.Contains(number))
            {
                return null;
            }

            first ??= id;
            match ??= number;
        }

        return first is null ? null
            : $"{subject} {what} ids with leading zeros the {what}s' ids lack ({Echo.Quote(first)} for {Echo.Quote(match!)}), as when pandas read the ids of one file as numbers and the other kept them as text: strip the zeros (pandas: astype(int) before writing), or keep the zeros on both sides (pd.read_csv(..., dtype=str)) and refit";
    }
}

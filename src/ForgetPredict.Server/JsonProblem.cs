using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ForgetPredict.Application;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Server;

/// <summary>
/// A request body the JSON reader refused, said in the API's words: the field, what it must be and where, never the .NET
/// type names the reader's own messages carry ("could not be converted to System.Nullable`1[System.Int32]").
/// </summary>
internal static class JsonProblem
{
    private const string Prefix = "The request body is not valid JSON for this endpoint: ";

    public static string Describe(JsonException error, JsonTypeInfo type)
    {
        var message = error.Message;
        var at = error.LineNumber is { } line
            ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, character {error.BytePositionInLine + 1})")
            : string.Empty;
        var fields = type.Properties.Select(p => p.Name).ToArray();
        if (Between(message, "The JSON property '", "' could not be mapped") is { } unknown)
        {
            return $"{Prefix}unknown field '{unknown}'{Suggestion.AndList(unknown, fields, "fields")}";
        }

        if (Between(message, "Duplicate property '", "' encountered") is { } twice)
        {
            return $"{Prefix}\"{twice}\" is given twice (names are matched without case); send each field once.";
        }

        var field = error.Path is { Length: > 1 } path ? path.TrimStart('$').TrimStart('.') : string.Empty;
        if (Between(message, "could not be converted to ", ". Path: ") is { } target)
        {
            return field.Length == 0
                ? $"{Prefix}the body must be a JSON object with the fields {string.Join(", ", fields)}{at}."
                : $"{Prefix}\"{field}\" must be {Kind(target, field)}{at}.";
        }

        var end = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (NotANumber(message))
        {
            // NaN, Infinity, -Infinity (as Python's json.dumps writes them): the reader says "'N' is an invalid start of a value".
            // The reader names only the first letter: an N may also be Python's None, so the message names both.
            return $"{Prefix}NaN, Infinity and None are not JSON values{(field.Length > 0 ? $" (at \"{field}\")" : string.Empty)}{at}; leave the value out{(field == "observed" ? " (a cell not measured is simply not listed in \"observed\")" : string.Empty)}, or give null where the field allows it.";
        }

        if (TrailingComma(message) is { } what)
        {
            // The reader's words end "Change the reader options.", which is the server's to do, not the client's.
            return $"{Prefix}a comma after the last {what} is not JSON{(field.Length > 0 ? $" (at \"{field}\")" : string.Empty)}{at}; remove it.";
        }

        // The reader's other messages (bad syntax, a custom field's rule) are already in plain words; keep their first sentence.
        var text = end > 0 ? message[..end] : message;
        return $"{Prefix}{text.TrimEnd()}{(field.Length > 0 && !text.Contains(field, StringComparison.Ordinal) ? $" (at \"{field}\")" : string.Empty)}{(end > 0 ? at : string.Empty)}";
    }

    // The reader's refusal of a NaN or an Infinity literal (either sign, any case): a value that starts with N or I, or a
    // literal such as nan or inf that it read as a misspelt null.
    private static bool NotANumber(string message)
    {
        if (message.Length < 3 || message[0] != '\'' || char.ToUpperInvariant(message[1]) is not ('N' or 'I'))
        {
            return false;
        }

        return (message[2] == '\'' && (message.AsSpan(3).StartsWith(" is an invalid start of a value", StringComparison.Ordinal)
                || message.AsSpan(3).StartsWith(" is invalid within a number, immediately after a sign character", StringComparison.Ordinal)))
            || ((message.AsSpan(1).StartsWith("nan", StringComparison.OrdinalIgnoreCase) || message.AsSpan(1).StartsWith("inf", StringComparison.OrdinalIgnoreCase))
                && message.Contains("is an invalid JSON literal", StringComparison.Ordinal));
    }

    // The reader's refusal of a trailing comma ({"top": 5,} or [1, 2,]): what the comma follows, or null for another message.
    private static string? TrailingComma(string message) =>
        !message.Contains("contains a trailing comma", StringComparison.Ordinal) ? null
        : message.StartsWith("The JSON array", StringComparison.Ordinal) ? "value in a list" : "field of an object";

    // What a .NET type is in JSON terms.
    private static string Kind(string type, string field) => type switch
    {
        // (a whole number too large for the field, 1e11 for top, fails the conversion too: say the range, from the least
        // value the field takes: a budget from 0)
        // (the predict request's top, the only field so named, is bounded by the service itself: Forecaster.MaxTop)
        _ when type.Contains("System.Int32", StringComparison.Ordinal) && field == "top" => OptionRanges.WholeNumber(0, Forecaster.MaxTop),
        _ when type.Contains("System.Int32", StringComparison.Ordinal) => OptionRanges.WholeNumber(Problems.Fields.OptionOf(field)),
        _ when type.Contains("System.Int64", StringComparison.Ordinal) && Problems.Fields.OptionOf(field) is { } option && OptionRanges.Least(option) is not null => OptionRanges.WholeNumber(option, wide: true),
        _ when type.Contains("System.Int", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("System.Double", StringComparison.Ordinal) || type.Contains("System.Single", StringComparison.Ordinal) => "a number",
        _ when type.Contains("System.Boolean", StringComparison.Ordinal) => "true or false",
        _ when type.Contains("IReadOnlyList", StringComparison.Ordinal) || type.Contains("[]", StringComparison.Ordinal) => "a list of strings",
        _ when type.Contains("System.String", StringComparison.Ordinal) => "a string",
        _ => "an object",
    };

    private static string? Between(string text, string start, string end)
    {
        var i = text.IndexOf(start, StringComparison.Ordinal);
        if (i < 0)
        {
            return null;
        }

        i += start.Length;
        var j = text.IndexOf(end, i, StringComparison.Ordinal);
        return j < 0 ? null : text[i..j];
    }
}

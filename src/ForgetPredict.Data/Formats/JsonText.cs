using System.Text.Json;

namespace ForgetPredict.Data.Formats;

/// <summary>What the JSON readers say of a parser error, in the file's terms.</summary>
internal static class JsonText
{
    /// <summary>The start of the message for a bare NaN or Infinity, which Python's json.dump writes.</summary>
    public const string NonFiniteHint = "NaN and Infinity are not JSON (Python's json.dump writes them bare);";

    /// <summary>The parser's own reason, without its position and path (the caller names the line and character).</summary>
    public static string Reason(JsonException e) => e.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.', ' ');

    /// <summary>Where the parser stopped, in the file's terms: "character 17" (of the line the exception's LineNumber names).</summary>
    public static string Where(JsonException e) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"character {(e.BytePositionInLine ?? 0) + 1}");

    /// <summary>The 1-based line where the parser stopped.</summary>
    public static long Line(JsonException e) => (e.LineNumber ?? 0) + 1;

    /// <summary>True when the parser stopped at a bare NaN, Infinity or -Infinity.</summary>
    public static bool IsBareNonFinite(JsonException e) =>
        e.Message.Contains("'N'", StringComparison.Ordinal) || e.Message.Contains("'I'", StringComparison.Ordinal);
}

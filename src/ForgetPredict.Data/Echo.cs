using System.Globalization;

namespace ForgetPredict.Data;

/// <summary>
/// Text from a file as messages quote it: a header, an id or a cell is shown up to <see cref="MaxChars"/> characters and cut
/// with "...", and a list shows its first few items, so an error never echoes a whole long line.
/// </summary>
internal static class Echo
{
    /// <summary>The most characters of one quoted text.</summary>
    public const int MaxChars = 80;

    /// <summary>The most items of a quoted list.</summary>
    public const int MaxItems = 8;

    /// <summary><paramref name="text"/>, cut to <see cref="MaxChars"/> characters plus "..." when longer.</summary>
    public static string Cap(string text) => text.Length <= MaxChars ? text : string.Concat(text.AsSpan(0, MaxChars), "...");

    /// <summary>UTF-8 <paramref name="text"/> decoded (invalid bytes replaced) and cut like <see cref="Cap(string)"/>.</summary>
    public static string Cap(ReadOnlySpan<byte> text)
    {
        // A character is at most 4 bytes, so a longer text's first 4 (MaxChars + 1) bytes still hold more than MaxChars.
        var head = text.Length > 4 * (MaxChars + 1) ? text[..(4 * (MaxChars + 1))] : text;
        return Cap(System.Text.Encoding.UTF8.GetString(head));
    }

    /// <summary>'<paramref name="text"/>', capped.</summary>
    public static string Quote(string text) => $"'{Cap(text)}'";

    /// <summary>The first <see cref="MaxItems"/> items quoted and capped, comma-separated, then "and N more" when there are more.</summary>
    public static string List(IEnumerable<string> items, int max = MaxItems)
    {
        var all = items as IReadOnlyCollection<string> ?? [.. items];
        var shown = string.Join(", ", all.Take(max).Select(Quote));
        return all.Count > max ? shown + string.Create(CultureInfo.InvariantCulture, $" and {all.Count - max} more") : shown;
    }
}

namespace ForgetPredict.Application;

/// <summary>Names a user gave, echoed in messages: every front end cuts and escapes them alike.</summary>
public static class Echo
{
    /// <summary>Most characters of a name a message repeats.</summary>
    public const int MaxLength = 80;

    /// <summary>
    /// <paramref name="name"/> as a message may repeat it: at most <see cref="MaxLength"/> characters (then "..."), control
    /// and format characters (U+202E, which reverses the text after it) escaped as \uXXXX; empty for null.
    /// </summary>
    public static string Printable(string? name)
    {
        if (name is null)
        {
            return string.Empty;
        }

        var text = string.Concat(name.Take(MaxLength).Select(c => char.IsControl(c) || System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}")
            : c.ToString()));
        return name.Length > MaxLength ? text + "..." : text;
    }

    /// <summary>A matrix's shape in words, with thousands separators and singular where a side is 1: "47 tasks x 2,400 examples",
    /// "1 task x 1 example". Every command that states a matrix's shape says it so (analyze, fit, convert, evaluate, demo).</summary>
    /// <param name="tasks">Its tasks.</param>
    /// <param name="examples">Its examples.</param>
    public static string Shape(int tasks, int examples) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{tasks:N0} {Plural(tasks, "task")} x {examples:N0} {Plural(examples, "example")}");

    /// <summary><paramref name="noun"/> as a count of <paramref name="count"/> takes it: "task" for 1, "tasks" otherwise.</summary>
    /// <param name="count">How many.</param>
    /// <param name="noun">The singular noun (its plural adds an s).</param>
    public static string Plural(long count, string noun) => count == 1 ? noun : noun + "s";
}

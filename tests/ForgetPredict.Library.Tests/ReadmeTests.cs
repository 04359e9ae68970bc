using System.Globalization;
using ForgetPredict.Testing;

namespace ForgetPredict.Library.Tests;

/// <summary>The README's C# quickstart is the code of <see cref="Quickstart"/>, and that code runs and answers sensibly.</summary>
public sealed class ReadmeTests
{
    private static readonly string s_file = Path.Combine(RepoPaths.Root, "tests", "ForgetPredict.Library.Tests", "Quickstart.cs");

    [Fact]
    public void ReadmeQuickstart_IsTheCompiledCode()
    {
        var readme = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        var section = Array.FindIndex(readme, l => l == "## Use it from C#");
        Assert.True(section >= 0, "README.md has no '## Use it from C#' section.");
        var start = Array.FindIndex(readme, section, l => l == "```csharp") + 1;
        var end = Array.FindIndex(readme, start, l => l == "```");
        var block = readme[start..end];

        var source = File.ReadAllLines(s_file);
        var usings = source.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal));
        var begin = Array.FindIndex(source, l => l.Trim() == "// README begin") + 1;
        var stop = Array.FindIndex(source, l => l.Trim() == "// README end");
        var indent = source[begin].Length - source[begin].TrimStart().Length;
        var body = source[begin..stop].Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()).ToList();
        while (body.Count > 0 && body[^1].Length == 0)
        {
            body.RemoveAt(body.Count - 1);
        }

        Assert.Equal([.. usings, string.Empty, .. body], block);
    }

    [Fact]
    public void Quickstart_Runs_AndRanksChangelogFirst()
    {
        // The quickstart reads data/ relative to the repository root, as a reader running it there would.
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var (savedOut, savedDirectory) = (Console.Out, Environment.CurrentDirectory);
        try
        {
            Console.SetOut(output);
            Environment.CurrentDirectory = RepoPaths.Root;
            Quickstart.Run();
        }
        finally
        {
            Console.SetOut(savedOut);
            Environment.CurrentDirectory = savedDirectory;
        }

        var lines = output.ToString().TrimEnd().Split('\n');
        Assert.Equal(6, lines.Length);
        Assert.StartsWith("changelog ", lines[0], StringComparison.Ordinal);
        Assert.Equal(["c-header", "changelog", "license", "manpage", "perl", "python"], lines.Select(l => l.Split(' ')[0]).Order(StringComparer.Ordinal));
    }
}

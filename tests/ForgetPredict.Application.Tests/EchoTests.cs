namespace ForgetPredict.Application.Tests;

/// <summary>Names a user gave are repeated in messages cut and escaped alike by every front end.</summary>
public class EchoTests
{
    [Fact]
    public void Printable_CutsLongNames_EscapesControlAndFormatCharacters()
    {
        Assert.Equal(string.Empty, Echo.Printable(null));
        Assert.Equal("source", Echo.Printable("source"));
        Assert.Equal(new string('a', 80) + "...", Echo.Printable(new string('a', 81)));
        Assert.Equal(new string('a', 80), Echo.Printable(new string('a', 80)));
        Assert.Equal("x\\u202ey\\u0000", Echo.Printable("x\u202Ey\0"));

        // The unknown choice and the unknown group column repeat it so.
        Assert.StartsWith("Unknown prior 'r\\u202eidge'", Choices.Prior.UnknownMessage("r\u202Eidge"), StringComparison.Ordinal);
        var e = Assert.Throws<Core.OptionException>(() => GroupColumns.Choose(["source"], "sou\u202Erce" + new string('x', 100), "m.csv"));
        Assert.Contains("names no column 'sou\\u202erce" + new string('x', 73) + "...'", e.Message, StringComparison.Ordinal);
    }
}

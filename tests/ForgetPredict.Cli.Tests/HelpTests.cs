using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>The --help text of every command is a reviewed snapshot.</summary>
public class HelpTests
{
    [Theory]
    [InlineData("root")]
    [InlineData("analyze")]
    [InlineData("fit")]
    [InlineData("predict")]
    [InlineData("replay")]
    [InlineData("design")]
    [InlineData("synth")]
    [InlineData("evaluate")]
    [InlineData("demo")]
    [InlineData("convert")]
    [InlineData("serve")]
    public void Help_MatchesApprovedSnapshot(string command)
    {
        var (code, output, _) = command == "root" ? CliRunner.Run("--help") : CliRunner.Run(command, "--help");
        Assert.Equal(0, code);
        Approvals.Verify(output, $"help-{command}");
    }
}

using System.CommandLine;
using System.CommandLine.Help;

namespace ForgetPredict.Cli.Tests;

/// <summary>Issue 14, item 0: a malformed value for any option of any command is a one-line usage error.</summary>
public sealed class OptionErrorTests
{
    public static TheoryData<string, string, string> EveryOption()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var command in CliApp.BuildRoot().Subcommands)
        {
            foreach (var option in command.Options.Where(o => o is not (HelpOption or VersionOption)))
            {
                foreach (var value in new[] { "abc", "0,10,30", "1e999", "" })
                {
                    data.Add(command.Name, option.Name, value);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryOption))]
    public void Item00_EveryOptionOfEveryCommandWithAMalformedValueGetsAOneLineError(string commandName, string optionName, string value)
    {
        // Given: the command with its required arguments and options filled in, and the option under test malformed.
        var command = CliApp.BuildRoot().Subcommands.Single(c => c.Name == commandName);
        var option = command.Options.Single(o => o.Name == optionName);
        var args = new List<string> { commandName };
        args.AddRange(command.Arguments.Select(_ => "x.npy"));
        foreach (var required in command.Options.Where(o => o.Required && o != option))
        {
            args.AddRange([required.Name, required.Name == "--method" ? "mf" : "x"]);
        }

        args.AddRange([optionName, value]);

        // When: parsed (what every invocation does first), and when that fails, run (the action never starts).
        var parse = CliApp.BuildRoot().Parse(args);
        var numeric = option.ValueType != typeof(string) && option.ValueType != typeof(string[]) && option.ValueType != typeof(bool);

        // Then: numbers are checked with a message that names the option; every failure is one clean line.
        if (numeric)
        {
            Assert.NotEmpty(parse.Errors);
        }

        if (parse.Errors.Count > 0)
        {
            var (code, output, error) = CliRunner.Run([.. args]);
            Assert.Equal(CliApp.UsageError, code);
            Assert.Equal(string.Empty, output);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.StartsWith(numeric ? $"error: {optionName} takes " : "error: ", lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
            Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
            Assert.DoesNotContain("`1", error, StringComparison.Ordinal);
        }
    }
}

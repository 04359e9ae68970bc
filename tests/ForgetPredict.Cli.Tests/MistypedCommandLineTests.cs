using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>A mistyped command, option or value names the word and the nearest right one.</summary>
public sealed class MistypedCommandLineTests
{
    [Theory]
    [InlineData("fitt", "fit", new[] { "fitt", "x" })]
    [InlineData("predic", "predict", new[] { "predic" })]
    [InlineData("FIT", "fit", new[] { "FIT" })]
    [InlineData("fitt", "fit", new[] { "fitt", "--help" })]
    [InlineData("fitt", "fit", new[] { "help", "fitt" })]
    public void MistypedCommand_IsNamedWithTheClosestCommand(string word, string meant, string[] args)
    {
        var (code, output, error) = CliRunner.Run(args);

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith($"error: unknown command '{word}'; did you mean '{meant}'? Commands: analyze, fit, predict,", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownCommandFarFromAny_ListsTheCommands()
    {
        var (code, _, error) = CliRunner.Run("zzzzzzzz");

        Assert.Equal(2, code);
        Assert.StartsWith("error: unknown command 'zzzzzzzz'; commands: analyze, fit,", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_IsTheTopLevelHelp_AndHelpCommandIsThatCommandsHelp()
    {
        var (code, output, error) = CliRunner.Run("help");
        var (fitCode, fitOutput, _) = CliRunner.Run("help", "fit");

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        Assert.Equal(CliRunner.Run("--help").Output, output);
        Assert.Equal(0, fitCode);
        Assert.Equal(CliRunner.Run("fit", "--help").Output, fitOutput);
    }

    [Fact]
    public void MistypedOption_SuggestsTheCommandsOption()
    {
        var (code, _, error) = CliRunner.Run("fit", "z.npy", "--methd", "mf", "--out", "x.fpm");

        Assert.Equal(2, code);
        Assert.StartsWith("error: 'forgetpredict fit' has no option '--methd'; did you mean '--method'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MistypedRootOption_IsAnOptionNotACommand()
    {
        var (code, _, error) = CliRunner.Run("--hepl");

        Assert.Equal(2, code);
        Assert.StartsWith("error: 'forgetpredict' has no option '--hepl'; did you mean '--help'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionWithoutItsValue_SaysSoInsteadOfCallingTheNextValueUnrecognized()
    {
        var (code, _, error) = CliRunner.Run("fit", "z.npy", "--method", "--out", "x.fpm");

        Assert.Equal(2, code);
        Assert.StartsWith("error: --method is missing its value (it took the option '--out' for one); give it as --method VALUE.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MistypedValue_SuggestionEndsItsSentence_AndTheListStartsTheNext()
    {
        var (code, _, error) = CliRunner.Run("fit", "z.npy", "--method", "mff", "--out", "x.fpm");

        Assert.Equal(2, code);
        Assert.StartsWith("error: Unknown method 'mff'; did you mean 'mf'? Methods: task-mean, example-mean,", error, StringComparison.Ordinal);
        Assert.DoesNotContain("?;", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MistypedColumn_NamesTheFileBeforeTheSuggestion()
    {
        var dir = RepoPaths.NewTempFolder();
        var matrix = TestMatrices.Write(dir, "z.npy", 6, 8, (i, j) => (i * 8 + j) % 5);
        var tasks = Path.Combine(dir, "tasks.csv");
        File.WriteAllText(tasks, "task,family\n0,web\n1,web\n2,code\n3,code\n4,web\n5,code\n");

        var (code, _, error) = CliRunner.Run("evaluate", matrix, "--tasks", tasks, "--family-column", "Family", "--test-family", "web");

        // A column the option names that the file lacks is the option's to change: a usage error, as an id column's is.
        Assert.Equal(CliApp.UsageError, code);
        Assert.StartsWith($"error: {tasks}: there is no column 'Family' to read the task families from (--family-column); did you mean 'family'? Columns: 'task', 'family'.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void FormatThatContradictsTheExtension_IsToBeDropped()
    {
        var dir = RepoPaths.NewTempFolder();
        var npy = TestMatrices.Write(dir, "z.npy", 4, 5, (i, j) => i + j);
        var npz = Path.Combine(dir, "c.npz");
        Data.MatrixFile.Write(Data.MatrixFile.Read(npy), npz);

        var (code, _, error) = CliRunner.Run("analyze", npy, "--format", "txt");
        var (npzCode, _, npzError) = CliRunner.Run("analyze", npz, "--format", "npy");

        Assert.Equal(CliApp.UsageError, code); // the fix is the command line: drop --format
        Assert.StartsWith($"error: {npy}: is a .npy (it starts with numpy's bytes 93 'NUMPY') and named as one, so not text: drop --format so that it is read as its extension says.", error, StringComparison.Ordinal);
        Assert.Equal(CliApp.UsageError, npzCode);
        Assert.StartsWith($"error: {npz}: is a zip archive, as .npz is (it starts with the bytes 'PK' 03 04) and named as one, so not a .npy: drop --format", npzError, StringComparison.Ordinal);
        Assert.DoesNotContain("numpy.save", npzError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("analyze", "{0}")]
    [InlineData("fit", "{0}", "--out", "{1}/m.fpm")]
    [InlineData("evaluate", "{0}")]
    [InlineData("convert", "{0}", "{1}/c.csv")]
    [InlineData("demo", "--matrix", "{0}")]
    [InlineData("predict", "--model", "{2}", "--examples", "{0}")]
    [InlineData("serve", "--store", "{1}", "--api-key-file", "{0}")]
    public void FolderWhereAFileIsRead_IsSaidToBeAFolder(params string[] template)
    {
        var dir = RepoPaths.NewTempFolder();
        var folder = Directory.CreateDirectory(Path.Combine(dir, "somefolder")).FullName;
        var matrix = TestMatrices.Write(dir, "z.npy", 6, 8, (i, j) => (i * 8 + j) % 5);
        var model = Path.Combine(dir, "m0.fpm");
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "additive", "--out", model).ExitCode);

        var (code, _, error) = CliRunner.Run([.. template.Select(t => string.Format(System.Globalization.CultureInfo.InvariantCulture, t, folder, dir, model))]);

        Assert.Equal(1, code);
        Assert.Contains($"{folder}' is a folder, not a file; name a file in it.", error.Replace($"{folder}:", $"{folder}'", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("extension ''", error, StringComparison.Ordinal);
    }

    [Fact]
    public void FileWhereTheStoreFolderIsWanted_IsSaidToBeAFile()
    {
        var dir = RepoPaths.NewTempFolder();
        var file = Path.Combine(dir, "store.txt");
        File.WriteAllText(file, "x");

        var (code, _, error) = CliRunner.Run("serve", "--store", file);

        Assert.Equal(1, code);
        Assert.Contains($"{file} is a file, not a folder; give the folder that holds NAME.fpm models", error, StringComparison.Ordinal);
        Assert.DoesNotContain("create it", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BudgetWithTaskSizeOnly_IsWordedForWhatWasGiven()
    {
        var (code, _, error) = CliRunner.Run("replay", "--model", "m.fpm", "--budget", "3", "--task-size", "10", "--out", "r.csv");

        Assert.Equal(2, code);
        Assert.StartsWith("error: --task-size goes with --ratio R (one replayed example per R of the task's examples), and --budget is the budget itself: drop --task-size, or give --ratio with it instead of --budget.", error, StringComparison.Ordinal);
    }
}

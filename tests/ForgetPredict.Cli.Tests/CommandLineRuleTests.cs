using System.CommandLine;
using System.CommandLine.Help;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>
/// Rules every command applies alike: a value the library refuses is a usage error (exit 2) as one the parser refuses is;
/// an option that only says how to read a file is refused without that file; an overlarge number is said with the option's
/// own least value; a model file is not named as a data file.
/// </summary>
public sealed class CommandLineRuleTests
{
    private static string Charlm => RepoPaths.Data("charlm-b", "z.npy");

    private static readonly Lazy<string> s_model = new(() => Fitted("additive"));

    private static readonly Lazy<string> s_knnModel = new(() => Fitted("knn"));

    private static string Fitted(string method)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        var (code, _, error) = CliRunner.Run("fit", Charlm, "--method", method, "--out", path);
        Assert.True(code == 0, error);
        return path;
    }

    // With no cell measured the estimate is the fold-in prior's centre: the ridge prior's is not the average training task,
    // which the line had said whatever the prior.
    [Theory]
    [InlineData("empirical", "from no measured cells: task-agnostic estimate (the average training task)")]
    [InlineData("ridge", "from no measured cells: task-agnostic estimate (the ridge prior's centre: the task's own parameters 0)")]
    public void PredictAndReplay_WithNoCells_SayWhichPriorsCentreTheEstimateIs(string prior, string expected)
    {
        var dir = RepoPaths.NewTempFolder();
        var (code, output, error) = CliRunner.Run("predict", "--model", s_model.Value, "--prior", prior);
        var (replayCode, replayOutput, replayError) = CliRunner.Run("replay", "--model", s_model.Value, "--prior", prior, "--budget", "5", "--out", Path.Combine(dir, "r.csv"));

        Assert.True(code == 0, error);
        Assert.Contains(expected, output.ReplaceLineEndings(" "), StringComparison.Ordinal); // the console wraps long lines
        Assert.True(replayCode == 0, replayError);
        Assert.Contains(expected, replayOutput.ReplaceLineEndings(" "), StringComparison.Ordinal);
    }

    // Before: exit 1 for a value the library refused (fit --rank 0, --lambda -1, fit --known -1), exit 2 for one the parser
    // refused (evaluate --known -1, --top -1): the same mistake exited differently in different commands.
    [Theory]
    [InlineData("fit:--method mf --rank 0", "error: --rank must be between 1 and 1024 (got 0).")]
    [InlineData("fit:--method mf --lambda -1", "error: --lambda must be a finite number >= 0 (got -1).")]
    [InlineData("fit:--method auto --known -1", "error: --known must be >= 0 (got -1).")]
    [InlineData("fit:--method knn --rank 3", "error: --rank does not apply to 'knn' (only mf and logistic have a rank).")]
    [InlineData("evaluate:--known -1", "error: --known: '-1' is not a whole number >= 0; give e.g. 30 or 0,5,10,30.")]
    [InlineData("evaluate:--test-fraction 2", "error: --test-fraction must be above 0 and below 1 (it is 2): the share of the tasks held out.")]
    [InlineData("predict:--top -1", "error: --top must be at least 0.")]
    [InlineData("predict:--prior ridgee", "error: Unknown prior 'ridgee'; did you mean 'ridge'?")]
    [InlineData("replay:--budget -1", "error: --budget must be at least 0.")]
    [InlineData("replay:--ratio 0 --task-size 10", "error: ")]
    [InlineData("design:--count 99999", "error: --count (the cells to measure) must be between 1 and the 2,400 examples; it is 99999.")]
    [InlineData("synth:--missing 2", "error: --missing must be at least 0 and below 1 (it is 2): the share of cells made missing.")]
    [InlineData("demo:--test-tasks 46", "error: --test-tasks 46 leaves fewer than 2 of the matrix's 47 tasks to fit on: give at most 45.")]
    public void InvalidOptionValues_AreUsageErrors_InEveryCommand(string commandLine, string expected)
    {
        var (code, output, error) = CliRunner.Run(Arguments(commandLine));

        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal(string.Empty, output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith(expected, lines[0], StringComparison.Ordinal);
        // One line; a refusal of the parser's adds only the pointer to --help.
        Assert.All(lines.Skip(1), l => Assert.StartsWith("Run 'forgetpredict --help'", l, StringComparison.Ordinal));
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    // Bad data stays exit 1: a file whose content the command cannot use, whatever the options.
    [Fact]
    public void BadData_StillExitsOne()
    {
        var dir = RepoPaths.NewTempFolder();
        var constant = TestMatrices.Write(dir, "constant.npy", 6, 30, (_, _) => 0.5f);
        var broken = Path.Combine(dir, "broken.npy");
        File.WriteAllBytes(broken, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 200, 0]);

        foreach (var args in new[]
        {
            new[] { "fit", constant, "--method", "mf", "--out", Path.Combine(dir, "m.fpm") },
            ["fit", broken, "--method", "mf", "--out", Path.Combine(dir, "m.fpm")],
            ["fit", Charlm, "--method", "logistic", "--out", Path.Combine(dir, "m.fpm")],
            ["analyze", broken],
        })
        {
            var (code, _, error) = CliRunner.Run(args);
            Assert.True(code == CliApp.DataError, $"{string.Join(' ', args)}: exit {code}: {error}");
            Assert.StartsWith("error: ", error, StringComparison.Ordinal);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        Assert.False(File.Exists(Path.Combine(dir, "m.fpm")));
    }

    // QA: the same kind of mistake exited 1 in one place and 2 in another. The rule: 2 when the fix is the command line (a
    // value out of range, an option that contradicts the file given or names what it lacks), 1 when the file's content cannot
    // be used whatever the options.
    [Theory]
    [InlineData("serve --max-body-mb 0", 2, "error: --max-body-mb: 0 is not a size in megabytes")]
    [InlineData("serve --max-body-mb 99999999999", 2, "error: --max-body-mb: 99,999,999,999 is not a size in megabytes (a positive number below 1,048,576).")]
    [InlineData("serve --max-upload-mb -1", 2, "error: --max-upload-mb: -1 is not a size in megabytes")]
    [InlineData("serve --max-matrix-mb 0", 2, "error: --max-matrix-mb: 0 is not a size in megabytes")]
    [InlineData("serve --urls notaurl", 2, "error: Cannot listen on 'notaurl': it is not http(s)://HOST[:PORT]. Give addresses like")]
    [InlineData("evaluate Z --layout long", 2, "a layout (long) applies only to CSV/TSV and Parquet files, but this is read as npy; drop --layout")]
    [InlineData("evaluate Z --array foo", 2, "--array (array 'foo') applies only to .npz archives")]
    [InlineData("evaluate Z --columns t,e,v", 2, "z.npy: --columns t,e,v names the task, example and value columns of a long table, which only CSV/TSV and Parquet files hold, but this is read as npy, which has none to pick by name; drop --columns")]
    [InlineData("fit Z --out OUT.fpm --columns t,e,v", 2, "which only CSV/TSV and Parquet files hold, but this is read as npy")]
    [InlineData("convert Z OUT.csv --format csv", 2, "so not text: drop --format")]
    [InlineData("predict --model M --examples UPSTREAM --examples-columns nosuch", 2, "there is no column 'nosuch' to take the ids from")]
    [InlineData("evaluate Z --binary --seeds 1 --methods additive", 2, "needs a 0/1 matrix")]
    [InlineData("predict --model M --observed OBS --observed-columns ex,value", 2, "cells.csv:1: --observed-columns ex,value names columns the table lacks: it has no 'ex' (its columns: 'example', 'value'). Name its example and value columns with --observed-columns EXAMPLE,VALUE")]
    [InlineData("evaluate Z --tasks TASKS --test-family web --family-column Family --methods additive --seeds 1", 2, "tasks.csv: there is no column 'Family' to read the task families from (--family-column); did you mean 'family'? Columns: 'task', 'family'.")]
    [InlineData("design --model KNN --count 3 --out OUT.csv", 2, "error: A knn model has no factor model to design on; design on an mf, additive or ensemble (auto) model, or on the past tasks' matrix (forgetpredict design MATRIX).")]
    [InlineData("evaluate NANROW --test-rows 0 --known 0 --methods additive --seeds 1", 1, "Nothing can be scored: no cell of the 1 test row(s) was measured")]
    [InlineData("demo --matrix SPARSE --test-tasks 2 --seeds 1 --known 3", 1, "Nothing can be scored: no cell of the 2 test row(s) was measured")]
    public void ExitCodes_FollowOneRule_TheCommandLineOrTheFile(string commandLine, int expected, string fragment)
    {
        var dir = RepoPaths.NewTempFolder();
        var nanRow = TestMatrices.Write(dir, "nanrow.npy", 6, 30, (i, j) => i == 0 ? float.NaN : ((i + j) % 3) / 3f);
        // 12 x 30 with 2 observed cells, both in row 0: every pair of test tasks demo picks but one has none.
        var sparse = TestMatrices.Write(dir, "sparse.npy", 12, 30, (i, j) => i == 11 && j < 2 ? 0.5f : float.NaN);
        var args = commandLine.Split(' ').Select(a => a switch
        {
            "Z" => Charlm,
            "M" => s_model.Value,
            "KNN" => s_knnModel.Value,
            "UPSTREAM" => RepoPaths.Data("charlm-b", "upstream.csv"),
            "NANROW" => nanRow,
            "SPARSE" => sparse,
            "OUT.csv" => Path.Combine(dir, "q.csv"),
            "OUT.fpm" => Path.Combine(dir, "q.fpm"),
            "OBS" => Write("cells.csv", ["example,value", "0,0.25", "17,0.5"]),
            "TASKS" => Write("tasks.csv", ["task,family", .. Enumerable.Range(0, 47).Select(i => $"{i},{(i % 2 == 0 ? "web" : "code")}")]),
            _ => a,
        }).ToList();
        if (args[0] == "serve")
        {
            args.InsertRange(1, ["--store", dir]);
        }

        string Write(string name, string[] lines)
        {
            var path = Path.Combine(dir, name);
            File.WriteAllLines(path, lines);
            return path;
        }

        var (code, output, error) = CliRunner.Run([.. args]);

        Assert.True(code == expected, $"{commandLine}: exit {code}: {error}");
        // One error line (after any warning; demo's title may precede it), no table.
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(fragment, line, StringComparison.Ordinal);
        Assert.DoesNotContain("rmse", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("(Parameter", error, StringComparison.Ordinal);
    }

    // Every option that only says how to read another option's file, in every command that has one.
    public static TheoryData<string, string> Companions()
    {
        var data = new TheoryData<string, string>();
        foreach (var command in CliApp.BuildRoot().Subcommands)
        {
            foreach (var option in command.Options.Where(o => o is not (HelpOption or VersionOption)))
            {
                if (Cli.Companions.FilesOf(command, option.Name).Files.Count > 0)
                {
                    data.Add(command.Name, option.Name);
                }
            }
        }

        return data;
    }

    [Fact]
    public void Companions_AreFoundInEveryCommandThatHasThem()
    {
        var found = Companions().Select(row => $"{row[0]} {row[1]}").ToHashSet(StringComparer.Ordinal);
        string[] expected =
        [
            "predict --observed-columns", "predict --by-index", "predict --examples-columns", "predict --group-by", "predict --task-features-columns", "predict --example-features-columns",
            "replay --observed-columns", "replay --by-index", "replay --exclude-columns", "replay --examples-columns", "replay --group-by", "replay --task-features-columns",
            "design --observed-columns", "design --by-index", "design --exclude-columns", "design --examples-columns", "design --group-by",
            "fit --task-features-columns", "fit --example-features-columns",
            "evaluate --tasks-columns", "evaluate --family-column", "evaluate --task-features-columns", "evaluate --example-features-columns", "evaluate --allow-partial",
            "demo --format", "demo --layout", "demo --array", "demo --columns",
            "design --format", "design --layout", "design --array", "design --columns",
        ];
        Assert.Empty(expected.Except(found));

        // The matrix's read options read the MATRIX argument elsewhere: they need nothing more there.
        Assert.DoesNotContain("fit --columns", found);
        Assert.DoesNotContain("analyze --format", found);
    }

    // '--observed-columns' without '--observed' had been ignored in silence by predict, replay and design, and refused by evaluate.
    [Theory]
    [MemberData(nameof(Companions))]
    public void AnOptionWithoutTheFileItReads_IsRefused_NamingBoth(string commandName, string optionName)
    {
        var command = CliApp.BuildRoot().Subcommands.Single(c => c.Name == commandName);
        var option = command.Options.Single(o => o.Name == optionName);
        var args = Filled(command, option);
        args.Add(optionName);
        if (option.ValueType != typeof(bool))
        {
            args.Add(ValueFor(optionName));
        }

        var (code, output, error) = CliRunner.Run([.. args]);

        var files = Cli.Companions.FilesOf(command, optionName).Files;
        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith($"error: {optionName} needs {string.Join(" or ", files)}: it ", error, StringComparison.Ordinal);
        Assert.EndsWith(files[0] == "MATRIX" ? $"pass the matrix file as MATRIX, or drop {optionName}." : $"pass {files[0]} FILE, or drop {optionName}.", error.Trim(), StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    // With the file given, the same option is read as before.
    [Fact]
    public void AnOptionWithTheFileItReads_IsTaken()
    {
        var dir = RepoPaths.NewTempFolder();
        var observed = Path.Combine(dir, "cells.csv");
        File.WriteAllLines(observed, ["ex,loss", "3,0.25", "17,0.5"]);
        var (code, output, error) = CliRunner.Run("predict", "--model", s_model.Value, "--observed", observed, "--observed-columns", "ex,loss", "--by-index");
        Assert.True(code == 0, error);
        Assert.Contains("from 2 measured cells", output, StringComparison.Ordinal);

        var path = Path.Combine(dir, "z.tsv");
        MatrixFile.Write(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 6, Examples = 50, Seed = 2 }).Matrix, path);
        var demo = CliRunner.Run("demo", "--matrix", path, "--format", "tsv", "--seeds", "1", "--test-tasks", "1", "--known", "5");
        Assert.True(demo.ExitCode == 0, demo.Error);
        // One of each is singular ("1 random draws per task" before).
        Assert.Contains("2. Predicting 1 held-out task from 5 measured cells each (1 random draw per task;", CliRunner.Unwrapped(demo.Output), StringComparison.Ordinal);

        // design reads its matrix from the MATRIX argument, which --model replaces: given, the read options read it.
        var design = CliRunner.Run("design", path, "--format", "tsv", "--count", "2");
        Assert.True(design.ExitCode == 0, design.Error);
        var withoutMatrix = CliRunner.Run("design", "--model", s_model.Value, "--format", "tsv");
        Assert.Equal(CliApp.UsageError, withoutMatrix.ExitCode);
        Assert.StartsWith("error: --format needs MATRIX: it says how to read that file", withoutMatrix.Error, StringComparison.Ordinal);
    }

    // 'evaluate --active-criterion d-optimal' without '--reveal active' ran random reveals and ignored the criterion in silence.
    [Theory]
    [InlineData("--active-criterion", "d-optimal")]
    [InlineData("--active-criterion", "d-optimal", "--reveal", "random")]
    public void Evaluate_ActiveCriterionWithoutActiveReveals_IsRefused_NamingTheValueItNeeds(params string[] options)
    {
        var (code, output, error) = CliRunner.Run(["evaluate", Charlm, "--methods", "mf", "--seeds", "1", .. options]);

        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal(string.Empty, output);
        Assert.Equal("error: --active-criterion needs --reveal active: it names the design that chooses the revealed cells, and without --reveal active the cells are revealed at random; pass --reveal active, or drop --active-criterion.", error.Trim());

        // With active reveals it is read (checked before anything runs: the refusal is Companions'), and --reveal alone is taken.
        var root = CliApp.BuildRoot();
        Assert.Null(Cli.Companions.Refused(root.Parse(["evaluate", Charlm, "--reveal", "active", "--active-criterion", "d-optimal"])));
        Assert.Null(Cli.Companions.Refused(root.Parse(["evaluate", Charlm, "--reveal", "random"])));
        Assert.Null(Cli.Companions.ValueOf(root.Subcommands.Single(c => c.Name == "design"), "--active-criterion"));
    }

    // QA: 'evaluate --reveal active --seed 5' wrote the same predictions, to the byte, as without --seed: nothing is drawn.
    [Fact]
    public void Evaluate_SeedWithActiveReveals_IsRefused_AndWithRandomRevealsIsTaken()
    {
        var (code, output, error) = CliRunner.Run("evaluate", Charlm, "--methods", "mf", "--seeds", "1", "--reveal", "active", "--seed", "5");

        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal(string.Empty, output);
        Assert.Equal("error: --seed needs --reveal random: it is the base seed of the random draws of the revealed cells, and without --reveal random a design chooses them and nothing is drawn; pass --reveal random, or drop --seed.", error.Trim());
        var root = CliApp.BuildRoot();
        Assert.Null(Cli.Companions.Refused(root.Parse(["evaluate", Charlm, "--seed", "5"])));
        Assert.Null(Cli.Companions.Refused(root.Parse(["fit", Charlm, "--out", "m.fpm", "--seed", "5"])));
    }

    // 'fit --method additive --seed 3' ignored the seed without a word; it still fits (scripts loop over methods with one seed).
    [Fact]
    public void Fit_SeedOnAMethodThatDrawsNoRandomNumbers_IsWarnedOf_NotRefused()
    {
        var dir = RepoPaths.NewTempFolder();
        var (code, output, error) = CliRunner.Run("fit", Charlm, "--method", "additive", "--seed", "3", "--out", Path.Combine(dir, "a.fpm"));

        Assert.True(code == 0, error);
        Assert.Contains("fitted additive", output, StringComparison.Ordinal);
        Assert.Contains("warning: --seed 3 has no effect on 'additive': it draws no random numbers, so every seed fits the same model (only rank1, mf, logistic, ensemble, auto use a seed).", error, StringComparison.Ordinal);

        var seeded = CliRunner.Run("fit", Charlm, "--method", "rank1", "--seed", "3", "--out", Path.Combine(dir, "r.fpm"));
        Assert.True(seeded.ExitCode == 0, seeded.Error);
        Assert.DoesNotContain("--seed", seeded.Error, StringComparison.Ordinal);
        var unseeded = CliRunner.Run("fit", Charlm, "--method", "additive", "--out", Path.Combine(dir, "b.fpm"));
        Assert.DoesNotContain("--seed", unseeded.Error, StringComparison.Ordinal);
    }

    // demo refused --known 0 while fit and evaluate took it: the cold start runs, and says what it is.
    [Fact]
    public void Demo_KnownZero_RunsTheColdStart_AndSaysSo()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "z.tsv");
        MatrixFile.Write(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 10, Examples = 300, Seed = 1 }).Matrix, path);

        var (code, output, error) = CliRunner.Run("demo", "--matrix", path, "--seeds", "2", "--test-tasks", "2", "--known", "0", "--format", "tsv");

        Assert.True(code == 0, error);
        var text = CliRunner.Unwrapped(output);
        Assert.Contains("2. Predicting 2 held-out tasks from no measured cell (the cold start: fit on the other 8 tasks, each method predicts the average past task;", text, StringComparison.Ordinal);
        Assert.Contains("(held out, no cell measured: the average past task)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("from 0 measured cells", text, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", text, StringComparison.OrdinalIgnoreCase);
        foreach (var method in new[] { "example-mean (ignores the cells)", "additive", "rank1", "mf", "knn" })
        {
            Assert.Contains(method, text, StringComparison.Ordinal);
        }

        // Below 0 is still refused, naming the least value.
        var (negative, _, negativeError) = CliRunner.Run("demo", "--matrix", path, "--known", "-1", "--format", "tsv");
        Assert.Equal(CliApp.UsageError, negative);
        Assert.StartsWith("error: --known must be at least 0.", negativeError, StringComparison.Ordinal);
    }

    // Only replay's options had said their least value; the others said the type's, from -2,147,483,648.
    [Theory]
    [InlineData("fit:--method mf --rank 99999999999", "error: --rank takes a whole number from 1 to 1,024 (got '99999999999').")]
    [InlineData("fit:--method auto --known 99999999999", "error: --known takes a whole number from 0 to 2,147,483,647 (got '99999999999').")]
    [InlineData("predict:--top 99999999999", "error: --top takes a whole number from 0 to 100,000 (got '99999999999').")]
    [InlineData("design:--count 99999999999", "error: --count takes a whole number from 1 to 2,147,483,647 (got '99999999999').")]
    [InlineData("evaluate:--seeds 99999999999", "error: --seeds takes a whole number from 1 to 2,147,483,647 (got '99999999999').")]
    [InlineData("demo:--known -99999999999", "error: --known takes a whole number from 0 to 2,147,483,647 (got '-99999999999').")]
    [InlineData("analyze:--max-rank 99999999999", "error: --max-rank takes a whole number from 1 to 2,147,483,647 (got '99999999999').")]
    [InlineData("replay:--budget 99999999999", "error: --budget takes a whole number from 0 to 2,147,483,647 (got '99999999999').")]
    [InlineData("evaluate:--known 2147483648", "error: --known takes a whole number from 0 to 2,147,483,647 (got '2147483648').")]
    [InlineData("evaluate:--known 0,99999999999", "error: --known takes a whole number from 0 to 2,147,483,647 (got '99999999999').")]
    [InlineData("fit:--method mf --seed 99999999999", "error: --seed takes a whole number from -2,147,483,648 to 2,147,483,647 (got '99999999999').")]
    public void OverlargeNumbers_SayTheOptionsOwnRange(string commandLine, string expected)
    {
        var (code, _, error) = CliRunner.Run(Arguments(commandLine));

        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal(expected, error.Split('\n')[0].Trim());
    }

    // 'fit --out model.csv' wrote a binary model under a table's name, for the next tool to misread.
    [Theory]
    [InlineData("model.csv", "csv")]
    [InlineData("model.tsv", "tsv")]
    [InlineData("model.parquet", "parquet")]
    [InlineData("model.npy", "npy")]
    [InlineData("model.npz", "npz")]
    [InlineData("model.json", "json")]
    [InlineData("model.txt", "txt")]
    public void Fit_AModelNamedAsADataFile_IsAUsageError_BeforeAnyWork(string name, string format)
    {
        var dir = RepoPaths.NewTempFolder();
        var output = Path.Combine(dir, name);

        // The matrix is absent: the name is refused before anything is read.
        var (code, stdout, error) = CliRunner.Run("fit", Path.Combine(dir, "absent.npy"), "--method", "mf", "--out", output);

        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal($"error: --out {output}: '{Path.GetExtension(name)}' names a data format ({format}), but a model file is ForgetPredict's own binary format, which predict, replay, design and the service read; name it with .fpm ({Path.ChangeExtension(output, ".fpm")}).", error.Trim());
        Assert.Empty(Directory.GetFiles(dir));
    }

    // fit --out suggested names it then refused (m.npy.gz -> m.npy), doubled (m.fpm.csv -> m.fpm.fpm), dropped the folder
    // (dir.v1.csv/out.csv -> out.fpm) or named a data file (a folder dir.v1.csv -> dir.v1.csv/out.csv): each suggestion is taken.
    [Theory]
    [InlineData("dir.v1.csv", "dir.v1.csv/out.fpm")]
    [InlineData("m.npy.gz", "m.fpm")]
    [InlineData("m.fpm.csv", "m.fpm")]
    [InlineData("dir.v1.csv/out.csv", "dir.v1.csv/out.fpm")]
    public void Fit_ARefusedModelName_SuggestsAModelFileNameFitTakes(string name, string suggested)
    {
        var dir = RepoPaths.NewTempFolder();
        Directory.CreateDirectory(Path.Combine(dir, "dir.v1.csv"));
        var matrix = SmallMatrix.WriteNpy(dir);

        var (code, _, error) = CliRunner.Run("fit", matrix, "--method", "additive", "--out", Path.Combine(dir, name));
        var (again, _, againError) = CliRunner.Run("fit", matrix, "--method", "additive", "--out", Path.Combine(dir, suggested));

        Assert.Equal(CliApp.UsageError, code);
        Assert.Contains($"{Path.Combine(dir, suggested)})", error, StringComparison.Ordinal);
        Assert.True(again == 0, againError);
        Assert.True(File.Exists(Path.Combine(dir, suggested)));
    }

    [Fact]
    public void Fit_AModelNamedOtherwise_IsWritten_AndItsShapeIsSaidWithSeparators()
    {
        var dir = RepoPaths.NewTempFolder();
        foreach (var name in new[] { "m.fpm", "m.model", "m" })
        {
            var (code, output, error) = CliRunner.Run("fit", Charlm, "--method", "additive", "--out", Path.Combine(dir, name));
            Assert.True(code == 0, error);
            Assert.StartsWith("fitted additive on 47 tasks x 2,400 examples in ", output, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(dir, name)));
        }
    }

    // "fit:--rank 0" is 'fit MATRIX --rank 0' with what the command requires filled in.
    private static string[] Arguments(string commandLine)
    {
        var colon = commandLine.IndexOf(':', StringComparison.Ordinal);
        var name = commandLine[..colon];
        var rest = commandLine[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var dir = RepoPaths.NewTempFolder();
        string[] head = name switch
        {
            "fit" => ["fit", Charlm, "--out", Path.Combine(dir, "m.fpm")],
            "evaluate" => ["evaluate", Charlm],
            "predict" => ["predict", "--model", s_model.Value],
            "replay" => ["replay", "--model", s_model.Value, "--out", Path.Combine(dir, "r.csv")],
            "design" => ["design", Charlm],
            "synth" => ["synth", "--out", Path.Combine(dir, "s.npy")],
            "demo" => ["demo"],
            "analyze" => ["analyze", Charlm],
            _ => throw new ArgumentException(name, nameof(commandLine)),
        };
        return [.. head, .. rest];
    }

    // The command with its arguments and required options filled in (none of them a file the option under test reads).
    private static List<string> Filled(Command command, Option option)
    {
        var args = new List<string> { command.Name };
        args.AddRange(command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0).Select(_ => Charlm));
        if (command.Arguments.Any(a => a.Arity.MinimumNumberOfValues == 0) && command.Options.Any(o => o.Name == "--model"))
        {
            args.AddRange(["--model", "absent.fpm"]); // design: a model instead of the MATRIX, whose read options need it
        }

        foreach (var required in command.Options.Where(o => o.Required && o != option))
        {
            args.AddRange([required.Name, required.Name switch
            {
                "--method" => "mf",
                "--model" => "absent.fpm",
                "--store" => RepoPaths.NewTempFolder(),
                _ => Path.Combine(RepoPaths.NewTempFolder(), "out.csv"),
            }]);
        }

        return args;
    }

    private static string ValueFor(string option) => option switch
    {
        "--observed-columns" => "example,value",
        "--columns" => "task,example,value",
        "--layout" => "wide",
        "--format" => "csv",
        "--array" => "z",
        "--group-by" => "source",
        "--family-column" => "kind",
        _ => "id",
    };
}

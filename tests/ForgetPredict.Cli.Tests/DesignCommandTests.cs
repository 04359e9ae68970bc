using System.Globalization;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

public class DesignCommandTests
{
    private static readonly SyntheticForgetting s_data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 21, Examples = 400, Seed = 3 });

    private static string WriteTraining(string dir)
    {
        var path = Path.Combine(dir, "train.npy");
        using var stream = File.Create(path);
        NpyFormat.Write(s_data.Matrix.SelectTasks([.. Enumerable.Range(0, 20)]), stream);
        return path;
    }

    [Fact]
    public void Design_WritesATemplate_ThatPredictReadsOnceTheValuesAreFilledIn()
    {
        // Given: 20 past tasks, a model of them, and a design of 10 cells for the 21st task.
        var dir = RepoPaths.NewTempFolder();
        var matrix = WriteTraining(dir);
        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "mf", "--out", model).ExitCode);
        var cells = Path.Combine(dir, "cells.csv");

        var (code, output, error) = CliRunner.Run("design", matrix, "--count", "10", "--out", cells);

        // Then: the ids to measure, most informative first, with an empty value column...
        Assert.True(code == 0, error);
        Assert.Contains("chose 10 of 400 examples to measure with v-optimal, on an mf model (rank 8) of 20 past tasks; wrote", output, StringComparison.Ordinal);
        var lines = File.ReadAllLines(cells);
        Assert.Equal("example,value,order", lines[0]);
        Assert.Equal(11, lines.Length);
        var rows = lines[1..].Select(l => l.Split(',')).ToArray();
        Assert.All(rows, r => Assert.Equal(string.Empty, r[1]));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)), rows.Select(r => r[2]));
        var examples = rows.Select(r => int.Parse(r[0], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(10, examples.Distinct().Count());

        // ...which predict refuses until it is filled in, naming the row,
        var (emptyCode, _, emptyError) = CliRunner.Run("predict", "--model", model, "--observed", cells);
        Assert.Equal(1, emptyCode);
        Assert.Contains($"cells.csv:2: column 'value': example '{rows[0][0]}' has no value; write its measured forgetting", emptyError, StringComparison.Ordinal);

        // and folds in once it is: the same prediction as the library's fold-in from those cells.
        File.WriteAllLines(cells, [lines[0], .. rows.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"{r[0]},{(double)s_data.Matrix[20, examples[i]]:R},{r[2]}"))]);
        var predicted = Path.Combine(dir, "p.csv");
        var (predictCode, predictOutput, predictError) = CliRunner.Run("predict", "--model", model, "--observed", cells, "--out", predicted);
        Assert.True(predictCode == 0, predictError);
        Assert.Contains("10 measured cells", predictOutput, StringComparison.Ordinal);
        var expected = ModelFile.Load(model).Model.FoldIn(examples, [.. examples.Select(j => (double)s_data.Matrix[20, j])]).PredictRow();
        var written = File.ReadAllLines(predicted)[1..].Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected, written);
    }

    // QA (degenerate matrices): a constant matrix was refused without the file's name, which fit gives.
    [Fact]
    public void Design_OnAConstantMatrix_NamesTheFile_AsFitDoes()
    {
        var dir = RepoPaths.NewTempFolder();
        var matrix = Path.Combine(dir, "const.npy");
        var values = new float[8 * 20];
        Array.Fill(values, 0.3f);
        MatrixFile.Write(Core.ForgettingMatrix.Wrap(values, 8, 20), matrix);

        var (code, _, error) = CliRunner.Run("design", matrix, "--count", "3");
        var (fitCode, _, fitError) = CliRunner.Run("fit", matrix, "--method", "mf", "--out", Path.Combine(dir, "m.fpm"));

        Assert.Equal(CliApp.DataError, code);
        Assert.StartsWith("error: const.npy: every observed cell of the 8 x 20 matrix is 0.3", error, StringComparison.Ordinal);
        Assert.Equal(CliApp.DataError, fitCode);
        Assert.StartsWith("error: const.npy: every observed cell", fitError, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_GroupMeans_ReadsTheGroups_AndWritesThem()
    {
        var dir = RepoPaths.NewTempFolder();
        var matrix = WriteTraining(dir);
        var meta = Path.Combine(dir, "meta.csv");
        File.WriteAllLines(meta, ["id,source", .. Enumerable.Range(0, 400).Select(j => string.Create(CultureInfo.InvariantCulture, $"{j},{(j < 100 ? "web" : "code")}"))]);
        var cells = Path.Combine(dir, "cells.parquet");

        var (code, output, error) = CliRunner.Run("design", matrix, "--count", "4", "--criterion", "group-means", "--examples", meta, "--out", cells);

        Assert.True(code == 0, error);
        Assert.Contains("with group-means", output, StringComparison.Ordinal);
        Assert.Contains("source", output, StringComparison.Ordinal);
        var table = MetadataTable.Read(cells, "example");
        Assert.Equal(["value", "order", "group"], table.DataColumns);
        Assert.Equal(4, table.RowCount);
        Assert.All(table.Ids, id => Assert.Equal(int.Parse(id, CultureInfo.InvariantCulture) < 100 ? "web" : "code", table.Column("group")[IndexOf(table.Ids, id)]));
    }

    [Fact]
    public void Design_GivenTheCellsMeasuredSoFar_ContinuesTheDesign()
    {
        // Given: a design of 10 cells, and the first 5 of them measured (the template filled in and cut to 5 rows).
        var dir = RepoPaths.NewTempFolder();
        var matrix = WriteTraining(dir);
        var ten = Path.Combine(dir, "ten.csv");
        Assert.Equal(0, CliRunner.Run("design", matrix, "--count", "10", "--out", ten).ExitCode);
        var rows = File.ReadAllLines(ten)[1..].Select(l => l.Split(',')).ToArray();
        var five = Path.Combine(dir, "five.csv");
        File.WriteAllLines(five, ["example,value", .. rows.Take(5).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r[0]},{(double)s_data.Matrix[20, int.Parse(r[0], CultureInfo.InvariantCulture)]:R}"))]);
        var next = Path.Combine(dir, "next.csv");

        // When: 5 more are asked for, given those 5.
        var (code, output, error) = CliRunner.Run("design", matrix, "--count", "5", "--observed", five, "--out", next);

        // Then: they are the other 5 of the 10-cell design, in its order and numbered 6-10 (a greedy design's next steps), and the
        // file is the task's whole sheet: the 5 measured cells with their values first, so filled in it is what predict reads.
        Assert.True(code == 0, error);
        Assert.Contains("chose 5 examples to measure, of the 395 not measured yet, with v-optimal", output, StringComparison.Ordinal);
        Assert.Contains("given the 5 measured already", output, StringComparison.Ordinal);
        var sheet = File.ReadAllLines(next)[1..].Select(l => l.Split(',')).ToArray();
        Assert.Equal(rows.Select(r => r[0]), sheet.Select(r => r[0]));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)), sheet.Select(r => r[2]));
        Assert.Equal(File.ReadAllLines(five)[1..].Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)),
            sheet.Take(5).Select(r => double.Parse(r[1], CultureInfo.InvariantCulture)));
        Assert.All(sheet.Skip(5), r => Assert.Equal(string.Empty, r[1]));
        Assert.Matches(@"(?m)^\s*6\s+" + rows[5][0] + @"\s*$", output);
    }

    // QA: design read --observed without saying what predict says of it: a task column of several tasks (a long table given
    // whole), whose cells were taken as one new task's measured cells. Every command that reads --observed warns of it, from
    // a CSV file as from JSON records (or Parquet: one rule in the reader).
    [Fact]
    public void Design_ObservedCellsOfSeveralTasks_AreWarnedAbout_AsPredictAndReplayWarn()
    {
        // Given: a model of the 20 past tasks, and measured cells of two tasks, as CSV and as pandas' JSON records
        var dir = RepoPaths.NewTempFolder();
        var matrix = WriteTraining(dir);
        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "mf", "--out", model).ExitCode);
        var csv = Path.Combine(dir, "long.csv");
        File.WriteAllLines(csv, ["task,example,value", "t1,3,0.25", "t1,17,0.5", "t2,250,0.125"]);
        var json = Path.Combine(dir, "long.json");
        File.WriteAllText(json, """[{"task": "t1", "example": "3", "value": 0.25}, {"task": "t1", "example": "17", "value": 0.5}, {"task": "t2", "example": "250", "value": 0.125}]""");

        // When
        var fromCsv = CliRunner.Run("design", matrix, "--count", "3", "--observed", csv);
        var fromJson = CliRunner.Run("design", "--model", model, "--count", "3", "--observed", json, "--out", Path.Combine(dir, "next.csv"));
        var predict = CliRunner.Run("predict", "--model", model, "--observed", json);
        var replay = CliRunner.Run("replay", "--model", model, "--observed", json, "--budget", "5", "--out", Path.Combine(dir, "replay.csv"));

        // Then: each designs, predicts or replays, and says so, naming the file, the tasks, where the second starts, and the fix
        foreach (var (code, _, error) in new[] { fromCsv, fromJson, predict, replay })
        {
            Assert.True(code == 0, error);
        }

        Assert.Contains($"warning: {csv}: column 'task' holds 2 tasks ('t1', 't2'), the second starting at line 4, and their cells were taken as one new task's. Keep one task's rows (pandas: df[df.task == 't1'].to_csv(..., index=False))", fromCsv.Error, StringComparison.Ordinal);
        Assert.Contains("given the 3 measured already", fromCsv.Output, StringComparison.Ordinal);
        foreach (var error in new[] { fromJson.Error, predict.Error, replay.Error })
        {
            Assert.Contains($"warning: {json}: column 'task' holds 2 tasks ('t1', 't2'), the second starting at record 3, and their cells were taken as one new task's. Keep one task's rows (pandas: df[df.task == 't1'].to_json(..., orient=\"records\"))", error, StringComparison.Ordinal);
        }

        // One task's cells are nothing to say.
        File.WriteAllLines(csv, ["task,example,value", "t1,3,0.25", "t1,17,0.5"]);
        var one = CliRunner.Run("design", matrix, "--count", "3", "--observed", csv);
        Assert.Equal(0, one.ExitCode);
        Assert.DoesNotContain("warning", one.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_Exclude_LeavesTheListedExamplesOut_ByIdOrPosition()
    {
        var dir = RepoPaths.NewTempFolder();
        var matrix = WriteTraining(dir);
        var exclude = Path.Combine(dir, "exclude.csv");
        File.WriteAllLines(exclude, ["id", "3", "17", "250", "not-an-example"]);
        var cells = Path.Combine(dir, "cells.csv");

        var (code, output, error) = CliRunner.Run("design", matrix, "--count", "397", "--exclude", exclude, "--out", cells);

        Assert.True(code == 0, error);
        Assert.Contains("chose 397 examples to measure, of the 397 not excluded, with v-optimal", output, StringComparison.Ordinal);
        Assert.Contains("warning: " + exclude + ": 1 of its 4 rows name no example", error, StringComparison.Ordinal);
        var chosen = File.ReadAllLines(cells)[1..].Select(l => l.Split(',')[0]).ToHashSet();
        Assert.Equal(397, chosen.Count);
        Assert.DoesNotContain("3", chosen);
        Assert.DoesNotContain("17", chosen);
        Assert.DoesNotContain("250", chosen);

        var (tooMany, _, tooManyError) = CliRunner.Run("design", matrix, "--count", "398", "--exclude", exclude, "--by-index");
        Assert.Equal(CliApp.UsageError, tooMany);
        Assert.Contains("398 cells were asked for, but only 397 of the 400 examples are neither excluded nor measured already; lower --count or exclude fewer.", tooManyError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--count", "0" }, 2, "--count")]
    [InlineData(new[] { "--criterion", "neighbours" }, 2, "The neighbours criterion chooses each cell after measuring the ones before it, so it cannot be planned in advance; choose one of v-optimal, d-optimal, group-means (--criterion).")]
    [InlineData(new[] { "--criterion", "neighbor" }, 2, "Unknown criterion 'neighbor'; criteria: v-optimal, d-optimal, group-means.")]
    [InlineData(new[] { "--count", "401" }, 2, "between 1 and the 400 examples; it is 401")]
    [InlineData(new[] { "--group-by", "source" }, 2, "--group-by needs --examples")]
    public void Design_BadRequests_AreRefusedWithTheReason(string[] arguments, int exitCode, string message)
    {
        var dir = RepoPaths.NewTempFolder();
        var cells = Path.Combine(dir, "cells.csv");

        var (code, _, error) = CliRunner.Run(["design", WriteTraining(dir), "--out", cells, .. arguments]);

        Assert.Equal(exitCode, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.False(File.Exists(cells));
    }

    [Fact]
    public void Design_OnAFittedModel_ChoosesTheLibrarysCells_AndNamesTheModelInTheNextStep()
    {
        // Given: an auto model of the 20 past tasks, and a measurement already made.
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "auto.fpm");
        Assert.Equal(0, CliRunner.Run("fit", WriteTraining(dir), "--method", "ensemble", "--out", model).ExitCode);
        var first = Path.Combine(dir, "first.csv");
        File.WriteAllLines(first, ["example,value", "7,0.25"]);
        var cells = Path.Combine(dir, "cells.csv");

        var (code, output, error) = CliRunner.Run("design", "--model", model, "--count", "6", "--criterion", "d-optimal", "--observed", first, "--out", cells);

        // Then: the cells the library designs on the ensemble's heaviest factor member, given the measured one.
        Assert.True(code == 0, error);
        var loaded = ModelFile.Load(model).Model;
        var design = Core.Evaluation.ActiveDesign.Of(loaded);
        // (the console wraps lines at 120 columns, between words)
        var text = output.ReplaceLineEndings(" ");
        Assert.Contains($"on the model's {design.Member} member (weight {design.Weight.ToString("0.00", CultureInfo.InvariantCulture)}; 20 past tasks), given the 1 measured already",
            text, StringComparison.Ordinal);
        Assert.Contains($"forgetpredict predict --model {model} --observed {cells}", text, StringComparison.Ordinal);
        var expected = design.Choose(6, Core.Evaluation.ActiveCriterion.DOptimal, measured: [7]).Select(j => loaded.ExampleIds[j]);
        Assert.Equal(["7,0.25,1", .. expected.Select((id, i) => string.Create(CultureInfo.InvariantCulture, $"{id},,{i + 2}"))], File.ReadAllLines(cells)[1..]);
    }

    [Fact]
    public void Design_NeedsAMatrixOrAModel_AndRefusesAModelWithoutFactors()
    {
        var dir = RepoPaths.NewTempFolder();
        var matrix = WriteTraining(dir);
        var knn = Path.Combine(dir, "knn.fpm");
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "knn", "--out", knn).ExitCode);
        var cells = Path.Combine(dir, "cells.csv");

        var (neither, _, neitherError) = CliRunner.Run("design", "--count", "3", "--out", cells);
        var (both, _, bothError) = CliRunner.Run("design", matrix, "--model", knn, "--out", cells);
        var (factorless, _, factorlessError) = CliRunner.Run("design", "--model", knn, "--out", cells);

        Assert.Equal(2, neither);
        Assert.Contains("Give the past tasks' MATRIX (an mf model is fitted on it to design with) or --model M", neitherError, StringComparison.Ordinal);
        Assert.Equal(2, both);
        Assert.Contains("Give the past tasks' MATRIX or --model, not both", bothError, StringComparison.Ordinal);
        Assert.Equal(2, factorless); // the fix is another model or the matrix: a usage error, as the service's 400
        Assert.Contains("A knn model has no factor model to design on", factorlessError, StringComparison.Ordinal);
        Assert.False(File.Exists(cells));
    }

    private static int IndexOf(IReadOnlyList<string> ids, string id) => ids.Select((x, i) => (x, i)).First(p => p.x == id).i;
    [Theory]
    [InlineData("cells.csv", "cells.csv")]
    [InlineData("/tmp/a-b_c/m.fpm", "/tmp/a-b_c/m.fpm")]
    [InlineData("sp dir/my model.fpm", "'sp dir/my model.fpm'")]
    [InlineData("it's.csv", "'it'\\''s.csv'")]
    [InlineData("$HOME/x.csv", "'$HOME/x.csv'")]
    public void Design_NextCommand_QuotesPathsAsTheShellReadsThem(string path, string expected)
    {
        Assert.Equal(expected, Commands.DesignCommand.Shell(path));

        // The shell reads the quoted form back as the path itself.
        var echo = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh", ["-c", $"printf %s {expected}"]) { RedirectStandardOutput = true })!;
        var read = echo.StandardOutput.ReadToEnd();
        echo.WaitForExit();
        Assert.Equal(path, read);
    }
}

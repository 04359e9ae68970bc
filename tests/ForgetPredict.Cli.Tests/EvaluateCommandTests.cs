using System.Text.Json;
using System.Text.Json.Nodes;
using ForgetPredict.Core;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

public class EvaluateCommandTests
{
    private static readonly Lazy<string> s_matrix = new(() =>
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "eval.npy");
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 600, Seed = 4 });
        using var stream = File.Create(path);
        NpyFormat.Write(data.Matrix, stream);
        return path;
    });

    [Fact]
    public void Evaluate_AndPredict_TablesShowThreeSignificantDigits_OfAMatrixInThousandths()
    {
        // Given: the synthetic matrix in thousandths (RMSEs near 1e-5, where four fixed decimals print 0.0000).
        var dir = RepoPaths.NewTempFolder();
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 600, Seed = 4 }).Matrix;
        var small = ForgettingMatrix.Create([.. z.Values.ToArray().Select(v => v * 1e-3f)], z.TaskCount, z.ExampleCount);
        var path = Path.Combine(dir, "small.npy");
        MatrixFile.Write(small, path);

        // When: it is evaluated, and a model of it predicts a task from 20 cells.
        var json = Path.Combine(dir, "small.json");
        var (code, output, error) = CliRunner.Run("evaluate", path, "--test-rows", "1,5,9", "--methods", "additive,mf", "--seeds", "1", "--known", "20", "--json", json);
        Assert.True(code == 0, error);
        var model = Path.Combine(dir, "small.fpm");
        Assert.Equal(0, CliRunner.Run("fit", path, "--method", "mf", "--out", model).ExitCode);
        var observed = Path.Combine(dir, "observed.csv");
        File.WriteAllLines(observed, ["example,value", .. Enumerable.Range(0, 20).Select(j => FormattableString.Invariant($"{j * 30},{small[0, j * 30]:R}"))]);
        var (predictCode, predicted, predictError) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--top", "3");
        Assert.True(predictCode == 0, predictError);

        // Then: each RMSE and prediction in the tables carries three significant digits of the value it stands for (a
        // prediction's std is shown to the same decimals as the predictions).
        foreach (var method in JsonNode.Parse(File.ReadAllText(json))!["methods"]!.AsArray())
        {
            var rmse = (double)method!["rmse"]!;
            var line = output.Split('\n').Single(l => l.TrimStart().StartsWith((string)method["name"]! + " ", StringComparison.Ordinal));
            var shown = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(rmse < 1e-3 && Math.Abs(shown - rmse) <= 0.005 * rmse, $"{line} for RMSE {rmse}");
        }

        var top = predicted.Split('\n').Single(l => l.TrimStart().StartsWith("1 ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^-?0\.0+[1-9]\d{2}$", top[2]);
        Assert.Matches(@"^0\.0+[1-9]\d{1,2}$", top[3]);
    }

    [Fact]
    public void Evaluate_Json_HasThePublishedShapeAndIsReproducible()
    {
        var dir = RepoPaths.NewTempFolder();
        string Run(string name)
        {
            var json = Path.Combine(dir, name);
            var (code, output, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "1,5,9", "--methods", "additive,mf,knn", "--seeds", "3", "--known", "20", "--json", json);
            Assert.True(code == 0, error);
            Assert.Contains("17 train / 3 test tasks", output, StringComparison.Ordinal);
            return File.ReadAllText(json);
        }

        var first = JsonNode.Parse(Run("a.json"))!.AsObject();
        Assert.Equal(20, (int)first["rows"]!);
        Assert.Equal(600, (int)first["cols"]!);
        Assert.Equal(20, (int)first["known"]!);
        Assert.Equal(3, (int)first["seeds"]!);
        Assert.Equal("random", (string)first["reveal"]!);
        var methods = first["methods"]!.AsArray();
        Assert.Equal(["additive", "mf", "knn"], methods.Select(m => (string)m!["name"]!));
        foreach (var key in new[] { "rmse", "rmse_std", "mae", "spearman", "precision_at_k", "seconds" })
        {
            Assert.All(methods, m => Assert.Equal(JsonValueKind.Number, m![key]!.GetValueKind()));
        }

        Assert.All(methods, m => Assert.Null(m!["f1"]));
        Assert.All(methods, m => Assert.Null(m!["auc"]));
        Assert.Empty(first["external"]!.AsArray());

        // Same seed, same numbers (wall time aside).
        var second = JsonNode.Parse(Run("b.json"))!.AsObject();
        foreach (var node in new[] { first, second })
        {
            foreach (var m in node["methods"]!.AsArray())
            {
                m!.AsObject().Remove("seconds");
            }
        }

        Assert.Equal(first.ToJsonString(), second.ToJsonString());
    }

    [Fact]
    public void Evaluate_ExternalPredictor_IsComparedWithBootstrapIntervals()
    {
        // The "external predictor" here is the truth itself, saved as a matrix with the same task and example ids.
        var dir = RepoPaths.NewTempFolder();
        var json = Path.Combine(dir, "e.json");
        var (code, output, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "additive", "--seeds", "2", "--external", $"oracle={s_matrix.Value}", "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("oracle vs our methods", output, StringComparison.Ordinal);
        var external = JsonNode.Parse(File.ReadAllText(json))!["external"]!.AsArray().Single()!;
        Assert.Equal("oracle", (string)external["name"]!);
        Assert.Equal(0, (double)external["rmse"]!, 12);
        var vs = external["vs"]!.AsArray().Single()!;
        Assert.Equal("additive", (string)vs["method"]!);
        Assert.True((double)vs["ci_high"]! < 0);

        // With a list of k the curve's table lists the external too (it was only in the JSON).
        var (curve, curveOutput, curveError) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "additive", "--seeds", "1", "--known", "0,10", "--external", $"oracle={s_matrix.Value}");
        Assert.True(curve == 0, curveError);
        var table = curveOutput[curveOutput.IndexOf("RMSE against known cells", StringComparison.Ordinal)..];
        Assert.Matches(@"\n\s+oracle\s+0\.0000\s+0\.0000\n", table);
    }

    [Fact]
    public void Evaluate_WhenSeedsScoreDifferentCellCounts_TheHeaderGivesTheirRange_NotOnlyTheMean()
    {
        // Missing cells and numpy's draws (the same columns for every task, missing ones skipped): each seed reveals a different
        // number of observed cells, so each scores a different count.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "gappy.npy");
        MatrixFile.Write(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 300, Seed = 4, MissingFraction = 0.3 }).Matrix, path);
        var json = Path.Combine(Path.GetDirectoryName(path)!, "g.json");

        var (code, output, error) = CliRunner.Run("evaluate", path, "--test-rows", "1,5,9", "--methods", "additive", "--seeds", "3", "--known", "20", "--reveal-rng", "numpy", "--predictions", json + ".csv");

        Assert.True(code == 0, error);
        var perSeed = File.ReadLines(json + ".csv").Skip(1).Select(l => l.Split(',')).Where(f => f[6] == "false" && f[5].Length > 0).GroupBy(f => f[1]).Select(g => g.Count()).ToArray();
        Assert.True(perSeed.Distinct().Count() > 1, string.Join(", ", perSeed));
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"scores on {perSeed.Min():N0}-{perSeed.Max():N0} (mean "), output.Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_AnExternalThatIsAMethodsOwnPredictions_DiffersFromItByZero_WithoutAStraySign()
    {
        // Given: mf's own predictions of one draw, written as an external predictor (task,example,value).
        var dir = RepoPaths.NewTempFolder();
        var predictions = Path.Combine(dir, "p.csv");
        var (code, _, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "mf", "--seeds", "1", "--predictions", predictions);
        Assert.True(code == 0, error);
        var lines = File.ReadAllLines(predictions);
        var header = lines[0].Split(',');
        int task = Array.IndexOf(header, "task"), example = Array.IndexOf(header, "example"), predicted = Array.IndexOf(header, "predicted");
        var external = Path.Combine(dir, "mf.csv");
        File.WriteAllLines(external, ["task,example,value", .. lines.Skip(1).Select(l => l.Split(',')).Select(f => $"{f[task]},{f[example]},{f[predicted]}")]);

        // When: it is scored against mf on the same cells.
        var (again, output, againError) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "mf", "--seeds", "1", "--external", $"mine={external}");

        // Then: the difference and its interval print as zero (they printed "-+0.0000" where rounding hid a negative sign).
        Assert.True(again == 0, againError);
        Assert.Contains("  vs mf: 0.0000 [0.0000, 0.0000]", output, StringComparison.Ordinal);

        // And the predictions file itself, given as an external, is recognised and the fix named (it was read as a wide
        // matrix: "task 'mf': 'False' is not a number").
        var (whole, _, wholeError) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "mf", "--seeds", "1", "--external", $"mine={predictions}");
        Assert.Equal(1, whole);
        Assert.Contains("p.csv: is an 'evaluate --predictions' file (every method's predictions of every draw), not one predictor's predictions. Keep one method's rows of one seed as task,example,value", wholeError, StringComparison.Ordinal);
    }

    // The truth of s_matrix as an external predictor with the first `blank` examples of task '3' removed, and without task '7'
    // when dropTask is set (the file keeps the matrix's ids: .npz).
    private static (string Path, int Blanked) PartialOracle(int blank, bool dropTask)
    {
        var truth = MatrixFile.Read(s_matrix.Value);
        var values = truth.Values.ToArray();
        var blanked = 0;
        for (var j = 0; j < blank; j++)
        {
            blanked += float.IsNaN(values[(3 * truth.ExampleCount) + j]) ? 0 : 1;
            values[(3 * truth.ExampleCount) + j] = float.NaN;
        }

        var rows = Enumerable.Range(0, truth.TaskCount).Where(i => !dropTask || i != 7).ToArray();
        var partial = ForgettingMatrix.Create(values, truth.TaskCount, truth.ExampleCount, Enumerable.Range(0, truth.TaskCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Enumerable.Range(0, truth.ExampleCount).Select(j => j.ToString(System.Globalization.CultureInfo.InvariantCulture))).SelectTasks(rows);
        var path = Path.Combine(RepoPaths.NewTempFolder(), "partial.npz");
        MatrixFile.Write(partial, path);
        return (path, blanked);
    }

    [Fact]
    public void Evaluate_ExternalWithMissingTestCells_IsRefusedNamingTheFileTheCountAndTheFix()
    {
        // Given: an external that lacks 50 cells of test task '3'.
        var (path, blanked) = PartialOracle(50, dropTask: false);
        var observed = 4 * MatrixFile.Read(s_matrix.Value).ExampleCount - Enumerable.Range(0, 4).Sum(t => MatrixFile.Read(s_matrix.Value).Row(new[] { 2, 3, 4, 7 }[t]).ToArray().Count(float.IsNaN));

        // When
        var (code, _, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "additive", "--seeds", "1", "--external", $"lm={path}");

        // Then
        Assert.Equal(1, code);
        Assert.Contains($"{path}: has predictions for {observed - blanked:N0} of the {observed:N0} observed cells of the 4 test tasks; {blanked} are missing (e.g. task '3', example '0')", error, StringComparison.Ordinal);
        Assert.Contains("or pass --allow-partial to score every method on the cells every external covers", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ExternalWithoutATestTask_IsRefusedCountingItsCells()
    {
        var (path, _) = PartialOracle(0, dropTask: true);
        var (code, _, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "additive", "--seeds", "1", "--external", $"lm={path}");
        Assert.Equal(1, code);
        Assert.Contains("are missing (e.g. task '7', example '0')", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_AllowPartial_ScoresEveryMethodOnTheCommonCellsAndSaysSo()
    {
        // Given: the same partial external, and the full oracle for reference.
        var (path, blanked) = PartialOracle(50, dropTask: false);
        var dir = RepoPaths.NewTempFolder();
        string[] Args(string external, string json) => ["evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "additive,knn", "--seeds", "2", "--known", "0", "--external", external, "--json", json];

        // When
        var (code, output, error) = CliRunner.Run([.. Args($"lm={path}", Path.Combine(dir, "partial.json")), "--allow-partial"]);
        var (fullCode, fullOutput, fullError) = CliRunner.Run(Args($"lm={s_matrix.Value}", Path.Combine(dir, "full.json")));

        // Then: every method is scored on the cells the external covers (with no cell revealed: all observed test cells
        // but the blanked ones), the count is printed, and the output says why.
        Assert.True(code == 0, error);
        Assert.True(fullCode == 0, fullError);
        output = CliRunner.Unwrapped(output);
        fullOutput = CliRunner.Unwrapped(fullOutput);
        long Cells(string json, int method) => (long)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, json)))![method < 0 ? "external" : "methods"]!.AsArray()[Math.Max(method, 0)]!["cells_per_seed"]!;
        var full = Cells("full.json", 0);
        Assert.Equal(full, Cells("full.json", 1));
        Assert.Equal(full, Cells("full.json", -1));
        Assert.Equal(full - blanked, Cells("partial.json", 0));
        Assert.Equal(full - blanked, Cells("partial.json", 1));
        Assert.Equal(full - blanked, Cells("partial.json", -1));
        Assert.Contains($"scores on {full - blanked:N0} unrevealed cells per seed, the same for every method", output, StringComparison.Ordinal);
        Assert.Contains($"scores on {full:N0} unrevealed cells per seed, the same for every method", fullOutput, StringComparison.Ordinal);
        Assert.Contains($"--allow-partial: lm ({path}) covers {full - blanked:N0} of the {full:N0} observed test cells ({blanked} missing, e.g. task '3', example '0'); every method is scored only on the cells every external covers.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("--allow-partial", fullOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_Predictions_WritesEveryCellWithRevealedFlags()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "p.csv");
        var (code, _, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "0,1", "--methods", "additive,mf", "--seeds", "2", "--known", "10", "--predictions", path);
        Assert.True(code == 0, error);
        var lines = File.ReadAllLines(path);
        Assert.Equal("method,seed,task,example,predicted,actual,revealed", lines[0]);
        Assert.Equal(1 + (2 * 2 * 2 * 600), lines.Length);
        Assert.Equal(2 * 2 * 2 * 10, lines.Count(l => l.EndsWith(",true", StringComparison.Ordinal)));
    }

    [Fact]
    public void Evaluate_FamilySplit_TrainsOnOneFamilyAndTestsOnAnother()
    {
        var dir = RepoPaths.NewTempFolder();
        var matrix = Path.Combine(dir, "m.npy");
        var tasks = Path.Combine(dir, "tasks.csv");
        Assert.Equal(0, CliRunner.Run("synth", "--rows", "24", "--cols", "400", "--out", matrix, "--tasks-out", tasks).ExitCode);
        var (code, output, error) = CliRunner.Run("evaluate", matrix, "--tasks", tasks, "--train-family", "flan", "--test-family", "tulu", "--methods", "additive", "--seeds", "1");
        Assert.True(code == 0, error);
        Assert.Contains("6 train / 6 test tasks", output, StringComparison.Ordinal);

        // Without --train-family every other family trains: one family held out against all the others.
        var (others, othersOutput, othersError) = CliRunner.Run("evaluate", matrix, "--tasks", tasks, "--test-family", "tulu", "--methods", "additive", "--seeds", "1");
        Assert.True(others == 0, othersError);
        Assert.Contains("18 train / 6 test tasks", othersOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v-optimal")]
    [InlineData("d-optimal")]
    [InlineData("group-means")]
    [InlineData("neighbours")]
    public void Evaluate_ActiveReveal_IsReported(string criterion)
    {
        var json = Path.Combine(RepoPaths.NewTempFolder(), "active.json");
        var (code, output, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "1,2", "--methods", "mf", "--reveal", "active", "--active-criterion", criterion, "--seeds", "1", "--known", "10", "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("10 actively chosen cells revealed", output, StringComparison.Ordinal);
        Assert.Contains($"\"active_criterion\": \"{criterion}\"", File.ReadAllText(json), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NumpyDraws_ReproduceTheReferencePipelineOnCharlmB()
    {
        // The reference stack (Surprise, published settings) on charlm-b: test rows numpy default_rng(0).choice(47, 15,
        // replace=False), 30 columns default_rng(0).choice(2400, 30) revealed in every test row, one seed:
        // BaselineOnly SGD 0.1343, KNNBaseline 0.1339, SVD rank 5 0.1230.
        var json = Path.Combine(RepoPaths.NewTempFolder(), "ref.json");
        var (code, output, error) = CliRunner.Run("evaluate", RepoPaths.Data("charlm-b", "z.npy"), "--reveal-rng", "numpy", "--test-fraction", "0.32", "--seeds", "1",
            "--methods", "ref-additive,ref-knn,ref-mf", "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("32 train / 15 test tasks; 30 numpy-drawn cells revealed", output, StringComparison.Ordinal);
        var result = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        Assert.Equal("numpy", (string)result["reveal_rng"]!);
        Assert.Equal(["0", "1", "2", "7", "9", "11", "17", "21", "22", "27", "28", "34", "40", "45", "46"], result["test_tasks"]!.AsArray().Select(r => (string)r!));
        var rmse = result["methods"]!.AsArray().ToDictionary(m => (string)m!["name"]!, m => (double)m!["rmse"]!);
        Assert.InRange(rmse["ref-additive"], 0.1343 * 0.98, 0.1343 * 1.02);
        Assert.InRange(rmse["ref-knn"], 0.1339 * 0.98, 0.1339 * 1.02);
        Assert.InRange(rmse["ref-mf"], 0.1230 * 0.98, 0.1230 * 1.02);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // auto is the default method
    public void FitAuto_ReportsTheChoiceAndItsCrossValidatedError_InTheOutputAndTheModelFile(bool named)
    {
        var model = Path.Combine(RepoPaths.NewTempFolder(), "auto.fpm");
        string[] method = named ? ["--method", "auto"] : [];
        var (code, output, error) = CliRunner.Run(["fit", s_matrix.Value, .. method, "--known", "20", "--out", model]);
        Assert.True(code == 0, error);
        Assert.Contains("auto chose ", output, StringComparison.Ordinal);
        Assert.Contains("cross-validated RMSE", output, StringComparison.Ordinal);
        Assert.Contains("with 20 known cells", output, StringComparison.Ordinal);
        Assert.StartsWith("auto chose ", ModelFile.Load(model).Metadata["tuning"], StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_AutoAndEnsemble_RunBesideTheFixedMethods()
    {
        var (code, output, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "1,5,9", "--methods", "mf,ensemble,auto", "--seeds", "1", "--known", "20");
        Assert.True(code == 0, error);
        Assert.Contains("ensemble", output, StringComparison.Ordinal);
        Assert.Contains("auto", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--reveal-rng", "numpy", "--seed", "-1" }, 1, "must be 0 or more")]
    [InlineData(new[] { "--test-rows", "1", "--test-fraction", "0.2" }, 2, "Choose one split")]
    [InlineData(new[] { "--methods", "mff" }, 2, "did you mean 'mf'")]
    [InlineData(new[] { "--methods", "logistic" }, 1, "needs a binary (0/1) matrix")]
    [InlineData(new[] { "--test-rows", "99" }, 1, "not a row index in 0..19")]
    [InlineData(new[] { "--test-tasks", "task-999" }, 1, "task 'task-999' is not in the matrix")]
    [InlineData(new[] { "--external", "nofile" }, 2, "expected NAME=FILE")]
    [InlineData(new[] { "--tasks", "x.csv" }, 2, "--tasks needs --test-family (and --train-family, else every other family trains).")]
    [InlineData(new[] { "--top-fraction", "0" }, 1, "--top-fraction must be above 0 and at most 1 (it is 0)")]
    public void Evaluate_BadArguments_FailWithAClearMessage(string[] extra, int exitCode, string expected)
    {
        var (code, _, error) = CliRunner.Run(["evaluate", s_matrix.Value, .. extra]);
        Assert.Equal(exitCode, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}

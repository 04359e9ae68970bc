using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ForgetPredict.Core;
using ForgetPredict.Core.Evaluation;
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

    // QA: evaluate with its default methods exited 1 on a 4 x 4 matrix, where rank1 cannot be fitted on 3 tasks.
    [Fact]
    public void Evaluate_DefaultMethods_LeaveOutOneThatCannotBeFitted_WithAWarningOnStderrAndInTheJson()
    {
        var dir = RepoPaths.NewTempFolder();
        var random = new Random(2);
        var path = Path.Combine(dir, "tiny.npy");
        MatrixFile.Write(ForgettingMatrix.Wrap([.. Enumerable.Range(0, 16).Select(_ => (float)random.NextDouble())], 4, 4), path);
        var json = Path.Combine(dir, "tiny.json");

        var (code, output, error) = CliRunner.Run("evaluate", path, "--known", "1", "--seeds", "2", "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains("warning: rank1 was left out of the evaluation (it runs by default, and could not be fitted on the training tasks): The rank1 fit on this 3 x 4 matrix", error, StringComparison.Ordinal);
        Assert.DoesNotContain("  rank1 ", output, StringComparison.Ordinal);
        Assert.Contains("  mf ", output, StringComparison.Ordinal);
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.Contains(document.RootElement.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("rank1 was left out", StringComparison.Ordinal));
        Assert.Equal(1, CliRunner.Run("evaluate", path, "--known", "1", "--methods", "rank1,mf").ExitCode);
    }

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
        var perSeed = File.ReadLines(json + ".csv").Skip(1).Select(l => l.Split(',')).Where(f => f[6] == "False" && f[5].Length > 0).GroupBy(f => f[1]).Select(g => g.Count()).ToArray();
        Assert.True(perSeed.Distinct().Count() > 1, string.Join(", ", perSeed));
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"scores on {perSeed.Min():N0}-{perSeed.Max():N0} (mean "), output.Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_PredictionsFile_IsWrittenInTheFormatOfItsExtension_AndAnUnknownOneIsAUsageError()
    {
        // Given: the same predictions asked for as CSV, TSV, JSON and Parquet (.parquet got CSV bytes, .tsv commas).
        var dir = RepoPaths.NewTempFolder();
        foreach (var extension in new[] { ".csv", ".tsv", ".json", ".parquet" })
        {
            var path = Path.Combine(dir, "p" + extension);
            var (code, _, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3", "--methods", "additive", "--seeds", "1", "--predictions", path);
            Assert.True(code == 0, error);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(extension == ".parquet", bytes.AsSpan(0, 4).SequenceEqual("PAR1"u8));
            Assert.Equal(extension == ".tsv", Encoding.UTF8.GetString(bytes).StartsWith("method\tseed\ttask\texample\tpredicted\tactual\trevealed\n", StringComparison.Ordinal));
        }

        // Then: every format holds the same rows (the Parquet file read back by the library's reader).
        using var parquet = Data.Parquet.ParquetReader.Open(Path.Combine(dir, "p.parquet"));
        Assert.Equal(["method", "seed", "task", "example", "predicted", "actual", "revealed"], parquet.Columns.Select(c => c.Name));
        Assert.Equal(File.ReadAllLines(Path.Combine(dir, "p.csv")).Length - 1, parquet.RowCount);
        Assert.Equal(File.ReadAllLines(Path.Combine(dir, "p.tsv")).Length - 1, parquet.RowCount);

        // And: the matrix has no ids (.npy: 0..N-1), so the task and example columns are integers, as the CSV's read in pandas.
        Assert.Equal(Data.Parquet.ParquetPhysicalType.Int64, parquet.Columns[2].PhysicalType);
        Assert.Equal(Data.Parquet.ParquetPhysicalType.Int64, parquet.Columns[3].PhysicalType);
        Assert.Matches("\"task\":2,\"example\":[0-9]+,", File.ReadAllText(Path.Combine(dir, "p.json")));

        // And: an extension no table format has is refused before anything runs, naming the ones there are.
        var (refused, _, message) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3", "--methods", "additive", "--seeds", "1", "--predictions", Path.Combine(dir, "p.txt"));
        Assert.Equal(2, refused);
        Assert.Contains("--predictions", message, StringComparison.Ordinal);
        Assert.Contains("name the file .csv, .tsv, .tab, .json, .parquet", message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "p.txt")));
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
        // Given: an external that lacks 50 cells of test task '3'; only those not revealed are scored, so only they are missing.
        var (path, _) = PartialOracle(50, dropTask: false);
        var z = MatrixFile.Read(s_matrix.Value);
        var split = EvaluationSplit.HoldOut(z, [2, 3, 4, 7]);
        var reveals = Protocol.Reveals(z, split, new EvaluationOptions { Seeds = 1 });
        var scored = Enumerable.Range(0, 4).Sum(t => z.Row(split.TestRows[t]).ToArray().Count(v => !float.IsNaN(v)) - reveals[0][t].Length);
        var missing = Enumerable.Range(0, 50).Count(j => !float.IsNaN(z[3, j]) && Array.IndexOf(reveals[0][1], j) < 0);

        // When
        var (code, _, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "additive", "--seeds", "1", "--external", $"lm={path}");

        // Then
        Assert.Equal(1, code);
        Assert.Contains($"{path}: has predictions for {scored - missing:N0} of the {scored:N0} cells to be scored (the observed cells of the 4 test tasks but the 30 revealed in each); {missing} are missing (e.g. task '3', example ", error, StringComparison.Ordinal);
        Assert.Contains("or pass --allow-partial to score every method on the cells every external covers", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ExternalMissingOneCell_SaysItIsMissing()
    {
        // "1 are missing" read wrongly; a cell that is revealed is not missing, so blank one that is not.
        var z = MatrixFile.Read(s_matrix.Value);
        var revealed = Protocol.Reveals(z, EvaluationSplit.HoldOut(z, [2, 3, 4, 7]), new EvaluationOptions { Seeds = 1 })[0][1];
        var blank = Enumerable.Range(0, z.ExampleCount).First(j => !float.IsNaN(z[3, j]) && Array.IndexOf(revealed, j) < 0);
        var values = z.Values.ToArray();
        values[(3 * z.ExampleCount) + blank] = float.NaN;
        var path = Path.Combine(RepoPaths.NewTempFolder(), "one.npy");
        MatrixFile.Write(ForgettingMatrix.Create(values, z.TaskCount, z.ExampleCount), path);

        var (code, _, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--methods", "additive", "--seeds", "1", "--external", $"lm={path}");

        Assert.Equal(1, code);
        Assert.Contains($"; 1 is missing (e.g. task '3', example '{blank}')", error, StringComparison.Ordinal);
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
        Assert.Contains($"--allow-partial: lm ({path}) covers {2 * (full - blanked):N0} of the {2 * full:N0} cells to be scored over the 2 draws ({2 * blanked} missing, e.g. task '3', example '0', draw 0); every method is scored only on the cells every external covers.", output, StringComparison.Ordinal);
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
        Assert.Equal(2 * 2 * 2 * 10, lines.Count(l => l.EndsWith(",True", StringComparison.Ordinal)));
        Assert.Equal(lines.Length - 1, lines.Count(l => l.EndsWith(",True", StringComparison.Ordinal) || l.EndsWith(",False", StringComparison.Ordinal)));
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

        // One family cannot both train and be tested: said, naming both options (it was "A row is listed twice, ...").
        var (same, _, sameError) = CliRunner.Run("evaluate", matrix, "--tasks", tasks, "--train-family", "tulu", "--test-family", "tulu", "--methods", "additive", "--seeds", "1");
        Assert.Equal(2, same);
        Assert.Contains("error: --train-family and --test-family are both 'tulu': a task cannot both train and be tested. Name two families, or drop --train-family to train on every other family.", sameError, StringComparison.Ordinal);

        // A task the metadata does not list has no family: it neither trains nor is tested, said on standard error and
        // in the JSON's warnings (it was only on standard error).
        var partial = Path.Combine(dir, "partial.csv");
        File.WriteAllLines(partial, File.ReadAllLines(tasks).Where((_, i) => i != 3));
        var json = Path.Combine(dir, "partial.json");
        var (partialCode, _, partialError) = CliRunner.Run("evaluate", matrix, "--tasks", partial, "--test-family", "tulu", "--methods", "additive", "--seeds", "1", "--json", json);
        Assert.True(partialCode == 0, partialError);
        Assert.Contains("warning: 23 of 24 task ids matched in", partialError, StringComparison.Ordinal);
        var warnings = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
        Assert.Contains(warnings, w => w.StartsWith("23 of 24 task ids matched in", StringComparison.Ordinal));

        // When the split then fails (the test family lost every task), what the join found is said with the error.
        var noTulu = Path.Combine(dir, "no-tulu.csv");
        File.WriteAllLines(noTulu, File.ReadAllLines(tasks).Where(l => !l.Contains("tulu", StringComparison.Ordinal)));
        var (failedCode, _, failedError) = CliRunner.Run("evaluate", matrix, "--tasks", noTulu, "--test-family", "tulu", "--methods", "additive", "--seeds", "1");
        Assert.Equal(2, failedCode);
        Assert.Contains("tulu", failedError, StringComparison.Ordinal);
        Assert.Contains("18 of 24 task ids matched in", failedError, StringComparison.Ordinal);
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
        // The fitted line leaves the choice to its own line: a chosen profile model had read "rank 5, 1 sweeps" beside
        // "auto chose profile rank 4".
        Assert.Matches(@"^fitted auto on \d+ tasks x \d+ examples in [0-9.]+ s; training R\^2 ", output);
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
    [InlineData(new[] { "--reveal-rng", "numpy", "--seed", "-1" }, 2, "--seed must be 0 or more with --reveal-rng numpy (it is -1)")]
    [InlineData(new[] { "--reveal-rng", "numpy", "--split-seed", "-1" }, 2, "--split-seed must be 0 or more with --reveal-rng numpy (it is -1)")]
    [InlineData(new[] { "--test-rows", "1", "--test-fraction", "0.2" }, 2, "Choose one split")]
    [InlineData(new[] { "--family-column", "kind" }, 2, "--family-column needs --tasks: it names the family column of that file, which is not given; pass --tasks FILE, or drop --family-column.")]
    [InlineData(new[] { "--tasks-columns", "id" }, 2, "--tasks-columns needs --tasks: it names the columns of that file, which is not given")]
    [InlineData(new[] { "--methods", "mff" }, 2, "Unknown method 'mff'; did you mean 'mf'? Methods: task-mean,")]
    [InlineData(new[] { "--methods", "logistic" }, 1, "needs a binary (0/1) matrix")]
    [InlineData(new[] { "--test-rows", "99" }, 2, "--test-rows: 99 is not a row index in 0..19")]
    [InlineData(new[] { "--test-rows", "x" }, 2, "--test-rows: 'x' is not a row index in 0..19")]
    [InlineData(new[] { "--test-rows", "1,1" }, 2, "--test-rows lists row 1 twice.")]
    [InlineData(new[] { "--test-tasks", "task-999" }, 2, "--test-tasks: task 'task-999' is not in the matrix")]
    [InlineData(new[] { "--test-tasks", "1,1" }, 2, "--test-tasks lists task '1' twice.")]
    [InlineData(new[] { "--external", "nofile" }, 2, "expected NAME=FILE")]
    [InlineData(new[] { "--tasks", "x.csv" }, 2, "--tasks needs --test-family (and --train-family, else every other family trains).")]
    [InlineData(new[] { "--test-family", "web" }, 2, "--test-family needs --tasks: the task metadata that gives each task's family.")]
    [InlineData(new[] { "--train-family", "web" }, 2, "--train-family needs --tasks: the task metadata that gives each task's family.")]
    [InlineData(new[] { "--test-rows", "1,2", "--split-seed", "3" }, 2, "--split-seed seeds the random draw of the test tasks (--test-fraction), but --test-rows names them, so the seed would be ignored: drop --split-seed")]
    [InlineData(new[] { "--test-tasks", "1", "--split-seed", "3" }, 2, "but --test-tasks names them")]
    [InlineData(new[] { "--top-fraction", "0" }, 2, "--top-fraction must be above 0 and at most 1 (it is 0)")]
    [InlineData(new[] { "--threads", "0" }, 2, "--threads must be -1 or at least 1.")]
    [InlineData(new[] { "--known", "5,5" }, 2, "--known lists 5 twice.")]
    [InlineData(new[] { "--known", ",10" }, 2, "--known ',10' has an empty item; separate the values by single commas, with none at either end (e.g. 10).")]
    [InlineData(new[] { "--known", "10," }, 2, "--known '10,' has an empty item")]
    [InlineData(new[] { "--test-rows", "0,,1" }, 2, "--test-rows '0,,1' has an empty item; separate the values by single commas, with none at either end (e.g. 0,1).")]
    [InlineData(new[] { "--methods", "mf,,additive" }, 2, "--methods 'mf,,additive' has an empty item")]
    [InlineData(new[] { "--methods", "mf", "--external", "mf=nofile.csv" }, 2, "--external: 'mf' is also the name of a method evaluated (--methods mf); give the external another name")]
    [InlineData(new[] { "--methods", "mf", "--external", "a=x.csv", "--external", "a=y.csv" }, 2, "--external names two externals 'a'; give each its own name.")]
    [InlineData(new[] { "--external", "lm=nofile-{draw}.csv", "--seeds", "2" }, 1, "nofile-0.csv: no such file. --external lm=nofile-{draw}.csv reads one file per draw ({draw} = 0..1), and this one is missing.")]
    [InlineData(new[] { "--external", "lm=nofile-{seed}.csv" }, 1, "nofile-{seed}.csv: no such file (--external lm=nofile-{seed}.csv). {seed} is not a placeholder: FILE may hold {draw}")]
    [InlineData(new[] { "--external", "lm=/" }, 1, "/: is a folder, not a file (--external lm=/); give the file of the predictions, e.g. lm=/lm.csv.")]
    public void Evaluate_BadArguments_FailWithAClearMessage(string[] extra, int exitCode, string expected)
    {
        var (code, _, error) = CliRunner.Run(["evaluate", s_matrix.Value, .. extra]);
        Assert.Equal(exitCode, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("?.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ActiveRevealsOverSeveralDraws_AreWarnedOfOnce()
    {
        var (code, output, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--reveal", "active", "--seeds", "2", "--known", "5", "--methods", "additive");

        Assert.True(code == 0, error);
        Assert.Contains("2 seeds", CliRunner.Unwrapped(output), StringComparison.Ordinal);
        Assert.Equal("warning: an active design chooses the same cells on every draw (active designs are one per split), so the 2 draws (--seeds 2) repeat the same reveals and the run takes 2 times as long for one draw's scores; give --seeds 1 (to vary the reveals, compare splits).", error.Trim());
    }

    // mf's predictions of each draw of a run, as one task,example,value file per draw named by pattern ({draw}).
    private static string OwnPredictionsPerDraw(string dir, string[] run, string pattern)
    {
        var predictions = Path.Combine(dir, "all.csv");
        var (code, _, error) = CliRunner.Run([.. run, "--methods", "mf", "--predictions", predictions]);
        Assert.True(code == 0, error);
        foreach (var draw in File.ReadLines(predictions).Skip(1).Select(l => l.Split(',')).GroupBy(f => f[1]))
        {
            File.WriteAllLines(Path.Combine(dir, pattern.Replace("{draw}", draw.Key, StringComparison.Ordinal)), ["task,example,value", .. draw.Select(f => $"{f[2]},{f[3]},{f[4]}")]);
        }

        return Path.Combine(dir, pattern);
    }

    [Fact]
    public void Evaluate_ExternalFoldIn_IsScoredOnEachDrawsOwnCells_AndOneFileForAllDrawsIsWarnedOf()
    {
        // Given: a fold-in of one's own (mf's predictions) written one file per draw, as the seed column numbers the draws.
        var dir = RepoPaths.NewTempFolder();
        string[] run = ["evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--seeds", "3", "--known", "20"];
        var pattern = OwnPredictionsPerDraw(dir, run, "mine-{draw}.csv");

        // When: it is given with {draw}, and draw 0's file alone (scored on every draw, as before).
        var (code, output, error) = CliRunner.Run([.. run, "--methods", "mf", "--external", $"mine={pattern}"]);
        var json = Path.Combine(dir, "alike.json");
        var (alike, alikeOutput, alikeError) = CliRunner.Run([.. run, "--methods", "mf", "--external", $"mine={Path.Combine(dir, "mine-0.csv")}", "--json", json]);

        // Then: per draw the fold-in equals mf; draw 0's file differs from mf on the other draws, and the run says why.
        Assert.True(code == 0, error);
        Assert.Contains("  vs mf: 0.0000 [0.0000, 0.0000]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", error, StringComparison.Ordinal);
        Assert.True(alike == 0, alikeError);
        Assert.DoesNotContain("  vs mf: 0.0000 [0.0000, 0.0000]", alikeOutput, StringComparison.Ordinal);
        var warning = $"--external mine={Path.Combine(dir, "mine-0.csv")}: the same predictions are scored on every one of the 3 reveal draws.";
        Assert.Contains("warning: " + warning, alikeError, StringComparison.Ordinal);
        Assert.Contains("write one file per draw with {draw} in its name", alikeError, StringComparison.Ordinal);
        Assert.StartsWith(warning, (string)JsonNode.Parse(File.ReadAllText(json))!["warnings"]!.AsArray().Single()!, StringComparison.Ordinal);
    }

    // QA: '--external mine=cl/m-{draw}.csv --predictions cl/m-2.csv' exited 0 and overwrote draw 2's file with the predictions.
    [Fact]
    public void Evaluate_AnOutputThatIsAFileOfAnExternalsPattern_IsRefusedAndTheFileKept()
    {
        // Given: one file per draw.
        var dir = RepoPaths.NewTempFolder();
        string[] run = ["evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--seeds", "3", "--known", "20"];
        var pattern = OwnPredictionsPerDraw(dir, run, "m-{draw}.csv");
        var draw2 = Path.Combine(dir, "m-2.csv");
        var before = File.ReadAllText(draw2);

        // When: the predictions, or the results, are written to a draw's file.
        var (code, output, error) = CliRunner.Run([.. run, "--methods", "additive", "--external", $"mine={pattern}", "--predictions", draw2]);
        var (jsonCode, _, jsonError) = CliRunner.Run([.. run, "--methods", "additive", "--external", $"mine={pattern}", "--json", Path.Combine(dir, "m-0.csv")]);

        // Then: a usage error naming the option, the external and the draw, before anything runs; the file is as it was.
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains($"error: --predictions {draw2} is also the file --external mine={pattern} reads for draw 2, which writing it would destroy; write --predictions to another file.", error, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(draw2));
        Assert.Equal(2, jsonCode);
        Assert.Contains($"error: --json {Path.Combine(dir, "m-0.csv")} is also the file --external mine={pattern} reads for draw 0", jsonError, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TheCommandLineAndTheLibrary_GiveTheSameScoresAndSettings()
    {
        // Given: one request through the library and the same flags through the command line, with an external per draw.
        var dir = RepoPaths.NewTempFolder();
        string[] run = ["evaluate", s_matrix.Value, "--test-fraction", "0.25", "--split-seed", "2", "--seeds", "2", "--known", "15"];
        var pattern = OwnPredictionsPerDraw(dir, run, "own-{draw}.csv");
        var json = Path.Combine(dir, "cli.json");
        var (code, _, error) = CliRunner.Run([.. run, "--methods", "additive,knn", "--external", $"own={pattern}", "--json", json]);
        var report = Application.Evaluating.Run(new Application.EvaluateRequest
        {
            Matrix = MatrixFile.Read(s_matrix.Value),
            Source = s_matrix.Value,
            SplitBy = new Application.SplitRequest { TestFraction = 0.25, SplitSeed = 2 },
            Methods = ["additive", "knn"],
            Options = new EvaluationOptions { Seeds = 2, Known = 15 },
            ExternalFiles = [new Application.ExternalFile("own", pattern)],
        });

        // Then
        Assert.True(code == 0, error);
        var cli = JsonNode.Parse(File.ReadAllText(json))!;
        var library = report.Results.Single();
        Assert.Equal(library.Methods.Select(m => m.Rmse.Mean), cli["methods"]!.AsArray().Select(m => (double)m!["rmse"]!));
        Assert.Equal(library.Externals.Single().Result.Rmse.Mean, (double)cli["external"]!.AsArray().Single()!["rmse"]!);
        Assert.Equal(report.Settings.TestTasks, cli["settings"]!["test_tasks"]!.AsArray().Select(t => (string)t!));
    }

    [Fact]
    public void Evaluate_ExternalLeavingItsRevealedCellsEmpty_IsScored()
    {
        // Given: per draw, a prediction for every observed test cell but the revealed ones (which are never scored).
        var dir = RepoPaths.NewTempFolder();
        var predictions = Path.Combine(dir, "all.csv");
        string[] run = ["evaluate", s_matrix.Value, "--test-rows", "2,3,4,7", "--seeds", "2", "--known", "30"];
        Assert.Equal(0, CliRunner.Run([.. run, "--methods", "mf", "--predictions", predictions]).ExitCode);
        foreach (var draw in File.ReadLines(predictions).Skip(1).Select(l => l.Split(',')).GroupBy(f => f[1]))
        {
            File.WriteAllLines(Path.Combine(dir, $"gaps-{draw.Key}.csv"), ["task,example,value", .. draw.Select(f => $"{f[2]},{f[3]},{(f[6] == "True" ? "" : f[4])}")]);
        }

        // When
        var (code, output, error) = CliRunner.Run([.. run, "--methods", "mf", "--external", $"lm={Path.Combine(dir, "gaps-{draw}.csv")}"]);

        // Then: it was refused ("120 are missing"); every method scores the same cells as without it.
        Assert.True(code == 0, error);
        Assert.Contains("  vs mf: 0.0000 [0.0000, 0.0000]", output, StringComparison.Ordinal);
        Assert.Contains("scores on 2,280 unrevealed cells per seed, the same for every method", CliRunner.Unwrapped(output), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_Json_RecordsTheSettingsThatReproduceTheRun()
    {
        // Given: a seeded random split, two k, a self-tuning method and an external.
        var dir = RepoPaths.NewTempFolder();
        var json = Path.Combine(dir, "s.json");
        var curveJson = Path.Combine(dir, "c.json");
        string[] run = ["evaluate", s_matrix.Value, "--test-fraction", "0.25", "--split-seed", "3", "--seeds", "2", "--seed", "7", "--methods", "mf,knn,ensemble", "--top-fraction", "0.02",
            "--external", $"oracle={s_matrix.Value}"];

        // When
        var (code, _, error) = CliRunner.Run([.. run, "--known", "20", "--json", json]);
        var (curve, _, curveError) = CliRunner.Run([.. run, "--known", "0,20", "--json", curveJson]);

        // Then: the result carries everything a reader needs to run it again.
        Assert.True(code == 0, error);
        Assert.True(curve == 0, curveError);
        var settings = JsonNode.Parse(File.ReadAllText(json))!["settings"]!;
        Assert.Equal(s_matrix.Value, (string)settings["input"]!);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(s_matrix.Value))), (string)settings["input_sha256"]!);
        Assert.StartsWith("0.", (string)settings["engine_version"]!, StringComparison.Ordinal);
        // The file reads as text too: the version's build metadata and the apostrophes of messages are not \uXXXX escapes.
        var text = File.ReadAllText(json);
        Assert.Contains($"\"engine_version\": \"{(string)settings["engine_version"]!}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", text, StringComparison.Ordinal);
        Assert.Equal("""{"by":"test_fraction","test_fraction":0.25,"split_seed":3,"split_rng":"own"}""", settings["split"]!.ToJsonString());
        Assert.Equal(5, settings["test_tasks"]!.AsArray().Count);
        Assert.Equal(15, settings["train_tasks"]!.AsArray().Count);
        Assert.Equal("[20]", settings["known"]!.ToJsonString());
        Assert.Equal((2, 7, "random", "own", 0.02, 12), ((int)settings["seeds"]!, (int)settings["seed"]!, (string)settings["reveal"]!, (string)settings["reveal_rng"]!, (double)settings["top_fraction"]!, (int)settings["top_k"]!));
        var methods = settings["methods"]!.AsArray();
        Assert.Equal("""{"name":"mf","rank":8,"lambda":0.75,"seed":42}""", methods[0]!.ToJsonString());
        Assert.Equal("""{"name":"knn","neighbours":40,"bias_lambda":1.0}""", methods[1]!.ToJsonString());
        Assert.Contains("cross-validated RMSE", (string)methods[2]!["fitted"]!.AsArray().Single()!["choice"]!, StringComparison.Ordinal);
        var external = settings["external"]!.AsArray().Single()!;
        Assert.Equal(("oracle", s_matrix.Value, false, "complete"), ((string)external["name"]!, (string)external["file"]!, (bool)external["per_draw"]!, (string)external["coverage"]!));
        Assert.Equal((false, false), ((bool)settings["allow_partial"]!, (bool)settings["partial_applied"]!));
        Assert.Equal("empirical", (string)settings["prior"]!);

        // The curve's file has the same settings beside its points, with both k.
        var curveSettings = JsonNode.Parse(File.ReadAllText(curveJson))!["settings"]!;
        Assert.Equal("[0,20]", curveSettings["known"]!.ToJsonString());
        Assert.Equal(2, JsonNode.Parse(File.ReadAllText(curveJson))!["curve"]!.AsArray().Count);
        Assert.Equal([0, 20], curveSettings["methods"]!.AsArray()[2]!["fitted"]!.AsArray().Select(f => (int)f!["known"]!));
    }

    [Fact]
    public void Evaluate_RidgePrior_IsSaidInTheHeaderAndTheSettings_AndAnUnknownOneIsAUsageError()
    {
        var json = Path.Combine(RepoPaths.NewTempFolder(), "r.json");

        var (code, output, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "0,1", "--seeds", "1", "--methods", "mf", "--prior", "ridge", "--json", json);
        var (bad, _, badError) = CliRunner.Run("evaluate", s_matrix.Value, "--prior", "flat");

        Assert.True(code == 0, error);
        Assert.Contains("30 random cells revealed, folded in with the ridge prior; 1 seed", output, StringComparison.Ordinal);
        Assert.Equal("ridge", (string)JsonNode.Parse(File.ReadAllText(json))!["settings"]!["prior"]!);
        Assert.Equal(2, bad);
        Assert.Contains("'flat'", badError, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ResultsAreIdenticalForAnyThreadCount()
    {
        var dir = RepoPaths.NewTempFolder();
        JsonObject Run(string threads)
        {
            var json = Path.Combine(dir, threads + ".json");
            var (code, _, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "1,5,9", "--methods", "mf,knn,auto", "--seeds", "2", "--known", "10", "--reveal", "active", "--threads", threads, "--json", json);
            Assert.True(code == 0, error);
            var result = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
            foreach (var m in result["methods"]!.AsArray())
            {
                m!.AsObject().Remove("seconds");
            }

            return result;
        }

        Assert.Equal(Run("1").ToJsonString(), Run("2").ToJsonString());
    }

    [Fact]
    public void Evaluate_NumpyDrawsWithReplacement_SayHowManyDistinctCellsWereRevealed()
    {
        // 900 numpy draws of 600 columns repeat many: about 470 distinct cells are revealed, not 900.
        var json = Path.Combine(RepoPaths.NewTempFolder(), "n.json");
        var (code, output, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "1,5", "--methods", "additive", "--seeds", "2", "--known", "500", "--reveal-rng", "numpy", "--json", json);

        Assert.True(code == 0, error);
        var revealed = (double)JsonNode.Parse(File.ReadAllText(json))!["revealed_per_task"]!;
        Assert.InRange(revealed, 300, 400);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"500 numpy draws with replacement ({revealed:0.#} distinct observed cells revealed per test task on average)"),
            CliRunner.Unwrapped(output), StringComparison.Ordinal);
    }

    // QA: a whole revealed_per_task was written 80, another run's 79.67: json and pandas read one as an integer, the other a float.
    [Fact]
    public void Evaluate_Json_WritesAWholeRevealedPerTaskAsAFloat()
    {
        var json = Path.Combine(RepoPaths.NewTempFolder(), "w.json");
        var (code, _, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "1,5", "--methods", "additive", "--seeds", "1", "--known", "10", "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains("\"revealed_per_task\": 10.0,", File.ReadAllText(json), StringComparison.Ordinal);
    }

    // Test tasks with no forgotten cell had recall and F1 read 0 (scikit-learn's zero_division convention) without a word, as
    // if every method found nothing; evaluate now warns once, naming the metrics, the reason and the fix. Test tasks that forget
    // some cells get no such warning.
    [Fact]
    public void Evaluate_BinaryTestTasksWithNoForgottenCell_WarnsOnceThatRecallAndF1ReadZero_AndWhatToDo()
    {
        var dir = RepoPaths.NewTempFolder();
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 14, Examples = 300, Binary = true, Seed = 3 }).Matrix;
        var values = binary.Values.ToArray();
        values.AsSpan(11 * 300, 3 * 300).Clear();
        var matrix = Path.Combine(dir, "z.npz");
        MatrixFile.Write(ForgettingMatrix.Create(values, 14, 300), matrix);
        var json = Path.Combine(dir, "r.json");

        var (code, output, error) = CliRunner.Run("evaluate", matrix, "--test-rows", "11,12,13", "--methods", "additive,logistic-additive", "--seeds", "2", "--json", json);
        var (otherCode, _, otherError) = CliRunner.Run("evaluate", matrix, "--test-rows", "1,4,9", "--methods", "additive", "--seeds", "1");

        Assert.True(code == 0, error);
        var warning = Assert.Single(error.Split('\n'), l => l.Contains("recall and F1", StringComparison.Ordinal));
        Assert.Equal($"warning: no test cell of {matrix} is forgotten: the 900 observed cells of its 3 test tasks are all 0, so recall and F1 read 0 for every method at any threshold (here --threshold 0.5): with no forgotten cell to find, recall is 0 / 0, read as 0 (scikit-learn's zero_division convention), F1 follows it, and ROC-AUC has no value. Hold out tasks that forget some examples (another --split-seed or --test-tasks), or compare the methods on precision, RMSE and MAE.", warning.TrimEnd('\r'));
        Assert.Contains("F1", output, StringComparison.Ordinal);
        Assert.Contains(JsonNode.Parse(File.ReadAllText(json))!["warnings"]!.AsArray(), w => ((string)w!).Contains("recall and F1 read 0", StringComparison.Ordinal));
        Assert.True(otherCode == 0, otherError);
        Assert.DoesNotContain("recall and F1", otherError, StringComparison.Ordinal);
    }

    // QA: the warning checked the observed test cells, not the cells scored: a test task whose only forgotten cell a draw
    // reveals scores 0s alone, and recall and F1 printed 0 without a word. Now each draw's scored cells are checked.
    [Fact]
    public void Evaluate_BinaryDrawsThatRevealEveryForgottenCell_WarnHowManyDrawsScoreNone()
    {
        var dir = RepoPaths.NewTempFolder();
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 14, Examples = 300, Binary = true, Seed = 3 }).Matrix;
        var values = binary.Values.ToArray();
        // Test task 13 measures two cells: example 0 forgotten, example 1 not.
        values.AsSpan(13 * 300, 300).Fill(float.NaN);
        values[13 * 300] = 1;
        values[(13 * 300) + 1] = 0;
        var matrix = Path.Combine(dir, "z.npz");
        MatrixFile.Write(ForgettingMatrix.Create(values, 14, 300), matrix);

        var (code, _, error) = CliRunner.Run("evaluate", matrix, "--test-rows", "13", "--methods", "additive", "--seeds", "8", "--known", "0,1");

        Assert.True(code == 0, error);
        var warning = Assert.Single(error.Split('\n'), l => l.Contains("recall and F1", StringComparison.Ordinal)).TrimEnd('\r');
        var match = System.Text.RegularExpressions.Regex.Match(warning, @"^warning: (\d) of the 8 draws at --known 1 score no forgotten cell: the test tasks' forgotten cells of .* are all revealed there, so every scored cell is 0 and recall and F1 read 0 for every method in th(at|ose) draws?: .* Reveal fewer cells, hold out tasks that forget more examples \(another --split-seed or --test-tasks\), or compare the methods on precision, RMSE and MAE\.$");
        Assert.True(match.Success, warning);
        Assert.InRange(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 7);

        // At --known 0 every forgotten cell is scored: no warning.
        var (zeroCode, _, zeroError) = CliRunner.Run("evaluate", matrix, "--test-rows", "13", "--methods", "additive", "--seeds", "8", "--known", "0");
        Assert.True(zeroCode == 0, zeroError);
        Assert.DoesNotContain("recall and F1", zeroError, StringComparison.Ordinal);
    }

    // evaluate --threshold is the classification threshold on a binary matrix's predictions (not predict's forgetting
    // threshold): 0 scores logits, which the default 0.5 refuses naming it; a matrix that is not binary refuses it.
    [Fact]
    public void Evaluate_Threshold_ScoresLogitsAtZero_IsNamedWhenLogitsAreRefused_AndIsRefusedOnAContinuousMatrix()
    {
        var dir = RepoPaths.NewTempFolder();
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 14, Examples = 300, Binary = true, Seed = 3 }).Matrix;
        var matrix = Path.Combine(dir, "z.npz");
        var logits = Path.Combine(dir, "logits.npz");
        MatrixFile.Write(binary, matrix);
        MatrixFile.Write(ForgettingMatrix.Create([.. binary.Values.ToArray().Select(v => (4 * v) - 2)], binary.TaskCount, binary.ExampleCount, binary.TaskIds, binary.ExampleIds), logits);
        string[] args = ["evaluate", matrix, "--test-rows", "1,4,9", "--methods", "logistic-additive", "--seeds", "1", "--external", $"lm={logits}"];

        var (refusedCode, _, refused) = CliRunner.Run(args);
        Assert.Equal(1, refusedCode);
        Assert.Contains("--threshold is 0.5, a probability", CliRunner.Unwrapped(refused), StringComparison.Ordinal);
        Assert.Contains("for logits pass --threshold 0", CliRunner.Unwrapped(refused), StringComparison.Ordinal);

        var json = Path.Combine(dir, "r.json");
        var (code, _, error) = CliRunner.Run([.. args, "--threshold", "0", "--json", json]);
        Assert.True(code == 0, error);
        var result = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal(0, (double)result["settings"]!["threshold"]!);
        Assert.Equal(1.0, (double)result["external"]!.AsArray().Single()!["f1"]!, 12); // the logits are the truth: 2 or -2

        var (continuousCode, _, continuous) = CliRunner.Run("evaluate", s_matrix.Value, "--methods", "additive", "--seeds", "1", "--threshold", "0");
        Assert.Equal(CliApp.UsageError, continuousCode); // a setting that does not apply, as --top-fraction out of range
        Assert.Contains("--threshold is the classification threshold on the predictions of a binary (0/1) matrix", CliRunner.Unwrapped(continuous), StringComparison.Ordinal);

        var (_, help, _) = CliRunner.Run("evaluate", "--help");
        Assert.Contains("Not predict's forgetting threshold", CliRunner.Unwrapped(help), StringComparison.Ordinal);
    }

    // --binary on a continuous matrix cut the truth at 0.5 without a word; refused before anything else is checked (with the
    // binary default methods it had named 'logistic-additive', a method the user never asked for).
    [Fact]
    public void Evaluate_BinaryOnAContinuousMatrix_IsRefusedFirst_WithTheFix()
    {
        foreach (var extra in new[] { Array.Empty<string>(), ["--methods", "mf"] })
        {
            var (code, _, error) = CliRunner.Run(["evaluate", RepoPaths.Data("charlm-b", "z.npy"), "--binary", "--seeds", "1", .. extra]);
            // The option contradicts the matrix: a usage error, as --threshold on it is.
            Assert.Equal(CliApp.UsageError, code);
            Assert.Contains("Binary scoring (F1, precision, recall, ROC-AUC) needs a 0/1 matrix", error, StringComparison.Ordinal);
            Assert.Contains("threshold it first", error, StringComparison.Ordinal);
            Assert.DoesNotContain("logistic", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Evaluate_PrecisionAtK_OfAMethodThatRanksNothing_IsUndefined()
    {
        // task-mean predicts one value per row: its P@K is undefined ('-', null), as its Spearman, not 0.000.
        var json = Path.Combine(RepoPaths.NewTempFolder(), "t.json");
        var (code, output, error) = CliRunner.Run("evaluate", s_matrix.Value, "--test-rows", "1,5", "--methods", "task-mean,additive", "--seeds", "1", "--json", json);

        Assert.True(code == 0, error);
        Assert.Matches(@"
\s+task-mean\s+\S+\s+\S+\s+\S+\s+-\s+-\s", output);
        var taskMean = JsonNode.Parse(File.ReadAllText(json))!["methods"]!.AsArray()[0]!;
        Assert.Null(taskMean["precision_at_k"]);
        Assert.Null(taskMean["spearman"]);
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(json))!["methods"]!.AsArray()[1]!["precision_at_k"]);
    }

    [Fact]
    public void Evaluate_DegenerateSplits_AreSaid()
    {
        // Given: five tasks, the fourth never measured.
        var z = MatrixFile.Read(s_matrix.Value).SelectTasks([0, 1, 2, 3, 4]);
        var values = z.Values.ToArray();
        values.AsSpan(3 * z.ExampleCount, z.ExampleCount).Fill(float.NaN);
        var path = Path.Combine(RepoPaths.NewTempFolder(), "five.npy");
        MatrixFile.Write(ForgettingMatrix.Create(values, 5, z.ExampleCount), path);
        string[] run = ["evaluate", path, "--methods", "additive,knn", "--seeds", "1"];

        // When
        var (most, _, mostError) = CliRunner.Run([.. run, "--test-fraction", "0.9"]);
        var (fewest, _, fewestError) = CliRunner.Run([.. run, "--test-fraction", "0.05"]);
        var (empty, _, emptyError) = CliRunner.Run([.. run, "--test-rows", "3,4"]);

        // Then
        Assert.Equal((0, 0, 0), (most, fewest, empty));
        Assert.Contains("warning: only 1 task trains (task '", mostError, StringComparison.Ordinal);
        Assert.Contains("every method then learns from a single task, which cannot be generalised from", mostError, StringComparison.Ordinal);
        Assert.Contains("warning: --test-fraction 0.05 of 5 tasks is 0.25, which rounds to no test task; 1 task is held out instead.", fewestError, StringComparison.Ordinal);
        Assert.Contains("warning: test task '3' has no observed cell: it is counted among the 2 test tasks but contributes nothing to any score", emptyError, StringComparison.Ordinal);
    }
}

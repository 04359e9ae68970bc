using System.Globalization;
using System.Text.Json;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

public class CommandTests
{
    private static string Charlm => RepoPaths.Data("charlm-b", "z.npy");

    [Fact]
    public void Analyze_CharlmB_MatchesNumpyGolden()
    {
        var json = Path.Combine(RepoPaths.NewTempFolder(), "a.json");
        var (code, output, error) = CliRunner.Run("analyze", Charlm, "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("47 tasks x 2,400 examples", output, StringComparison.Ordinal);
        Assert.Contains("SVD rank 10", output, StringComparison.Ordinal);

        using var golden = JsonDocument.Parse(File.ReadAllText(RepoPaths.Data("golden", "charlm-b-analysis.json")));
        using var ours = JsonDocument.Parse(File.ReadAllText(json));
        var g = golden.RootElement;
        var r2 = ours.RootElement.GetProperty("r2");
        Assert.Equal(g.GetProperty("task_only").GetDouble(), r2.GetProperty("task_only").GetDouble(), 9);
        Assert.Equal(g.GetProperty("example_only").GetDouble(), r2.GetProperty("example_only").GetDouble(), 9);
        var expected = g.GetProperty("svd").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var actual = r2.GetProperty("svd").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Tolerance.AssertClose(expected, actual, 1e-9);
        var singular = g.GetProperty("singular_values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Tolerance.AssertClose(singular, ours.RootElement.GetProperty("singular_values").EnumerateArray().Take(10).Select(e => e.GetDouble()).ToArray(), 1e-8);
        Assert.Equal(47, ours.RootElement.GetProperty("rows").GetInt32());

        // QA (a polars user): a complete matrix's missing fraction was written 0, an integer to polars and pandas, so the
        // summaries of two runs (0 and 0.2) no longer concatenated; floats are written as floats, counts as integers.
        var text = File.ReadAllText(json);
        Assert.Contains("\"missing_fraction\": 0.0,", text, StringComparison.Ordinal);
        Assert.Contains("\"rows\": 47,", text, StringComparison.Ordinal);
    }

    // QA (a data team at real size): analyze on 85 x 141,816 cells with 2% missing printed nothing for 6 minutes.
    [Fact]
    public void Analyze_LargeMatrixWithMissingCells_SaysFirstThatItTakesMinutes()
    {
        var values = new float[10 * 100_001];
        var complete = ForgetPredict.Core.ForgettingMatrix.Create(values, 10, 100_001);
        values[17] = float.NaN;
        var gappy = ForgetPredict.Core.ForgettingMatrix.Create(values, 10, 100_001);
        var small = ForgetPredict.Core.ForgettingMatrix.Create([1f, float.NaN, 2f, 3f], 2, 2);

        var note = Commands.AnalyzeCommand.SlowCurveNote(gappy, 10, "z.npy");

        Assert.Equal("note: z.npy: 1 cell is missing, so the SVD rows are best rank-r fits of the 1,000,009 observed cells, one rank at a time up to 10: this can take minutes (85 x 141,816 cells with 2% missing: about 3.5 minutes of CPU on 2 cores). --max-rank R computes fewer ranks.", note);
        Assert.Null(Commands.AnalyzeCommand.SlowCurveNote(complete, 10, "z.npy"));
        Assert.Null(Commands.AnalyzeCommand.SlowCurveNote(small, 10, "z.npy"));
    }

    [Theory]
    [InlineData("--rank", "3", CliApp.UsageError, "error: --rank does not apply to 'additive' (only mf and logistic have a rank).")]
    [InlineData("--known", "10", CliApp.UsageError, "error: --known does not apply to 'additive' (only auto and ensemble simulate the cells you will measure).")]
    [InlineData("--array", "z", CliApp.UsageError, "error: {0}: --array (array 'z') applies only to .npz archives, but this is read as npy; drop --array or pass --format npz.")]
    public void LibraryMessages_NameTheFlags(string flag, string value, int exitCode, string expected)
    {
        // The library's messages name its options (ModelSettings.Rank, MatrixReadOptions.Array); the CLI words them as its flags.
        // A setting the library refuses is a usage error; what the reader finds in the file (an .npy, not an archive) is data.
        var (code, _, error) = CliRunner.Run("fit", Charlm, "--method", "additive", flag, value, "--out", Path.Combine(RepoPaths.NewTempFolder(), "m.fpm"));

        Assert.Equal(exitCode, code);
        Assert.Equal(string.Format(CultureInfo.InvariantCulture, expected, Charlm), error.Trim());
    }

    // Out-of-range settings named the options record's properties ("Rank must be in 1..1024."), not the flags.
    [Theory]
    [InlineData("--rank", "2000", "error: --rank must be between 1 and 1024 (got 2000).")]
    [InlineData("--lambda", "-1", "error: --lambda must be a finite number >= 0 (got -1).")]
    [InlineData("--lambda", "1e308", "error: --lambda must be a finite number >= 0 (got 1E+308), at most 1E+100: far beyond any data's scale, a larger penalty only overflows the fit.")]
    public void OutOfRangeSettings_NameTheFlags(string flag, string value, string expected)
    {
        var (code, _, error) = CliRunner.Run("fit", Charlm, "--method", "mf", flag, value, "--out", Path.Combine(RepoPaths.NewTempFolder(), "m.fpm"));

        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal(expected, error.Trim());
    }

    // The top list's bound is the library's (RowScanOptions.MaxTop), checked by the parser before any file is read.
    [Fact]
    public void Predict_ATopListBeyondTheLibrarysBound_IsAUsageError()
    {
        var (code, _, error) = CliRunner.Run("predict", "--model", "absent.fpm", "--top", "100001");

        Assert.Equal(2, code);
        Assert.StartsWith("error: --top must be at most 100,000 (got 100,001).", error.Trim(), StringComparison.Ordinal);
    }

    // Rank 1,000 on a 20 x 300 matrix was accepted and took two minutes: no more than min(M, N) factors can be found.
    [Fact]
    public void Fit_WithARankAboveTheMatrixsSmallerSide_IsRefusedNamingTheLargestRank()
    {
        var folder = RepoPaths.NewTempFolder();
        var (code, _, error) = CliRunner.Run("fit", Charlm, "--method", "mf", "--rank", "48", "--out", Path.Combine(folder, "m.fpm"));

        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal("error: --rank 48 is more than the 47 factors z.npy can have (47 x 2,400: at most the smaller side); give 47 or less, or leave it out to use the method's own.", error.Trim());
        Assert.Empty(Directory.GetFiles(folder));
        Assert.Equal(0, CliRunner.Run("fit", Charlm, "--method", "mf", "--rank", "47", "--out", Path.Combine(folder, "m.fpm")).ExitCode);
    }

    // '1099511627776' was "not a whole number"; it is one, too large for the option.
    [Theory]
    [InlineData("abc", "error: --seed takes a whole number (got 'abc').")]
    [InlineData("1.5", "error: --seed takes a whole number (got '1.5').")]
    [InlineData("1099511627776", "error: --seed takes a whole number from -2,147,483,648 to 2,147,483,647 (got '1099511627776').")]
    public void WholeNumberOptions_SayWhatIsWrongWithTheValue(string value, string expected)
    {
        var (code, _, error) = CliRunner.Run("fit", Charlm, "--method", "mf", "--seed", value, "--out", Path.Combine(RepoPaths.NewTempFolder(), "m.fpm"));

        Assert.Equal(2, code);
        Assert.Equal(expected, error.Split('\n')[0].Trim());
    }

    [Fact]
    public void Predict_WithAFileThatIsNotAModel_SaysHowToMakeOne()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "x.fpm");
        File.WriteAllText(path, "not a model");

        var (code, _, error) = CliRunner.Run("predict", "--model", path);

        Assert.Equal(1, code);
        Assert.EndsWith("Create one with 'forgetpredict fit ... --out MODEL'.", error.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void FitThenPredict_WritesEveryExampleWithTheLibraryFoldIn()
    {
        // Given: a synthetic matrix fitted with mf, and a new task's 20 measured cells.
        var dir = RepoPaths.NewTempFolder();
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 21, Examples = 400, Seed = 3 });
        var train = data.Matrix.SelectTasks(Enumerable.Range(0, 20).ToArray());
        var matrixPath = Path.Combine(dir, "train.npy");
        using (var s = File.Create(matrixPath))
        {
            NpyFormat.Write(train, s);
        }

        var modelPath = Path.Combine(dir, "m.fpm");
        var (fitCode, fitOut, fitErr) = CliRunner.Run("fit", matrixPath, "--method", "mf", "--rank", "3", "--out", modelPath);
        Assert.True(fitCode == 0, fitErr);
        Assert.Contains("fitted mf on 20 tasks x 400 examples", fitOut, StringComparison.Ordinal);

        var observedPath = Path.Combine(dir, "obs.csv");
        var known = Enumerable.Range(0, 20).Select(t => t * 17).ToArray();
        File.WriteAllLines(observedPath, ["example,value", .. known.Select(j => string.Create(CultureInfo.InvariantCulture, $"{j},{(double)data.Matrix[20, j]:R}"))]);

        // When
        var predPath = Path.Combine(dir, "pred.csv");
        var (code, output, error) = CliRunner.Run("predict", "--model", modelPath, "--observed", observedPath, "--out", predPath);

        // Then: one line per example in order, equal to the library's fold-in, the measured cells marked with their values.
        Assert.True(code == 0, error);
        Assert.Contains("20 measured cells", output, StringComparison.Ordinal);
        var lines = File.ReadAllLines(predPath);
        Assert.Equal("example,predicted,std,probability,rank,measured,measured_value", lines[0]);
        Assert.Equal(401, lines.Length);
        var model = ModelFile.Load(modelPath).Model;
        var expected = model.FoldIn(known, known.Select(j => (double)data.Matrix[20, j]).ToArray()).PredictRow();
        for (var j = 0; j < 400; j++)
        {
            var fields = lines[j + 1].Split(',');
            Assert.Equal(j.ToString(CultureInfo.InvariantCulture), fields[0]);
            Assert.Equal(expected[j], double.Parse(fields[1], CultureInfo.InvariantCulture));
            Assert.True(double.Parse(fields[2], CultureInfo.InvariantCulture) > 0);
            var measured = Array.IndexOf(known, j) >= 0;
            Assert.Equal(measured ? "True" : "False", fields[5]);
            Assert.Equal(measured ? ((double)data.Matrix[20, j]).ToString("R", CultureInfo.InvariantCulture) : "", fields[6]);
        }
    }

    [Fact]
    public void Predict_WithoutObservedCells_IsLabelledTaskAgnostic()
    {
        var dir = RepoPaths.NewTempFolder();
        var modelPath = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", Charlm, "--method", "additive", "--out", modelPath).ExitCode);
        var (code, output, _) = CliRunner.Run("predict", "--model", modelPath, "--out", Path.Combine(dir, "p.csv"));
        Assert.Equal(0, code);
        Assert.Contains("task-agnostic", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_UnknownExample_FailsWithLineAndLeavesNoOutput()
    {
        var dir = RepoPaths.NewTempFolder();
        var modelPath = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", Charlm, "--method", "additive", "--out", modelPath).ExitCode);
        var observed = Path.Combine(dir, "obs.csv");
        File.WriteAllText(observed, "example,value\n3,0.1\nchunk-x,0.2\n");
        var predPath = Path.Combine(dir, "p.csv");
        var (code, _, error) = CliRunner.Run("predict", "--model", modelPath, "--observed", observed, "--out", predPath);
        Assert.Equal(1, code);
        Assert.Contains($"{observed}:3: column 'example': example 'chunk-x' is not one of the model's 2400 example ids; check the ids", error, StringComparison.Ordinal);
        Assert.False(File.Exists(predPath));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Theory]
    [InlineData("example,value\n1,abc\n", ":2: column 'value': value 'abc' is not a number (use '.' as the decimal point)")]
    [InlineData("example,value\n1,nan\n", ":2: column 'value': value 'nan' is not finite; give the measured forgetting, or drop the row if the example was not measured.")]
    [InlineData("example,value\n1,-inf\n", ":2: column 'value': value '-inf' is not finite; give the measured forgetting, or drop the row if the example was not measured.")]
    [InlineData("example,value\n1,0.1\n1,0.2\n", "measured twice, on lines 2 and 3")]
    [InlineData("ex,val\n1,0.1\n", "the table needs an example column 'example' and a value column 'value' (found: 'ex', 'val'). Rename them, or name them with --observed-columns EXAMPLE,VALUE.")]
    [InlineData("example,value\n1,\"0.1\n", "quoted field is never closed")]
    public void Predict_BadObservedFile_NamesTheProblem(string content, string expected)
    {
        var dir = RepoPaths.NewTempFolder();
        var modelPath = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", Charlm, "--method", "additive", "--out", modelPath).ExitCode);
        var observed = Path.Combine(dir, "obs.csv");
        File.WriteAllText(observed, content);
        var (code, _, error) = CliRunner.Run("predict", "--model", modelPath, "--observed", observed, "--out", Path.Combine(dir, "p.csv"));
        Assert.Equal(1, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_UnknownMethod_IsAUsageErrorWithSuggestion()
    {
        var (code, _, error) = CliRunner.Run("fit", Charlm, "--method", "mff", "--out", "x.fpm");
        Assert.Equal(2, code);
        Assert.Contains("Unknown method 'mff'; did you mean 'mf'?", error, StringComparison.Ordinal);
    }

    // Every named choice is refused in the library's words with a suggestion, as --method is and as the service refuses it
    // (System.CommandLine's check said "Argument 'ridgee' not recognized. Must be one of: ...").
    [Theory]
    [InlineData(new[] { "predict", "--model", "m.fpm", "--prior", "ridgee" }, "Unknown prior 'ridgee'; did you mean 'ridge'? Priors: empirical, ridge.")]
    [InlineData(new[] { "replay", "--model", "m.fpm", "--budget", "5", "--out", "r.csv", "--strategy", "topK" }, "Unknown strategy 'topK'; did you mean 'topk'? Strategies: softmax, topk, stratified, random.")]
    [InlineData(new[] { "design", "--model", "m.fpm", "--criterion", "v-optimall" }, "Unknown criterion 'v-optimall'; did you mean 'v-optimal'?")]
    [InlineData(new[] { "evaluate", "z.npy", "--reveal", "activ" }, "Unknown reveal 'activ'; did you mean 'active'?")]
    [InlineData(new[] { "evaluate", "z.npy", "--reveal-rng", "nupy" }, "did you mean 'numpy'?")]
    [InlineData(new[] { "fit", "z.npy", "--out", "m.fpm", "--layout", "wid" }, "Unknown layout 'wid'; did you mean 'wide'?")]
    public void UnknownChoices_AreUsageErrorsWithASuggestion(string[] arguments, string expected)
    {
        var (code, _, error) = CliRunner.Run(arguments);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("not recognized", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_RankForAdditive_IsRefused()
    {
        var (code, _, error) = CliRunner.Run("fit", Charlm, "--method", "additive", "--rank", "3", "--out", Path.Combine(RepoPaths.NewTempFolder(), "m.fpm"));
        Assert.Equal(CliApp.UsageError, code);
        Assert.Contains("--rank does not apply to 'additive'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_LogisticOnContinuousMatrix_IsRefused()
    {
        var (code, _, error) = CliRunner.Run("fit", Charlm, "--method", "logistic", "--out", Path.Combine(RepoPaths.NewTempFolder(), "m.fpm"));
        Assert.Equal(1, code);
        Assert.Contains("needs a binary (0/1) matrix", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_MissingFile_IsADataErrorNamingIt()
    {
        var (code, _, error) = CliRunner.Run("analyze", "/no/such/z.npy");
        Assert.Equal(1, code);
        Assert.StartsWith("error: /no/such/z.npy: cannot open the file", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_UnknownExtension_SuggestsFormat()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "z.xyz");
        File.WriteAllText(path, "x");
        var (code, _, error) = CliRunner.Run("analyze", path);
        Assert.Equal(1, code);
        Assert.Contains("--format", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_WritesMatrixAndMetadataThatNumpyReads()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "s.npy");
        var examples = Path.Combine(dir, "examples.csv");
        var (code, output, error) = CliRunner.Run("synth", "--rows", "9", "--cols", "120", "--missing", "0.1", "--seed", "4", "--out", path, "--examples-out", examples);
        Assert.True(code == 0, error);
        Assert.Contains("planted rank 4", output, StringComparison.Ordinal);
        var shape = ExternalTool.RunPython("import numpy as np, sys; a = np.load(sys.argv[1]); print(a.shape, int(np.isnan(a).sum()) > 0)", path);
        Assert.Equal("(9, 120) True", shape.Trim());
        var meta = MetadataTable.Read(examples);
        Assert.Equal(120, meta.RowCount);
        Assert.Equal("wiki", meta.Column("group")[0]);
        Assert.Equal("119", meta.Column("id")[119]);
    }

    // The options record's names ("MissingFraction must be in [0, 1).") had reached the user, without the value or the fix.
    [Theory]
    [InlineData(new[] { "--missing", "1.5" }, "error: --missing must be at least 0 and below 1 (it is 1.5): the share of cells made missing.")]
    [InlineData(new[] { "--groups", "50", "--cols", "20" }, "error: --groups must be from 1 to --cols (20) (it is 50): every group needs an example.")]
    [InlineData(new[] { "--groups", "1" }, "error: --patterns (3) must be from 0 to --groups (1): pattern k makes task family k forget group k; lower --patterns or raise --groups.")]
    // QA: a matrix with every cell missing was written (exit 0), then refused by every other command; a size past one array's
    // limit was reported as a --cols problem.
    [InlineData(new[] { "--cols", "20", "--groups", "3", "--missing", "0.99" }, "error: --missing 0.99 left no cell of the 5 x 20 matrix observed, and every command refuses such a matrix; lower it, or ask for more cells.")]
    [InlineData(new[] { "--cols", "1000000000" }, "error: --rows x --cols must be at most 2,147,483,591 cells, one array's limit (it is 5 x 1,000,000,000 = 5,000,000,000); lower one of them.")]
    public void Synth_OutOfRangeSettings_NameTheFlagsAndTheFix(string[] settings, string expected)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "s.npy");
        var (code, _, error) = CliRunner.Run(["synth", "--rows", "5", .. settings, "--out", path]);

        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal(expected, error.Trim());
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Synth_BinaryMatrixFitsWithLogistic()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "b.npy");
        Assert.Equal(0, CliRunner.Run("synth", "--rows", "12", "--cols", "300", "--binary", "--out", path).ExitCode);
        Assert.True(NpyFormat.Read(path).IsBinary);
        var (code, output, error) = CliRunner.Run("fit", path, "--method", "logistic", "--out", Path.Combine(dir, "m.fpm"));
        Assert.True(code == 0, error);
        Assert.Contains("fitted logistic", output, StringComparison.Ordinal);
    }

    // QA: predict --threshold on a logistic model was ignored but echoed ("beyond probability 0.9"), and the default's count,
    // the sum of the probabilities, read "beyond probability 0.5".
    [Fact]
    public void Predict_BinaryModel_CountsTheSumOfTheProbabilities_AndRefusesAThreshold()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "b.npy");
        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("synth", "--rows", "12", "--cols", "300", "--binary", "--out", path).ExitCode);
        Assert.Equal(0, CliRunner.Run("fit", path, "--method", "logistic", "--out", model).ExitCode);

        var (code, output, error) = CliRunner.Run("predict", "--model", model);
        Assert.True(code == 0, error);
        Assert.Contains("examples (", output, StringComparison.Ordinal);
        Assert.Contains("(the sum of the probabilities)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("beyond probability", output, StringComparison.Ordinal);
        Assert.DoesNotContain("--threshold sets another", output, StringComparison.Ordinal);

        var out09 = Path.Combine(dir, "p.csv");
        (code, output, error) = CliRunner.Run("predict", "--model", model, "--threshold", "0.9", "--out", out09);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith("error: --threshold 0.9 has no role for a binary (logistic) model", error, StringComparison.Ordinal);
        Assert.Contains("Leave --threshold out", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(File.Exists(out09));
    }

    // QA (binary forgetting): mf fitted on a 0/1 matrix said "beyond loss increase 0.409", and its predictions left [0, 1]
    // with no word, in the terminal or the report.
    [Fact]
    public void Predict_MfOfABinaryMatrix_SaysItsPredictionsAreNoProbabilities_InTheTerminalJsonAndReport()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "flips.npy");
        var model = Path.Combine(dir, "m.fpm");
        var html = Path.Combine(dir, "r.html");
        var json = Path.Combine(dir, "r.json");
        Assert.Equal(0, CliRunner.Run("synth", "--rows", "12", "--cols", "300", "--binary", "--out", path).ExitCode);

        var (code, output, error) = CliRunner.Run("fit", path, "--method", "mf", "--out", model);
        Assert.True(code == 0, error);
        Assert.StartsWith("warning: flips.npy is a 0/1 matrix (1 = forgotten), and mf models its cells as continuous values", error, StringComparison.Ordinal);

        (code, output, error) = CliRunner.Run("predict", "--model", model, "--html", html, "--json", json);
        Assert.True(code == 0, error);
        Assert.StartsWith($"warning: the training matrix of {model} is a 0/1 matrix", error, StringComparison.Ordinal);
        Assert.Contains("on the training matrix's 0/1 scale (not a probability)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("loss increase", output, StringComparison.Ordinal);
        var report = File.ReadAllText(html);
        Assert.Contains("<b>Warning:</b> the training matrix of ", report, StringComparison.Ordinal);
        Assert.Contains("on the training matrix's 0/1 scale (not a probability)", report, StringComparison.Ordinal);
        Assert.DoesNotContain("nats", report, StringComparison.Ordinal);
        Assert.Contains("is a 0/1 matrix (1 = forgotten)", File.ReadAllText(json), StringComparison.Ordinal);
    }

    [Fact]
    public void PredictAndReplay_FromAutoTunedForFewerCells_WarnNamingTheKnownFlag()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "z.npy");
        var model = Path.Combine(dir, "auto2.fpm");
        var observed = Path.Combine(dir, "obs.csv");
        Assert.Equal(0, CliRunner.Run("synth", "--rows", "12", "--cols", "300", "--out", path).ExitCode);
        Assert.Equal(0, CliRunner.Run("fit", path, "--known", "2", "--out", model).ExitCode);
        File.WriteAllText(observed, "example,value\n0,0.5\n1,0.4\n2,0.3\n3,0.6\n4,0.2\n");

        var (code, _, error) = CliRunner.Run("predict", "--model", model, "--observed", observed);
        var replay = CliRunner.Run("replay", "--model", model, "--observed", observed, "--budget", "5", "--out", Path.Combine(dir, "r.csv"));

        Assert.True(code == 0, error);
        Assert.StartsWith($"warning: {model} was tuned for 2 measured cells (--known 2 at its fit) and this task has 5:", error, StringComparison.Ordinal);
        Assert.Contains("refit it with --known 5 ", error, StringComparison.Ordinal);
        Assert.True(replay.ExitCode == 0, replay.Error);
        Assert.Contains("was tuned for 2 measured cells", replay.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_RunsOnTheBundledCharlmB()
    {
        var (code, output, error) = CliRunner.Run("demo", "--seeds", "1");
        Assert.True(code == 0, error);
        Assert.Contains("charlm-b", output, StringComparison.Ordinal);
        foreach (var method in new[] { "additive", "rank1", "mf", "knn" })
        {
            Assert.Contains($"  {method} ", output, StringComparison.Ordinal);
        }

        Assert.Contains("Task 'xml-0'", output, StringComparison.Ordinal);
        Assert.Contains("Which pre-training sources", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\n\n\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal); // one blank line between sections, as the README shows
        Assert.Contains("5. Before fine-tuning: charlm-d", output, StringComparison.Ordinal);
        Assert.Contains("  mf+features ", output, StringComparison.Ordinal);
        foreach (var source in Commands.DemoCommand.BundledSources().Distinct())
        {
            Assert.Contains($"  {source} ", output, StringComparison.Ordinal);
        }
    }

    // The README shows the demo's output; a change that moved its numbers (a fold-in prior bound: mf+features at k = 0
    // 0.2680 -> 0.2661) had passed every test and was seen only by reading a fresh clone's demo beside the README.
    [Fact]
    public void Demo_PrintsTheReadmesBlock_ApartFromItsTimings()
    {
        var readme = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        var start = Array.FindIndex(readme, l => l.StartsWith("ForgetPredict demo on charlm-b", StringComparison.Ordinal));
        Assert.True(start >= 0, "the README shows the demo's output");
        var end = Array.FindIndex(readme, start, l => l == "```");
        var expected = WithoutTimings(readme[start..end]);

        var (code, output, error) = CliRunner.Run("demo");
        Assert.True(code == 0, error);
        var lines = output.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        var actual = WithoutTimings(lines[Array.FindIndex(lines, l => l.StartsWith("ForgetPredict demo on charlm-b", StringComparison.Ordinal))..]);

        Assert.Equal(expected, actual);

        // The method table's last column is seconds, and "Whole protocol" is a time: the rest is deterministic.
        static string[] WithoutTimings(string[] block)
        {
            var result = new string[block.Length];
            var inTimedTable = false;
            for (var i = 0; i < block.Length; i++)
            {
                var line = block[i].TrimEnd();
                inTimedTable = line.Length != 0 && (inTimedTable || line.EndsWith(" seconds", StringComparison.Ordinal));
                result[i] = line.StartsWith("Whole protocol: ", StringComparison.Ordinal) ? "Whole protocol: (time)"
                    : inTimedTable && line.Length > 0 && char.IsAsciiDigit(line[^1]) ? line[..line.LastIndexOf(' ')].TrimEnd()
                    : line;
            }

            return result;
        }
    }

    [Fact]
    public void BundledMatrix_IsTheDataFolderCopy()
    {
        var bundled = Commands.DemoCommand.BundledCharlmB();
        Assert.Equal(NpyFormat.Read(Charlm).Values.ToArray(), bundled.Values.ToArray());
        Assert.Equal("html-0", bundled.TaskIds[0]);
        Assert.Equal(bundled.ExampleCount, Commands.DemoCommand.BundledSources().Count);
    }

    [Fact]
    public void UnknownCommand_IsAUsageError()
    {
        var (code, _, error) = CliRunner.Run("analyse");
        Assert.Equal(2, code);
        Assert.Contains("forgetpredict --help", error, StringComparison.Ordinal);
    }
    [Fact]
    public void Fit_AnExampleOrTaskWithNoObservedCell_IsWarnedAbout()
    {
        // Given: a matrix whose example 5 and task 2 were never measured (the model would predict example 5 as an average
        // example with the narrowest interval of all, without a word).
        var dir = RepoPaths.NewTempFolder();
        var values = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 40, Seed = 4 }).Matrix.Values.ToArray();
        for (var i = 0; i < 12; i++)
        {
            values[(i * 40) + 5] = float.NaN;
        }

        values.AsSpan(2 * 40, 40).Fill(float.NaN);
        var matrixPath = Path.Combine(dir, "gaps.npy");
        using (var s = File.Create(matrixPath))
        {
            NpyFormat.Write(Core.ForgettingMatrix.Create(values, 12, 40), s);
        }

        // When
        var (code, _, error) = CliRunner.Run("fit", matrixPath, "--method", "mf", "--rank", "2", "--out", Path.Combine(dir, "m.fpm"));

        // Then: it fits, and says which example and task carry no cell and what to do.
        Assert.True(code == 0, error);
        Assert.Contains("warning: 1 of the 40 examples of gaps.npy have no observed cell (first: '5'): the model knows nothing of them", error, StringComparison.Ordinal);
        Assert.Contains("warning: 1 of the 12 tasks of gaps.npy have no observed cell (first: '2'): they add nothing to the fit. Drop those rows.", error, StringComparison.Ordinal);
    }
}

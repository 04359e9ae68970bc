using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Application.Tests;

/// <summary>
/// The evaluation use case: the split rules (one split, settings only where they apply, degenerate splits said), external
/// predictors read from files (one per draw and k, coverage of the scored cells only, names, ranges, ids), the settings that
/// reproduce a run, and results independent of the thread count.
/// </summary>
public sealed class EvaluatingTests : IDisposable
{
    private static readonly ForgettingMatrix s_matrix = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 14, Examples = 300, Seed = 11 }).Matrix;
    private readonly string _folder = RepoPaths.NewTempFolder("fp-eval");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static EvaluateRequest Request(SplitRequest? split = null, params string[] methods) => new()
    {
        Matrix = s_matrix,
        Source = "m.npy",
        SplitBy = split ?? new SplitRequest { TestRows = [1, 4, 9] },
        Methods = methods.Length == 0 ? ["additive"] : methods,
        Options = new EvaluationOptions { Seeds = 2, Known = 20 },
    };

    private static string Refusal(SplitRequest split) => Refused(Request(split)).OptionMessage.ToString();

    private static OptionException Refused(EvaluateRequest request) => Assert.Throws<OptionException>(() => Evaluating.Plan(request));

    [Fact]
    public void Split_TwoSplits_AreRefusedNamingTheChoices()
    {
        Assert.StartsWith("Choose one split: SplitRequest.TestRows, SplitRequest.TestTasks, SplitRequest.TestFraction, or SplitRequest.Families with SplitRequest.TestFamily",
            Refusal(new SplitRequest { TestRows = [1], TestFraction = 0.2 }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "SplitRequest.TestFamily needs SplitRequest.Families")]
    [InlineData(false, "SplitRequest.TrainFamily needs SplitRequest.Families")]
    public void Split_FamilyWithoutTheTaskMetadata_IsRefusedNotIgnored(bool test, string expected)
    {
        // It was ignored: the default random split ran instead of the family split asked for.
        var split = test ? new SplitRequest { TestFamily = "web" } : new SplitRequest { TrainFamily = "web" };
        Assert.StartsWith(expected, Refusal(split), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rows", "SplitRequest.SplitSeed seeds the random draw of the test tasks (SplitRequest.TestFraction), but SplitRequest.TestRows names them, so the seed would be ignored")]
    [InlineData("tasks", "but SplitRequest.TestTasks names them")]
    [InlineData("families", "but SplitRequest.Families names them")]
    public void Split_SeedWithNamedTestTasks_IsRefusedNotIgnored(string kind, string expected)
    {
        var families = Enumerable.Range(0, s_matrix.TaskCount).Select(i => (string?)(i % 2 == 0 ? "a" : "b")).ToArray();
        var split = kind switch
        {
            "rows" => new SplitRequest { TestRows = [1, 2], SplitSeed = 3 },
            "tasks" => new SplitRequest { TestTasks = ["1", "2"], SplitSeed = 3 },
            _ => new SplitRequest { Families = families, TestFamily = "a", SplitSeed = 3 },
        };
        Assert.Contains(expected, Refusal(split), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 1, 1 }, "SplitRequest.TestRows lists row 1 twice.")]
    [InlineData(new[] { 1, 14 }, "SplitRequest.TestRows: 14 is not a row index in 0..13 (the matrix has 14 tasks; to name tasks by id, use SplitRequest.TestTasks).")]
    [InlineData(new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 }, "SplitRequest.TestRows holds out all 14 tasks, leaving none to train on; hold out fewer.")]
    public void Split_BadTestRows_AreRefusedNamingTheOption(int[] rows, string expected)
    {
        Assert.Equal(expected, Refusal(new SplitRequest { TestRows = rows }));
    }

    [Fact]
    public void Split_SameFamilyToTrainAndTest_IsRefusedNamingBoth()
    {
        var families = Enumerable.Range(0, s_matrix.TaskCount).Select(i => (string?)(i % 2 == 0 ? "web" : "code")).ToArray();
        Assert.StartsWith("SplitRequest.TrainFamily and SplitRequest.TestFamily are both 'web': a task cannot both train and be tested.",
            Refusal(new SplitRequest { Families = families, TestFamily = "web", TrainFamily = "web" }), StringComparison.Ordinal);
    }

    // QA: a web task whose family cell was NULL in the metadata (read as "") trained with --test-family web, silently: the
    // split was 26 / 5 instead of leaving it out.
    [Theory]
    [InlineData(null)]
    [InlineData("a")]
    public void Split_TasksWithAnEmptyFamily_NeitherTrainNorTest_AndAreSaid(string? train)
    {
        var families = Enumerable.Range(0, s_matrix.TaskCount).Select(i => (string?)(i % 2 == 0 ? "web" : "a")).ToArray();
        families[1] = "";
        families[3] = " ";
        families[4] = null;

        var chosen = EvaluationSplits.Choose(s_matrix, new SplitRequest { Families = families, TestFamily = "web", TrainFamily = train });

        Assert.DoesNotContain(1, chosen.Split.TrainRows);
        Assert.DoesNotContain(3, chosen.Split.TrainRows);
        Assert.DoesNotContain(4, chosen.Split.TrainRows.Concat(chosen.Split.TestRows));
        Assert.Equal([0, 2, 6, 8, 10, 12], chosen.Split.TestRows);
        Assert.Equal([5, 7, 9, 11, 13], chosen.Split.TrainRows);
        Assert.Contains(chosen.Warnings, w => w.ToString() == $"3 of the 14 tasks have no family in the task metadata (first: '{s_matrix.TaskIds[1]}', '{s_matrix.TaskIds[3]}', '{s_matrix.TaskIds[4]}'), so they neither train nor are tested; give them a family to use them.");
    }

    // QA: evaluate with no methods named aborted on a 4 x 4 matrix because rank1, a default, cannot be fitted on 3 tasks.
    // Rows with at most K cells left to score rank nothing: precision@K leaves them out, and the run says how many, per k.
    [Fact]
    public void RowsWithAtMostKCellsToScore_AreNamedInAWarning_AtEachK()
    {
        var values = s_matrix.Values.ToArray();
        for (var j = 30; j < s_matrix.ExampleCount; j++)
        {
            values[(4 * s_matrix.ExampleCount) + j] = float.NaN;
        }

        var sparse = ForgettingMatrix.Create(values, s_matrix.TaskCount, s_matrix.ExampleCount);
        var request = Request() with { Matrix = sparse, Options = new EvaluationOptions { Seeds = 2, Known = 20, TopFraction = 0.05 } };

        var report = Evaluating.Run(request);
        Assert.Equal("2 of the 6 test tasks and draws have at most K = 15 cells left to score (the rest revealed or missing), where every ranking would pick them all: precision@K and recall@K leave them out. A smaller EvaluationOptions.TopFraction scores them.",
            Assert.Single(report.Warnings).ToString());
        // Task 4 keeps 30 cells: 20 revealed leave 10 to score in each of the 2 draws.
        Assert.Equal(2, report.Results[0].ShortRows);

        var curve = Evaluating.Run(request with { Known = [0, 20] });
        Assert.Equal("with 20 known cells, 2 of the 6 test tasks and draws have at most K = 15 cells left to score (the rest revealed or missing), where every ranking would pick them all: precision@K and recall@K leave them out. A smaller EvaluationOptions.TopFraction scores them.",
            Assert.Single(curve.Warnings).ToString());
        Assert.Empty(Evaluating.Run(Request()).Warnings);
    }

    // QA: a test task measured on 3 cells with 10 revealed was scored on nothing, and the run said only that some rows
    // revealed fewer cells on average.
    [Fact]
    public void ATestTaskWithEveryMeasuredCellRevealed_IsNamedInAWarning()
    {
        var values = s_matrix.Values.ToArray();
        for (var j = 3; j < s_matrix.ExampleCount; j++)
        {
            values[(4 * s_matrix.ExampleCount) + j] = float.NaN;
        }

        var sparse = ForgettingMatrix.Create(values, s_matrix.TaskCount, s_matrix.ExampleCount, s_matrix.TaskIds, s_matrix.ExampleIds);
        var request = Request() with { Matrix = sparse, Options = new EvaluationOptions { Seeds = 2, Known = 10 } };

        var report = Evaluating.Run(request);

        Assert.Equal([4], report.Results[0].UnscoredRows);
        Assert.Equal(2, report.Results[0].UnscoredPairs);
        Assert.Equal($"test task '{s_matrix.TaskIds[4]}' had no cell left to score in 2 of the 6 test tasks and draws: every cell they were measured on was revealed (at most 10), so they count among the test tasks but add nothing to those scores. Hold out tasks measured on more cells, or reveal fewer (EvaluationOptions.Known).",
            Assert.Single(report.Warnings).ToString());
        // With 2 revealed, one cell is left to score: nothing is unscored.
        var fewer = Evaluating.Run(request with { Options = new EvaluationOptions { Seeds = 2, Known = 2 } });
        Assert.Empty(fewer.Results[0].UnscoredRows);
    }

    // QA: examples measured on the test tasks alone were predicted as the average measured example, and evaluate (reading
    // the whole matrix's warnings, where they are measured) said nothing of it.
    [Fact]
    public void ExamplesNoTrainingTaskMeasured_AreNamedInAWarning()
    {
        var values = s_matrix.Values.ToArray();
        for (var i = 0; i < s_matrix.TaskCount; i++)
        {
            if (i is not (1 or 4 or 9))
            {
                values[(i * s_matrix.ExampleCount) + 7] = float.NaN;
                values[(i * s_matrix.ExampleCount) + 8] = float.NaN;
            }
        }

        var holey = ForgettingMatrix.Create(values, s_matrix.TaskCount, s_matrix.ExampleCount, s_matrix.TaskIds, s_matrix.ExampleIds);

        var report = Evaluating.Run(Request() with { Matrix = holey });

        Assert.Equal($"2 of the 300 examples of the 11 training tasks of m.npy have no observed cell (first: '{s_matrix.ExampleIds[7]}', '{s_matrix.ExampleIds[8]}'): the model knows nothing of them: it predicts each as the average measured example, with intervals widened by how much the measured examples differ. Drop those columns, or measure them on some task.",
            Assert.Single(report.Warnings).ToString());
        Assert.Empty(Fitting.MatrixWarnings(holey, "m.npy"));
    }

    // QA: "2 of the 11 tasks of the 11 training tasks of m.npy have no observed cell" doubled the tasks.
    [Fact]
    public void TrainingTasksWithNoObservedCell_AreCountedOfTheTrainingTasksOnce()
    {
        var values = s_matrix.Values.ToArray();
        foreach (var i in new[] { 0, 2 })
        {
            Array.Fill(values, float.NaN, i * s_matrix.ExampleCount, s_matrix.ExampleCount);
        }

        var holey = ForgettingMatrix.Create(values, s_matrix.TaskCount, s_matrix.ExampleCount, s_matrix.TaskIds, s_matrix.ExampleIds);

        var warnings = Evaluating.Run(Request() with { Matrix = holey, Methods = ["additive"] }).Warnings.Select(w => w.ToString()).ToList();

        Assert.Contains(warnings, w => w.StartsWith("2 of the 11 training tasks of m.npy have no observed cell", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("tasks of the", StringComparison.Ordinal));
        Assert.StartsWith("2 of the 14 tasks of m.npy have no observed cell", Assert.Single(Fitting.MatrixWarnings(holey, "m.npy")), StringComparison.Ordinal);
    }

    // QA: the reference methods at the size of a real matrix ran 1.6 hours a draw without a word before.
    [Fact]
    public void TheReferenceMethods_OnALargeMatrix_AreWarnedOfWithTheirCost()
    {
        var large = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 40, Examples = 60_000, Seed = 3 }).Matrix;
        var request = new EvaluateRequest
        {
            Matrix = large,
            Source = "big.npy",
            SplitBy = new SplitRequest { TestRows = [.. Enumerable.Range(0, 10)] },
            Methods = ["mf", "ref-additive", "ref-mf"],
            Options = new EvaluationOptions { Seeds = 20 },
        };

        var warning = Assert.Single(Evaluating.Plan(request).Warnings).ToString();

        // 30 training tasks x 60,000 cells x 1,000 epochs x 10 test tasks x 20 draws = 3.6e11 updates: 48 minutes to 1.3 hours.
        Assert.Equal("ref-additive, ref-mf refit the reference stack's SGD (1,000 epochs over the 1,800,000 training cells) for each of 10 test tasks x 20 draws, single-threaded as Surprise does: 3.6 x 10^11 cell updates each, about 48 minutes to 1.3 hours each at the 8-13 ns an update of a 2-core machine. To compare with the reference on a matrix this size, give EvaluationOptions.Seeds = 1 and fewer test tasks.", warning);
        Assert.Empty(Evaluating.Plan(request with { Options = new EvaluationOptions { Seeds = 10 } }).Warnings);
        Assert.Empty(Evaluating.Plan(request with { Methods = ["mf"] }).Warnings);
    }

    [Fact]
    public void ADefaultMethodThatCannotBeFitted_IsLeftOutWithAWarning_ANamedOneFails()
    {
        var random = new Random(2);
        var tiny = ForgettingMatrix.Wrap([.. Enumerable.Range(0, 16).Select(_ => (float)random.NextDouble())], 4, 4);
        var request = new EvaluateRequest { Matrix = tiny, Source = "tiny.npy", Options = new EvaluationOptions { Seeds = 2, Known = 1 } };

        var report = Evaluating.Run(request);

        Assert.Equal(["additive", "mf", "knn"], report.Results[0].Methods.Select(m => m.Name));
        var warning = Assert.Single(report.Warnings, w => w.ToString().StartsWith("rank1 was left out", StringComparison.Ordinal)).ToString();
        Assert.StartsWith("rank1 was left out of the evaluation (it runs by default, and could not be fitted on the training tasks): The rank1 fit on this 3 x 4 matrix predicts worse than the matrix's mean", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", warning, StringComparison.Ordinal);
        var curve = Evaluating.Run(request with { Known = [0, 1] });
        Assert.Single(curve.Warnings, w => w.ToString().StartsWith("rank1 was left out", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Settings.Methods, m => m.Name == "rank1");

        // With task features the defaults' +features variants run too, and rank1+features is left out alike.
        var features = new Core.Features.FeatureSet(tiny.TaskIds, [new Core.Features.FeatureBlock("tf.csv", Core.Features.FeatureKind.Numeric, ["lr"], [0.1, 0.2, 0.4, 0.8])]);
        var withFeatures = Evaluating.Run(request with { TaskFeatures = features });
        Assert.DoesNotContain(withFeatures.Results[0].Methods, m => m.Name.StartsWith("rank1", StringComparison.Ordinal));
        Assert.Contains(withFeatures.Results[0].Methods, m => m.Name == "mf+features");
        Assert.Contains(withFeatures.Warnings, w => w.ToString().StartsWith("rank1+features was left out", StringComparison.Ordinal));

        Assert.Contains("The rank1 fit on this 3 x 4 matrix predicts worse than the matrix's mean",
            Assert.Throws<ArgumentException>(() => Evaluating.Run(request with { Methods = ["rank1", "mf"] })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_DegenerateFractions_AreSaid()
    {
        // Given: five tasks, the third never measured.
        var values = s_matrix.SelectTasks([0, 1, 2, 3, 4]).Values.ToArray();
        values.AsSpan(2 * 300, 300).Fill(float.NaN);
        var five = ForgettingMatrix.Create(values, 5, 300);

        // When: 90% and 5% are held out, and the unmeasured task is a test task.
        var most = EvaluationSplits.Choose(five, new SplitRequest { TestFraction = 0.9 });
        var fewest = EvaluationSplits.Choose(five, new SplitRequest { TestFraction = 0.05 });
        var empty = EvaluationSplits.Choose(five, new SplitRequest { TestRows = [2, 3] });

        // Then: one training task, a count raised to one, and a test task with nothing to score are each said.
        Assert.Single(most.Split.TrainRows);
        Assert.Contains(most.Warnings, w => w.ToString().StartsWith("only 1 task trains (task '", StringComparison.Ordinal) && w.ToString().Contains("cannot be generalised from", StringComparison.Ordinal));
        Assert.Single(fewest.Split.TestRows);
        Assert.Equal("SplitRequest.TestFraction 0.05 of 5 tasks is 0.25, which rounds to no test task; 1 task is held out instead.", Assert.Single(fewest.Warnings).ToString());
        Assert.Equal("test task '2' has no observed cell: it is counted among the 2 test tasks but contributes nothing to any score; hold out tasks that were measured.", Assert.Single(empty.Warnings).ToString());
        Assert.Empty(EvaluationSplits.Choose(s_matrix, new SplitRequest { TestFraction = 0.3 }).Warnings);
    }

    // The request's mf predictions of each draw at k, as task,example,value files named by pattern.
    private string[] OwnPredictionFiles(EvaluateRequest request, int known, string pattern)
    {
        var rows = new Dictionary<(int Seed, int Row), double[]>();
        Evaluating.Evaluate(request with { Methods = ["mf"], Options = request.Options with { Known = known }, OnPrediction = p => rows[(p.Seed, p.Row)] = p.Predicted });
        var files = new List<string>();
        foreach (var draw in rows.Keys.Select(k => k.Seed).Distinct())
        {
            var path = Path.Combine(_folder, new ExternalFile("x", pattern).PathOf(draw, known));
            File.WriteAllLines(path, ["task,example,value", .. rows.Where(kv => kv.Key.Seed == draw).SelectMany(kv =>
                kv.Value.Select((v, j) => string.Create(CultureInfo.InvariantCulture, $"{s_matrix.TaskIds[kv.Key.Row]},{s_matrix.ExampleIds[j]},{v:R}")))]);
            files.Add(path);
        }

        return [.. files];
    }

    [Fact]
    public void External_OneFilePerDrawAndK_IsScoredOnItsOwnDrawAndK()
    {
        // Given: mf's own predictions written one file per draw and k, as a fold-in predictor of one's own would be.
        var request = Request(methods: "mf");
        foreach (var k in new[] { 5, 20 })
        {
            OwnPredictionFiles(request, k, "own-{draw}-{k}.csv");
        }

        // When: they are given with both placeholders over the curve.
        var report = Evaluating.Run(request with { Known = [5, 20], ExternalFiles = [new ExternalFile("own", Path.Combine(_folder, "own-{draw}-{k}.csv"))] });

        // Then: each file was scored on its draw and k, so the copy equals mf everywhere (to the file's single precision), and
        // nothing warns.
        Assert.All(report.Results, r => Assert.All(r.Methods[0].Rmse.PerSeed.Zip(r.Externals[0].Result.Rmse.PerSeed), p => Assert.Equal(p.First, p.Second, 1e-7)));
        Assert.Empty(report.Warnings);
        Assert.Equal(4, report.Settings.Externals.Single().Paths.Count);
    }

    [Fact]
    public void External_OneFileForEveryDrawAndK_IsScoredButWarnedAbout()
    {
        // Given: draw 0's predictions at k = 20 in one file (the fold-in the QA researcher built).
        var request = Request(methods: "mf");
        var file = OwnPredictionFiles(request with { Options = request.Options with { Seeds = 1 } }, 20, "draw0.csv").Single();

        // When: it is given for 2 draws and k = 0 and 20.
        var plan = Evaluating.Plan(request with { Known = [0, 20], ExternalFiles = [new ExternalFile("own", file)] });

        // Then: the warning says it is scored alike on every draw and k, and how to give one file per draw and k.
        var warning = Assert.Single(plan.Warnings).ToString();
        Assert.StartsWith($"EvaluateRequest.ExternalFiles own={file}: the same predictions are scored on every one of the 2 reveal draws and every k (0, 20).", warning, StringComparison.Ordinal);
        Assert.Contains("write one file per draw and k with {draw} and {k} in its name", warning, StringComparison.Ordinal);
        Assert.Empty(Evaluating.Plan(request with { Options = request.Options with { Seeds = 1 }, ExternalFiles = [new ExternalFile("own", file)] }).Warnings);

        // A gzipped file's example name keeps .csv.gz together (review: 'draw0.csv-draw{draw}.gz' named a gzip of no format).
        var gzipped = file + ".gz";
        using (var output = File.Create(gzipped))
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(File.ReadAllBytes(file));
        }

        var onGzip = Assert.Single(Evaluating.Plan(request with { Known = [0, 20], ExternalFiles = [new ExternalFile("own", gzipped)] }).Warnings).ToString();
        Assert.Contains($"e.g. own={file[..^4]}-draw{{draw}}-k{{k}}.csv.gz.", onGzip, StringComparison.Ordinal);
    }

    [Fact]
    public void External_AMissingDrawFile_IsRefusedNamingIt()
    {
        var request = Request(methods: "mf");
        OwnPredictionFiles(request, 20, "two-{draw}.csv");

        var error = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request with { Options = request.Options with { Seeds = 3 }, ExternalFiles = [new ExternalFile("own", Path.Combine(_folder, "two-{draw}.csv"))] }));

        Assert.Equal(Path.Combine(_folder, "two-2.csv"), error.SourcePath);
        Assert.Contains("reads one file per draw ({draw} = 0..2), and this one is missing.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_LeavingTheRevealedCellsEmpty_IsAccepted_ForOnlyUnrevealedCellsAreScored()
    {
        // Given: per draw, predictions for every observed test cell but the revealed ones (which are never scored).
        var request = Request(methods: "additive");
        var split = EvaluationSplits.Choose(s_matrix, request.SplitBy!).Split;
        var reveals = Protocol.Reveals(s_matrix, split, request.Options);
        for (var draw = 0; draw < 2; draw++)
        {
            File.WriteAllLines(Path.Combine(_folder, $"gaps-{draw}.csv"), ["task,example,value", .. split.TestRows.SelectMany((row, t) => Enumerable.Range(0, s_matrix.ExampleCount)
                .Where(j => Array.IndexOf(reveals[draw][t], j) < 0)
                .Select(j => string.Create(CultureInfo.InvariantCulture, $"{s_matrix.TaskIds[row]},{s_matrix.ExampleIds[j]},0.5")))]);
        }

        // When
        var report = Evaluating.Run(request with { ExternalFiles = [new ExternalFile("lm", Path.Combine(_folder, "gaps-{draw}.csv"))] });

        // Then: it was refused as "120 are missing"; now every method scores the same cells as without it.
        var alone = Evaluating.Evaluate(request);
        Assert.Equal(alone.Methods[0].Rows.Select(r => r.Cells), report.Results[0].Methods[0].Rows.Select(r => r.Cells));
        Assert.Equal(0, report.Settings.Externals.Single().Coverage.Missing);
        Assert.False(report.Settings.PartialApplied);

        // And one draw's file scored on both draws lacks the other draw's revealed cells, which are scored there: refused, counted per draw.
        var error = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("lm", Path.Combine(_folder, "gaps-0.csv"))] }));
        Assert.Contains("cells to be scored (the observed cells of the 3 test tasks but the 20 revealed in each, summed over the 2 draws it is scored on)", error.Message, StringComparison.Ordinal);
        Assert.Contains("are missing (e.g. task '", error.Message, StringComparison.Ordinal);
        Assert.Contains(", draw 1)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("additive", "additive,mf", "EvaluateRequest.ExternalFiles: 'additive' is also the name of a method evaluated (EvaluateRequest.Methods additive,mf); give the external another name")]
    [InlineData("mf", null, "EvaluateRequest.ExternalFiles: 'mf' is also the name of a method evaluated (by default: additive, rank1, mf, knn)")]
    [InlineData("lm", "additive", "EvaluateRequest.ExternalFiles names two externals 'lm'; give each its own name.")]
    public void External_NamedAsAMethodOrAnotherExternal_IsRefused(string name, string? methods, string expected)
    {
        var truth = Path.Combine(_folder, "truth.npy");
        MatrixFile.Write(s_matrix, truth);
        var request = Request() with { Methods = methods?.Split(','), ExternalFiles = [new ExternalFile(name, truth), new ExternalFile("lm", truth)] };

        Assert.StartsWith(expected, Refused(request).OptionMessage.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void External_OnABinaryMatrix_OutsideZeroToOne_IsRefusedNamingTheCellAndTheFix()
    {
        // Given: a 0/1 matrix and logits for it.
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 14, Examples = 300, Binary = true, Seed = 3 }).Matrix;
        var logits = Path.Combine(_folder, "logits.npz");
        MatrixFile.Write(ForgettingMatrix.Create([.. binary.Values.ToArray().Select(v => (4 * v) - 2)], binary.TaskCount, binary.ExampleCount, binary.TaskIds, binary.ExampleIds), logits);
        var request = Request() with { Matrix = binary, Methods = ["logistic-additive"], ExternalFiles = [new ExternalFile("lm", logits)] };

        var error = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request));

        Assert.Equal(logits, error.SourcePath);
        Assert.Matches(@"task 'task-001', example 'ex-\d+' is -?2, but the matrix is binary and EvaluationOptions\.Threshold is 0\.5, a probability, so predictions are scored as probabilities of forgetting and must lie in \[0, 1\]\. Give probabilities \(for percentages, divide by 100\), or for logits pass EvaluationOptions\.Threshold = 0: a logit above 0 counts as forgotten\.", error.Message);

        // Probabilities are accepted.
        var probabilities = Path.Combine(_folder, "p.npz");
        MatrixFile.Write(ForgettingMatrix.Create([.. binary.Values.ToArray().Select(v => (0.8f * v) + 0.1f)], binary.TaskCount, binary.ExampleCount, binary.TaskIds, binary.ExampleIds), probabilities);
        Assert.Equal(probabilities, Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("lm", probabilities)] }).Externals.Single().Paths.Single());
    }

    // science.md section 4: a prediction above 0.5 on probabilities, above 0 on logits, counts as forgotten. A logit external
    // scored at threshold 0 is the probability external scored at 0.5; at 0.5 it is refused, naming the threshold for logits.
    [Fact]
    public void External_LogitsAtThresholdZero_ScoreAsTheirProbabilitiesAtOneHalf()
    {
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 14, Examples = 300, Binary = true, Seed = 3 }).Matrix;
        var random = new Random(17);
        // Probabilities that follow the truth loosely, never exactly 0.5.
        var p = binary.Values.ToArray().Select(v => (float)Math.Clamp((0.6 * v) + (0.4 * random.NextDouble()) + 0.001, 0.01, 0.99)).ToArray();
        var probabilities = Path.Combine(_folder, "p.npz");
        var logits = Path.Combine(_folder, "logits.npz");
        MatrixFile.Write(ForgettingMatrix.Create(p, binary.TaskCount, binary.ExampleCount, binary.TaskIds, binary.ExampleIds), probabilities);
        MatrixFile.Write(ForgettingMatrix.Create([.. p.Select(x => (float)Math.Log(x / (1.0 - x)))], binary.TaskCount, binary.ExampleCount, binary.TaskIds, binary.ExampleIds), logits);
        var request = Request() with { Matrix = binary, Methods = ["logistic-additive"] };

        var atHalf = Evaluating.Run(request with { ExternalFiles = [new ExternalFile("lm", probabilities)] }).Results[0].Externals[0].Result;
        var atZero = Evaluating.Run(request with { ExternalFiles = [new ExternalFile("lm", logits)], Options = request.Options with { Threshold = 0 } }).Results[0].Externals[0].Result;

        Assert.All(new[] { (atHalf.F1, atZero.F1), (atHalf.Precision, atZero.Precision), (atHalf.Recall, atZero.Recall), (atHalf.Auc, atZero.Auc) }, pair =>
        {
            Assert.Equal(pair.Item1!.PerSeed, pair.Item2!.PerSeed);
            Assert.InRange(pair.Item1.Mean, 0.05, 1);
        });

        var refused = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("lm", logits)] }));
        Assert.Contains("must lie in [0, 1]", refused.Message, StringComparison.Ordinal);
        Assert.Contains("for logits pass EvaluationOptions.Threshold = 0", refused.Message, StringComparison.Ordinal);
        // A threshold of 1 or more is not a probability either: any finite score is taken.
        Assert.Single(Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("lm", logits)], Options = request.Options with { Threshold = 1 } }).Externals);
    }

    [Fact]
    public void Threshold_OnAMatrixThatIsNotBinary_IsRefused_AsItWouldChangeNothing()
    {
        Assert.Equal("EvaluationOptions.Threshold is the classification threshold on the predictions of a binary (0/1) matrix, for F1, precision and recall; m.npy is not binary, so its scores (RMSE, MAE, Spearman, precision@K) do not use it and it would change nothing. Leave it out.",
            Refused(Request() with { Options = new EvaluationOptions { Seeds = 2, Known = 20, Threshold = 0 } }).OptionMessage.ToString());
        Assert.StartsWith("EvaluationOptions.Threshold must be a finite number (it is NaN)",
            Refused(Request() with { Options = new EvaluationOptions { Threshold = double.NaN } }).OptionMessage.ToString(), StringComparison.Ordinal);
        Assert.NotNull(Evaluating.Plan(Request()));
    }

    // An external given with AllowPartial that lacks cells is scored, as every method is, on the cells every external covers:
    // the rows it leaves with at most K cells are in the common count (EvaluationResult.ShortRows), and its own is no larger.
    [Fact]
    public void PartialExternal_RowsItLeavesShort_AreInTheCommonCountAndWarning()
    {
        var values = s_matrix.Values.ToArray();
        for (var j = 10; j < s_matrix.ExampleCount; j++)
        {
            values[(4 * s_matrix.ExampleCount) + j] = float.NaN; // the external predicts only 10 cells of test task 4
        }

        var partial = Path.Combine(_folder, "partial.npz");
        MatrixFile.Write(ForgettingMatrix.Create(values, s_matrix.TaskCount, s_matrix.ExampleCount, s_matrix.TaskIds, s_matrix.ExampleIds), partial);
        var request = Request() with { ExternalFiles = [new ExternalFile("lm", partial)], AllowPartial = true, Options = new EvaluationOptions { Seeds = 2, Known = 20, TopFraction = 0.05 } };

        var report = Evaluating.Run(request);

        var result = report.Results[0];
        Assert.Equal(2, result.ShortRows);
        Assert.Equal(2, result.Externals[0].Result.ShortRows);
        Assert.Equal(2, result.Methods[0].ShortRows);
        Assert.Single(report.Warnings, w => w.ToString().StartsWith("2 of the 6 test tasks and draws have at most K = 15 cells", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Warnings, w => w.ToString().Contains("scored on fewer cells", StringComparison.Ordinal));
    }

    // The test rows of the matrix with string ids, written as the file's rows (ids given or not), or transposed.
    private string Written(string name, Func<ForgettingMatrix, ForgettingMatrix> shape)
    {
        var path = Path.Combine(_folder, name);
        MatrixFile.Write(shape(Named()), path);
        return path;
    }

    private static ForgettingMatrix Named() => ForgettingMatrix.Create(s_matrix.Values.ToArray(), s_matrix.TaskCount, s_matrix.ExampleCount,
        Enumerable.Range(0, s_matrix.TaskCount).Select(i => $"ft-{i}"), Enumerable.Range(0, s_matrix.ExampleCount).Select(j => $"ex-{j}"));

    private static ForgettingMatrix Transposed(ForgettingMatrix m)
    {
        var values = new float[m.ExampleCount * m.TaskCount];
        for (var i = 0; i < m.TaskCount; i++)
        {
            for (var j = 0; j < m.ExampleCount; j++)
            {
                values[(j * m.TaskCount) + i] = m[i, j];
            }
        }

        return ForgettingMatrix.Create(values, m.ExampleCount, m.TaskCount, m.ExampleIds, m.TaskIds);
    }

    [Fact]
    public void External_IdsThatMatchNothing_ShowTheFilesIdsAndTheLikelyCause()
    {
        // Given: a matrix with string ids, and predictions written without ids, transposed, or without a task index.
        var request = Request() with { Matrix = Named() };
        var bare = Written("bare.npy", m => ForgettingMatrix.Create(m.SelectTasks([1, 4, 9]).Values.ToArray(), 3, m.ExampleCount));
        var transposed = Written("transposed.npz", m => Transposed(m.SelectTasks([1, 4, 9])));
        var noIndex = Written("noindex.npz", m => ForgettingMatrix.Create(m.SelectTasks([1, 4, 9]).Values.ToArray(), 3, m.ExampleCount, null, m.ExampleIds));

        // When / Then: each refusal shows the file's ids beside the matrix's and names the likely cause.
        var noColumns = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("lm", bare)] })).Message;
        Assert.Contains("none of its 300 example ids (its columns) match the matrix's: the file's begin '0', '1', '2', '3', '4' (of 300); the matrix's begin 'ex-0', 'ex-1'", noColumns, StringComparison.Ordinal);
        Assert.Contains("Its columns are numbered 0..299, as a file written without its example ids is (a bare array such as np.save", noColumns, StringComparison.Ordinal);
        var swapped = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("lm", transposed)] })).Message;
        Assert.Contains("It looks transposed (examples as rows, tasks as columns): write one row per task and one column per example (in pandas, df.T).", swapped, StringComparison.Ordinal);
        var noTasks = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("lm", noIndex)] })).Message;
        Assert.Contains("none of the 3 test tasks is in it: its task ids (its rows) begin '0', '1', '2'; the test tasks are 'ft-1', 'ft-4', 'ft-9'. Its rows are numbered 0..2, as a file written without its index is (to_csv(index=False)", noTasks, StringComparison.Ordinal);
    }

    [Fact]
    public void External_ExtraColumnsAndRows_AreSaid_AndRowNumbersThatMatchIdsAreWarnedOfUnderAllowPartial()
    {
        // Given: predictions for tasks 1, 4, 9 plus a task and an example the matrix does not have.
        var ids = s_matrix.TaskIds.Select(id => id).Append("new-task").ToArray();
        var examples = s_matrix.ExampleIds.Select(id => id).Append("new-example").ToArray();
        var values = new float[ids.Length * examples.Length];
        for (var i = 0; i < s_matrix.TaskCount; i++)
        {
            for (var j = 0; j < s_matrix.ExampleCount; j++)
            {
                values[(i * examples.Length) + j] = s_matrix[i, j];
            }
        }

        var extra = Path.Combine(_folder, "extra.npz");
        MatrixFile.Write(ForgettingMatrix.Create(values, ids.Length, examples.Length, ids, examples), extra);

        // When
        var warnings = Evaluating.Plan(Request() with { ExternalFiles = [new ExternalFile("lm", extra)] }).Warnings.Select(w => w.ToString()).ToArray();

        // Then
        Assert.Contains($"{extra} has 1 example column the matrix does not have ('new-example'); it is ignored.", warnings);
        Assert.Contains($"{extra} has 1 task row that is not a task of the matrix ('new-task'); it is ignored.", warnings);

        // And a file of the first 5 rows numbered 0..4 (written without its index) matches tasks '0'..'4' of a matrix numbered
        // alike: with partial coverage allowed, that is accepted but said.
        var numbered = ForgettingMatrix.Create(s_matrix.Values, s_matrix.TaskCount, s_matrix.ExampleCount);
        var first = Path.Combine(_folder, "first.npy");
        MatrixFile.Write(numbered.SelectTasks([0, 1, 2, 3, 4]), first);
        var partial = Evaluating.Plan(Request() with { Matrix = numbered, ExternalFiles = [new ExternalFile("lm", first)], AllowPartial = true });
        Assert.Contains(partial.Warnings, w => w.ToString().StartsWith($"{first}: its task ids are 0..4, the row numbers a file written without its index has", StringComparison.Ordinal));
        Assert.NotNull(Assert.Single(partial.Externals).PartialNote);
    }

    // QA: '--external mine=cl/m-{draw}.csv --predictions cl/m-2.csv' exited 0 and wrote the predictions over draw 2's file.
    [Fact]
    public void External_AFileItsPatternReads_ThatTheRunWrites_IsRefusedBeforeAnythingIsRead()
    {
        // Given: one file per draw, and outputs that are draw 1's file (by its name, or through a link to its folder).
        var request = Request(methods: "mf");
        var files = OwnPredictionFiles(request, 20, "out-{draw}.csv");
        var pattern = Path.Combine(_folder, "out-{draw}.csv");
        var link = Path.Combine(_folder, "linked");
        Directory.CreateSymbolicLink(link, _folder);
        var before = File.ReadAllText(files[1]);

        // When
        var named = Refused(request with { ExternalFiles = [new ExternalFile("own", pattern)], Outputs = [new EvaluationOutput(EvaluateOptionNames.PredictionsFile, files[1])] });
        var linked = Refused(request with { ExternalFiles = [new ExternalFile("own", pattern)], Outputs = [new EvaluationOutput(EvaluateOptionNames.ResultsFile, Path.Combine(link, "out-1.csv"))] });
        var literal = Refused(request with { Known = [5, 20], ExternalFiles = [new ExternalFile("own", Path.Combine(_folder, "out-0.csv"))], Outputs = [new EvaluationOutput(EvaluateOptionNames.ResultsFile, files[0])] });

        // Then: each names the output, the external and the draw whose file it is; the file is as it was; other outputs run.
        Assert.Equal($"EvaluateRequest.Outputs.Predictions {files[1]} is also the file EvaluateRequest.ExternalFiles own={pattern} reads for draw 1, which writing it would destroy; write EvaluateRequest.Outputs.Predictions to another file.", named.OptionMessage.ToString());
        Assert.StartsWith($"EvaluateRequest.Outputs.Results {Path.Combine(link, "out-1.csv")} is also the file EvaluateRequest.ExternalFiles own={pattern} reads for draw 1,", linked.OptionMessage.ToString(), StringComparison.Ordinal);
        Assert.StartsWith($"EvaluateRequest.Outputs.Results {files[0]} is also the file EvaluateRequest.ExternalFiles own={files[0]} reads, which", literal.OptionMessage.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(files[1]));
        Assert.Single(Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("own", pattern)], Outputs = [new EvaluationOutput(EvaluateOptionNames.PredictionsFile, Path.Combine(_folder, "out-2.csv"))] }).Externals);
    }

    // QA: pandas' Series.to_csv() of a stacked frame (header 'task,example,0') was refused with advice to use --layout long
    // --columns task,example,0, which apply to the matrix only.
    [Theory]
    [InlineData("task,example,0")]
    [InlineData("task,example,")]
    [InlineData("Example,Task,predicted")]
    public void External_ALongTableOfTaskExampleAndOneValueColumn_IsReadWhateverThatColumnsName(string header)
    {
        // Given: mf's predictions per draw as task,example,value, then with the value column named otherwise.
        var request = Request(methods: "mf");
        var files = OwnPredictionFiles(request, 20, "long-{draw}.csv");
        var reference = Evaluating.Run(request with { ExternalFiles = [new ExternalFile("own", Path.Combine(_folder, "long-{draw}.csv"))] });
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            var swap = header.StartsWith("Example", StringComparison.Ordinal);
            File.WriteAllLines(file, [header, .. lines.Skip(1).Select(l => l.Split(',')).Select(f => swap ? $"{f[1]},{f[0]},{f[2]}" : string.Join(',', f))]);
        }

        // When
        var report = Evaluating.Run(request with { ExternalFiles = [new ExternalFile("own", Path.Combine(_folder, "long-{draw}.csv"))] });

        // Then: scored as the same table under its own names.
        Assert.Equal(reference.Results[0].Externals[0].Result.Rmse.PerSeed, report.Results[0].Externals[0].Result.Rmse.PerSeed);
        Assert.Empty(report.Warnings);
    }

    // A long Parquet table whose value column was not named 'value' was refused (read as a wide matrix of text), though a CSV
    // table of the same columns is read whatever that column's name, as the README says of every long table.
    [Theory]
    [InlineData("value")]
    [InlineData("predicted")]
    [InlineData("0")]
    public void External_ALongParquetTable_IsReadWhateverItsValueColumnsName(string valueColumn)
    {
        // Given / When / Then: mf's predictions per draw as long Parquet tables, scored as the CSV tables are.
        AssertScoredAsTheCsvFiles($"pq-{valueColumn}-{{draw}}.csv", $"pq-{valueColumn}-{{draw}}.parquet", file =>
            MatrixFile.Write(MatrixFile.Read(file), Path.ChangeExtension(file, ".parquet"), new MatrixWriteOptions { Layout = MatrixLayout.Long, ValueColumn = valueColumn }));
    }

    // QA: a long CSV table saved with pandas' index and the value column '0' (df.stack().reset_index().to_csv()) was refused
    // as "a long table (task, example) with 2 value columns ('', '0')", asking for df[['task', 'example', '']]; the reader's
    // own advice (--layout long --columns task,example,0) is followed, as for the other long tables it names.
    [Fact]
    public void External_ALongCsvTableSavedWithPandasIndex_IsReadWhateverItsValueColumnsName()
    {
        AssertScoredAsTheCsvFiles("ix-{draw}.csv", "ix-{draw}-indexed.csv", file => File.WriteAllLines(file.Replace(".csv", "-indexed.csv", StringComparison.Ordinal),
            [",task,example,0", .. File.ReadLines(file).Skip(1).Select((l, r) => string.Create(CultureInfo.InvariantCulture, $"{r},{l}"))]));
    }

    // mf's predictions per draw as task,example,value CSV files (pattern), each rewritten by rewrite into another file
    // (rewrittenPattern): the rewritten files are scored as the CSV files are, without a warning.
    private void AssertScoredAsTheCsvFiles(string pattern, string rewrittenPattern, Action<string> rewrite)
    {
        var request = Request(methods: "mf");
        var files = OwnPredictionFiles(request, 20, pattern);
        var reference = Evaluating.Run(request with { ExternalFiles = [new ExternalFile("own", Path.Combine(_folder, pattern))] });
        foreach (var file in files)
        {
            rewrite(file);
        }

        var report = Evaluating.Run(request with { ExternalFiles = [new ExternalFile("own", Path.Combine(_folder, rewrittenPattern))] });

        Assert.Equal(reference.Results[0].Externals[0].Result.Rmse.PerSeed, report.Results[0].Externals[0].Result.Rmse.PerSeed);
        Assert.Empty(report.Warnings);
    }

    // A long Parquet table with a std beside the prediction is refused naming its value columns, as a CSV one is.
    [Fact]
    public void External_ALongParquetTableWithTwoValueColumns_IsRefusedNamingThem()
    {
        var request = Request(methods: "mf");
        var one = request with { Options = request.Options with { Seeds = 1 } };
        var file = Path.ChangeExtension(OwnPredictionFiles(one, 20, "pq-two.csv").Single(), ".parquet");
        var table = MatrixFile.Read(Path.ChangeExtension(file, ".csv"));
        var (tasks, examples, values) = (new List<string?>(), new List<string?>(), new List<double>());
        for (var i = 0; i < table.TaskCount; i++)
        {
            for (var j = 0; j < table.ExampleCount; j++)
            {
                tasks.Add(table.TaskIds[i]);
                examples.Add(table.ExampleIds[j]);
                values.Add(table[i, j]);
            }
        }

        using (var stream = File.Create(file))
        using (var writer = Data.Parquet.ParquetWriter.Create(stream, [new("task", Data.Parquet.ParquetValueType.String), new("example", Data.Parquet.ParquetValueType.String), new("predicted", Data.Parquet.ParquetValueType.Double), new("std", Data.Parquet.ParquetValueType.Double)]))
        {
            writer.WriteRows([Data.Parquet.ParquetColumnData.FromStrings(tasks.ToArray()), Data.Parquet.ParquetColumnData.FromStrings(examples.ToArray()), Data.Parquet.ParquetColumnData.FromDoubles(values.ToArray()), Data.Parquet.ParquetColumnData.FromDoubles(values.Select(_ => 0.1).ToArray())]);
        }

        var error = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(one with { ExternalFiles = [new ExternalFile("own", file)] }));

        Assert.Equal(file, error.SourcePath);
        Assert.Contains("it is a long table (task, example) with 2 value columns ('predicted', 'std'), and an external predictor gives one", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_ALongTableWithoutTaskAndExampleNames_IsRefusedWithAdviceThatApplies()
    {
        // Given: a stacked frame with an unnamed index (',,0').
        var request = Request(methods: "mf");
        var file = OwnPredictionFiles(request with { Options = request.Options with { Seeds = 1 } }, 20, "unnamed.csv").Single();
        File.WriteAllLines(file, [",,0", .. File.ReadAllLines(file).Skip(1)]);

        // When
        var error = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request with { Options = request.Options with { Seeds = 1 }, ExternalFiles = [new ExternalFile("own", file)] }));

        // Then: the advice names the columns to write, not the matrix's layout options.
        Assert.Equal(file, error.SourcePath);
        Assert.Contains("If it is a long table (one row per cell), name its columns task, example and value (in pandas: s.rename_axis(['task', 'example']).rename('value').reset_index().to_csv(F, index=False))", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("MatrixReadOptions", error.Message, StringComparison.Ordinal);
    }

    // QA: a long table with a std beside the prediction was read as a wide one and refused for repeating task '0', with
    // advice about index columns; it is a long table with one value column too many.
    [Fact]
    public void External_ALongTableWithTwoValueColumns_IsRefusedNamingThem()
    {
        // Given: mf's predictions as task,example,value with a std column added.
        var request = Request(methods: "mf");
        var one = request with { Options = request.Options with { Seeds = 1 } };
        var file = OwnPredictionFiles(one, 20, "two-values.csv").Single();
        File.WriteAllLines(file, ["task,example,predicted,std", .. File.ReadAllLines(file).Skip(1).Select(l => l + ",0.1")]);

        // When
        var error = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(one with { ExternalFiles = [new ExternalFile("own", file)] }));

        // Then
        Assert.Equal(file, error.SourcePath);
        Assert.Contains("it is a long table (task, example) with 2 value columns ('predicted', 'std'), and an external predictor gives one: keep the predictions' column alone (in pandas: df[['task', 'example', 'predicted']].to_csv(F, index=False)).", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("appears twice", error.Message, StringComparison.Ordinal);
    }

    // QA: ids written as decimals ('0.0', as pandas writes float labels) were refused as matching nothing, though the Python
    // package matched the same frame (it writes a whole float label as that integer).
    [Fact]
    public void External_IdsWrittenAsDecimals_MatchTheMatrixsWholeNumbers_AsThePythonPackageMatchesThem()
    {
        // Given: a matrix numbered 0..n-1, and its test rows written with integer ids and with ids as decimals.
        var numbered = ForgettingMatrix.Create(s_matrix.Values, s_matrix.TaskCount, s_matrix.ExampleCount);
        var request = Request() with { Matrix = numbered, Options = new EvaluationOptions { Seeds = 1, Known = 20 } };
        string Wide(string name, Func<int, string> id)
        {
            var path = Path.Combine(_folder, name);
            File.WriteAllLines(path, [string.Join(',', Enumerable.Range(0, numbered.ExampleCount).Select(id).Prepend("task")),
                .. new[] { 1, 4, 9 }.Select(i => string.Join(',', Enumerable.Range(0, numbered.ExampleCount).Select(j => numbered[i, j].ToString("R", CultureInfo.InvariantCulture)).Prepend(id(i))))]);
            return path;
        }

        var whole = Wide("whole.csv", i => i.ToString(CultureInfo.InvariantCulture));
        var decimals = Wide("decimals.csv", i => i.ToString(CultureInfo.InvariantCulture) + ".0");

        // When
        var exact = Evaluating.Run(request with { ExternalFiles = [new ExternalFile("lm", whole)] });
        var byNumber = Evaluating.Run(request with { ExternalFiles = [new ExternalFile("lm", decimals)] });

        // Then: the same cells, the same scores, nothing said; against text ids decimals still match nothing.
        Assert.Equal(exact.Results[0].Externals[0].Result.Rmse.PerSeed, byNumber.Results[0].Externals[0].Result.Rmse.PerSeed);
        Assert.Empty(byNumber.Warnings);
        var text = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(Request() with { ExternalFiles = [new ExternalFile("lm", decimals)] }));
        Assert.Contains("none of its 300 example ids (its columns) match the matrix's: the file's begin '0.0'", text.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_APlaceholderThatIsNotOne_AndAFolder_AreSaid()
    {
        var request = Request();
        var seed = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("mine", Path.Combine(_folder, "mine-{seed}.csv"))] }));
        Assert.Contains($"no such file (EvaluateRequest.ExternalFiles mine={_folder}/mine-{{seed}}.csv). {{seed}} is not a placeholder: FILE may hold {{draw}} (the reveal draw's index 0, 1, ..., as the predictions file's seed column) and {{k}} (the number of revealed cells), e.g. mine={_folder}/mine-{{draw}}.csv.", seed.Message, StringComparison.Ordinal);

        var folder = Assert.Throws<ForgettingDataException>(() => Evaluating.Plan(request with { ExternalFiles = [new ExternalFile("mine", _folder)] }));
        Assert.Equal($"{_folder}: is a folder, not a file (EvaluateRequest.ExternalFiles mine={_folder}); give the file of the predictions, e.g. mine={_folder}/mine.csv.", folder.Message);
    }

    [Fact]
    public void ActiveReveals_OverSeveralDraws_AreWarnedOfOnce_ForADesignRepeatsItsCells()
    {
        var request = Request() with { Options = new EvaluationOptions { Seeds = 3, Known = 10, Reveal = RevealStrategy.Active } };

        var warning = Assert.Single(Evaluating.Plan(request).Warnings).ToString();

        Assert.Equal("an active design chooses the same cells on every draw (active designs are one per split), so the 3 draws (EvaluationOptions.Seeds = 3) repeat the same reveals and the run takes 3 times as long for one draw's scores; give EvaluationOptions.Seeds = 1 (to vary the reveals, compare splits).", warning);
        Assert.Empty(Evaluating.Plan(request with { Options = request.Options with { Seeds = 1 } }).Warnings);
        Assert.Empty(Evaluating.Plan(request with { Options = request.Options with { Reveal = RevealStrategy.Random } }).Warnings);
    }

    [Fact]
    public void Run_Settings_RecordWhatReproducesTheRun()
    {
        // Given: the matrix as a file, a seeded random split and two k.
        var input = Path.Combine(_folder, "m.npy");
        MatrixFile.Write(s_matrix, input);
        var request = Request(new SplitRequest { TestFraction = 0.25, SplitSeed = 4 }, "mf", "ensemble") with { InputPath = input, Known = [5, 20] };

        // When
        var settings = Evaluating.Run(request).Settings;

        // Then
        Assert.Equal(input, settings.Input);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(input))), settings.InputSha256);
        Assert.StartsWith("0.", settings.EngineVersion, StringComparison.Ordinal);
        Assert.Equal((SplitKind.Fraction, 0.25, 4), (settings.Split.Kind, settings.Split.TestFraction, settings.Split.SplitSeed));
        Assert.Equal(4, settings.TestTasks.Count);
        Assert.Equal(10, settings.TrainTasks.Count);
        Assert.Empty(settings.TestTasks.Intersect(settings.TrainTasks));
        Assert.Equal([5, 20], settings.Known);
        Assert.Equal(2, settings.Options.Seeds);
        var mf = settings.Methods.Single(m => m.Name == "mf");
        Assert.Contains(new KeyValuePair<string, object>("rank", 8), mf.Settings);
        Assert.Empty(mf.Fitted);
        var ensemble = settings.Methods.Single(m => m.Name == "ensemble");
        Assert.Equal([5, 20], ensemble.Fitted.Select(f => f.Known));
        Assert.All(ensemble.Fitted, f => Assert.Contains("cross-validated RMSE", f.Fitted, StringComparison.Ordinal));
    }

    [Fact]
    public void Run_WithTheRidgePrior_FoldsEveryTestTaskInAsTheLibrarysRidgeFoldIn()
    {
        // Given: the protocol's predictions of mf and of the ensemble (a method tuned per k) with the ridge prior
        var predictions = new List<PredictionRecord>();
        var request = Request(methods: ["mf", "ensemble"]) with { Prior = Core.Models.FoldInPrior.Ridge, OnPrediction = predictions.Add };

        // When
        var report = Evaluating.Run(request);

        // Then: mf's are the library's ridge fold-in of the revealed cells, the settings say so, and they differ from the default's
        Assert.Equal(Core.Models.FoldInPrior.Ridge, report.Settings.Prior);
        var train = s_matrix.SelectTasks([.. report.Results[0].TrainRows]);
        var mf = Core.Models.ModelCatalog.CreateFitter("mf").Fit(train);
        var rows = predictions.Where(p => p.Method == "mf").ToArray();
        Assert.Equal(2 * 3, rows.Length);
        foreach (var p in rows)
        {
            var fold = mf.FoldIn(p.Known, [.. p.Known.Select(j => (double)s_matrix[p.Row, j])], new Core.Models.FoldInOptions { Prior = Core.Models.FoldInPrior.Ridge });
            Assert.Equal(fold.PredictRow(), p.Predicted);
        }

        var empirical = Evaluating.Run(request with { Prior = Core.Models.FoldInPrior.Empirical, OnPrediction = null }).Results[0];
        Assert.NotEqual(empirical.Methods[0].Rmse.Mean, report.Results[0].Methods[0].Rmse.Mean);
        Assert.NotEqual(empirical.Methods[1].Rmse.Mean, report.Results[0].Methods[1].Rmse.Mean);
    }

    [Fact]
    public void Run_IsTheSameForEveryThreadCount()
    {
        var request = Request(methods: ["mf", "knn", "auto"]) with { Options = new EvaluationOptions { Seeds = 2, Known = 10, Reveal = RevealStrategy.Active } };

        var one = Evaluating.Run(request with { Options = request.Options with { MaxThreads = 1 } }).Results[0];
        var two = Evaluating.Run(request with { Options = request.Options with { MaxThreads = 2 } }).Results[0];

        Assert.Equal(one.Methods.Select(m => m.Rmse.PerSeed), two.Methods.Select(m => m.Rmse.PerSeed));
        Assert.Equal(one.Methods.Select(m => m.Spearman.PerSeed), two.Methods.Select(m => m.Spearman.PerSeed));
        Assert.Equal(one.Methods.Select(m => m.Fitted), two.Methods.Select(m => m.Fitted));
    }
}

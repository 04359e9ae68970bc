using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using Spectre.Console;

namespace ForgetPredict.Cli.Commands;

/// <summary>
/// <c>forgetpredict demo</c>: analyse the bundled charlm-b matrix (or a synthetic or given one), hold out tasks, fold
/// them in from 30 measured cells and compare methods. Runs in seconds.
/// </summary>
internal static class DemoCommand
{
    private static readonly string[] s_methods = ["example-mean", "additive", "rank1", "mf", "knn"];

    public static Command Create()
    {
        var matrix = new Option<string?>("--matrix") { Description = "Use this matrix (.npy, .npz, .csv, .tsv, .json, .parquet or .txt) instead of the bundled charlm-b." };
        var synthetic = new Option<bool>("--synthetic") { Description = "Use a synthetic 66 x 10,000 matrix with planted structure instead of charlm-b." };
        var known = CommonOptions.AtLeast("--known", 0, 30, "Measured cells revealed per held-out task (0: none, the cold start: each task is predicted from the past tasks alone, as evaluate --known 0 scores it).");
        var seeds = CommonOptions.AtLeast("--seeds", 1, 3, "Reveal draws per held-out task.");
        var testTasks = CommonOptions.AtLeast("--test-tasks", 1, 12, "Tasks held out.");
        var input = new MatrixInputOptions();
        var command = new Command("demo", "Analyse a forgetting matrix and show how well each method predicts held-out tasks from a few measured cells.")
        {
            matrix, synthetic, known, seeds, testTasks,
        };
        foreach (var option in input.All)
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            // --synthetic beside --matrix had been ignored in silence.
            if (result.GetResult(matrix) is { Tokens.Count: > 0 } && result.GetValue(synthetic))
            {
                result.AddError("Give --matrix or --synthetic, not both: the demo runs on one matrix.");
            }
        });

        command.SetAction(parse =>
        {
            var console = Terminal.For(parse.Out());
            var (z, title) = Load(parse.GetValue(matrix), parse.GetValue(synthetic), path => input.Read(parse, path));

            // Two tasks at least are fitted on. The default (12) shrinks to fit a small matrix; a number asked for is not
            // cut in silence.
            if (z.TaskCount < 3)
            {
                throw new ForgettingDataException(parse.GetValue(matrix) ?? "the demo's matrix", string.Create(CultureInfo.InvariantCulture, $"the demo needs at least 3 tasks (2 to fit on, 1 to hold out), and this matrix has {z.TaskCount}."));
            }

            if (parse.GetResult(testTasks) is { Implicit: false } && parse.GetValue(testTasks) > z.TaskCount - 2)
            {
                throw new OptionException(string.Create(CultureInfo.InvariantCulture, $"--test-tasks {parse.GetValue(testTasks):N0} leaves fewer than 2 of the matrix's {z.TaskCount} tasks to fit on: give at most {z.TaskCount - 2}."));
            }

            // Checked before any section prints: the protocol scores the cells a task does not reveal.
            if (parse.GetValue(known) >= z.ExampleCount)
            {
                throw new OptionException(string.Create(CultureInfo.InvariantCulture, $"--known {parse.GetValue(known):N0} reveals every one of the matrix's {z.ExampleCount:N0} examples, leaving no cell to score the predictions on: give at most {z.ExampleCount - 1:N0}."));
            }

            // A cell beyond 1e9 times the typical magnitude is refused once, on the whole matrix, naming its file, as
            // evaluate refuses it (the held-out tasks' fits had refused it naming no file).
            try
            {
                z = ExtremeCells.CheckRefusal(z);
            }
            catch (ArgumentException e) when (e.ParamName == "matrix" && e is not OptionException)
            {
                throw new ArgumentException($"{parse.GetValue(matrix) ?? "the demo's matrix"}: {ExceptionText.Clause(e)}", "matrix", e);
            }

            console.WriteLine(title);
            console.WriteLine();
            console.WriteLine("1. How low-rank is the forgetting? (R^2 on all cells)");
            // Every table ends with a blank line: the next section follows it directly.
            AnalyzeCommand.Render(console, "matrix", MatrixAnalysis.Run(z, 5));

            var holdOut = Math.Min(parse.GetValue(testTasks), z.TaskCount - 2);
            var random = new Random(7);
            var test = Enumerable.Range(0, z.TaskCount).OrderBy(_ => random.Next()).Take(holdOut).Order().ToArray();
            var options = new EvaluationOptions { Known = parse.GetValue(known), Seeds = parse.GetValue(seeds) };
            var methods = s_methods
                .Select(name => (IEvaluationMethod)new FoldInMethod(name, ModelCatalog.CreateFitter(name)))
                .ToArray();
            var clock = Stopwatch.StartNew();
            var result = Protocol.Run(z, test, methods, options);
            // With no cell revealed (the cold start) every method predicts the average past task its fit describes, and the
            // draws reveal nothing: say so rather than "from 0 measured cells each (3 random draws per task)".
            console.WriteLine(options.Known == 0
                ? string.Create(CultureInfo.InvariantCulture,
                    $"2. Predicting {holdOut} held-out {Application.Echo.Plural(holdOut, "task")} from no measured cell (the cold start: fit on the other {z.TaskCount - holdOut} tasks, each method predicts the average past task; measuring cells is what sets the methods apart):")
                : string.Create(CultureInfo.InvariantCulture,
                    $"2. Predicting {holdOut} held-out {Application.Echo.Plural(holdOut, "task")} from {options.Known} measured {Application.Echo.Plural(options.Known, "cell")} each ({options.Seeds} random {Application.Echo.Plural(options.Seeds, "draw")} per task; fit on the other {z.TaskCount - holdOut} tasks, then fold in):"));
            var table = Terminal.Table("method", "RMSE", "+-", "Spearman", $"precision@{result.TopK}", "seconds");
            var errors = Terminal.ColumnFor(Terminal.Scale(result.Methods.Select(m => m.Rmse.Mean)), 4);
            foreach (var m in result.Methods)
            {
                table.Row(m.Name == "example-mean" ? "example-mean (ignores the cells)" : m.Name, errors.Format(m.Rmse.Mean), errors.Format(m.Rmse.Std), Terminal.Num(m.Spearman.Mean, 3), Terminal.Num(m.PrecisionAtK.Mean, 3), Terminal.Num(m.Seconds, 2));
            }

            console.Write(table);
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Whole protocol: {clock.Elapsed.TotalSeconds:F2} s."));
            console.WriteLine();
            var sources = parse.GetValue(matrix) is null && !parse.GetValue(synthetic) ? BundledSources() : null;
            ShowOneTask(console, z, test[0], options, sources);
            if (sources is not null)
            {
                BeforeFineTuning(console, parse.GetValue(seeds));
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static (ForgettingMatrix Matrix, string Title) Load(string? path, bool synthetic, Func<string, ForgettingMatrix> read)
    {
        if (path is not null)
        {
            var z = read(path);
            return (z, string.Create(CultureInfo.InvariantCulture, $"ForgetPredict demo on {path}: {Application.Echo.Shape(z.TaskCount, z.ExampleCount)}."));
        }

        if (synthetic)
        {
            var s = SyntheticForgetting.Generate(new SyntheticOptions());
            return (s.Matrix, "ForgetPredict demo on a synthetic 66 x 10,000 matrix (planted rank 4: fragility x disruptiveness plus 3 group patterns).");
        }

        return (BundledCharlmB(), "ForgetPredict demo on charlm-b: real forgetting of a byte-level LM (47 fine-tunes x 2,400 upstream chunks).");
    }

    // Section 4 (bundled data only): charlm-d, where each task's learning rate, steps and family are known before fine-tuning.
    private static void BeforeFineTuning(IAnsiConsole console, int seeds)
    {
        var assembly = typeof(DemoCommand).Assembly;
        using var npy = assembly.GetManifestResourceStream("charlm-d/z.npy") ?? throw new CliException("The bundled charlm-d matrix is missing from this build.");
        var z = NpyFormat.Read(npy, "charlm-d/z.npy", npy.Length);
        using var tasks = assembly.GetManifestResourceStream("charlm-d/tasks.csv") ?? throw new CliException("The bundled charlm-d task list is missing from this build.");
        var features = FeatureFile.Read(MetadataTable.Read(tasks, "tasks.csv"), z.TaskIds);
        int[] test = [0, 1, 2, 5, 6, 8, 12, 14, 18, 25];
        int[] known = [0, 10, 30];
        IEvaluationMethod[] methods =
        [
            new FoldInMethod("example-mean", ModelCatalog.CreateFitter("example-mean")),
            new FoldInMethod("mf", ModelCatalog.CreateFitter("mf")),
            new FeatureFoldInMethod("mf+features", ModelCatalog.CreateFitter("mf"), features),
        ];
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"5. Before fine-tuning: charlm-d ({z.TaskCount} fine-tunes x {z.ExampleCount:N0} chunks of a 10.9M-parameter byte LM), each task's learning rate, steps and family known in advance. RMSE on {test.Length} held-out tasks ({seeds} draws) against measured cells:"));
        var curve = EvaluationCurve.Run(z, EvaluationSplit.HoldOut(z, test), methods, known, new EvaluationOptions { Seeds = seeds });
        var table = Terminal.Table(["method", .. known.Select(k => k == 0 ? "no cell" : string.Create(CultureInfo.InvariantCulture, $"{k} cells"))]);
        foreach (var m in methods)
        {
            table.Row([m.Name, .. curve.Select(r => Terminal.Num(r.Methods.Single(x => x.Name == m.Name).Rmse.Mean))]);
        }

        console.Write(table);
        if (((FeatureFoldInMethod)methods[2]).LastFeatureModel is { UsesFeatures: true } featureModel)
        {
            console.WriteLine($"Chosen by leave-one-out over the training tasks: {featureModel.Report.Chosen}. With no cell measured, the settings alone predict the row.");
        }
    }

    /// <summary>The charlm-b matrix shipped inside the executable, with its task names.</summary>
    internal static ForgettingMatrix BundledCharlmB()
    {
        var assembly = typeof(DemoCommand).Assembly;
        using var npy = assembly.GetManifestResourceStream("charlm-b/z.npy") ?? throw new CliException("The bundled charlm-b matrix is missing from this build.");
        var z = NpyFormat.Read(npy, "charlm-b/z.npy", npy.Length);
        using var tasks = assembly.GetManifestResourceStream("charlm-b/tasks.csv") ?? throw new CliException("The bundled charlm-b task list is missing from this build.");
        var names = MetadataTable.Read(tasks, "charlm-b/tasks.csv").Column("task");
        return z.WithIds(names, null);
    }

    /// <summary>The pre-training source of each bundled charlm-b chunk.</summary>
    internal static IReadOnlyList<string> BundledSources()
    {
        using var upstream = typeof(DemoCommand).Assembly.GetManifestResourceStream("charlm-b/upstream.csv") ?? throw new CliException("The bundled charlm-b sources are missing from this build.");
        return MetadataTable.Read(upstream, "charlm-b/upstream.csv").Column("source");
    }

    private static void ShowOneTask(IAnsiConsole console, ForgettingMatrix z, int task, EvaluationOptions options, IReadOnlyList<string>? sources)
    {
        var train = z.SelectTasks(Enumerable.Range(0, z.TaskCount).Where(i => i != task).ToArray());
        var model = new LowRankFitter().FitLowRank(train);
        var known = Protocol.Reveal(z, task, 0, options);
        var fold = model.FoldIn(known, known.Select(j => (double)z[task, j]).ToArray());
        var mean = new double[z.ExampleCount];
        var std = new double[z.ExampleCount];
        fold.PredictRow(mean, std);
        var truth = z.Row(task).ToArray().Select(v => (double)v).ToArray();
        var top = Metrics.TopIndices(mean, 8);
        var trueTop = new HashSet<int>(Metrics.TopIndices(truth, 8 * 5));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"3. Task '{z.TaskIds[task]}' (held out, {(known.Length == 0 ? "no cell measured: the average past task" : $"{known.Length} {Application.Echo.Plural(known.Length, "cell")} measured")}): the 8 examples mf predicts it will erase most"));
        var table = sources is null
            ? Terminal.Table("example", "predicted", "+- std", "measured", "in true top 40?")
            : Terminal.Table("example", "source", "predicted", "+- std", "measured", "in true top 40?");
        var values = Terminal.ColumnFor(Terminal.Scale(top.Select(j => mean[j]).Concat(top.Select(j => truth[j]))), 3);
        foreach (var j in top)
        {
            table.Row(sources is null
                ? [z.ExampleIds[j], values.Format(mean[j]), values.Format(std[j]), values.Format(truth[j]), trueTop.Contains(j) ? "yes" : "no"]
                : [z.ExampleIds[j], sources[j], values.Format(mean[j]), values.Format(std[j]), values.Format(truth[j]), trueTop.Contains(j) ? "yes" : "no"]);
        }

        console.Write(table);
        if (sources is null)
        {
            return;
        }

        // Which pre-training sources it erases most: predicted (from the 30 cells) against measured (the whole row).
        var report = ErasureReport.Create(fold, z.ExampleIds, ExampleGroups.FromLabels(sources));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"4. Which pre-training sources will '{z.TaskIds[task]}' erase most? ({(known.Length == 0 ? "predicted from no cell" : $"predicted from the same {known.Length} {Application.Echo.Plural(known.Length, "cell")}")}, against the measured row)"));
        var groups = Terminal.Table("source", "predicted mean", "90% interval", "measured mean");
        foreach (var g in report.Groups)
        {
            var measured = Enumerable.Range(0, z.ExampleCount).Where(j => sources[j] == g.Name).Average(j => truth[j]);
            groups.Row(g.Name, values.Format(g.MeanForgetting), $"{values.Format(g.Lower)} to {values.Format(g.Upper)}", values.Format(measured));
        }

        console.Write(groups);
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ForgetPredict.Application;
using ForgetPredict.Core;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using Spectre.Console;

namespace ForgetPredict.Cli.Commands;

/// <summary>
/// <c>forgetpredict evaluate MATRIX</c>: the published protocol (hold out tasks, reveal K cells, predict the rest), our methods
/// beside the reference ones and any external predictor, scored on the same cells.
/// </summary>
internal static class EvaluateCommand
{
    // The header of an 'evaluate --predictions' file (PredictionSink).
    private const string PredictionsHeader = "method,seed,task,example,predicted,actual,revealed";

    public static Command Create()
    {
        var matrix = CommonOptions.Matrix();
        var testRows = new Option<string?>("--test-rows") { Description = "Test rows by index, comma-separated (e.g. 6,65,18)." };
        var testTasks = new Option<string?>("--test-tasks") { Description = "Test rows by task id, comma-separated." };
        var testFraction = new Option<double?>("--test-fraction") { Description = "Hold out this fraction of tasks at random (default 0.3 when no other split is given)." };
        var splitSeed = new Option<int>("--split-seed") { Description = "Seed of --test-fraction's draw.", DefaultValueFactory = _ => 0 };
        var tasks = new Option<string?>("--tasks") { Description = "Task metadata CSV (id plus a family column) for a family split." };
        var familyColumn = new Option<string>("--family-column") { Description = "Family column of --tasks.", DefaultValueFactory = _ => "family" };
        var trainFamily = new Option<string?>("--train-family") { Description = "Train on this family's tasks (with --tasks; default: every other family's)." };
        var testFamily = new Option<string?>("--test-family") { Description = "Test on this family's tasks (with --tasks): out-of-domain evaluation." };
        var known = new Option<string>("--known") { Description = "Cells revealed per test row; a comma-separated list (e.g. 0,5,10,30) evaluates every method at each (0: no cell, the features alone).", DefaultValueFactory = _ => "30" };
        var taskFeatures = FeatureOptions.Task();
        var taskFeatureColumns = FeatureOptions.TaskColumns();
        var exampleFeatures = FeatureOptions.Example();
        var exampleFeatureColumns = FeatureOptions.ExampleColumns();
        var tasksColumns = TableColumnsOption.For("--tasks", TableColumnsOption.IdRole, "id, else the first column");
        var seeds = CommonOptions.AtLeast("--seeds", 1, 10, "Reveal draws per test row.");
        var seed = new Option<int>("--seed") { Description = "Base seed of the reveal draws.", DefaultValueFactory = _ => 0 };
        var methods = new Option<string?>("--methods")
        {
            Description = $"Comma-separated methods: {string.Join(", ", Evaluating.MethodNames)}. Default: {string.Join(",", Evaluating.DefaultMethods(binary: false))} (binary: {string.Join(",", Evaluating.DefaultMethods(binary: true))}).",
        };
        var binary = new Option<bool>("--binary") { Description = "Score as a binary matrix (F1, precision, recall, ROC-AUC); automatic for 0/1 matrices." };
        var topFraction = new Option<double>("--top-fraction") { Description = "K of precision@K and recall@K as a fraction of the examples.", DefaultValueFactory = _ => 0.01 };
        var external = new Option<string[]>("--external") { Description = "NAME=FILE: another predictor's predictions for the test tasks (matrix file, aligned by task and example id). Repeatable. Every observed test cell needs a prediction (see --allow-partial).", AllowMultipleArgumentsPerToken = false };
        var allowPartial = new Option<bool>("--allow-partial") { Description = "Accept --external files that lack some test cells: every method is then scored on the cells every external covers, and the output says so." };
        var reveal = new Option<string>("--reveal") { Description = "random (the reference) or active (a design chooses the cells to measure; see --active-criterion).", DefaultValueFactory = _ => "random" };
        reveal.AcceptOnlyFromAmong("random", "active");
        var criterion = new Option<string>("--active-criterion")
        {
            Description = "The design behind --reveal active: v-optimal (the error on the rest of the row), d-optimal (the task parameters' posterior determinant), "
                + "group-means (the row's mean forgetting) or neighbours (adaptive: the training tasks that match the cells measured so far).",
            DefaultValueFactory = _ => Choices.Criterion.NameOf(Choices.Criterion.Default),
            HelpName = "criterion",
        };
        criterion.AcceptOnlyFromAmong([.. Choices.Criterion.Names]);
        var revealRng = new Option<string>("--reveal-rng")
        {
            Description = "Random draws: own (a fresh draw per task and seed) or numpy (the reference pipeline's: seed s reveals numpy default_rng(seed + s).choice(N, known), "
                + "the same columns for every test task; --test-fraction then holds out default_rng(split-seed).choice(M, round(f M), replace=False)).",
            DefaultValueFactory = _ => "own",
        };
        revealRng.AcceptOnlyFromAmong("own", "numpy");
        var json = new Option<string?>("--json") { Description = "Write the results as JSON to this file." };
        var predictions = new Option<string?>("--predictions") { Description = "Write every prediction (method, seed, task, example, predicted, actual, revealed) as CSV." };
        var input = new MatrixInputOptions();
        var command = new Command("evaluate", "Run the published evaluation protocol: hold out tasks, reveal K cells of each, predict the rest, score only the unrevealed cells.")
        {
            matrix, testRows, testTasks, testFraction, splitSeed, tasks, familyColumn, trainFamily, testFamily, known, seeds, seed, methods, binary, topFraction,
            external, allowPartial, reveal, criterion, revealRng, json, predictions, taskFeatures, taskFeatureColumns, exampleFeatures, exampleFeatureColumns, tasksColumns,
        };
        foreach (var option in input.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var z = input.Read(parse, parse.GetRequiredValue(matrix));
            var numpy = parse.GetValue(revealRng) == "numpy";
            var split = Split(parse, z, testRows, testTasks, testFraction, splitSeed, (tasks, tasksColumns), familyColumn, trainFamily, testFamily, numpy);
            var partial = parse.GetValue(allowPartial);
            var externalFiles = (parse.GetValue(external) ?? []).Select(spec => External(spec, z, split.TestRows, partial)).ToArray();
            var externals = externalFiles.Select(e => e.Predictions).ToArray();
            var console = Terminal.For(parse.Out());
            var coverageNotes = externalFiles.Where(e => e.Coverage.Missing > 0).Select(e => e.Coverage.Describe(e.Predictions.Name)).ToArray();
            var ks = FeatureOptions.KnownList(parse.GetValue(known)!);
            if (ks.Count > 1 && parse.GetValue(predictions) is not null)
            {
                throw new CliException("--predictions writes the predictions of one --known value; give a single value (e.g. --known 10).", CliApp.UsageError);
            }

            var features = FeatureOptions.Read(parse, (taskFeatures, taskFeatureColumns), (exampleFeatures, exampleFeatureColumns), z);
            // Every output or none: --predictions and --json are renamed into place together once both are written.
            using var outputs = AtomicFile.Together();
            using var sink = parse.GetValue(predictions) is { } predictionsPath ? new PredictionSink(predictionsPath, z) : null;
            var request = new EvaluateRequest
            {
                Matrix = z,
                Source = parse.GetRequiredValue(matrix),
                Split = split,
                Methods = parse.GetValue(methods) is { } list ? Names(list) : null,
                Options = new EvaluationOptions
                {
                    Known = ks[0],
                    Seeds = parse.GetValue(seeds),
                    Seed = parse.GetValue(seed),
                    TopFraction = parse.GetValue(topFraction),
                    Binary = parse.GetValue(binary) ? true : null,
                    Reveal = parse.GetValue(reveal) == "active" ? RevealStrategy.Active : RevealStrategy.Random,
                    RevealRandom = numpy ? RevealRandom.Numpy : RevealRandom.Own,
                    ActiveCriterion = Choices.Criterion.Parse(parse.GetValue(criterion)),
                },
                Externals = externals,
                OnPrediction = sink is null ? null : sink.Write,
                TaskFeatures = features.Tasks,
                ExampleFeatures = features.Examples,
            };
            if (ks.Count > 1)
            {
                var curve = Evaluating.EvaluateCurve(request, ks);
                foreach (var r in curve)
                {
                    Render(console, r, z, coverageNotes);
                }

                FeatureOptions.RenderCurve(console, curve);
                if (parse.GetValue(json) is { } curveJson)
                {
                    AtomicFile.Write(curveJson, stream => WriteCurveJson(stream, curve, z));
                }

                outputs.Commit();

                return CliApp.Ok;
            }

            var result = RunWithProgress(console, request, MachineProgress.For(parse.Err()));
            sink?.Commit();
            Render(console, result, z, coverageNotes);
            if (parse.GetValue(json) is { } jsonPath)
            {
                AtomicFile.Write(jsonPath, stream => WriteJson(stream, result, z));
            }

            outputs.Commit();

            return CliApp.Ok;
        });
        return command;
    }

    private static EvaluationResult RunWithProgress(IAnsiConsole console, EvaluateRequest request, MachineProgress? machine)
    {
        // A progress bar only on an interactive terminal; redirected output stays quiet unless FORGETPREDICT_PROGRESS=json.
        if (!console.Profile.Capabilities.Interactive)
        {
            var quiet = Evaluating.Evaluate(machine is null ? request : request with { Progress = machine.ForMethods(request.MethodNames) });
            machine?.Report("done", 1);
            return quiet;
        }

        EvaluationResult? result = null;
        console.Progress().AutoClear(true).Start(context =>
        {
            var tasks = Evaluating.Methods(request).ToDictionary(m => m.Name, m => context.AddTask(Markup.Escape(m.Name), maxValue: 1));
            var progress = new Progress<(string Method, double Fraction)>(p => tasks[p.Method].Value = p.Fraction);
            result = Evaluating.Evaluate(request with { Progress = progress });
        });
        return result!;
    }

    private static string[] Names(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw new CliException("--methods lists no method.", CliApp.UsageError);
        }

        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new CliException($"--methods lists '{duplicate.Key}' twice.", CliApp.UsageError);
        }

        var unknown = names.FirstOrDefault(n => !Evaluating.MethodNames.Contains(n));
        return unknown is null ? names : throw new CliException(Evaluating.UnknownMethodMessage(unknown), CliApp.UsageError);
    }

    private static EvaluationSplit Split(ParseResult parse, ForgettingMatrix z, Option<string?> testRows, Option<string?> testTasks, Option<double?> testFraction, Option<int> splitSeed,
        (Option<string?> Files, Option<string[]?> Columns) tasks, Option<string> familyColumn, Option<string?> trainFamily, Option<string?> testFamily, bool numpy)
    {
        var given = new[] { parse.GetValue(testRows) is not null, parse.GetValue(testTasks) is not null, parse.GetValue(testFraction) is not null, parse.GetValue(tasks.Files) is not null }.Count(x => x);
        if (given > 1)
        {
            throw new CliException("Choose one split: --test-rows, --test-tasks, --test-fraction, or --tasks with --test-family (and --train-family).", CliApp.UsageError);
        }

        if (parse.GetValue(testRows) is { } rows)
        {
            var indices = rows.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r =>
                int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < z.TaskCount ? i
                    : throw new CliException($"--test-rows: '{r}' is not a row index in 0..{z.TaskCount - 1}.")).ToArray();
            return EvaluationSplit.HoldOut(z, indices);
        }

        if (parse.GetValue(testTasks) is { } ids)
        {
            var indices = ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(id =>
                z.TaskIds.IndexOf(id) is var i && i >= 0 ? i : throw new CliException($"--test-tasks: task '{id}' is not in the matrix{Suggestion.DidYouMean(id, z.TaskIds)}.")).ToArray();
            return EvaluationSplit.HoldOut(z, indices);
        }

        if (parse.GetValue(tasks.Files) is { } metadataPath)
        {
            var test = parse.GetValue(testFamily) ?? throw new CliException("--tasks needs --test-family (and --train-family, else every other family trains).", CliApp.UsageError);
            var train = parse.GetValue(trainFamily);
            var families = TaskFamilies(metadataPath, parse.Id(tasks.Columns), parse.GetValue(familyColumn)!, z, parse.Err());
            var trainRows = Enumerable.Range(0, z.TaskCount).Where(i => train is null ? families[i] is not null && families[i] != test : families[i] == train).ToArray();
            var testRowsByFamily = Enumerable.Range(0, z.TaskCount).Where(i => families[i] == test).ToArray();
            var known = families.Where(f => f is not null).Distinct().Order(StringComparer.Ordinal).ToArray();
            if (testRowsByFamily.Length == 0 || (train is not null && trainRows.Length == 0))
            {
                throw new CliException($"family '{(testRowsByFamily.Length == 0 ? test : train)}' has no tasks in the matrix; families: {string.Join(", ", known)}.");
            }

            if (trainRows.Length == 0)
            {
                throw new CliException($"every task of the matrix is of family '{test}', so none is left to train on; families: {string.Join(", ", known)}.");
            }

            return new EvaluationSplit(trainRows, testRowsByFamily);
        }

        var fraction = parse.GetValue(testFraction) ?? 0.3;
        if (!(fraction > 0 && fraction < 1))
        {
            throw new CliException("--test-fraction must be in (0, 1).", CliApp.UsageError);
        }

        var count = Math.Clamp((int)Math.Round(fraction * z.TaskCount), 1, Math.Max(z.TaskCount - 1, 1));
        if (numpy)
        {
            return parse.GetValue(splitSeed) is var s && s >= 0 ? EvaluationSplit.HoldOut(z, NumpyReveal.TestRows(z.TaskCount, count, s))
                : throw new CliException("--split-seed must be >= 0 with --reveal-rng numpy.", CliApp.UsageError);
        }

        var random = new Random(parse.GetValue(splitSeed));
        var chosen = Enumerable.Range(0, z.TaskCount).OrderBy(_ => random.Next()).Take(count).Order().ToArray();
        return EvaluationSplit.HoldOut(z, chosen);
    }

    // The family of each matrix task from a metadata table joined by task id; mismatches are reported as a warning.
    private static string?[] TaskFamilies(string path, string? idColumn, string column, ForgettingMatrix z, TextWriter warnings)
    {
        var table = MetadataTable.Read(path, idColumn);
        var join = table.Join(z.TaskIds, "task");
        if (!join.IsComplete || join.UnusedCount > 0)
        {
            warnings.WriteLine($"warning: {join.Summary()}{TableColumnsOption.IdColumnHint(table, join.MatchedCount, "--tasks-columns")}");
        }

        return [.. join.Column(column)];
    }

    // Another predictor's predictions aligned to the test rows (by task and example id), with how many observed test cells
    // they cover. Missing cells (an absent task or example, or a NaN) are refused unless partial coverage is allowed.
    private static (ExternalPredictions Predictions, ExternalCoverage Coverage) External(string spec, ForgettingMatrix z, int[] testRows, bool allowPartial)
    {
        var cut = spec.IndexOf('=', StringComparison.Ordinal);
        if (cut <= 0 || cut == spec.Length - 1)
        {
            throw new CliException($"--external '{spec}': expected NAME=FILE.", CliApp.UsageError);
        }

        var name = spec[..cut];
        var path = spec[(cut + 1)..];
        if (IsPredictionsFile(path))
        {
            throw new ForgettingDataException(path,
                "is an 'evaluate --predictions' file (every method's predictions of every draw), not one predictor's predictions. Keep one method's rows of one seed as task,example,value (in pandas: p[(p.method == \"mf\") & (p.seed == 0)][[\"task\", \"example\", \"predicted\"]].rename(columns={\"predicted\": \"value\"}).to_csv(F, index=False)) and pass that file.");
        }

        var other = MatrixFile.Read(path);
        var rows = new double[testRows.Length][];
        var columns = new int[z.ExampleCount];
        var matched = 0;
        for (var j = 0; j < z.ExampleCount; j++)
        {
            columns[j] = other.ExampleIds.IndexOf(z.ExampleIds[j]);
            matched += columns[j] >= 0 ? 1 : 0;
        }

        if (matched == 0)
        {
            throw new ForgettingDataException(path, $"none of its {other.ExampleCount} example ids match the matrix's (first: '{other.ExampleIds[0]}' vs '{z.ExampleIds[0]}').");
        }

        var coverage = new ExternalCoverage(path, testRows.Length);
        for (var t = 0; t < testRows.Length; t++)
        {
            var id = z.TaskIds[testRows[t]];
            var row = other.TaskIds.IndexOf(id);
            rows[t] = new double[z.ExampleCount];
            for (var j = 0; j < z.ExampleCount; j++)
            {
                rows[t][j] = row < 0 || columns[j] < 0 ? double.NaN : other[row, columns[j]];
                if (!float.IsNaN(z[testRows[t], j]))
                {
                    coverage.Count(id, z.ExampleIds[j], !double.IsNaN(rows[t][j]));
                }
            }
        }

        if (coverage.Missing > 0 && !allowPartial)
        {
            throw new ForgettingDataException(path, coverage.Refusal());
        }

        return (new ExternalPredictions(name, rows), coverage);
    }

    // An 'evaluate --predictions' file, given as an external predictor: read as a matrix, its method names became task ids.
    private static bool IsPredictionsFile(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            var buffer = new char[64];
            var read = reader.ReadBlock(buffer, 0, buffer.Length);
            return new string(buffer, 0, read).StartsWith(PredictionsHeader, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;   // MatrixFile.Read names the problem
        }
    }

    /// <summary>How many of the test tasks' observed cells an external file predicts, and the first one it lacks.</summary>
    private sealed class ExternalCoverage(string path, int testTasks)
    {
        private (string Task, string Example)? _firstMissing;

        public long Cells { get; private set; }

        public long Missing { get; private set; }

        public void Count(string task, string example, bool covered)
        {
            Cells++;
            if (!covered)
            {
                Missing++;
                _firstMissing ??= (task, example);
            }
        }

        public string Refusal() => string.Create(CultureInfo.InvariantCulture,
            $"has predictions for {Cells - Missing:N0} of the {Cells:N0} observed cells of the {testTasks} test tasks; {Missing:N0} are missing (e.g. task '{_firstMissing?.Task}', example '{_firstMissing?.Example}'), so every method would be scored on fewer cells. Give a prediction for every test cell (by task and example id), or pass --allow-partial to score every method on the cells every external covers.");

        public string Describe(string name) => string.Create(CultureInfo.InvariantCulture,
            $"--allow-partial: {name} ({path}) covers {Cells - Missing:N0} of the {Cells:N0} observed test cells ({Missing:N0} missing, e.g. task '{_firstMissing?.Task}', example '{_firstMissing?.Example}'); every method is scored only on the cells every external covers.");
    }

    private static void Render(IAnsiConsole console, EvaluationResult r, ForgettingMatrix z, IReadOnlyList<string> coverageNotes)
    {
        var o = r.Options;
        var all = r.Methods.Concat(r.Externals.Select(e => e.Result)).ToArray();
        var cells = all.Select(m => CellsPerSeed(m, o.Seeds)).ToArray();
        var same = cells.All(c => c == cells[0]);
        var perSeed = all.Length == 0 ? [] : all[0].Rows.GroupBy(row => row.Seed).Select(g => g.Sum(row => row.Cells)).ToArray();
        var count = perSeed.Length > 0 && perSeed.Min() != perSeed.Max()
            ? string.Create(CultureInfo.InvariantCulture, $"{perSeed.Min():N0}-{perSeed.Max():N0} (mean {cells[0]:N0})")
            : string.Create(CultureInfo.InvariantCulture, $"{cells[0]:N0}");
        var scored = same ? $"{count} unrevealed cells per seed, the same for every method" : "unrevealed cells (column 'cells': per seed, the mean)";
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{z.TaskCount} tasks x {z.ExampleCount} examples; {r.TrainRows.Length} train / {r.TestRows.Length} test tasks; {o.Known} {(o.Reveal == RevealStrategy.Active ? "actively chosen" : o.RevealRandom == RevealRandom.Numpy ? "numpy-drawn" : "random")} cells revealed; {o.Seeds} seeds; scores on {scored} (mean over seeds)"));
        foreach (var note in coverageNotes)
        {
            console.WriteLine(note);
        }

        var columns = new List<string> { "method", "RMSE", "+-", "MAE", "Spearman", $"P@{r.TopK}" };
        if (r.Binary)
        {
            columns.AddRange(["F1", "precision", "recall", "AUC"]);
        }

        if (!same)
        {
            columns.Add("cells");
        }

        columns.Add("seconds");
        var table = Terminal.Table([.. columns]);
        var decimals = Terminal.Decimals(Terminal.Scale(all.Select(m => m.Rmse.Mean)), 4);
        foreach (var m in all)
        {
            var row = new List<string> { m.Name, Terminal.Num(m.Rmse.Mean, decimals), Terminal.Num(m.Rmse.Std, decimals), Terminal.Num(m.Mae.Mean, decimals), Terminal.Num(m.Spearman.Mean, 3), Terminal.Num(m.PrecisionAtK.Mean, 3) };
            if (r.Binary)
            {
                row.AddRange([Terminal.Num(m.F1!.Mean, 3), Terminal.Num(m.Precision!.Mean, 3), Terminal.Num(m.Recall!.Mean, 3), Terminal.Num(m.Auc!.Mean, 3)]);
            }

            if (!same)
            {
                row.Add(Terminal.Count(CellsPerSeed(m, o.Seeds)));
            }

            row.Add(r.Externals.Any(e => e.Result == m) ? "-" : Terminal.Num(m.Seconds, 2));
            table.Row([.. row]);
        }

        console.Write(table);
        foreach (var e in r.Externals)
        {
            console.WriteLine($"{e.Result.Name} vs our methods (RMSE over all seeds' cells pooled, its difference; paired bootstrap over test tasks, 95% interval; negative = {e.Result.Name} better):");
            foreach (var c in e.Comparisons)
            {
                console.WriteLine($"  vs {c.Other}: {Signed(c.Difference, decimals)} [{Signed(c.Lower, decimals)}, {Signed(c.Upper, decimals)}]");
            }
        }
    }

    // A difference with its sign, at the table's decimals; one that rounds to zero is 0 (not "-+0.0000").
    private static string Signed(double value, int decimals)
    {
        var rounded = Math.Round(value, decimals);
        var digits = new string('0', decimals);
        return rounded == 0 ? Terminal.Num(0, decimals) : rounded.ToString($"+0.{digits};-0.{digits}", CultureInfo.InvariantCulture);
    }

    // The cells a method was scored on, per seed (the mean when seeds differ; every method scores the same cells unless it
    // left some without a prediction).
    private static long CellsPerSeed(MethodResult m, int seeds) => (long)Math.Round((double)m.Rows.Sum(r => r.Cells) / Math.Max(seeds, 1));

    internal static void WriteJson(Stream stream, EvaluationResult r, ForgettingMatrix z)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        WriteResult(w, r, z);
    }

    // Several k: {"curve": [one result object per k]}.
    private static void WriteCurveJson(Stream stream, IReadOnlyList<EvaluationResult> results, ForgettingMatrix z)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartArray("curve");
        foreach (var r in results)
        {
            WriteResult(w, r, z);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter w, EvaluationResult r, ForgettingMatrix z)
    {
        w.WriteStartObject();
        w.WriteNumber("rows", r.TaskCount);
        w.WriteNumber("cols", r.ExampleCount);
        w.WriteNumber("known", r.Options.Known);
        w.WriteNumber("seeds", r.Options.Seeds);
        w.WriteString("reveal", r.Options.Reveal == RevealStrategy.Active ? "active" : "random");
        if (r.Options.Reveal == RevealStrategy.Active)
        {
            w.WriteString("active_criterion", Choices.Criterion.NameOf(r.Options.ActiveCriterion));
        }
        w.WriteString("reveal_rng", r.Options.RevealRandom == RevealRandom.Numpy ? "numpy" : "own");
        w.WriteBoolean("binary", r.Binary);
        w.WriteNumber("top_k", r.TopK);
        w.WriteStartArray("test_tasks");
        foreach (var row in r.TestRows)
        {
            w.WriteStringValue(z.TaskIds[row]);
        }

        w.WriteEndArray();
        w.WriteNumber("train_tasks", r.TrainRows.Length);
        w.WriteStartArray("methods");
        foreach (var m in r.Methods)
        {
            WriteMethod(w, m, r.Binary, includeSeconds: true);
        }

        w.WriteEndArray();
        w.WriteStartArray("external");
        foreach (var e in r.Externals)
        {
            w.WriteStartObject();
            WriteMetrics(w, e.Result, r.Binary, includeSeconds: false);
            w.WriteStartArray("vs");
            foreach (var c in e.Comparisons)
            {
                w.WriteStartObject();
                w.WriteString("method", c.Other);
                JsonOut.Number(w, "rmse_difference", c.Difference);
                JsonOut.Number(w, "ci_low", c.Lower);
                JsonOut.Number(w, "ci_high", c.Upper);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMethod(Utf8JsonWriter w, MethodResult m, bool binary, bool includeSeconds)
    {
        w.WriteStartObject();
        WriteMetrics(w, m, binary, includeSeconds);
        w.WriteEndObject();
    }

    private static void WriteMetrics(Utf8JsonWriter w, MethodResult m, bool binary, bool includeSeconds)
    {
        w.WriteString("name", m.Name);
        w.WriteNumber("cells_per_seed", CellsPerSeed(m, m.Rmse.PerSeed.Length));
        Summary(w, "rmse", m.Rmse);
        Summary(w, "mae", m.Mae);
        Summary(w, "spearman", m.Spearman);
        Summary(w, "precision_at_k", m.PrecisionAtK);
        Summary(w, "recall_at_k", m.RecallAtK);
        foreach (var (name, summary) in new[] { ("f1", m.F1), ("precision", m.Precision), ("recall", m.Recall), ("auc", m.Auc) })
        {
            if (binary && summary is not null)
            {
                Summary(w, name, summary);
            }
            else
            {
                w.WriteNull(name);
            }
        }

        if (includeSeconds)
        {
            w.WriteNumber("seconds", m.Seconds);
        }
    }

    private static void Summary(Utf8JsonWriter w, string name, MetricSummary s)
    {
        JsonOut.Number(w, name, s.Mean);
        JsonOut.Number(w, name + "_std", s.Std);
    }

    /// <summary>Streams every prediction to a CSV file written atomically.</summary>
    private sealed class PredictionSink(string path, ForgettingMatrix z) : IDisposable
    {
        private readonly AtomicFileWriter _file = AtomicFile.Open(path);
        private StreamWriter? _writer;

        public void Write(PredictionRecord record)
        {
            var writer = Writer();
            var revealed = new HashSet<int>(record.Known);
            var task = CsvText.Field(z.TaskIds[record.Row]);
            var method = CsvText.Field(record.Method);
            var line = new StringBuilder();
            for (var j = 0; j < record.Predicted.Length; j++)
            {
                line.Clear().Append(method).Append(',').Append(record.Seed.ToString(CultureInfo.InvariantCulture)).Append(',').Append(task).Append(',')
                    .Append(CsvText.Field(z.ExampleIds[j])).Append(',').Append(CsvText.Number(record.Predicted[j])).Append(',')
                    .Append(CsvText.Number(z[record.Row, j])).Append(',').Append(revealed.Contains(j) ? "true" : "false").Append('\n');
                writer.Write(line);
            }
        }

        public void Commit()
        {
            Writer().Dispose();
            _writer = null;
            _file.Commit();
        }

        private StreamWriter Writer()
        {
            if (_writer is null)
            {
                _writer = new StreamWriter(_file.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                _writer.Write(PredictionsHeader + "\n");
            }

            return _writer;
        }

        public void Dispose()
        {
            try
            {
                // Flushes what is buffered; on a full disk that throws again while the first error unwinds: the file is discarded anyway.
                _writer?.Dispose();
            }
            catch (ForgettingDataException)
            {
            }
            finally
            {
                _file.Dispose();
            }
        }
    }
}

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
    public static Command Create()
    {
        var matrix = CommonOptions.Matrix();
        var testRows = new Option<string?>("--test-rows") { Description = "Test rows by index, comma-separated (e.g. 6,65,18)." };
        var testTasks = new Option<string?>("--test-tasks") { Description = "Test rows by task id, comma-separated." };
        var testFraction = new Option<double?>("--test-fraction") { Description = string.Create(CultureInfo.InvariantCulture, $"Hold out this fraction of tasks at random (default {Application.SplitRequest.DefaultTestFraction} when no other split is given).") };
        var splitSeed = new Option<int?>("--split-seed") { Description = "Seed of --test-fraction's draw (default 0); only a random split has one." };
        var tasks = new Option<string?>("--tasks") { Description = "Task metadata (CSV, TSV or Parquet: an id column plus a family column) for a family split." };
        var familyColumn = new Option<string>("--family-column") { Description = "Family column of --tasks.", DefaultValueFactory = _ => "family" };
        var trainFamily = new Option<string?>("--train-family") { Description = "Train on this family's tasks (with --tasks; default: every other family's)." };
        var testFamily = new Option<string?>("--test-family") { Description = "Test on this family's tasks (with --tasks): out-of-domain evaluation." };
        var known = new Option<string>("--known") { Description = "Cells revealed per test row; a comma-separated list (e.g. 0,5,10,30) evaluates every method at each (0: no cell, the features alone).", DefaultValueFactory = _ => EvaluationOptions.DefaultKnown.ToString(CultureInfo.InvariantCulture) };
        var taskFeatures = FeatureOptions.Task();
        var taskFeatureColumns = FeatureOptions.TaskColumns();
        var exampleFeatures = FeatureOptions.Example();
        var exampleFeatureColumns = FeatureOptions.ExampleColumns();
        var tasksColumns = TableColumnsOption.For("--tasks", TableColumnsOption.IdRole, "id, else the first column");
        var seeds = CommonOptions.AtLeast("--seeds", 1, EvaluationOptions.DefaultSeeds, "Reveal draws per test row.");
        var seed = new Option<int>("--seed") { Description = "Base seed of the reveal draws.", DefaultValueFactory = _ => 0 };
        var methods = new Option<string?>("--methods")
        {
            Description = $"Comma-separated methods: {string.Join(", ", Evaluating.MethodNames)}. Default: {string.Join(",", Evaluating.DefaultMethods(binary: false))} (binary: {string.Join(",", Evaluating.DefaultMethods(binary: true))}).",
        };
        var binary = new Option<bool>("--binary") { Description = "Score as a binary matrix (F1, precision, recall, ROC-AUC), as every 0/1 matrix is; a matrix with other values is refused (threshold it first)." };
        var topFraction = new Option<double>("--top-fraction") { Description = "K of precision@K and recall@K as a fraction of the examples.", DefaultValueFactory = _ => EvaluationOptions.DefaultTopFraction };
        var threshold = new Option<double>("--threshold")
        {
            Description = "Binary matrices: the classification threshold on the predictions for F1, precision and recall (a prediction above it counts as forgotten): "
                + "0.5 for probabilities (the default; --external values must then lie in [0, 1]), 0 for logits (any finite value). Not predict's forgetting threshold; refused on a non-binary matrix.",
            DefaultValueFactory = _ => EvaluationOptions.DefaultThreshold,
        };
        var external = new Option<string[]>("--external")
        {
            Description = "NAME=FILE: another predictor's predictions for the test tasks (matrix file, aligned by task and example id). Repeatable. A predictor that uses the revealed cells "
                + "gives one file per draw and/or k: FILE with {draw} (the draw's index 0, 1, ..., as the predictions file's seed column) and/or {k} (the known cells), e.g. lm-{draw}-{k}.csv. "
                + "Every cell to be scored needs a prediction (see --allow-partial).",
            AllowMultipleArgumentsPerToken = false,
        };
        var allowPartial = new Option<bool>("--allow-partial") { Description = "Accept --external files that lack some of the cells to be scored: every method is then scored on the cells every external covers, and the output says so." };
        var threads = CommonOptions.Threads();
        var prior = ForecastOptions.CreatePrior();
        var reveal = new Option<string>("--reveal") { Description = "random (the reference) or active (a design chooses the cells to measure; see --active-criterion).", DefaultValueFactory = _ => Choices.Reveal.NameOf(Choices.Reveal.Default) };
        reveal.OneOf(Choices.Reveal);
        var criterion = new Option<string>("--active-criterion")
        {
            Description = "The design behind --reveal active: v-optimal (the error on the rest of the row), d-optimal (the task parameters' posterior determinant), "
                + "group-means (the row's mean forgetting) or neighbours (adaptive: the training tasks that match the cells measured so far).",
            DefaultValueFactory = _ => Choices.Criterion.NameOf(Choices.Criterion.Default),
            HelpName = "criterion",
        };
        criterion.OneOf(Choices.Criterion);
        var revealRng = new Option<string>("--reveal-rng")
        {
            Description = "Random draws: own (a fresh draw per task and seed) or numpy (the reference pipeline's: seed s reveals numpy default_rng(seed + s).choice(N, known), "
                + "the same columns for every test task; --test-fraction then holds out default_rng(split-seed).choice(M, round(f M), replace=False)).",
            DefaultValueFactory = _ => Choices.RevealRng.NameOf(Choices.RevealRng.Default),
        };
        revealRng.OneOf(Choices.RevealRng);
        var json = new Option<string?>("--json") { Description = "Write the results as JSON to this file." };
        var predictions = new TableOutputOption<string?>("--predictions") { Description = "Write every prediction (method, seed, task, example, predicted, actual, revealed) to this table (.csv, .tsv, .json or .parquet); with one --known value." };
        var input = new MatrixInputOptions();
        var command = new Command("evaluate", "Run the published evaluation protocol: hold out tasks, reveal K cells of each, predict the rest, score only the unrevealed cells.")
        {
            matrix, testRows, testTasks, testFraction, splitSeed, tasks, familyColumn, trainFamily, testFamily, known, seeds, seed, methods, binary, threshold, topFraction,
            external, allowPartial, reveal, criterion, revealRng, json, predictions, taskFeatures, taskFeatureColumns, exampleFeatures, exampleFeatureColumns, tasksColumns, threads, prior,
        };
        foreach (var option in input.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var matrixPath = parse.GetRequiredValue(matrix);
            var predictionsFormat = parse.GetValue(predictions) is { } named ? PredictionSink.FormatOf(named) : null;
            var z = input.Read(parse, matrixPath);
            var ks = FeatureOptions.KnownList(parse.GetValue(known)!);
            if (ks.Count > 1 && parse.GetValue(predictions) is not null)
            {
                throw new CliException("--predictions writes the predictions of one --known value; give a single value (e.g. --known 10).", CliApp.UsageError);
            }

            var split = SplitRequest(parse, z, testRows, testTasks, testFraction, splitSeed, (tasks, tasksColumns), familyColumn, trainFamily, testFamily);
            var externalFiles = (parse.GetValue(external) ?? []).Select(ExternalFile).ToArray();
            var console = Terminal.For(parse.Out());
            var features = FeatureOptions.Read(parse, (taskFeatures, taskFeatureColumns), (exampleFeatures, exampleFeatureColumns), z);
            // Every output or none: --predictions and --json are renamed into place together once both are written.
            using var outputs = AtomicFile.Together();
            using var sink = parse.GetValue(predictions) is { } predictionsPath ? new PredictionSink(predictionsPath, z, predictionsFormat!) : null;
            var request = new EvaluateRequest
            {
                Matrix = z,
                Source = matrixPath,
                InputPath = matrixPath,
                SplitBy = split,
                Methods = parse.GetValue(methods) is { } list ? Names(list) : null,
                Known = ks,
                Options = new EvaluationOptions
                {
                    Known = ks[0],
                    Seeds = parse.GetValue(seeds),
                    Seed = parse.GetValue(seed),
                    TopFraction = parse.GetValue(topFraction),
                    Threshold = parse.GetValue(threshold),
                    Binary = parse.GetValue(binary) ? true : null,
                    Reveal = Choices.Reveal.Parse(parse.GetValue(reveal)),
                    RevealRandom = Choices.RevealRng.Parse(parse.GetValue(revealRng)),
                    ActiveCriterion = Choices.Criterion.Parse(parse.GetValue(criterion)),
                    MaxThreads = parse.GetValue(threads),
                },
                ExternalFiles = externalFiles,
                Outputs = [.. new[] { (EvaluateOptionNames.ResultsFile, parse.GetValue(json)), (EvaluateOptionNames.PredictionsFile, parse.GetValue(predictions)) }
                    .Where(o => o.Item2 is not null).Select(o => new EvaluationOutput(o.Item1, o.Item2!))],
                AllowPartial = parse.GetValue(allowPartial),
                Prior = Choices.Prior.Parse(parse.GetValue(prior)),
                OnPrediction = sink is null ? null : sink.Write,
                TaskFeatures = features.Tasks,
                ExampleFeatures = features.Examples,
            };
            var plan = Plan(request);
            foreach (var warning in plan.Warnings)
            {
                parse.Err().WriteLine($"warning: {CliApp.Flags.Describe(warning)}");
            }

            var report = RunWithProgress(console, plan, MachineProgress.For(parse.Err()));
            sink?.Commit();

            // What the run itself found (a default method left out); the plan's warnings were printed before it.
            foreach (var warning in report.Warnings.Skip(plan.Warnings.Count))
            {
                parse.Err().WriteLine($"warning: {CliApp.Flags.Describe(warning)}");
            }

            var coverageNotes = report.Settings.Externals.Where(e => e.PartialNote is not null).Select(e => CliApp.Flags.Describe(e.PartialNote!)).ToArray();
            foreach (var result in report.Results)
            {
                Render(console, result, z, coverageNotes, request.Prior);
            }

            if (ks.Count > 1)
            {
                FeatureOptions.RenderCurve(console, report.Results);
            }

            if (parse.GetValue(json) is { } jsonPath)
            {
                AtomicFile.Write(jsonPath, stream => WriteJson(stream, report, z));
            }

            outputs.Commit();
            return CliApp.Ok;
        });
        return command;
    }

    // The library checks the request before anything is fitted; a setting it cannot use is a usage error, worded with the flags.
    private static EvaluationPlan Plan(EvaluateRequest request)
    {
        try
        {
            return Evaluating.Plan(request);
        }
        catch (Core.OptionException e)
        {
            throw new CliException(CliApp.Flags.Describe(e), CliApp.UsageError);
        }
    }

    private static EvaluationReport RunWithProgress(IAnsiConsole console, EvaluationPlan plan, MachineProgress? machine)
    {
        // A progress bar only on an interactive terminal; redirected output stays quiet unless FORGETPREDICT_PROGRESS=json.
        var names = plan.Methods.Select(m => m.Name).ToArray();
        if (!console.Profile.Capabilities.Interactive)
        {
            var quiet = Evaluating.Run(plan, machine?.ForMethods(names));
            machine?.Report("done", 1);
            return quiet;
        }

        EvaluationReport? report = null;
        console.Progress().AutoClear(true).Start(context =>
        {
            var tasks = names.ToDictionary(name => name, name => context.AddTask(Markup.Escape(name), maxValue: 1));
            var progress = new Progress<(string Method, double Fraction)>(p => tasks[p.Method].Value = p.Fraction);
            report = Evaluating.Run(plan, progress);
        });
        return report!;
    }

    // NAME=FILE; FILE may hold {draw} and {k}.
    private static ExternalFile ExternalFile(string spec)
    {
        var cut = spec.IndexOf('=', StringComparison.Ordinal);
        return cut <= 0 || cut == spec.Length - 1
            ? throw new CliException($"--external '{spec}': expected NAME=FILE (FILE may hold {Application.ExternalFile.DrawPlaceholder} and {Application.ExternalFile.KnownPlaceholder}: one file per draw and k).", CliApp.UsageError)
            : new ExternalFile(spec[..cut], spec[(cut + 1)..]);
    }

    private static string[] Names(string list)
    {
        var names = FeatureOptions.ListItems(list, "--methods");
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

    // The split the flags ask for; the library applies its rules (one split, a seed only for a random one, rows in range).
    private static SplitRequest SplitRequest(ParseResult parse, ForgettingMatrix z, Option<string?> testRows, Option<string?> testTasks, Option<double?> testFraction, Option<int?> splitSeed,
        (Option<string?> Files, Option<string[]?> Columns) tasks, Option<string> familyColumn, Option<string?> trainFamily, Option<string?> testFamily)
    {
        var rows = (parse.GetValue(testRows) is { } rowList ? FeatureOptions.ListItems(rowList, "--test-rows") : null)?.Select(r =>
            int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i
                : throw new CliException($"--test-rows: '{r}' is not a row index in 0..{z.TaskCount - 1} (to name tasks by id, use --test-tasks).", CliApp.UsageError)).ToArray();
        var ids = parse.GetValue(testTasks) is { } idList ? FeatureOptions.ListItems(idList, "--test-tasks") : null;
        var test = parse.GetValue(testFamily);
        // --family-column and --tasks-columns without --tasks are refused before the command runs (Companions).
        // The metadata is read only for a split that uses it: without --test-family the library refuses --tasks anyway.
        var (families, familyWarnings) = parse.GetValue(tasks.Files) is { } metadataPath
            ? test is null ? ([], []) : TaskFamilies(metadataPath, parse.Id(tasks.Columns), parse.GetValue(familyColumn)!, z)
            : ((string?[]?)null, (OptionMessage[])[]);
        return new SplitRequest
        {
            TestRows = rows,
            TestTasks = ids,
            TestFraction = parse.GetValue(testFraction),
            SplitSeed = parse.GetValue(splitSeed),
            Families = families,
            TestFamily = test,
            TrainFamily = parse.GetValue(trainFamily),
            FamilyWarnings = familyWarnings,
        };
    }

    // The family of each matrix task from a metadata table joined by task id; mismatches are a warning, said with the split's.
    private static (string?[] Families, OptionMessage[] Warnings) TaskFamilies(string path, string? idColumn, string column, ForgettingMatrix z)
    {
        var table = MetadataTable.Read(path, idColumn);
        table.RequireNamedColumn(column, "to read the task families from (--family-column)");
        var join = table.Join(z.TaskIds, "task");
        join.RequireAny();
        OptionMessage[] warnings = !join.IsComplete || join.UnusedCount > 0
            ? [OptionMessage.Of($"{join.Summary()}{TableColumnsOption.IdColumnHint(join.IdColumn, join.MatchedCount, "--tasks-columns")}")]
            : [];
        return ([.. join.Column(column)], warnings);
    }

    private static void Render(IAnsiConsole console, EvaluationResult r, ForgettingMatrix z, IReadOnlyList<string> coverageNotes, FoldInPrior prior)
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
            $"{Echo.Shape(z.TaskCount, z.ExampleCount)}; {r.TrainRows.Length} train / {r.TestRows.Length} test tasks; {Revealed(r)}{(prior == FoldInPrior.Empirical ? string.Empty : $", folded in with the {Choices.Prior.NameOf(prior)} prior")}; {o.Seeds} {(o.Seeds == 1 ? "seed" : "seeds")}; scores on {scored} (mean over seeds)"));
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
        var column = Terminal.ColumnFor(Terminal.Scale(all.Select(m => m.Rmse.Mean)), 4);
        foreach (var m in all)
        {
            var row = new List<string> { m.Name, column.Format(m.Rmse.Mean), column.Format(m.Rmse.Std), column.Format(m.Mae.Mean), Terminal.Num(m.Spearman.Mean, 3), Terminal.Num(m.PrecisionAtK.Mean, 3) };
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
                console.WriteLine($"  vs {c.Other}: {column.Signed(c.Difference)} [{column.Signed(c.Lower)}, {column.Signed(c.Upper)}]");
            }
        }
    }

    // What was revealed, true for the run: numpy's draws are with replacement (a repeated column counts once) and skip
    // unobserved cells, and a row with fewer observed cells than k reveals what it has.
    private static string Revealed(EvaluationResult r)
    {
        var o = r.Options;
        var mean = r.RevealedPerRow;
        var all = Math.Abs(mean - o.Known) < 1e-9;
        var average = string.Create(CultureInfo.InvariantCulture, $"{mean:0.#}");
        return (o.Reveal, o.RevealRandom) switch
        {
            (RevealStrategy.Active, _) => all ? $"{o.Known} actively chosen cells revealed" : $"{o.Known} actively chosen cells revealed ({average} per test task on average: some observed fewer)",
            (_, RevealRandom.Numpy) => all ? $"{o.Known} numpy-drawn cells revealed"
                : $"{o.Known} numpy draws with replacement ({average} distinct observed cells revealed per test task on average)",
            _ => all ? $"{o.Known} random cells revealed" : $"{o.Known} random cells revealed ({average} per test task on average: some observed fewer)",
        };
    }

    // The cells a method was scored on, per seed (the mean when seeds differ; every method scores the same cells unless it
    // left some without a prediction).
    private static long CellsPerSeed(MethodResult m, int seeds) => (long)Math.Round((double)m.Rows.Sum(r => r.Cells) / Math.Max(seeds, 1));

    // One k: the result object, with the settings and warnings. Several k: {"settings", "warnings", "curve": [one result per k]}.
    internal static void WriteJson(Stream stream, EvaluationReport report, ForgettingMatrix z)
    {
        using var w = JsonOut.Writer(stream);
        if (report.Results.Count == 1)
        {
            WriteResult(w, report.Results[0], z, report);
            return;
        }

        w.WriteStartObject();
        WriteReportFields(w, report);
        w.WriteStartArray("curve");
        foreach (var r in report.Results)
        {
            WriteResult(w, r, z, null);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteReportFields(Utf8JsonWriter w, EvaluationReport report)
    {
        w.WriteStartArray("warnings");
        foreach (var warning in report.Warnings)
        {
            w.WriteStringValue(CliApp.Flags.Describe(warning));
        }

        w.WriteEndArray();
        w.WritePropertyName("settings");
        WriteSettings(w, report.Settings);
    }

    // Everything the run used, so that a reader can reproduce it.
    private static void WriteSettings(Utf8JsonWriter w, EvaluationSettings s)
    {
        w.WriteStartObject();
        WriteStringOrNull(w, "input", s.Input);
        WriteStringOrNull(w, "input_sha256", s.InputSha256);
        w.WriteString("engine_version", s.EngineVersion);
        var split = s.Split;
        w.WriteStartObject("split");
        w.WriteString("by", split.Kind switch
        {
            SplitKind.Rows => "test_rows",
            SplitKind.Tasks => "test_tasks",
            SplitKind.Fraction => "test_fraction",
            SplitKind.Family => "family",
            _ => "given",
        });
        if (split.Kind == SplitKind.Fraction)
        {
            JsonOut.Number(w, "test_fraction", split.TestFraction!.Value);
            w.WriteNumber("split_seed", split.SplitSeed!.Value);
            w.WriteString("split_rng", Choices.RevealRng.NameOf(split.Random ?? RevealRandom.Own));
        }

        if (split.Kind == SplitKind.Family)
        {
            w.WriteString("test_family", split.TestFamily);
            WriteStringOrNull(w, "train_family", split.TrainFamily);
        }

        w.WriteEndObject();
        WriteStrings(w, "train_tasks", s.TrainTasks);
        WriteStrings(w, "test_tasks", s.TestTasks);
        w.WriteStartArray("known");
        foreach (var k in s.Known)
        {
            w.WriteNumberValue(k);
        }

        w.WriteEndArray();
        var o = s.Options;
        w.WriteNumber("seeds", o.Seeds);
        w.WriteNumber("seed", o.Seed);
        w.WriteString("reveal", Choices.Reveal.NameOf(o.Reveal));
        if (o.Reveal == RevealStrategy.Active)
        {
            w.WriteString("active_criterion", Choices.Criterion.NameOf(o.ActiveCriterion));
        }
        else
        {
            w.WriteString("reveal_rng", Choices.RevealRng.NameOf(o.RevealRandom));
        }

        JsonOut.Number(w, "top_fraction", o.TopFraction);
        w.WriteNumber("top_k", s.TopK);
        w.WriteBoolean("binary", o.Binary ?? false);
        if (o.Binary == true)
        {
            JsonOut.Number(w, "threshold", o.Threshold);
        }

        w.WriteStartArray("methods");
        foreach (var m in s.Methods)
        {
            w.WriteStartObject();
            w.WriteString("name", m.Name);
            foreach (var (key, value) in m.Settings)
            {
                w.WritePropertyName(key);
                WriteValue(w, value);
            }

            if (m.Fitted.Count > 0)
            {
                w.WriteStartArray("fitted");
                foreach (var (k, fitted) in m.Fitted)
                {
                    w.WriteStartObject();
                    w.WriteNumber("known", k);
                    w.WriteString("choice", fitted);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("external");
        foreach (var e in s.Externals)
        {
            w.WriteStartObject();
            w.WriteString("name", e.File.Name);
            w.WriteString("file", e.File.Path);
            w.WriteBoolean("per_draw", e.File.PerDraw);
            w.WriteBoolean("per_known", e.File.PerKnown);
            WriteStrings(w, "files", e.Paths);
            if (e.Coverage.Missing > 0)
            {
                w.WriteStartObject("coverage");
                w.WriteNumber("cells", e.Coverage.Cells);
                w.WriteNumber("missing", e.Coverage.Missing);
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("coverage", "complete");
            }

            WriteStringOrNull(w, "note", e.PartialNote is { } note ? CliApp.Flags.Describe(note) : null);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteBoolean("allow_partial", s.AllowPartial);
        w.WriteString("prior", Choices.Prior.NameOf(s.Prior));
        w.WriteBoolean("partial_applied", s.PartialApplied);
        w.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter w, object value)
    {
        switch (value)
        {
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case double d:
                Data.Tables.JsonFloat.WriteValue(w, d);
                break;
            case string text:
                w.WriteStringValue(text);
                break;
            case System.Collections.IEnumerable items:
                w.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(w, item);
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteResult(Utf8JsonWriter w, EvaluationResult r, ForgettingMatrix z, EvaluationReport? report)
    {
        w.WriteStartObject();
        w.WriteNumber("rows", r.TaskCount);
        w.WriteNumber("cols", r.ExampleCount);
        w.WriteNumber("known", r.Options.Known);
        w.WriteNumber("seeds", r.Options.Seeds);
        w.WriteString("reveal", Choices.Reveal.NameOf(r.Options.Reveal));
        if (r.Options.Reveal == RevealStrategy.Active)
        {
            w.WriteString("active_criterion", Choices.Criterion.NameOf(r.Options.ActiveCriterion));
        }
        w.WriteString("reveal_rng", Choices.RevealRng.NameOf(r.Options.RevealRandom));
        JsonOut.Number(w, "revealed_per_task", r.RevealedPerRow);
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
        if (report is not null)
        {
            WriteReportFields(w, report);
        }

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
            JsonOut.Number(w, "seconds", m.Seconds);
            WriteStringOrNull(w, "fitted", m.Fitted);
        }
    }

    private static void Summary(Utf8JsonWriter w, string name, MetricSummary s)
    {
        JsonOut.Number(w, name, s.Mean);
        JsonOut.Number(w, name + "_std", s.Std);
    }

    /// <summary>Streams every prediction to a CSV file written atomically.</summary>
    // CSV streams line by line (the usual and largest case); the other table formats (.tsv, .json, .parquet) are written
    // at the end from the rows kept in memory, by the same writers as predict's --out.
    private sealed class PredictionSink(string path, ForgettingMatrix z, Data.Tables.TableFormat format) : IDisposable
    {
        private readonly AtomicFileWriter _file = AtomicFile.Open(path);
        private readonly bool _streams = format == Data.Tables.CsvTableFormat.Csv;
        private readonly List<string?> _methods = [], _tasks = [], _examples = [];
        private readonly List<long?> _seeds = [];
        private readonly List<double> _predicted = [], _actual = [];
        private readonly List<bool?> _revealed = [];
        private StreamWriter? _writer;

        // The table format of the file's extension, checked before anything runs (a usage error, exit 2).
        public static Data.Tables.TableFormat FormatOf(string path)
        {
            try
            {
                return Data.Tables.TableFile.FormatOf(path);
            }
            catch (ForgettingDataException e)
            {
                throw new CliException($"--predictions {path}: {e.Detail}", CliApp.UsageError);
            }
        }

        public void Write(PredictionRecord record)
        {
            var revealed = new HashSet<int>(record.Known);
            if (!_streams)
            {
                for (var j = 0; j < record.Predicted.Length; j++)
                {
                    _methods.Add(record.Method);
                    _seeds.Add(record.Seed);
                    _tasks.Add(z.TaskIds[record.Row]);
                    _examples.Add(z.ExampleIds[j]);
                    _predicted.Add(record.Predicted[j]);
                    _actual.Add(z[record.Row, j]);
                    _revealed.Add(revealed.Contains(j));
                }

                return;
            }

            var writer = Writer();
            var task = CsvText.Field(z.TaskIds[record.Row]);
            var method = CsvText.Field(record.Method);
            var line = new StringBuilder();
            for (var j = 0; j < record.Predicted.Length; j++)
            {
                line.Clear().Append(method).Append(',').Append(record.Seed.ToString(CultureInfo.InvariantCulture)).Append(',').Append(task).Append(',')
                    .Append(CsvText.Field(z.ExampleIds[j])).Append(',').Append(CsvText.Number(record.Predicted[j])).Append(',')
                    .Append(CsvText.Number(z[record.Row, j])).Append(',').Append(CsvText.Boolean(revealed.Contains(j))).Append('\n');
                writer.Write(line);
            }
        }

        public void Commit()
        {
            if (_streams)
            {
                Writer().Dispose();
                _writer = null;
            }
            else
            {
                var names = Evaluating.PredictionsHeader.Split(',');
                format.Write(
                    new Data.Tables.OutputTable(
                        Data.Tables.TableColumn.Strings(names[0], _methods), Data.Tables.TableColumn.Int64s(names[1], _seeds),
                        Data.Tables.IdColumns.Column(names[2], _tasks), Data.Tables.IdColumns.Column(names[3], _examples),
                        Data.Tables.TableColumn.Doubles(names[4], [.. _predicted]), Data.Tables.TableColumn.Doubles(names[5], [.. _actual]),
                        Data.Tables.TableColumn.Booleans(names[6], _revealed)),
                    _file.Stream);
            }

            _file.Commit();
        }

        private StreamWriter Writer()
        {
            if (_writer is null)
            {
                _writer = new StreamWriter(_file.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                _writer.Write(Evaluating.PredictionsHeader + "\n");
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

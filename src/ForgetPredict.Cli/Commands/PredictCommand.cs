using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ForgetPredict.Application;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;
using ForgetPredict.Data.Tables;
using ForgetPredict.Reports;
using Spectre.Console;

namespace ForgetPredict.Cli.Commands;

/// <summary>
/// <c>forgetpredict predict --model MODEL [--observed OBS] [--examples META --group-by COL] [--out PRED] [--html REPORT]</c>:
/// what a planned fine-tune will erase, per example and per group, from a few measured cells (or none).
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var forecast = new ForecastOptions();
        var output = new TableOutputOption<string?>("--out") { Description = "Per-example table to write (.csv, .tsv, .json or .parquet): example,predicted,std,probability,rank[,group],measured,measured_value[,cold] (measured: true for the --observed cells, with their value; cold: new examples from --example-features, after the model's), in the model's example order." };
        var html = new Option<string?>("--html") { Description = "Write a self-contained HTML report (charts and tables, no network needed)." };
        var top = CommonOptions.Between("--top", 0, Core.Erasure.RowScanOptions.MaxTop, Core.Erasure.RowScanOptions.DefaultTop,
            string.Create(CultureInfo.InvariantCulture, $"Examples listed as most forgotten (each group lists its {Core.Erasure.RowScanOptions.DefaultTopPerGroup} most forgotten); at most {Core.Erasure.RowScanOptions.MaxTop:N0}."));
        var json = new Option<string?>("--json") { Description = "Write the summary as JSON: threshold, expected forgotten, groups with intervals and top examples, the top list, the new examples predicted from their features, the warnings printed." };
        var threshold = new Option<double?>("--threshold") { Description = "Forgetting above this counts as forgotten (default: the 90th percentile of the training tasks' forgetting, which 10% of their cells exceed). Refused for binary (logistic) models: their predictions are probabilities, and the expected count is their sum." };
        var exampleFeatures = FeatureOptions.Example();
        var exampleFeatureColumns = FeatureOptions.ExampleColumns();
        exampleFeatures.Description = "Features of upstream examples (the forms 'fit --example-features' took, keyed by example id; an embedding: the model's examples' rows first, then the new ones). Examples they list that the model has never measured (cold columns) are predicted from them, with wider intervals, and marked cold in --out. Repeatable.";
        var command = new Command("predict", "Predict what a planned fine-tune will erase: every upstream example's forgetting, the most forgotten examples, and each group's expected damage.")
        {
            output, html, json, top, threshold, exampleFeatures, exampleFeatureColumns,
        };
        foreach (var option in forecast.All.Reverse())
        {
            command.Options.Insert(0, option);
        }

        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var warnings = new WarningLog(parse.Err());
            var f = forecast.Load(parse, warnings, newExamples: loaded =>
            {
                var query = ReadNewExamples(parse, exampleFeatures, exampleFeatureColumns, loaded);
                if (query?.Warning is { } far)
                {
                    warnings.WriteLine($"warning: {far}");
                }

                return query;
            });

            Forecast result;
            try
            {
                result = Forecasting.Forecast(f.Task with
                {
                    Threshold = parse.GetValue(threshold),
                    Top = parse.GetValue(top),
                    Detail = ForecastDetail.EveryExample,
                    TaskFeatures = f.TaskFeatures,
                });
            }
            catch (Core.OptionException e)
            {
                // The library's refusal of a setting (a --threshold for a binary model): a usage error, worded with the flags.
                throw new CliException(CliApp.Flags.Describe(e), CliApp.UsageError);
            }

            var report = result.Report!;
            var paths = parse.GetValue(exampleFeatures) ?? [];
            var cold = result.ColdExamples.Count == 0 ? null : NewExamples(result, paths);
            // Every output or none: each is written to its temporary file, then all are renamed into place.
            using var outputs = AtomicFile.Together();
            if (parse.GetValue(output) is { } path)
            {
                TableFile.Write(Forecasting.ExampleTable(result), path);
            }

            if (parse.GetValue(html) is { } htmlPath)
            {
                var text = HtmlReports.Prediction(new PredictionReportInput
                {
                    TaskName = f.TaskName,
                    ModelDescription = ModelDescription.SummaryOf(f.Model),
                    Report = report,
                    GroupColumn = f.GroupColumn,
                    Summary = f.Summary,
                    ThresholdRule = result.ThresholdRule,
                    // The forecast's groups (new examples counted in), as the console and --json show them.
                    Groups = [.. result.Groups.Select(g => new ReportGroup(g.Name, g.Count, g.Mean, g.Lower, g.Upper, g.Share, [.. g.TopExamples.Select(e => e.Id)]) { NewCount = g.NewCount })],
                    NewExamples = cold,
                    BinaryMatrix = f.Task.BinaryMatrix,
                    Warnings = [.. warnings.Warnings],
                });
                AtomicFile.Write(htmlPath, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
            }

            if (parse.GetValue(json) is { } jsonPath)
            {
                AtomicFile.Write(jsonPath, stream => WriteJson(stream, result, f.GroupColumn, warnings.Warnings));
            }

            outputs.Commit();

            var console = Terminal.For(parse.Out());
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"predicted {f.Model.ExampleCount} examples with {ModelCatalog.NameOf(f.Model.Method)} from {ForecastInput.How(result.Task, f.Task.Prior)} in {clock.Elapsed.TotalMilliseconds:F0} ms"));
            Render(console, result, f.GroupColumn, f.Task.BinaryMatrix);
            if (cold is not null)
            {
                RenderCold(console, result, cold);
            }

            foreach (var written in new[] { parse.GetValue(output), parse.GetValue(html), parse.GetValue(json) }.OfType<string>())
            {
                console.WriteLine($"wrote {written}");
            }

            return CliApp.Ok;
        });
        return command;
    }

    // --example-features: the examples they list that the model lacks; the model must have been fitted with example features.
    private static NewExampleQuery? ReadNewExamples(ParseResult parse, Option<string[]> option, Option<string[]?> columns, LoadedModel loaded)
    {
        var paths = parse.GetValue(option) ?? [];
        if (paths.Length == 0)
        {
            return null;
        }

        var features = FeatureFile.ReadNew(paths, loaded.Model.ExampleIds, "example", parse.Id(columns))
            ?? throw new CliException($"{string.Join(", ", paths)}: every example listed is already in the model; add rows for the new examples to predict them from their features.");
        return NewExampleQuery.Create(loaded.ExampleFeatures, features, string.Join(", ", paths), parse.GetValue<string>("--model")!, "refit it with 'fit --example-features'");
    }

    // The new examples (cold columns) as the console and the HTML report mention them: how many, how wide their intervals are
    // against the measured examples', how many are expected forgotten, the most forgotten.
    private static NewExamplesSummary NewExamples(Forecast forecast, string[] paths) =>
        NewExamplesSummary.Of([.. forecast.ColdExamples.Select(c => (c.Id, c.Predicted, c.Std, c.Probability))], forecast.Report!.Examples.Select(e => e.Std),
            string.Join(", ", paths.Select(Path.GetFileName)));

    // One line on the cold columns.
    private static void RenderCold(IAnsiConsole console, Forecast forecast, NewExamplesSummary cold)
    {
        var coldColumn = Terminal.ColumnFor(Terminal.Scale(forecast.ColdExamples.Select(c => c.Predicted)), 3);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cold columns: {cold.Count:N0} new examples predicted from their features ({cold.Source}), never measured on any task; median std {cold.StdRatio:0.0}x the model's examples'; expected forgotten {cold.ExpectedForgotten:N0}; most forgotten: {string.Join(", ", cold.MostForgotten.Select(c => $"{c.Id} ({coldColumn.Format(c.Predicted)})"))}"));
    }

    /// <summary>The forecast's summary as JSON (snake_case, as analyze and evaluate write; NaN as null), with the warnings the
    /// command printed and the new examples predicted from their features (as the service answers).</summary>
    internal static void WriteJson(Stream stream, Forecast forecast, string? groupColumn, IReadOnlyList<string> warnings)
    {
        using var w = JsonOut.Writer(stream);
        w.WriteStartObject();
        w.WriteBoolean("task_agnostic", forecast.IsTaskAgnostic);
        w.WriteBoolean("from_task_features", forecast.Task.FromTaskPrior);
        w.WriteNumber("known_count", forecast.KnownCount);
        w.WriteBoolean("predicts_probability", forecast.PredictsProbability);
        JsonOut.Number(w, "threshold", forecast.Threshold);
        w.WriteString("threshold_rule", forecast.ThresholdRule);
        w.WriteNumber("example_count", forecast.ExampleCount);
        JsonOut.Number(w, "expected_forgotten", forecast.ExpectedForgotten);
        if (groupColumn is null)
        {
            w.WriteNull("group_by");
        }
        else
        {
            w.WriteString("group_by", groupColumn);
        }

        w.WriteStartArray("groups");
        foreach (var g in forecast.Groups)
        {
            w.WriteStartObject();
            w.WriteString("name", g.Name);
            w.WriteNumber("count", g.Count);
            w.WriteNumber("new_count", g.NewCount);
            JsonOut.Number(w, "mean", g.Mean);
            JsonOut.Number(w, "lower", g.Lower);
            JsonOut.Number(w, "upper", g.Upper);
            JsonOut.Number(w, "share", g.Share);
            w.WriteStartArray("top_examples");
            foreach (var e in g.TopExamples)
            {
                w.WriteStringValue(e.Id);
            }

            w.WriteEndArray();

            // Parallel to top_examples: true where the id is a new example's (cold_examples), false where it is the model's.
            w.WriteStartArray("top_new");
            foreach (var e in g.TopExamples)
            {
                w.WriteBooleanValue(e.IsNew);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("top");
        for (var r = 0; r < forecast.Top.Count; r++)
        {
            var e = forecast.Top[r];
            w.WriteStartObject();
            w.WriteString("example", e.Id);
            if (e.Group is not null)
            {
                w.WriteString("group", e.Group);
            }

            JsonOut.Number(w, "predicted", e.Predicted);
            JsonOut.Number(w, "std", e.Std);
            JsonOut.Number(w, "probability", e.Probability);
            w.WriteNumber("rank", r + 1);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("cold_examples");
        foreach (var c in forecast.ColdExamples)
        {
            w.WriteStartObject();
            w.WriteString("example", c.Id);
            if (c.Group is not null)
            {
                w.WriteString("group", c.Group);
            }

            JsonOut.Number(w, "predicted", c.Predicted);
            JsonOut.Number(w, "std", c.Std);
            JsonOut.Number(w, "probability", c.Probability);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("warnings");
        foreach (var warning in warnings)
        {
            w.WriteStringValue(warning);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Render(IAnsiConsole console, Forecast forecast, string? groupColumn, bool binaryMatrix)
    {
        if (forecast.IsTaskAgnostic)
        {
            console.WriteLine("Task-agnostic estimate: no cell of this task was measured, so this is what an average past fine-tune does.");
        }

        var n = forecast.ExampleCount;
        var forgotten = forecast.ExpectedForgotten;
        // A binary model's count is the sum of its probabilities: no threshold takes part (ForgettingThreshold.Resolve).
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"expected forgotten: {Charts.ExpectedCount(forgotten)} of {n:N0} examples ({Charts.Percent(forgotten / Math.Max(n, 1))}) {(forecast.PredictsProbability ? "(the sum of the probabilities)" : binaryMatrix ? $"beyond {forecast.Threshold:G3} on the training matrix's 0/1 scale (not a probability)" : $"beyond loss increase {forecast.Threshold:G3}")}"));
        if (!forecast.PredictsProbability && forecast.ThresholdRule != ForgettingThreshold.GivenRule)
        {
            console.WriteLine($"threshold: {forecast.ThresholdRule}; --threshold sets another.");
        }
        // The column's notation from every number it prints (interval ends and stds too), so none falls outside it.
        var column = Terminal.ColumnFor(Terminal.Scale(forecast.Groups.SelectMany(g => new[] { g.Mean, g.Lower, g.Upper }).Concat(forecast.Top.SelectMany(e => new[] { e.Predicted, e.Std }))), 3);
        if (forecast.Groups.Count > 0)
        {
            var groups = Terminal.Table(groupColumn ?? "group", "examples", "expected mean", "90% interval", "forgotten", "most forgotten examples");
            foreach (var g in forecast.Groups)
            {
                groups.Row(g.Name, g.NewCount > 0 ? $"{Terminal.Count(g.Count)} ({Terminal.Count(g.NewCount)} new)" : Terminal.Count(g.Count), Amount(forecast, g.Mean, column), $"{Amount(forecast, g.Lower, column)} to {Amount(forecast, g.Upper, column)}", Charts.Percent(g.Share),
                    string.Join(", ", g.TopExamples.Select(e => e.Id)));
            }

            console.Write(groups);
        }

        var examples = Terminal.Table(forecast.Groups.Count > 0 ? ["rank", "example", groupColumn ?? "group", "predicted", "+- std", "P(forgotten)"] : ["rank", "example", "predicted", "+- std", "P(forgotten)"]);
        for (var r = 0; r < forecast.Top.Count; r++)
        {
            var e = forecast.Top[r];
            var cells = new List<string> { (r + 1).ToString(CultureInfo.InvariantCulture), e.Id };
            if (forecast.Groups.Count > 0)
            {
                cells.Add(e.Group ?? "-");
            }

            cells.AddRange([Amount(forecast, e.Predicted, column), column.Format(e.Std), Charts.Percent(e.Probability)]);
            examples.Row([.. cells]);
        }

        console.Write(examples);
    }

    private static string Amount(Forecast forecast, double value, NumberColumn column) => forecast.PredictsProbability ? Charts.Percent(value) : column.Format(value);
}

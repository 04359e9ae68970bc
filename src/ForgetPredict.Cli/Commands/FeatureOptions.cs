using System.CommandLine;
using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Features;
using ForgetPredict.Data;
using Spectre.Console;

namespace ForgetPredict.Cli.Commands;

/// <summary>The task and example feature options and what the commands do with them.</summary>
internal static class FeatureOptions
{
    /// <summary>Task features and example features read for a matrix (either may be null).</summary>
    public sealed record Loaded(FeatureSet? Tasks, FeatureSet? Examples);

    public static Option<string[]> Task() => new("--task-features")
    {
        Description = "Task features: a table (CSV/TSV/Parquet) with an id column matched to the task ids, numeric and categorical columns, or a .npy/.npz matrix with one row per task in matrix order (an embedding). Repeatable.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string[]> Example() => new("--example-features")
    {
        Description = "Example features: the same forms keyed by example id (base loss, source, an embedding). Repeatable.",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>--task-features-columns: the id column of the --task-features tables.</summary>
    public static Option<string[]?> TaskColumns() => TableColumnsOption.For("--task-features", TableColumnsOption.IdRole, "id, else the first column holding every task id");

    /// <summary>--example-features-columns: the id column of the --example-features tables.</summary>
    public static Option<string[]?> ExampleColumns() => TableColumnsOption.For("--example-features", TableColumnsOption.IdRole, "id, else the first column holding every example id");

    /// <summary>Reads the files given to the options, aligned to the matrix's ids.</summary>
    public static Loaded Read(ParseResult parse, (Option<string[]> Files, Option<string[]?> Columns) tasks, (Option<string[]> Files, Option<string[]?> Columns) examples, ForgettingMatrix z) =>
        new(FeatureFile.ReadAll(parse.GetValue(tasks.Files) ?? [], z.TaskIds, "task", parse.Id(tasks.Columns)),
            FeatureFile.ReadAll(parse.GetValue(examples.Files) ?? [], z.ExampleIds, "example", parse.Id(examples.Columns)));

    /// <summary>
    /// The items of a comma-separated list given to <paramref name="flag"/>, trimmed; an empty item (',10', '10,', '0,,1') is
    /// refused naming the option, as a typo that would otherwise be dropped without a word. A list of blanks has no items.
    /// </summary>
    public static string[] ListItems(string text, string flag)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.All(i => i.Length == 0))
        {
            return [];
        }

        return items.Any(i => i.Length == 0)
            ? throw new CliException($"{flag} '{text}' has an empty item; separate the values by single commas, with none at either end (e.g. {string.Join(',', items.Where(i => i.Length > 0))}).", CliApp.UsageError)
            : items;
    }

    /// <summary>Parses a comma-separated list of known-cell counts.</summary>
    public static IReadOnlyList<int> KnownList(string text)
    {
        var values = ListItems(text, "--known").Select(v =>
            int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k
                : throw new CliException(v.All(char.IsAsciiDigit) && v.Length > 0
                    ? $"--known takes {Application.OptionRanges.WholeNumber(Core.Models.ModelOptionNames.Known)} (got '{v}')."
                    : $"--known: '{v}' is not a whole number >= 0; give e.g. 30 or 0,5,10,30.", CliApp.UsageError)).ToArray();
        if (values.Length == 0)
        {
            throw new CliException("--known lists no value; give e.g. 30 or 0,5,10,30.", CliApp.UsageError);
        }

        var duplicate = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--known lists {duplicate.Key} twice."), CliApp.UsageError);
        }

        return values;
    }

    /// <summary>A methods x k table of RMSE: the curve of error against measured cells.</summary>
    public static void RenderCurve(IAnsiConsole console, IReadOnlyList<EvaluationResult> results)
    {
        console.WriteLine("RMSE against known cells (mean over seeds):");
        var table = Terminal.Table(["method", .. results.Select(r => string.Create(CultureInfo.InvariantCulture, $"k = {r.Options.Known}"))]);
        // External predictors are scored on the same cells at every k (their predictions do not depend on it) and are listed last.
        static IEnumerable<MethodResult> All(EvaluationResult r) => r.Methods.Concat(r.Externals.Select(e => e.Result));
        var column = Terminal.ColumnFor(Terminal.Scale(results.SelectMany(r => All(r).Select(m => m.Rmse.Mean))), 4);
        foreach (var name in All(results[0]).Select(m => m.Name))
        {
            table.Row([name, .. results.Select(r => column.Format(All(r).Single(m => m.Name == name).Rmse.Mean))]);
        }

        console.Write(table);
    }

    /// <summary>Which task features mattered: the chosen view and kernel, the leave-one-out gain, and the best candidates.</summary>
    public static void RenderReport(TextWriter output, TaskFeatureReport report)
    {
        if (!report.UsesFeatures)
        {
            output.WriteLine("task features: none predicted the training tasks better than the model's own prior (leave-one-out); they are not used.");
            return;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"task features: {report.Chosen} predicts a new task's row with {100 * (1 - Math.Sqrt(report.RelativeError)):0}% less RMSE than without features (leave-one-out over training tasks); share of each parameter component explained: {string.Join(", ", report.ComponentGains.Select(g => g.ToString("0.00", CultureInfo.InvariantCulture)))}"));
        foreach (var candidate in report.Candidates.Take(5))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {candidate.Description}: RMSE ratio {Math.Sqrt(candidate.RelativeError):0.000}"));
        }
    }
}

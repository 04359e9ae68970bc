using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ForgetPredict.Core;
using ForgetPredict.Core.Analysis;
using ForgetPredict.Data;
using ForgetPredict.Data.Tables;
using ForgetPredict.Reports;
using Spectre.Console;

namespace ForgetPredict.Cli.Commands;

/// <summary><c>forgetpredict analyze MATRIX</c>: how low-rank the forgetting is.</summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var matrix = CommonOptions.Matrix();
        var maxRank = CommonOptions.AtLeast("--max-rank", 1, 10, "Highest rank of the truncated-SVD R^2 curve.");
        var json = new Option<string?>("--json") { Description = "Also write the numbers as JSON to this file." };
        var html = new Option<string?>("--html") { Description = "Write a self-contained HTML report: R^2 against rank, the singular value spectrum, a heatmap, the most fragile examples and most disruptive tasks." };
        var threads = CommonOptions.Threads();
        var input = new MatrixInputOptions();
        var command = new Command("analyze", "R^2 of the task-only, example-only, additive and rank-1 models and of truncated SVD at ranks 1..R.")
        {
            matrix, maxRank, json, html, threads,
        };
        foreach (var option in input.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var z = input.Read(parse, parse.GetRequiredValue(matrix));
            if (SlowCurveNote(z, parse.GetValue(maxRank), parse.GetRequiredValue(matrix)) is { } note)
            {
                parse.Err().WriteLine(note);
            }

            MatrixAnalysis analysis;
            try
            {
                analysis = MatrixAnalysis.Run(z, parse.GetValue(maxRank), parse.GetValue(threads));
            }
            catch (ArgumentException e) when (e.ParamName == "matrix" && e is not OptionException)
            {
                // What is wrong with the matrix (no tasks, say) names the file it came from, as fit says it.
                throw new ForgettingDataException(parse.GetRequiredValue(matrix), ExceptionText.Clause(e), innerException: e);
            }
            Render(Terminal.For(parse.Out()), parse.GetRequiredValue(matrix), analysis);
            using var outputs = AtomicFile.Together();
            if (parse.GetValue(json) is { } path)
            {
                AtomicFile.Write(path, stream => WriteJson(stream, analysis));
            }

            if (parse.GetValue(html) is { } htmlPath)
            {
                var report = HtmlReport(Path.GetFileName(parse.GetRequiredValue(matrix)), z, analysis);
                AtomicFile.Write(htmlPath, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(report)));
            }

            outputs.Commit();
            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>Observed cells from which a matrix with missing cells takes long enough to say so before the SVD rows.</summary>
    internal const long SlowCurveCells = 1_000_000;

    /// <summary>
    /// What to say before analysing a large matrix with missing cells, or null: its SVD rows are rank-r fits of the observed
    /// cells, one rank at a time, which take minutes at the size of a real matrix (a QA pass waited 6 minutes, with no output,
    /// for 85 x 141,816 cells with 2% missing, against 2 s for the complete matrix).
    /// </summary>
    internal static string? SlowCurveNote(ForgettingMatrix z, int maxRank, string path) =>
        z.MissingCount > 0 && z.ObservedCount >= SlowCurveCells && maxRank > 0
            ? string.Create(CultureInfo.InvariantCulture, $"note: {path}: {Terminal.Count(z.MissingCount)} {(z.MissingCount == 1 ? "cell is" : "cells are")} missing, so the SVD rows are best rank-r fits of the {Terminal.Count(z.ObservedCount)} observed cells, one rank at a time up to {maxRank}: this can take minutes (85 x 141,816 cells with 2% missing: about 3.5 minutes of CPU on 2 cores). --max-rank R computes fewer ranks.")
            : null;

    /// <summary>The analysis report: the heatmap sorted by task and example means, the 15 most fragile examples and most disruptive tasks.</summary>
    internal static string HtmlReport(string source, ForgettingMatrix z, MatrixAnalysis analysis)
    {
        var rows = MatrixSummary.MeanRows(z);
        var columns = MatrixSummary.MeanColumns(z);
        return HtmlReports.Analysis(new AnalysisReportInput
        {
            Source = source,
            Analysis = analysis,
            Summary = MatrixSummary.Create(z, rows, columns),
            FragileExamples = Enumerable.Range(0, z.ExampleCount).Where(j => !double.IsNaN(columns[j])).OrderByDescending(j => columns[j]).ThenBy(j => j).Take(15).Select(j => (z.ExampleIds[j], columns[j])).ToArray(),
            DisruptiveTasks = Enumerable.Range(0, z.TaskCount).Where(i => !double.IsNaN(rows[i])).OrderByDescending(i => rows[i]).ThenBy(i => i).Take(15).Select(i => (z.TaskIds[i], rows[i])).ToArray(),
        });
    }

    internal static void Render(IAnsiConsole console, string source, MatrixAnalysis a)
    {
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{source}: {Application.Echo.Shape(a.TaskCount, a.ExampleCount)}, {Charts.Percent(a.MissingFraction, 2)} missing, mean {a.Mean:G4}{(a.IsBinary ? ", binary" : string.Empty)}"));
        var table = Terminal.Table("model", "R^2");
        table.Row("task-only (row means)", Terminal.Num(a.TaskOnly));
        table.Row("example-only (column means)", Terminal.Num(a.ExampleOnly));
        table.Row("additive (mu + a_i + b_j)", Terminal.Num(a.Additive));
        table.Row("rank-1 (u_i v_j)", Terminal.Num(a.RankOne));
        for (var r = 0; r < a.Spectrum.RSquared.Length; r++)
        {
            table.Row(string.Create(CultureInfo.InvariantCulture, $"SVD rank {r + 1}"), Terminal.Num(a.Spectrum.RSquared[r]));
        }

        console.Write(table);
        if (a.Spectrum.FromObservedCells)
        {
            console.WriteLine("The matrix has missing cells: the SVD rows are best rank-r fits of the observed cells (unpenalised ALS), not a plain SVD.");
        }

        if (a.Spectrum.InSampleNote is { } note)
        {
            console.WriteLine(note);
        }
    }

    internal static void WriteJson(Stream stream, MatrixAnalysis a)
    {
        using var w = JsonOut.Writer(stream);
        w.WriteStartObject();
        w.WriteNumber("rows", a.TaskCount);
        w.WriteNumber("cols", a.ExampleCount);
        JsonOut.Number(w, "missing_fraction", a.MissingFraction);
        w.WriteBoolean("binary", a.IsBinary);
        JsonOut.Number(w, "mean", a.Mean);
        w.WriteStartObject("r2");
        JsonOut.Number(w, "task_only", a.TaskOnly);
        JsonOut.Number(w, "example_only", a.ExampleOnly);
        JsonOut.Number(w, "additive", a.Additive);
        JsonOut.Number(w, "rank1", a.RankOne);
        JsonOut.Array(w, "svd", a.Spectrum.RSquared);
        w.WriteEndObject();
        JsonOut.Array(w, "singular_values", a.Spectrum.SingularValues);
        w.WriteBoolean("svd_from_observed_cells", a.Spectrum.FromObservedCells);
        JsonOut.Array(w, "svd_interpolated_cells", [.. a.Spectrum.InterpolatedCells]);
        w.WriteEndObject();
    }
}

/// <summary>Small JSON helpers: floats as <see cref="JsonFloat"/> writes them (NaN as null, whole ones with ".0").</summary>
internal static class JsonOut
{
    // The commands' JSON summaries are files for pandas, jq and people, never embedded in a web page: characters such as '+'
    // (a version's build metadata), '<' and non-ASCII ids are written as themselves, not as \uXXXX escapes (still escaped:
    // quotes, backslashes and control characters, as JSON requires).
    private static readonly JsonWriterOptions s_options = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>An indented writer of a command's JSON summary to <paramref name="stream"/>.</summary>
    public static Utf8JsonWriter Writer(Stream stream) => new(stream, s_options);

    public static void Number(Utf8JsonWriter w, string name, double value) => JsonFloat.Write(w, name, value);

    public static void Array(Utf8JsonWriter w, string name, IEnumerable<double> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            JsonFloat.WriteValue(w, v);
        }

        w.WriteEndArray();
    }
}

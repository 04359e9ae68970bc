using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Tables;

namespace ForgetPredict.Cli.Commands;

/// <summary><c>forgetpredict predict --model MODEL --observed OBS.csv --out PRED.csv</c>: a new task's whole row from a few measured cells.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model file from 'fit'.", Required = true };
        var observed = new Option<string?>("--observed") { Description = "CSV with columns example,value: the new task's measured cells (example id or column index). Omit for a task-agnostic prediction." };
        var output = new Option<string>("--out") { Description = "Predictions to write (.csv, .tsv or .json records, by extension): example,predicted,std for every example, in the model's example order.", Required = true };
        var prior = new Option<string>("--prior")
        {
            Description = "Fold-in prior: empirical (training tasks' distribution; default) or ridge (the fit's own penalty).",
            DefaultValueFactory = _ => "empirical",
        };
        prior.AcceptOnlyFromAmong("empirical", "ridge");
        var command = new Command("predict", "Predict a new task's forgetting for every upstream example from its measured cells, without refitting.")
        {
            model, observed, output, prior,
        };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var loaded = ModelFile.Load(parse.GetRequiredValue(model));
            var m = loaded.Model;
            var cells = parse.GetValue(observed) is { } obs ? ObservedCells.Read(obs, m.ExampleIds) : ObservedCells.None;
            var options = new FoldInOptions { Prior = parse.GetValue(prior) == "ridge" ? FoldInPrior.Ridge : FoldInPrior.Empirical };
            var fold = m.FoldIn(cells.Examples, cells.Values, options);
            var mean = new double[m.ExampleCount];
            var std = new double[m.ExampleCount];
            fold.PredictRow(mean, std);
            var path = parse.GetRequiredValue(output);
            WritePredictions(path, m, mean, std);
            var how = cells.Examples.Length == 0
                ? "no measured cells: task-agnostic estimate (the average training task)"
                : string.Create(CultureInfo.InvariantCulture, $"{cells.Examples.Length} measured cells{(cells.ResolvedByIndex > 0 ? $" ({cells.ResolvedByIndex} by column index)" : string.Empty)}");
            parse.Out().WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"predicted {m.ExampleCount} examples with {ModelCatalog.NameOf(m.Method)} from {how} in {clock.Elapsed.TotalMilliseconds:F0} ms; wrote {path}"));
            return CliApp.Ok;
        });
        return command;
    }

    internal static void WritePredictions(string path, IForgettingModel model, double[] mean, double[] std) =>
        TableFile.Write(
            new OutputTable(TableColumn.Strings("example", model.ExampleIds), TableColumn.Doubles("predicted", mean), TableColumn.Doubles("std", std)),
            path);
}

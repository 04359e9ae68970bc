using System.CommandLine;
using System.Globalization;
using ForgetPredict.Application;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Tables;
using Spectre.Console;

namespace ForgetPredict.Cli.Commands;

/// <summary>
/// <c>forgetpredict design MATRIX --count K --out CELLS.csv</c> (or <c>design --model M</c>): which upstream examples a new
/// task should measure after its fine-tune, so that 'predict --observed CELLS.csv' predicts the rest of its row best.
/// </summary>
internal static class DesignCommand
{
    public static Command Create()
    {
        var matrix = CommonOptions.Matrix();
        matrix.Arity = ArgumentArity.ZeroOrOne;
        matrix.Description = "The past tasks' forgetting matrix (tasks x examples; NaN = missing), which an mf model is fitted on to design with, or give --model instead: "
            + ".npy, .npz, .csv, .tsv, .json, .parquet or .txt (whitespace-separated, as np.savetxt writes).";
        var model = new Option<string?>("--model")
        {
            Description = "A model file from 'fit' to design on instead of a matrix: its factor model (mf, additive, rank1), or an ensemble's (auto's) factor member with the largest weight.",
        };
        var count = CommonOptions.AtLeast("--count", Designing.LeastCount, MeasurementRequest.DefaultCount, "Cells the new task will measure.");
        var criterion = new Option<string>("--criterion")
        {
            Description = "What the cells pin down: v-optimal (the error on the rest of the row), d-optimal (the task parameters' posterior determinant) "
                + "or group-means (the means of the --group-by groups, or of the whole row without --examples). "
                + "neighbours, evaluate's adaptive criterion, is refused here: it needs each cell's value before choosing the next.",
            DefaultValueFactory = _ => Designing.CriterionNames.NameOf(Designing.CriterionNames.Default),
        };
        // The help lists the criteria a design accepts; every criterion's name parses, and the library refuses the adaptive one
        // with the reason (as the service does).
        criterion.OneOf(Designing.CriterionNames, Choices.Criterion);
        var grouping = new GroupOptions();
        var exclusion = new ExcludeOptions("Examples that cannot be measured (e.g. a held-out evaluation set): a table (CSV, TSV or Parquet) whose id column lists them (column positions with --by-index).");
        var observed = new Option<string?>("--observed")
        {
            Description = "Cells the new task has measured already (an earlier design's filled-in table, or any table with columns example,value: CSV, TSV, Parquet, or JSON records): the next cells are chosen given them, and never them again.",
        };
        var observedColumns = TableColumnsOption.For("--observed", ["EXAMPLE", "VALUE"], "example,value");
        var byIndex = new Option<bool>("--by-index") { Description = "Read the examples of --observed and --exclude as column positions 0..N-1 instead of example ids." };
        var output = new TableOutputOption<string?>("--out")
        {
            Description = "Table to write (.csv, .tsv, .json or .parquet): example,value,order[,group], value empty. Fill in each example's measured forgetting and pass it to 'predict --observed'.",
        };
        var threads = CommonOptions.Threads();
        var input = new MatrixInputOptions();
        var command = new Command("design", "Choose which upstream examples a new task should measure after its fine-tune: the few cells that let 'predict' pin down the rest of its row.")
        {
            matrix, model, count, criterion, observed, observedColumns, exclusion.Exclude, exclusion.Columns, byIndex, output, threads,
        };
        command.Validators.Add(result =>
        {
            var hasMatrix = result.GetResult(matrix) is { Tokens.Count: > 0 };
            var hasModel = result.GetResult(model) is not null;
            if (hasMatrix == hasModel)
            {
                result.AddError(hasMatrix
                    ? "Give the past tasks' MATRIX or --model, not both: a design is made on one of them."
                    : "Give the past tasks' MATRIX (an mf model is fitted on it to design with) or --model M (a model from 'fit').");
            }
        });
        foreach (var option in grouping.All.Concat(input.All))
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var z = parse.GetValue(matrix) is { } matrixPath ? input.Read(parse, matrixPath) : null;
            var fitted = parse.GetValue(model) is { } modelPath ? ModelFile.Load(modelPath).Model : null;
            var exampleIds = z?.ExampleIds ?? fitted!.ExampleIds;
            var chosen = Designing.ParseCriterion(parse.GetValue(criterion));
            var (groups, column) = grouping.Read(parse, exampleIds, parse.Err(), required: chosen == Core.Evaluation.ActiveCriterion.GroupMeans);
            var matching = new ExampleMatching(parse.GetValue(byIndex), "pass --by-index");
            var excluded = exclusion.Read(parse, new ExampleReferences(exampleIds, matching), parse.Err());
            var cells = parse.GetValue(observed) is { } observedPath ? ObservedCells.Read(observedPath, exampleIds, matching, parse.Names(observedColumns)) : null;
            foreach (var read in cells?.Warnings ?? [])
            {
                // What the reader saw (a task column of several tasks), as predict and replay say it.
                parse.Err().WriteLine($"warning: {read}");
            }

            var measured = cells?.Examples;
            var design = Designing.Design(new MeasurementRequest
            {
                Matrix = z,
                Source = parse.GetValue(matrix) is { } named ? Path.GetFileName(named) : "the matrix",
                Model = fitted,
                Count = parse.GetValue(count),
                Criterion = chosen,
                Groups = groups,
                Excluded = excluded,
                Measured = measured,
                MaxThreads = parse.GetValue(threads),
            });
            var examples = design.Examples;
            var ids = examples.Select(j => exampleIds[j]).ToArray();
            var labels = groups is null ? null : examples.Select(j => groups.Labels[j]).ToArray();
            var console = Terminal.For(parse.Out());
            var left = (excluded is { Count: > 0 }, measured is { Length: > 0 }) switch
            {
                (true, true) => "neither excluded nor measured yet",
                (true, false) => "not excluded",
                (false, true) => "not measured yet",
                _ => null,
            };
            var chose = left is null
                ? string.Create(CultureInfo.InvariantCulture, $"chose {examples.Length} of {exampleIds.Count:N0} examples to measure")
                : string.Create(CultureInfo.InvariantCulture, $"chose {examples.Length} examples to measure, of the {design.Candidates:N0} {left},");
            var given = measured is { Length: > 0 } ? string.Create(CultureInfo.InvariantCulture, $", given the {measured.Length} measured already") : string.Empty;
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"{chose} with {Choices.Criterion.NameOf(chosen)}, on {design.Basis}{given}");
            if (parse.GetValue(output) is { } path)
            {
                TableFile.Write(Designing.Template(ids, labels, cells is null ? null : MeasuredSheet.Of(cells, exampleIds, groups)), path);
                console.WriteLine($"{summary}; wrote {path}");
                console.WriteLine($"measure each example's forgetting after the fine-tune (its loss after minus before), write it in the value column, then: forgetpredict predict --model {(parse.GetValue(model) is { } m ? Shell(m) : "MODEL")} --observed {Shell(path)}");
            }
            else
            {
                console.WriteLine(summary);
            }

            var table = labels is null ? Terminal.Table("order", "example") : Terminal.Table("order", "example", column ?? "group");
            for (var i = 0; i < examples.Length; i++)
            {
                if (labels is null)
                {
                    table.Row(Terminal.Count(design.FirstOrder + i), ids[i]);
                }
                else
                {
                    table.Row(Terminal.Count(design.FirstOrder + i), ids[i], labels[i] ?? Replaying.Ungrouped);
                }
            }

            console.Write(table);
            return CliApp.Ok;
        });
        return command;
    }

    // A path as a POSIX shell reads it back: as it is when it holds only safe characters, else in single quotes.
    internal static string Shell(string path) =>
        path.Length > 0 && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ',' or ':' or '=' or '@' or '%')
            ? path
            : $"'{path.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}

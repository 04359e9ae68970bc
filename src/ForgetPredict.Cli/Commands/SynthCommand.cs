using System.CommandLine;
using System.Globalization;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Tables;

namespace ForgetPredict.Cli.Commands;

/// <summary><c>forgetpredict synth --rows M --cols N --out FILE.npy</c>: a synthetic matrix with planted structure.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var defaults = new SyntheticOptions();
        var rows = CommonOptions.AtLeast("--rows", 1, defaults.Tasks, "Number of tasks M.");
        var cols = CommonOptions.AtLeast("--cols", 1, defaults.Examples, "Number of upstream examples N.");
        var binary = new Option<bool>("--binary") { Description = "Binary form: 1 = forgotten (answered right before, wrong after)." };
        var missing = new Option<double>("--missing") { Description = "Fraction of cells made missing (NaN).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed (same seed, same matrix).", DefaultValueFactory = _ => defaults.Seed };
        var groups = CommonOptions.AtLeast("--groups", 1, defaults.Groups, "Example groups (data sources).");
        var patterns = new Option<int>("--patterns") { Description = "Extra low-rank patterns (family k forgets group k); planted rank = 1 + patterns.", DefaultValueFactory = _ => defaults.Patterns };
        var noise = new Option<double>("--noise") { Description = "Noise standard deviation (nats).", DefaultValueFactory = _ => defaults.Noise };
        var output = new Option<string>("--out") { Description = "Matrix file to write (.npy).", Required = true };
        var examplesOut = new TableOutputOption<string?>("--examples-out") { Description = "Also write example metadata (id,group), as a table (.csv, .tsv, .json or .parquet)." };
        var tasksOut = new TableOutputOption<string?>("--tasks-out") { Description = "Also write task metadata (id,family), as a table (.csv, .tsv, .json or .parquet)." };
        var command = new Command("synth", "Write a synthetic forgetting matrix with planted structure (fragility x disruptiveness plus group patterns).")
        {
            rows, cols, binary, missing, seed, groups, patterns, noise, output, examplesOut, tasksOut,
        };
        command.SetAction(parse =>
        {
            var options = new SyntheticOptions
            {
                Tasks = parse.GetValue(rows),
                Examples = parse.GetValue(cols),
                Binary = parse.GetValue(binary),
                MissingFraction = parse.GetValue(missing),
                Seed = parse.GetValue(seed),
                Groups = parse.GetValue(groups),
                Patterns = parse.GetValue(patterns),
                Noise = parse.GetValue(noise),
                KeepSignal = false,
            };
            var path = parse.GetRequiredValue(output);
            if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException($"--out '{path}': synth writes .npy files; name the output *.npy.", CliApp.UsageError);
            }

            var s = SyntheticForgetting.Generate(options);

            using var outputs = AtomicFile.Together();
            AtomicFile.Write(path, stream => NpyFormat.Write(s.Matrix, stream));
            // A bare .npy carries no ids: its tasks and examples are "0".."M-1" and "0".."N-1", so metadata uses those.
            if (parse.GetValue(examplesOut) is { } examplesPath)
            {
                WriteMetadata(examplesPath, "group", s.ExampleGroups);
            }

            if (parse.GetValue(tasksOut) is { } tasksPath)
            {
                WriteMetadata(tasksPath, "family", s.TaskFamilies);
            }

            outputs.Commit();

            parse.Out().WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {path}: {options.Tasks} x {options.Examples}{(options.Binary ? " binary" : string.Empty)}, planted rank {s.PlantedRank}, {Reports.Charts.Percent(s.Matrix.MissingFraction, 1)} missing, seed {options.Seed}"));
            return CliApp.Ok;
        });
        return command;
    }

    // In the format of the file's extension, by the writer of every table the commands write (ids 0.., as a bare .npy's).
    private static void WriteMetadata(string path, string column, IReadOnlyList<string> values) =>
        TableFile.Write(new OutputTable(TableColumn.Int64s("id", [.. Enumerable.Range(0, values.Count).Select(i => (long?)i)]), TableColumn.Strings(column, values)), path);
}

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ForgetPredict.Application;
using ForgetPredict.Core;
using ForgetPredict.Data;

namespace ForgetPredict.Cli.Commands;

/// <summary><c>forgetpredict convert IN OUT</c>: rewrite a matrix in another format or layout (ids and missing cells kept), or a
/// model file in this version's format.</summary>
internal static class ConvertCommand
{
    private static readonly OptionVocabulary s_inputFlags = CliApp.FlagsWith(new Dictionary<string, string> { [DataOptionNames.Layout] = "--in-layout" });

    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "Matrix to read: .npy, .npz, .csv, .tsv, .json, .parquet or .txt (whitespace-separated, as np.savetxt writes); or a model file (.fpm) to copy." };
        var output = new Argument<string>("OUT") { Description = "Matrix to write (atomically), in the format its extension names." };
        var read = new MatrixInputOptions("--in-layout");
        var toFormat = CommonOptions.Format("--to-format", "Output format");
        var layout = new Option<string>("--layout")
        {
            Description = "CSV/TSV and Parquet output layout: wide (task id column, one column per example) or long (task,example,value; observed cells only).",
            DefaultValueFactory = _ => "wide",
        };
        layout.AcceptOnlyFromAmong("wide", "long");
        var compress = new Option<bool>("--compress") { Description = ".npz output: deflate the arrays (np.savez_compressed) instead of storing them (np.savez)." };
        var command = new Command("convert", "Convert a forgetting matrix between .npy, .npz, CSV/TSV (wide or long), Parquet, JSON and .txt, keeping ids and missing cells; or copy a model file (.fpm), checked and rewritten in this version's format.")
        {
            input, output,
        };
        foreach (var option in read.All)
        {
            command.Options.Add(option);
        }

        command.Options.Add(toFormat);
        command.Options.Add(layout);
        command.Options.Add(compress);
        command.SetAction(parse =>
        {
            var inPath = parse.GetRequiredValue(input);
            var outPath = parse.GetRequiredValue(output);
            if (IsModel(inPath))
            {
                return CopyModel(parse, inPath, outPath);
            }

            if (ModelFile.HasExtension(outPath))
            {
                // A matrix in, a model file's name out: fit makes model files.
                throw new CliException($"{outPath}: {ModelFile.Extension} names a model file, which fit makes from a matrix (forgetpredict fit {inPath} --out {outPath}); convert writes matrices, in the format the extension names ({string.Join(", ", MatrixFile.Formats.Select(f => f.Value[0]))}).", CliApp.UsageError);
            }

            string outFormat;
            try
            {
                outFormat = MatrixFile.WriteFormatOf(outPath, parse.GetValue(toFormat));
            }
            catch (ForgettingDataException e)
            {
                // An output no writer takes is a usage error, as every command's (refused before the input is read).
                throw new CliException(CliApp.Flags.Describe(e), CliApp.UsageError);
            }

            var outLayout = CommonOptions.ParseLayout(parse.GetValue(layout));
            if (outLayout == MatrixLayout.Long && !MatrixFile.HasLayout(outFormat))
            {
                // Wide is every format's only layout: --layout wide changes nothing and is taken; long needs a format that has one.
                var layered = MatrixFile.Formats.Where(f => MatrixFile.HasLayout(f.Key)).ToList();
                var extensions = layered.Select(f => f.Value[0]).ToList();
                throw new CliException($"--layout long applies to {Joined(extensions, "and")} output (the others are wide only), but {outPath} is written as {outFormat}; drop --layout or write a {Joined(extensions, "or")} file.", CliApp.UsageError);
            }

            if (parse.GetValue(compress) && outFormat != "npz")
            {
                throw new CliException($"--compress applies to .npz output, but {outPath} is written as {outFormat}.", CliApp.UsageError);
            }

            var readOptions = read.ReadOptions(parse);
            ForgettingMatrix z;
            try
            {
                // --columns names the output's columns too: an input without columns (a .npy) is read with the default names. With
                // columns on neither side (.npy to .npz) the names had been taken and ignored.
                var named = new MatrixReadOptions();
                var inFormat = MatrixFile.FormatOf(inPath, readOptions.Format);
                if (!MatrixFile.HasLayout(inFormat) && !MatrixFile.HasLayout(outFormat) && readOptions.NamesColumns)
                {
                    throw new CliException($"--columns names the columns of a CSV/TSV or Parquet table, but {inPath} is read as {inFormat} and {outPath} is written as {outFormat}, neither of which has columns; drop --columns.", CliApp.UsageError);
                }

                z = MatrixFile.Read(inPath, MatrixFile.HasLayout(inFormat) ? readOptions
                    : readOptions with { TaskColumn = named.TaskColumn, ExampleColumn = named.ExampleColumn, ValueColumn = named.ValueColumn });
            }
            catch (ForgettingDataException e) when (e.Options.Any(o => o.Name == DataOptionNames.Layout))
            {
                // Here --layout is the output's: the input's layout is --in-layout.
                throw new CliException(s_inputFlags.Describe(e));
            }

            foreach (var loss in MatrixFile.LossesOnWrite(z, outFormat, outLayout, readOptions.TaskColumn))
            {
                parse.Err().WriteLine($"warning: {outPath}: {loss}");
            }

            try
            {
                MatrixFile.Write(z, outPath, new MatrixWriteOptions
                {
                    Format = outFormat,
                    Layout = outLayout,
                    Compress = parse.GetValue(compress),
                    TaskColumn = readOptions.TaskColumn,
                    ExampleColumn = readOptions.ExampleColumn,
                    ValueColumn = readOptions.ValueColumn,
                });
            }
            catch (OptionException e)
            {
                // What the output's format cannot hold of this matrix (an example called 'task' in a wide Parquet file), said
                // of the output file.
                throw new CliException($"{outPath}: {CliApp.Flags.Describe(e)}", CliApp.UsageError);
            }
            var shape = MatrixFile.HasLayout(outFormat) ? $"{outFormat}, {outLayout.ToString().ToLowerInvariant()}" : outFormat;
            parse.Out().WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {outPath} ({shape}): {Echo.Shape(z.TaskCount, z.ExampleCount)}, {Reports.Charts.Percent(z.MissingFraction, 2)} missing{(z.TaskIds.IsImplicit && z.ExampleIds.IsImplicit ? ", no ids" : string.Empty)}"));
            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>Whether convert's IN is a model file, which it copies: named .fpm, or starting as one does whatever its name
    /// (the matrix readers would only say that the extension names no format).</summary>
    internal static bool IsModel(string path) => ModelFile.HasExtension(path) || ModelFile.StartsAsModel(path);

    // convert M.fpm OUT.fpm: the model rewritten in this version's format (ModelFile.Copy), which is how Python's Model.save
    // keeps a model; the options that shape a matrix have nothing to shape.
    private static int CopyModel(ParseResult parse, string inPath, string outPath)
    {
        var given = parse.CommandResult.Children.OfType<OptionResult>().Where(r => !r.Implicit).Select(r => r.Option.Name).ToList();
        if (given.Count > 0)
        {
            throw new CliException($"{given[0]} applies to matrices, but {inPath} is a model file, which convert copies as it is (in this version's format); drop {given[0]}.", CliApp.UsageError);
        }

        // OUT's name was checked with every command's model outputs (OutputFiles.ModelName).
        var loaded = ModelFile.Copy(inPath, outPath);
        parse.Out().WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {outPath} (model): {Echo.Shape(loaded.Model.TaskCount, loaded.Model.ExampleCount)}"));
        return CliApp.Ok;
    }

    // "a, b and c".
    private static string Joined(List<string> items, string last) =>
        items.Count < 2 ? string.Concat(items) : $"{string.Join(", ", items.Take(items.Count - 1))} {last} {items[^1]}";
}

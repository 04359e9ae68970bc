using System.CommandLine;
using System.Globalization;
using ForgetPredict.Application;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;

namespace ForgetPredict.Cli.Commands;

/// <summary><c>forgetpredict fit MATRIX --method M --out MODEL</c>: fit a model and save it.</summary>
internal static class FitCommand
{
    public static Command Create()
    {
        var matrix = CommonOptions.Matrix();
        var method = MethodOption();
        var known = new Option<int?>("--known") { Description = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"auto, ensemble: known cells per new task the cross-validation simulates (default {Core.Evaluation.EvaluationOptions.DefaultKnown}): the number you will measure. The other methods simulate none and refuse it.") };
        var rank = new Option<int?>("--rank") { Description = $"Latent rank (mf: default {Defaults.Rank}; logistic: default {Defaults.LogisticRank})." };
        var lambda = new Option<double?>("--lambda") { Description = "Main penalty: additive/knn bias penalty in cells; rank1/mf multiple of the noise-adaptive threshold; logistic L2 precision." };
        var seed = new Option<int?>("--seed") { Description = $"rank1, mf, logistic: seed of the initialisation; auto, ensemble: of the cross-validation's draws (default {Defaults.Seed}). The other methods draw no random numbers: a seed has no effect on them, and a warning says so." };
        var output = new ModelOutputOption("--out") { Description = $"Model file to write (atomically), e.g. model{ModelFile.Extension}: a binary format of its own, so a data format's extension (.csv, .npy, .json...) is refused.", Required = true };
        var threads = CommonOptions.Threads();
        var input = new MatrixInputOptions();
        var taskFeatures = FeatureOptions.Task();
        var exampleFeatures = FeatureOptions.Example();
        exampleFeatures.Description = "Example features (base loss, source, an embedding; the forms of --task-features keyed by example id): the model then also predicts new upstream examples from their features ('predict --example-features'). Repeatable.";
        var taskFeatureColumns = FeatureOptions.TaskColumns();
        var exampleFeatureColumns = FeatureOptions.ExampleColumns();
        var command = new Command("fit", "Fit a model to a forgetting matrix and save it for 'predict'.")
        {
            matrix, method, known, rank, lambda, seed, output, threads, taskFeatures, taskFeatureColumns, exampleFeatures, exampleFeatureColumns,
        };
        foreach (var option in input.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var progress = MachineProgress.For(parse.Err());
            progress?.Report("reading", 0);
            var z = input.Read(parse, parse.GetRequiredValue(matrix));
            var name = parse.GetRequiredValue(method);
            var path = parse.GetRequiredValue(output);
            var settings = new ModelSettings
            {
                Rank = parse.GetValue(rank),
                Lambda = parse.GetValue(lambda),
                Seed = parse.GetValue(seed),
                MaxThreads = parse.GetValue(threads),
                Known = parse.GetValue(known),
            };
            if (Fitting.UnusedSeedWarning(name, settings) is { } unusedSeed)
            {
                parse.Err().WriteLine($"warning: {CliApp.Flags.Describe(unusedSeed)}");
            }

            var fit = Fitting.Fit(new FitRequest
            {
                Matrix = z,
                Source = Path.GetFileName(parse.GetRequiredValue(matrix)),
                Method = name,
                Settings = settings,
                TaskFeatures = FeatureFile.ReadAll(parse.GetValue(taskFeatures) ?? [], z.TaskIds, "task", parse.Id(taskFeatureColumns)),
                ExampleFeatures = FeatureFile.ReadAll(parse.GetValue(exampleFeatures) ?? [], z.ExampleIds, "example", parse.Id(exampleFeatureColumns)),
            }, progress is null ? null : (stage, fraction) => progress.Report(stage, fraction, name));
            foreach (var warning in fit.Warnings)
            {
                parse.Err().WriteLine($"warning: {warning}");
            }

            progress?.Report("saving", 0.9);
            Fitting.Save(fit, path);
            progress?.Report("done", 1);
            var (model, seconds, r2) = (fit.Model, fit.FitTime.TotalSeconds, fit.RSquared);
            // auto's choice has its own line (a profile model's factors count its level, and it is solved without sweeps).
            // A logistic model's penalty is chosen by cross-validation unless --lambda gives it (LogisticOptions.Lambda).
            var penalty = model is FactorModel { PredictsProbability: true } p ? string.Create(CultureInfo.InvariantCulture, $", penalty {p.TaskBiasPenalty:G4}{(settings.Lambda is null ? " (cross-validated)" : string.Empty)}") : string.Empty;
            var detail = model is FactorModel f && fit.Provenance.Tuning is null ? string.Create(CultureInfo.InvariantCulture, $", rank {f.Rank}{penalty}, {f.Fit.Iterations} {Echo.Plural(f.Fit.Iterations, "sweep")}{(f.Fit.Converged ? string.Empty : " (not converged within the sweep limit; the last sweep is kept: repeated rows or columns often stall the solver, and a lower --rank or a larger --lambda may help)")}") : string.Empty;
            parse.Out().WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fitted {name} on {Echo.Shape(z.TaskCount, z.ExampleCount)} in {seconds:F2} s{detail}; training R^2 {r2:F4}; saved {path}"));
            if (fit.Provenance.Tuning is { } tuning)
            {
                parse.Out().WriteLine(tuning);
            }

            if (fit.TaskFeatures is { } features)
            {
                FeatureOptions.RenderReport(parse.Out(), features.Report);
            }

            if (fit.ExampleFeatures is { } examples)
            {
                parse.Out().WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"example features: {string.Join(", ", examples.Views.Select(v => v.BlockName))} explain {string.Join(", ", examples.ExplainedShare.Select(g => g.ToString("0.00", CultureInfo.InvariantCulture)))} of each example parameter's variance (leave-one-out); new examples get predictions from them with 'predict --example-features'"));
            }

            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>--method with a did-you-mean on unknown names.</summary>
    internal static Option<string> MethodOption() => new("--method")
    {
        Description = $"Model family: {string.Join(", ", ModelCatalog.Names)}; {ModelCatalog.Auto} chooses by cross-validation for --known cells.",
        DefaultValueFactory = _ => ModelCatalog.Default,
        Validators =
        {
            r =>
            {
                var value = r.GetValueOrDefault<string>();
                if (value is not null && !ModelCatalog.Names.Contains(value))
                {
                    r.AddError(ModelCatalog.UnknownMessage(value));
                }
            },
        },
    };
}

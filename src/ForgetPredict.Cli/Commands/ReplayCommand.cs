using System.CommandLine;
using System.Globalization;
using ForgetPredict.Application;
using ForgetPredict.Core.Replay;
using ForgetPredict.Data.Tables;
using ForgetPredict.Reports;
using Spectre.Console;

namespace ForgetPredict.Cli.Commands;

/// <summary>
/// <c>forgetpredict replay --model MODEL [--observed OBS] --budget B --out REPLAY.csv</c>: which upstream examples to mix back
/// into a planned fine-tune, chosen from their predicted forgetting.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var forecast = new ForecastOptions();
        forecast.ByIndex.Description = "Read the examples of --observed and --exclude as column positions 0..N-1 instead of example ids.";
        var budget = new Option<int?>("--budget") { Description = "Number of examples to replay." };
        var ratio = new Option<int?>("--ratio") { Description = "Replay one upstream example per R task examples (the reference setup uses 32); needs --task-size." };
        var taskSize = new Option<long?>("--task-size") { Description = "Number of examples in the fine-tuning task (with --ratio)." };
        var strategy = new Option<string>("--strategy")
        {
            Description = "softmax (sample without replacement with probability softmax(predicted / tau): the reference), topk, stratified (every group keeps a floor), random (the baseline).",
            DefaultValueFactory = _ => Choices.Strategy.NameOf(Choices.Strategy.Default),
        };
        strategy.OneOf(Choices.Strategy);
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature tau, in the units of the predictions.", DefaultValueFactory = _ => ReplayOptions.DefaultTemperature };
        var minPerGroup = new Option<int?>("--min-per-group") { Description = "Stratified: examples every group keeps (default: a quarter of the budget shared equally, and at least one per group; 0 lets top-K decide)." };
        var exclusion = new ExcludeOptions("Examples never to replay (e.g. a held-out evaluation set): a table (CSV, TSV or Parquet) whose id column lists them (column positions with --by-index).");
        var seed = new Option<int>("--seed") { Description = "Seed of the random strategies.", DefaultValueFactory = _ => 0 };
        var output = new TableOutputOption<string>("--out") { Description = "Replay set to write (.csv, .tsv, .json or .parquet): example,weight,predicted,group. weight: the example's probability of being drawn first (softmax: softmax(predicted / tau) over all candidates; random: 1 / candidates); 1 for topk and stratified. The set is drawn without replacement, so an example's chance of being in it is higher (random: budget / candidates): weight is no inclusion probability.", Required = true };
        var command = new Command("replay", "Choose upstream examples to replay during a planned fine-tune, from their predicted forgetting.")
        {
            budget, ratio, taskSize, strategy, temperature, minPerGroup, exclusion.Exclude, exclusion.Columns, seed, output,
        };
        foreach (var option in forecast.All.Reverse())
        {
            command.Options.Insert(0, option);
        }

        command.SetAction(parse =>
        {
            var chosen = Choices.Strategy.Parse(parse.GetValue(strategy));
            // The settings are checked before anything is read: a setting out of range, or one the strategy does not read, is
            // a usage error (exit 2) as a budget out of range is.
            var options = Usage(() =>
            {
                Replaying.CheckSettingsApply(chosen, parse.GetResult(temperature) is { Implicit: false }, parse.GetResult(minPerGroup) is { Implicit: false }, parse.GetResult(seed) is { Implicit: false });
                var given = ReplayOptions.ForBudget(parse.GetValue(budget), parse.GetValue(ratio), parse.GetValue(taskSize)) with
                {
                    Strategy = chosen,
                    Temperature = parse.GetValue(temperature),
                    MinPerGroup = parse.GetValue(minPerGroup),
                    Seed = parse.GetValue(seed),
                };
                given.Validate();
                return given;
            });
            var f = forecast.Load(parse, parse.Err(), requireGroups: chosen == ReplayStrategy.Stratified);
            var excludePath = parse.GetValue(exclusion.Exclude);
            var request = new ReplayPlanRequest(f.Task)
            {
                Excluded = exclusion.Read(parse, f.References, parse.Err()),
                ExcludedSource = excludePath is null ? null : $"--exclude {excludePath}",
                Options = options,
            };

            // The budget's fit to the groups (a stratified floor above it) is the options' misuse too.
            var plan = Usage(() => Replaying.Plan(request));
            var set = plan.Set;
            foreach (var warning in plan.Warnings)
            {
                parse.Err().WriteLine($"warning: {warning}.");
            }

            var path = parse.GetRequiredValue(output);
            TableFile.Write(Replaying.Table([.. set.Items.Select(i => f.Model.ExampleIds[i.Example])], [.. set.Items.Select(i => i.Weight)],
                [.. set.Items.Select(i => i.Predicted)], [.. set.Items.Select(i => i.Group)]), path);

            var console = Terminal.For(parse.Out());
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"chose {set.Items.Count:N0} of {set.Candidates:N0} candidate examples with {parse.GetValue(strategy)} from {ForecastInput.How(plan.Task, request.Prior)}; wrote {path}"));
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"they carry {Charts.Percent(set.CoveredForgetting, 1)} of the predicted forgetting; a random replay set of the same size carries {Charts.Percent(set.RandomExpectation, 1)}{(double.IsFinite(set.Lift) ? $" ({set.Lift:F1}x)" : string.Empty)}"));
            console.WriteLine($"{path}: {Replaying.DescribeWeight(options)}");
            if (f.Groups is not null)
            {
                var table = Terminal.Table(f.GroupColumn ?? "group", "replayed", "of examples");
                foreach (var g in plan.Groups)
                {
                    table.Row(g.Name, Terminal.Count(g.Replayed), g.ExcludedNote is { } note ? $"{Terminal.Count(g.Examples)} ({note})" : Terminal.Count(g.Examples));
                }

                console.Write(table);
            }

            return CliApp.Ok;
        });
        return command;
    }

    // The library's rules for the settings (budget, or ratio with task size; the ranges; what the strategy reads), its
    // refusals a usage error worded with the flags.
    private static T Usage<T>(Func<T> check)
    {
        try
        {
            return check();
        }
        catch (Core.OptionException e)
        {
            throw new CliException(CliApp.Flags.Describe(e), CliApp.UsageError);
        }
    }
}

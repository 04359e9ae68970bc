using System.Text.Json.Nodes;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

public class TaskFeatureCommandTests
{
    private static string Data(string file) => RepoPaths.Data("charlm-d", file);

    [Fact]
    public void Evaluate_KnownList_RunsEveryMethodAtEveryK_WithFeatureMethodsAndTheRepresentationBaseline()
    {
        var json = Path.Combine(RepoPaths.NewTempFolder(), "curve.json");
        var (code, output, error) = CliRunner.Run("evaluate", Data("z.npy"), "--test-rows", "0,1,2,5,6,8,12,14,18,25", "--methods", "example-mean,mf", "--seeds", "1",
            "--known", "0,10", "--task-features", Data("tasks.csv"), "--example-features", Data("upstream.csv"), "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("RMSE against known cells", output, StringComparison.Ordinal);
        var curve = JsonNode.Parse(File.ReadAllText(json))!["curve"]!.AsArray();
        Assert.Equal([0, 10], curve.Select(r => (int)r!["known"]!));
        var atZero = curve[0]!["methods"]!.AsArray().ToDictionary(m => (string)m!["name"]!, m => (double)m!["rmse"]!);
        Assert.Equal(["example-mean", "mf", "mf+features", "representation"], atZero.Keys);
        Assert.True(atZero["mf+features"] <= 0.5 * atZero["example-mean"], $"k = 0: {atZero["mf+features"]} vs example mean {atZero["example-mean"]}");
    }

    [Fact]
    public void Evaluate_Ensemble_WithTaskFeatures_AddsTheFeatureEnsemble_TunedPerK_NeverMoreThanOnePercentWorse()
    {
        var json = Path.Combine(RepoPaths.NewTempFolder(), "ensemble.json");
        var (code, _, error) = CliRunner.Run("evaluate", Data("z.npy"), "--test-rows", "0,1,2,5,6,8,12,14,18,25", "--methods", "ensemble", "--seeds", "1",
            "--known", "0,10,30", "--task-features", Data("tasks.csv"), "--task-features", Data("task_emb.npy"), "--json", json);
        Assert.True(code == 0, error);
        var curve = JsonNode.Parse(File.ReadAllText(json))!["curve"]!.AsArray();
        var rmse = curve.Select(r => r!["methods"]!.AsArray().ToDictionary(m => (string)m!["name"]!, m => (double)m!["rmse"]!)).ToArray();
        Assert.Equal(["ensemble", "ensemble+features"], rmse[0].Keys);

        // With no cell the features alone at least halve the error; with cells the cross-validated weights cost at most 1%.
        Assert.True(rmse[0]["ensemble+features"] <= 0.5 * rmse[0]["ensemble"], $"k = 0: {rmse[0]["ensemble+features"]} vs {rmse[0]["ensemble"]}");
        Assert.True(rmse[1]["ensemble+features"] <= 1.01 * rmse[1]["ensemble"], $"k = 10: {rmse[1]["ensemble+features"]} vs {rmse[1]["ensemble"]}");
        Assert.True(rmse[2]["ensemble+features"] <= 1.01 * rmse[2]["ensemble"], $"k = 30: {rmse[2]["ensemble+features"]} vs {rmse[2]["ensemble"]}");

        // The ensemble is tuned for each k of the curve: at k = 30 it matches a run at k = 30 alone.
        var single = Path.Combine(RepoPaths.NewTempFolder(), "single.json");
        var (singleCode, _, singleError) = CliRunner.Run("evaluate", Data("z.npy"), "--test-rows", "0,1,2,5,6,8,12,14,18,25", "--methods", "ensemble", "--seeds", "1",
            "--known", "30", "--json", single);
        Assert.True(singleCode == 0, singleError);
        var alone = (double)JsonNode.Parse(File.ReadAllText(single))!["methods"]![0]!["rmse"]!;
        Assert.Equal(alone, rmse[2]["ensemble"], 12);
    }

    [Fact]
    public void Fit_WithTaskFeatures_ThenPredictAColdStartTask_FromItsSettingsAlone()
    {
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "d.fpm");
        var (code, output, error) = CliRunner.Run("fit", Data("z.npy"), "--method", "mf", "--out", model, "--task-features", Data("tasks.csv"));
        Assert.True(code == 0, error);
        Assert.Contains("task features: tasks.csv", output, StringComparison.Ordinal);

        var gentle = Path.Combine(dir, "gentle.csv");
        File.WriteAllText(gentle, "task,family,lr,steps\nnew,web,0.0001,150\n");
        var harsh = Path.Combine(dir, "harsh.csv");
        File.WriteAllText(harsh, "task,family,lr,steps\nnew,web,0.001,600\n");
        double MeanForgetting(string features)
        {
            var table = Path.Combine(dir, Path.GetFileNameWithoutExtension(features) + "-pred.csv");
            var (c, o, e) = CliRunner.Run("predict", "--model", model, "--task-features", features, "--task-name", "new", "--out", table);
            Assert.True(c == 0, e);
            Assert.Contains("predicted from the task's features (cold start)", o, StringComparison.Ordinal);
            return File.ReadLines(table).Skip(1).Average(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture));
        }

        // A short, gentle fine-tune is predicted to forget far less than a long one at a high learning rate.
        Assert.True(MeanForgetting(harsh) > 3 * MeanForgetting(gentle));

        // A query with other columns than the model was fitted with is refused, naming the columns.
        var wrong = Path.Combine(dir, "wrong.csv");
        File.WriteAllText(wrong, "task,lr\nnew,0.001\n");
        var (badCode, _, badError) = CliRunner.Run("predict", "--model", model, "--task-features", wrong, "--task-name", "new");
        Assert.NotEqual(0, badCode);
        Assert.Contains("steps", badError, StringComparison.Ordinal);
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

public class TaskFeatureCommandTests
{
    private static string Data(string file) => RepoPaths.Data("charlm-d", file);

    private static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

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
    public void OnCharlmV_TheSettingsAndTheDataEmbeddingTogether_PredictAColdStartBetterThanEitherFile()
    {
        // Given: charlm-v (made here: its forgetting depends on the fine-tuning settings and on the kind of text together),
        // a random third of its tasks held out with no measured cell.
        static string V(string file) => RepoPaths.Data("charlm-v", file);
        double ColdStart(params string[] files)
        {
            var json = Path.Combine(RepoPaths.NewTempFolder(), "cold.json");
            string[] args = ["evaluate", V("z.npy"), "--test-fraction", "0.33", "--split-seed", "1", "--seeds", "1", "--known", "0", "--methods", "example-mean,mf", "--json", json,
                .. files.SelectMany(f => new[] { "--task-features", V(f) })];
            var (code, _, error) = CliRunner.Run(args);
            Assert.True(code == 0, error);
            return (double)JsonNode.Parse(File.ReadAllText(json))!["methods"]!.AsArray().Single(m => (string)m!["name"]! == "mf+features")!["rmse"]!;
        }

        // When: the rows are predicted from the settings table, from the data embedding, and from both files.
        var settings = ColdStart("tasks.csv");
        var data = ColdStart("task_emb.npy");
        var both = ColdStart("tasks.csv", "task_emb.npy");

        // Then: both files do better than the better file alone (by combining them in one kernel), and a fit says so.
        Assert.True(both <= 0.95 * Math.Min(settings, data), $"both {both}, tasks.csv {settings}, task_emb.npy {data}");
        var (fitCode, fitOutput, fitError) = CliRunner.Run("fit", V("z.npy"), "--method", "mf", "--out", Path.Combine(RepoPaths.NewTempFolder(), "v.fpm"),
            "--task-features", V("tasks.csv"), "--task-features", V("task_emb.npy"));
        Assert.True(fitCode == 0, fitError);
        Assert.Contains("task features: tasks.csv (log) + tasks.csv categories + task_emb.npy, ", fitOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_AFamilyTheModelWasNotFittedWith_IsPredictedWithAWarningNamingTheLevels()
    {
        // Given: mf fitted on charlm-v with its settings table, whose families the feature model reads.
        static string V(string file) => RepoPaths.Data("charlm-v", file);
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "v.fpm");
        var (fitCode, fitOutput, fitError) = CliRunner.Run("fit", V("z.npy"), "--method", "mf", "--rank", "3", "--out", model, "--task-features", V("tasks.csv"));
        Assert.True(fitCode == 0, fitError);
        Assert.Contains("tasks.csv categories", fitOutput, StringComparison.Ordinal);
        var json = Path.Combine(dir, "p.json");
        string Predict(string family, string lr = "0.0002")
        {
            var features = Path.Combine(dir, "tasks.csv");
            File.WriteAllText(features, $"task,family,lr,steps\nnew-task,{family},{lr},100\n");
            var (code, _, error) = CliRunner.Run("predict", "--model", model, "--task-features", features, "--task-name", "new-task", "--json", json);
            Assert.True(code == 0, error);

            // The JSON summary carries the warnings printed (without their prefix) and says the row came from the features.
            using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
            Assert.True(summary.RootElement.GetProperty("from_task_features").GetBoolean());
            Assert.Equal(
                error.Split('\n').Where(l => l.StartsWith("warning: ", StringComparison.Ordinal)).Select(l => l["warning: ".Length..].TrimEnd('\r')),
                summary.RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));
            return error;
        }

        // Then: a family the model knows predicts quietly; a misspelt one is predicted with a warning naming the value, the
        // model's levels and the closest of them.
        Assert.DoesNotContain("warning", Predict("web"), StringComparison.Ordinal);
        Assert.StartsWith("warning: " + Path.Combine(dir, "tasks.csv") + ": family 'Web' is not a level the model was fitted with ('code-c', 'code-other', 'code-python', 'data', 'text', 'web'; did you mean 'web'?). The task counts as none of the model's levels there",
            Predict("Web"), StringComparison.Ordinal);

        // A setting far outside the training tasks' (lr in the wrong units, say) is predicted with a warning that the prior
        // there is an extrapolation.
        var far = Predict("web", "1e300");
        Assert.StartsWith("warning: " + Path.Combine(dir, "tasks.csv") + ": lr 1E+300 lies ", far, StringComparison.Ordinal);
        Assert.Contains(" standard deviations from the training tasks' values, far outside anything the model was fitted on, so its prior there is an extrapolation; check the value and its units.", far, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_AnEmbeddingUnlikeTheTrainingTasks_IsWarnedOf_AndItsIntervalsWiden()
    {
        // Given: mf fitted on charlm-v with its tasks' data embedding, and two new tasks' embeddings: the first task's, and the
        // same 50 times larger (an embedding from another model, or unnormalised).
        static string V(string file) => RepoPaths.Data("charlm-v", file);
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "v.fpm");
        var (fitCode, fitOutput, fitError) = CliRunner.Run("fit", V("z.npy"), "--method", "mf", "--rank", "3", "--out", model, "--task-features", V("task_emb.npy"));
        Assert.True(fitCode == 0, fitError);
        Assert.Contains("task_emb.npy", fitOutput, StringComparison.Ordinal);
        var embedding = ForgetPredict.Data.Formats.NpyFormat.Read(V("task_emb.npy"));
        var width = embedding.ExampleCount;
        (string Error, double Std) Predict(string name, double factor)
        {
            var file = Path.Combine(dir, name + ".npy");
            using (var stream = File.Create(file))
            {
                var row = Enumerable.Range(0, width).Select(c => (float)(embedding[0, c] * factor)).ToArray();
                ForgetPredict.Data.Formats.NpyFormat.WriteArray(stream, row, [1, width]);
            }

            var table = Path.Combine(dir, name + ".csv");
            var (code, _, error) = CliRunner.Run("predict", "--model", model, "--task-features", file, "--task-name", "0", "--out", table);
            Assert.True(code == 0, error);
            var stds = File.ReadAllLines(table).Skip(1).Select(l => double.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            return (error, stds.Average());
        }

        // When: each is predicted from its embedding alone.
        var (nearError, nearStd) = Predict("near", 1);
        var (farError, farStd) = Predict("far", 50);

        // Then: the first quietly; the far one with a warning that its prior is an extrapolation, and wider intervals.
        Assert.DoesNotContain("warning", nearError, StringComparison.Ordinal);
        Assert.Contains("task_emb.npy lies ", farError, StringComparison.Ordinal);
        Assert.Contains(" standard deviations from the training tasks' values (root mean square over its columns), far outside anything the model was fitted on, so its prior there is an extrapolation; check the value and its units.", farError, StringComparison.Ordinal);
        Assert.True(farStd > 1.15 * nearStd, $"std {farStd} far, {nearStd} near");
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
    public void Fit_Ensemble_WithTaskFeatures_IsRefusedBeforeFitting_NamingTheMethodsThatCarryThem()
    {
        var model = Path.Combine(RepoPaths.NewTempFolder(), "e.fpm");
        var (code, output, error) = CliRunner.Run("fit", Data("z.npy"), "--method", "ensemble", "--out", model, "--task-features", Data("tasks.csv"));
        Assert.NotEqual(0, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("'ensemble' cannot carry them", error, StringComparison.Ordinal);
        Assert.Contains("fit mf (or task-mean, additive, rank1) with the task features", error, StringComparison.Ordinal);
        Assert.Contains("run 'evaluate --methods ensemble' with the same task features (it adds ensemble+features)", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.False(File.Exists(model));
    }

    // A feature block constant over the training rows is one of the fit's warnings (FitResult.Warnings), so fit, the
    // service's fit job and the Python package all say it.
    [Fact]
    public void Fit_WithFeatureBlocksConstantOverTheTrainingRows_WarnsThatEachIsLeftOut()
    {
        // Given: a task feature file constant over charlm-d's tasks beside one that varies, and example features whose
        // source is one level for every chunk beside an embedding that is one row for every chunk.
        var dir = RepoPaths.NewTempFolder();
        var z = ForgetPredict.Data.MatrixFile.Read(Data("z.npy"));
        string Write(string name, string header, Func<int, string> row, int count)
        {
            var path = Path.Combine(dir, name);
            File.WriteAllText(path, header + "\n" + string.Concat(Enumerable.Range(0, count).Select(i => row(i) + "\n")));
            return path;
        }

        var constant = Write("const.csv", "row,lr", i => string.Create(CultureInfo.InvariantCulture, $"{i},0.5"), z.TaskCount);
        var varying = Write("mixed.csv", "row,lr,seed", i => string.Create(CultureInfo.InvariantCulture, $"{i},0.5,{i % 3}"), z.TaskCount);
        var source = Write("onesource.csv", "column,source,base_loss", j => string.Create(CultureInfo.InvariantCulture, $"{j},c-header,{0.1 + (j * 1e-4):F6}"), z.ExampleCount);
        var embedding = Write("emb.csv", "column,a,b", j => string.Create(CultureInfo.InvariantCulture, $"{j},1.5,-2"), z.ExampleCount);

        // When: mf is fitted with them.
        var (code, output, error) = CliRunner.Run("fit", Data("z.npy"), "--method", "mf", "--rank", "2", "--out", Path.Combine(dir, "m.fpm"),
            "--task-features", constant, "--task-features", varying, "--example-features", source, "--example-features", embedding);

        // Then: each constant block has its warning, naming its values, task features first; the report on standard output
        // does not repeat them.
        Assert.True(code == 0, error);
        var warnings = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).Where(l => l.Contains(" is left out, as it is constant", StringComparison.Ordinal)).ToArray();
        Assert.Equal(
            [
                "warning: task features: 'const.csv' is left out, as it is constant over the training tasks (every training task has lr 0.5), so it carries no information; a new task that differs there is warned about",
                "warning: example features: 'onesource.csv categories' is left out, as it is constant over the measured examples (every measured example has source 'c-header'), so it carries no information; a new example that differs there is warned about",
                "warning: example features: 'emb.csv' is left out, as it is constant over the measured examples (every measured example has a 1.5, b -2), so it carries no information; a new example that differs there is warned about",
            ],
            warnings);
        Assert.DoesNotContain("is left out", output, StringComparison.Ordinal);
        Assert.Contains("example features: onesource.csv explain", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_WithoutAMethod_WithTaskFeatures_AutoChoosesAModelThatCarriesThem()
    {
        var model = Path.Combine(RepoPaths.NewTempFolder(), "a.fpm");
        var (code, output, error) = CliRunner.Run("fit", Data("z.npy"), "--out", model, "--task-features", Data("tasks.csv"));
        Assert.True(code == 0, error);
        Assert.Contains("auto chose ", output, StringComparison.Ordinal);
        Assert.Contains("candidates: additive ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("knn", output, StringComparison.Ordinal);
        Assert.Contains("task features: tasks.csv", output, StringComparison.Ordinal);
        Assert.NotNull(ForgetPredict.Data.ModelFile.Load(model).TaskFeatures);
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

        // The feature model gives the prior: a fold-in prior named beside the features would be ignored, so it is refused.
        var (ridgeCode, _, ridgeError) = CliRunner.Run("predict", "--model", model, "--task-features", harsh, "--task-name", "new", "--prior", "ridge");
        Assert.Equal(2, ridgeCode);
        Assert.Contains("error: --prior ridge is a fold-in prior without task features; with --task-features, the task feature model gives the prior of the task's parameters, so it would be ignored: drop one of them.", ridgeError, StringComparison.Ordinal);

        // A row copied from tasks.csv itself (row number, task name, settings) and renamed: the fit read its ids from 'row',
        // so the query's row number is an id, not a setting, whichever column names the new task (it was refused as a
        // numeric column the model was not fitted with).
        var copied = Path.Combine(dir, "copied.csv");
        File.WriteAllText(copied, "row,task,family,lr,steps\n99,new,web,0.001,600\n");
        Assert.Equal(MeanForgetting(harsh), MeanForgetting(copied));
        var (extraCode, _, extraError) = CliRunner.Run("predict", "--model", model, "--task-features", Write(dir, "extra.csv", "row,task,family,lr,steps,warmup\n99,new,web,0.001,600,10\n"), "--task-name", "new");
        Assert.Equal(1, extraCode);
        Assert.Contains("numeric columns warmup that the model was not fitted with", extraError, StringComparison.Ordinal);

        // A query with other columns than the model was fitted with is refused, naming the file and the columns.
        var wrong = Path.Combine(dir, "wrong.csv");
        File.WriteAllText(wrong, "task,lr\nnew,0.001\n");
        var (badCode, _, badError) = CliRunner.Run("predict", "--model", model, "--task-features", wrong, "--task-name", "new");
        Assert.NotEqual(0, badCode);
        Assert.Contains($"{wrong}: the task features have no block like 'tasks.csv'", badError, StringComparison.Ordinal);
        Assert.Contains("steps", badError, StringComparison.Ordinal);
    }

    [Fact]
    public void ColdColumns_FitStoresTheExampleFeatureModel_AndPredictMarksNewExamplesCold_WithWiderIntervals()
    {
        // Given: charlm-d's first 1,000 chunks as the matrix and their embeddings; the new task's 30 measured cells.
        var dir = RepoPaths.NewTempFolder();
        var z = ForgetPredict.Data.MatrixFile.Read(Data("z.npy"));
        var emb = ForgetPredict.Data.MatrixFile.Read(Data("example_emb.npy"));
        const int known = 1000;
        var matrix = TestMatrices.Slice(dir, z, z.TaskCount, known, "z.npy");
        var model = Path.Combine(dir, "m.fpm");
        var (code, output, error) = CliRunner.Run("fit", matrix, "--method", "mf", "--rank", "3", "--out", model, "--example-features", Data("upstream.csv"),
            "--example-features", TestMatrices.Slice(dir, emb, known, emb.ExampleCount, "emb.npy"));
        Assert.True(code == 0, error);
        Assert.Contains("example features: upstream.csv, upstream.csv categories, emb.npy explain", output, StringComparison.Ordinal);
        var observed = Path.Combine(dir, "observed.csv");
        File.WriteAllLines(observed, ["example,value", .. Enumerable.Range(0, 30).Select(i => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{i * 33},{z[3, i * 33]:R}"))]);

        // When: the row is predicted with every chunk's features (the model's 1,000 and 3,800 new ones).
        var table = Path.Combine(dir, "p.csv");
        var json = Path.Combine(dir, "p.json");
        (code, output, error) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--example-features", Data("upstream.csv"), "--example-features", Data("example_emb.npy"), "--out", table,
            "--json", json);
        Assert.True(code == 0, error);

        // Then: the new chunks follow the model's, marked cold, with wider intervals, and closer to the truth than their average.
        Assert.Contains("cold columns: 3,800 new examples predicted from their features (upstream.csv, example_emb.npy)", output, StringComparison.Ordinal);
        var rows = File.ReadLines(table).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal("example,predicted,std,probability,rank,measured,measured_value,cold", File.ReadLines(table).First());
        Assert.Equal(z.ExampleCount, rows.Length);
        Assert.All(rows.Take(known), r => Assert.Equal("False", r[7]));
        Assert.All(rows.Skip(known), r => Assert.Equal(("True", string.Empty, "False"), (r[7], r[4], r[5])));
        Assert.Equal(Enumerable.Range(known, z.ExampleCount - known).Select(j => j.ToString(System.Globalization.CultureInfo.InvariantCulture)), rows.Skip(known).Select(r => r[0]));
        static double Number(string text) => double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var coldStd = rows.Skip(known).Select(r => Number(r[2])).Order().ElementAt((z.ExampleCount - known) / 2);
        var knownStd = rows.Take(known).Select(r => Number(r[2])).Order().ElementAt(known / 2);
        Assert.True(coldStd > knownStd, $"cold median std {coldStd} vs measured examples' {knownStd}");
        var predicted = rows.Skip(known).Select(r => Number(r[1])).ToArray();
        var truth = Enumerable.Range(known, z.ExampleCount - known).Select(j => (double)z[3, j]).ToArray();
        var average = rows.Take(known).Average(r => Number(r[1]));
        double Rmse(Func<int, double> guess) => Math.Sqrt(truth.Select((y, i) => (guess(i) - y) * (guess(i) - y)).Average());
        Assert.True(Rmse(i => predicted[i]) < 0.8 * Rmse(_ => average), $"cold RMSE {Rmse(i => predicted[i])} vs the average chunk's {Rmse(_ => average)}");

        // The JSON summary lists the same new chunks with the same predictions (as the service's coldExamples).
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        var cold = summary.RootElement.GetProperty("cold_examples").EnumerateArray().ToArray();
        Assert.Equal(rows.Skip(known).Select(r => r[0]), cold.Select(c => c.GetProperty("example").GetString()));
        Assert.Equal(predicted, cold.Select(c => c.GetProperty("predicted").GetDouble()));
        Assert.False(summary.RootElement.GetProperty("from_task_features").GetBoolean());
        // The model measured only the first sources' chunks: each other source is named once, with its count.
        var warning = Assert.Single(summary.RootElement.GetProperty("warnings").EnumerateArray()).GetString();
        Assert.Contains("source 'python' is not a level the model was fitted with ('c-header', 'changelog') (600 new examples)", warning, StringComparison.Ordinal);
    }

    // QA: with --examples and --group-by, the new examples (cold columns) had an empty group in --out, were left out of the
    // group report, and their metadata rows were reported as matching no example.
    [Fact]
    public void ColdColumns_WithGroups_CarryTheirGroup_AndEnterTheGroupReport()
    {
        // Given: charlm-d's first 4,000 chunks as the matrix (the last 800, 600 python and 200 perl, never measured).
        var dir = RepoPaths.NewTempFolder();
        var z = ForgetPredict.Data.MatrixFile.Read(Data("z.npy"));
        var emb = ForgetPredict.Data.MatrixFile.Read(Data("example_emb.npy"));
        const int known = 4000;
        var model = Path.Combine(dir, "m.fpm");
        var (code, _, error) = CliRunner.Run("fit", TestMatrices.Slice(dir, z, z.TaskCount, known, "z.npy"), "--method", "mf", "--rank", "3", "--out", model, "--example-features", Data("upstream.csv"),
            "--example-features", TestMatrices.Slice(dir, emb, known, emb.ExampleCount, "emb.npy"));
        Assert.True(code == 0, error);
        var observed = Path.Combine(dir, "observed.csv");
        File.WriteAllLines(observed, ["example,value", .. Enumerable.Range(0, 31).Select(i => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{i * 130},{z[3, i * 130]:R}"))]);

        // When: the row is predicted with every chunk's features, grouped by source.
        var table = Path.Combine(dir, "p.csv");
        var json = Path.Combine(dir, "p.json");
        (code, var output, error) = CliRunner.Run("predict", "--model", model, "--observed", observed, "--example-features", Data("upstream.csv"), "--example-features", Data("example_emb.npy"),
            "--examples", Data("upstream.csv"), "--group-by", "source", "--out", table, "--json", json);
        Assert.True(code == 0, error);

        // Then: no metadata row is called unused (every one names a model's example or a new one).
        Assert.DoesNotContain("match no example", error, StringComparison.Ordinal);

        // And: every row of --out, the new ones too, carries its source (read back with the library's CSV reader).
        var sources = ForgetPredict.Data.MetadataTable.Read(Data("upstream.csv"));
        var source = sources.Join(Core.IdList.Implicit(z.ExampleCount)).Column("source");
        var rows = ForgetPredict.Data.MetadataTable.Read(table);
        var group = rows.Column("group");
        Assert.Equal(source, group);
        var cold = rows.Column("cold");
        Assert.Equal(800, cold.Count(c => c == "True"));
        Assert.Equal(["perl", "python"], Enumerable.Range(known, 800).Select(j => group[j]).Distinct().Order(StringComparer.Ordinal));

        // And: each group's count, mean and share are over all its rows, measured and new (computed here from --out); a group
        // with new examples says how many.
        static double Number(string? text) => double.Parse(text!, System.Globalization.CultureInfo.InvariantCulture);
        var predicted = rows.Column("predicted").Select(Number).ToArray();
        var probability = rows.Column("probability").Select(Number).ToArray();
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        var groups = summary.RootElement.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("name").GetString()!);
        Assert.Equal(8, groups.Count);
        foreach (var (name, g) in groups)
        {
            var members = Enumerable.Range(0, z.ExampleCount).Where(j => group[j] == name).ToArray();
            Assert.Equal(members.Length, g.GetProperty("count").GetInt32());
            Assert.Equal(members.Count(j => j >= known), g.GetProperty("new_count").GetInt32());
            Assert.Equal(members.Average(j => predicted[j]), g.GetProperty("mean").GetDouble(), 1e-12);
            Assert.Equal(members.Average(j => probability[j]), g.GetProperty("share").GetDouble(), 1e-12);

            // Its top list marks, id by id, which examples are new (top_new, parallel to top_examples).
            var top = g.GetProperty("top_examples").EnumerateArray().Select(e => int.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(top.Select(j => j >= known), g.GetProperty("top_new").EnumerateArray().Select(e => e.GetBoolean()));
        }

        Assert.Equal((600, 600), (groups["python"].GetProperty("count").GetInt32(), groups["python"].GetProperty("new_count").GetInt32()));
        Assert.Equal((600, 200), (groups["perl"].GetProperty("count").GetInt32(), groups["perl"].GetProperty("new_count").GetInt32()));
        Assert.All(groups["python"].GetProperty("top_new").EnumerateArray(), e => Assert.True(e.GetBoolean()));
        Assert.Contains(groups.Values, g => g.GetProperty("top_new").EnumerateArray().All(e => !e.GetBoolean()));
        Assert.Matches(@"\n  python +600 \(600 new\) ", output);
        Assert.Matches(@"\n  perl +600 \(200 new\) ", output);
        Assert.All(summary.RootElement.GetProperty("cold_examples").EnumerateArray(), c => Assert.Equal(source[int.Parse(c.GetProperty("example").GetString()!, System.Globalization.CultureInfo.InvariantCulture)], c.GetProperty("group").GetString()));
    }

    // A new example's feature far outside the measured examples' is predicted with a warning (the rule task settings follow);
    // one so far that its prediction overflows is refused, naming the example and the feature: it had printed "median std NaNx"
    // and an empty std, exiting 0.
    [Fact]
    public void ColdColumns_FarFromTheMeasuredExamples_AreWarnedOf_AndAnOverflowIsRefused()
    {
        var (dir, _, model) = SmallModelWithExampleFeatures();

        var near = Write(dir, "near.csv", "id,loss,size\ng,3.5,4\n");
        var (code, _, error) = CliRunner.Run("predict", "--model", model, "--example-features", near);
        Assert.True(code == 0, error);
        Assert.DoesNotContain("warning", error, StringComparison.Ordinal);

        var far = Write(dir, "far.csv", "id,loss,size\ng,3.5,4\nh,1e10,4\n");
        (code, var output, error) = CliRunner.Run("predict", "--model", model, "--example-features", far);
        Assert.True(code == 0, error);
        Assert.Contains($"warning: {far}: new example 'h': loss 1E+10 lies ", error, StringComparison.Ordinal);
        Assert.Contains(" standard deviations from the measured examples' values, far outside anything the model was fitted on, so its prediction there is an extrapolation; check the value and its units.", error, StringComparison.Ordinal);
        Assert.Contains("cold columns: 2 new examples", output, StringComparison.Ordinal);

        var huge = Write(dir, "huge.csv", "id,loss,size\ng,3.5,4\nh,1e200,4\n");
        (code, output, error) = CliRunner.Run("predict", "--model", model, "--example-features", huge);
        Assert.NotEqual(0, code);
        Assert.Contains($"{huge}: new example 'h' cannot be predicted: its prediction (", error, StringComparison.Ordinal);
        Assert.Contains("is not a finite number, because its feature 'loss' of 'ex.csv' is 1E+200, ", error, StringComparison.Ordinal);
        Assert.Contains("Give its features in the units of the files the model was fitted with.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", output, StringComparison.Ordinal);
    }

    // Two files that both give the columns of the view the prior reads: the prior read the first, so the answer depended on
    // their order. Refused, naming both (the service's parts follow the same rule).
    [Fact]
    public void Predict_TwoTaskFeatureFilesForTheSameView_AreRefusedNamingBoth()
    {
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "d.fpm");
        var (fitCode, _, fitError) = CliRunner.Run("fit", Data("z.npy"), "--method", "mf", "--rank", "3", "--out", model, "--task-features", Data("tasks.csv"));
        Assert.True(fitCode == 0, fitError);
        var first = Write(dir, "new.csv", "task,lr,steps\nnew-task,0.001,600\n");
        var second = Write(dir, "other.csv", "task,lr,steps\nnew-task,0.0001,150\n");

        var (code, _, error) = CliRunner.Run("predict", "--model", model, "--task-features", first, "--task-name", "new-task");
        Assert.True(code == 0, error);
        (code, _, error) = CliRunner.Run("predict", "--model", model, "--task-features", first, "--task-features", second, "--task-name", "new-task");
        Assert.NotEqual(0, code);
        Assert.Contains("'new.csv' and 'other.csv' both give the columns of 'tasks.csv' (lr, steps), which the model's prior reads, so which one it would read depends on their order; give those columns once, in one of them.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_ATaskEmbeddingOfAnotherWidthOrBeyondFloat32_IsRefusedInTheEmbeddingsTerms()
    {
        // Given: an mf model of charlm-v fitted with its 64-wide task embedding; a new task's embedding 63 wide under another
        // name (QA: refused listing the first columns of each, not the widths), and one with 1e200 (QA: the matrix's words,
        // "forgetting values ... or store NaN for a missing cell").
        static string V(string file) => RepoPaths.Data("charlm-v", file);
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "v.fpm");
        var (fitCode, _, fitError) = CliRunner.Run("fit", V("z.npy"), "--method", "mf", "--rank", "2", "--task-features", V("task_emb.npy"), "--out", model);
        Assert.True(fitCode == 0, fitError);
        var narrow = Path.Combine(dir, "te63.npy");
        using (var stream = File.Create(narrow))
        {
            ForgetPredict.Data.Formats.NpyFormat.WriteArray(stream, new float[63], [1, 63]);
        }

        var huge = Path.Combine(dir, "ve_huge.npy");
        ExternalTool.RunPython("""
            import numpy as np, sys
            x = np.load(sys.argv[1])[:1].astype('f8'); x[0, 0] = 1e200; np.save(sys.argv[2], x)
            """, V("task_emb.npy"), huge);

        // When
        var (code, _, error) = CliRunner.Run("predict", "--model", model, "--task-features", narrow, "--task-name", "0");
        var (hugeCode, _, hugeError) = CliRunner.Run("predict", "--model", model, "--task-features", huge, "--task-name", "0");

        // Then: both widths; the cell by row and column with a fix for an embedding.
        Assert.Equal(1, code);
        Assert.Contains($"{narrow}: features 'te63.npy' have 63 columns; the model was fitted with 64 for 'task_emb.npy'. Give the same columns the model was fitted with.", error, StringComparison.Ordinal);
        Assert.Equal(1, hugeCode);
        Assert.Contains($"{huge}: row 0, column 0 is 1E+200, beyond float32's range (about ±3.4e38), in which embeddings are held; rescale the embedding", hugeError, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", hugeError, StringComparison.Ordinal);
    }

    [Fact]
    public void ColdColumns_WrongWidthOrAModelWithoutExampleFeatures_AreRefusedWithTheFileAndTheFix()
    {
        var (dir, matrix, model) = SmallModelWithExampleFeatures();
        var plain = Path.Combine(dir, "plain.fpm");
        var features = Path.Combine(dir, "ex.csv");
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "mf", "--rank", "1", "--out", plain).ExitCode);

        var narrow = Path.Combine(dir, "narrow.csv");
        File.WriteAllText(narrow, "id,loss\ng,7\n");
        var (code, _, error) = CliRunner.Run("predict", "--model", model, "--example-features", narrow);
        Assert.NotEqual(0, code);
        Assert.Contains($"{narrow}: the example features have no block like 'ex.csv' (numeric columns loss, size)", error, StringComparison.Ordinal);
        Assert.Contains("Give the same feature columns", error, StringComparison.Ordinal);

        var wide = Path.Combine(dir, "wide.csv");
        File.WriteAllText(wide, "id,loss,size\ng,7,2\n");
        (code, _, error) = CliRunner.Run("predict", "--model", plain, "--example-features", wide);
        Assert.NotEqual(0, code);
        Assert.Contains("was fitted without example features; refit it with 'fit --example-features'", error, StringComparison.Ordinal);

        (code, _, error) = CliRunner.Run("predict", "--model", model, "--example-features", features);
        Assert.NotEqual(0, code);
        Assert.Contains("every example listed is already in the model", error, StringComparison.Ordinal);

        // Whole-number example ids written as floats by pandas ('0.0' for the model's '0') are the model's examples, not new
        // ones: they had been predicted from their features as if never measured.
        var numbered = Path.Combine(dir, "zn.csv");
        File.WriteAllText(numbered, File.ReadAllText(matrix).Replace("task,a,b,c,d,e,f", "task,0,1,2,3,4,5", StringComparison.Ordinal));
        var numberedModel = Path.Combine(dir, "n.fpm");
        var byNumber = Path.Combine(dir, "exn.csv");
        File.WriteAllText(byNumber, "id,loss,size\n0,1,3\n1,2,1\n2,3,4\n3,4,1\n4,5,5\n5,6,9\n");
        Assert.Equal(0, CliRunner.Run("fit", numbered, "--method", "mf", "--rank", "1", "--out", numberedModel, "--example-features", byNumber).ExitCode);
        var floats = Path.Combine(dir, "exf.csv");
        File.WriteAllText(floats, "id,loss,size\n0.0,1,3\n1.0,2,1\n2.0,3,4\n3.0,4,1\n4.0,5,5\n5.0,6,9\n6.0,7,2\n");
        (code, _, error) = CliRunner.Run("predict", "--model", numberedModel, "--example-features", floats);
        Assert.Equal(1, code);
        Assert.Contains($"{floats}: column 'id': example id '0.0' is the model's example '0' written as another number", error, StringComparison.Ordinal);
    }

    // An 8 x 6 matrix (z.csv) and an mf rank 1 model fitted on it with example features (ex.csv: loss 1..6, size), in a new folder.
    private static (string Dir, string Matrix, string Model) SmallModelWithExampleFeatures()
    {
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "m.fpm");
        var matrix = Path.Combine(dir, "z.csv");
        File.WriteAllText(matrix, "task,a,b,c,d,e,f\n" + string.Join("\n", Enumerable.Range(0, 8).Select(t => $"t{t},{string.Join(",", Enumerable.Range(0, 6).Select(j => ((t + 1) * (j + 1) % 7 / 10.0).ToString(System.Globalization.CultureInfo.InvariantCulture)))}")) + "\n");
        var features = Path.Combine(dir, "ex.csv");
        File.WriteAllText(features, "id,loss,size\na,1,3\nb,2,1\nc,3,4\nd,4,1\ne,5,5\nf,6,9\n");
        Assert.Equal(0, CliRunner.Run("fit", matrix, "--method", "mf", "--rank", "1", "--out", model, "--example-features", features).ExitCode);
        return (dir, matrix, model);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ForgetPredict.Cli;
using ForgetPredict.Testing;

namespace ForgetPredict.Server.Tests;

/// <summary>
/// A store with <c>d</c>: mf rank 3 fitted by the CLI on charlm-d with its task settings (tasks.csv) and task embeddings
/// (task_emb.npy), grouped by source; and <c>v</c>: mf rank 3 on charlm-v with its settings, whose families its prior reads. Queries with task features are answered as the CLI answers them.
/// </summary>
public sealed class TaskFeatureFixture : IDisposable
{
    public TaskFeatureFixture()
    {
        Directory = RepoPaths.NewTempFolder("fp-server-features");
        Model = Path.Combine(Directory, "d.fpm");
        Examples = Path.Combine(Directory, "d.examples.csv");
        File.WriteAllLines(Examples, File.ReadLines(Data("upstream.csv")).Select(l => string.Join(',', l.Split(',').Take(2))));
        Cli("fit", Data("z.npy"), "--method", "mf", "--rank", "3", "--out", Model, "--task-features", Data("tasks.csv"), "--task-features", Data("task_emb.npy"));
        Cli("fit", RepoPaths.Data("charlm-v", "z.npy"), "--method", "mf", "--rank", "3", "--out", Path.Combine(Directory, "v.fpm"), "--task-features", RepoPaths.Data("charlm-v", "tasks.csv"));
        Factory = new ServerFactory(Directory, maxBodyMb: "1");
        Client = Factory.CreateClient();
    }

    public string Directory { get; }

    public string Model { get; }

    public string Examples { get; }

    public ServerFactory Factory { get; }

    public HttpClient Client { get; }

    public static string Data(string file) => RepoPaths.Data("charlm-d", file);

    /// <summary>Runs the CLI in-process; it must succeed.</summary>
    public static string Cli(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CliApp.RunAsync(args, output, error).GetAwaiter().GetResult();
        Assert.True(code == 0, $"forgetpredict {string.Join(' ', args)}: {error}");
        return output.ToString();
    }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Task features on predict and replay (JSON) and on uploads (files): the CLI's numbers to the bit, its refusals as problems.</summary>
public sealed class TaskFeatureTests(TaskFeatureFixture fixture) : IClassFixture<TaskFeatureFixture>
{
    private const string Settings = "\"taskFeatures\": {\"family\": \"web\", \"lr\": 0.001, \"steps\": 600}";
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task ModelInfo_NamesTheViewAndColumnsTheModelPredictsFrom()
    {
        var model = await (await _client.GetAsync("/v1/models/d")).JsonAsync();
        var features = model.GetProperty("taskFeatures");
        Assert.Equal("tasks.csv", features.GetProperty("view").GetString());
        Assert.Equal("numeric", features.GetProperty("kind").GetString());
        Assert.Equal(["lr", "steps"], features.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.StartsWith("tasks.csv", features.GetProperty("chosen").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ColdStart_ReturnsTheWholeRow_BitIdenticalToTheCli()
    {
        // Given: the CLI's cold-start prediction from the new task's settings alone, every example and the summary.
        var dir = RepoPaths.NewTempFolder();
        var features = Path.Combine(dir, "new.csv");
        File.WriteAllText(features, "task,family,lr,steps\nnew-task,web,0.001,600\n");
        var (json, table) = (Path.Combine(dir, "cli.json"), Path.Combine(dir, "cli.csv"));
        var output = TaskFeatureFixture.Cli("predict", "--model", fixture.Model, "--task-features", features, "--task-name", "new-task", "--examples", fixture.Examples,
            "--group-by", "source", "--top", "25", "--json", json, "--out", table);
        Assert.Contains("predicted from the task's features (cold start)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Task-agnostic estimate", output, StringComparison.Ordinal);
        Assert.False(JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("task_agnostic").GetBoolean());

        // When: the service is asked the same with the settings as JSON and every example.
        var answer = await (await _client.PostAsync("/v1/models/d/predict", Http.Json($"{{{Settings}, \"groupBy\": \"source\", \"top\": 25, \"everyExample\": true}}"))).JsonAsync();

        // Then: the same numbers to the bit, for the top list, the groups and every example.
        Assert.True(answer.GetProperty("fromTaskFeatures").GetBoolean());
        Assert.False(answer.GetProperty("taskAgnostic").GetBoolean(), "a cold start from the task's features is not the average past task");
        Assert.Equal(0, answer.GetProperty("knownCount").GetInt32());
        AssertSameSummary(JsonDocument.Parse(File.ReadAllText(json)).RootElement, answer, exactGroups: true);
        var rows = File.ReadLines(table).Skip(1).Select(l => l.Split(',')).ToArray();
        var examples = answer.GetProperty("examples").EnumerateArray().ToArray();
        Assert.Equal(4800, examples.Length);
        Http.AssertSameRows(rows, examples);
        Assert.Equal(rows.Select(r => int.Parse(r[4], CultureInfo.InvariantCulture)), examples.Select(e => e.GetProperty("rank").GetInt32()));
    }

    [Fact]
    public async Task WarmStart_MatchesTheCli_AndDiffersFromTheSameCellsWithoutFeatures()
    {
        // Given: 10 measured cells of task 3 of charlm-d and its settings and embedding row, as the CLI reads them.
        var z = Data.MatrixFile.Read(TaskFeatureFixture.Data("z.npy"));
        var known = Enumerable.Range(0, 10).Select(i => i * 457).ToArray();
        var dir = RepoPaths.NewTempFolder();
        var observed = Path.Combine(dir, "observed.csv");
        File.WriteAllLines(observed, ["example,value", .. known.Select(j => string.Create(CultureInfo.InvariantCulture, $"{z.ExampleIds[j]},{z[3, j]:R}"))]);
        var settings = File.ReadLines(TaskFeatureFixture.Data("tasks.csv")).ElementAt(4).Split(',');
        var features = Path.Combine(dir, "new.csv");
        File.WriteAllText(features, $"task,family,lr,steps\nnew-task,{settings[2]},{settings[3]},{settings[4]}\n");
        var json = Path.Combine(dir, "cli.json");
        TaskFeatureFixture.Cli("predict", "--model", fixture.Model, "--observed", observed, "--task-features", features, "--task-name", "new-task", "--examples", fixture.Examples,
            "--group-by", "source", "--top", "25", "--json", json);

        // When: the service gets the same cells with the settings as JSON (the summary path, no per-example list).
        var cells = string.Join(",", known.Select(j => string.Create(CultureInfo.InvariantCulture, $"\"{z.ExampleIds[j]}\": {z[3, j]:R}")));
        var features3 = $"\"taskFeatures\": {{\"tasks.csv\": {{\"family\": \"{settings[2]}\", \"lr\": {settings[3]}, \"steps\": {settings[4]}}}}}";
        var answer = await (await _client.PostAsync("/v1/models/d/predict", Http.Json($"{{\"observed\": {{{cells}}}, {features3}, \"groupBy\": \"source\", \"top\": 25}}"))).JsonAsync();
        var plain = await (await _client.PostAsync("/v1/models/d/predict", Http.Json($"{{\"observed\": {{{cells}}}, \"groupBy\": \"source\", \"top\": 25}}"))).JsonAsync();

        // Then: the CLI's top list to the bit and its groups to 1e-12 (the service sums them in another order).
        Assert.Equal(10, answer.GetProperty("knownCount").GetInt32());
        Assert.True(answer.GetProperty("fromTaskFeatures").GetBoolean());
        Assert.False(plain.GetProperty("fromTaskFeatures").GetBoolean());
        AssertSameSummary(JsonDocument.Parse(File.ReadAllText(json)).RootElement, answer, exactGroups: false);
        Assert.NotEqual(plain.GetProperty("top")[0].GetProperty("predicted").GetDouble(), answer.GetProperty("top")[0].GetProperty("predicted").GetDouble());
    }

    [Fact]
    public async Task AFamilyTheModelWasNotFittedWith_IsAnsweredWithAWarning_InPredictAndReplay()
    {
        const string Misspelt = "\"taskFeatures\": {\"family\": \"Web\", \"lr\": 0.0002, \"steps\": 100}";
        var known = await (await _client.PostAsync("/v1/models/v/predict", Http.Json("{\"taskFeatures\": {\"family\": \"web\", \"lr\": 0.0002, \"steps\": 100}}"))).JsonAsync();
        var predict = await (await _client.PostAsync("/v1/models/v/predict", Http.Json($"{{{Misspelt}}}"))).JsonAsync();
        var replay = await (await _client.PostAsync("/v1/models/v/replay", Http.Json($"{{{Misspelt}, \"budget\": 10}}"))).JsonAsync();

        Assert.Empty(known.GetProperty("warnings").EnumerateArray());
        foreach (var answer in new[] { predict, replay })
        {
            var warning = Assert.Single(answer.GetProperty("warnings").EnumerateArray()).GetString();
            Assert.StartsWith("taskFeatures: family 'Web' is not a level the model was fitted with (", warning, StringComparison.Ordinal);
            Assert.Contains("did you mean 'web'?", warning, StringComparison.Ordinal);
        }
    }

    // A tasks.csv row as JSON, row number included: the fit read its ids from 'row', so the query's is an id, not a
    // setting (it was refused as a numeric column the model was not fitted with).
    [Fact]
    public async Task TheFitsIdColumnInAQuery_IsAnId_NotASetting()
    {
        var plain = await (await _client.PostAsync("/v1/models/d/predict", Http.Json($"{{{Settings}, \"top\": 5}}"))).JsonAsync();
        var copied = await (await _client.PostAsync("/v1/models/d/predict", Http.Json("{\"taskFeatures\": {\"row\": 99, \"family\": \"web\", \"lr\": 0.001, \"steps\": 600}, \"top\": 5}"))).JsonAsync();
        Assert.Equal(plain.GetProperty("top").ToString(), copied.GetProperty("top").ToString());
        Assert.Empty(copied.GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public async Task Replay_FromFeaturesAlone_ChoosesForTheFeaturesPrediction()
    {
        var cold = await (await _client.PostAsync("/v1/models/d/replay", Http.Json($"{{{Settings}, \"budget\": 50, \"strategy\": \"topk\"}}"))).JsonAsync();
        var predicted = await (await _client.PostAsync("/v1/models/d/predict", Http.Json($"{{{Settings}, \"top\": 50}}"))).JsonAsync();
        Assert.Equal(
            predicted.GetProperty("top").EnumerateArray().Select(e => e.GetProperty("id").GetString()).Order(StringComparer.Ordinal),
            cold.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("example").GetString()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("{\"lr\": 0.001}", "taskFeatures: ", "no block like 'tasks.csv'", "lr, steps", "Give the same feature columns")]
    [InlineData("{\"lr\": 0.001, \"steps\": 600, \"warmup\": 10}", "taskFeatures: ", "have numeric columns warmup that the model was not fitted with (it was fitted with lr, steps for 'tasks.csv')")]
    [InlineData("[0.1, 0.2, 0.3]", "taskFeatures: ", "no block like 'tasks.csv'")]
    [InlineData("{\"lr\": 0.001, \"steps\": \"\"}", "taskFeatures", "has no value in column 'steps'")]
    [InlineData("{\"lr\": true}", "'taskFeatures.lr' must be a number (e.g. lr) or a string")]
    [InlineData("{\"tasks.csv\": {\"lr\": 0.001}, \"steps\": 600}", "do not mix columns ('steps') with named files ('tasks.csv')")]
    [InlineData("{\"task_emb.npy\": [0.1, \"x\"]}", "'taskFeatures.task_emb.npy' is an embedding: every entry must be a finite number, and entry 1 is not.")]
    [InlineData("{}", "no feature values")]
    [InlineData("{\"family\": \"web\", \"lr\": \"NA\", \"steps\": 600}", "taskFeatures: ", "give 'lr' as 'NA', not a number; the model was fitted with 'lr' as a number (tasks.csv). Give it a number.")]
    [InlineData("\"web\"", "'taskFeatures' must be an object of column to value")]
    [InlineData("{\"a\": {\"lr\": 0.001, \"steps\": 600}}", "taskFeatures: 'a' is not one of the task feature files Model 'd' was fitted with (tasks.csv, task_emb.npy); name each part by one of them.")]
    [InlineData("{\"tasks.csv\": {\"lr\": 0.001, \"steps\": 600}, \"typo_emb.npy\": [0.1]}", "taskFeatures: 'typo_emb.npy' is not one of the task feature files Model 'd' was fitted with (tasks.csv, task_emb.npy); name each part by one of them; did you mean 'task_emb.npy'?")]
    [InlineData("{\"tasks.csv\": {\"lr\": 0.001, \"steps\": 600}, \"task_emb.npy\": {\"lr\": 0.0001, \"steps\": 150}}", "taskFeatures: 'tasks.csv' and 'task_emb.npy' both give the columns of 'tasks.csv' (lr, steps), which the model's prior reads, so which one it would read depends on their order; give those columns once, in one of them.")]
    public async Task WrongFeatures_AreProblemsNamingTheFieldAndTheFix(string features, params string[] fragments)
    {
        var response = await _client.PostAsync("/v1/models/d/predict", Http.Json($"{{\"taskFeatures\": {features}}}"));
        await response.ProblemAsync(HttpStatusCode.BadRequest, fragments);
    }

    [Fact]
    public async Task FeaturesForAModelFittedWithout_AreRefusedWithTheFix()
    {
        File.Copy(TestModel(), Path.Combine(fixture.Directory, "plain.fpm"), overwrite: true);
        await (await _client.PostAsync("/v1/models/plain/predict", Http.Json($"{{{Settings}}}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "Model 'plain' was fitted without task features; refit it with task features");
        await (await _client.PostAsync("/v1/models/plain/replay", Http.Json($"{{{Settings}, \"budget\": 5}}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "was fitted without task features");
    }

    [Fact]
    public async Task Upload_WithTaskFeatureFiles_FitsAModelThatAnswersColdStartQueries()
    {
        // Given: charlm-d uploaded with its settings table and its embedding, as 'fit --task-features' takes them.
        using var form = Http.Upload("z.npy", File.ReadAllBytes(TaskFeatureFixture.Data("z.npy")), ("name", "uploaded"), ("method", "mf"), ("rank", "3"));
        foreach (var file in new[] { "tasks.csv", "task_emb.npy" })
        {
            var part = new ByteArrayContent(File.ReadAllBytes(TaskFeatureFixture.Data(file)));
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "taskFeatures", file);
        }

        // When: it is fitted.
        var job = await (await _client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
        var done = await UploadTests.WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());

        // Then: the model is the CLI's (same view, same cold-start answer) and no upload is left behind.
        var info = await (await _client.GetAsync("/v1/models/uploaded")).JsonAsync();
        Assert.Equal("tasks.csv", info.GetProperty("taskFeatures").GetProperty("view").GetString());
        var uploaded = await (await _client.PostAsync("/v1/models/uploaded/predict", Http.Json($"{{{Settings}}}"))).JsonAsync();
        var cli = await (await _client.PostAsync("/v1/models/d/predict", Http.Json($"{{{Settings}}}"))).JsonAsync();
        static IEnumerable<(string?, double)> Top(JsonElement answer) => answer.GetProperty("top").EnumerateArray().Select(e => (e.GetProperty("id").GetString(), e.GetProperty("predicted").GetDouble()));
        Assert.Equal(Top(cli), Top(uploaded));
        Assert.Empty(Directory.GetFiles(fixture.Directory, UploadFiles.TempPrefix + "*"));
    }

    [Fact]
    public async Task Upload_TaskFeatures_WithAMethodThatCannotCarryThem_IsRefusedAtOnce_NamingTheFix()
    {
        using var form = Http.Upload("z.npy", File.ReadAllBytes(TaskFeatureFixture.Data("z.npy")), ("name", "stacked"), ("method", "ensemble"));
        form.Add(new ByteArrayContent(File.ReadAllBytes(TaskFeatureFixture.Data("tasks.csv"))), "taskFeatures", "tasks.csv");
        await (await _client.PostAsync("/v1/models", form)).ProblemAsync(HttpStatusCode.BadRequest,
            "'ensemble' cannot carry them", "fit mf (or task-mean, additive, rank1) with the task features", "run 'evaluate --methods ensemble' with the same task features (it adds ensemble+features)");
        Assert.False(File.Exists(Path.Combine(fixture.Directory, "stacked.fpm")));
        Assert.Empty(Directory.GetFiles(fixture.Directory, UploadFiles.TempPrefix + "*"));
    }

    [Fact]
    public async Task Upload_TaskFeatures_WithoutAMethod_AutoFitsAModelThatCarriesThem()
    {
        using var form = Http.Upload("z.npy", File.ReadAllBytes(TaskFeatureFixture.Data("z.npy")), ("name", "auto-features"));
        form.Add(new ByteArrayContent(File.ReadAllBytes(TaskFeatureFixture.Data("tasks.csv"))), "taskFeatures", "tasks.csv");
        var job = await (await _client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
        var done = await UploadTests.WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        var info = await (await _client.GetAsync("/v1/models/auto-features")).JsonAsync();
        Assert.Equal("tasks.csv", info.GetProperty("taskFeatures").GetProperty("view").GetString()!.Split(' ')[0]);
        var answer = await (await _client.PostAsync("/v1/models/auto-features/predict", Http.Json("{\"taskFeatures\": {\"lr\": 0.001, \"steps\": 600, \"family\": \"web\"}, \"top\": 5}"))).JsonAsync();
        Assert.Equal(5, answer.GetProperty("top").GetArrayLength());
    }

    [Fact]
    public async Task Upload_TaskFeaturesMissingATask_FailsTheJobNamingTheFileAndTheFix()
    {
        using var form = Http.Upload("z.npy", File.ReadAllBytes(TaskFeatureFixture.Data("z.npy")), ("name", "short"), ("method", "mf"), ("rank", "2"));
        form.Add(new StringContent("task,lr\nhtml-1,0.001\n"), "taskFeatures", "few.csv");
        var job = await (await _client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
        var done = await UploadTests.WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.Equal("failed", done.GetProperty("state").GetString());
        Assert.Contains("few.csv", done.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("add a row for each", done.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(fixture.Directory, "short.fpm")));
    }

    // The service's fit job had not said what 'fit' prints of a feature block left out as constant over the training rows.
    [Fact]
    public async Task Upload_WithATaskFeatureFileConstantOverTheTasks_TheJobSaysItIsLeftOut_AsFitPrintsIt()
    {
        // Given: charlm-d uploaded with a task feature file whose only column, lr, is 0.5 for every task.
        var z = Data.MatrixFile.Read(TaskFeatureFixture.Data("z.npy"));
        var constant = "row,lr\n" + string.Concat(Enumerable.Range(0, z.TaskCount).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i},0.5\n")));
        using var form = Http.Upload("z.npy", File.ReadAllBytes(TaskFeatureFixture.Data("z.npy")), ("name", "constant-lr"), ("method", "mf"), ("rank", "2"));
        form.Add(new StringContent(constant), "taskFeatures", "settings.csv");

        // When: it is fitted.
        var job = await (await _client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
        var done = await UploadTests.WaitAsync(_client, job.GetProperty("id").GetString()!);

        // Then: the finished job's warnings say the file is left out, in fit's words (the application layer's), naming its value.
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        var warnings = done.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
        Assert.Contains("task features: 'settings.csv' is left out, as it is constant over the training tasks (every training task has lr 0.5), so it carries no information; a new task that differs there is warned about", warnings);
        // And: they are fit's warnings, as the library gives them for the same fit.
        var file = Path.Combine(RepoPaths.NewTempFolder(), "upload.csv");
        File.WriteAllText(file, constant);
        var fit = Application.Fitting.Fit(new Application.FitRequest
        {
            Matrix = z,
            Source = "z.npy",
            Method = "mf",
            Settings = new Core.Models.ModelSettings { Rank = 2 },
            TaskFeatures = Data.FeatureFile.Read(file, "settings.csv", z.TaskIds),
        });
        Assert.Equal(fit.Warnings, warnings);
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }

    [Fact]
    public async Task Page_ColdStart_FromTheModelsFeatureForm_ShowsTheFeaturesPrediction_AndRefusesMissingColumns()
    {
        // Given: a live server; the page offers the columns the model was fitted with.
        await using var server = await LiveServer.StartAsync(fixture.Directory);

        // When: the settings are typed into the form and Predict is clicked with no measured cell.
        var page = BrowserCheck.Run($"{server.Url}/?model=d", "server-page-cold-start.png",
            count: ["#task-features:not([hidden])", "#features-fields input", "#top-examples tbody tr", "#groups svg rect.bar"],
            text: ["#findings", "#features-info", "#top-examples tbody tr:first-child td:nth-child(2)"],
            fill: [("#feature-lr", "0.001"), ("#feature-steps", "600"), ("#top", "12")],
            click: ["#run"],
            waitFor: ["#top-examples tbody tr"]);

        // Then: the cold-start prediction of the API for the same settings, said to come from the features alone.
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.ConsoleErrors);
        Assert.Equal(1, page.Counts["#task-features:not([hidden])"]);
        Assert.Equal(2, page.Counts["#features-fields input"]);
        Assert.Contains("tasks.csv", page.Texts["#features-info"], StringComparison.Ordinal);
        Assert.Contains("cold start: predicted from the task's features alone", page.Texts["#findings"], StringComparison.Ordinal);
        Assert.Equal(12, page.Counts["#top-examples tbody tr"]);
        Assert.True(page.Counts["#groups svg rect.bar"] > 0);
        var answer = await (await _client.PostAsync("/v1/models/d/predict", Http.Json("{\"taskFeatures\": {\"tasks.csv\": {\"lr\": 0.001, \"steps\": 600}}, \"groupBy\": \"source\", \"top\": 12}"))).JsonAsync();
        Assert.Equal(answer.GetProperty("top")[0].GetProperty("id").GetString(), page.Texts["#top-examples tbody tr:first-child td:nth-child(2)"].Trim());

        // And a missing column shows the service's problem detail.
        var error = BrowserCheck.Run($"{server.Url}/?model=d", "server-page-cold-start-error.png",
            text: ["#error"], fill: [("#feature-lr", "0.001")], click: ["#run"], waitFor: ["#error:not([hidden])"]);
        Assert.Empty(error.PageErrors);
        Assert.Contains("taskFeatures: features 'tasks.csv' have no numeric column 'steps'; the model was fitted with columns lr, steps.", error.Texts["#error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_UploadsAMatrixWithATaskFeatureFile_ShowsTheFittedFeatureView_ThenPredictsFromTheFeatureForm()
    {
        // Given: a live server, and charlm-d's first 600 chunks (a bare .npy: tasks are rows 0..30) with the tasks' lr and steps.
        await using var server = await LiveServer.StartAsync(fixture.Directory);
        var folder = RepoPaths.NewTempFolder("fp-page-upload");
        var z = Data.MatrixFile.Read(TaskFeatureFixture.Data("z.npy"));
        var slice = new float[z.TaskCount, 600];
        for (var i = 0; i < z.TaskCount; i++)
        {
            for (var j = 0; j < 600; j++)
            {
                slice[i, j] = z[i, j];
            }
        }

        var matrix = Path.Combine(folder, "z600.npy");
        Data.MatrixFile.Write(Core.ForgettingMatrix.Create(slice), matrix);
        var settings = Path.Combine(folder, "settings.csv");
        File.WriteAllLines(settings, File.ReadLines(TaskFeatureFixture.Data("tasks.csv")).Select(l => l.Split(',')).Select(f => $"{(f[0] == "row" ? "task" : f[0])},{f[3]},{f[4]}"));

        // When: the page uploads them to fit an mf model, then the settings of a new task are typed into its feature form.
        var page = BrowserCheck.Run($"{server.Url}/?model=d", "server-page-upload-features.png",
            count: ["#features-fields input", "#top-examples tbody tr"],
            text: ["#fit-status", "#fit-features", "#features-info", "#findings", "#top-examples tbody tr:first-child td:nth-child(2)"],
            actions:
            [
                BrowserAction.Upload("#fit-file", matrix), BrowserAction.Fill("#fit-name", "page-upload"), BrowserAction.Select("#fit-method", "mf"),
                BrowserAction.Upload("#fit-task-features", settings), BrowserAction.Click("#fit"), BrowserAction.WaitFor("#fit-features:not([hidden])"),
                BrowserAction.Fill("#feature-lr", "0.001"), BrowserAction.Fill("#feature-steps", "600"), BrowserAction.Fill("#top", "12"),
                BrowserAction.Click("#run"), BrowserAction.WaitFor("#top-examples tbody tr"),
            ]);

        // Then: the model was fitted with the uploaded features, the page names its feature view, and the cold start is the API's.
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.FailedRequests);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var info = await (await http.GetAsync("/v1/models/page-upload")).JsonAsync();
        var view = info.GetProperty("taskFeatures");
        Assert.Equal("settings.csv", view.GetProperty("view").GetString());
        Assert.Equal(["lr", "steps"], view.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("fitted page-upload: mf rank 8, 31 tasks x 600 examples", page.Texts["#fit-status"], StringComparison.Ordinal);
        Assert.Contains($"from settings.csv (numeric; lr, steps); {view.GetProperty("chosen").GetString()}.", page.Texts["#fit-features"], StringComparison.Ordinal);
        Assert.Contains("settings.csv", page.Texts["#features-info"], StringComparison.Ordinal);
        Assert.Equal(2, page.Counts["#features-fields input"]);
        Assert.Contains("cold start: predicted from the task's features alone", page.Texts["#findings"], StringComparison.Ordinal);
        Assert.Equal(12, page.Counts["#top-examples tbody tr"]);
        var answer = await (await http.PostAsync("/v1/models/page-upload/predict", Http.Json("{\"taskFeatures\": {\"lr\": 0.001, \"steps\": 600}, \"top\": 12}"))).JsonAsync();
        Assert.Equal(answer.GetProperty("top")[0].GetProperty("id").GetString(), page.Texts["#top-examples tbody tr:first-child td:nth-child(2)"].Trim());
        Assert.Empty(Directory.GetFiles(fixture.Directory, UploadFiles.TempPrefix + "*"));

        // And the same upload as an ensemble shows the service's refusal and its fix.
        var refused = BrowserCheck.Run($"{server.Url}/?model=d", "server-page-upload-features-error.png",
            text: ["#error"],
            actions:
            [
                BrowserAction.Upload("#fit-file", matrix), BrowserAction.Fill("#fit-name", "page-ensemble"), BrowserAction.Select("#fit-method", "ensemble"),
                BrowserAction.Upload("#fit-task-features", settings), BrowserAction.Click("#fit"), BrowserAction.WaitFor("#error:not([hidden])"),
            ]);
        Assert.Empty(refused.PageErrors);
        Assert.Contains("'ensemble' cannot carry them", refused.Texts["#error"], StringComparison.Ordinal);
        Assert.Contains("fit mf (or task-mean, additive, rank1) with the task features", refused.Texts["#error"], StringComparison.Ordinal);

        // And uploading under the name again without ticking "replace" says to tick it (the form's word for overwrite=true).
        var again = BrowserCheck.Run($"{server.Url}/?model=d", "server-page-upload-again.png",
            text: ["#error"],
            actions:
            [
                BrowserAction.Upload("#fit-file", matrix), BrowserAction.Fill("#fit-name", "page-upload"), BrowserAction.Select("#fit-method", "mf"),
                BrowserAction.Click("#fit"), BrowserAction.WaitFor("#error:not([hidden])"),
            ]);
        Assert.Empty(again.PageErrors);
        Assert.Contains("Model 'page-upload' already exists; tick \u201creplace\u201d to replace it.", again.Texts["#error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_AModelWhosePriorCombinesTwoFiles_OffersBothInItsForm_AndItsColdStartIsTheApis()
    {
        // Given: a store with an mf model whose feature prior combines a settings table and an embedding (planted so that
        // neither alone suffices), and a live server over it.
        var folder = RepoPaths.NewTempFolder("fp-server-combined");
        var (z, x) = PlantedTasks.Matrix(21);
        var features = PlantedTasks.SettingsAndData(z, x, 22);
        var model = new Core.Models.LowRankFitter(new Core.Models.LowRankOptions { Rank = 2 }).FitLowRank(z);
        Data.ModelFile.Save(model, Path.Combine(folder, "combined.fpm"), taskFeatures: Core.Features.TaskFeatureModel.Fit(model, features));
        await using var server = await LiveServer.StartAsync(folder);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var embedding = features.Blocks[1].Row(5).ToArray();
        var typed = string.Join(", ", embedding.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

        // When: its info is read, and the page's form is filled with a setting and an embedding and run with no measured cell.
        var info = await (await http.GetAsync("/v1/models/combined")).JsonAsync();
        var page = BrowserCheck.Run($"{server.Url}/?model=combined", "server-page-combined-features.png",
            count: ["#features-fields input", "#top-examples tbody tr"],
            text: ["#features-info", "#findings", "#top-examples tbody tr:first-child td:nth-child(2)"],
            fill: [("#feature-lr", "0.7"), ("#feature-embedding-1", typed), ("#top", "12")],
            click: ["#run"],
            waitFor: ["#top-examples tbody tr"]);

        // Then: the info lists both views; the page asks for both and shows the API's cold start for the same features.
        var views = info.GetProperty("taskFeatures").GetProperty("views").EnumerateArray().ToArray();
        Assert.Equal(["tasks.csv", "task_emb.npy"], views.Select(v => v.GetProperty("view").GetString()));
        Assert.Equal([1, 16], views.Select(v => v.GetProperty("width").GetInt32()));
        Assert.Contains(" + task_emb.npy, ", info.GetProperty("taskFeatures").GetProperty("chosen").GetString(), StringComparison.Ordinal);
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.ConsoleErrors);
        Assert.Equal(2, page.Counts["#features-fields input"]);
        Assert.Contains("numeric features in tasks.csv and embedding features in task_emb.npy", page.Texts["#features-info"], StringComparison.Ordinal);
        Assert.Contains("cold start: predicted from the task's features alone", page.Texts["#findings"], StringComparison.Ordinal);
        var query = $"{{\"taskFeatures\": {{\"tasks.csv\": {{\"lr\": 0.7}}, \"task_emb.npy\": [{typed}]}}, \"top\": 12}}";
        var answer = await (await http.PostAsync("/v1/models/combined/predict", Http.Json(query))).JsonAsync();
        Assert.Equal(answer.GetProperty("top")[0].GetProperty("id").GetString(), page.Texts["#top-examples tbody tr:first-child td:nth-child(2)"].Trim());

        // And a query without the embedding is refused, naming the file the prior needs.
        await (await http.PostAsync("/v1/models/combined/predict", Http.Json("{\"taskFeatures\": {\"tasks.csv\": {\"lr\": 0.7}}}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "no block like 'task_emb.npy'", "Give the same feature columns");
        Directory.Delete(folder, recursive: true);
    }

    // An additive model fitted without features, written by the library.
    private static string TestModel()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "plain.fpm");
        var z = Data.MatrixFile.Read(TaskFeatureFixture.Data("z.npy"));
        Data.ModelFile.Save(Core.Models.ModelCatalog.CreateFitter("additive", new Core.Models.ModelSettings()).Fit(z), path);
        return path;
    }

    private static void AssertSameSummary(JsonElement cli, JsonElement server, bool exactGroups)
    {
        Assert.Equal(cli.GetProperty("expected_forgotten").GetDouble(), server.GetProperty("expectedForgotten").GetDouble(), exactGroups ? 0 : 1e-3);
        var cliTop = cli.GetProperty("top").EnumerateArray().ToArray();
        var top = server.GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(cliTop.Select(e => e.GetProperty("example").GetString()), top.Select(e => e.GetProperty("id").GetString()));
        foreach (var (c, s) in cliTop.Zip(top))
        {
            Assert.Equal(c.GetProperty("predicted").GetDouble(), s.GetProperty("predicted").GetDouble());
            Assert.Equal(c.GetProperty("std").GetDouble(), s.GetProperty("std").GetDouble());
            Assert.Equal(c.GetProperty("probability").GetDouble(), s.GetProperty("probability").GetDouble());
        }

        var cliGroups = cli.GetProperty("groups").EnumerateArray().ToArray();
        var groups = server.GetProperty("groups").EnumerateArray().ToArray();
        Assert.Equal(cliGroups.Select(g => g.GetProperty("name").GetString()), groups.Select(g => g.GetProperty("name").GetString()));
        foreach (var (c, s) in cliGroups.Zip(groups))
        {
            foreach (var field in new[] { "mean", "lower", "upper" })
            {
                Assert.Equal(c.GetProperty(field).GetDouble(), s.GetProperty(field).GetDouble(), exactGroups ? 0 : 1e-12);
            }

            Assert.Equal(c.GetProperty("top_examples").EnumerateArray().Select(e => e.GetString()), s.GetProperty("topExamples").EnumerateArray().Select(e => e.GetString()));
        }
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ForgetPredict.Testing;

namespace ForgetPredict.Server.Tests;

/// <summary>
/// A store with <c>up</c>: mf rank 3 uploaded with charlm-d's first 4,700 chunks and their example features (upstream.csv:
/// source and base loss; the first 4,700 rows of example_emb.npy), and <c>cli.fpm</c> beside the store, the same fit by the
/// CLI. The last 100 chunks were never measured: queries predict them from their features.
/// </summary>
public sealed class ExampleFeatureFixture : IDisposable
{
    public const int Measured = 4700;

    public ExampleFeatureFixture()
    {
        Directory = RepoPaths.NewTempFolder("fp-server-example-features");
        Work = RepoPaths.NewTempFolder("fp-example-features-cli");
        var z = Data.MatrixFile.Read(TaskFeatureFixture.Data("z.npy"));
        Matrix = Path.Combine(Work, "z4700.npy");
        Data.MatrixFile.Write(Slice(z.TaskCount, Measured, (i, j) => z[i, j]), Matrix);
        var embedding = Data.MatrixFile.Read(TaskFeatureFixture.Data("example_emb.npy"));
        Embedding = Path.Combine(Work, "emb4700.npy");
        Data.MatrixFile.Write(Slice(Measured, embedding.ExampleCount, (i, j) => embedding[i, j]), Embedding);
        CliModel = Path.Combine(Work, "cli.fpm");
        TaskFeatureFixture.Cli("fit", Matrix, "--method", "mf", "--rank", "3", "--out", CliModel,
            "--example-features", TaskFeatureFixture.Data("upstream.csv"), "--example-features", Embedding);
        Factory = new ServerFactory(Directory, maxBodyMb: "2", maxUploadMb: "16");
        Client = Factory.CreateClient();
        UploadAsync().GetAwaiter().GetResult();
    }

    public string Directory { get; }

    public string Work { get; }

    public string Matrix { get; }

    public string Embedding { get; }

    public string CliModel { get; }

    public ServerFactory Factory { get; }

    public HttpClient Client { get; }

    /// <summary>The upload of the slice with its example feature files, as 'fit --example-features' takes them.</summary>
    public MultipartFormDataContent Upload(string name, string method, params (string Field, string FileName, byte[] Bytes)[] parts)
    {
        var form = method == "mf" ? Http.Upload("z4700.npy", File.ReadAllBytes(Matrix), ("name", name), ("method", method), ("rank", "3"))
            : Http.Upload("z4700.npy", File.ReadAllBytes(Matrix), ("name", name), ("method", method));
        foreach (var (field, fileName, bytes) in parts)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, field, fileName);
        }

        return form;
    }

    public (string, string, byte[])[] FeatureParts() =>
        [("exampleFeatures", "upstream.csv", File.ReadAllBytes(TaskFeatureFixture.Data("upstream.csv"))), ("exampleFeatures", "emb4700.npy", File.ReadAllBytes(Embedding))];

    // The same fit through the service: the slice and its feature files uploaded as 'up'.
    private async Task UploadAsync()
    {
        using var form = Upload("up", "mf", FeatureParts());
        var job = await (await Client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
        var done = await UploadTests.WaitAsync(Client, job.GetProperty("id").GetString()!);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
    }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.Delete(Work, recursive: true);
    }

    private static Core.ForgettingMatrix Slice(int rows, int columns, Func<int, int, float> value)
    {
        var values = new float[rows, columns];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                values[i, j] = value(i, j);
            }
        }

        return Core.ForgettingMatrix.Create(values);
    }
}

/// <summary>Example features on uploads (files) and new examples on predict (JSON): the CLI's cold columns to the bit, its refusals as problems.</summary>
public sealed class ExampleFeatureTests(ExampleFeatureFixture fixture) : IClassFixture<ExampleFeatureFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Upload_WithExampleFeatureFiles_StoresAnExampleFeatureModel_NamedInTheModelInfo()
    {
        var info = await (await _client.GetAsync("/v1/models/up")).JsonAsync();
        var views = info.GetProperty("exampleFeatures").EnumerateArray().ToArray();
        Assert.Equal(["upstream.csv", "upstream.csv categories", "emb4700.npy"], views.Select(v => v.GetProperty("view").GetString()));
        Assert.Equal(["numeric", "categorical", "embedding"], views.Select(v => v.GetProperty("kind").GetString()));
        Assert.Equal(["base_loss"], views[0].GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(384, views[2].GetProperty("width").GetInt32());
        Assert.Empty(Directory.GetFiles(fixture.Directory, UploadFiles.TempPrefix + "*"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NewExamples_ArePredictedFromTheirFeatures_BitIdenticalToTheCli(bool observed)
    {
        // Given: the CLI's prediction of the last 100 chunks from their features (with 20 measured cells of task 3, or none).
        var z = Data.MatrixFile.Read(TaskFeatureFixture.Data("z.npy"));
        var known = Enumerable.Range(0, 20).Select(i => i * 233).ToArray();
        var dir = RepoPaths.NewTempFolder();
        var cells = Path.Combine(dir, "observed.csv");
        File.WriteAllLines(cells, ["example,value", .. known.Select(j => string.Create(CultureInfo.InvariantCulture, $"{j},{z[3, j]:R}"))]);
        var table = Path.Combine(dir, "p.csv");
        string[] observedArgs = observed ? ["--observed", cells] : [];
        var output = TaskFeatureFixture.Cli(["predict", "--model", fixture.CliModel, .. observedArgs, "--example-features", TaskFeatureFixture.Data("upstream.csv"),
            "--example-features", TaskFeatureFixture.Data("example_emb.npy"), "--out", table]);
        Assert.Contains("cold columns: 100 new examples", output, StringComparison.Ordinal);
        var cold = File.ReadLines(table).Skip(1).Select(l => l.Split(',')).Where(f => f[^1] == "True").ToArray();
        Assert.Equal(100, cold.Length);

        // When: the service gets the same chunks' features as JSON (the table's rows, the embedding by id) and the same cells.
        var observedJson = observed ? $"\"observed\": {{{string.Join(",", known.Select(j => string.Create(CultureInfo.InvariantCulture, $"\"{j}\": {z[3, j]:R}")))}}}, " : string.Empty;
        var every = observed ? "\"everyExample\": true, " : string.Empty;
        var answer = await (await _client.PostAsync("/v1/models/up/predict", Http.Json($"{{{observedJson}{every}\"newExamples\": {NewExamples(ExampleFeatureFixture.Measured, 100, "emb4700.npy")}}}"))).JsonAsync();

        // Then: every cold column of the CLI, in its order, to the bit.
        Assert.Equal(observed ? 20 : 0, answer.GetProperty("knownCount").GetInt32());
        var served = answer.GetProperty("coldExamples").EnumerateArray().ToArray();
        Http.AssertSameRows(cold, served);
        Assert.All(served, e => Assert.True(e.GetProperty("cold").GetBoolean()));

        // And, once cells are measured, the cold columns' intervals are wider than the measured examples' (the features' own error is added).
        if (observed)
        {
            var measuredStd = answer.GetProperty("examples").EnumerateArray().Select(e => e.GetProperty("std").GetDouble()).Order().ElementAt(ExampleFeatureFixture.Measured / 2);
            Assert.True(served.Select(e => e.GetProperty("std").GetDouble()).Order().ElementAt(50) > measuredStd);
        }
    }

    // QA: with groupBy, the new examples were left out of the groups, had no group, and their metadata rows were warned of as
    // matching no example; the service must answer as 'predict --examples --group-by' does.
    [Fact]
    public async Task NewExamples_WithGroupBy_JoinTheirGroups_AsTheCliDoes()
    {
        // Given: the slice uploaded with its features and all 4,800 chunks' metadata (upstream.csv), and the CLI's grouped answer.
        using (var form = fixture.Upload("grouped", "mf", [.. fixture.FeatureParts(), ("examples", "upstream.csv", File.ReadAllBytes(TaskFeatureFixture.Data("upstream.csv")))]))
        {
            var job = await (await _client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
            var done = await UploadTests.WaitAsync(_client, job.GetProperty("id").GetString()!);
            Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        }

        var z = Data.MatrixFile.Read(TaskFeatureFixture.Data("z.npy"));
        var known = Enumerable.Range(0, 20).Select(i => i * 233).ToArray();
        var dir = RepoPaths.NewTempFolder();
        var cells = Path.Combine(dir, "observed.csv");
        File.WriteAllLines(cells, ["example,value", .. known.Select(j => string.Create(CultureInfo.InvariantCulture, $"{j},{z[3, j]:R}"))]);
        var json = Path.Combine(dir, "p.json");
        TaskFeatureFixture.Cli(["predict", "--model", fixture.CliModel, "--observed", cells, "--example-features", TaskFeatureFixture.Data("upstream.csv"),
            "--example-features", TaskFeatureFixture.Data("example_emb.npy"), "--examples", TaskFeatureFixture.Data("upstream.csv"), "--group-by", "source", "--json", json]);
        using var cli = JsonDocument.Parse(File.ReadAllText(json));

        // When: the service is asked the same, with the last 100 chunks as new examples (and, to compare, without them).
        var observedJson = $"\"observed\": {{{string.Join(",", known.Select(j => string.Create(CultureInfo.InvariantCulture, $"\"{j}\": {z[3, j]:R}")))}}}";
        var answer = await (await _client.PostAsync("/v1/models/grouped/predict", Http.Json(
            $"{{{observedJson}, \"everyExample\": true, \"chart\": true, \"groupBy\": \"source\", \"newExamples\": {NewExamples(ExampleFeatureFixture.Measured, 100, "emb4700.npy")}}}"))).JsonAsync();
        var without = await (await _client.PostAsync("/v1/models/grouped/predict", Http.Json($"{{{observedJson}, \"chart\": true, \"groupBy\": \"source\"}}"))).JsonAsync();

        // Then: the groups are the CLI's, to the bit, their new examples counted (the last 100 chunks are all python).
        var served = answer.GetProperty("groups").EnumerateArray().ToArray();
        var printed = cli.RootElement.GetProperty("groups").EnumerateArray().ToArray();
        Assert.Equal(printed.Select(g => (g.GetProperty("name").GetString(), g.GetProperty("count").GetInt32(), g.GetProperty("new_count").GetInt32(), g.GetProperty("mean").GetDouble(),
                g.GetProperty("lower").GetDouble(), g.GetProperty("upper").GetDouble(), g.GetProperty("share").GetDouble())),
            served.Select(g => (g.GetProperty("name").GetString(), g.GetProperty("count").GetInt32(), g.GetProperty("newCount").GetInt32(), g.GetProperty("mean").GetDouble(),
                g.GetProperty("lower").GetDouble(), g.GetProperty("upper").GetDouble(), g.GetProperty("share").GetDouble())));
        var python = served.Single(g => g.GetProperty("name").GetString() == "python");
        Assert.Equal(100, python.GetProperty("newCount").GetInt32());

        // And: each group's top list and which of its ids are new (topNew, parallel) are the CLI's top_examples and top_new;
        // a new one is one of coldExamples, the others the model's; without new examples none is.
        static string[] Ids(JsonElement g, string name) => [.. g.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];
        static bool[] Flags(JsonElement g, string name) => [.. g.GetProperty(name).EnumerateArray().Select(e => e.GetBoolean())];
        Assert.Equal(printed.SelectMany(g => Ids(g, "top_examples").Zip(Flags(g, "top_new"))), served.SelectMany(g => Ids(g, "topExamples").Zip(Flags(g, "topNew"))));
        var coldIds = answer.GetProperty("coldExamples").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToHashSet();
        Assert.All(served.SelectMany(g => Ids(g, "topExamples").Zip(Flags(g, "topNew"))), t => Assert.Equal(coldIds.Contains(t.First), t.Second));
        Assert.All(without.GetProperty("groups").EnumerateArray(), g => Assert.Equal(Ids(g, "topExamples").Length, Flags(g, "topNew").Count(f => !f)));
        Assert.Equal(0, without.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("name").GetString() == "python").GetProperty("newCount").GetInt32());
        Assert.Equal(python.GetProperty("count").GetInt32() - 100, without.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("name").GetString() == "python").GetProperty("count").GetInt32());

        // And: the group chart labels python with its new examples (it had been drawn without them); without new examples, no label says "new".
        Assert.Contains($">python ({python.GetProperty("count").GetInt32():N0}, 100 new)<", answer.GetProperty("chartSvg").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(" new)", without.GetProperty("chartSvg").GetString(), StringComparison.Ordinal);

        // And: every new example carries its group, as the CLI's cold_examples do.
        Assert.Equal(cli.RootElement.GetProperty("cold_examples").EnumerateArray().Select(c => c.GetProperty("group").GetString()),
            answer.GetProperty("coldExamples").EnumerateArray().Select(c => c.GetProperty("group").GetString()));
        Assert.All(answer.GetProperty("coldExamples").EnumerateArray(), c => Assert.Equal("python", c.GetProperty("group").GetString()));

        // And: their metadata rows are not called unused, as they are without them.
        Assert.DoesNotContain(answer.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("match no example", StringComparison.Ordinal));
        Assert.Contains(without.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("100 metadata rows match no example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NewExamples_TableRowsByIdAndAnUnnamedTable_ReadAsTheFileWould()
    {
        // The same two chunks as rows with ids, as an object of id to row, and (embedding left out) refused for the missing view.
        var rows = Rows(4790, 2);
        var byList = await Predict($"{{\"upstream.csv\": [{string.Join(",", rows.Select(r => $"{{\"id\": \"{r.Id}\", {r.Fields}}}"))}], \"emb4700.npy\": {Embeddings(4790, 2)}}}");
        var byId = await Predict($"{{\"upstream.csv\": {{{string.Join(",", rows.Select(r => $"\"{r.Id}\": {{{r.Fields}}}"))}}}, \"emb4700.npy\": {Embeddings(4790, 2)}}}");
        Assert.Equal(byList.GetProperty("coldExamples").ToString(), byId.GetProperty("coldExamples").ToString());
        Assert.Equal(["4790", "4791"], byList.GetProperty("coldExamples").EnumerateArray().Select(e => e.GetProperty("id").GetString()));

        await (await _client.PostAsync("/v1/models/up/predict", Http.Json($"{{\"newExamples\": [{string.Join(",", rows.Select(r => $"{{\"id\": \"{r.Id}\", {r.Fields}}}"))}]}}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "newExamples: ", "no block like 'emb4700.npy' (embedding columns", "Give the same feature columns");
    }

    [Theory]
    [InlineData("{\"upstream.csv\": [{\"id\": \"n1\", \"source\": \"python\"}], \"emb4700.npy\": {\"n1\": [EMB]}}", "newExamples: ", "no block like 'upstream.csv' (numeric columns base_loss)", "Give the same feature columns")]
    [InlineData("{\"upstream.csv\": [{\"id\": \"n1\", \"source\": \"python\", \"base_loss\": 0.5, \"length\": 3}], \"emb4700.npy\": {\"n1\": [EMB]}}", "newExamples: ", "features 'upstream.csv' have numeric columns length that the model was not fitted with (it was fitted with base_loss for 'upstream.csv')")]
    [InlineData("{\"upstream.csv\": [{\"id\": \"n1\", \"source\": \"python\", \"base_loss\": 0.5}], \"emb4700.npy\": {\"n1\": [0.1, 0.2, 0.3]}}", "newExamples: ", "features 'emb4700.npy' have 3 columns; the model was fitted with 384 for 'emb4700.npy'", "Give the same columns")]
    [InlineData("{\"upstream.csv\": [{\"id\": \"n1\", \"source\": \"python\", \"base_loss\": 0.5}], \"emb4700.npy\": {\"n2\": [EMB]}}", "newExamples.emb4700.npy", "no row for some new examples of newExamples.upstream.csv", "Give every part a row for each new example")]
    [InlineData("{\"upstream.csv\": [{\"id\": \"12\", \"source\": \"python\", \"base_loss\": 0.5}]}", "newExamples.upstream.csv", "example '12' is already one of the model's 4700 examples; list only examples it has never measured")]
    [InlineData("{\"upstream.csv\": [{\"id\": \"n1\", \"source\": \"python\", \"base_loss\": 0.5}, {\"id\": \"n2\", \"source\": \"python\"}], \"emb4700.npy\": {\"n1\": [EMB], \"n2\": [EMB]}}", "newExamples.upstream.csv", "example 'n2' has no value in column 'base_loss'")]
    [InlineData("{\"upstream.csv\": [{\"source\": \"python\"}]}", "'newExamples.upstream.csv' row 0 has no \"id\"")]
    [InlineData("{\"emb4700.npy\": {\"n1\": [0.1], \"n2\": {\"a\": 1}}}", "'newExamples.emb4700.npy.n2' must be an embedding, as the part's other examples")]
    [InlineData("\"web\"", "'newExamples' must be an object of file name to the new examples' features by id")]
    [InlineData("{}", "newExamples", "no new examples")]
    [InlineData("{\"upstream.csv\": [{\"id\": \"n1\", \"source\": \"python\", \"base_loss\": 1e200}], \"emb4700.npy\": {\"n1\": [EMB]}}", "newExamples: new example 'n1' cannot be predicted: its prediction (", "is not a finite number, because its feature 'base_loss' of 'upstream.csv' is 1E+200, ", "Give its features in the units of the files the model was fitted with.")]
    [InlineData("{\"upstream.csv\": [{\"id\": \"n1\", \"source\": \"python\", \"base_loss\": 0.5}], \"emb4700.npy\": {\"n1\": [HUGE]}}", "newExamples: new example 'n1' cannot be predicted", "of 'emb4700.npy' is 1E+200, ")]
    public async Task WrongNewExamples_AreProblemsNamingThePartAndTheFix(string features, params string[] fragments)
    {
        var body = $"{{\"newExamples\": {features.Replace("EMB", string.Join(",", Enumerable.Repeat("0.01", 384)), StringComparison.Ordinal).Replace("HUGE", string.Join(",", Enumerable.Repeat("1e200", 384)), StringComparison.Ordinal)}}}";
        await (await _client.PostAsync("/v1/models/up/predict", Http.Json(body))).ProblemAsync(HttpStatusCode.BadRequest, fragments);
    }

    // A new example's base loss far outside the measured chunks' (0.3-0.6) is answered, with a warning that its prediction is an
    // extrapolation, as a task's far setting is; one within their range is answered quietly.
    [Fact]
    public async Task NewExamples_FarFromTheMeasuredExamples_AreAnsweredWithAWarning()
    {
        string Body(string loss) => $"{{\"newExamples\": {{\"upstream.csv\": [{{\"id\": \"n1\", \"source\": \"python\", \"base_loss\": {loss}}}], \"emb4700.npy\": {Embeddings(4790, 1).Replace("\"4790\"", "\"n1\"", StringComparison.Ordinal)}}}, \"top\": 0}}";
        var near = await (await _client.PostAsync("/v1/models/up/predict", Http.Json(Body("0.5")))).JsonAsync();
        var far = await (await _client.PostAsync("/v1/models/up/predict", Http.Json(Body("1e10")))).JsonAsync();

        Assert.Empty(near.GetProperty("warnings").EnumerateArray());
        var warning = Assert.Single(far.GetProperty("warnings").EnumerateArray()).GetString();
        Assert.StartsWith("newExamples: new example 'n1': base_loss 1E+10 lies ", warning, StringComparison.Ordinal);
        Assert.EndsWith(" standard deviations from the measured examples' values, far outside anything the model was fitted on, so its prediction there is an extrapolation; check the value and its units.", warning, StringComparison.Ordinal);
        Assert.Equal("n1", Assert.Single(far.GetProperty("coldExamples").EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task NewExamples_ForAModelFittedWithout_AreRefusedWithTheFix()
    {
        var path = Path.Combine(fixture.Directory, "plain.fpm");
        Data.ModelFile.Save(Core.Models.ModelCatalog.CreateFitter("additive", new Core.Models.ModelSettings()).Fit(Data.MatrixFile.Read(fixture.Matrix)), path);
        await (await _client.PostAsync("/v1/models/plain/predict", Http.Json($"{{\"newExamples\": {NewExamples(4790, 2, "emb4700.npy")}}}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "Model 'plain' was fitted without example features; refit it with example features ('fit --example-features', or an upload with exampleFeatures files) to predict new examples from their features.");
    }

    [Fact]
    public async Task Upload_ExampleFeatures_WithAMethodThatCannotCarryThem_IsRefusedAtOnce_NamingTheFix()
    {
        using var form = fixture.Upload("knn-model", "knn", fixture.FeatureParts());
        await (await _client.PostAsync("/v1/models", form)).ProblemAsync(HttpStatusCode.BadRequest,
            "'knn' cannot carry them", "fit mf (or additive, rank1) with the example features");
        Assert.False(File.Exists(Path.Combine(fixture.Directory, "knn-model.fpm")));
        Assert.Empty(Directory.GetFiles(fixture.Directory, UploadFiles.TempPrefix + "*"));
    }

    [Theory]
    [InlineData("few.csv", "column,base_loss\n0,0.5\n1,0.4\n", "few.csv", "no row for 4698 example(s) of the matrix", "add a row for each")]
    [InlineData("short.npy", null, "short.npy", "the embedding has 10 rows but the matrix has 4700 examples: give one row per example", "an .npz with an 'ids' array is matched by id")]
    public async Task Upload_BadExampleFeatureFile_FailsTheJobNamingTheFileAndTheFix(string fileName, string? csv, params string[] fragments)
    {
        byte[] bytes;
        if (csv is null)
        {
            using var stream = new MemoryStream();
            Data.MatrixFile.Write(Core.ForgettingMatrix.Create(new float[10, 4]), stream, "npy");
            bytes = stream.ToArray();
        }
        else
        {
            bytes = Encoding.UTF8.GetBytes(csv);
        }

        using var form = fixture.Upload("bad-" + Path.GetFileNameWithoutExtension(fileName), "mf", ("exampleFeatures", fileName, bytes));
        var job = await (await _client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
        var done = await UploadTests.WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.Equal("failed", done.GetProperty("state").GetString());
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, done.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(fixture.Directory, $"bad-{Path.GetFileNameWithoutExtension(fileName)}.fpm")));
        Assert.Empty(Directory.GetFiles(fixture.Directory, UploadFiles.TempPrefix + "*"));
    }

    private async Task<JsonElement> Predict(string newExamples) =>
        await (await _client.PostAsync("/v1/models/up/predict", Http.Json($"{{\"newExamples\": {newExamples}}}"))).JsonAsync();

    // {"upstream.csv": [{"id": ..., "source": ..., "base_loss": ...}, ...], "<embedding>": {"id": [...], ...}} for chunks first .. first + count - 1.
    private static string NewExamples(int first, int count, string embedding) =>
        $"{{\"upstream.csv\": [{string.Join(",", Rows(first, count).Select(r => $"{{\"id\": \"{r.Id}\", {r.Fields}}}"))}], \"{embedding}\": {Embeddings(first, count)}}}";

    // upstream.csv's rows (column,source,base_loss) as JSON fields, base_loss a number.
    private static (string Id, string Fields)[] Rows(int first, int count) =>
        [.. File.ReadLines(TaskFeatureFixture.Data("upstream.csv")).Skip(1 + first).Take(count).Select(l => l.Split(',')).Select(f => (f[0], $"\"source\": \"{f[1]}\", \"base_loss\": {f[2]}"))];

    private static string Embeddings(int first, int count)
    {
        var embedding = Data.MatrixFile.Read(TaskFeatureFixture.Data("example_emb.npy"));
        return $"{{{string.Join(",", Enumerable.Range(first, count).Select(j => $"\"{j}\": [{string.Join(",", Enumerable.Range(0, embedding.ExampleCount).Select(c => ((double)embedding[j, c]).ToString("R", CultureInfo.InvariantCulture)))}]"))}}}";
    }
}

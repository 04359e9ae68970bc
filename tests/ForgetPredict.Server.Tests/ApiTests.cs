using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ForgetPredict.Server.Tests;

/// <summary>Every read-only endpoint and its error paths, in the ASP.NET test host.</summary>
public class ApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _client = fixture.Client;
    private readonly TestStore _store = fixture.Store;

    [Fact]
    public async Task Healthz_AnswersOkWithTheNumberOfModels()
    {
        var health = await (await _client.GetAsync("/healthz")).JsonAsync();
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(5, health.GetProperty("models").GetInt32());
    }

    [Fact]
    public async Task ListModels_GivesShapeMethodRankAndFitQuality_AndListsADamagedFileWithItsReason()
    {
        var list = await (await _client.GetAsync("/v1/models")).JsonAsync();
        var models = list.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(["binary", "broken", "multi", "plain", "small"], models.Keys.Order(StringComparer.Ordinal));
        var small = models["small"];
        Assert.Equal("mf", small.GetProperty("method").GetString());
        Assert.Equal(15, small.GetProperty("taskCount").GetInt32());
        Assert.Equal(600, small.GetProperty("exampleCount").GetInt32());
        Assert.Equal(3, small.GetProperty("rank").GetInt32());
        Assert.Equal(0.9, small.GetProperty("r2").GetDouble());
        Assert.Equal(["group"], small.GetProperty("groupColumns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("additive", models["plain"].GetProperty("method").GetString());
        Assert.Empty(models["plain"].GetProperty("groupColumns").EnumerateArray());
        Assert.True(models["binary"].GetProperty("predictsProbability").GetBoolean());
        Assert.Contains("broken.fpm", models["broken"].GetProperty("error").GetString(), StringComparison.Ordinal);
        var broken = new FileInfo(Path.Combine(_store.Directory, "broken.fpm"));
        Assert.Equal(broken.Length, models["broken"].GetProperty("sizeBytes").GetInt64());
        Assert.Equal(new DateTimeOffset(broken.LastWriteTimeUtc), models["broken"].GetProperty("modified").GetDateTimeOffset());
    }

    [Fact]
    public async Task GetModel_DescribesOneModel()
    {
        var model = await (await _client.GetAsync("/v1/models/multi")).JsonAsync();
        Assert.Equal("multi", model.GetProperty("name").GetString());
        Assert.Equal(["group", "half"], model.GetProperty("groupColumns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("synthetic.npy", model.GetProperty("source").GetString());
        Assert.True(model.GetProperty("sizeBytes").GetInt64() > 1000);
        Assert.False(string.IsNullOrEmpty(model.GetProperty("version").GetString()));
        Assert.True(model.GetProperty("iterations").GetInt32() > 0);
    }

    [Fact]
    public async Task GetModel_Unknown_Is404WithASuggestionAndTheModels()
    {
        await (await _client.GetAsync("/v1/models/smal")).ProblemAsync(HttpStatusCode.NotFound, "No model 'smal'", "small", "binary, broken, multi, plain, small");
    }

    [Fact]
    public async Task GetModel_Damaged_Is400WithTheReason()
    {
        await (await _client.GetAsync("/v1/models/broken")).ProblemAsync(HttpStatusCode.InternalServerError, "broken.fpm");
    }

    [Theory]
    [InlineData("/v1/models/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/v1/models/.hidden")]
    [InlineData("/v1/models/a%5Cb")]
    [InlineData("/v1/models/%2Ftmp%2Fx")]
    [InlineData("/v1/models/small..fpm")]
    public async Task GetModel_PathTraversalAndInvalidNames_Are400(string path)
    {
        await (await _client.GetAsync(path)).ProblemAsync(HttpStatusCode.BadRequest, "is not a valid model name");
    }

    [Fact]
    public async Task GetModel_EncodedDotSegments_NeverLeaveTheApi()
    {
        // The server decodes %2E and removes dot segments before routing: /v1/models/%2E%2E is /v1/, which is no endpoint.
        await (await _client.GetAsync("/v1/models/%2E%2E")).ProblemAsync(HttpStatusCode.NotFound, "No endpoint at '/v1/'");
        await (await _client.GetAsync("/v1/models/%2E%2E/%2E%2E/%2E%2E/etc/passwd")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/v1/models/..%2Fsmall/predict")]
    [InlineData("/v1/models/%2E%2E%2F%2E%2E%2Fsmall/replay")]
    public async Task Queries_PathTraversal_Are400(string path)
    {
        await (await _client.PostAsync(path, Http.Json("{\"budget\": 3}"))).ProblemAsync(HttpStatusCode.BadRequest, "is not a valid model name");
    }

    [Fact]
    public async Task ModelStore_NeverResolvesAPathOutsideTheStore()
    {
        var store = new ModelStore(_store.Directory);
        foreach (var name in new[] { "..", "../x", "/etc/passwd", "a/b", "a\\b", "", ".x", "x\0", new string('a', 65) })
        {
            Assert.False(ModelStore.IsValidName(name), name);
            var e = Assert.Throws<ApiException>(() => store.ModelPath(name));
            Assert.Equal(400, e.Status);
        }

        Assert.Equal(Path.Combine(store.Directory, "ok-1.2_x.fpm"), store.ModelPath("ok-1.2_x"));
    }

    [Fact]
    public async Task Predict_GivesGroupsAndTopExamples()
    {
        var (_, _, observed) = _store.Observed(30);
        var response = await (await _client.PostAsync("/v1/models/small/predict", Http.Json($"{{\"observed\": {observed}, \"top\": 7, \"groupBy\": \"group\", \"chart\": true}}"))).JsonAsync();
        Assert.Equal("small", response.GetProperty("model").GetString());
        Assert.Equal(30, response.GetProperty("knownCount").GetInt32());
        Assert.False(response.GetProperty("taskAgnostic").GetBoolean());
        Assert.Equal("group", response.GetProperty("groupBy").GetString());
        var top = response.GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(7, top.Length);
        Assert.Equal(Enumerable.Range(1, 7), top.Select(e => e.GetProperty("rank").GetInt32()));
        Assert.True(top.Zip(top.Skip(1)).All(p => p.First.GetProperty("predicted").GetDouble() >= p.Second.GetProperty("predicted").GetDouble()));
        var groups = response.GetProperty("groups").EnumerateArray().ToArray();
        Assert.Equal(_store.Groups.Distinct().Count(), groups.Length);
        Assert.Equal(600, groups.Sum(g => g.GetProperty("count").GetInt32()));
        Assert.True(groups.Zip(groups.Skip(1)).All(p => p.First.GetProperty("mean").GetDouble() >= p.Second.GetProperty("mean").GetDouble()));
        Assert.All(groups, g => Assert.InRange(g.GetProperty("mean").GetDouble(), g.GetProperty("lower").GetDouble(), g.GetProperty("upper").GetDouble()));
        Assert.Contains("<svg", response.GetProperty("chartSvg").GetString(), StringComparison.Ordinal);
        Assert.InRange(response.GetProperty("expectedForgotten").GetDouble(), 0, 600);
    }

    [Fact]
    public async Task Predict_WithoutCells_IsTaskAgnostic_AndTheGroupColumnDefaultsToTheOnlyOne()
    {
        var response = await (await _client.PostAsync("/v1/models/small/predict", Http.Json("{}"))).JsonAsync();
        Assert.True(response.GetProperty("taskAgnostic").GetBoolean());
        Assert.Equal(0, response.GetProperty("knownCount").GetInt32());
        Assert.Equal("group", response.GetProperty("groupBy").GetString());
        Assert.False(response.TryGetProperty("chartSvg", out _));
        Assert.Equal(20, response.GetProperty("top").GetArrayLength());
    }

    [Fact]
    public async Task Predict_ModelWithoutMetadata_HasNoGroups()
    {
        var response = await (await _client.PostAsync("/v1/models/plain/predict", Http.Json("{\"top\": 3}"))).JsonAsync();
        Assert.Equal(0, response.GetProperty("groups").GetArrayLength());
        Assert.Equal(3, response.GetProperty("top").GetArrayLength());
    }

    [Fact]
    public async Task Predict_UnknownExampleIds_AreReportedNotIgnored()
    {
        await (await _client.PostAsync("/v1/models/small/predict", Http.Json("{\"observed\": {\"ex-00000\": 0.1, \"nope\": 0.2, \"also-missing\": 0.3}}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "2 examples are not among the model's 600", "'nope'", "'also-missing'");
        await (await _client.PostAsync("/v1/models/small/predict", Http.Json("{\"observed\": {\"ex-00000\": 0.1, \"7\": 0.2}}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "observed: entry 2: column 'example': example '7' is not one of the model's 600 example ids; examples are matched by id exactly: set \"byIndex\": true to read these as column positions.");
        var byIndex = await (await _client.PostAsync("/v1/models/small/predict", Http.Json("{\"observed\": {\"0\": 0.1, \"7\": 0.2}, \"byIndex\": true}"))).JsonAsync();
        Assert.Equal(2, byIndex.GetProperty("knownCount").GetInt32());
        await (await _client.PostAsync("/v1/models/small/predict", Http.Json("{\"observed\": {\"ex-9\": 0.1}}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "example 'ex-9' is not one of the model's 600 example ids");
    }

    [Theory]
    [InlineData("{\"observed\": {\"ex-00001\": 0.1, \"ex-00001\": 0.2}}", "measured twice")]
    [InlineData("{\"observed\": {\"1\": \"high\"}}", "must be a number, not a string")]
    [InlineData("{\"observed\": {\"1\": 1e999}}", "is not a finite number")]
    [InlineData("{\"observed\": [1, 2]}", "'observed' must be an object")]
    [InlineData("{\"observed\": {\"1\": 0.1}", "not valid JSON")]
    [InlineData("{\"observed\": {\"0\": NaN}}", "NaN, Infinity and None are not JSON values (at \"observed\") (line 1, character 20); leave the value out (a cell not measured is simply not listed in \"observed\")", "or give null where the field allows it")]
    [InlineData("{\"observed\": {\"0\": -Infinity}}", "NaN, Infinity and None are not JSON values (at \"observed\") (line 1, character 21)")]
    [InlineData("{\"top\": 5,\n \"threshold\": Infinity}", "NaN, Infinity and None are not JSON values (at \"threshold\") (line 2, character 15); leave the value out, or give null")]
    [InlineData("{\"observed\": {\"0\": nan}}", "NaN, Infinity and None are not JSON values")]
    [InlineData("{\"observed\": {\"0\": None}}", "NaN, Infinity and None are not JSON values (at \"observed\")")]
    [InlineData("{\"top\": 5, \"colour\": \"red\"}", "colour")]
    [InlineData("{\"top\": -1}", "\"top\" must be a whole number from 0 to 1,000 (got -1).")]
    [InlineData("{\"top\": 1001}", "\"top\" must be a whole number from 0 to 1,000 (got 1001).")]
    [InlineData("{\"top\": \"ten\"}", "not valid JSON for this endpoint: \"top\" must be a whole number from 0 to 1,000 (line 1, character 14).")]
    [InlineData("{\"top\": 2.5}", "\"top\" must be a whole number")]
    [InlineData("{\"top\": 100000000000}", "\"top\" must be a whole number from 0 to 1,000 (line")]
    [InlineData("{\"taskFeatures\": {\"lr\": 0.001, \"steps\": 1e400}}", "'taskFeatures.steps' must be a finite number (it is 1e400)")]
    [InlineData("{\"taskFeatures\": {\"lr\": 0.001, \"family\": true}}", "'taskFeatures.family' must be a number (e.g. lr) or a string (a category, e.g. family), not a boolean.")]
    [InlineData("{\"newExamples\": {\"upstream.csv\": [1, 2]}}", "is a number")]
    [InlineData("{\"newExamples\": {\"upstream.csv\": [{\"id\": \"n1\", \"id\": \"n2\"}]}}", "'newExamples.upstream.csv[0]' gives \"id\" twice; give each column once.")]
    [InlineData("{\"threshold\": \"high\"}", "\"threshold\" must be a number")]
    [InlineData("[]", "the body must be a JSON object with the fields observed, byIndex, top")]
    [InlineData("{\"topp\": 3}", "unknown field 'topp'; did you mean 'top'?")]
    [InlineData("{\"groupBy\": \"gruop\"}", "no column 'gruop'", "group")]
    [InlineData("{\"prior\": \"flat\"}", "Unknown prior 'flat'")]
    [InlineData("", "The request body is empty")]
    [InlineData("null", "The request body is null")]
    [InlineData("{\"observed\": {\"6\": 0.5},}", "not valid JSON for this endpoint: a comma after the last field of an object is not JSON (line 1, character 25); remove it.")]
    [InlineData("{\"observed\": {\"6\": 0.5,}}", "a comma after the last field of an object is not JSON (at \"observed\")", "remove it.")]
    public async Task Predict_BadBodies_Are400WithAUsefulDetail(string body, params string[] fragments)
    {
        await (await _client.PostAsync("/v1/models/small/predict", Http.Json(body))).ProblemAsync(HttpStatusCode.BadRequest, fragments);
    }

    // A trailing comma is not JSON (RFC 8259), and the service's other malformed bodies are refused: it had been read as if absent.
    [Theory]
    [InlineData("predict", "{\"observed\": {\"6\": 0.5},}", "field of an object")]
    [InlineData("predict", "{\"byIndex\": true, \"observed\": {\"6\": 0.5}, \"taskFeatures\": [0.1, 0.2,]}", "value in a list")]
    [InlineData("replay", "{\"budget\": 5,}", "field of an object")]
    [InlineData("replay", "{\"budget\": 5, \"exclude\": [\"ex-00001\",]}", "value in a list")]
    [InlineData("design", "{\"count\": 3,}", "field of an object")]
    public async Task TrailingComma_IsRefusedAsMalformedJson_AtEveryEndpointThatReadsABody(string endpoint, string body, string after)
    {
        var detail = await (await _client.PostAsync($"/v1/models/small/{endpoint}", Http.Json(body))).ProblemAsync(HttpStatusCode.BadRequest,
            $"The request body is not valid JSON for this endpoint: a comma after the last {after} is not JSON", "; remove it.");
        Assert.DoesNotContain("reader options", detail, StringComparison.Ordinal);
    }

    // Nor is a comment, which the service had skipped (JsonCommentHandling.Skip) while JSON.parse, Python's json and pandas refuse it.
    [Theory]
    [InlineData("{\"budget\": 5 /* five */}")]
    [InlineData("{\"budget\": 5} // five")]
    public async Task AComment_IsRefusedAsMalformedJson(string body)
    {
        var detail = await (await _client.PostAsync("/v1/models/small/replay", Http.Json(body))).ProblemAsync(HttpStatusCode.BadRequest,
            "The request body is not valid JSON for this endpoint");
        Assert.DoesNotContain("reader options", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_GroupByWithoutMetadata_Is400_AndSeveralColumnsWithoutGroupBy_AnswerWithoutGroups()
    {
        await (await _client.PostAsync("/v1/models/plain/predict", Http.Json("{\"groupBy\": \"group\"}"))).ProblemAsync(HttpStatusCode.BadRequest, "has no example metadata", "plain.examples.csv");

        // A prediction needs no groups: with several columns and none named it is answered without them (it was a 400).
        // The answer says so (it said nothing), in the words the command line's warning uses.
        var ungrouped = await (await _client.PostAsync("/v1/models/multi/predict", Http.Json("{}"))).JsonAsync();
        Assert.False(ungrouped.TryGetProperty("groupBy", out var column) && column.ValueKind != JsonValueKind.Null);
        Assert.Empty(ungrouped.GetProperty("groups").EnumerateArray());
        Assert.Contains(ungrouped.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("multi.examples.csv has 2 columns to group by (group, half) and none was chosen, so this answer reports no groups; choose one with \"groupBy\"", StringComparison.Ordinal));
        Assert.Equal(["group", "half"], (await (await _client.GetAsync("/v1/models/multi")).JsonAsync()).GetProperty("groupColumns").EnumerateArray().Select(c => c.GetString()));
        await (await _client.PostAsync("/v1/models/multi/replay", Http.Json("{\"budget\": 4, \"strategy\": \"stratified\"}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "multi.examples.csv has 2 columns to group by (group, half): choose one with \"groupBy\".");

        // A design without groups says so too, in JSON and in the CSV template's X-Warnings header.
        const string Unchosen = "multi.examples.csv has 2 columns to group by (group, half) and none was chosen, so this answer reports no groups";
        var design = await (await _client.PostAsync("/v1/models/multi/design", Http.Json("{\"count\": 3}"))).JsonAsync();
        Assert.Contains(design.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith(Unchosen, StringComparison.Ordinal));
        var template = await _client.PostAsync("/v1/models/multi/design?format=csv", Http.Json("{\"count\": 3}"));
        Assert.Contains(Unchosen, string.Join("", template.Headers.GetValues("X-Warnings")), StringComparison.Ordinal);

        // A design for the group means is refused likewise (it was a design for the whole row's mean, unlike the command line's).
        await (await _client.PostAsync("/v1/models/multi/design", Http.Json("{\"count\": 3, \"criterion\": \"group-means\"}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "multi.examples.csv has 2 columns to group by (group, half): choose one with \"groupBy\".");
        await (await _client.PostAsync("/v1/models/plain/replay", Http.Json("{\"budget\": 4, \"strategy\": \"stratified\"}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "Strategy 'stratified' needs example groups: give example metadata (NAME.examples.csv beside the model in the server's store, or an upload's examples file) with a column such as source or domain.");
        var byHalf = await (await _client.PostAsync("/v1/models/multi/predict", Http.Json("{\"groupBy\": \"half\"}"))).JsonAsync();
        Assert.Equal(["first", "second"], byHalf.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Predict_BinaryModel_NeedsZeroOrOneCells()
    {
        await (await _client.PostAsync("/v1/models/binary/predict", Http.Json("{\"observed\": {\"1\": 0.3}, \"byIndex\": true}"))).ProblemAsync(HttpStatusCode.BadRequest, "measured cells must be 0 or 1");
        var ok = await (await _client.PostAsync("/v1/models/binary/predict", Http.Json("{\"observed\": {\"1\": 1, \"2\": 0}, \"byIndex\": true}"))).JsonAsync();
        Assert.True(ok.GetProperty("predictsProbability").GetBoolean());
        Assert.Equal(0.5, ok.GetProperty("threshold").GetDouble());
    }

    // QA: "threshold": 0.1 and 0.9 gave the same expectedForgotten for a logistic model (the sum of its probabilities).
    [Fact]
    public async Task Predict_BinaryModel_RefusesAThreshold_ItWouldNotUse()
    {
        await (await _client.PostAsync("/v1/models/binary/predict", Http.Json("{\"threshold\": 0.9}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "0.9 has no role for a binary (logistic) model", "sum of those probabilities");
        var ok = await (await _client.PostAsync("/v1/models/binary/predict", Http.Json("{}"))).JsonAsync();
        Assert.Equal(ForgettingThreshold.BinaryRule, ok.GetProperty("thresholdRule").GetString());
    }

    [Fact]
    public async Task Predict_SaysHowTheThresholdWasChosen_TheLibrarysDefaultUnlessGiven()
    {
        // Given: the plain model, asked once without a threshold and once with one.
        var byDefault = await (await _client.PostAsync("/v1/models/plain/predict", Http.Json("{}"))).JsonAsync();
        var given = await (await _client.PostAsync("/v1/models/plain/predict", Http.Json("{\"threshold\": 0.25}"))).JsonAsync();

        // Then: the default is the library's rule (a past-forgetting percentile, not 0), and a given value is said to be given.
        var expected = ForgettingThreshold.Default(ModelCatalog.CreateFitter("additive", new ModelSettings()).Fit(_store.Training));
        Assert.Equal(expected.Value, byDefault.GetProperty("threshold").GetDouble(), 12);
        Assert.Equal(expected.Rule, byDefault.GetProperty("thresholdRule").GetString());
        Assert.StartsWith("the default", expected.Rule, StringComparison.Ordinal);
        Assert.Equal(0.25, given.GetProperty("threshold").GetDouble());
        Assert.Equal("given", given.GetProperty("thresholdRule").GetString());
    }

    [Fact]
    public async Task Predict_WrongContentType_Is415()
    {
        await (await _client.PostAsync("/v1/models/small/predict", new StringContent("top=5", Encoding.UTF8, "application/x-www-form-urlencoded")))
            .ProblemAsync(HttpStatusCode.UnsupportedMediaType, "Send the query as JSON");

        // A type that only contains "json", another charset or a compressed body: each had been read as UTF-8 JSON (a 400 at
        // its first byte, or ids garbled in silence).
        await (await _client.PostAsync("/v1/models/small/predict", new StringContent("{}", Encoding.UTF8, "application/notjson-but-json")))
            .ProblemAsync(HttpStatusCode.UnsupportedMediaType, "Send the query as JSON (Content-Type: application/json), not application/notjson-but-json");
        var latin = new ByteArrayContent(Encoding.Latin1.GetBytes("{\"top\": 5}"));
        latin.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json; charset=iso-8859-1");
        await (await _client.PostAsync("/v1/models/small/predict", latin)).ProblemAsync(HttpStatusCode.UnsupportedMediaType, "Send the query in UTF-8", "not iso-8859-1");
        var gzip = new ByteArrayContent([0x1f, 0x8b, 0x08, 0x00]);
        gzip.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json");
        gzip.Headers.ContentEncoding.Add("gzip");
        await (await _client.PostAsync("/v1/models/small/predict", gzip)).ProblemAsync(HttpStatusCode.UnsupportedMediaType, "reads query bodies uncompressed (Content-Encoding gzip");

        // What clients send stays accepted: a charset of UTF-8, a +json type.
        var utf8 = new StringContent("{\"top\": 5}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/v1/models/small/predict", utf8)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/v1/models/small/predict", new StringContent("{}", Encoding.UTF8, "application/merge-patch+json"))).StatusCode);
        foreach (var type in new[] { "text/json", "application/json; charset=\"utf-8\"", "application/json; charset=us-ascii" })
        {
            var body = new ByteArrayContent(Encoding.ASCII.GetBytes("{}"));
            body.Headers.TryAddWithoutValidation("Content-Type", type);
            Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/v1/models/small/predict", body)).StatusCode);
        }
    }

    [Fact]
    public async Task Predict_UnknownModel_Is404()
    {
        await (await _client.PostAsync("/v1/models/nope/predict", Http.Json("{}"))).ProblemAsync(HttpStatusCode.NotFound, "No model 'nope'");
    }

    [Fact]
    public async Task OversizeBody_WithContentLength_Is413()
    {
        // The test host's limit is 0.05 MB (52,428 bytes).
        var padding = new string(' ', 60_000);
        await (await _client.PostAsync("/v1/models/small/predict", Http.Json("{" + padding + "}"))).ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "larger than the server's limit of 0.05 MB (--max-body-mb)");
    }

    [Fact]
    public async Task OversizeBody_Chunked_Is413()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"observed\": {" + string.Join(",", Enumerable.Range(0, 6000).Select(i => $"\"{i}\": 0.125")) + "}}");
        using var content = new StreamContent(new MemoryStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models/small/replay") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        await (await _client.SendAsync(request)).ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "larger than the server's limit");
    }

    [Fact]
    public async Task Replay_GivesASetOfTheBudget_AsJsonAndCsv()
    {
        var (_, _, observed) = _store.Observed(20);
        var body = $"{{\"observed\": {observed}, \"budget\": 25, \"strategy\": \"topk\", \"exclude\": [\"ex-00000\", \"ex-00001\"]}}";
        var replay = await (await _client.PostAsync("/v1/models/small/replay", Http.Json(body))).JsonAsync();
        Assert.Equal(25, replay.GetProperty("budget").GetInt32());
        Assert.Equal(598, replay.GetProperty("candidates").GetInt32());
        var items = replay.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(25, items.Length);
        Assert.DoesNotContain(items, i => i.GetProperty("example").GetString() is "ex-00000" or "ex-00001");
        Assert.Equal(25, replay.GetProperty("groups").EnumerateArray().Sum(g => g.GetProperty("replayed").GetInt32()));

        // A topk weight of 1 is written 1.0, a float as json, pandas and polars read it, as in the command line's outputs.
        Assert.All(items, i => Assert.Equal("1.0", i.GetProperty("weight").GetRawText()));

        var csv = await _client.PostAsync("/v1/models/small/replay?format=csv", Http.Json(body));
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("small-replay.csv", csv.Content.Headers.ContentDisposition?.ToString() ?? string.Empty, StringComparison.Ordinal);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal("example,weight,predicted,group", lines[0]);
        Assert.Equal(items.Select(i => i.GetProperty("example").GetString()), lines.Skip(1).Select(l => l.Split(',')[0]));

        using var accept = new HttpRequestMessage(HttpMethod.Post, "/v1/models/small/replay") { Content = Http.Json(body) };
        accept.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        Assert.Equal("text/csv", (await _client.SendAsync(accept)).Content.Headers.ContentType?.MediaType);
    }

    // QA: predict with Accept: text/csv, and replay with Accept: application/xml, were answered 200 in JSON.
    [Theory]
    [InlineData("predict", "{}", "text/csv", null)]
    [InlineData("predict", "{}", "application/xml", null)]
    [InlineData("replay", "{\"budget\": 5}", "application/xml", null)]
    [InlineData("replay", "{\"budget\": 5}", "text/csv;q=0, application/xml", null)]
    [InlineData("predict", "{}", "application/json", "application/json")]
    [InlineData("predict", "{}", "*/*", "application/json")]
    [InlineData("predict", "{}", "text/csv, application/*;q=0.5", "application/json")]
    [InlineData("replay", "{\"budget\": 5}", "text/csv, application/json", "text/csv")]
    [InlineData("replay", "{\"budget\": 5}", "application/xml, text/*", "text/csv")]
    [InlineData("replay", "{\"budget\": 5}", "*/*", "application/json")]
    [InlineData("replay", "{\"budget\": 5}", "application/json, text/csv;q=0.1", "application/json")]
    [InlineData("replay", "{\"budget\": 5}", "text/csv;q=0.1, application/json", "application/json")]
    [InlineData("replay", "{\"budget\": 5}", "text/csv;q=0.9, */*;q=0.5", "text/csv")]
    [InlineData("replay", "{\"budget\": 5}", "text/*;q=0.2, application/*;q=0.8", "application/json")]
    [InlineData("design", "{\"count\": 3}", "text/html", null)]
    public async Task TheAcceptHeader_ChoosesTheForm_OrIsA406(string endpoint, string body, string accept, string? answered)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/models/small/{endpoint}") { Content = Http.Json(body) };
        request.Headers.TryAddWithoutValidation("Accept", accept);

        var response = await _client.SendAsync(request);

        if (answered is null)
        {
            await response.ProblemAsync(HttpStatusCode.NotAcceptable, $"This endpoint answers in application/json{(endpoint == "predict" ? "" : " or text/csv")}, and the Accept header (",
                "') admits neither; send Accept: application/json (or */*), or leave it out");
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(answered, response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Replay_AsCsv_CarriesTheJsonAnswersWarningsInAHeader()
    {
        // Given: a budget above the candidates, which the JSON answer warns of
        var body = "{\"budget\": 5000, \"strategy\": \"topk\"}";
        var json = await (await _client.PostAsync("/v1/models/small/replay", Http.Json(body))).JsonAsync();
        var warnings = json.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).ToArray();
        Assert.NotEmpty(warnings);

        // When: the same query as a CSV download
        var csv = await _client.PostAsync("/v1/models/small/replay?format=csv", Http.Json(body));

        // Then: the header holds the same warnings, as a JSON array; a query without warnings has no header
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        var header = Assert.Single(csv.Headers.GetValues("X-Warnings"));
        Assert.Equal(warnings, System.Text.Json.JsonSerializer.Deserialize<string[]>(header));
        var quiet = await _client.PostAsync("/v1/models/small/replay?format=csv", Http.Json("{\"budget\": 5, \"strategy\": \"topk\"}"));
        Assert.False(quiet.Headers.Contains("X-Warnings"));
    }

    [Fact]
    public async Task PredictAndReplay_CellsInOtherUnits_AreAnsweredWithAWarning_InTheListAndTheCsvHeader()
    {
        // Given: 30 cells of a training task, as measured and a thousand times larger (QA: folded in without a word).
        var (examples, values, observed) = _store.Observed(30);
        var thousandfold = "{" + string.Join(",", examples.Select((j, i) => string.Create(CultureInfo.InvariantCulture, $"\"{_store.Matrix.ExampleIds[j]}\":{values[i] * 1000:R}"))) + "}";

        // When
        var plain = await (await _client.PostAsync("/v1/models/small/predict", Http.Json($"{{\"observed\": {observed}}}"))).JsonAsync();
        var units = await (await _client.PostAsync("/v1/models/small/predict", Http.Json($"{{\"observed\": {thousandfold}}}"))).JsonAsync();
        var replay = await _client.PostAsync("/v1/models/small/replay?format=csv", Http.Json($"{{\"observed\": {thousandfold}, \"budget\": 5, \"strategy\": \"topk\"}}"));

        // Then: the measured cells give no warning; the thousandfold ones are answered, with the application layer's warning
        // (the median distance, the factor, the fix) in predict's list and in replay's X-Warnings header.
        Assert.Empty(plain.GetProperty("warnings").EnumerateArray());
        Assert.Equal(30, units.GetProperty("knownCount").GetInt32());
        var warning = Assert.Single(units.GetProperty("warnings").EnumerateArray()).GetString()!;
        Assert.StartsWith("observed: the 30 measured values lie a median of ", warning, StringComparison.Ordinal);
        Assert.Contains("so they look measured in other units than the matrix the model was fitted on. They seem about 1,000 times too large: divide them by 1,000 (they would then lie a median of ", warning, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Contains(warning, System.Text.Json.JsonSerializer.Deserialize<string[]>(Assert.Single(replay.Headers.GetValues("X-Warnings")))!);
    }

    [Fact]
    public async Task Replay_BudgetFromRatio_AndStratified()
    {
        var replay = await (await _client.PostAsync("/v1/models/small/replay", Http.Json("{\"ratio\": 10, \"taskSize\": 120, \"strategy\": \"stratified\", \"minPerGroup\": 1}"))).JsonAsync();
        Assert.Equal(12, replay.GetProperty("budget").GetInt32());
        Assert.All(replay.GetProperty("groups").EnumerateArray(), g => Assert.True(g.GetProperty("replayed").GetInt32() >= 1));
        Assert.Empty(replay.GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public async Task Replay_SaysWhenTheSoftmaxTemperatureIsFarFromThePredictions()
    {
        var replay = await (await _client.PostAsync("/v1/models/small/replay", Http.Json("{\"budget\": 10, \"temperature\": 1e-6}"))).JsonAsync();

        var warning = Assert.Single(replay.GetProperty("warnings").EnumerateArray()).GetString();
        Assert.StartsWith("the softmax temperature 0.000001 is in the units of the predictions", warning, StringComparison.Ordinal);
        Assert.Contains("so the choice is all but top-k", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_SaysWhenTheBudgetIsAboveTheCandidates()
    {
        var replay = await (await _client.PostAsync("/v1/models/small/replay", Http.Json("{\"budget\": 5000, \"exclude\": [\"ex-00000\"]}"))).JsonAsync();

        Assert.Equal(599, replay.GetProperty("items").GetArrayLength());
        Assert.Equal(["the budget of 5,000 is above the 599 candidate examples, so all 599 were chosen"],
            replay.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));
    }

    [Theory]
    [InlineData("small", "{}", "Give \"budget\"")]
    [InlineData("small", "{\"budget\": -2}", "\"budget\" must be at least 0")]
    [InlineData("small", "{\"budget\": 99999999999}", "\"budget\" must be a whole number from 0 to 2,147,483,647")]
    [InlineData("small", "{\"ratio\": 0.5, \"taskSize\": 10}", "\"ratio\" must be a whole number from 1 to 2,147,483,647")]
    [InlineData("small", "{\"ratio\": 1, \"taskSize\": 1e30}", "\"taskSize\" must be a whole number from 1 to 9,223,372,036,854,775,807")]
    [InlineData("small", "{\"budget\": 5, \"seed\": 1e30}", "\"seed\" must be a whole number from -2,147,483,648 to 2,147,483,647")]
    [InlineData("small", "{\"budget\": 5, \"ratio\": 3, \"taskSize\": 10}", "not both")]
    [InlineData("small", "{\"budget\": 5, \"ratio\": 3}", "is the budget itself: drop")]
    [InlineData("small", "{\"budget\": 5, \"strategy\": \"softmx\"}", "Unknown strategy 'softmx'", "softmax")]
    [InlineData("plain", "{\"budget\": 5, \"strategy\": \"stratified\"}", "needs example groups")]
    [InlineData("small", "{\"budget\": 5, \"strategy\": \"stratified\", \"minPerGroup\": 500}", "\"minPerGroup\" = 500 for 6 groups needs 600 examples, more than the budget of 5: raise \"budget\" to at least 600")]
    [InlineData("small", "{\"budget\": 5, \"temperature\": -1}", "\"temperature\" must be a finite number above 0 (it is -1)")]
    [InlineData("small", "{\"budget\": 5, \"exclude\": [\"zz\"]}", "exclude: none of its 1 ids names an example, so it would exclude nothing: example 'zz' is not one of the model's 600 example ids")]
    [InlineData("small", "{\"budget\": 5, \"byIndex\": true, \"exclude\": [\"600\"]}", "exclude: none of its 1 ids names an example, so it would exclude nothing: example '600' is not a column position 0..599")]
    [InlineData("small", "{\"budget\": 5, \"observed\": {\"zz\": 1}}", "example 'zz' is not one of the model's 600 example ids")]
    [InlineData("small", "{\"budget\": 5, \"exclude\": [\"0\", null]}", "\"exclude\"[1] is null: list the example ids to exclude as strings.")]
    [InlineData("small", "{\"budget\": 5, \"strategy\": \"topk\", \"temperature\": 0.5}", "\"temperature\" applies to the softmax strategy only, and this replay is topk: drop it, or replay with \"strategy\" = softmax.")]
    [InlineData("small", "{\"budget\": 5, \"strategy\": \"random\", \"minPerGroup\": 1}", "\"minPerGroup\" applies to the stratified strategy only")]
    public async Task Replay_BadRequests_Are400(string model, string body, params string[] fragments)
    {
        await (await _client.PostAsync($"/v1/models/{model}/replay", Http.Json(body))).ProblemAsync(HttpStatusCode.BadRequest, fragments);
    }

    [Fact]
    public async Task AnUnknownQueryParameter_IsRefused_NotIgnored()
    {
        // fromat=csv was answered in JSON as if it were not there.
        await (await _client.PostAsync("/v1/models/small/replay?fromat=csv", Http.Json("{\"budget\": 5}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "Unknown query parameter 'fromat'; did you mean 'format'? This endpoint takes format=json (default) or format=csv, and its settings in the JSON body.");
        var csv = await _client.PostAsync("/v1/models/small/replay?format=csv", Http.Json("{\"budget\": 5}"));
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);

        // predict has no table form: its query string had not been read at all, so format=csv and typos were answered in JSON.
        await (await _client.PostAsync("/v1/models/small/predict?fromat=csv", Http.Json("{}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "Unknown query parameter 'fromat'; did you mean 'format'? This endpoint takes format=json (its only form), and its settings in the JSON body.");
        await (await _client.PostAsync("/v1/models/small/predict?format=csv", Http.Json("{}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "This endpoint answers in JSON only");
        await (await _client.PostAsync("/v1/models/small/predict?format=xml", Http.Json("{}")))
            .ProblemAsync(HttpStatusCode.BadRequest, "Unknown format 'xml'; use format=json (its only form).");
        var json = await _client.PostAsync("/v1/models/small/predict?format=json", Http.Json("{}"));
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);

        // The reads and the cancel take none: GET /v1/models?format=csv had answered JSON, GET /v1/models/small?x=1 the model.
        foreach (var path in new[] { "/v1/models?format=csv", "/v1/models/small?x=1", "/v1/jobs?state=done", "/v1/jobs/nope?x=1" })
        {
            await (await _client.GetAsync(path)).ProblemAsync(HttpStatusCode.BadRequest, $"Unknown query parameter '{path.Split('?')[1].Split('=')[0]}'; this endpoint takes none (its answer is JSON only).");
        }

        await (await _client.DeleteAsync("/v1/jobs/nope?force=1")).ProblemAsync(HttpStatusCode.BadRequest, "Unknown query parameter 'force'");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/healthz?probe=1")).StatusCode);
    }

    [Fact]
    public async Task Predict_GroupedByAColumnWithAValuePerExample_IsAnsweredWithTheLibrarysWarning()
    {
        // Given: the small model again, with metadata whose 'score' column holds a number per example (removed afterwards: the
        // class's tests share the store, and run one after another).
        var model = Path.Combine(_store.Directory, "frag.fpm");
        var metadata = Path.Combine(_store.Directory, "frag.examples.csv");
        File.Copy(Path.Combine(_store.Directory, "small.fpm"), model);
        File.WriteAllLines(metadata, ["id,score,group", .. _store.Small.ExampleIds.Select((id, j) => string.Create(CultureInfo.InvariantCulture, $"{id},{j * 0.25},{_store.Groups[j]}"))]);
        try
        {
            var answer = await (await _client.PostAsync("/v1/models/frag/predict", Http.Json("{\"groupBy\": \"score\"}"))).JsonAsync();
            var grouped = await (await _client.PostAsync("/v1/models/frag/predict", Http.Json("{\"groupBy\": \"group\"}"))).JsonAsync();

            Assert.Contains(answer.GetProperty("warnings").EnumerateArray(), w => w.GetString() ==
                "frag.examples.csv: \"groupBy\" 'score' puts 600 of the 600 examples in a group of their own (600 groups), so each group's report is one example's: "
                + "the column holds a value per example (a score, a loss, an id), not groups; group by a column such as source or domain");
            Assert.DoesNotContain(grouped.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("a group of their own", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(model);
            File.Delete(metadata);
        }
    }

    [Fact]
    public async Task StoredParquetMetadata_GroupsTheAnswers()
    {
        // A store's NAME.examples.parquet (one of the metadata files the store lists) had been read as CSV: a 500 naming a
        // non-UTF-8 byte after 'PAR1'.
        var model = Path.Combine(_store.Directory, "pq.fpm");
        var metadata = Path.Combine(_store.Directory, "pq.examples.parquet");
        File.Copy(Path.Combine(_store.Directory, "small.fpm"), model);
        using (var stream = File.Create(metadata))
        using (var writer = Data.Parquet.ParquetWriter.Create(stream, [new("id", Data.Parquet.ParquetValueType.String), new("group", Data.Parquet.ParquetValueType.String)]))
        {
            writer.WriteRows([Data.Parquet.ParquetColumnData.FromStrings(_store.Small.ExampleIds.ToArray<string?>()), Data.Parquet.ParquetColumnData.FromStrings(_store.Groups.ToArray<string?>())]);
        }

        try
        {
            var answer = await (await _client.PostAsync("/v1/models/pq/replay", Http.Json("{\"budget\": 12, \"strategy\": \"stratified\"}"))).JsonAsync();
            Assert.Equal(_store.Groups.Distinct().Count(), answer.GetProperty("groups").GetArrayLength());
        }
        finally
        {
            File.Delete(model);
            File.Delete(metadata);
        }
    }

    [Fact]
    public async Task Design_GivesTheLibrarysCells_AsJsonAndAsTheTemplateCsv()
    {
        // Given one measured cell and two examples that cannot be measured, group-means over the "group" column.
        var body = "{\"count\": 6, \"criterion\": \"group-means\", \"groupBy\": \"group\", \"observed\": {\"ex-00007\": 0.25}, \"exclude\": [\"ex-00000\", \"ex-00001\"]}";

        var design = await (await _client.PostAsync("/v1/models/small/design", Http.Json(body))).JsonAsync();

        // Then: the use case's design on the stored model, with its groups, basis and candidates.
        var groups = Core.ExampleGroups.FromLabels([.. _store.Groups]);
        var expected = Application.Designing.Design(new Application.MeasurementRequest
        {
            Model = _store.Small,
            Count = 6,
            Criterion = Core.Evaluation.ActiveCriterion.GroupMeans,
            Groups = groups,
            Measured = [7],
            Excluded = new HashSet<int>([0, 1]),
        });
        var examples = design.GetProperty("examples").EnumerateArray().ToArray();
        Assert.Equal(expected.Examples.Select(j => _store.Small.ExampleIds[j]), examples.Select(e => e.GetProperty("example").GetString()));
        // (numbered after the measured cell, as one 7-cell design would number them)
        Assert.Equal(Enumerable.Range(2, 6), examples.Select(e => e.GetProperty("order").GetInt32()));
        var measured = design.GetProperty("measured").EnumerateArray().Single();
        Assert.Equal(("ex-00007", 0.25, 1, _store.Groups[7]),
            (measured.GetProperty("example").GetString(), measured.GetProperty("value").GetDouble(), measured.GetProperty("order").GetInt32(), measured.GetProperty("group").GetString()));
        Assert.Equal(expected.Examples.Select(j => _store.Groups[j]), examples.Select(e => e.GetProperty("group").GetString()));
        Assert.Equal("group-means", design.GetProperty("criterion").GetString());
        Assert.Equal("the model (mf, rank 3; 15 past tasks)", design.GetProperty("basis").GetString());
        Assert.Equal(597, design.GetProperty("candidates").GetInt32());
        Assert.Equal("group", design.GetProperty("groupBy").GetString());

        var csv = await _client.PostAsync("/v1/models/small/design?format=csv", Http.Json(body));
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("small-design.csv", csv.Content.Headers.ContentDisposition?.ToString() ?? string.Empty, StringComparison.Ordinal);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal("example,value,order,group", lines[0]);
        // The template is the task's whole sheet: the measured cell with its value first, then the cells to measure.
        Assert.Equal([$"ex-00007,0.25,1,{_store.Groups[7]}", .. expected.Examples.Select((j, i) => $"{_store.Small.ExampleIds[j]},,{i + 2},{_store.Groups[j]}")], lines[1..]);

        // Without a body's settings: 10 cells, v-optimal, no groups.
        var plain = await (await _client.PostAsync("/v1/models/plain/design", Http.Json("{}"))).JsonAsync();
        Assert.Equal(10, plain.GetProperty("examples").GetArrayLength());
        Assert.Equal("v-optimal", plain.GetProperty("criterion").GetString());
        Assert.False(plain.TryGetProperty("groupBy", out _));
    }

    [Theory]
    [InlineData("small", "{\"count\": 0}", "between 1 and the 600 examples; it is 0")]
    [InlineData("small", "{\"criterion\": \"neighbours\"}", "cannot be planned in advance")]
    [InlineData("small", "{\"criterion\": \"v-optimum\"}", "Unknown criterion 'v-optimum'")]
    [InlineData("small", "{\"criterion\": \"neighbor\"}", "Unknown criterion 'neighbor'; criteria: v-optimal, d-optimal, group-means.")]
    [InlineData("small", "{\"exclude\": [\"zz\"]}", "exclude: none of its 1 ids names an example, so it would exclude nothing: example 'zz' is not one of the model's 600 example ids")]
    [InlineData("small", "{\"observed\": {\"zz\": 1}}", "example 'zz' is not one of the model's 600 example ids")]
    [InlineData("small", "{\"count\": 3, \"top\": 3}", "unknown field 'top'; fields: count, criterion, groupBy, observed, byIndex, exclude.")]
    [InlineData("small", "{\"exclude\": [5]}", "\"exclude[0]\" must be a string")]
    [InlineData("binary", "{\"count\": 3}", "A logistic model predicts probabilities")]
    public async Task Design_BadRequests_Are400(string model, string body, params string[] fragments)
    {
        await (await _client.PostAsync($"/v1/models/{model}/design", Http.Json(body))).ProblemAsync(HttpStatusCode.BadRequest, fragments);
    }

    // An exclusion list with ids the model does not have: the command line ignored them with a warning, the service refused the
    // request. Both follow the library's rule now: ignored with a warning, unless none is known (it would exclude nothing).
    [Fact]
    public async Task ExcludedIdsTheModelDoesNotHave_AreIgnoredWithAWarning_InReplayAndDesign()
    {
        var id = _store.Small.ExampleIds[0];
        var replay = await (await _client.PostAsync("/v1/models/small/replay", Http.Json($"{{\"budget\": 600, \"strategy\": \"topk\", \"exclude\": [\"{id}\", \"zz\"]}}"))).JsonAsync();
        var design = await (await _client.PostAsync("/v1/models/small/design", Http.Json($"{{\"count\": 599, \"exclude\": [\"{id}\", \"zz\"]}}"))).JsonAsync();

        const string Warning = "exclude: 1 of its 2 ids name no example, so they are ignored: example 'zz' is not one of the model's 600 example ids";
        Assert.Contains(replay.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith(Warning, StringComparison.Ordinal));
        Assert.Contains(design.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith(Warning, StringComparison.Ordinal));
        Assert.DoesNotContain(replay.GetProperty("items").EnumerateArray(), i => i.GetProperty("example").GetString() == id);
        Assert.DoesNotContain(design.GetProperty("examples").EnumerateArray(), e => e.GetProperty("example").GetString() == id);
        Assert.Equal(599, replay.GetProperty("candidates").GetInt32());
    }

    [Fact]
    public async Task Replay_UnknownFormat_Is400()
    {
        await (await _client.PostAsync("/v1/models/small/replay?format=xml", Http.Json("{\"budget\": 3}"))).ProblemAsync(HttpStatusCode.BadRequest, "Unknown format 'xml'");
    }

    [Fact]
    public async Task UnknownRoute_Is404Problem_AndWrongMethod_Is405Problem()
    {
        await (await _client.GetAsync("/v2/models")).ProblemAsync(HttpStatusCode.NotFound, "No endpoint at '/v2/models'", "/openapi.json");
        await (await _client.DeleteAsync("/v1/models/small")).ProblemAsync(HttpStatusCode.MethodNotAllowed, "DELETE is not allowed");
        await (await _client.GetAsync("/v1/models/small/predict")).ProblemAsync(HttpStatusCode.MethodNotAllowed, "GET is not allowed");
    }

    [Theory]
    [InlineData("/healthz", "application/json")]
    [InlineData("/", "text/html")]
    [InlineData("/app.js", "text/javascript")]
    [InlineData("/openapi.json", "application/json")]
    [InlineData("/v1/models", "application/json")]
    [InlineData("/v1/models/small", "application/json")]
    public async Task Head_OfARouteThatReads_AnswersItsGetsStatusAndType_WithoutABody(string path, string type)
    {
        using var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        using var get = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(type, head.Content.Headers.ContentType?.MediaType);
        Assert.Equal(get.Content.Headers.ContentType?.MediaType, head.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.NotEmpty(await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Jobs_UnknownId_Is404_AndTheListAnswers()
    {
        await (await _client.GetAsync("/v1/jobs/0123456789abcdef")).ProblemAsync(HttpStatusCode.NotFound, "No job '0123456789abcdef'");
        Assert.Equal(JsonValueKind.Array, (await (await _client.GetAsync("/v1/jobs")).JsonAsync()).GetProperty("jobs").ValueKind);
    }

    [Fact]
    public async Task ApiAnswers_AreNeverCached()
    {
        // A job's progress and a replaced model change the answers: a cache between a poller and the service kept them stale.
        foreach (var path in new[] { "/v1/jobs", "/v1/models", "/v1/models/small" })
        {
            var answer = await _client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.True(answer.Headers.CacheControl?.NoStore, path);
        }

        Assert.True((await _client.PostAsync("/v1/models/small/predict", Http.Json("{}"))).Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task OpenApi_DescribesEveryMappedRoute()
    {
        var response = await _client.GetAsync("/openapi.json");
        var document = await response.JsonAsync();
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = document.GetProperty("paths");
        var routes = fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Path: "/" + e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods))
            .Where(r => !StaticAssets.IsAsset(new Microsoft.AspNetCore.Http.PathString(r.Path)))
            .Select(r =>
            {
                // A route that reads answers HEAD as well (GET without the body, as HTTP defines it; not listed separately).
                Assert.True(r.Methods is ["POST"] or ["DELETE"] or ["GET", "HEAD"], $"{r.Path}: {string.Join(", ", r.Methods)}");
                return (r.Path, Method: r.Methods[0]);
            })
            .ToArray();
        Assert.Equal(11, routes.Length);
        foreach (var (path, method) in routes)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"openapi.json lacks {path}");
            Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out _), $"openapi.json lacks {method} {path}");
        }
    }

    // openapi.json is written by hand: its defaults, bounds and choices must be the library's, which nothing else checks.
    [Fact]
    public async Task OpenApi_DefaultsBoundsAndChoices_AreTheLibrarys()
    {
        var schemas = (await (await _client.GetAsync("/openapi.json")).JsonAsync()).GetProperty("components").GetProperty("schemas");
        JsonElement Field(string schema, string name) => schemas.GetProperty(schema).GetProperty("properties").GetProperty(name);
        string[] Enum(string schema, string name) => [.. Field(schema, name).GetProperty("enum").EnumerateArray().Select(e => e.GetString()!)];

        Assert.Equal(Core.Erasure.RowScanOptions.DefaultTop, Field("PredictRequest", "top").GetProperty("default").GetInt32());
        Assert.Equal(Forecaster.MaxTop, Field("PredictRequest", "top").GetProperty("maximum").GetInt32());
        Assert.Equal(Application.Choices.Prior.NameOf(Core.Models.FoldInOptions.Default.Prior), Field("PredictRequest", "prior").GetProperty("default").GetString());
        Assert.Equal(Application.Choices.Prior.Names, Enum("PredictRequest", "prior"));
        Assert.Equal(Application.Choices.Strategy.NameOf(new Core.Replay.ReplayOptions().Strategy), Field("ReplayRequest", "strategy").GetProperty("default").GetString());
        Assert.Equal(Application.Choices.Strategy.Names, Enum("ReplayRequest", "strategy"));
        // temperature and seed have no "default" a generated client would send: they are refused with strategies that do not read them.
        Assert.EndsWith(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"default {Core.Replay.ReplayOptions.DefaultTemperature}, in the predictions' units."), Field("ReplayRequest", "temperature").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.EndsWith(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"default {new Core.Replay.ReplayOptions().Seed}."), Field("ReplayRequest", "seed").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.False(Field("ReplayRequest", "temperature").TryGetProperty("default", out _));
        Assert.Equal(Application.MeasurementRequest.DefaultCount, Field("DesignRequest", "count").GetProperty("default").GetInt32());
        Assert.Equal(Application.Choices.Criterion.NameOf(new Application.MeasurementRequest().Criterion), Field("DesignRequest", "criterion").GetProperty("default").GetString());
        Assert.Equal(Core.Models.ModelCatalog.Default, Field("Upload", "method").GetProperty("default").GetString());
        Assert.Equal(Core.Models.ModelCatalog.Names, Enum("Upload", "method"));
        Assert.Equal(Core.Evaluation.EvaluationOptions.DefaultKnown, Field("Upload", "known").GetProperty("default").GetInt32());
    }

    [Theory]
    [InlineData(typeof(PredictRequest), "PredictRequest")]
    [InlineData(typeof(PredictResponse), "PredictResponse")]
    [InlineData(typeof(ReplayRequest), "ReplayRequest")]
    [InlineData(typeof(ReplayResponse), "ReplayResponse")]
    [InlineData(typeof(DesignRequest), "DesignRequest")]
    [InlineData(typeof(DesignResponse), "DesignResponse")]
    [InlineData(typeof(ModelInfoDto), "ModelInfo")]
    [InlineData(typeof(ColdExampleDto), "ColdExample")]
    [InlineData(typeof(ExampleFeatureInfoDto), "ExampleFeatureInfo")]
    public async Task OpenApi_SchemaListsEveryFieldOfTheWireType(Type wire, string schema)
    {
        var document = await (await _client.GetAsync("/openapi.json")).JsonAsync();
        var properties = document.GetProperty("components").GetProperty("schemas").GetProperty(schema).GetProperty("properties");
        foreach (var property in wire.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            var name = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            Assert.True(properties.TryGetProperty(name, out _), $"openapi.json's {schema} lacks '{name}'");
        }
    }

    [Fact]
    public async Task Page_IsServedWithItsScriptAndStyle_AndRevalidatesByETag()
    {
        var page = await _client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("app.js", html, StringComparison.Ordinal);
        Assert.Contains("app.css", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        foreach (var asset in new[] { "/app.js", "/app.css", "/favicon.svg" })
        {
            var response = await _client.GetAsync(asset);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100, asset);
        }

        using var again = new HttpRequestMessage(HttpMethod.Get, "/app.js");
        again.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse((await _client.GetAsync("/app.js")).Headers.ETag!.ToString()));
        Assert.Equal(HttpStatusCode.NotModified, (await _client.SendAsync(again)).StatusCode);
    }
}

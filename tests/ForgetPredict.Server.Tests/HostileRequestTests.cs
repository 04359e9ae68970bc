using System.Net;
using System.Text;

namespace ForgetPredict.Server.Tests;

/// <summary>Issue 14, item 5: the service names files relative to its store and answers every failure with the right
/// status and a problem document that says what to do.</summary>
public sealed partial class HostileRequestTests : IDisposable
{
    private readonly TestStore _store = new();
    private readonly ServerFactory _factory;
    private readonly HttpClient _client;

    public HostileRequestTests()
    {
        _factory = new ServerFactory(_store.Directory);
        _client = _factory.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
        _store.Dispose();
    }

    // The store folder deleted under a running server: every request that reads the store was a 500 "the error is in its log".
    [Fact]
    public async Task TheStoreFolderDeletedWhileServing_Is503_NamingTheOperatorsFix()
    {
        using var store = new TestStore();
        using var factory = new ServerFactory(store.Directory);
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Directory.Delete(store.Directory, recursive: true);
        try
        {
            foreach (var path in new[] { "/healthz", "/v1/models", "/v1/models/small" })
            {
                var detail = await (await client.GetAsync(path)).ProblemAsync(HttpStatusCode.ServiceUnavailable, "The server's model store folder no longer exists", "restore it");
                Assert.DoesNotContain(store.Directory, detail, StringComparison.Ordinal);
            }

            // An upload says the same, not "queries keep working" (they do not).
            var upload = await (await client.PostAsync("/v1/models", Http.Upload("z.npy", UploadTests.MatrixBytes(store.Training, ".npy"), ("name", "new"), ("method", "additive"))))
                .ProblemAsync(HttpStatusCode.ServiceUnavailable, "The server's model store folder no longer exists", "restore it");
            Assert.DoesNotContain("Queries keep working", upload, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            Directory.CreateDirectory(store.Directory);
        }
    }

    // Examples in no group were "(no group)" in the service's design (JSON and CSV) and empty in the command line's template.
    [Fact]
    public async Task Design_ExamplesInNoGroup_HaveNoGroup_InJsonAndCsv_AsInTheCommandLinesTemplate()
    {
        _store.Save("partial", _store.Small, "mf");
        var ids = _store.Small.ExampleIds;
        File.WriteAllLines(Path.Combine(_store.Directory, "partial.examples.csv"), ["id,group", .. Enumerable.Range(0, 300).Select(j => $"{ids[j]},{_store.Groups[j]}")]);
        const string Body = "{\"count\": 60, \"groupBy\": \"group\"}";

        var json = await (await _client.PostAsync("/v1/models/partial/design", Http.Json(Body))).JsonAsync();
        var csv = (await (await _client.PostAsync("/v1/models/partial/design?format=csv", Http.Json(Body))).Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n')[1..];

        var items = json.GetProperty("examples").EnumerateArray().Select(e => (Id: e.GetProperty("example").GetString()!, Group: e.TryGetProperty("group", out var g) ? g.GetString() : null)).ToArray();
        var ungrouped = items.Where(e => e.Group is null).Select(e => e.Id).ToArray();
        Assert.NotEmpty(ungrouped);
        Assert.All(ungrouped, id => Assert.True(ids.IndexOf(id) >= 300, id));
        Assert.Equal(items.Select((e, i) => $"{e.Id},,{i + 1},{e.Group}"), csv);
    }

    // The problem's instance echoed the request path as it came, however long, with format characters (U+202E) as they were.
    [Fact]
    public async Task ProblemInstance_IsTheEscapedPath_CutAt256Characters()
    {
        var response = await _client.GetAsync("/v1/models/" + new string('a', 3000));
        Assert.False(response.IsSuccessStatusCode);
        var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var instance = problem.GetProperty("instance").GetString()!;
        Assert.StartsWith("/v1/models/aaa", instance, StringComparison.Ordinal);
        Assert.Equal(256, instance.Length);
        Assert.EndsWith("...", instance, StringComparison.Ordinal);

        // Never cut inside a %XX escape.
        for (var plain = 230; plain < 240; plain++)
        {
            var escaped = System.Text.Json.JsonDocument.Parse(await (await _client.GetAsync("/v1/models/" + new string('a', plain) + string.Concat(Enumerable.Repeat("%C3%A9", 20)))).Content.ReadAsStringAsync()).RootElement.GetProperty("instance").GetString()!;
            Assert.InRange(escaped.Length, 250, 256);
            Assert.Matches("^/v1/models/a+(%[0-9A-F]{2})*\\.\\.\\.$", escaped);
        }

        var flipped = System.Text.Json.JsonDocument.Parse(await (await _client.GetAsync("/v1/models/x%E2%80%AEy")).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("/v1/models/x%E2%80%AEy", flipped.GetProperty("instance").GetString());
    }

    // The store holds broken.fpm: asking for it used to be a 400 (the client's fault) naming the store's absolute path.
    [Fact]
    public async Task Item05_CorruptStoredModelIsAServerSideProblemNamedRelativeToTheStore()
    {
        var detail = await (await _client.GetAsync("/v1/models/broken")).ProblemAsync(HttpStatusCode.InternalServerError, "broken.fpm", "operator");
        var predict = await (await _client.PostAsync("/v1/models/broken/predict", Http.Json("{\"observed\": {}}"))).ProblemAsync(HttpStatusCode.InternalServerError, "broken.fpm");
        var listing = await (await _client.GetAsync("/v1/models")).Content.ReadAsStringAsync();

        foreach (var text in new[] { detail, predict, listing })
        {
            Assert.DoesNotContain(_store.Directory, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Path.GetTempPath(), text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("this is not multipart")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nm")]
    [InlineData("--b\r\n\r\n\r\n--b--")]
    public async Task Item05_MalformedMultipartBodyIsA400Problem(string body)
    {
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");

        var response = await _client.PostAsync("/v1/models", content);

        await response.ProblemAsync(HttpStatusCode.BadRequest);
    }

    // A body whose boundary never closes was a 400 quoting .NET: "(Unexpected end of Stream, the content may have already
    // been read by another component. )".
    [Theory]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nm")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"z.npy\"\r\n\r\n0123456789")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nm\r\n--")]
    public async Task Item05_MultipartBodyWithoutItsClosingBoundary_SaysSo(string body)
    {
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");

        var detail = await (await _client.PostAsync("/v1/models", content)).ProblemAsync(HttpStatusCode.BadRequest, "the multipart body ended before its closing boundary");

        Assert.DoesNotContain("another component", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Stream", detail, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_store.Directory, ".upload-*"));
    }

    // A stored model with a non-finite value (its checksum recomputed) was a 500 ending in "(Parameter 'parameters')."
    [Fact]
    public async Task Item05_StoredModelWithANonFiniteValue_Is500WithoutDotNetParameterNames()
    {
        var path = Path.Combine(_store.Directory, "nan.fpm");
        File.Copy(Path.Combine(_store.Directory, "plain.fpm"), path);
        var model = (Core.Models.FactorModel)Data.ModelFile.Load(path).Model;
        var bytes = File.ReadAllBytes(path);
        var at = bytes.AsSpan(20, bytes.Length - 52).IndexOf(BitConverter.GetBytes(model.ExampleBiases[5])) + 20;
        Assert.True(at >= 20);
        BitConverter.GetBytes(double.PositiveInfinity).CopyTo(bytes, at);
        System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(20, bytes.Length - 52)).CopyTo(bytes, bytes.Length - 32);
        File.WriteAllBytes(path, bytes);

        // Written moments ago, it would count as a file being copied in (a 503 to retry); damaged an hour ago, it is a 500.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await _client.GetAsync("/v1/models/nan")).StatusCode);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-1));
        foreach (var response in new[] { await _client.GetAsync("/v1/models/nan"), await _client.PostAsync("/v1/models/nan/predict", Http.Json("{}")) })
        {
            var detail = await response.ProblemAsync(HttpStatusCode.InternalServerError, "nan.fpm", "non-finite", "operator");
            Assert.DoesNotContain("(Parameter", detail, StringComparison.Ordinal);
        }
    }

    // A metadata file of the store with a duplicate id was a 400 telling the client to "keep one row per example", which no
    // request can do: it is the operator's file, a 500 as an unreadable model is.
    [Fact]
    public async Task Item05_BadMetadataFileInTheStore_Is500ForTheOperator()
    {
        File.Copy(Path.Combine(_store.Directory, "plain.fpm"), Path.Combine(_store.Directory, "cc.fpm"));
        var ids = _store.Training.ExampleIds;
        File.WriteAllText(Path.Combine(_store.Directory, "cc.examples.csv"), $"id,group\n{ids[0]},a\n{ids[1]},b\n{ids[0]},c\n");

        foreach (var response in new[] { await _client.GetAsync("/v1/models/cc"), await _client.PostAsync("/v1/models/cc/predict", Http.Json("{}")) })
        {
            var detail = await response.ProblemAsync(HttpStatusCode.InternalServerError, "cc.examples.csv", "operator", "fix or replace it");
            Assert.DoesNotContain(_store.Directory, detail, StringComparison.Ordinal);
        }

        // The listing still answers, with the reason beside the model.
        var listing = await (await _client.GetAsync("/v1/models")).Content.ReadAsStringAsync();
        Assert.Contains("cc.examples.csv", listing, StringComparison.Ordinal);
        Assert.Contains("\"small\"", listing, StringComparison.Ordinal);
    }

    // The store folder disappears under a running server: an upload used to be a bare 500, then a 500 saying "queries keep
    // working" while every query was a 503; now the same 503 as the queries.
    [Fact]
    public async Task Item05_UploadToAStoreThatCannotBeWrittenIsAProblemWithADetail()
    {
        Directory.Delete(_store.Directory, recursive: true);

        var response = await _client.PostAsync("/v1/models", Http.Upload("z.npy", [1, 2, 3], ("name", "m"), ("method", "mf")));

        var detail = await response.ProblemAsync(HttpStatusCode.ServiceUnavailable, "model store folder no longer exists", "operator must restore it");
        Assert.DoesNotContain(_store.Directory, detail, StringComparison.Ordinal);
    }
}

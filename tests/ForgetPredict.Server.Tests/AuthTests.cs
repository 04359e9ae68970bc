using System.Net;
using System.Net.Http.Headers;

namespace ForgetPredict.Server.Tests;

/// <summary>The optional API key: when set, every request except /healthz (and the page's static files) needs it.</summary>
public sealed class AuthTests : IDisposable
{
    private const string Key = "s3cret-key-for-tests";
    private readonly TestStore _store = new();
    private readonly ServerFactory _factory;
    private readonly HttpClient _client;

    public AuthTests()
    {
        var keyFile = Path.Combine(_store.Directory, "..", $"key-{Guid.NewGuid():N}.txt");
        File.WriteAllText(keyFile, Key + "\n");
        _factory = new ServerFactory(_store.Directory, keyFile);
        _client = _factory.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
        _store.Dispose();
    }

    [Theory]
    [InlineData("GET", "/v1/models")]
    [InlineData("GET", "/v1/models/small")]
    [InlineData("POST", "/v1/models/small/predict")]
    [InlineData("POST", "/v1/models/small/replay")]
    [InlineData("POST", "/v1/models")]
    [InlineData("GET", "/v1/jobs")]
    [InlineData("GET", "/v1/jobs/abc")]
    [InlineData("GET", "/openapi.json")]
    [InlineData("GET", "/v1/nothing-here")]
    public async Task KeyOn_EveryApiRequestWithoutTheKey_Is401(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? Http.Json("{\"budget\": 1}") : null };
        var response = await _client.SendAsync(request);
        await response.ProblemAsync(HttpStatusCode.Unauthorized, "This server needs an API key");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task KeyOn_WrongKey_Is401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
        await (await _client.SendAsync(request)).ProblemAsync(HttpStatusCode.Unauthorized, "The API key is wrong");
        using var header = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        header.Headers.Add("X-Api-Key", Key + "x");
        await (await _client.SendAsync(header)).ProblemAsync(HttpStatusCode.Unauthorized, "The API key is wrong");
    }

    [Fact]
    public async Task KeyOn_BearerOrHeader_IsAccepted()
    {
        using var bearer = new HttpRequestMessage(HttpMethod.Post, "/v1/models/small/predict") { Content = Http.Json("{\"top\": 2}") };
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        Assert.Equal(2, (await (await _client.SendAsync(bearer)).JsonAsync()).GetProperty("top").GetArrayLength());
        using var header = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        header.Headers.Add("X-Api-Key", Key);
        Assert.Equal(5, (await (await _client.SendAsync(header)).JsonAsync()).GetProperty("models").GetArrayLength());
    }

    [Fact]
    public async Task KeyOn_HealthNeedsNoKey()
    {
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/healthz")).StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/app.js")]
    [InlineData("/app.css")]
    public async Task KeyOn_ThePageAsksTheBrowserForTheKey_AndOpensWithIt(string path)
    {
        // Without credentials: 401 with a Basic challenge, so a browser prompts for the key.
        var refused = await _client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Basic", refused.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("as the password", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // With the key as the Basic password (any user name): the page, and the API calls the browser then makes.
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(WithBasic(HttpMethod.Get, path, "anyone", Key))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(WithBasic(HttpMethod.Get, "/v1/models", "", Key))).StatusCode);
    }

    [Theory]
    [InlineData("user:not-the-key")]
    [InlineData("no-colon")]
    [InlineData("%%%")]
    public async Task KeyOn_WrongOrMalformedBasicCredentials_Are401(string credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials == "%%%" ? credentials : Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("The API key is wrong", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static HttpRequestMessage WithBasic(HttpMethod method, string path, string user, string password)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
        return request;
    }

    [Fact]
    public async Task KeyOff_NoRequestNeedsAKey()
    {
        using var open = new ServerFactory(_store.Directory);
        using var client = open.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi.json")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/models/small/predict", Http.Json("{}"))).StatusCode);
    }
}

using System.Globalization;
using ForgetPredict.Testing;

namespace ForgetPredict.Server.Tests;

/// <summary>The web page in headless Chromium (tests/browser/check-page.mjs) against a live server over the test store.</summary>
public class PageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Page_PredictsFromPastedCells_ShowsTheReportChartAndTables_AndDownloadsTheReplaySet()
    {
        // Given: a live server, and 30 measured cells of the held-out task pasted as CSV.
        await using var server = await LiveServer.StartAsync(fixture.Store.Directory);
        var (examples, values, json) = fixture.Store.Observed(30);
        var csv = "example,value\n" + string.Join("\n", examples.Select((j, i) => string.Create(CultureInfo.InvariantCulture, $"{fixture.Store.Matrix.ExampleIds[j]},{values[i]:R}")));

        // When: the page is loaded with ?model=small, the cells are pasted, Predict and then Download replay set are clicked.
        var page = BrowserCheck.Run($"{server.Url}/?model=small", "server-page.png",
            count: ["#group-table tbody tr", "#top-examples tbody tr", "#groups svg rect.bar", "#replay-download[href^='blob:']"],
            text: ["#findings", "#top-examples tbody tr:first-child td:nth-child(2)", "#replay-status", "#error", "#model-info"],
            fill: [("#cells", csv), ("#top", "12"), ("#budget", "40")],
            click: ["#run", "#replay"],
            waitFor: ["#top-examples tbody tr", "#replay-download[href^='blob:']"]);

        // Then: no script errors, the group chart and tables of the report, the same top example as the API, and a replay set.
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.FailedRequests);
        using var client = new HttpClient();
        var api = await client.PostAsync($"{server.Url}/v1/models/small/predict", Http.Json($"{{\"observed\": {json}, \"top\": 12}}"));
        var answer = await api.JsonAsync();
        var groups = answer.GetProperty("groups").GetArrayLength();
        Assert.Equal(groups, page.Counts["#group-table tbody tr"]);
        Assert.Equal(groups, page.Counts["#groups svg rect.bar"]);
        Assert.Equal(12, page.Counts["#top-examples tbody tr"]);
        Assert.Equal(answer.GetProperty("top")[0].GetProperty("id").GetString(), page.Texts["#top-examples tbody tr:first-child td:nth-child(2)"].Trim());
        Assert.Contains("prediction from 30 measured cells", page.Texts["#findings"], StringComparison.Ordinal);
        Assert.Contains($"Most damaged group: {answer.GetProperty("groups")[0].GetProperty("name").GetString()}", page.Texts["#findings"], StringComparison.Ordinal);
        Assert.Contains("mf rank 3", page.Texts["#model-info"], StringComparison.Ordinal);
        Assert.Equal(1, page.Counts["#replay-download[href^='blob:']"]);
        Assert.Contains("40 examples to replay", page.Texts["#replay-status"], StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(BrowserCheck.ScreenshotFolder, "server-page.png")).Length > 20_000);
    }

    [Fact]
    public async Task Page_ShowsTheProblemDetail_ForUnknownExampleIds()
    {
        await using var server = await LiveServer.StartAsync(fixture.Store.Directory);
        var page = BrowserCheck.Run($"{server.Url}/?model=small", "server-page-error.png",
            text: ["#error"],
            fill: [("#cells", "example,value\nno-such-example,0.3")],
            click: ["#run"],
            waitFor: ["#error:not([hidden])"]);
        Assert.Empty(page.PageErrors);
        Assert.Contains("example 'no-such-example' is not one of the model's 600 example ids", page.Texts["#error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_BehindAnApiKey_OpensAfterTheBrowsersSignIn_AndItsQueriesCarryTheKey()
    {
        // Given: a server with an API key; the browser signs in with the key as the password (any user name).
        await using var server = await LiveServer.StartAsync(fixture.Store.Directory, apiKey: "page-test-key");
        var (examples, values, _) = fixture.Store.Observed(10);
        var csv = "example,value\n" + string.Join("\n", examples.Select((j, i) => string.Create(CultureInfo.InvariantCulture, $"{fixture.Store.Matrix.ExampleIds[j]},{values[i]:R}")));

        // When: the page is loaded and a prediction is asked for.
        var page = BrowserCheck.Run($"{server.Url}/?model=small", "server-page-key.png",
            count: ["#top-examples tbody tr"],
            text: ["#findings"],
            fill: [("#cells", csv), ("#top", "5")],
            click: ["#run"],
            waitFor: ["#top-examples tbody tr"],
            basicCredentials: "analyst:page-test-key");

        // Then: the page's own API calls were authorised by the remembered credentials.
        Assert.Empty(page.PageErrors);
        Assert.Empty(page.FailedRequests);
        Assert.Equal(5, page.Counts["#top-examples tbody tr"]);
        Assert.Contains("prediction from 10 measured cells", page.Texts["#findings"], StringComparison.Ordinal);
    }
}

using System.Text.Json;

namespace ForgetPredict.Testing;

/// <summary>What headless Chromium saw on a page (see tests/browser/check-page.mjs).</summary>
/// <param name="ConsoleErrors">Console messages of level error.</param>
/// <param name="PageErrors">Uncaught page exceptions.</param>
/// <param name="FailedRequests">Requests that failed (a self-contained page makes none).</param>
/// <param name="Counts">Number of elements matching each requested selector.</param>
/// <param name="Texts">Inner text of the elements matching each requested selector.</param>
public sealed record BrowserResult(IReadOnlyList<string> ConsoleErrors, IReadOnlyList<string> PageErrors, IReadOnlyList<string> FailedRequests,
    IReadOnlyDictionary<string, int> Counts, IReadOnlyDictionary<string, string> Texts);

/// <summary>A step of a page check, run in order after the fill, click and wait groups of <see cref="BrowserCheck.Run"/>.</summary>
/// <param name="Flag">The check-page.mjs flag (<c>--fill</c>, <c>--click</c>, <c>--wait</c>, <c>--file</c>, <c>--select</c>).</param>
/// <param name="Value">Its value: a selector, or <c>SELECTOR=VALUE</c>.</param>
public sealed record BrowserAction(string Flag, string Value)
{
    /// <summary>Types <paramref name="value"/> into the input <paramref name="selector"/>.</summary>
    public static BrowserAction Fill(string selector, string value) => new("--fill", $"{selector}={value}");

    /// <summary>Clicks <paramref name="selector"/>.</summary>
    public static BrowserAction Click(string selector) => new("--click", selector);

    /// <summary>Waits (up to 15 s) until <paramref name="selector"/> is visible.</summary>
    public static BrowserAction WaitFor(string selector) => new("--wait", selector);

    /// <summary>Sets the files of the file input <paramref name="selector"/>, as a user picking them.</summary>
    public static BrowserAction Upload(string selector, params string[] paths) => new("--file", $"{selector}={string.Join('\n', paths)}");

    /// <summary>Picks the option <paramref name="value"/> of the select <paramref name="selector"/>.</summary>
    public static BrowserAction Select(string selector, string value) => new("--select", $"{selector}={value}");
}

/// <summary>Loads a page in Debian's headless Chromium through playwright-core (installed by <c>make deps</c>) and saves a screenshot as a test artifact.</summary>
public static class BrowserCheck
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>The folder screenshots are saved to: <c>.artifacts/screenshots</c> under the repository.</summary>
    public static string ScreenshotFolder
    {
        get
        {
            var folder = Path.Combine(RepoPaths.Root, ".artifacts", "screenshots");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    /// <summary>Opens <paramref name="url"/>, performs the actions, and reports what the page shows.</summary>
    /// <param name="url">A file:// or http:// address.</param>
    /// <param name="screenshotName">File name of the full-page screenshot under <see cref="ScreenshotFolder"/>.</param>
    /// <param name="count">Selectors whose matches are counted.</param>
    /// <param name="text">Selectors whose inner text is returned.</param>
    /// <param name="fill">(selector, value) pairs typed into inputs, in order.</param>
    /// <param name="click">Selectors clicked after filling, in order.</param>
    /// <param name="waitFor">Selectors waited for after clicking.</param>
    /// <param name="basicCredentials">"user:password" the browser answers an HTTP Basic challenge with, or null.</param>
    /// <param name="actions">Further steps, run in order after the waits (e.g. upload, wait, then fill a form the upload made).</param>
    public static BrowserResult Run(string url, string screenshotName, IEnumerable<string>? count = null, IEnumerable<string>? text = null,
        IEnumerable<(string Selector, string Value)>? fill = null, IEnumerable<string>? click = null, IEnumerable<string>? waitFor = null,
        string? basicCredentials = null, IEnumerable<BrowserAction>? actions = null)
    {
        var folder = Path.Combine(RepoPaths.Root, "tests", "browser");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "playwright-core")))
        {
            throw new InvalidOperationException("playwright-core is not installed in tests/browser; run 'make deps' (make test does this).");
        }

        var args = new List<string> { Path.Combine(folder, "check-page.mjs"), url, Path.Combine(ScreenshotFolder, screenshotName) };
        foreach (var s in count ?? [])
        {
            args.AddRange(["--count", s]);
        }

        foreach (var s in text ?? [])
        {
            args.AddRange(["--text", s]);
        }

        foreach (var (selector, value) in fill ?? [])
        {
            args.AddRange(["--fill", $"{selector}={value}"]);
        }

        foreach (var s in click ?? [])
        {
            args.AddRange(["--click", s]);
        }

        foreach (var s in waitFor ?? [])
        {
            args.AddRange(["--wait", s]);
        }

        foreach (var action in actions ?? [])
        {
            args.AddRange([action.Flag, action.Value]);
        }

        if (basicCredentials is not null)
        {
            args.AddRange(["--basic", basicCredentials]);
        }

        var json = ExternalTool.Run("node", args, folder, timeout: TimeSpan.FromMinutes(2));
        return JsonSerializer.Deserialize<BrowserResult>(json, s_json) ?? throw new InvalidOperationException("check-page.mjs printed nothing.");
    }
}

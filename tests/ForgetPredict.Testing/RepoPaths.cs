namespace ForgetPredict.Testing;

/// <summary>Locates the repository's folders from a running test, so tests can read <c>data/</c> without copying it.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The repository root (the folder holding ForgetPredict.sln).</summary>
    public static string Root => s_root.Value;

    /// <summary>A path under <c>data/</c>, e.g. <c>Data("charlm-b", "z.npy")</c>.</summary>
    public static string Data(params string[] parts) => Path.Combine([Root, "data", .. parts]);

    /// <summary>A fresh, empty folder under the system temp folder, for one test's outputs.</summary>
    public static string NewTempFolder(string prefix = "fp-test")
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ForgetPredict.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ForgetPredict.sln was not found above {AppContext.BaseDirectory}; run the tests from inside the repository.");
    }
}

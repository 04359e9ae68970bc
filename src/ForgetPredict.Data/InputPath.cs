namespace ForgetPredict.Data;

/// <summary>
/// The one rule for a folder given where a file is read, or a file where a folder is: it is said as such, in every reader
/// and front end, before a reader picks a format by its extension (a folder has none) or opening it reports "access denied".
/// </summary>
public static class InputPath
{
    /// <summary>Throws when <paramref name="path"/> is a folder: "is a folder, not a file; name a file in it."</summary>
    /// <param name="path">The path a file is to be read from.</param>
    /// <exception cref="ForgettingDataException">The path is a folder.</exception>
    public static void RefuseFolder(string path)
    {
        if (FolderForFile(path) is { } message)
        {
            throw new ForgettingDataException(path, message);
        }
    }

    /// <summary>"is a folder, not a file; name a file in it." when <paramref name="path"/> is a folder, else null.</summary>
    /// <param name="path">The path a file is to be read from.</param>
    public static string? FolderForFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Length > 0 && Directory.Exists(path) ? "is a folder, not a file; name a file in it." : null;
    }

    /// <summary>
    /// When <paramref name="path"/> is a file where a folder is wanted, "PATH is a file, not a folder; give the folder that
    /// holds HOLDS (its own, PARENT?)", else null.
    /// </summary>
    /// <param name="path">The path a folder is to be used at.</param>
    /// <param name="holds">What the folder holds ("NAME.fpm models").</param>
    public static string? FileForFolder(string path, string holds)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(holds);
        if (!File.Exists(path))
        {
            return null;
        }

        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        return $"{path} is a file, not a folder; give the folder that holds {holds}{(string.IsNullOrEmpty(parent) ? "." : $" (the file's own is {parent}).")}";
    }
}

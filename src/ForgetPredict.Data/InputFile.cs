namespace ForgetPredict.Data;

/// <summary>Opens the files the readers read, with one message for what commonly goes wrong (a folder, a missing file).</summary>
internal static class InputFile
{
    /// <summary>Opens <paramref name="path"/> for reading.</summary>
    /// <exception cref="ForgettingDataException">The path is a folder, or the file cannot be opened; the message names the path.</exception>
    public static FileStream OpenRead(string path, int bufferSize = 1 << 16, FileOptions options = FileOptions.SequentialScan)
    {
        // Opening a folder fails with "Access to the path is denied", which sends a user to check permissions.
        if (Directory.Exists(path))
        {
            throw new ForgettingDataException(path, "is a folder, not a file; name a file in it.");
        }

        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgettingDataException(path, $"cannot open the file: {e.Message}", innerException: e);
        }
    }
}

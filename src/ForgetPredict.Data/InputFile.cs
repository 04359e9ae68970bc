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

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgettingDataException(path, $"cannot open the file: {e.Message}", innerException: e);
        }

        try
        {
            RefuseGzip(stream, path);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The one rule for gzip-compressed input (pandas <c>to_csv('z.csv.gz')</c>, <c>gzip z.csv</c>): a file whose first bytes
    /// are gzip's 1F 8B is refused saying so, before a reader takes its bytes for text (a wrong encoding) or for a damaged
    /// header. Every format read here starts otherwise (.npy with 93 'NUMPY', .npz with 'PK', Parquet with 'PAR1', text with
    /// a character). A stream that cannot seek is left unread; a seekable one is left where it was.
    /// </summary>
    /// <exception cref="ForgettingDataException">The stream holds gzip-compressed data.</exception>
    public static void RefuseGzip(Stream stream, string sourceName)
    {
        if (!stream.CanSeek || stream.Length - stream.Position < 2)
        {
            return;
        }

        var start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        stream.ReadExactly(magic);
        stream.Position = start;
        if (magic[0] == 0x1F && magic[1] == 0x8B)
        {
            throw new ForgettingDataException(sourceName, GzipFix(sourceName, "it starts with gzip's bytes 1F 8B"));
        }
    }

    /// <summary>The message for a gzip-compressed file: what shows it, and the fix. Ends with a period.</summary>
    private static string GzipFix(string sourceName, string evidence)
    {
        var name = Path.GetFileName(sourceName);
        var inner = name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : null;
        var gunzip = inner is { Length: > 0 } ? $"gunzip {name} gives {inner}" : $"gzip -dc {name} > {Path.GetFileNameWithoutExtension(name)}-plain{Path.GetExtension(name)}";
        return $"is gzip-compressed ({evidence}), which is not read here: gunzip it first ({gunzip}), or write it uncompressed (pandas: to_csv('z.csv') rather than to_csv('z.csv.gz')).";
    }

    /// <summary>Refuses a path whose extension is .gz (a gzip-compressed file by its name), with <see cref="GzipFix"/>.</summary>
    /// <exception cref="ForgettingDataException">The name ends in .gz.</exception>
    public static void RefuseGzipName(string path)
    {
        if (Path.GetExtension(path).Equals(".gz", StringComparison.OrdinalIgnoreCase))
        {
            throw new ForgettingDataException(path, GzipFix(path, "its name ends in '.gz'"));
        }
    }
}

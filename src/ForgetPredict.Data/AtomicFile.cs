namespace ForgetPredict.Data;

/// <summary>Writes files so that a failure never leaves a half-written output: write a temporary file beside the target, flush it to disk, then rename it over the target.</summary>
/// <remarks>The temporary file is named and cleaned up by <see cref="TemporaryFiles"/>: Ctrl+C and SIGTERM delete it, and each
/// write first removes its folder's temporary files whose writing process is gone (a kill -9's debris).</remarks>
public static class AtomicFile
{
    /// <summary>Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes; on any exception the target is untouched and the temporary file is removed.</summary>
    /// <exception cref="ForgettingDataException">The folder does not exist or cannot be written.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var writer = Open(path);
        try
        {
            // Writers such as StreamWriter close what they are given; the guard keeps the file open for the commit.
            using (var guard = new KeepOpenStream(writer.Stream))
            {
                write(guard);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgettingDataException(path, $"cannot write the file: {e.Message}", innerException: e);
        }

        writer.Commit();
    }

    /// <summary>
    /// Opens an atomic writer for callers that write over time (e.g. while a long computation streams rows): write to
    /// <see cref="AtomicFileWriter.Stream"/>, then <see cref="AtomicFileWriter.Commit"/>; disposing without committing
    /// deletes the temporary file and leaves the target untouched.
    /// </summary>
    /// <exception cref="ForgettingDataException">The folder does not exist or cannot be written.</exception>
    public static AtomicFileWriter Open(string path)
    {
        var full = CheckFolder(path);
        var folder = Path.GetDirectoryName(full) ?? ".";
        TemporaryFiles.RemoveStale(folder);
        var temporary = TemporaryFiles.NewPath(folder, $".{Path.GetFileName(full)}.", ".tmp");
        try
        {
            return new AtomicFileWriter(path, full, temporary, new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TemporaryFiles.Release(temporary);
            throw new ForgettingDataException(path, $"cannot write the file: {e.Message}", innerException: e);
        }
    }

    /// <summary>
    /// Throws unless the folder <paramref name="path"/> would be written in exists: the check <see cref="Write"/> and
    /// <see cref="Open"/> make first, for callers that check every output before writing any.
    /// </summary>
    /// <returns>The full path.</returns>
    /// <exception cref="ForgettingDataException">The folder does not exist.</exception>
    public static string CheckFolder(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? ".";
        return Directory.Exists(folder) ? full
            : throw new ForgettingDataException(path, $"cannot write the file: folder '{folder}' does not exist. Create it first.");
    }

    /// <summary>Forwards writes to a stream but does not close it when disposed.</summary>
    private sealed class KeepOpenStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => inner.SetLength(value);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Flush();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>A file being written atomically (see <see cref="AtomicFile.Open"/>).</summary>
public sealed class AtomicFileWriter : IDisposable
{
    private readonly string _path;
    private readonly string _full;
    private readonly string _temporary;
    private readonly FileStream _stream;
    private bool _done;

    internal AtomicFileWriter(string path, string full, string temporary, FileStream stream)
    {
        _path = path;
        _full = full;
        _temporary = temporary;
        _stream = stream;
    }

    /// <summary>Where to write the content.</summary>
    public Stream Stream => _stream;

    /// <summary>Flushes the content to disk and renames it over the target.</summary>
    /// <exception cref="ForgettingDataException">The file cannot be written or renamed.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (TemporaryFiles.Interrupted)
        {
            Dispose();
            throw new ForgettingDataException(_path, "the write was interrupted (Ctrl+C or SIGTERM); the file was left as it was.");
        }

        try
        {
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            File.Move(_temporary, _full, overwrite: true);
            TemporaryFiles.Release(_temporary);
            _done = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Dispose();
            throw new ForgettingDataException(_path, $"cannot write the file: {e.Message}", innerException: e);
        }
    }

    /// <summary>Discards the content unless it was committed.</summary>
    public void Dispose()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        _stream.Dispose();
        TemporaryFiles.Delete(_temporary);
    }
}

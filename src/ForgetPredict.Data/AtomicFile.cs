using System.Runtime.InteropServices;

namespace ForgetPredict.Data;

/// <summary>Writes files so that a failure never leaves a half-written output: write a temporary file beside the target, flush it to disk, then rename it over the target.</summary>
/// <remarks>
/// <para>The temporary file is named and cleaned up by <see cref="TemporaryFiles"/>: each write first removes its folder's
/// temporary files whose writing process is gone (a kill -9's debris), and in an application that opted in with
/// <see cref="TemporaryFiles.DeleteOnTerminationSignals"/>, Ctrl+C, SIGTERM, SIGHUP and SIGQUIT delete it.</para>
/// <para>What is replaced: a symbolic link stays a link (its final target is written atomically); an existing file keeps its
/// permission mode; a target that exists and is not a regular file (a character device such as /dev/null or a terminal, a
/// FIFO, a socket) is written directly, since renaming over it would replace the device by a file; a path that is this
/// process's standard output (<c>/dev/stdout</c>, <c>/dev/fd/1</c>, or any path to the file descriptor 1 points to, see
/// <see cref="IsStandardOutput"/>) is written through the inherited descriptor, where it is (a shell's <c>&gt;</c> file is
/// written from where the process's output stands, not reopened at its start).</para>
/// </remarks>
public static class AtomicFile
{
    private static readonly AsyncLocal<AtomicFileBatch?> s_batch = new();

    /// <summary>Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes; on any exception the target is untouched and the temporary file is removed.</summary>
    /// <remarks>Inside <see cref="Together"/>, the file is written and flushed but only renamed into place by <see cref="AtomicFileBatch.Commit"/>.</remarks>
    /// <exception cref="ForgettingDataException">The path is a folder, its folder does not exist or cannot be written, or the disk is full.</exception>
    public static void Write(string path, Action<Stream> write) => WriteWith(path, write, CreateTemporary);

    /// <summary>
    /// Opens an atomic writer for callers that write over time (e.g. while a long computation streams rows): write to
    /// <see cref="AtomicFileWriter.Stream"/>, then <see cref="AtomicFileWriter.Commit"/>; disposing without committing
    /// deletes the temporary file and leaves the target untouched.
    /// </summary>
    /// <exception cref="ForgettingDataException">The path is a folder, or its folder does not exist or cannot be written.</exception>
    public static AtomicFileWriter Open(string path) => OpenWith(path, CreateTemporary);

    /// <summary>
    /// Starts writing several files as one: until the batch is committed or disposed, every <see cref="Write"/> and
    /// <see cref="AtomicFileWriter.Commit"/> on this thread (and the tasks it awaits) leaves its content flushed in its temporary
    /// file; <see cref="AtomicFileBatch.Commit"/> then renames them all into place, and disposing the batch without committing
    /// deletes them, so a command that fails on its third output leaves the first two as they were.
    /// </summary>
    /// <returns>The batch; dispose it (a <c>using</c>) whether or not it was committed.</returns>
    public static AtomicFileBatch Together()
    {
        var batch = new AtomicFileBatch(s_batch.Value, b => s_batch.Value = b);
        s_batch.Value = batch;
        return batch;
    }

    /// <summary>
    /// Throws unless the folder <paramref name="path"/> would be written in exists and <paramref name="path"/> is not itself a
    /// folder: the check <see cref="Write"/> and <see cref="Open"/> make first.
    /// </summary>
    /// <returns>The full path.</returns>
    /// <exception cref="ForgettingDataException">The folder does not exist (or is a file), or the path is a folder.</exception>
    public static string CheckFolder(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? ".";
        if (Directory.Exists(full))
        {
            throw new ForgettingDataException(path, $"is a folder; name a file in it (e.g. {Path.Combine(path, "out" + Path.GetExtension(path))}).");
        }

        if (Directory.Exists(folder))
        {
            return full;
        }

        // observed.csv/x.csv: the part of the path that exists is a file, which no folder can be created as.
        for (var part = folder; !string.IsNullOrEmpty(part); part = Path.GetDirectoryName(part))
        {
            if (File.Exists(part))
            {
                throw new ForgettingDataException(path, $"cannot write the file: '{part}' is a file, not a folder; name a file in a folder (e.g. {Path.Combine(Path.GetDirectoryName(part) ?? ".", Path.GetFileName(full))}).");
            }

            if (Directory.Exists(part))
            {
                break;
            }
        }

        throw new ForgettingDataException(path, $"cannot write the file: folder '{folder}' does not exist. Create it first.");
    }

    /// <summary>
    /// True when <paramref name="path"/> names this process's standard output: the file it resolves to (links followed,
    /// <c>/dev/stdout</c> and <c>/dev/fd/1</c> included) is the one file descriptor 1 points to (a pipe, a terminal, a file a
    /// shell redirected output to). <c>/dev/null</c> never is (writing it discards the bytes either way). A writer sends such an
    /// output through the inherited descriptor; a command line that writes one should print its own report on standard error,
    /// so that standard output carries exactly the file.
    /// </summary>
    /// <param name="path">A path, existing or not.</param>
    public static bool IsStandardOutput(string path)
    {
        if (string.IsNullOrEmpty(path) || FileKinds.Of(null) is not { } output)
        {
            return false;
        }

        return FileKinds.Of(path) is { } file && file.Same(output) && !(FileKinds.Of("/dev/null") is { } nul && file.Same(nul));
    }

    /// <summary>
    /// <paramref name="path"/> as the file system finds it: full, with every link resolved, its folders' as well as its own
    /// (<c>sub/z.npy</c> with <c>sub</c> a link to <c>.</c> is <c>./z.npy</c>), so two paths that name one file give the same
    /// string (hard links aside). Parts that do not exist are kept as they are; a path the system cannot read is returned full.
    /// </summary>
    /// <param name="path">A file or folder path, existing or not.</param>
    /// <exception cref="ArgumentException">The path is empty or holds characters no path can.</exception>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var separators = new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar };
        static IEnumerable<string> Parts(string p, char[] at) => p[(Path.GetPathRoot(p) ?? string.Empty).Length..].Split(at, StringSplitOptions.RemoveEmptyEntries);
        var remaining = new Stack<string>(Parts(full, separators).Reverse());
        var current = Path.GetPathRoot(full) ?? string.Empty;
        for (var hops = 0; remaining.Count > 0;)
        {
            var next = Path.Combine(current, remaining.Pop());
            string? link;
            try
            {
                link = new FileInfo(next).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return full;
            }

            if (link is null || ++hops > 40)
            {
                current = next;
                continue;
            }

            // The link's target, relative to the link's folder, takes its place; its own parts may be links too.
            var target = Path.GetFullPath(link, current);
            foreach (var part in Parts(target, separators).Reverse())
            {
                remaining.Push(part);
            }

            current = Path.GetPathRoot(target) ?? string.Empty;
        }

        return current;
    }

    /// <summary>
    /// Throws unless <paramref name="path"/> can be written: <see cref="CheckFolder"/>, then a probe that creates and deletes a
    /// temporary file in the folder the file would be written in (a link's target's folder); for callers that check every
    /// output before a long computation. Devices and FIFOs are not probed (opening a FIFO waits for its reader).
    /// </summary>
    /// <returns>The full path.</returns>
    /// <exception cref="ForgettingDataException">The path is a folder, or its folder does not exist or cannot be written, or
    /// the name ends in .gz (outputs are written uncompressed); the message names <paramref name="path"/> and the folder.</exception>
    public static string CheckWritable(string path)
    {
        InputFile.RefuseGzipOutput(path);
        if (IsStandardOutput(path))
        {
            return Path.GetFullPath(path);
        }

        var target = Resolve(path);
        if (target.Direct)
        {
            return target.Full;
        }

        var folder = Path.GetDirectoryName(target.Full) ?? ".";
        var probe = TemporaryFiles.NewPath(folder, $".{Path.GetFileName(target.Full)}.", ".tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FolderRefused(path, folder, e, probe);
        }
        finally
        {
            TemporaryFiles.Delete(probe);
        }

        return target.Full;
    }

    /// <summary><see cref="Write(string, Action{Stream})"/> with the temporary file's stream made by <paramref name="create"/> (tests simulate a full disk).</summary>
    internal static void WriteWith(string path, Action<Stream> write, Func<string, Stream> create)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var writer = OpenWith(path, create);
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
            throw writer.Failure(e);
        }

        writer.Commit();
    }

    /// <summary><see cref="Open(string)"/> with the temporary file's stream made by <paramref name="create"/>.</summary>
    internal static AtomicFileWriter OpenWith(string path, Func<string, Stream> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (IsStandardOutput(path))
        {
            // The inherited descriptor (a duplicate of it: disposing closes the duplicate): reopening /dev/stdout would start
            // a redirected file at offset 0, over what the process already wrote through descriptor 1.
            return new AtomicFileWriter(path, Path.GetFullPath(path), null, new BufferedStream(Console.OpenStandardOutput(), 1 << 16), batch: null);
        }

        var target = Resolve(path);
        if (target.Direct)
        {
            try
            {
                // Append: a regular file behind /dev/stdout (a shell's redirection) is added to, not overwritten from its start.
                return new AtomicFileWriter(path, target.Full, null, new FileStream(target.Full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1 << 16), batch: null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ForgettingDataException(path, $"cannot write the file: {Reason(e, null)}", innerException: e);
            }
        }

        var folder = Path.GetDirectoryName(target.Full) ?? ".";
        TemporaryFiles.RemoveStale(folder);
        var temporary = TemporaryFiles.NewPath(folder, $".{Path.GetFileName(target.Full)}.", ".tmp");
        Stream? stream = null;
        try
        {
            stream = create(temporary);
            if (target.Mode is { } mode && !OperatingSystem.IsWindows())
            {
                // Renaming replaces the file, mode and all: a 600 file must not come back 644.
                File.SetUnixFileMode(temporary, mode);
            }

            return new AtomicFileWriter(path, target.Full, temporary, stream, s_batch.Value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AtomicFileWriter.Close(stream);
            TemporaryFiles.Delete(temporary);
            throw FolderRefused(path, folder, e, temporary);
        }
    }

    /// <summary>The OS's reason without the temporary file's name (the user never named it), and the fix when there is a usual one.</summary>
    internal static string Reason(Exception e, string? temporary)
    {
        var text = e.Message;
        if (temporary is not null)
        {
            // .NET appends " : '<path>'" to errno messages; an access error says "Access to the path '<path>' is denied."
            text = text.Replace($" : '{temporary}'", string.Empty, StringComparison.Ordinal)
                .Replace($" '{temporary}'", string.Empty, StringComparison.Ordinal)
                .Replace(temporary, "the temporary file", StringComparison.Ordinal);
        }

        text = text.TrimEnd('.', ' ');
        var fix = e.HResult switch
        {
            28 or 122 => "free some space on that disk, or write the file elsewhere", // ENOSPC, EDQUOT
            30 => "the file system is read-only; write the file elsewhere", // EROFS
            _ => null,
        };
        return fix is null ? text + "." : $"{text}; {fix}.";
    }

    private static ForgettingDataException FolderRefused(string path, string folder, Exception e, string temporary) =>
        new(path, $"cannot write in the folder '{folder}' ({Reason(e, temporary).TrimEnd('.')}); choose a folder you can write in, or change its permissions.", innerException: e);

    private static FileStream CreateTemporary(string temporary) =>
        new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);

    // Where the bytes go: the file to rename over (a link's final target) with the mode to keep, or, for a device, FIFO or
    // socket, the path itself to write directly.
    private static Target Resolve(string path)
    {
        var full = CheckFolder(path);
        if (FileKinds.IsSpecial(full) || full.StartsWith("/proc/", StringComparison.Ordinal))
        {
            return new Target(full, Direct: true, null);
        }

        var real = full;
        try
        {
            // Walk the links one by one: a link into /proc (/dev/stdout -> /proc/self/fd/1 -> a shell's redirection) names an
            // open file, which must be written where it is, not replaced.
            for (var hops = 0; hops < 40 && new FileInfo(real).LinkTarget is { } next; hops++)
            {
                real = Path.GetFullPath(next, Path.GetDirectoryName(real) ?? "/");
                if (real.StartsWith("/proc/", StringComparison.Ordinal))
                {
                    return new Target(full, Direct: true, null);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ForgettingDataException(path, $"cannot follow the link: {Reason(e, null)}", innerException: e);
        }

        if (real != full)
        {
            var folder = Path.GetDirectoryName(real) ?? ".";
            if (Directory.Exists(real) || !Directory.Exists(folder))
            {
                throw new ForgettingDataException(path, $"is a link to '{real}', which is a folder or in a folder that does not exist; name another file or fix the link.");
            }
        }

        RefuseReadOnly(path, real);
        UnixFileMode? mode = null;
        if (!OperatingSystem.IsWindows() && File.Exists(real))
        {
            try
            {
                mode = File.GetUnixFileMode(real);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The mode is kept when it can be read; the write itself says what is wrong otherwise.
            }
        }

        return new Target(real, Direct: false, mode);
    }

    // The rename needs only the folder's permission, so it would replace a file this process may not write (another user's
    // mode 444 file in a shared folder), which numpy, pandas and a shell's '>' refuse: open the file for writing, without
    // truncating it, and refuse when the system says no. Other failures (a lock, a busy executable) are left to the write.
    private static void RefuseReadOnly(string path, string real)
    {
        if (!File.Exists(real))
        {
            return;
        }

        try
        {
            using (File.OpenHandle(real, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
            }
        }
        catch (UnauthorizedAccessException e)
        {
            var permissions = Permissions(real) is { } octal ? $" (permissions {octal})" : string.Empty;
            throw new ForgettingDataException(path, $"cannot write the file: it exists and this user may not write it{permissions}; make it writable (chmod u+w, as its owner) or write to another file.", innerException: e);
        }
        catch (IOException)
        {
        }
    }

    // The file's permission bits in octal (444), or null where there are none to read.
    private static string? Permissions(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            var mode = (int)File.GetUnixFileMode(path);
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(mode >> 6) & 7}{(mode >> 3) & 7}{mode & 7}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Full: the file to write (renamed over unless Direct); Mode: the existing file's, to keep.
    private readonly record struct Target(string Full, bool Direct, UnixFileMode? Mode);

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

    // The file type behind a path (following links): .NET 10 has no API for it, so statx(2) on Linux, stat(2) on macOS.
    private static class FileKinds
    {
        private const int AtFdCwd = -100;
        private const int TypeMask = 0xF000;
        private const int Regular = 0x8000;
        private const int Directory = 0x4000;

        private const int AtEmptyPath = 0x1000;
        private const uint StatxBasic = 0x7ff;

        /// <summary>True when <paramref name="path"/> exists and is neither a regular file nor a folder (a device, FIFO or socket).</summary>
        public static bool IsSpecial(string path) => Of(path) is { } file && (file.Mode & TypeMask) is not (Regular or Directory);

        /// <summary>What the file system says of <paramref name="path"/> (links followed), or of standard output's file when it is
        /// null; null when it cannot tell (no such file, another system).</summary>
        public static Status? Of(string? path)
        {
            var buffer = new byte[512];
            try
            {
                if (OperatingSystem.IsLinux())
                {
                    // struct statx: stx_mode at 28, stx_ino at 32, stx_dev_major and stx_dev_minor at 136 and 140.
                    var result = path is null ? Statx(1, string.Empty, AtEmptyPath, StatxBasic, buffer) : Statx(AtFdCwd, path, 0, StatxBasic, buffer);
                    return result != 0 ? null
                        : new Status(BitConverter.ToUInt16(buffer, 28), ((ulong)BitConverter.ToUInt32(buffer, 136) << 32) | BitConverter.ToUInt32(buffer, 140), BitConverter.ToUInt64(buffer, 32));
                }

                if (OperatingSystem.IsMacOS())
                {
                    // struct stat (64-bit inodes): st_dev at 0, st_mode at 4, st_ino at 8.
                    return Stat(path ?? "/dev/fd/1", buffer) != 0 ? null
                        : new Status(BitConverter.ToUInt16(buffer, 4), BitConverter.ToUInt32(buffer, 0), BitConverter.ToUInt64(buffer, 8));
                }

                return null;
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                return null;
            }
        }

        /// <summary>A file's type and permission bits, and the device and inode that tell one file from another.</summary>
        public readonly record struct Status(int Mode, ulong Device, ulong Inode)
        {
            /// <summary>True when both name one file.</summary>
            public bool Same(Status other) => Device == other.Device && Inode == other.Inode;
        }

        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

        [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] buffer);
    }
}

/// <summary>A file being written atomically (see <see cref="AtomicFile.Open"/>).</summary>
public sealed class AtomicFileWriter : IDisposable
{
    private readonly string _path;
    private readonly string _target;
    private readonly string? _temporary;
    private readonly Stream _stream;
    private readonly GuardedStream _guarded;
    private readonly AtomicFileBatch? _batch;
    private bool _done;

    internal AtomicFileWriter(string path, string target, string? temporary, Stream stream, AtomicFileBatch? batch)
    {
        _path = path;
        _target = target;
        _temporary = temporary;
        _stream = stream;
        _guarded = new GuardedStream(this, stream);
        _batch = batch;
    }

    /// <summary>Where to write the content; a failed write (a full disk) throws <see cref="ForgettingDataException"/> naming the
    /// file, and disposing it only flushes (<see cref="Commit"/> and <see cref="Dispose"/> close the file).</summary>
    public Stream Stream => _guarded;

    /// <summary>Flushes the content to disk and renames it over the target (inside <see cref="AtomicFile.Together"/>: leaves the rename to the batch).</summary>
    /// <exception cref="ForgettingDataException">The file cannot be written or renamed (the temporary file is then deleted), or a
    /// termination signal deleted the temporary file (see <see cref="TemporaryFiles.DeleteOnTerminationSignals"/>).</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (TemporaryFiles.InterruptedBy(_temporary) is { } signal)
        {
            Dispose();
            throw Interrupted(_path, signal);
        }

        try
        {
            if (_temporary is not null && _stream is FileStream file)
            {
                file.Flush(flushToDisk: true);
            }
            else
            {
                _stream.Flush();
            }

            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var failure = Failure(e);
            Dispose();
            throw failure;
        }

        _done = true;
        if (_temporary is null)
        {
            return;
        }

        if (_batch is { IsOpen: true })
        {
            _batch.Add(_path, _temporary, _target);
            return;
        }

        Rename(_path, _temporary, _target);
    }

    /// <summary>Discards the content unless it was committed; never throws (it runs while another exception unwinds).</summary>
    public void Dispose()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        Close(_stream);
        TemporaryFiles.Delete(_temporary);
    }

    /// <summary>The error for a failed write, naming the user's file (never the temporary one) and the fix.</summary>
    internal ForgettingDataException Failure(Exception e) => new(_path, $"cannot write the file: {AtomicFile.Reason(e, _temporary)}", innerException: e);

    internal static ForgettingDataException Interrupted(string path, PosixSignal signal) =>
        new(path, $"the write was interrupted by {TemporaryFiles.Describe(signal)}; the file was left as it was.");

    /// <summary>Renames <paramref name="temporary"/> over <paramref name="target"/>; on failure deletes it and throws naming <paramref name="path"/>.</summary>
    internal static void Rename(string path, string temporary, string target)
    {
        try
        {
            File.Move(temporary, target, overwrite: true);
            TemporaryFiles.Release(temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TemporaryFiles.Delete(temporary);
            throw new ForgettingDataException(path, $"cannot write the file: {AtomicFile.Reason(e, temporary)}", innerException: e);
        }
    }

    /// <summary>Forwards to the file, turning an OS failure into the error that names the user's file (the CLI and the service
    /// show it as one line; a raw IOException would name the temporary file, or escape as a stack trace).</summary>
    private sealed class GuardedStream(AtomicFileWriter owner, Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => Guard(() => inner.Position = value);
        }

        public override void Flush() => Guard(inner.Flush);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin)
        {
            var position = 0L;
            Guard(() => position = inner.Seek(offset, origin));
            return position;
        }

        public override void SetLength(long value) => Guard(() => inner.SetLength(value));

        public override void Write(byte[] buffer, int offset, int count)
        {
            try
            {
                inner.Write(buffer, offset, count);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw owner.Failure(e);
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                inner.Write(buffer);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw owner.Failure(e);
            }
        }

        public override void WriteByte(byte value) => Write([value]);

        protected override void Dispose(bool disposing)
        {
            // The owner closes the file; a writer that closes what it is given (StreamWriter) must not close it before the commit.
            if (disposing && !owner._done)
            {
                Flush();
            }

            base.Dispose(disposing);
        }

        private void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw owner.Failure(e);
            }
        }
    }

    /// <summary>Disposes <paramref name="stream"/>, ignoring what its last flush throws (a full disk): the file is being discarded.</summary>
    internal static void Close(Stream? stream)
    {
        try
        {
            // FileStream closes its handle even when the flush on dispose throws.
            stream?.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ObjectDisposedException)
        {
        }
    }
}

/// <summary>Files written together (see <see cref="AtomicFile.Together"/>): all renamed into place by <see cref="Commit"/>, or none.</summary>
public sealed class AtomicFileBatch : IDisposable
{
    private readonly AtomicFileBatch? _outer;
    private readonly Action<AtomicFileBatch?> _restore;
    private readonly List<(string Path, string Temporary, string Target)> _staged = [];
    private readonly List<string> _written = [];

    internal AtomicFileBatch(AtomicFileBatch? outer, Action<AtomicFileBatch?> restore)
    {
        _outer = outer;
        _restore = restore;
        IsOpen = true;
    }

    /// <summary>The files (as the caller named them) that <see cref="Commit"/> put in place.</summary>
    public IReadOnlyList<string> Written => _written;

    internal bool IsOpen { get; private set; }

    /// <summary>Renames every file written in the batch into place (their content is already on disk, so only a rename can fail).</summary>
    /// <exception cref="ForgettingDataException">A rename failed (the message says which files were already written), or a
    /// termination signal deleted a file of the batch (see <see cref="TemporaryFiles.DeleteOnTerminationSignals"/>; nothing was written).</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(!IsOpen, this);
        IsOpen = false;
        _restore(_outer);
        foreach (var (path, temporary, _) in _staged)
        {
            if (TemporaryFiles.InterruptedBy(temporary) is { } signal)
            {
                Dispose();
                throw AtomicFileWriter.Interrupted(path, signal);
            }
        }

        foreach (var (path, temporary, target) in _staged.ToArray())
        {
            try
            {
                AtomicFileWriter.Rename(path, temporary, target);
                _staged.RemoveAt(0);
                _written.Add(path);
            }
            catch (ForgettingDataException e) when (_written.Count > 0)
            {
                Dispose();
                throw new ForgettingDataException(path, $"{e.Detail} Already written: {string.Join(", ", _written)}; the others were not.", innerException: e);
            }
        }
    }

    /// <summary>Deletes the files not committed and ends the batch.</summary>
    public void Dispose()
    {
        if (IsOpen)
        {
            IsOpen = false;
            _restore(_outer);
        }

        foreach (var (_, temporary, _) in _staged)
        {
            TemporaryFiles.Delete(temporary);
        }

        _staged.Clear();
    }

    internal void Add(string path, string temporary, string target) => _staged.Add((path, temporary, target));
}

using System.Diagnostics;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests;

/// <summary>Atomic writes on a full disk, over devices, FIFOs and links, into folders that refuse, and several files as one.</summary>
public sealed class AtomicFileTests
{
    [Fact]
    public void AFullDisk_IsOneErrorNamingTheFile_AndLeavesNoTemporaryFile()
    {
        // Given: an existing output, and a disk that fills after 1000 bytes (the file's flush on dispose fails too, as FileStream's does).
        var folder = RepoPaths.NewTempFolder("fp-atomic");
        var path = Path.Combine(folder, "X.csv");
        File.WriteAllText(path, "before");

        // When: the write fails, and an Open'ed writer is disposed without a commit after its flush failed.
        var e = Assert.Throws<ForgettingDataException>(() => AtomicFile.WriteWith(path, s => s.Write(new byte[5000]), t => new FullDiskStream(t, 1000)));
        var writer = AtomicFile.OpenWith(path, t => new FullDiskStream(t, 1000));
        writer.Stream.Write(new byte[10]);
        var disposing = Record.Exception(writer.Dispose);

        // Then: one line naming the user's file and the fix, never the temporary file; nothing left but the untouched output.
        Assert.Equal($"{path}: cannot write the file: No space left on device; free some space on that disk, or write the file elsewhere.", e.Message);
        Assert.Null(disposing);
        Assert.Equal(["X.csv"], Directory.EnumerateFiles(folder).Select(Path.GetFileName));
        Assert.Equal("before", File.ReadAllText(path));
    }

    [Fact]
    public void AnExistingFileThisUserMayNotWrite_IsRefused_AndKept()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // Given: a mode-444 file in a folder this user may write (the rename alone would replace it).
        var folder = RepoPaths.NewTempFolder("fp-atomic");
        var path = Path.Combine(folder, "p.csv");
        File.WriteAllText(path, "before");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // When
        var e = Record.Exception(() => AtomicFile.Write(path, s => s.Write("after"u8)));

        // Then: refused naming the file and the fix; root may write any file, as numpy and a shell's '>' may, and does.
        if (Environment.IsPrivilegedProcess)
        {
            Assert.Null(e);
            Assert.Equal("after", File.ReadAllText(path));
        }
        else
        {
            var refused = Assert.IsType<ForgettingDataException>(e);
            Assert.Equal($"{path}: cannot write the file: it exists and this user may not write it (permissions 444); make it writable (chmod u+w, as its owner) or write to another file.", refused.Message);
            Assert.Equal("before", File.ReadAllText(path));
            Assert.Throws<ForgettingDataException>(() => AtomicFile.CheckWritable(path));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.Equal(["p.csv"], Directory.EnumerateFiles(folder).Select(Path.GetFileName));
    }

    [Fact]
    public void AFailedCommitFlush_DeletesTheTemporaryFile()
    {
        var folder = RepoPaths.NewTempFolder("fp-atomic");
        var path = Path.Combine(folder, "m.fpm");

        // The content fits the buffer: only the flush in the commit meets the full disk.
        using var writer = AtomicFile.OpenWith(path, t => new FullDiskStream(t, 5, buffered: true));
        writer.Stream.Write(new byte[10]);
        var e = Assert.Throws<ForgettingDataException>(writer.Commit);

        Assert.StartsWith($"{path}: cannot write the file: No space left on device", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(".tmp", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public async Task AFifo_IsWrittenDirectly_NotReplacedByAFile()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var folder = RepoPaths.NewTempFolder("fp-atomic");
        var fifo = Path.Combine(folder, "out.json");
        Run("mkfifo", fifo);
        var reader = Task.Run(() => File.ReadAllText(fifo));

        AtomicFile.Write(fifo, s => s.Write("{\"a\": 1}"u8));

        Assert.Equal("{\"a\": 1}", await reader.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("fifo", Run("stat", "-c", "%F", fifo).Trim());
        Assert.Equal(["out.json"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [Fact]
    public void ALink_StaysALink_AndAFileKeepsItsMode()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // Given: a 600 file reached through a relative symbolic link in another folder.
        var folder = RepoPaths.NewTempFolder("fp-atomic");
        var real = Path.Combine(folder, "real", "p.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        File.WriteAllText(real, "old");
        File.SetUnixFileMode(real, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var link = Path.Combine(folder, "link.csv");
        File.CreateSymbolicLink(link, Path.Combine("real", "p.csv"));

        // When
        AtomicFile.Write(link, s => s.Write("new"u8));

        // Then: the link is still the same link, its target has the new content and the old mode.
        Assert.Equal(Path.Combine("real", "p.csv"), new FileInfo(link).LinkTarget);
        Assert.Equal("new", File.ReadAllText(real));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(real));
        Assert.Equal(["p.csv"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(real)!).Select(Path.GetFileName));
    }

    [Fact]
    public void AFolder_IsRefusedAsAnOutput_NamingThePath()
    {
        var folder = RepoPaths.NewTempFolder("fp-atomic");
        var directory = Path.Combine(folder, "isdir.csv");
        Directory.CreateDirectory(directory);

        var check = Assert.Throws<ForgettingDataException>(() => AtomicFile.CheckWritable(directory));
        var write = Assert.Throws<ForgettingDataException>(() => AtomicFile.Write(directory, s => s.WriteByte(1)));

        Assert.Equal($"{directory}: is a folder; name a file in it (e.g. {Path.Combine(directory, "out.csv")}).", check.Message);
        Assert.Equal(check.Message, write.Message);
        Assert.Equal(["isdir.csv"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName));
    }

    [SkippableFact]
    public void AFolderThatRefusesWrites_IsFoundByTheCheck_NamingTheFolder()
    {
        // Given: a folder nobody may create files in (root ignores permissions: a read-only file system, when it can mount one).
        var folder = RepoPaths.NewTempFolder("fp-atomic");
        var locked = Path.Combine(folder, "ro");
        Directory.CreateDirectory(locked);
        using var readOnly = ReadOnlyFolder.Make(locked);
        Skip.If(readOnly is null, "no folder can refuse writes here");

        var path = Path.Combine(locked, "x.json");

        // When
        var check = Assert.Throws<ForgettingDataException>(() => AtomicFile.CheckWritable(path));
        var write = Assert.Throws<ForgettingDataException>(() => AtomicFile.Write(path, s => s.WriteByte(1)));

        // Then: both name the user's file and its folder with the fix, never the temporary file.
        foreach (var e in new[] { check, write })
        {
            Assert.StartsWith($"{path}: cannot write in the folder '{locked}' (", e.Message, StringComparison.Ordinal);
            Assert.EndsWith("); choose a folder you can write in, or change its permissions.", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(".tmp", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FilesWrittenTogether_AreAllWritten_OrNone()
    {
        var folder = RepoPaths.NewTempFolder("fp-atomic");
        var (a, b, c) = (Path.Combine(folder, "a.csv"), Path.Combine(folder, "b.html"), Path.Combine(folder, "c.json"));
        File.WriteAllText(a, "old a");

        // When: the third of three outputs fails; then three are written and committed.
        var e = Assert.Throws<ForgettingDataException>(() =>
        {
            using var batch = AtomicFile.Together();
            AtomicFile.Write(a, s => s.Write("new a"u8));
            AtomicFile.Write(b, s => s.Write("b"u8));
            AtomicFile.WriteWith(c, s => s.Write(new byte[100]), t => new FullDiskStream(t, 10));
            batch.Commit();
        });
        var failed = Directory.EnumerateFiles(folder).Select(f => Path.GetFileName(f)).Order().ToArray();
        var staged = Array.Empty<string>();
        using (var batch = AtomicFile.Together())
        {
            AtomicFile.Write(a, s => s.Write("new a"u8));
            using (var writer = AtomicFile.Open(b))
            {
                writer.Stream.Write("b"u8);
                writer.Commit();
            }

            staged = [.. Directory.EnumerateFiles(folder).Select(f => Path.GetFileName(f)).Where(n => !n.StartsWith('.'))];
            batch.Commit();
            Assert.Equal([a, b], batch.Written);
        }

        // Then: the failure wrote nothing (a kept its old content); the commit wrote both, and nothing before it.
        Assert.StartsWith($"{c}: cannot write the file: No space left on device", e.Message, StringComparison.Ordinal);
        Assert.Equal(["a.csv"], failed);
        Assert.Equal(["a.csv"], staged);
        Assert.Equal("new a", File.ReadAllText(a));
        Assert.Equal("b", File.ReadAllText(b));
        Assert.Equal(["a.csv", "b.html"], Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order());

        // Outside a batch, writes are committed at once again.
        AtomicFile.Write(c, s => s.WriteByte(1));
        Assert.True(File.Exists(c));
    }

    private static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }

    /// <summary>A file that behaves like a FileStream on a full disk: writes past <c>capacity</c> bytes throw ENOSPC, and so does
    /// every flush (and the flush on dispose) while bytes are buffered.</summary>
    private sealed class FullDiskStream(string path, int capacity, bool buffered = false) : Stream
    {
        private readonly FileStream _file = new(path, FileMode.CreateNew, FileAccess.Write);
        private int _written;
        private bool _pending;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
            if (_pending)
            {
                throw Full();
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _written += buffer.Length;
            if (_written > capacity)
            {
                _pending = true;
                if (!buffered)
                {
                    throw Full();
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _file.Dispose();
                Flush();
            }

            base.Dispose(disposing);
        }

        private IOException Full() => new($"No space left on device : '{path}'", 28);
    }

    /// <summary>A folder made unwritable: chmod 555, or for root (whom permissions do not stop) a read-only tmpfs mounted on it.</summary>
    private sealed class ReadOnlyFolder(string path, bool mounted) : IDisposable
    {
        public static ReadOnlyFolder? Make(string path)
        {
            if (OperatingSystem.IsWindows())
            {
                return null;
            }

            if (!Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
                return new ReadOnlyFolder(path, mounted: false);
            }

            try
            {
                using var mount = Process.Start(new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", path]) { UseShellExecute = false, RedirectStandardError = true })!;
                mount.StandardError.ReadToEnd();
                mount.WaitForExit();
                return mount.ExitCode == 0 ? new ReadOnlyFolder(path, mounted: true) : null;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return null;
            }
        }

        public void Dispose()
        {
            if (mounted)
            {
                using var umount = Process.Start(new ProcessStartInfo("umount", [path]) { UseShellExecute = false })!;
                umount.WaitForExit();
            }
            else if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }
}

using System.Diagnostics;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Hostile;

/// <summary>Issue 14, item 4: temporary files left by killed writers are removed by the next write to their folder.</summary>
public sealed class TemporaryFilesTests
{
    [Fact]
    public void Item04_TemporaryFilesOfExitedProcessesAreRemovedByTheNextWriteToTheFolder()
    {
        // Given: debris of a process that has exited (an atomic write and an upload), work of a live process (this one),
        // a pre-pid leftover that is old and one that is fresh, and files that are not ours.
        var folder = RepoPaths.NewTempFolder("fp-item04");
        var dead = ExitedProcessId();
        var live = Environment.ProcessId;
        string Guid32() => Guid.NewGuid().ToString("N");
        var stale = new[] { $".out.csv.{dead}-{Guid32()}.tmp", $".upload-{dead}-{Guid32()}.parquet", $".old.fpm.{Guid32()}.tmp" }.Select(f => Path.Combine(folder, f)).ToArray();
        var kept = new[] { $".out.csv.{live}-{Guid32()}.tmp", $".fresh.fpm.{Guid32()}.tmp", ".config", $".notes.{Guid32()}", "data.tmp" }.Select(f => Path.Combine(folder, f)).ToArray();
        foreach (var path in stale.Concat(kept))
        {
            File.WriteAllText(path, "partial");
        }

        File.SetLastWriteTimeUtc(stale[2], DateTime.UtcNow.AddHours(-1));
        File.SetLastWriteTimeUtc(kept[3], DateTime.UtcNow.AddHours(-1));

        // When
        AtomicFile.Write(Path.Combine(folder, "other.csv"), s => s.WriteByte((byte)'x'));

        // Then
        Assert.All(stale, path => Assert.False(File.Exists(path), path));
        Assert.All(kept, path => Assert.True(File.Exists(path), path));
        Assert.Equal(["other.csv"], Directory.EnumerateFiles(folder).Select(Path.GetFileName).Where(n => !n!.StartsWith('.') && n != "data.tmp"));
    }

    [Fact]
    public void Item04_AtomicWritesNameTheirTemporaryFileWithTheProcessId()
    {
        var folder = RepoPaths.NewTempFolder("fp-item04");
        string? seen = null;

        AtomicFile.Write(Path.Combine(folder, "m.fpm"), _ => seen = Directory.EnumerateFiles(folder, ".*").Single());

        Assert.Matches($@"^\.m\.fpm\.{Environment.ProcessId}-[0-9a-f]{{32}}\.tmp$", Path.GetFileName(seen));
        Assert.False(TemporaryFiles.IsStale(seen!), "a file of a live process is not stale");
    }

    private static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }
}

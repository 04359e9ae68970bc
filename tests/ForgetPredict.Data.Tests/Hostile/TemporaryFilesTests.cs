using System.Diagnostics;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Hostile;

/// <summary>Issue 14, item 4: temporary files left by killed writers are removed by the next write to their folder.</summary>
public sealed class TemporaryFilesTests
{
    [Fact]
    public void Item04_TemporaryFilesOfExitedProcessesAreRemovedByTheNextWriteToTheFolder()
    {
        // Given: debris of a process of this machine that has exited (an atomic write and an upload: this machine's mark, a dead
        // pid), files that merely look like ours and have gone unwritten for over an hour (no mark, another machine's mark, no
        // pid), work of a live process (this one), and files that must stay: a fresh file with a dead pid but not our mark (a
        // user's own file, or a live writer on another host sharing the folder), a fresh pre-pid name, files that are not ours.
        var folder = RepoPaths.NewTempFolder("fp-item04");
        var dead = ExitedProcessId();
        var live = Environment.ProcessId;
        var mark = Mark();
        string Guid32() => Guid.NewGuid().ToString("N");
        string Ours() => mark + Guid32()[mark.Length..];
        var stale = new[] { $".out.csv.{dead}-{Ours()}.tmp", $".upload-{dead}-{Ours()}.parquet", $".old.fpm.{Guid32()}.tmp", $".far.csv.{dead}-{Guid32()}.tmp" }.Select(f => Path.Combine(folder, f)).ToArray();
        var kept = new[] { $".out.csv.{live}-{Ours()}.tmp", $".fresh.fpm.{Guid32()}.tmp", ".config", $".notes.{Guid32()}", "data.tmp", $".notes.csv.{dead}-{Guid32()}.tmp", $".upload-{dead}-{Guid32()}.npy" }.Select(f => Path.Combine(folder, f)).ToArray();
        foreach (var path in stale.Concat(kept))
        {
            File.WriteAllText(path, "partial");
        }

        File.SetLastWriteTimeUtc(stale[2], DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(stale[3], DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(kept[3], DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(kept[5], DateTime.UtcNow.AddMinutes(-50));

        // When
        AtomicFile.Write(Path.Combine(folder, "other.csv"), s => s.WriteByte((byte)'x'));

        // Then
        Assert.All(stale, path => Assert.False(File.Exists(path), path));
        Assert.All(kept, path => Assert.True(File.Exists(path), path));
        Assert.Equal(["other.csv"], Directory.EnumerateFiles(folder).Select(Path.GetFileName).Where(n => !n!.StartsWith('.') && n != "data.tmp"));
    }

    [Fact]
    public void Item04_AUsersFileThatLooksLikeOurs_IsKeptUntilUnwrittenForAnHour()
    {
        var folder = RepoPaths.NewTempFolder("fp-item04");
        var dead = ExitedProcessId();
        var users = Path.Combine(folder, $".draft.md.{dead}-{Guid.NewGuid():N}.tmp");
        File.WriteAllText(users, "my notes");

        Assert.False(TemporaryFiles.IsStale(users), "a fresh file without this machine's mark is not ours to judge by its pid");
        Assert.Equal(0, TemporaryFiles.RemoveStale(folder));
        File.SetLastWriteTimeUtc(users, DateTime.UtcNow - TemporaryFiles.StaleAge - TimeSpan.FromMinutes(1));
        Assert.True(TemporaryFiles.IsStale(users), "unwritten for longer than StaleAge, and its pid is not alive here");
        Assert.Equal(TimeSpan.FromHours(1), TemporaryFiles.StaleAge);
    }

    [Fact]
    public void Item04_AtomicWritesNameTheirTemporaryFileWithTheProcessId()
    {
        var folder = RepoPaths.NewTempFolder("fp-item04");
        string? seen = null;

        AtomicFile.Write(Path.Combine(folder, "m.fpm"), _ => seen = Directory.EnumerateFiles(folder, ".*").Single());

        Assert.Matches($@"^\.m\.fpm\.{Environment.ProcessId}-{Mark()}[0-9a-f]{{24}}\.tmp$", Path.GetFileName(seen));
        Assert.False(TemporaryFiles.IsStale(seen!), "a file of a live process is not stale");
    }

    // This machine's mark: the 8 hex digits after "<pid>-" in the names it gives.
    private static string Mark()
    {
        var path = TemporaryFiles.NewPath(Path.GetTempPath(), ".probe.", ".tmp");
        TemporaryFiles.Release(path);
        var name = Path.GetFileName(path);
        return name.Substring(name.IndexOf('-', StringComparison.Ordinal) + 1, 8);
    }

    private static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }
}

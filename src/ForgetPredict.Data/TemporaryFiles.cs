using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace ForgetPredict.Data;

// One rule for every temporary file ForgetPredict writes (atomic writes beside their target, the service's uploads):
// the name carries the writing process's id, ".NAME.<pid>-<guid>.tmp" or ".upload-<pid>-<guid>.EXT", so any later writer
// can tell debris from work in progress. A file whose process is gone is removed by the next write to its folder; a file
// of a live process is left alone. Names from before the pid was embedded (".NAME.<guid>.tmp", ".upload-<guid>.EXT") are
// removed once they are older than LegacyAge. SIGINT and SIGTERM delete this process's files in flight (SIGKILL cannot
// be caught: the next write cleans up after it).

/// <summary>Names, tracks and cleans up ForgetPredict's temporary files (see the rule above the type).</summary>
public static partial class TemporaryFiles
{
    /// <summary>How old a temporary file named without a process id must be before it counts as debris.</summary>
    public static TimeSpan LegacyAge { get; } = TimeSpan.FromMinutes(15);

    private static readonly ConcurrentDictionary<string, byte> s_inFlight = new(StringComparer.Ordinal);
    private static readonly Lock s_signalLock = new();
    private static PosixSignalRegistration[]? s_signals;
    private static volatile bool s_interrupted;

    /// <summary>True once SIGINT or SIGTERM removed this process's temporary files; writes in flight then fail.</summary>
    public static bool Interrupted => s_interrupted;

    /// <summary>A new temporary path in <paramref name="folder"/>: <paramref name="prefix"/>, this process's id, a GUID and
    /// <paramref name="suffix"/>; tracked so that SIGINT/SIGTERM delete it until <see cref="Delete"/> or <see cref="Release"/>.</summary>
    /// <param name="folder">The folder (the target's, so the final rename stays on one file system).</param>
    /// <param name="prefix">Starts with '.', e.g. ".model.fpm." or ".upload-".</param>
    /// <param name="suffix">".tmp", or an extension readers need (".parquet").</param>
    public static string NewPath(string folder, string prefix, string suffix)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        WatchSignals();
        var path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{prefix}{Environment.ProcessId}-{Guid.NewGuid():N}{suffix}"));
        s_inFlight[path] = 0;
        return path;
    }

    /// <summary>Stops tracking <paramref name="path"/> (it was renamed into place or handed on).</summary>
    public static void Release(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        s_inFlight.TryRemove(path, out _);
    }

    /// <summary>Deletes <paramref name="path"/> if it exists and stops tracking it; never throws (cleanup paths).</summary>
    public static void Delete(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        Release(path);
    }

    /// <summary>True when the file at <paramref name="path"/> is one of our temporary files and nobody owns it any more: its process
    /// has exited, or (for names without a process id) it is older than <see cref="LegacyAge"/>.</summary>
    public static bool IsStale(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = Path.GetFileName(path);
        var match = OursPattern().Match(name);
        if (!match.Success)
        {
            return false;
        }

        if (match.Groups["pid"].Success)
        {
            return int.TryParse(match.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId && !IsAlive(pid);
        }

        try
        {
            return DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > LegacyAge;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Removes the stale temporary files (see <see cref="IsStale"/>) in <paramref name="folder"/>; returns how many.</summary>
    public static int RemoveStale(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var removed = 0;
        try
        {
            foreach (var path in Directory.EnumerateFiles(folder, ".*"))
            {
                if (IsStale(path))
                {
                    Delete(path);
                    removed += File.Exists(path) ? 0 : 1;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cleanup is a courtesy: an unreadable folder must not fail the write that triggered it.
        }

        return removed;
    }

    /// <summary>Deletes every temporary file this process has in flight (what SIGINT and SIGTERM do).</summary>
    internal static void RemoveInFlight()
    {
        s_interrupted = true;
        foreach (var path in s_inFlight.Keys)
        {
            Delete(path);
        }
    }

    private static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}"));
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void WatchSignals()
    {
        if (s_signals is not null || OperatingSystem.IsBrowser())
        {
            return;
        }

        lock (s_signalLock)
        {
            // The handlers do not cancel the signal: the process still stops as it would have, minus its debris.
            // SIGHUP too: a closed terminal or ssh session stops a command as surely as Ctrl+C.
            s_signals ??= [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }.Select(s => PosixSignalRegistration.Create(s, _ => RemoveInFlight()))];
        }
    }

    // ".NAME.<pid>-<guid>.tmp", ".upload-<pid>-<guid>.EXT", and the same without "<pid>-" (older builds).
    [GeneratedRegex(@"^\.(?:upload-(?:(?<pid>[0-9]{1,10})-)?[0-9a-f]{32}(?:\.[A-Za-z0-9]{1,9})?|.+\.(?:(?<pid>[0-9]{1,10})-)?[0-9a-f]{32}\.tmp)$", RegexOptions.CultureInvariant)]
    private static partial Regex OursPattern();
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ForgetPredict.Data;

// One rule for every temporary file ForgetPredict writes (atomic writes beside their target, the service's uploads):
// the name carries the writing process's id and a mark of the process namespace it runs in,
// ".NAME.<pid>-<mark><random>.tmp" or ".upload-<pid>-<mark><random>.EXT" (mark: 8 hex digits hashed from the boot id and the
// pid namespace; mark and random make the 32 hex digits of a GUID), so any later writer can tell debris from work in progress:
// - a file with our mark whose process is gone is removed by the next write to its folder (a kill -9's debris), a file of a
//   live process is left alone;
// - any other name that merely looks like ours (another host or container writing to a shared folder, whose process ids
//   mean nothing here; a user's own ".notes.123-<32 hex>.tmp"; names from before the pid or the mark were embedded) is
//   removed only once nothing has written to it for StaleAge (an hour) and no live process here has its id.
// Signals are the host application's: a library that registered handlers would take over a process that handles them itself
// (ASP.NET Core's graceful shutdown on SIGTERM, a SIGHUP reload). An application that stops on SIGINT, SIGTERM, SIGHUP or
// SIGQUIT (the command line) opts in with DeleteOnTerminationSignals: the signal then deletes this process's files in flight
// before the process stops. Only the writes whose file was deleted fail (naming the signal); a process that goes on writes as
// before. SIGKILL cannot be caught: the next write to the folder cleans up after it.

/// <summary>Names, tracks and cleans up ForgetPredict's temporary files (see the rule above the type).</summary>
public static partial class TemporaryFiles
{
    /// <summary>How long a file that looks like a temporary file but does not carry this machine's mark (see the rule above
    /// the type) must have gone unwritten before it counts as debris.</summary>
    public static TimeSpan StaleAge { get; } = TimeSpan.FromHours(1);

    private static readonly PosixSignal[] s_terminationSignals = [PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT];
    private static readonly ConcurrentDictionary<string, byte> s_inFlight = new(StringComparer.Ordinal);

    // Temporary files a signal deleted while their writer was still running, with the signal: the writer's commit fails naming it.
    private static readonly ConcurrentDictionary<string, PosixSignal> s_interrupted = new(StringComparer.Ordinal);
    private static readonly string s_mark = ComputeMark();

    /// <summary>
    /// Opts this process in to deleting its temporary files in flight when SIGINT (Ctrl+C), SIGTERM, SIGHUP or SIGQUIT arrives,
    /// so that a process stopped by one leaves no half-written temporary file behind (a command-line tool calls it at start).
    /// </summary>
    /// <remarks>
    /// <para>Nothing is registered unless the application calls this: signals belong to the host. A host that handles them
    /// itself and keeps running (ASP.NET Core and Worker hosts stop gracefully on SIGTERM, letting writes finish; a SIGHUP
    /// reload) should not call it: its writes either finish or delete their temporary file as they unwind, and the next write
    /// to a folder removes what a killed process left there.</para>
    /// <para>The handlers do not cancel the signal: the process stops as it would have, minus its debris. Should it go on (another
    /// handler cancelled the signal), only the writes whose temporary file was deleted fail, with a
    /// <see cref="ForgettingDataException"/> naming the signal; later writes succeed.</para>
    /// </remarks>
    /// <returns>The registration: disposing it removes the handlers.</returns>
    public static IDisposable DeleteOnTerminationSignals() => new SignalCleanup(OperatingSystem.IsBrowser()
        ? []
        : [.. s_terminationSignals.Select(signal => PosixSignalRegistration.Create(signal, context => RemoveInFlight(context.Signal)))]);

    /// <summary>A new temporary path in <paramref name="folder"/>: <paramref name="prefix"/>, this process's id, this machine's
    /// mark and random hex digits (32 in all), and <paramref name="suffix"/>; tracked until <see cref="Delete"/> or
    /// <see cref="Release"/> (so that a termination signal deletes it in a process that opted in with <see cref="DeleteOnTerminationSignals"/>).</summary>
    /// <param name="folder">The folder (the target's, so the final rename stays on one file system).</param>
    /// <param name="prefix">Starts with '.', e.g. ".model.fpm." or ".upload-".</param>
    /// <param name="suffix">".tmp", or an extension readers need (".parquet").</param>
    public static string NewPath(string folder, string prefix, string suffix)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        var path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{prefix}{Environment.ProcessId}-{s_mark}{Guid.NewGuid().ToString("N")[s_mark.Length..]}{suffix}"));
        s_inFlight[path] = 0;
        return path;
    }

    /// <summary>Stops tracking <paramref name="path"/> (it was renamed into place or handed on).</summary>
    public static void Release(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        s_inFlight.TryRemove(path, out _);
        s_interrupted.TryRemove(path, out _);
    }

    /// <summary>Deletes <paramref name="path"/> if it exists and stops tracking it; never throws (cleanup paths).</summary>
    public static void Delete(string? path)
    {
        if (path is null)
        {
            return;
        }

        DeleteFile(path);
        Release(path);
    }

    /// <summary>True when the file at <paramref name="path"/> is one of our temporary files and nobody owns it any more: it carries
    /// this machine's mark and its process has exited, or it has gone unwritten for <see cref="StaleAge"/> and its process id (if
    /// any) is not a live process here.</summary>
    public static bool IsStale(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = Path.GetFileName(path);
        var match = OursPattern().Match(name);
        if (!match.Success)
        {
            return false;
        }

        var pid = -1;
        if (match.Groups["pid"].Success && int.TryParse(match.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out pid)
            && (pid == Environment.ProcessId || IsAlive(pid)))
        {
            return false;
        }

        if (pid > 0 && match.Groups["hex"].ValueSpan.StartsWith(s_mark, StringComparison.Ordinal))
        {
            return true;
        }

        try
        {
            return DateTime.UtcNow - File.GetLastWriteTimeUtc(path) >= StaleAge;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
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

    /// <summary>Deletes every temporary file this process has in flight, remembering that <paramref name="signal"/> did (what the
    /// handlers of <see cref="DeleteOnTerminationSignals"/> do).</summary>
    internal static void RemoveInFlight(PosixSignal signal)
    {
        foreach (var path in s_inFlight.Keys)
        {
            if (s_inFlight.TryRemove(path, out _))
            {
                s_interrupted[path] = signal;
                DeleteFile(path);
            }
        }
    }

    /// <summary>The signal that deleted the temporary file <paramref name="path"/> while it was being written, or null.</summary>
    internal static PosixSignal? InterruptedBy(string? path) => path is not null && s_interrupted.TryGetValue(path, out var signal) ? signal : null;

    /// <summary>The signal as people know it: "SIGINT (Ctrl+C)", "SIGTERM".</summary>
    internal static string Describe(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGINT => "SIGINT (Ctrl+C)",
        PosixSignal.SIGTERM => "SIGTERM",
        PosixSignal.SIGHUP => "SIGHUP",
        PosixSignal.SIGQUIT => "SIGQUIT",
        _ => signal.ToString(),
    };

    private static void DeleteFile(string path)
    {
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

    // This machine and process namespace: 8 hex digits hashed from the boot id and the pid namespace (Linux), else the host name.
    private static string ComputeMark()
    {
        var identity = Environment.MachineName;
        try
        {
            if (OperatingSystem.IsLinux())
            {
                identity = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() + "|" + new FileInfo("/proc/self/ns/pid").LinkTarget;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)), 0, 4);
    }

    // ".NAME.<pid>-<hex>.tmp", ".upload-<pid>-<hex>.EXT", and the same without "<pid>-" (older builds); hex: 32 digits.
    [GeneratedRegex(@"^\.(?:upload-(?:(?<pid>[0-9]{1,10})-)?(?<hex>[0-9a-f]{32})(?:\.[A-Za-z0-9]{1,9})?|.+\.(?:(?<pid>[0-9]{1,10})-)?(?<hex>[0-9a-f]{32})\.tmp)$", RegexOptions.CultureInvariant)]
    private static partial Regex OursPattern();

    /// <summary>The handlers of one <see cref="DeleteOnTerminationSignals"/> call.</summary>
    private sealed class SignalCleanup(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}

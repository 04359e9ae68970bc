using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Hostile;

/// <summary>Tests that send signals to the test process run alone (an opted-in handler deletes every write in flight).</summary>
[CollectionDefinition(nameof(ProcessSignals), DisableParallelization = true)]
public sealed class ProcessSignals;

/// <summary>
/// The library takes over no signal: a host that handles SIGHUP or SIGTERM itself and goes on (ASP.NET Core's graceful
/// shutdown, a reload) keeps its writes; an application that opts in has its writes in flight deleted, each failing with
/// the signal's name, and writes on afterwards.
/// </summary>
[Collection(nameof(ProcessSignals))]
public sealed class SignalTests
{
    [Fact]
    public void ASignalTheHostHandles_LeavesWritesInFlightAndLaterWritesAlone_WithoutOptingIn()
    {
        // Given: a host that handles SIGHUP and goes on, and a write in flight (the first write used to register handlers).
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var folder = RepoPaths.NewTempFolder("fp-signal");
        using var host = new HostHandler(PosixSignal.SIGHUP);
        var path = Path.Combine(folder, "m.fpm");
        using var writer = AtomicFile.Open(path);
        writer.Stream.Write([1, 2, 3]);

        // When
        host.Raise();

        // Then: the write completes, and so does the next one.
        writer.Commit();
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        AtomicFile.Write(Path.Combine(folder, "next.csv"), s => s.WriteByte((byte)'x'));
        Assert.True(File.Exists(Path.Combine(folder, "next.csv")));
        Assert.Empty(Directory.EnumerateFiles(folder, ".*.tmp"));
    }

    [Fact]
    public void OptedIn_ASignalDeletesWritesInFlight_WhoseCommitNamesIt_AndLaterWritesSucceed()
    {
        // Given
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var folder = RepoPaths.NewTempFolder("fp-signal");
        using var host = new HostHandler(PosixSignal.SIGHUP);
        var path = Path.Combine(folder, "m.fpm");
        ForgettingDataException failure;
        using (TemporaryFiles.DeleteOnTerminationSignals())
        {
            using var writer = AtomicFile.Open(path);
            writer.Stream.Write([1, 2, 3]);

            // When
            host.Raise();
            var waited = Stopwatch.StartNew();
            while (Directory.EnumerateFiles(folder, ".*.tmp").Any() && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(10);
            }

            // Then: the write in flight lost its file and says which signal took it; the process writes on.
            Assert.Empty(Directory.EnumerateFiles(folder, ".*.tmp"));
            failure = Assert.Throws<ForgettingDataException>(writer.Commit);
            AtomicFile.Write(Path.Combine(folder, "after.csv"), s => s.WriteByte((byte)'x'));
        }

        Assert.Contains("interrupted by SIGHUP", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SIGTERM", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.True(File.Exists(Path.Combine(folder, "after.csv")));

        // And once the registration is disposed, a signal leaves writes alone again.
        using (var writer = AtomicFile.Open(path))
        {
            writer.Stream.Write([4]);
            host.Raise();
            writer.Commit();
        }

        Assert.Equal([4], File.ReadAllBytes(path));
    }

    /// <summary>The host's own handler: cancels the signal (the process goes on) and says when it ran.</summary>
    private sealed class HostHandler : IDisposable
    {
        private readonly PosixSignal _signal;
        private readonly PosixSignalRegistration _registration;
        private readonly SemaphoreSlim _handled = new(0);

        public HostHandler(PosixSignal signal)
        {
            _signal = signal;
            _registration = PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                _handled.Release();
            });
        }

        // Sends the signal to this process and waits until the host handled it, then a little longer: every handler of a
        // signal runs on the same dispatch, so any other one has run by then.
        public void Raise()
        {
            var name = _signal.ToString()["SIG".Length..];
            using (var kill = Process.Start("kill", ["-" + name, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }

            Assert.True(_handled.Wait(TimeSpan.FromSeconds(30)), "the signal did not arrive");
            Thread.Sleep(200);
        }

        public void Dispose()
        {
            _registration.Dispose();
            _handled.Dispose();
        }
    }
}

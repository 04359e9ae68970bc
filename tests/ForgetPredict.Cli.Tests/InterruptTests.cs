using System.Diagnostics;
using ForgetPredict.Core;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>Issue 14, item 4: SIGTERM, SIGINT and SIGHUP during a write delete the temporary file (a real child process).</summary>
public sealed class InterruptTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    [InlineData("HUP")]
    public void Item04_SignalDuringAWriteLeavesNoTemporaryFile(string signal)
    {
        // Given: an evaluate run that streams its predictions into an atomically written file for several seconds.
        var folder = RepoPaths.NewTempFolder("fp-item04");
        var matrix = Path.Combine(folder, "z.npy");
        var random = new Random(4);
        var values = new float[60 * 4000];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        MatrixFile.Write(ForgettingMatrix.Wrap(values, 60, 4000), matrix);
        var predictions = Path.Combine(folder, "pred.csv");

        // Started as a terminal starts a command, with SIGINT, SIGQUIT, SIGHUP and SIGTERM at their defaults: a shell without
        // job control (make run in the background, CI) starts its children with SIGINT and SIGQUIT ignored, nohup ignores
        // SIGHUP, and an ignored signal is inherited through exec, so the run would never see the signal. Python resets them
        // and execs dotnet.
        var info = new ProcessStartInfo(ExternalTool.Python) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "-c", "import os, signal, sys; [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGTERM)]; os.execvp(sys.argv[1], sys.argv[1:])",
            "dotnet", CliDll(), "evaluate", matrix, "--methods", "mf,knn,additive", "--seeds", "200", "--predictions", predictions,
        })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var waited = Stopwatch.StartNew();
        // The output's own temporary file, being written (not empty): the empty probe that checks the folder at the start
        // has the same name pattern, and a signal then could come before the output's file exists.
        while (!Directory.EnumerateFiles(folder, ".pred.csv.*.tmp").Any(f => new FileInfo(f) is { Exists: true, Length: > 0 }) && !process.HasExited && waited.Elapsed < TimeSpan.FromMinutes(2))
        {
            Thread.Sleep(20);
        }

        Assert.False(process.HasExited, "the run ended before it could be interrupted; make it longer");
        Assert.NotEmpty(Directory.EnumerateFiles(folder, ".pred.csv.*.tmp"));

        // When
        using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        var exited = process.WaitForExit(TimeSpan.FromMinutes(1));
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
        }

        // Then
        Assert.True(exited, "the process did not stop after the signal");
        Assert.Empty(Directory.EnumerateFiles(folder, ".*.tmp"));
        Assert.False(File.Exists(predictions), "an interrupted run must not leave a half-written output");
        Assert.NotEqual(0, process.ExitCode);
    }

    private static string CliDll()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "forgetpredict.dll");
        return File.Exists(beside) ? beside : Path.Combine(RepoPaths.Root, "src", "ForgetPredict.Cli", "bin", "Release", "net10.0", "forgetpredict.dll");
    }
}

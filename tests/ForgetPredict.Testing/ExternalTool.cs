using System.Diagnostics;

namespace ForgetPredict.Testing;

/// <summary>Runs an independent reference tool (Debian's python3 with numpy/pandas, node with DuckDB, zstd...) from a test.</summary>
/// <remarks>A missing tool is a test failure with a message saying which Makefile target installs it, never a skip:
/// <c>make test</c> installs every tool the tests use.</remarks>
public static class ExternalTool
{
    /// <summary>Debian's python3 (has numpy and pandas); <c>FP_PYTHON</c> overrides it.</summary>
    public static string Python => Environment.GetEnvironmentVariable("FP_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/>; returns standard output, throws with standard error on a non-zero exit.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments, passed without shell interpretation.</param>
    /// <param name="workingDirectory">Working directory, or null for the current one.</param>
    /// <param name="standardInput">Text written to the program's standard input, or null.</param>
    /// <param name="timeout">How long to wait; default two minutes.</param>
    public static string Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null, string? standardInput = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Reference tool '{fileName}' is not installed ({e.Message}); run 'make deps' (make test does this).", e);
        }

        using (process)
        {
            if (standardInput is not null)
            {
                process.StandardInput.Write(standardInput);
                process.StandardInput.Close();
            }

            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} did not finish in time.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{fileName} {string.Join(' ', info.ArgumentList)} exited with {process.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
            }

            return stdout.Result;
        }
    }

    /// <summary>Runs a Python snippet with Debian's python3 (numpy, pandas available) and returns its standard output.</summary>
    public static string RunPython(string script, params string[] arguments) =>
        Run(Python, ["-c", script, .. arguments]);
}

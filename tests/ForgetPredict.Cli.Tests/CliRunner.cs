using System.Diagnostics;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>Runs the CLI in-process and captures what it writes.</summary>
internal static class CliRunner
{
    /// <summary>The text with line breaks and runs of spaces as single spaces: console lines wrap at the terminal width.</summary>
    public static string Unwrapped(string text) => string.Join(' ', text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries));

    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CliApp.RunAsync(args, output, error).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs <paramref name="program"/> as a child process in <paramref name="dir"/> and captures what it writes (two minutes at most).</summary>
    public static (int Code, string Output, string Error) Child(string dir, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish in time.");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The command line's dll, for a child process: beside the tests, else the CLI project's Release build.</summary>
    public static string Dll()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "forgetpredict.dll");
        return File.Exists(beside) ? beside : Path.Combine(RepoPaths.Root, "src", "ForgetPredict.Cli", "bin", "Release", "net10.0", "forgetpredict.dll");
    }
}

using System.CommandLine;
using ForgetPredict.Core;
using ForgetPredict.Data;

namespace ForgetPredict.Cli.Commands;

/// <summary>Options and helpers several commands share.</summary>
internal static class CommonOptions
{
    /// <summary>--threads: worker threads (results never depend on it).</summary>
    public static Option<int> Threads() => new("--threads")
    {
        Description = "Worker threads (-1: all cores). Results are identical for every value.",
        DefaultValueFactory = _ => -1,
        Validators = { r => { if (r.GetValueOrDefault<int>() is 0 or < -1) { r.AddError("--threads must be -1 or at least 1."); } } },
    };

    /// <summary>--format: override the format chosen by file extension.</summary>
    public static Option<string?> Format() => new("--format")
    {
        Description = $"Matrix file format, overriding the extension ({string.Join(", ", MatrixFile.Formats.Keys)}).",
    };

    /// <summary>The MATRIX argument.</summary>
    public static Argument<string> Matrix() => new("MATRIX") { Description = "Forgetting matrix file (tasks x examples; NaN = missing)." };

    /// <summary>An option that must be at least <paramref name="min"/>.</summary>
    public static Option<int> AtLeast(string name, int min, int defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        Validators = { r => { if (r.GetValueOrDefault<int>() < min) { r.AddError($"{name} must be at least {min}."); } } },
    };

    /// <summary>Reads the matrix named on the command line.</summary>
    public static ForgettingMatrix ReadMatrix(ParseResult parse, Argument<string> matrix, Option<string?> format) =>
        MatrixFile.Read(parse.GetRequiredValue(matrix), new MatrixReadOptions { Format = parse.GetValue(format) });

    /// <summary>The invocation's standard output.</summary>
    public static TextWriter Out(this ParseResult parse) => parse.InvocationConfiguration.Output;

    /// <summary>The invocation's standard error.</summary>
    public static TextWriter Err(this ParseResult parse) => parse.InvocationConfiguration.Error;
}

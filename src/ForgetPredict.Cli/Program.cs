namespace ForgetPredict.Cli;

/// <summary>Entry point of the <c>forgetpredict</c> executable.</summary>
public static class Program
{
    /// <summary>Runs the command line; returns the process exit code.</summary>
    public static Task<int> Main(string[] args) => CliApp.RunAsync(args, Console.Out, Console.Error);
}

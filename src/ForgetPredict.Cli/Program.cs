using System.CommandLine;

namespace ForgetPredict.Cli;

/// <summary>Entry point of the <c>forgetpredict</c> executable.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command; returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("ForgetPredict: predict which upstream examples a fine-tune will make a language model forget.");
        return root.Parse(args).Invoke();
    }
}

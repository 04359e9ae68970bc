using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Cli.Tests;

/// <summary>The small synthetic matrix the output tests run commands on.</summary>
internal static class SmallMatrix
{
    /// <summary>A seeded 10 x 60 synthetic matrix written as <c>z.npy</c> in <paramref name="dir"/> (no ids: 0..59); its path.</summary>
    public static string WriteNpy(string dir)
    {
        var path = Path.Combine(dir, "z.npy");
        using var stream = File.Create(path);
        NpyFormat.Write(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 10, Examples = 60, Seed = 2 }).Matrix, stream);
        return path;
    }
}

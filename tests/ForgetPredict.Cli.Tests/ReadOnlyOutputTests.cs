using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>An existing output this user may not write is refused, not replaced by the rename (which needs only the folder's
/// permission), as numpy, pandas and a shell's '&gt;' refuse it.</summary>
public sealed class ReadOnlyOutputTests
{
    [Fact]
    public void AnotherUsersReadOnlyFile_InAWorldWritableFolder_IsRefused_AndKept()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Given: a mode-444 file of this user (root, here: then the command runs as 'nobody', since root may write any file)
        // in a folder everyone may write.
        var dir = RepoPaths.NewTempFolder();
        File.SetUnixFileMode(dir, (UnixFileMode)0x1FF);
        var matrix = TestMatrices.Write(dir, "z.npy", 4, 6, (i, j) => 0.1f * (i + j));
        var output = Path.Combine(dir, "out.csv");
        File.WriteAllText(output, "old\n");
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // When (as root, the command must run as 'nobody': where that user cannot run it at all, a repository in a folder only
        // root may enter, the test has no user to run as, and says so in its output instead of failing on the setup)
        string[] asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", $"HOME={dir}", "dotnet", CliRunner.Dll()];
        if (Environment.IsPrivilegedProcess && !CanRun(dir, asNobody))
        {
            Console.WriteLine($"{nameof(AnotherUsersReadOnlyFile_InAWorldWritableFolder_IsRefused_AndKept)}: user nobody cannot run {CliRunner.Dll()} here; not checked.");
            return;
        }

        var (code, stdout, stderr) = Environment.IsPrivilegedProcess
            ? CliRunner.Child(dir, asNobody[0], [.. asNobody[1..], "convert", matrix, output])
            : CliRunner.Run("convert", matrix, output);

        // Then: one line naming the file and the fix, a usage error (checked before the command runs); nothing replaced or left.
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal($"error: OUT {output}: cannot write the file: it exists and this user may not write it (permissions 444); make it writable (chmod u+w, as its owner) or write to another file.", line);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal("old\n", File.ReadAllText(output));
        Assert.Empty(Directory.EnumerateFiles(dir, ".*.tmp"));
    }

    [Fact]
    public void AWritableExistingFile_IsReplaced_KeepingItsPermissions()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var dir = RepoPaths.NewTempFolder();
        var matrix = TestMatrices.Write(dir, "z.npy", 4, 6, (i, j) => 0.1f * (i + j));
        var output = Path.Combine(dir, "out.csv");
        File.WriteAllText(output, "old\n");
        File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var run = CliRunner.Run("convert", matrix, output);

        Assert.Equal(0, run.ExitCode);
        Assert.NotEqual("old\n", File.ReadAllText(output));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(output));
    }

    // True when the command line runs as the given prefix (setpriv, env, dotnet and the dll all reachable by that user).
    private static bool CanRun(string dir, string[] prefix)
    {
        try
        {
            return CliRunner.Child(dir, prefix[0], [.. prefix[1..], "--version"]).Code == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

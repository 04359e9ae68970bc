using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>An output written to standard output (/dev/stdout, /dev/fd/1, a shell's redirection) carries exactly the file,
/// the report going to standard error (real child processes: the test host's own standard output is not the command's).</summary>
public sealed class StandardOutputTests
{
    [Theory]
    [InlineData("/dev/stdout")]
    [InlineData("/dev/fd/1")]
    [InlineData("/proc/self/fd/1")]
    public void ConvertToStandardOutput_ThroughAPipe_IsExactlyTheTable(string device)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Given
        var dir = RepoPaths.NewTempFolder();
        var matrix = SmallMatrix.WriteNpy(dir);
        var reference = Path.Combine(dir, "ref.csv");
        Assert.Equal(0, CliRunner.Run("convert", matrix, reference).ExitCode);

        // When
        var (code, stdout, stderr) = CliRunner.Child(dir, "dotnet", CliRunner.Dll(), "convert", matrix, device, "--to-format", "csv");

        // Then
        Assert.Equal(0, code);
        Assert.Equal(File.ReadAllText(reference), stdout);
        Assert.Contains($"wrote {device}", stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(dir, ".*.tmp"));
    }

    [Theory]
    [InlineData(">")]
    [InlineData(">>")]
    public void JsonToStandardOutput_RedirectedToAFile_IsTheJsonAlone(string redirection)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Given: a shell's redirection of the command's output to a file that holds a line already.
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", SmallMatrix.WriteNpy(dir), "--method", "additive", "--out", model).ExitCode);
        var observed = Path.Combine(dir, "obs.csv");
        File.WriteAllText(observed, "example,value\n0,0.01\n3,0.02\n");
        var file = Path.Combine(dir, "so.txt");
        File.WriteAllText(file, "before\n");

        // When
        var (code, _, stderr) = CliRunner.Child(dir, "/bin/sh", "-c", $"exec dotnet \"$0\" predict --model \"$1\" --observed \"$2\" --json /dev/stdout {redirection} \"$3\"", CliRunner.Dll(), model, observed, file);

        // Then: '>' holds the JSON alone, '>>' the old line and then the JSON; the report went to standard error.
        Assert.Equal(0, code);
        var text = File.ReadAllText(file);
        var json = redirection == ">" ? text : text["before\n".Length..];
        Assert.StartsWith(redirection == ">" ? "{" : "before\n{", text, StringComparison.Ordinal);
        using (var document = System.Text.Json.JsonDocument.Parse(json))
        {
            Assert.True(document.RootElement.TryGetProperty("known_count", out _));
        }

        Assert.Contains("wrote /dev/stdout", stderr, StringComparison.Ordinal);
        Assert.Contains("predicted 60 examples", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOutputThatIsNotStandardOutput_LeavesTheReportOnStandardOutput()
    {
        var dir = RepoPaths.NewTempFolder();
        var run = CliRunner.Run("convert", SmallMatrix.WriteNpy(dir), "/dev/null", "--to-format", "csv");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("wrote /dev/null", run.Output, StringComparison.Ordinal);
        Assert.False(AtomicFile.IsStandardOutput("/dev/null"));
        Assert.False(AtomicFile.IsStandardOutput(Path.Combine(dir, "z.npy")));
    }
}

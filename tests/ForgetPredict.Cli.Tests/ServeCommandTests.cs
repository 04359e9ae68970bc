using System.Net;
using System.Net.Sockets;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>'forgetpredict serve' refuses bad settings with one line and exit code 1 (the server itself is tested in ForgetPredict.Server.Tests).</summary>
public class ServeCommandTests
{
    [Fact]
    public void Serve_MissingStore_IsADataErrorNamingTheFolder()
    {
        var missing = Path.Combine(RepoPaths.NewTempFolder(), "no-such-store");
        var (code, _, error) = CliRunner.Run("serve", "--store", missing);
        Assert.Equal(CliApp.DataError, code);
        Assert.Contains($"Store folder '{missing}' does not exist", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_EmptyApiKeyFile_IsADataError()
    {
        var folder = RepoPaths.NewTempFolder();
        var key = Path.Combine(folder, "key.txt");
        File.WriteAllText(key, "\n");
        var (code, _, error) = CliRunner.Run("serve", "--store", folder, "--api-key-file", key);
        Assert.Equal(CliApp.DataError, code);
        Assert.Contains("is empty; write the key on its first line", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_NonPositiveBodyLimit_IsAUsageError()
    {
        var (code, _, error) = CliRunner.Run("serve", "--store", RepoPaths.NewTempFolder(), "--max-body-mb", "0");
        // A value the command line alone gets wrong (it had exited 1, while --max-matrix-mb abc exited 2).
        Assert.Equal(CliApp.UsageError, code);
        Assert.Contains("--max-body-mb: 0 is not a size in megabytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_PortInUse_SaysItCannotListen()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        var (code, _, error) = CliRunner.Run("serve", "--store", RepoPaths.NewTempFolder(), "--urls", url);
        Assert.Equal(CliApp.DataError, code);
        Assert.Contains($"cannot listen on {url}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}

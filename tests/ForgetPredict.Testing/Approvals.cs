using System.Runtime.CompilerServices;

namespace ForgetPredict.Testing;

/// <summary>
/// Approved-file snapshots: the text is compared with <c>NAME.approved.txt</c> beside the calling test file; a mismatch
/// (or a missing approved file) writes <c>NAME.received.txt</c> there and fails. Approve a change by renaming
/// received to approved and committing it.
/// </summary>
public static class Approvals
{
    /// <summary>Asserts that <paramref name="actual"/> equals the approved snapshot <paramref name="name"/>.</summary>
    public static void Verify(string actual, string name, [CallerFilePath] string testFile = "")
    {
        ArgumentNullException.ThrowIfNull(actual);
        var folder = Path.Combine(Path.GetDirectoryName(testFile)!, "Approved");
        Directory.CreateDirectory(folder);
        var approved = Path.Combine(folder, name + ".approved.txt");
        var received = Path.Combine(folder, name + ".received.txt");
        var normalised = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (File.Exists(approved) && File.ReadAllText(approved).Replace("\r\n", "\n", StringComparison.Ordinal) == normalised)
        {
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, normalised);
        throw new Xunit.Sdk.XunitException(File.Exists(approved)
            ? $"Snapshot '{name}' changed; compare {received} with {approved} and rename it to approve."
            : $"No approved snapshot '{name}'; review {received} and rename it to {approved}.");
    }
}

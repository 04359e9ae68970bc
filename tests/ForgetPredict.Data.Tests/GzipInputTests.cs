using System.IO.Compression;
using System.Text;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data.Tests;

/// <summary>
/// Gzip-compressed input (pandas to_csv('z.csv.gz'), gzip z.npy) is refused saying so, by its name or its first bytes, in
/// every reader that opens a file: its bytes had been read as text in a wrong encoding, or as a damaged .npy header.
/// </summary>
public class GzipInputTests
{
    private const string Fix = "is gzip-compressed";

    private static void WriteGzip(string path, string text)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Optimal);
        gzip.Write(Encoding.UTF8.GetBytes(text));
    }

    [Theory]
    [InlineData("z.csv.gz", null, "(its name ends in '.gz'), which is not read here: gunzip it first (gunzip z.csv.gz gives z.csv), or write it uncompressed (pandas: to_csv('z.csv') rather than to_csv('z.csv.gz')).")]
    [InlineData("z.csv.gz", "csv", "(it starts with gzip's bytes 1F 8B), which is not read here: gunzip it first (gunzip z.csv.gz gives z.csv)")]
    [InlineData("z.csv", null, "(it starts with gzip's bytes 1F 8B), which is not read here: gunzip it first (gzip -dc z.csv > z-plain.csv)")]
    [InlineData("z.npy", null, "(it starts with gzip's bytes 1F 8B)")]
    [InlineData("z.json", null, "(it starts with gzip's bytes 1F 8B)")]
    [InlineData("z.txt", null, "(it starts with gzip's bytes 1F 8B)")]
    public void AMatrix_IsRefusedNamingTheFileAndTheFix(string name, string? format, string expected)
    {
        var folder = Testing.RepoPaths.NewTempFolder("fp-gzip");
        var path = Path.Combine(folder, name);
        WriteGzip(path, ",a,b\nt1,0.5,0.25\nt2,0.75,0.125\n");

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path, new MatrixReadOptions { Format = format }));

        Assert.StartsWith($"{path}: {Fix} {expected}", e.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void AStream_IsRefused_AndAPlainOneIsReadFromWhereItWas()
    {
        var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(",a\nt1,0.5\n"u8);
        }

        gzipped.Position = 0;
        var plain = new MemoryStream(Encoding.UTF8.GetBytes("xx,a\nt1,0.5\n")) { Position = 2 };

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(gzipped, "upload.csv"));

        Assert.Contains($"upload.csv: {Fix} (it starts with gzip's bytes 1F 8B)", e.Message, StringComparison.Ordinal);
        Assert.Equal(0.5f, MatrixFile.Read(plain, "upload.csv")[0, 0]);
    }

    [Fact]
    public void TablesOfMeasuredCellsAndMetadata_AreRefusedAlike()
    {
        var folder = Testing.RepoPaths.NewTempFolder("fp-gzip-tables");
        var observed = Path.Combine(folder, "o.csv");
        var metadata = Path.Combine(folder, "meta.csv.gz");
        var unnamed = Path.Combine(folder, "meta.csv");
        WriteGzip(observed, "example,value\na,0.5\n");
        WriteGzip(metadata, "id,source\na,web\n");
        WriteGzip(unnamed, "id,source\na,web\n");
        var ids = IdList.From(["a", "b"]);

        var o = Assert.Throws<ForgettingDataException>(() => ObservedCells.Read(observed, ids, new ExampleMatching(false, "pass --by-index")));
        var m = Assert.Throws<ForgettingDataException>(() => MetadataTable.Read(metadata));
        var u = Assert.Throws<ForgettingDataException>(() => MetadataTable.Read(unnamed));

        Assert.Contains($"o.csv: {Fix} (it starts with gzip's bytes 1F 8B)", o.Message, StringComparison.Ordinal);
        Assert.Contains($"meta.csv.gz: {Fix} (its name ends in '.gz')", m.Message, StringComparison.Ordinal);
        Assert.Contains($"meta.csv: {Fix} (it starts with gzip's bytes 1F 8B)", u.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }
}

using System.IO.Compression;
using System.Text;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>A large, highly compressed .npz (the shape of an .npz "zip bomb"): read in chunks, never held as float64.</summary>
public sealed class NpzLargeArrayTests
{
    [Fact]
    public void Read_DeflatedFloat64Array_AllocatesTheFloat32MatrixAndOneChunk_NotTheFloat64Data()
    {
        const int N = 1 << 23; // 64 MB of float64 zeros, 32 MB as the float32 matrix
        var path = Path.Combine(RepoPaths.NewTempFolder("fp-npz-large"), "zeros.npz");
        WriteZeros(path, N);
        Assert.InRange(new FileInfo(path).Length, 1, 1 << 20); // deflate: over 100:1

        var before = GC.GetAllocatedBytesForCurrentThread();
        var matrix = NpzFormat.Read(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((1, N), (matrix.TaskCount, matrix.ExampleCount));
        Assert.Equal(0f, matrix[0, N - 1]);
        // The float32 matrix (32 MB) and one 16 MB chunk of float64 data, plus the zip reader's buffers; holding the whole
        // float64 entry would add 64 MB.
        Assert.InRange(allocated, 4L * N, (4L * N) + (24L << 20));
    }

    private static void WriteZeros(string path, int n)
    {
        using var file = File.Create(path);
        using var archive = new ZipArchive(file, ZipArchiveMode.Create);
        using var entry = archive.CreateEntry("z.npy", CompressionLevel.Fastest).Open();
        var dict = $"{{'descr': '<f8', 'fortran_order': False, 'shape': (1, {n}), }}";
        var total = 10 + dict.Length + 1;
        var header = dict + new string(' ', ((total + 63) / 64 * 64) - total) + "\n";
        entry.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, (byte)(header.Length >> 8)]);
        entry.Write(Encoding.ASCII.GetBytes(header));
        var zeros = new byte[1 << 20];
        for (long left = 8L * n; left > 0; left -= zeros.Length)
        {
            entry.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        }
    }
}

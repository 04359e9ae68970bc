using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>Whitespace-separated text as np.savetxt writes it (Debian's numpy), read as a matrix; our text read back by np.loadtxt.</summary>
public class TextMatrixFormatTests
{
    private static readonly Lazy<string> s_files = new(() =>
    {
        var folder = RepoPaths.NewTempFolder("fp-savetxt");
        ExternalTool.RunPython("""
            import os, sys
            import numpy as np
            folder = sys.argv[1]
            rng = np.random.default_rng(3)
            z = rng.normal(0.1, 0.4, size=(6, 11))
            np.savetxt(os.path.join(folder, 'default.txt'), z)
            z.astype(np.float32).tofile(os.path.join(folder, 'default.f32'))
            h = z.copy(); h[1, 2] = np.nan; h[4, 0] = np.nan
            np.savetxt(os.path.join(folder, 'header.dat'), h, fmt='%.7g', header=' '.join(f'ex_{j}' for j in range(11)))
            np.array([float(f'{v:.7g}') for v in h.ravel()]).astype(np.float32).tofile(os.path.join(folder, 'header.f32'))
            np.savetxt(os.path.join(folder, 'tabs.txt'), z, delimiter='\t', comments='# ', header='written by numpy', fmt='%.18e')
            np.savetxt(os.path.join(folder, 'savetxt-named.csv'), z)
            """, folder);
        return folder;
    });

    private static float[] Expected(string name) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(s_files.Value, name + ".f32"))).ToArray();

    [Fact]
    public void Read_NumpySavetxtDefault_GivesNumpysValuesWithNumberedIds()
    {
        // When
        var z = MatrixFile.Read(Path.Combine(s_files.Value, "default.txt"));

        // Then: '%.18e' text of float64, rounded to float32 as numpy's astype does.
        Assert.Equal((6, 11), (z.TaskCount, z.ExampleCount));
        Assert.Equal(Expected("default"), z.Values.ToArray());
        Assert.True(z.TaskIds.IsImplicit);
        Assert.True(z.ExampleIds.IsImplicit);
    }

    [Fact]
    public void Read_SavetxtWithHeaderAndNan_TakesExampleIdsFromTheHeaderAndNanAsMissing()
    {
        var z = MatrixFile.Read(Path.Combine(s_files.Value, "header.dat"));

        Assert.Equal(Enumerable.Range(0, 11).Select(j => $"ex_{j}"), z.ExampleIds);
        Assert.True(float.IsNaN(z[1, 2]));
        Assert.True(float.IsNaN(z[4, 0]));
        Assert.Equal(Expected("header"), z.Values.ToArray());
    }

    [Fact]
    public void Read_TabsAndAHeaderThatIsNotIds_ReadsValuesAndNumbersTheExamples()
    {
        // A '# written by numpy' comment has 3 words for 11 columns: not ids.
        var z = MatrixFile.Read(Path.Combine(s_files.Value, "tabs.txt"));

        Assert.True(z.ExampleIds.IsImplicit);
        Assert.Equal(Expected("default"), z.Values.ToArray());
    }

    [Fact]
    public void Read_SavetxtOutputNamedCsv_ReadsWithTheTxtFormatAndTheCsvErrorSaysSoBriefly()
    {
        var path = Path.Combine(s_files.Value, "savetxt-named.csv");

        var error = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));
        var z = MatrixFile.Read(path, new MatrixReadOptions { Format = "txt" });

        // The header line is 11 x 25 characters; the message shows 80 of them and names the fix.
        Assert.Contains("name the file .txt or pass MatrixReadOptions.Format = txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("...'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadLines(path).First()[..120], error.Message, StringComparison.Ordinal);
        Assert.Equal(Expected("default"), z.Values.ToArray());
    }

    [Fact]
    public void Write_ThenNumpyLoadtxt_GivesTheSameValues()
    {
        // Given: a matrix with example ids and a missing cell.
        var folder = RepoPaths.NewTempFolder();
        var matrix = Core.ForgettingMatrix.Create([0.5f, float.NaN, 1e-7f, -2.25f, 3.5f, 0.1f], 2, 3, null, ["a", "b", "c"]);
        var path = Path.Combine(folder, "z.txt");

        // When
        MatrixFile.Write(matrix, path);
        var numpy = ExternalTool.RunPython("import sys, numpy as np; z = np.loadtxt(sys.argv[1], dtype=np.float32); print(z.shape, repr(z.ravel().tolist()))", path).Trim();
        var back = MatrixFile.Read(path);

        // Then
        Assert.Equal("(2, 3) [0.5, nan, 1.0000000116860974e-07, -2.25, 3.5, 0.10000000149011612]", numpy);
        Assert.Equal(["a", "b", "c"], back.ExampleIds);
        Assert.Equal(matrix.Values.ToArray(), back.Values.ToArray());
        Assert.Contains("not the task ids", Assert.Single(MatrixFile.LossesOnWrite(Core.ForgettingMatrix.Create([1f], 1, 1, ["t"], ["e"]), "txt", MatrixLayout.Wide)), StringComparison.Ordinal);
        Assert.Empty(MatrixFile.LossesOnWrite(matrix, "txt", MatrixLayout.Wide));
    }

    [Theory]
    [InlineData("1 2 3\n4 5\n", 2, "row has 2 values but the first row has 3")]
    [InlineData("# only a comment\n\n", 0, "holds no rows of numbers")]
    [InlineData("1 2\n3 x\n", 2, "'x' is not a number")]
    [InlineData("1;2 3\n", 1, "look delimited by ',' or ';' rather than whitespace")]
    [InlineData("# a a\n1 2\n", 1, "example id 'a' is in the '#' header twice")]
    public void Read_Malformed_IsRefusedNamingTheLine(string text, long line, string expected)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));

        var error = Assert.Throws<ForgettingDataException>(() => TextMatrixFormat.Read(stream, "m.txt"));

        Assert.Equal(line, error.Line);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Echo_CapsLongTextAndLists()
    {
        var text = new string('x', 300);

        Assert.Equal(new string('x', 80) + "...", Echo.Cap(text));
        Assert.Equal("short", Echo.Cap("short"));
        Assert.Equal(new string('x', 80) + "...", Echo.Cap(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.Equal("'a', 'b' and 1 more", Echo.List(["a", "b", "c"], 2));
        Assert.Equal($"'{new string('x', 80)}...'", Echo.Quote(text));
    }
}

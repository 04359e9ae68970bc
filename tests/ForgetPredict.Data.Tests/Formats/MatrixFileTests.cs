using ForgetPredict.Core;
using ForgetPredict.Testing;
using static ForgetPredict.Data.Tests.Formats.FormatTestSupport;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>The format dispatcher: every format by extension and by name, conversions between all pairs, option checks.</summary>
public class MatrixFileTests
{
    [Fact]
    public void Formats_ListsEveryFormatAndExtension()
    {
        Assert.Equal(["npy", "npz", "csv", "tsv", "json", "parquet", "txt"], MatrixFile.Formats.Keys);
        Assert.Equal([".txt", ".dat"], MatrixFile.Formats["txt"]);
        Assert.Equal([".parquet", ".pq"], MatrixFile.Formats["parquet"]);
        Assert.Equal([".tsv", ".tab"], MatrixFile.Formats["tsv"]);
    }

    // MaxCells was enforced by Parquet and long CSV only: an .npy, .npz, wide CSV, JSON or text matrix of any size was read
    // whatever the limit said, and a limit of 0 was accepted.
    [Theory]
    [InlineData("m.npy")]
    [InlineData("m.npz")]
    [InlineData("m.csv")]
    [InlineData("m.tsv")]
    [InlineData("m.json")]
    [InlineData("m.parquet")]
    [InlineData("m.txt")]
    public void Read_MaxCells_IsEnforcedInEveryFormat_ByPathAndByStream(string name)
    {
        var folder = RepoPaths.NewTempFolder();
        var path = Path.Combine(folder, name);
        MatrixFile.Write(Matrix(4, 3, seed: 5), path);
        var limited = new MatrixReadOptions { MaxCells = 11 };

        var byPath = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path, limited));
        Assert.Contains("more than the 11 accepted here (MatrixReadOptions.MaxCells)", byPath.Message, StringComparison.Ordinal);
        using (var stream = File.OpenRead(path))
        {
            var byStream = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(stream, name, limited));
            Assert.Contains("more than the 11 accepted here", byStream.Message, StringComparison.Ordinal);
        }

        Assert.Equal(12, MatrixFile.Read(path, new MatrixReadOptions { MaxCells = 12 }).CellCount);
        Assert.Throws<OptionException>(() => MatrixFile.Read(path, new MatrixReadOptions { MaxCells = 0 }));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Read_MaxCells_TextFormatsStopAtTheRowThatPassesIt()
    {
        // A wide CSV's shape is known only row by row: the row that passes the limit is refused, saying "at least".
        var folder = RepoPaths.NewTempFolder();
        var path = Path.Combine(folder, "m.csv");
        MatrixFile.Write(Matrix(40, 3, seed: 5), path);
        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path, new MatrixReadOptions { MaxCells = 30 }));
        Assert.Contains("the matrix has at least 11 rows of 3 values (33 cells), more than the 30 accepted here", e.Message, StringComparison.Ordinal);

        // JSON's first row fixes the width and is held in a list until it ends: bounded as it grows, not after.
        var json = Path.Combine(folder, "m.json");
        MatrixFile.Write(Matrix(1, 40, seed: 5), json);
        var first = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(json, new MatrixReadOptions { MaxCells = 30 }));
        Assert.Contains("the matrix has at least 1 row of 31 values (31 cells), more than the 30 accepted here", first.Message, StringComparison.Ordinal);
        Assert.Throws<OptionException>(() => Data.Formats.NpzFormat.Read(new MemoryStream(), "m.npz", new MatrixReadOptions { MaxCells = -5 }));
        Directory.Delete(folder, recursive: true);
    }

    public static TheoryData<string, string> Pairs()
    {
        var data = new TheoryData<string, string>();
        string[] names = ["m.npy", "m.npz", "m.csv", "m.tsv", "m.json", "m.parquet"];
        foreach (var a in names)
        {
            foreach (var b in names)
            {
                data.Add(a, b);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Write_ThenConvert_KeepsValuesAndIdsWhereTheFormatCarriesThem(string first, string second)
    {
        // Given
        var folder = RepoPaths.NewTempFolder();
        var matrix = Matrix(4, 12, seed: 21);
        var a = Path.Combine(folder, "a-" + first);
        var b = Path.Combine(folder, "b-" + second);

        // When: write, read, write again, read.
        MatrixFile.Write(matrix, a);
        MatrixFile.Write(MatrixFile.Read(a), b);
        var back = MatrixFile.Read(b);

        // Then: .npy carries no ids; every other format keeps them.
        var expected = first.EndsWith(".npy", StringComparison.Ordinal) || second.EndsWith(".npy", StringComparison.Ordinal) ? matrix.WithIds(IdList.Implicit(4), IdList.Implicit(12)) : matrix;
        AssertSame(expected, back);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void Read_FormatOverride_BeatsTheExtension()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "matrix.txt");
        File.WriteAllText(path, "task\tx\ny\t0.5\n");
        Assert.Equal(0.5f, MatrixFile.Read(path, new MatrixReadOptions { Format = "tsv" })[0, 0]);
        Assert.Equal(0.5f, MatrixFile.Read(path, new MatrixReadOptions { Format = "csv" })[0, 0]);
    }

    // QA: an .npy saved under a .csv name was reported as text that is not UTF-8 ("probably Latin-1").
    [Theory]
    [InlineData("written.npy", "saved.csv", "saved.csv: is a .npy (it starts with numpy's bytes 93 'NUMPY'), not text: name it saved.npy so that it is read as one.")]
    [InlineData("written.npz", "saved.json", "saved.json: is a zip archive, as .npz is (it starts with the bytes 'PK' 03 04), not text: name it saved.npz so that it is read as one.")]
    [InlineData("written.parquet", "saved.tsv", "saved.tsv: is a Parquet file (it starts and ends with 'PAR1'), not text: name it saved.parquet so that it is read as one.")]
    public void Read_ABinaryFormatUnderATextName_IsNamedAsWhatItIs(string written, string saved, string expected)
    {
        var folder = RepoPaths.NewTempFolder();
        MatrixFile.Write(ForgettingMatrix.Create([0.5f, 0.25f, 0.125f, 1f], 2, 2), Path.Combine(folder, written));
        File.Move(Path.Combine(folder, written), Path.Combine(folder, saved));

        var byPath = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(Path.Combine(folder, saved)));
        using var stream = File.OpenRead(Path.Combine(folder, saved));
        var byStream = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(stream, saved));

        Assert.EndsWith(expected, byPath.Message, StringComparison.Ordinal);
        Assert.StartsWith(expected, byStream.Message, StringComparison.Ordinal);
        // A CSV whose header starts with PAR1 is still a CSV.
        File.WriteAllText(Path.Combine(folder, "par.csv"), "PAR1,b\nt,0.5\n");
        Assert.Equal(["b"], MatrixFile.Read(Path.Combine(folder, "par.csv")).ExampleIds);
    }

    [Theory]
    [InlineData("z.xlsx", null, "cannot tell the format from the extension '.xlsx'; use one of .npy, .npz, .csv, .tsv, .tab, .json, .parquet, .pq, .txt, .dat or pass MatrixReadOptions.Format (npy, npz, csv, tsv, json, parquet, txt).")]
    [InlineData("z.csv", "jsn", "unknown format 'jsn'; did you mean 'json'?")]
    public void FormatOf_Unknown_ListsTheKnownOnes(string path, string? format, string expected)
    {
        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.FormatOf(path, format));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("z.npy", MatrixLayout.Long, null, "a layout (long) applies only to CSV/TSV and Parquet files")]
    [InlineData("z.csv", MatrixLayout.Auto, "z", "MatrixReadOptions.Array (array 'z') applies only to .npz archives, but this is read as csv; drop MatrixReadOptions.Array or pass MatrixReadOptions.Format = npz.")]
    public void Read_OptionThatDoesNotApply_IsRefused(string name, MatrixLayout layout, string? array, string expected)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);
        File.WriteAllText(path, "x");
        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path, new MatrixReadOptions { Layout = layout, Array = array }));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    // CheckReadOptions makes Read's own checks of the options from the file's first bytes (the service refuses an upload with
    // it before its job reads the matrix): a contradiction is refused as Read refuses it, in the same words.
    [Theory]
    [InlineData("z.npy", "csv", MatrixLayout.Auto, null)]
    [InlineData("z.npy", "json", MatrixLayout.Auto, null)]
    [InlineData("z.npy", null, MatrixLayout.Long, null)]
    [InlineData("z.npy", null, MatrixLayout.Auto, "z")]
    [InlineData("z.npz", "npy", MatrixLayout.Auto, null)]
    [InlineData("z.parquet", "csv", MatrixLayout.Auto, null)]
    [InlineData("z.csv", null, MatrixLayout.Auto, "z")]
    [InlineData("z.npy", "npz", MatrixLayout.Auto, null)]
    [InlineData("z.npy", "parquet", MatrixLayout.Auto, null)]
    [InlineData("z.npz", "parquet", MatrixLayout.Auto, null)]
    [InlineData("z.parquet", "npz", MatrixLayout.Auto, null)]
    public void CheckReadOptions_RefusesEveryContradictionReadRefuses_InItsWords(string name, string? format, MatrixLayout layout, string? array)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);
        MatrixFile.Write(Matrix(3, 4, 1), path);
        var options = new MatrixReadOptions { Format = format, Layout = layout, Array = array };
        using var stream = File.OpenRead(path);

        var read = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(stream, name, options));
        stream.Position = 0;
        var check = Assert.Throws<ForgettingDataException>(() => MatrixFile.CheckReadOptions(stream, name, options));

        Assert.True(read.ContradictsOption, read.Message);
        Assert.True(check.ContradictsOption, check.Message);
        Assert.Equal(read.Message, check.Message);
        Assert.Equal(0, stream.Position);
    }

    // An .npy or .npz read as another binary format (--format npz, --format parquet) had been "not a valid .npz (zip) archive:
    // End of Central Directory record could not be found" or "does not start and end with the Parquet magic": now the file is
    // said to be what it is, and the fix is the option (named as it is) or the name (named as another).
    [Theory]
    [InlineData("z.npy", "z.npy", "npz", "z.npy: is a .npy (it starts with numpy's bytes 93 'NUMPY') and named as one, so not an .npz: drop MatrixReadOptions.Format so that it is read as its extension says.", true)]
    [InlineData("z.npy", "z.npy", "parquet", "z.npy: is a .npy (it starts with numpy's bytes 93 'NUMPY') and named as one, so not Parquet: drop MatrixReadOptions.Format", true)]
    [InlineData("z.npz", "z.npz", "parquet", "z.npz: is a zip archive, as .npz is (it starts with the bytes 'PK' 03 04) and named as one, so not Parquet: drop MatrixReadOptions.Format", true)]
    [InlineData("z.npz", "z.parquet", null, "z.parquet: is a zip archive, as .npz is (it starts with the bytes 'PK' 03 04), not Parquet: name it z.npz so that it is read as one.", false)]
    [InlineData("z.parquet", "z.npz", null, "z.npz: is a Parquet file (it starts and ends with 'PAR1'), not an .npz: name it z.parquet so that it is read as one.", false)]
    public void ABinaryFileReadAsAnotherBinaryFormat_IsSaidToBeWhatItIs(string written, string name, string? format, string message, bool contradictsOption)
    {
        var folder = RepoPaths.NewTempFolder();
        MatrixFile.Write(Matrix(3, 4, 1), Path.Combine(folder, written));
        File.Move(Path.Combine(folder, written), Path.Combine(folder, "renamed"));
        File.Move(Path.Combine(folder, "renamed"), Path.Combine(folder, name));
        var path = Path.Combine(folder, name);

        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path, new MatrixReadOptions { Format = format }));

        Assert.True(e.Message.StartsWith(Path.Combine(folder, message), StringComparison.Ordinal), e.Message);
        Assert.Equal(contradictsOption, e.ContradictsOption);
    }

    // Bad data is not a setting: a malformed .npy, or an .npy named z.csv (the name, not an option, is wrong), is left to Read.
    [Fact]
    public void CheckReadOptions_LeavesBadDataToRead_AndTheStreamWhereItWas()
    {
        var folder = RepoPaths.NewTempFolder();
        MatrixFile.Write(Matrix(3, 4, 1), Path.Combine(folder, "z.npy"));
        var npy = File.ReadAllBytes(Path.Combine(folder, "z.npy"));
        foreach (var (name, bytes, format) in new[] { ("z.npy", "xx not an npy file at all"u8.ToArray(), "npy"), ("z.csv", [.. "xx"u8, .. npy], "csv"), ("z.bin", [.. "xx"u8, .. npy], "npy") })
        {
            using var stream = new MemoryStream(bytes) { Position = 2 };
            Assert.Equal(format, MatrixFile.CheckReadOptions(stream, name, new MatrixReadOptions { Format = name == "z.bin" ? "npy" : null }));
            Assert.Equal(2, stream.Position);
        }

        Assert.False(Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(new MemoryStream(npy), "z.csv")).ContradictsOption);
    }

    [Fact]
    public void Write_LongLayoutToNpy_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => MatrixFile.Write(Matrix(2, 2, 1), Path.Combine(RepoPaths.NewTempFolder(), "z.npy"), new MatrixWriteOptions { Layout = MatrixLayout.Long }));
        Assert.Contains("long layout applies only to CSV/TSV and Parquet output", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_FailingMidway_LeavesNoFileBehind()
    {
        var folder = RepoPaths.NewTempFolder();
        var path = Path.Combine(folder, "z.csv");
        Assert.Throws<ArgumentException>(() => MatrixFile.Write(Matrix(2, 2, 1), path, new MatrixWriteOptions { TaskColumn = "", Layout = MatrixLayout.Long }));
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void Read_BundledCharlmBAsEveryFormat_IsTheSameMatrix()
    {
        var folder = RepoPaths.NewTempFolder();
        var z = MatrixFile.Read(RepoPaths.Data("charlm-b", "z.npy"));
        foreach (var name in new[] { "z.npz", "z.csv", "z.tsv", "z.json", "z.parquet" })
        {
            var path = Path.Combine(folder, name);
            MatrixFile.Write(z, path);
            AssertSame(z, MatrixFile.Read(path));
        }

        var longPath = Path.Combine(folder, "long.csv");
        MatrixFile.Write(z, longPath, new MatrixWriteOptions { Layout = MatrixLayout.Long });
        AssertSame(z, MatrixFile.Read(longPath));
    }
}

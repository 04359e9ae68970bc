using System.Text;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>.npy conformance against numpy (Debian's python3-numpy) and refusal of bad files.</summary>
[Collection(nameof(AllocationMeasurements))]
public class NpyFormatTests
{
    public static TheoryData<string, string> NumpyVariants() => new()
    {
        { "float32 C order", "a.astype('<f4')" },
        { "float64", "a.astype('<f8')" },
        { "big-endian float32", "a.astype('>f4')" },
        { "big-endian float64", "a.astype('>f8')" },
        { "float16", "a.astype('<f2')" },
        { "Fortran order float32", "np.asfortranarray(a.astype('<f4'))" },
        { "Fortran order float64 big-endian", "np.asfortranarray(a.astype('>f8'))" },
        { "int32", "(a * 100).astype('<i4')" },
        { "int64 big-endian", "(a * 100).astype('>i8')" },
        { "uint8", "(np.abs(a) * 10).astype('u1')" },
        { "bool", "a > 0" },
    };

    [Theory]
    [MemberData(nameof(NumpyVariants))]
    public void Read_FileWrittenByNumpy_MatchesNumpyValues(string name, string expression)
    {
        // numpy writes the file and, separately, the float32 values it holds (after numpy's own cast).
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "m.npy");
        var expectedPath = Path.Combine(dir, "expected.f32");
        ExternalTool.RunPython($$"""
            import numpy as np, sys
            rng = np.random.default_rng(3)
            a = rng.normal(0.03, 0.2, size=(7, 13))
            a[2, 5] = np.nan
            x = {{expression}}
            np.save(sys.argv[1], x)
            np.ascontiguousarray(x.astype('<f4')).tofile(sys.argv[2])
            """, path, expectedPath);
        var matrix = NpyFormat.Read(path);
        var expected = File.ReadAllBytes(expectedPath);
        var expectedValues = new float[expected.Length / 4];
        Buffer.BlockCopy(expected, 0, expectedValues, 0, expected.Length);
        Assert.True(matrix.TaskCount == 7 && matrix.ExampleCount == 13, name);
        Assert.Equal(expectedValues, matrix.Values.ToArray());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Read_FormatVersions2And3_AreSupported(int version)
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "v.npy");
        ExternalTool.RunPython($$"""
            import numpy as np, sys
            from numpy.lib import format
            a = np.arange(12, dtype='<f4').reshape(3, 4)
            with open(sys.argv[1], 'wb') as f:
                format.write_array(f, a, version=({{version}}, 0))
            """, path);
        var matrix = NpyFormat.Read(path);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), matrix.Values.ToArray());
    }

    [Fact]
    public void Write_IsReadBackByNumpyWithIdenticalValues()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "ours.npy");
        var values = new float[] { 0.5f, float.NaN, -1.25f, 3e-8f, 1e30f, 0f };
        using (var stream = File.Create(path))
        {
            NpyFormat.Write(ForgettingMatrix.Create(values, 2, 3), stream);
        }

        var printed = ExternalTool.RunPython("""
            import numpy as np, sys
            a = np.load(sys.argv[1], allow_pickle=False)
            assert a.dtype == np.float32 and a.shape == (2, 3), (a.dtype, a.shape)
            print(a.astype('<f4').tobytes().hex())
            """, path);
        var ours = Convert.ToHexStringLower(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        Assert.Equal(ours, printed.Trim());
    }

    [Fact]
    public void Read_ObjectArray_IsRefusedWithoutUnpickling()
    {
        var path = WriteNumpy("np.save(sys.argv[1], np.array([[{'a': 1}]], dtype=object), allow_pickle=True)");
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path));
        Assert.Contains("object array", e.Message, StringComparison.Ordinal);
        Assert.Contains("never unpickles", e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Truncated_IsRefusedBeforeAllocating()
    {
        var path = WriteNumpy("np.save(sys.argv[1], np.zeros((40, 50), dtype='<f4'))");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^7]);
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.Contains("(40, 50)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HeaderClaimingHugeShape_IsRefusedWithoutAllocating()
    {
        // A 200-byte file whose header claims 100000 x 100000 float32 (40 GB).
        var path = Path.Combine(RepoPaths.NewTempFolder(), "huge.npy");
        File.WriteAllBytes(path, Header("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }").Concat(new byte[64]).ToArray());
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path));
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 1_000_000);
        Assert.Contains("40000000000 bytes of data", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<f8", "(2147483647, 2147483647)", "36893488113059364872 bytes of data")]
    [InlineData("<f4", "(3037000500, 3037000500)", "out of range")]
    [InlineData("<f2", "(2147483647, 2147483647)", "9223372028264841218 bytes of data")]
    public void Read_HeaderWhoseByteCountOverflowsLong_IsRefused(string descr, string shape, string expected)
    {
        // Shapes whose byte count does not fit in a long must be refused as data errors, not overflow.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "overflow.npy");
        File.WriteAllBytes(path, Header($"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}").Concat(new byte[64]).ToArray());
        Assert.Contains(expected, Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OneDimensionalArray_IsRefusedWithReshapeHint()
    {
        var path = WriteNumpy("np.save(sys.argv[1], np.zeros(5, dtype='<f4'))");
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path));
        Assert.Contains("shape (5,)", e.Message, StringComparison.Ordinal);
        Assert.Contains("reshape(1, -1)", e.Message, StringComparison.Ordinal);

        // A 3-D array is not a single task: it is told to save one matrix per file (the 1-D hint had been given to it too).
        var cube = WriteNumpy("np.save(sys.argv[1], np.zeros((2, 3, 4), dtype='<f4'))");
        var three = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(cube));
        Assert.Contains("shape (2, 3, 4)", three.Message, StringComparison.Ordinal);
        Assert.Contains("Save one 2-D matrix per file (e.g. arr[0], or arr.reshape(arr.shape[0], -1)", three.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("reshape(1, -1)", three.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Infinity_IsRefusedNamingTheCell()
    {
        var path = WriteNumpy("a = np.zeros((3, 4), dtype='<f8'); a[1, 2] = np.inf; np.save(sys.argv[1], a)");
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path));
        Assert.Contains("task 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("example 2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("'<f8'", "1e300")]
    [InlineData("'>f8'", "-4e38")]
    public void Read_Float64BeyondFloat32Range_IsRefusedNamingTheCellAndTheRange(string dtype, string value)
    {
        // Given: a finite float64 that float32 cannot hold (CSV says the same of such a cell).
        var path = WriteNumpy($"a = np.zeros((3, 4), dtype={dtype}); a[1, 2] = {value}; a[2, 3] = 1e300; np.save(sys.argv[1], a)");

        // Then: the first such cell, its value and the range, not "is Infinity".
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path));
        Assert.StartsWith($"{path}: cell (task 1, example 2) is {double.Parse(value, System.Globalization.CultureInfo.InvariantCulture):R}, beyond float32's range", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Float64BeyondFloat32Range_InFortranOrder_NamesTheSameCell()
    {
        var path = WriteNumpy("a = np.zeros((3, 4), dtype='<f8'); a[2, 1] = 1e300; np.save(sys.argv[1], np.asfortranarray(a))");
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path));
        Assert.Contains("cell (task 2, example 1) is 1E+300, beyond float32's range", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Float64AllBelowFloat32Scale_IsRefusedNamingTheFileAndTheFix()
    {
        // Given: forgetting in units that make every value ~1e-40 (float32 subnormals keep a few bits of each).
        var path = WriteNumpy("rng = np.random.default_rng(0); np.save(sys.argv[1], rng.random((3, 4)) * 1e-40)");
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path));
        Assert.StartsWith($"{path}: Every observed value is below 1.2e-38 in magnitude", e.Message, StringComparison.Ordinal);
        Assert.Contains("multiply by 1e30", e.Message, StringComparison.Ordinal);

        // The same values times 1e30 read, and so does a matrix whose tiny values sit beside ones that carry the scale.
        Assert.Equal(12, NpyFormat.Read(WriteNumpy("rng = np.random.default_rng(0); np.save(sys.argv[1], rng.random((3, 4)) * 1e-10)")).CellCount);
    }

    // Values below float32's smallest subnormal became 0: the matrix read as all zeros, refused later as "constant, -0".
    [Fact]
    public void Read_Float64AllBelowFloat32Subnormals_IsRefusedAsUnderflow_NotAsAConstantMatrix()
    {
        var path = WriteNumpy("rng = np.random.default_rng(0); a = rng.random((3, 4)) * 1e-300; a[0, 0] = np.nan; a[1, 1] = 0; np.save(sys.argv[1], a)");
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path));
        Assert.Contains("which float32 reads as 0. Rescale the values", e.Message, StringComparison.Ordinal);

        // A few tiny values beside ones that carry the scale become 0 unremarked, as float32 holds the matrix.
        var mixed = NpyFormat.Read(WriteNumpy("a = np.ones((2, 2)); a[0, 1] = 1e-300; np.save(sys.argv[1], a)"));
        Assert.Equal(0f, mixed[0, 1]);
    }

    [Fact]
    public void Read_NaN_IsAMissingCell()
    {
        var path = WriteNumpy("a = np.ones((2, 2), dtype='<f4'); a[0, 1] = np.nan; np.save(sys.argv[1], a)");
        var m = NpyFormat.Read(path);
        Assert.Equal(1, m.MissingCount);
        Assert.True(float.IsNaN(m[0, 1]));
    }

    [Fact]
    public void Read_LargeFloat32_ReadInPartsIsExact()
    {
        // 3 x 3,000,001 float32 (36 MB: past the size read in parallel parts, with a part boundary inside a row): every
        // value distinct, NaN cells kept, the stream left at the end.
        const int Columns = 3_000_001;
        var values = new float[3L * Columns];
        for (var c = 0; c < values.Length; c++)
        {
            values[c] = c % 1_000_003 == 7 ? float.NaN : c * 0.25f;
        }

        var path = Path.Combine(RepoPaths.NewTempFolder(), "large.npy");
        using (var stream = File.Create(path))
        {
            NpyFormat.WriteArray(stream, values, [3, Columns]);
        }

        var m = NpyFormat.Read(path);
        Assert.Equal(values, m.Values.ToArray());
        Assert.Equal(values.Count(float.IsNaN), m.MissingCount);
    }

    [Theory]
    [InlineData("not a numpy file at all", "\\x93NUMPY magic")]
    [InlineData("", "too short")]
    public void Read_NotNpy_IsRefused(string content, string expected)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "x.npy");
        File.WriteAllText(path, content);
        Assert.Contains(expected, Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (1, 1), }", "dtype '<c8' is not supported")]
    [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1), }", "structured")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)", "malformed .npy header")]
    [InlineData("{'descr': '<f4', 'shape': (1, 1), }", "fortran_order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", "shape (1, 2, 3)")]
    public void Read_BadHeader_IsRefusedNamingTheProblem(string header, string expected)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "bad.npy");
        File.WriteAllBytes(path, Header(header).Concat(new byte[8]).ToArray());
        Assert.Contains(expected, Assert.Throws<ForgettingDataException>(() => NpyFormat.Read(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFile_IsADataError()
    {
        var e = Assert.Throws<ForgettingDataException>(() => NpyFormat.Read("/nonexistent/z.npy"));
        Assert.Contains("cannot open", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BundledCharlmB_HasItsDocumentedShape()
    {
        var m = NpyFormat.Read(RepoPaths.Data("charlm-b", "z.npy"));
        Assert.Equal((47, 2400), (m.TaskCount, m.ExampleCount));
        Assert.Equal(0, m.MissingCount);
    }

    private static byte[] Header(string dict)
    {
        var total = 10 + dict.Length + 1;
        var padded = (total + 63) / 64 * 64;
        var text = dict + new string(' ', padded - total) + "\n";
        var prefix = new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(text.Length & 0xFF), (byte)(text.Length >> 8) };
        return prefix.Concat(Encoding.ASCII.GetBytes(text)).ToArray();
    }

    private static string WriteNumpy(string statement)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "f.npy");
        ExternalTool.RunPython("import numpy as np, sys\n" + statement, path);
        return path;
    }
}

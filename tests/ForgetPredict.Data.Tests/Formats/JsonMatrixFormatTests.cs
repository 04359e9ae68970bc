using System.Text;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;
using static ForgetPredict.Data.Tests.Formats.FormatTestSupport;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>JSON matrices: our layout and pandas' orient='split', streaming over small buffers, refusals naming the JSON path.</summary>
public class JsonMatrixFormatTests
{
    [Fact]
    public void Read_TasksExamplesValues_WithNullForMissing()
    {
        var m = ReadText("""{"tasks": ["a", "b"], "examples": ["x", 7, "z"], "values": [[0.5, null, 1e-3], [1, 2, "NaN"]]}""", "m.json");
        Assert.Equal(["a", "b"], m.TaskIds);
        Assert.Equal(["x", "7", "z"], m.ExampleIds);
        AssertSameValues([0.5f, float.NaN, 0.001f, 1f, 2f, float.NaN], m.Values);
    }

    [Fact]
    public void Write_NegativeZero_KeepsItsSign_WhenPythonReadsIt()
    {
        // "-0" is the integer 0 to Python's json; the matrix's -0.0 must come back as -0.0.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "z.json");
        MatrixFile.Write(ForgettingMatrix.Create([-0f, 0f, -1.5f, float.NaN], 2, 2), path);

        var signs = ExternalTool.RunPython("import json, math, sys\nv = json.load(open(sys.argv[1]))['data']\nprint([[math.copysign(1, x) if x is not None else None for x in row] for row in v], type(v[0][0]).__name__)", path);

        Assert.Equal("[[-1.0, 1.0], [-1.0, None]] float", signs.Trim());
        AssertSameValues([-0f, 0f, -1.5f, float.NaN], MatrixFile.Read(path).Values);
    }

    [Fact]
    public void Read_WithoutIds_GetsImplicitIds()
    {
        var m = ReadText("""{"values": [[1, 2], [3, 4]]}""", "m.json");
        Assert.True(m.TaskIds.IsImplicit && m.ExampleIds.IsImplicit);
        Assert.Equal([1f, 2f, 3f, 4f], m.Values.ToArray());
    }

    [Fact]
    public void Read_LargeFile_StreamsAcrossBufferRefills()
    {
        // Given: a 300 x 2,000 matrix (about 5 MB of JSON, several 1 MiB buffers), BOM, CRLF and indentation.
        var matrix = Matrix(300, 2000, seed: 4);
        using var stream = new MemoryStream();
        JsonMatrixFormat.Write(matrix, stream);
        var text = "\uFEFF" + Encoding.UTF8.GetString(stream.ToArray()).Replace("],[", "],\r\n    [", StringComparison.Ordinal);

        // When / Then
        AssertSame(matrix, ReadText(text, "m.json"));
    }

    [Fact]
    public void Read_ErrorsAfterManyBufferRefills_NameTheRightLine()
    {
        // Given: one row per line, 5 MB of JSON; row 250 is ragged, and, separately, the file breaks off on line 301.
        var rows = Enumerable.Range(0, 300).Select(i => "[" + string.Join(",", Enumerable.Range(0, 2000).Select(j => (i * j % 97 / 100.0).ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]").ToList();
        var ragged = rows.ToList();
        ragged[249] = "[1]";

        var e = Refusal("{\"values\": [\n" + string.Join(",\n", ragged) + "\n]}", "m.json");
        Assert.Equal((251L, "values[249]"), (e.Line, e.Location));

        var broken = Refusal("{\"values\": [\n" + string.Join(",\n", rows) + ",\n[1, 2 x", "m.json");
        Assert.Contains("not valid JSON", broken.Message, StringComparison.Ordinal);
        Assert.Equal(302L, broken.Line);
    }

    [Theory]
    [InlineData("""{"values": [[1, 2], [3]]}""", "values[1] has 1 values but values[0] has 2", "values[1]")]
    [InlineData("""{"values": [[1, 2], [3, 4, 5]]}""", "values[1] has more than 2 values but values[0] has 2", "values[1]")]
    [InlineData("""{"values": [[1, "x"]]}""", "'x' is a string; cells must be numbers", "values[0][1]")]
    [InlineData("""{"values": [[1, 1e39]]}""", "'1e39' is infinite", "values[0][1]")]
    [InlineData("""{"values": [[1, [2]]]}""", "found an array; cells must be numbers", "values[0][1]")]
    [InlineData("""{"values": [1, 2]}""", "values[0] is a number; each row must be an array", "values[0]")]
    [InlineData("""{"values": [[]]}""", "values[0] is empty", "values[0]")]
    [InlineData("""{"values": []}""", "\"values\" has no rows", "values")]
    [InlineData("""{"tasks": ["a"], "values": [[1], [2]]}""", "\"tasks\" has 1 ids but \"values\" has 2 rows", "tasks")]
    [InlineData("""{"examples": ["a", "a"], "values": [[1, 2]]}""", "Id 'a' appears twice, at positions 0 and 1; ids must be unique. Fix the \"tasks\"/\"examples\" ids.", null)]
    [InlineData("""{"examples": ["3", "3.0"], "values": [[1, 2]]}""", "Ids '3' and '3.0' (positions 0 and 1) are one number written two ways", null)]
    [InlineData("""{"values": [[1e-40, 2e-40]]}""", "Rescale the values (e.g. multiply by 1e30); predictions scale with the data.", null)]
    [InlineData("""{"tasks": [null], "values": [[1]]}""", "tasks[0] is null; ids must be strings or numbers", "tasks[0]")]
    [InlineData("""{"values": [[1]], "data": [[2]]}""", "\"data\" is given twice (or together with its alias)", null)]
    [InlineData("""{"tasks": ["a"]}""", "has no \"values\" array", null)]
    [InlineData("""[1, 2]""", "[0] is a number; each row must be an array", "[0]")]
    [InlineData("""[[1, 2], [3]]""", "[1] has 1 values but [0] has 2", "[1]")]
    [InlineData("""[]""", "the list has no rows", null)]
    [InlineData("""[[1, 2]] [[3]]""", "not valid JSON", null)]
    [InlineData("\"z\"", "expected a JSON object {\"tasks\": [...], \"examples\": [...], \"values\": [[...], ...]} or a list of rows [[...], ...] but it starts with a string; write df.to_json(orient='split'), or that form.", null)]
    // pandas' other orients: 'records' (a list of objects), the default 'columns' and 'index' (an object of objects).
    [InlineData("""[{"a": 0.1, "b": 0.2}]""", "[0] is an object; each row must be an array of numbers (null for a missing cell). Rows of records are pandas' orient='table' or 'records' JSON, or polars' write_json(): write df.to_json(orient='split')", "[0]")]
    [InlineData("""{"a": {"t1": 0.1, "t2": 0.2}, "b": {"t1": 0.3, "t2": 0.4}}""", "holds an object of objects (under 'a'), as pandas' default df.to_json() writes a frame (orient='columns', or 'index'), which is not a matrix form read here; write df.to_json(orient='split'), or the {\"tasks\": [...], \"examples\": [...], \"values\": [[...]]} form.", "a")]
    [InlineData("", "the file is empty", null)]
    [InlineData("""{"values": [[1, 2]]} {}""", "the file is not valid JSON ('{' is invalid after a single JSON value", null)]
    // A misspelt key lost its data silently; pandas' orient='table' is named with the orients that are read.
    [InlineData("""{"tasks": ["t1"], "values": [[1, 2]], "valuez": 1}""", "unknown key 'valuez'; did you mean 'values'? A matrix is {\"tasks\": [...], \"examples\": [...], \"values\": [[...]]}", "valuez")]
    [InlineData("""{"schema": {"fields": []}, "data": [{"index": "t1", "a": 0.1}]}""", "holds pandas' orient='table' JSON (a \"schema\" and a record per row), which is not a matrix form read here; write df.to_json(orient='split')", "schema")]
    [InlineData("""{"data": [{"index": "t1", "a": 0.1}]}""", "data[0] is an object; each row must be an array of numbers (null for a missing cell). Rows of records are pandas' orient='table' or 'records' JSON, or polars' write_json(): write df.to_json(orient='split')", "data[0]")]
    [InlineData(" \n ", "the file is empty", null)]
    // QA (a polars user): a long table a record per line (write_ndjson) was told "unknown key 'task'; did you mean 'tasks'?".
    [InlineData("{\"task\": \"t1\", \"example\": 0, \"value\": 0.5}\n{\"task\": \"t1\", \"example\": 1, \"value\": 0.25}\n", "holds a record with key 'task', as a table written a record per line (JSON Lines: polars' write_ndjson(), pandas' to_json(orient='records', lines=True)) holds, which is not a matrix form read here; write the table as Parquet or CSV, which are read in its layout, wide or long (polars: df.write_parquet(path)", "task")]
    public void Read_BadJson_IsRefusedNamingThePath(string text, string expected, string? location)
    {
        var e = Refusal(text, "m.json");
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(location, e.Location);
    }

    [Fact]
    public void Read_AMatrixTooSmallForSinglePrecision_IsNotToldToFixItsIds()
    {
        var e = Refusal("""{"tasks": ["a"], "values": [[1e-40, 2e-40]]}""", "m.json");
        Assert.EndsWith("predictions scale with the data.", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"values\": [[1, NaN]]}", "m.json:1: character 17: NaN and Infinity are not JSON (Python's json.dump writes them bare); write null for a missing cell", 1)]
    [InlineData("{\"values\":\n [[1, Infinity]]}", "m.json:2: character 7: NaN and Infinity are not JSON", 2)]
    [InlineData("{\n\"values\": [[1, 2],\n [3, 4]\n", "not valid JSON", 4)]
    [InlineData("{\"values\": [[1, 2]}", "not valid JSON", 1)]
    public void Read_InvalidJson_IsRefusedWithLine(string text, string expected, long line)
    {
        var e = Refusal(text, "m.json");
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(line, e.Line);
        Assert.DoesNotContain("LineNumber", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_PandasSplitOrient_AndOursReadByPython_AgreeWithNumpy()
    {
        // Given: pandas writes orient='split' (NaN as null), and so do we.
        var folder = RepoPaths.NewTempFolder();
        var ours = Matrix(4, 9, seed: 8);
        var oursPath = Path.Combine(folder, "ours.json");
        MatrixFile.Write(ours, oursPath);
        ExternalTool.RunPython(FormatTestSupport.PythonHelpers + """

            folder, ours = sys.argv[1], sys.argv[2]
            rng = np.random.default_rng(2)
            z = rng.normal(size=(3, 5)).astype(np.float32)
            z[1, 1] = np.nan
            df = pd.DataFrame(z, index=['a', 'b', 'c'], columns=['v', 'w', 'x', 'y', 'z'])
            df.to_json(os.path.join(folder, 'split.json'), orient='split', double_precision=15)
            dump(folder, 'split', df)
            back = pd.read_json(ours, orient='split', dtype=np.float64)
            dump(folder, 'ours_back', back)
            """, folder, oursPath);

        // When / Then: pandas' float32 -> float64 text at 15 digits reads back to the same float32.
        AssertSame(Expected(folder, "split"), MatrixFile.Read(Path.Combine(folder, "split.json")));
        AssertSame(ours, Expected(folder, "ours_back"));
    }

    [Fact]
    public void Read_ABareListOfRows_AsPythonAndPandasWriteIt_IsAMatrixWithNumberedIds()
    {
        // Given: json.dump(z.tolist()) and df.to_json(orient='values') of a matrix with a NaN.
        var folder = RepoPaths.NewTempFolder();
        ExternalTool.RunPython("""
            import json, os, sys
            import numpy as np, pandas as pd
            z = np.array([[0.5, 0.25, 1e-3], [1.0, np.nan, 2.0]])
            with open(os.path.join(sys.argv[1], 'list.json'), 'w') as f:
                json.dump(np.where(np.isnan(z), None, z).tolist(), f)
            pd.DataFrame(z, index=['a', 'b'], columns=['x', 'y', 'w']).to_json(os.path.join(sys.argv[1], 'values.json'), orient='values')
            """, folder);

        foreach (var name in new[] { "list.json", "values.json" })
        {
            var m = MatrixFile.Read(Path.Combine(folder, name));

            Assert.True(m.TaskIds.IsImplicit && m.ExampleIds.IsImplicit, name);
            AssertSameValues([0.5f, 0.25f, 0.001f, 1f, float.NaN, 2f], m.Values);
        }
    }

    [Fact]
    public void Write_ImplicitIds_AreOmitted_AndWholeValuesAreFloats()
    {
        using var stream = new MemoryStream();
        JsonMatrixFormat.Write(ForgettingMatrix.Create([1f, float.NaN, 0.1f, -2.5e-7f], 2, 2), stream);
        Assert.Equal("""{"data":[[1.0,null],[0.1,-2.5E-07]]}""", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void Write_IsPandasSplitOrientation_ExamplesAsColumns_TasksAsIndex()
    {
        using var stream = new MemoryStream();
        JsonMatrixFormat.Write(ForgettingMatrix.Create([1f, float.NaN, 0.5f, 2f], 2, 2, ["t1", "t2"], ["3", "x"]), stream);
        Assert.Equal("""{"columns":["3","x"],"index":["t1","t2"],"data":[[1.0,null],[0.5,2.0]]}""", Encoding.UTF8.GetString(stream.ToArray()));
    }

    // The reader users have: pd.read_json(path, orient="split") gives the frame (tasks as rows, examples as columns, NaN for a
    // missing cell), with integer ids as int64 labels; without ids, a RangeIndex.
    [Fact]
    public void Write_ReadsBackInPandas_WithOrientSplit()
    {
        var folder = RepoPaths.NewTempFolder();
        var named = Path.Combine(folder, "named.json");
        var plain = Path.Combine(folder, "plain.json");
        MatrixFile.Write(ForgettingMatrix.Create([1f, float.NaN, 0.5f, 2f, 0.25f, 3f], 2, 3, ["t1", "t2"], ["10", "3", "40"]), named);
        MatrixFile.Write(ForgettingMatrix.Create([1f, float.NaN, 0.5f, 2f], 2, 2), plain);

        var output = ExternalTool.RunPython(
            """
            import sys
            import pandas as pd
            for path in sys.argv[1:]:
                frame = pd.read_json(path, orient="split")
                print(list(frame.index), list(frame.columns), frame.columns.dtype, frame.isna().sum().sum(), frame.to_numpy().tolist())
            """,
            named,
            plain);

        Assert.Equal(
            "['t1', 't2'] [10, 3, 40] int64 1 [[1.0, nan, 0.5], [2.0, 0.25, 3.0]]\n[0, 1] [0, 1] int64 1 [[1.0, nan], [0.5, 2.0]]",
            output.Trim().ReplaceLineEndings("\n"));
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>Fixtures and comparisons shared by the format tests.</summary>
internal static class FormatTestSupport
{
    /// <summary>A seeded M x N float32 matrix with about <paramref name="missing"/> NaN cells and explicit ids (some needing CSV quoting).</summary>
    public static ForgettingMatrix Matrix(int tasks, int examples, int seed, double missing = 0.1, bool awkwardIds = true)
    {
        var random = new Random(seed);
        var values = new float[tasks * examples];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.NextDouble() < missing ? float.NaN : (float)((random.NextDouble() - 0.2) * Math.Pow(10, random.Next(-6, 2)));
        }

        var taskIds = Enumerable.Range(0, tasks).Select(i => awkwardIds && i == 1 ? "tâche, \"deux\"" : string.Create(CultureInfo.InvariantCulture, $"task-{i}")).ToArray();
        var exampleIds = Enumerable.Range(0, examples).Select(j => awkwardIds && j == 2 ? "ex\nmulti-line" : string.Create(CultureInfo.InvariantCulture, $"ex{j}")).ToArray();
        return ForgettingMatrix.Wrap(values, tasks, examples, taskIds, exampleIds);
    }

    /// <summary>Asserts equal shapes, ids and bit-identical values (NaN equal to NaN).</summary>
    public static void AssertSame(ForgettingMatrix expected, ForgettingMatrix actual)
    {
        Assert.Equal((expected.TaskCount, expected.ExampleCount), (actual.TaskCount, actual.ExampleCount));
        Assert.Equal(expected.TaskIds.ToArray(), actual.TaskIds.ToArray());
        Assert.Equal(expected.ExampleIds.ToArray(), actual.ExampleIds.ToArray());
        AssertSameValues(expected.Values, actual.Values);
    }

    /// <summary>Asserts the same ids (in any order) and bit-identical values for every (task id, example id) cell.</summary>
    public static void AssertSameCells(ForgettingMatrix expected, ForgettingMatrix actual)
    {
        Assert.Equal(expected.TaskIds.Order(StringComparer.Ordinal), actual.TaskIds.Order(StringComparer.Ordinal));
        Assert.Equal(expected.ExampleIds.Order(StringComparer.Ordinal), actual.ExampleIds.Order(StringComparer.Ordinal));
        var reordered = new float[expected.CellCount];
        for (var i = 0; i < expected.TaskCount; i++)
        {
            var ai = actual.TaskIds.IndexOf(expected.TaskIds[i]);
            for (var j = 0; j < expected.ExampleCount; j++)
            {
                reordered[(i * expected.ExampleCount) + j] = actual[ai, actual.ExampleIds.IndexOf(expected.ExampleIds[j])];
            }
        }

        AssertSameValues(expected.Values, reordered);
    }

    /// <summary>Asserts bit-identical float32 values, except that any NaN equals any NaN; names the first difference.</summary>
    public static void AssertSameValues(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var same = float.IsNaN(expected[i]) ? float.IsNaN(actual[i]) : BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]);
            if (!same)
            {
                throw new Xunit.Sdk.XunitException(string.Create(CultureInfo.InvariantCulture, $"Value {i} differs: expected {expected[i]:R}, actual {actual[i]:R}."));
            }
        }
    }

    /// <summary>Reads a raw little-endian float32 file.</summary>
    public static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    /// <summary>Reads {"tasks": [...], "examples": [...]} as two string arrays.</summary>
    public static (string[] Tasks, string[] Examples) ReadIds(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return (
            doc.RootElement.GetProperty("tasks").EnumerateArray().Select(e => e.GetString()!).ToArray(),
            doc.RootElement.GetProperty("examples").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    /// <summary>The expected matrix python wrote as NAME.f32 and NAME.ids.json in <paramref name="folder"/>.</summary>
    public static ForgettingMatrix Expected(string folder, string name)
    {
        var (tasks, examples) = ReadIds(Path.Combine(folder, name + ".ids.json"));
        return ForgettingMatrix.Wrap(ReadFloats(Path.Combine(folder, name + ".f32")), tasks.Length, examples.Length, tasks, examples);
    }

    /// <summary>Reads a matrix from text through <see cref="MatrixFile"/>, as if it were a file called <paramref name="name"/>.</summary>
    public static ForgettingMatrix ReadText(string text, string name = "m.csv", MatrixReadOptions? options = null)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return MatrixFile.Read(stream, name, options);
    }

    /// <summary>The message of the <see cref="ForgettingDataException"/> reading <paramref name="text"/> throws.</summary>
    public static ForgettingDataException Refusal(string text, string name = "m.csv", MatrixReadOptions? options = null) =>
        Assert.Throws<ForgettingDataException>(() => ReadText(text, name, options));

    /// <summary>Reads a matrix from text through a stream that cannot seek (the readers' one-pass paths).</summary>
    public static ForgettingMatrix ReadForwardOnly(string text, string name = "m.csv", MatrixReadOptions? options = null)
    {
        using var stream = new ForwardOnlyStream(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        return MatrixFile.Read(stream, name, options);
    }

    /// <summary>Python code that writes a frame's float32 values and ids for <see cref="Expected"/>.</summary>
    public const string PythonHelpers = """
        import json, os, sys
        import numpy as np, pandas as pd
        def expect(folder, name, values, tasks, examples):
            np.ascontiguousarray(np.asarray(values, dtype=np.float32)).astype('<f4').tofile(os.path.join(folder, name + '.f32'))
            with open(os.path.join(folder, name + '.ids.json'), 'w', encoding='utf-8') as f:
                json.dump({'tasks': [str(t) for t in tasks], 'examples': [str(e) for e in examples]}, f)
        def dump(folder, name, frame):
            expect(folder, name, frame.values, frame.index, frame.columns)
        """;
}

/// <summary>A read-only view of a stream that cannot seek or report its length, like a pipe or a network response.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 4096));

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

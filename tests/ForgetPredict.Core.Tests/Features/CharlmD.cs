using System.Globalization;
using System.Text;
using ForgetPredict.Core.Features;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests.Features;

/// <summary>data/charlm-d loaded without the Data project: the matrix, task settings and family, and the task embedding.</summary>
internal static class CharlmD
{
    public static readonly int[] ReferenceTestRows = [0, 1, 2, 5, 6, 8, 12, 14, 18, 25];

    private static readonly Lazy<(ForgettingMatrix Matrix, FeatureSet Settings, FeatureSet Family, FeatureSet Embedding)> s_data = new(() => Load("charlm-d"));

    public static ForgettingMatrix Matrix => s_data.Value.Matrix;

    public static FeatureSet Settings => s_data.Value.Settings;

    public static FeatureSet Family => s_data.Value.Family;

    public static FeatureSet Embedding => s_data.Value.Embedding;

    public static FeatureSet All => FeatureSet.Combine([Settings, Family, Embedding]);

    /// <summary>Each upstream chunk's embedding and base loss.</summary>
    public static FeatureSet Examples => s_examples.Value;

    private static readonly Lazy<FeatureSet> s_examples = new(() =>
    {
        var (emb, shape) = Npy(RepoPaths.Data("charlm-d", "example_emb.npy"));
        var (loss, _) = Npy(RepoPaths.Data("charlm-d", "base_loss.npy"));
        return new FeatureSet(Matrix.ExampleIds,
        [
            new FeatureBlock("example_emb.npy", FeatureKind.Embedding, [.. Enumerable.Range(0, shape[1]).Select(c => "e" + c)], emb),
            new FeatureBlock("base_loss.npy", FeatureKind.Numeric, ["base_loss"], loss),
        ]);
    });

    /// <summary>A bundled matrix with charlm-d's side information (charlm-d, charlm-v): the matrix, settings, family and task embedding.</summary>
    internal static (ForgettingMatrix Matrix, FeatureSet Settings, FeatureSet Family, FeatureSet Embedding) Load(string name)
    {
        var (z, shape) = Npy(RepoPaths.Data(name, "z.npy"));
        var lines = File.ReadAllLines(RepoPaths.Data(name, "tasks.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        var ids = lines.Select(l => l[1]).ToArray();
        var matrix = ForgettingMatrix.Create(z.Select(v => (float)v).ToArray(), shape[0], shape[1], ids);
        var settings = lines.SelectMany(l => new[] { double.Parse(l[3], CultureInfo.InvariantCulture), double.Parse(l[4], CultureInfo.InvariantCulture) }).ToArray();
        var families = lines.Select(l => l[2]).Distinct().Order(StringComparer.Ordinal).ToArray();
        var oneHot = lines.SelectMany(l => families.Select(f => l[2] == f ? 1.0 : 0.0)).ToArray();
        var (emb, embShape) = Npy(RepoPaths.Data(name, "task_emb.npy"));
        var idList = IdList.From(ids);
        return (matrix,
            new FeatureSet(idList, [new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["lr", "steps"], settings)]),
            new FeatureSet(idList, [new FeatureBlock("family", FeatureKind.Categorical, [.. families.Select(f => "family=" + f)], oneHot)]),
            new FeatureSet(idList, [new FeatureBlock("task_emb.npy", FeatureKind.Embedding, [.. Enumerable.Range(0, embShape[1]).Select(c => "e" + c)], emb)]));
    }

    // Little-endian float32 or float16 .npy in C order.
    internal static (double[] Values, int[] Shape) Npy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        var shapeText = header[(header.IndexOf("'shape': (", StringComparison.Ordinal) + 10)..];
        shapeText = shapeText[..shapeText.IndexOf(')', StringComparison.Ordinal)];
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Append(1).ToArray();
        var half = header.Contains("<f2", StringComparison.Ordinal);
        var count = shape.Aggregate(1, (a, b) => a * b);
        var data = bytes.AsSpan(10 + headerLength);
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = half ? (double)BitConverter.ToHalf(data.Slice(i * 2, 2)) : BitConverter.ToSingle(data.Slice(i * 4, 4));
        }

        return (values, shape);
    }
}

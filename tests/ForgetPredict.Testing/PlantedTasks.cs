using ForgetPredict.Core;
using ForgetPredict.Core.Features;

namespace ForgetPredict.Testing;

/// <summary>Planted forgetting matrices whose task parameters are exact functions of task features (feature model tests).</summary>
public static class PlantedTasks
{
    /// <summary>Tasks of a planted matrix.</summary>
    public const int Tasks = 40;

    /// <summary>Examples of a planted matrix.</summary>
    public const int Examples = 400;

    /// <summary>Z = 0.2 + a(x) + b_j + U(x) . V_j + noise (0.01), with the task's parameters an exact function of its two features x (Tasks x 2).</summary>
    public static (ForgettingMatrix Matrix, double[] Features) Matrix(int seed)
    {
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var x = Enumerable.Range(0, Tasks * 2).Select(_ => Normal()).ToArray();
        var b = Enumerable.Range(0, Examples).Select(_ => 0.3 * Normal()).ToArray();
        var v = Enumerable.Range(0, Examples * 2).Select(_ => Normal()).ToArray();
        var z = new float[Tasks * Examples];
        for (var i = 0; i < Tasks; i++)
        {
            double x1 = x[2 * i], x2 = x[(2 * i) + 1];
            double a = 0.5 * x1, u1 = x1 - x2, u2 = 0.3 * x2;
            for (var j = 0; j < Examples; j++)
            {
                z[(i * Examples) + j] = (float)(0.2 + a + b[j] + (u1 * v[2 * j]) + (u2 * v[(2 * j) + 1]) + (0.01 * Normal()));
            }
        }

        return (ForgettingMatrix.Create(z, Tasks, Examples, Enumerable.Range(0, Tasks).Select(i => $"t{i}")), x);
    }

    /// <summary>
    /// The planted matrix's first feature as a settings column ("tasks.csv", lr) and its second carried only by a 16-wide embedding
    /// ("task_emb.npy": x2 along one random direction plus small noise): each block alone determines half of each task's parameters.
    /// </summary>
    public static FeatureSet SettingsAndData(ForgettingMatrix z, double[] x, int seed)
    {
        var random = new Random(seed);
        var direction = Enumerable.Range(0, 16).Select(_ => random.NextDouble() - 0.5).ToArray();
        var embedding = new double[Tasks * 16];
        for (var i = 0; i < Tasks; i++)
        {
            for (var c = 0; c < 16; c++)
            {
                embedding[(i * 16) + c] = (x[(2 * i) + 1] * direction[c]) + (0.02 * (random.NextDouble() - 0.5));
            }
        }

        return FeatureSet.Combine(
        [
            new FeatureSet(z.TaskIds, [new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["lr"], [.. Enumerable.Range(0, Tasks).Select(i => x[2 * i])])]),
            new FeatureSet(z.TaskIds, [new FeatureBlock("task_emb.npy", FeatureKind.Embedding, [.. Enumerable.Range(0, 16).Select(c => $"e{c}")], embedding)]),
        ]);
    }
}

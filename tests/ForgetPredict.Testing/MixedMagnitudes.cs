namespace ForgetPredict.Testing;

/// <summary>A matrix whose tasks differ in magnitude by 20 orders, for tests of the refusal of extreme cells.</summary>
public static class MixedMagnitudes
{
    /// <summary>Tasks of <see cref="TinyAndHuge"/>.</summary>
    public const int Tasks = 24;

    /// <summary>Examples of <see cref="TinyAndHuge"/>.</summary>
    public const int Examples = 60;

    /// <summary>
    /// 12 tasks of magnitude 1e-10 and 12 of 1e10 (24 x 60, row-major, seeded): the whole matrix's typical magnitude is a large
    /// cell's, so it passes the 1e9 refusal, while a cross-validation fold training on mostly small tasks has a typical
    /// magnitude of 1e-10 and had refused a large cell, quoting the fold's magnitude. With <paramref name="outlier"/>, cell
    /// (13, 5) is 1e20, which the whole matrix refuses.
    /// </summary>
    public static float[] TinyAndHuge(bool outlier)
    {
        var random = new Random(3);
        var values = new float[Tasks * Examples];
        for (var c = 0; c < values.Length; c++)
        {
            values[c] = (float)((0.5 + random.NextDouble()) * (c / Examples < Tasks / 2 ? 1e-10 : 1e10));
        }

        if (outlier)
        {
            values[(13 * Examples) + 5] = 1e20f;
        }

        return values;
    }
}

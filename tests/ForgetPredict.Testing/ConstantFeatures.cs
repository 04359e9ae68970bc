using ForgetPredict.Core.Features;

namespace ForgetPredict.Testing;

/// <summary>Feature sets with a column that carries no information: one value for every row (constant-column tests).</summary>
public static class ConstantFeatures
{
    /// <summary>The set with a numeric column appended to its block named <paramref name="blockName"/>, holding <paramref name="value"/> for every row.</summary>
    public static FeatureSet WithColumn(FeatureSet set, string blockName, string column, double value) =>
        new(set.Ids, [.. set.Blocks.Select(b => b.Name != blockName ? b : new FeatureBlock(b.Name, b.Kind, [.. b.Columns, column],
            [.. Enumerable.Range(0, b.Count).SelectMany(i => b.Row(i).ToArray().Append(value))]))]);

    /// <summary>The set with a categorical block of a single level (<paramref name="level"/>, e.g. "family=web"), set for every row.</summary>
    public static FeatureSet WithSingleLevel(FeatureSet set, string blockName, string level) =>
        FeatureSet.Combine([set, new FeatureSet(set.Ids, [new FeatureBlock(blockName, FeatureKind.Categorical, [level], [.. Enumerable.Repeat(1.0, set.Count)])])]);
}

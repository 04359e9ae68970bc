using ForgetPredict.Core.Features;

namespace ForgetPredict.Core.Tests.Features;

public sealed class FeatureSetTests
{
    private static FeatureSet Set() => new(IdList.From(["a", "b"]),
    [
        new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["row", "lr", "steps"], [0, 1e-3, 600, 1, 3e-4, 150]),
        new FeatureBlock("tasks.csv categories", FeatureKind.Categorical, ["family=web", "family=code", "rowname=x"], [1, 0, 1, 0, 1, 0]),
        new FeatureBlock("emb.npy", FeatureKind.Embedding, ["row"], [0.5, 0.25]),
    ])
    { IdColumns = ["id"] };

    [Fact]
    public void WithoutColumns_LeavesOutNumericColumnsAndCategoricalLevelsOfThoseNames_Only()
    {
        var set = Set().WithoutColumns(["row", "family"]);
        Assert.Equal(["lr", "steps"], set.Blocks[0].Columns);
        Assert.Equal([1e-3, 600], set.Blocks[0].Row(0).ToArray());
        Assert.Equal([3e-4, 150], set.Blocks[0].Row(1).ToArray());
        Assert.Equal(["rowname=x"], set.Blocks[1].Columns); // a level of another column that starts with the name stays
        Assert.Equal(["row"], set.Blocks[2].Columns); // an embedding's columns are not table columns
        Assert.Equal(["id"], set.IdColumns);
    }

    [Fact]
    public void WithoutColumns_DropsEmptiedBlocks_ReturnsItselfWhenNothingGoes_AndRefusesToLeaveNothing()
    {
        var original = Set();
        Assert.Same(original, original.WithoutColumns([]));
        Assert.Same(original, original.WithoutColumns(["warmup"]));
        Assert.Equal(2, original.WithoutColumns(["row", "lr", "steps"]).Blocks.Count);
        var only = new FeatureSet(IdList.From(["a"]), [new FeatureBlock("t", FeatureKind.Numeric, ["row"], [3])]);
        Assert.Throws<ArgumentException>(() => only.WithoutColumns(["row"]));
    }

    [Fact]
    public void IdColumns_SurviveSelectionAlignmentAndCombination()
    {
        var set = Set();
        Assert.Equal(["id"], set.Select([1]).IdColumns);
        Assert.Equal(["id"], set.AlignTo(IdList.From(["b", "a"])).IdColumns);
        var other = new FeatureSet(IdList.From(["b", "a"]), [new FeatureBlock("more.csv", FeatureKind.Numeric, ["x"], [1, 2])]) { IdColumns = ["task", "id"] };
        Assert.Equal(["id", "task"], FeatureSet.Combine([set, other]).IdColumns);
    }
}

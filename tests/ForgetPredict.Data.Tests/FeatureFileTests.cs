using ForgetPredict.Core;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests;

public class FeatureFileTests
{
    private static string Write(string name, string text)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string WriteNpy(string name, float[] values, long rows, long columns)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);
        using var stream = File.Create(path);
        NpyFormat.WriteArray(stream, values, [rows, columns]);
        return path;
    }

    [Fact]
    public void Table_IsAlignedById_WithNumericAndOneHotColumns()
    {
        // Given: a table whose rows are in another order than the matrix's tasks, with a name column, a category and numbers.
        var path = Write("tasks.csv", "task,family,lr,steps\nc,web,0.001,600\na,code,0.0001,150\nb,web,0.0003,300\n");

        // When: it is read for tasks a, b, c.
        var set = FeatureFile.Read(path, IdList.From(["a", "b", "c"]));

        // Then: numeric columns in matrix order, the category one-hot, and the id column not used as a feature.
        var numeric = set.Blocks.Single(b => b.Kind == FeatureKind.Numeric);
        Assert.Equal(["lr", "steps"], numeric.Columns);
        Assert.Equal([0.0001, 150, 0.0003, 300, 0.001, 600], numeric.Values.ToArray());
        var categories = set.Blocks.Single(b => b.Kind == FeatureKind.Categorical);
        Assert.Equal(["family=code", "family=web"], categories.Columns);
        Assert.Equal([1.0, 0, 0, 1, 0, 1], categories.Values.ToArray());
    }

    [Fact]
    public void MissingIds_AreRefused_NamingTheFileTheIdsAndTheFix()
    {
        var path = Write("tasks.csv", "task,lr\na,0.1\nb,0.2\n");
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["a", "b", "zz"])));
        Assert.Contains("tasks.csv", e.Message, StringComparison.Ordinal);
        Assert.Contains("zz", e.Message, StringComparison.Ordinal);
        Assert.Contains("add a row", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedding_WithTheWrongNumberOfRows_IsRefused()
    {
        var path = WriteNpy("emb.npy", new float[2 * 4], 2, 4);
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.Implicit(3)));
        Assert.Contains("emb.npy", e.Message, StringComparison.Ordinal);
        Assert.Contains("2 rows", e.Message, StringComparison.Ordinal);
        Assert.Contains("one row per task", e.Message, StringComparison.Ordinal);

        var ok = FeatureFile.Read(WriteNpy("emb3.npy", [.. Enumerable.Range(0, 12).Select(i => (float)i)], 3, 4), IdList.Implicit(3));
        Assert.Equal(FeatureKind.Embedding, ok.Blocks[0].Kind);
        Assert.Equal(4, ok.Blocks[0].Width);
    }

    [Fact]
    public void ModelFile_KeepsTheTaskFeatureModel_AndOldFilesStillRead()
    {
        // Given: an mf model with a task feature model fitted on features that drive the rows.
        var random = new Random(3);
        const int tasks = 24, examples = 200;
        var x = Enumerable.Range(0, tasks).Select(_ => random.NextDouble() + 0.5).ToArray();
        var v = Enumerable.Range(0, examples).Select(_ => random.NextDouble()).ToArray();
        var z = ForgettingMatrix.Create([.. Enumerable.Range(0, tasks * examples).Select(c => (float)((x[c / examples] * v[c % examples]) + (0.01 * random.NextDouble())))],
            tasks, examples, Enumerable.Range(0, tasks).Select(i => $"t{i}"));
        var features = new FeatureSet(z.TaskIds, [new FeatureBlock("settings.csv", FeatureKind.Numeric, ["lr"], x)]);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var featureModel = TaskFeatureModel.Fit(model, features);
        Assert.True(featureModel.UsesFeatures);

        // When: saved with it and loaded; and saved without it.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(model, path, taskFeatures: featureModel);
        var loaded = ModelFile.Load(path);
        var plainPath = Path.Combine(RepoPaths.NewTempFolder(), "plain.fpm");
        ModelFile.Save(model, plainPath);

        // Then: the loaded feature model gives the same prior for a new task; a file without one loads with none.
        var query = new FeatureSet(IdList.From(["new"]), [new FeatureBlock("other-name.csv", FeatureKind.Numeric, ["lr"], [0.9])]);
        Assert.NotNull(loaded.TaskFeatures);
        Assert.Equal(featureModel.Prior(query).Mean.ToArray(), loaded.TaskFeatures!.Prior(query).Mean.ToArray());
        Assert.Equal(featureModel.Report.Chosen, loaded.TaskFeatures.Report.Chosen);
        Assert.Null(ModelFile.Load(plainPath).TaskFeatures);

        // And a query with the wrong columns is refused, naming what the model was fitted with.
        var wrong = new FeatureSet(IdList.From(["new"]), [new FeatureBlock("settings.csv", FeatureKind.Numeric, ["steps"], [300])]);
        var e = Assert.Throws<ArgumentException>(() => loaded.TaskFeatures.Prior(wrong));
        Assert.Contains("'lr'", e.Message, StringComparison.Ordinal);
    }
}

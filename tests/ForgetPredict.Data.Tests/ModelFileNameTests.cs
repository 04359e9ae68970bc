using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests;

/// <summary>A model file is never written under a data format's name (model.csv, model.npy), which promises the next tool a table.</summary>
public class ModelFileNameTests
{
    [Theory]
    [InlineData("model.csv", "csv")]
    [InlineData("model.TSV", "tsv")]
    [InlineData("model.tab", "tsv")]
    [InlineData("model.parquet", "parquet")]
    [InlineData("model.pq", "parquet")]
    [InlineData("model.npy", "npy")]
    [InlineData("model.npz", "npz")]
    [InlineData("model.json", "json")]
    [InlineData("model.txt", "txt")]
    public void Save_UnderADataFormatsExtension_IsRefused_NamingTheModelsExtension(string name, string format)
    {
        var model = ModelCatalog.CreateFitter("additive").Fit(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 6, Examples = 40, Seed = 3 }).Matrix);
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, name);

        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Save(model, path));

        Assert.Contains($"names a data format ({format}), but a model file is ForgetPredict's own binary format", e.Message, StringComparison.Ordinal);
        Assert.Contains($"name it with {ModelFile.Extension} ({Path.ChangeExtension(path, ".fpm")})", e.Message, StringComparison.Ordinal);
        Assert.Equal(e.Detail, ModelFile.NameRefusal(path));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Theory]
    [InlineData("model.fpm")]
    [InlineData("model.bin")]
    [InlineData("model")]
    public void Save_UnderAnyOtherName_Writes(string name)
    {
        var model = ModelCatalog.CreateFitter("additive").Fit(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 6, Examples = 40, Seed = 3 }).Matrix);
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);

        Assert.Null(ModelFile.NameRefusal(path));
        ModelFile.Save(model, path);
        Assert.Equal(model.ExampleIds, ModelFile.Load(path).Model.ExampleIds);
    }

    // The suggested names had been refused in turn (m.npy.gz -> m.npy; m.fpm.csv -> m.fpm.fpm), dropped the folder
    // (dir.v1.csv/out.csv -> out.fpm), or named a data file in a folder (dir.v1.csv -> dir.v1.csv/out.csv).
    [Theory]
    [InlineData("m.npy.gz", "m.fpm")]
    [InlineData("m.fpm.csv", "m.fpm")]
    [InlineData("dir.v1.csv/out.csv", "dir.v1.csv/out.fpm")]
    [InlineData("dir.v1.csv", "dir.v1.csv/out.fpm")]
    [InlineData(".csv", "model.fpm")]
    public void NameRefusal_SuggestsAModelFileName_ThatIsItselfAccepted(string name, string suggested)
    {
        var dir = RepoPaths.NewTempFolder();
        Directory.CreateDirectory(Path.Combine(dir, "dir.v1.csv"));
        var path = Path.Combine(dir, name);
        var expected = Path.Combine(dir, suggested);

        var refusal = ModelFile.NameRefusal(path);

        Assert.NotNull(refusal);
        Assert.Contains($"{expected})", refusal, StringComparison.Ordinal);
        Assert.Null(ModelFile.NameRefusal(expected));
    }
}

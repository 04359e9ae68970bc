using System.Text.Json;
using ForgetPredict.Data.Parquet;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>
/// Every command's table outputs write whole-number example ids as integers (a matrix without ids, .npy, has the ids
/// 0..N-1): they had been Parquet strings and JSON strings, while the CSV of the same output reads as int64 in pandas.
/// </summary>
public class IdColumnOutputTests
{
    [Fact]
    public void PredictReplayAndDesign_OfAMatrixWithoutIds_WriteInt64ExampleColumns()
    {
        var dir = RepoPaths.NewTempFolder();
        var matrix = SmallMatrix.WriteNpy(dir);
        var model = Path.Combine(dir, "m.fpm");
        var fit = CliRunner.Run("fit", matrix, "--method", "additive", "--out", model);
        Assert.True(fit.ExitCode == 0, fit.Error);

        var predicted = Path.Combine(dir, "p.parquet");
        var predictedJson = Path.Combine(dir, "p.json");
        var replayed = Path.Combine(dir, "r.parquet");
        var designed = Path.Combine(dir, "d.parquet");
        var predict = CliRunner.Run("predict", "--model", model, "--out", predicted);
        var predictJson = CliRunner.Run("predict", "--model", model, "--out", predictedJson);
        var replay = CliRunner.Run("replay", "--model", model, "--budget", "5", "--out", replayed);
        var design = CliRunner.Run("design", matrix, "--count", "3", "--out", designed);

        foreach (var (run, path) in new[] { (predict, predicted), (replay, replayed), (design, designed) })
        {
            Assert.True(run.ExitCode == 0, run.Error);
            using var reader = ParquetReader.Open(path);
            var example = reader.Columns.Single(c => c.Name == "example");
            Assert.Equal(ParquetPhysicalType.Int64, example.PhysicalType);
        }

        Assert.True(predictJson.ExitCode == 0, predictJson.Error);
        using var document = JsonDocument.Parse(File.ReadAllText(predictedJson));
        Assert.All(document.RootElement.EnumerateArray(), row => Assert.Equal(JsonValueKind.Number, row.GetProperty("example").ValueKind));
    }
}

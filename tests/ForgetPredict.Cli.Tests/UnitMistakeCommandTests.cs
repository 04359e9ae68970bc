using System.Globalization;
using System.Text.Json;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

// QA: the README worked example's 30 measured cells multiplied by 1000 were folded in without a word ('2,400 of 2,400 examples
// (100%)' forgotten, top example predicted 2196 +- 0.64): every value was within the 1e6-std refusal. predict and replay now warn
// when the cells as a whole look measured in other units (Forecasting.ScaleWarning), and still answer.
public class UnitMistakeCommandTests
{
    // The worked example: an mf model of charlm-b without svg (task 46), and svg's cells at default_rng(0).choice(2400, 30).
    private static readonly Lazy<(string Model, string Dir, float[] Svg)> s_workedExample = new(() =>
    {
        var dir = RepoPaths.NewTempFolder();
        var z = ForgetPredict.Data.MatrixFile.Read(RepoPaths.Data("charlm-b", "z.npy"));
        var past = TestMatrices.Write(dir, "past.npy", z.TaskCount - 1, z.ExampleCount, (i, j) => z[i, j]);
        var model = Path.Combine(dir, "past.fpm");
        var (code, _, error) = CliRunner.Run("fit", past, "--method", "mf", "--out", model);
        Assert.True(code == 0, error);
        return (model, dir, [.. Enumerable.Range(0, z.ExampleCount).Select(j => z[z.TaskCount - 1, j])]);
    });

    private static readonly int[] s_cells = [1740, 1935, 1509, 1328, 1834, 731, 2315, 1200, 2174, 943, 1605, 640, 2234, 39, 1951, 1298, 80, 1337, 1751, 663, 416, 1546, 178, 1510, 1446, 2016, 6, 1212, 97, 2054];

    private static string Observed(string name, double factor)
    {
        var (_, dir, svg) = s_workedExample.Value;
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, ["example,value", .. s_cells.Select(j => string.Create(CultureInfo.InvariantCulture, $"{j},{svg[j] * factor:R}"))]);
        return path;
    }

    [Fact]
    public void Predict_TheWorkedExamplesCellsTimesAThousand_WarnsNamingTheMedianDistanceTheFactorAndTheFix_AndAnswers()
    {
        // Given
        var model = s_workedExample.Value.Model;
        var units = Observed("o_units.csv", 1000);
        var json = Path.Combine(s_workedExample.Value.Dir, "units.json");

        // When
        var (code, output, error) = CliRunner.Run("predict", "--model", model, "--observed", units, "--top", "3", "--json", json);

        // Then: one warning, naming the cells' file, the median distance, the factor and the fix; the forecast is still made, and
        // --json lists the warning among the ones printed.
        Assert.True(code == 0, error);
        Assert.Contains("predicted 2400 examples with mf from 30 measured cells", output, StringComparison.Ordinal);
        var warning = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("other units", StringComparison.Ordinal));
        Assert.StartsWith($"warning: {units}: the 30 measured values lie a median of ", warning, StringComparison.Ordinal);
        Assert.Contains(" predictive stds from what the model expects of an average task (every task of the bundled matrices lies within 4; this warning starts beyond 20), so they look measured in other units than the matrix the model was fitted on.", warning, StringComparison.Ordinal);
        Assert.Contains(" They seem about 1,000 times too large: divide them by 1,000 (they would then lie a median of ", warning, StringComparison.Ordinal);
        Assert.EndsWith("stds away), or check that they measure the same forgetting as the training matrix. They were folded in as given.", warning.TrimEnd('\r'), StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Contains(summary.RootElement.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("They seem about 1,000 times too large", StringComparison.Ordinal));
    }

    [Fact]
    public void PredictAndReplay_TheWorkedExamplesOwnCells_DoNotWarn_AndReplayWarnsOfAHundredfoldMistake()
    {
        // Given
        var model = s_workedExample.Value.Model;
        var plain = Observed("observed.csv", 1);
        var hundredfold = Observed("o_hundred.csv", 100);
        var replayed = Path.Combine(s_workedExample.Value.Dir, "replay.csv");

        // When
        var (code, _, error) = CliRunner.Run("predict", "--model", model, "--observed", plain, "--top", "3");
        var (replayCode, _, replayError) = CliRunner.Run("replay", "--model", model, "--observed", plain, "--budget", "10", "--strategy", "topk", "--out", replayed);
        var (unitsCode, _, unitsError) = CliRunner.Run("replay", "--model", model, "--observed", hundredfold, "--budget", "10", "--strategy", "topk", "--out", replayed);

        // Then: the real cells give no warning at all; a hundredfold mistake is told, with its factor, and the set still chosen.
        Assert.True(code == 0, error);
        Assert.DoesNotContain("warning", error, StringComparison.Ordinal);
        Assert.True(replayCode == 0, replayError);
        Assert.DoesNotContain("warning", replayError, StringComparison.Ordinal);
        Assert.True(unitsCode == 0, unitsError);
        Assert.Contains($"warning: {hundredfold}: the 30 measured values lie a median of ", unitsError, StringComparison.Ordinal);
        Assert.Contains("They seem about 100 times too large: divide them by 100 ", unitsError, StringComparison.Ordinal);
    }

    // QA: an ensemble of a 10 x 40 matrix of ones with a single 0 had predictive stds of about 1e-9 (its cross-validated errors
    // were all 0), so one measured 1.0 was warned of as "other units" and its own row (the 0 among 29 ones) refused as
    // millions of stds off. Its std floor (EnsembleModel.StdFloor) comes from the cells' spread around their example means.
    [Fact]
    public void Predict_AnEnsembleOfOnesWithOneZero_TakesItsOwnRow_AndOneMeasuredOne_WithoutAUnitWarning()
    {
        // Given
        var dir = RepoPaths.NewTempFolder();
        var matrix = TestMatrices.Write(dir, "ones.npy", 10, 40, (i, j) => i == 0 && j == 0 ? 0 : 1);
        var model = Path.Combine(dir, "ones.fpm");
        var (fitCode, _, fitError) = CliRunner.Run("fit", matrix, "--method", "ensemble", "--out", model);
        Assert.True(fitCode == 0, fitError);
        var row = Path.Combine(dir, "row0.csv");
        File.WriteAllLines(row, ["example,value", .. Enumerable.Range(0, 30).Select(j => $"{j},{(j == 0 ? 0 : 1)}")]);
        var one = Path.Combine(dir, "one.csv");
        File.WriteAllLines(one, ["example,value", "0,1"]);

        // When
        var (rowCode, rowOutput, rowError) = CliRunner.Run("predict", "--model", model, "--observed", row, "--top", "3");
        var (oneCode, oneOutput, oneError) = CliRunner.Run("predict", "--model", model, "--observed", one, "--top", "3");

        // Then: both are forecast, neither is warned of as other units, and one measured 1 does not make most examples forgotten
        Assert.True(rowCode == 0, rowError);
        Assert.Contains("from 30 measured cells", rowOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("stds", rowError, StringComparison.Ordinal);
        Assert.True(oneCode == 0, oneError);
        Assert.DoesNotContain("other units", oneError, StringComparison.Ordinal);
        var expected = System.Text.RegularExpressions.Regex.Match(oneOutput, @"expected forgotten: ([0-9.]+) of 40 examples");
        Assert.True(expected.Success, oneOutput);
        Assert.InRange(double.Parse(expected.Groups[1].Value, CultureInfo.InvariantCulture), 0, 8);
    }
}

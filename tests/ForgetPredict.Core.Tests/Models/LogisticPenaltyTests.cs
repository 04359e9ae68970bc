using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>QA: the logistic models' fixed penalty (10) shrank every example's probability toward the mean rate (examples
/// forgotten by 85-100% of the tasks were given 0.57-0.64, those at 5-15% 0.26-0.28), and lost to the column means; the
/// penalty is now chosen per matrix by the cross-validation that simulates a new task.</summary>
public class LogisticPenaltyTests
{
    // 40 tasks x 40 examples: examples 0-9 forgotten with probability 0.9, the rest 0.1 (QA's matrix).
    private static ForgettingMatrix Planted(int seed)
    {
        var random = new Random(seed);
        var values = new float[40 * 40];
        for (var i = 0; i < 40; i++)
        {
            for (var j = 0; j < 40; j++)
            {
                values[(i * 40) + j] = random.NextDouble() < (j < 10 ? 0.9 : 0.1) ? 1f : 0f;
            }
        }

        return ForgettingMatrix.Wrap(values, 40, 40);
    }

    [Theory]
    [InlineData("logistic-additive")]
    [InlineData("logistic")]
    public void TheDefaultPenalty_IsChosenFromTheGrid_AndANewTaskGetsProbabilitiesNearTheExamplesRates(string method)
    {
        // Given: the planted matrix
        var matrix = Planted(1);

        // When: fitted with the default settings, and a new task folded in from ten cells drawn the same way
        var model = (FactorModel)ModelCatalog.CreateFitter(method).Fit(matrix);
        var row = Planted(2).Row(0).ToArray();
        int[] known = [0, 3, 6, 9, 12, 18, 24, 30, 36, 39];
        var (mean, std) = (new double[40], new double[40]);
        model.FoldIn(known, [.. known.Select(j => (double)row[j])]).PredictRow(mean, std);

        // Then: a penalty of the grid below the old fixed 10, and the fragile examples' probabilities near 0.9, the others' near 0.1
        Assert.Contains(model.TaskBiasPenalty, LogisticFitter.LambdaGrid);
        Assert.True(model.TaskBiasPenalty < 10, $"penalty {model.TaskBiasPenalty}");
        Assert.InRange(mean.Take(10).Average(), 0.75, 0.97);
        Assert.InRange(mean.Skip(10).Average(), 0.03, 0.25);
    }

    [Fact]
    public void AGivenPenalty_IsUsedAsGiven_AndTheChoiceDoesNotDependOnTheThreads()
    {
        var matrix = Planted(3);
        var given = (FactorModel)new LogisticFitter(new LogisticOptions { Lambda = 7 }).Fit(matrix);
        var one = (FactorModel)new LogisticFitter(new LogisticOptions { MaxThreads = 1 }).Fit(matrix);
        var all = (FactorModel)new LogisticFitter(new LogisticOptions { MaxThreads = -1 }).Fit(matrix);

        Assert.Equal(7, given.TaskBiasPenalty);
        Assert.Equal(one.TaskBiasPenalty, all.TaskBiasPenalty);
        Assert.Equal(one.ExampleBiases.ToArray(), all.ExampleBiases.ToArray());
    }

    [Fact]
    public void AMatrixOfTooFewTasksToCrossValidate_TakesTheFixedPenalty()
    {
        var values = new float[3 * 20];
        for (var c = 0; c < values.Length; c++)
        {
            values[c] = c % 3 == 0 ? 1 : 0;
        }

        var model = (FactorModel)ModelCatalog.CreateFitter("logistic-additive").Fit(ForgettingMatrix.Wrap(values, 3, 20));
        Assert.Equal(Defaults.LogisticLambda, model.TaskBiasPenalty);
    }
}

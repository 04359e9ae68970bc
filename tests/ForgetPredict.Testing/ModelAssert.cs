using ForgetPredict.Core.Models;
using Xunit;

namespace ForgetPredict.Testing;

/// <summary>Bit-for-bit comparisons of two models' predictions.</summary>
public static class ModelAssert
{
    /// <summary>Every training task's predicted row is the same in <paramref name="actual"/> as in <paramref name="expected"/>.</summary>
    public static void SameTrainingRows(IForgettingModel expected, IForgettingModel actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var a = new double[expected.ExampleCount];
        var b = new double[actual.ExampleCount];
        for (var i = 0; i < expected.TaskCount; i++)
        {
            expected.PredictRow(i, a);
            actual.PredictRow(i, b);
            Assert.Equal(a, b);
        }
    }

    /// <summary>A new task folded in from <paramref name="known"/> cells gets the same means and stds from both models.</summary>
    public static void SameNewTask(IForgettingModel expected, IForgettingModel actual, int[] known, double[] values)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var n = expected.ExampleCount;
        var (meanA, stdA, meanB, stdB) = (new double[n], new double[n], new double[n], new double[actual.ExampleCount]);
        expected.FoldIn(known, values).PredictRow(meanA, stdA);
        actual.FoldIn(known, values).PredictRow(meanB, stdB);
        Assert.Equal(meanA, meanB);
        Assert.Equal(stdA, stdB);
    }
}

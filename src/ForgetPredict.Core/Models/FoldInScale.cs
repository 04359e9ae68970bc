using System.Globalization;
using System.Runtime.CompilerServices;

namespace ForgetPredict.Core.Models;

/// <summary>A measured value that lies beyond <see cref="FoldInScale.Limit"/> predictive stds of what a model expects, as
/// <see cref="FoldInScale.Find"/> reports it.</summary>
/// <param name="Position">Its position in the measured cells (the index into the examples and values given).</param>
/// <param name="Example">The example's index in the model.</param>
/// <param name="ExampleId">The example's id.</param>
/// <param name="Value">The measured value.</param>
/// <param name="Expected">What the model predicts there for an average task (no measured cell).</param>
/// <param name="Std">The predictive std of that prediction.</param>
/// <param name="Distance">|<paramref name="Value"/> - <paramref name="Expected"/>| in predictive stds (infinite when it overflows).</param>
public sealed record OffScaleValue(int Position, int Example, string ExampleId, double Value, double Expected, double Std, double Distance)
{
    /// <summary>
    /// What is wrong and the fix, for a message that names where the cells came from: "example 'X' (index j) was measured at
    /// 1E+10, 5.2E+10 predictive stds from what the model expects of an average task there (...); beyond 1E+06 stds a value is
    /// not in the units of the data the model was fitted on. Measured in other units? Divide by 1E+11 (or correct the typo),
    /// and give the values in the units of the model's training matrix."
    /// </summary>
    public string Describe() => FoldInScale.Describe(this);
}

/// <summary>
/// Measured cells that, taken together, lie so far from what a model expects that they look measured in other units, as
/// <see cref="FoldInScale.FindUnitMistake"/> reports them: a finding to warn of, not a refusal (each value may still be within
/// <see cref="FoldInScale.Limit"/>).
/// </summary>
/// <param name="CellCount">How many measured cells were weighed.</param>
/// <param name="MedianDistance">The median over the cells of |value - expected| in predictive stds (the yardstick of
/// <see cref="FoldInScale.Limit"/>: the model's prediction and predictive std for an average task at each cell's example).</param>
/// <param name="Decades">The power of ten the values seem off by: the smallest whose division (multiplication when it is negative)
/// brings their median distance within a fifth of <see cref="FoldInScale.UnitMistakeLimit"/>, where every task of the bundled
/// matrices lies; 0 when none does (the values are off by something other than a unit). An estimate: a gentle task measured in
/// thousandths can look a hundred times too large.</param>
/// <param name="RescaledMedianDistance">Their median distance once divided by 10^<paramref name="Decades"/> (the same as
/// <paramref name="MedianDistance"/> when <paramref name="Decades"/> is 0).</param>
public sealed record UnitMistake(int CellCount, double MedianDistance, int Decades, double RescaledMedianDistance)
{
    /// <summary>The factor the values seem off by, 10^<see cref="Decades"/> (1 when no power of ten explains them).</summary>
    public double Factor => Math.Pow(10, Decades);
}

/// <summary>
/// The check that measured values are in the units of the data a model was fitted on, before they are folded in: a value more
/// than <see cref="Limit"/> predictive stds from what the model expects of an average task at its example is a unit mistake (a
/// loss in other units, a percentage for a fraction) or a typo, and folding it in gives a row of garbage (a cell of 1e30 a row of
/// 1e29s). The fold-in of every model of this library (<see cref="IForgettingModel.FoldIn"/>) refuses such values with this check;
/// <see cref="Find"/> asks without throwing.
/// </summary>
/// <remarks>
/// The yardstick is the model's prediction and predictive std for an average task (a fold-in without measured cells, under the
/// model's own prior), computed once per model instance on its first check and kept while the model lives (two doubles per
/// example): later checks cost O(cells). Models that predict probabilities (binary, logistic) are not checked: their cells are 0
/// or 1 and their fold-in refuses anything else. Thread-safe.
/// </remarks>
public static class FoldInScale
{
    /// <summary>
    /// How far, in predictive standard deviations, a measured value may lie from the model's prediction for an average task at
    /// its example. A task far more disruptive than any seen stays well within it; a millionfold unit mistake does not.
    /// </summary>
    public const double Limit = 1e6;

    /// <summary>
    /// How far, in predictive standard deviations, the measured cells may lie from the model's prediction for an average task in
    /// the median over the cells before <see cref="FindUnitMistake"/> finds them measured in other units. Every task of the
    /// bundled matrices (charlm-b, charlm-d), held out in turn against a model of the others, lies a median of at most 3.3 stds
    /// away over its whole row (3.9 over 30 of its cells drawn at random; the eight methods that predict forgetting), and its
    /// forgetting tripled stays within the limit; a thousandfold unit mistake lies at least 164 stds away, a hundredfold one 15.
    /// </summary>
    public const double UnitMistakeLimit = 20;

    // The powers of ten FindUnitMistake tries: values beyond Limit are refused anyway, so 1e-15..1e15 covers every unit mistake
    // a fold-in accepts (and a typo of a few digits).
    private const int MaxDecades = 15;

    // Each model's prediction for an average task: computed once per model, kept while the model lives. A service answers many
    // queries with one model; predicting the cells each time cost a knn model about 1.4 ms a query on 141,816 examples (its
    // neighbourhoods are built over the whole row).
    private static readonly ConditionalWeakTable<IForgettingModel, AverageTask> s_averageTask = [];

    private sealed record AverageTask(double[] Mean, double[] Std);

    /// <summary>
    /// The first measured cell whose value lies beyond <see cref="Limit"/> predictive stds of what <paramref name="model"/> expects
    /// of an average task at its example, or null when every value is within it (or the model predicts probabilities, or no cell
    /// is given).
    /// </summary>
    /// <param name="model">The fitted model the cells are for.</param>
    /// <param name="examples">Indices of the measured examples, as <see cref="IForgettingModel.FoldIn"/> takes them.</param>
    /// <param name="values">The measured values, same length.</param>
    /// <exception cref="ArgumentException">The cells are not valid for the model (<see cref="FoldedTask.ValidateKnown"/>).</exception>
    public static OffScaleValue? Find(IForgettingModel model, ReadOnlySpan<int> examples, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(model);
        FoldedTask.ValidateKnown(examples, values, model.ExampleCount);
        return FindValid(model, examples, values);
    }

    /// <summary>
    /// Whether the measured cells as a whole look measured in other units than the data <paramref name="model"/> was fitted on
    /// (a loss in nats given for one in millinats, a percentage for a fraction): the finding when the median over the cells of
    /// |value - expected| / predictive std exceeds <see cref="UnitMistakeLimit"/>, with the power of ten the values seem off by;
    /// null when it does not (or the model predicts probabilities, or no cell is given). A single disruptive example is far off
    /// on its own without moving the median; a whole task far more disruptive than any in the bundled matrices stays within it.
    /// </summary>
    /// <remarks>
    /// A warning, not a refusal: the fold-in does not ask it (only <see cref="Limit"/> is refused), and a caller decides what to
    /// tell the user. The yardstick is <see cref="Find"/>'s (the model's average-task row, cached per model); the cost is a sort of
    /// the cells' distances, and, when the limit is exceeded, one per power of ten tried (1e-15..1e15).
    /// </remarks>
    /// <param name="model">The fitted model the cells are for.</param>
    /// <param name="examples">Indices of the measured examples, as <see cref="IForgettingModel.FoldIn"/> takes them.</param>
    /// <param name="values">The measured values, same length.</param>
    /// <exception cref="ArgumentException">The cells are not valid for the model (<see cref="FoldedTask.ValidateKnown"/>).</exception>
    public static UnitMistake? FindUnitMistake(IForgettingModel model, ReadOnlySpan<int> examples, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(model);
        FoldedTask.ValidateKnown(examples, values, model.ExampleCount);
        if (examples.IsEmpty || model.PredictsProbability)
        {
            return null;
        }

        var (mean, std) = AverageTaskRow(model);
        var distances = new double[examples.Length];
        var median = MedianDistance(mean, std, examples, values, 1, distances);
        if (!(median > UnitMistakeLimit))
        {
            return null;
        }

        // The smallest power of ten (dividing before multiplying) that brings the median among the bundled tasks' (within a fifth
        // of the limit): a larger one would shrink the values towards 0, which any model finds about one std from its average task.
        for (var k = 1; k <= MaxDecades; k++)
        {
            foreach (var decades in (ReadOnlySpan<int>)[k, -k])
            {
                var rescaled = MedianDistance(mean, std, examples, values, Math.Pow(10, decades), distances);
                if (rescaled <= UnitMistakeLimit / 5)
                {
                    return new UnitMistake(examples.Length, median, decades, rescaled);
                }
            }
        }

        return new UnitMistake(examples.Length, median, 0, median);
    }

    // The median over the cells of |value / divisor - expected| in predictive stds (the yardstick of FindValid); distances is scratch.
    private static double MedianDistance(double[] mean, double[] std, ReadOnlySpan<int> examples, ReadOnlySpan<double> values, double divisor, double[] distances)
    {
        for (var t = 0; t < examples.Length; t++)
        {
            var distance = Distance(mean, std, examples[t], values[t] / divisor);
            distances[t] = double.IsNaN(distance) ? double.PositiveInfinity : distance;
        }

        Array.Sort(distances);
        var n = distances.Length;
        return n % 2 == 1 ? distances[n / 2] : (distances[(n / 2) - 1] / 2) + (distances[n / 2] / 2);
    }

    /// <summary>
    /// Throws when a measured value lies beyond <see cref="Limit"/> predictive stds of what <paramref name="model"/> expects
    /// (see <see cref="Find"/>), naming the example, the value, the model's scale there and the fix.
    /// </summary>
    /// <param name="model">The fitted model the cells are for.</param>
    /// <param name="examples">Indices of the measured examples.</param>
    /// <param name="values">The measured values, same length.</param>
    /// <exception cref="ArgumentException">A cell is not valid for the model, or a value is beyond the model's scale.</exception>
    public static void Check(IForgettingModel model, ReadOnlySpan<int> examples, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(model);
        FoldedTask.ValidateKnown(examples, values, model.ExampleCount);
        CheckValid(model, examples, values);
    }

    // Check for cells already validated (the models' fold-ins).
    internal static void CheckValid(IForgettingModel model, ReadOnlySpan<int> examples, ReadOnlySpan<double> values)
    {
        if (FindValid(model, examples, values) is { } off)
        {
            throw new ArgumentException("The measured values are too far from what the model expects: " + off.Describe(), nameof(values));
        }
    }

    // The model's prediction and predictive std for an average task (a fold-in without measured cells, under its own prior),
    // computed on the first call for a model and kept while it lives; also the yardstick of the default forgetting threshold
    // (Erasure.ForgettingThreshold). Callers must not write to the arrays.
    internal static (double[] Mean, double[] Std) AverageTaskRow(IForgettingModel model)
    {
        var (mean, std) = s_averageTask.GetValue(model, static m =>
        {
            var row = new AverageTask(new double[m.ExampleCount], new double[m.ExampleCount]);
            Unchecked(m, [], [], null).PredictRow(row.Mean, row.Std);
            return row;
        });
        return (mean, std);
    }

    // |value - expected| at example j in predictive stds of the average task (a std of 0 counts as 1e-12 of the level).
    private static double Distance(double[] mean, double[] std, int j, double value) =>
        Math.Abs(value - mean[j]) / Math.Max(std[j], 1e-12 * Math.Max(1, Math.Abs(mean[j])));

    private static OffScaleValue? FindValid(IForgettingModel model, ReadOnlySpan<int> examples, ReadOnlySpan<double> values)
    {
        if (examples.IsEmpty || model.PredictsProbability)
        {
            return null;
        }

        var (mean, std) = AverageTaskRow(model);
        for (var t = 0; t < examples.Length; t++)
        {
            var (j, value) = (examples[t], values[t]);
            var distance = Distance(mean, std, j, value);
            if (!(distance <= Limit))
            {
                return new OffScaleValue(t, j, model.ExampleIds[j], value, mean[j], std[j], distance);
            }
        }

        return null;
    }

    // The message of a value beyond the scale: the example, the value, the model's scale there, and the fix (a power of ten to
    // divide or multiply by when the value is that far off in magnitude, else a typo to correct).
    internal static string Describe(OffScaleValue off)
    {
        var distance = double.IsFinite(off.Distance) ? off.Distance.ToString("G2", CultureInfo.InvariantCulture) : "countless";
        var typical = Math.Max(Math.Max(Math.Abs(off.Expected), off.Std), 1e-12 * Math.Max(1, Math.Abs(off.Expected)));
        var decades = off.Value == 0 ? 0 : Math.Round(Math.Log10(Math.Abs(off.Value)) - Math.Log10(typical));
        var fix = decades switch
        {
            >= 1 => $"Measured in other units? Divide by {PowerOfTen(decades)} (or correct the typo)",
            <= -1 => $"Measured in other units? Multiply by {PowerOfTen(-decades)} (or correct the typo)",
            _ => "Correct the value if it is a typo",
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"example '{off.ExampleId}' (index {off.Example}) was measured at {off.Value:G6}, {distance} predictive stds from what the model expects of an average task there ({off.Expected:G4}, predictive std {off.Std:G3}); beyond {Limit:0E+00} stds a value is not in the units of the data the model was fitted on. {fix}, and give the values in the units of the model's training matrix.");
    }

    private static string PowerOfTen(double decades) => string.Create(CultureInfo.InvariantCulture, $"1E+{decades:00}");

    // The fold-in without the scale check, for callers whose values are the model's own data (cross-validation's held-out
    // tasks, a KNN model's baseline, an ensemble's members after the ensemble checked them).
    // Every model type of the library has its case (tested: EveryModelOfTheLibrary_HasAnUncheckedFoldIn).
    internal static FoldedTask Unchecked(IForgettingModel model, ReadOnlySpan<int> examples, ReadOnlySpan<double> values, FoldInOptions? options) => model switch
    {
        FactorModel factor => factor.FoldIn(examples, values, options, checkScale: false),
        KnnModel knn => knn.FoldIn(examples, values, options, checkScale: false),
        EnsembleModel ensemble => ensemble.FoldIn(examples, values, options, checkScale: false),
        _ => model.FoldIn(examples, values, options),
    };
}

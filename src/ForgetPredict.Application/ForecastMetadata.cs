using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Data;

namespace ForgetPredict.Application;

/// <summary>
/// Example metadata for a forecast that predicts new examples (cold columns) beside the model's: the metadata's rows are joined
/// to the model's example ids followed by the new examples' ids, so a new example takes its group from its own row as a model's
/// example does, and its row is not reported as matching no example. One rule for every front end (the command line's
/// <c>--examples</c>, the service's stored metadata).
/// </summary>
public static class ForecastMetadata
{
    /// <summary>
    /// Joins <paramref name="metadata"/> to the model's example ids, followed by the new examples' ids when there are any: the
    /// join's first <c>modelIds.Count</c> positions are the model's examples, the rest the rows of
    /// <see cref="NewExampleQuery.Features"/>. Its <see cref="MetadataJoin.Summary"/> counts both.
    /// </summary>
    /// <param name="metadata">The example metadata.</param>
    /// <param name="modelIds">The model's example ids.</param>
    /// <param name="newExamples">The new examples to predict, or null.</param>
    /// <exception cref="Data.ForgettingDataException">An id repeats in the metadata, or its header line is missing.</exception>
    public static MetadataJoin Join(MetadataTable metadata, IdList modelIds, NewExampleQuery? newExamples)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(modelIds);
        return metadata.Join(newExamples is null ? modelIds : IdList.From([.. modelIds, .. newExamples.Features.Ids]), "example");
    }

    /// <summary>
    /// The new examples with their groups (<see cref="NewExampleQuery.Labels"/>): each one's value of <paramref name="column"/> in
    /// a join made by <see cref="Join"/> (null where the metadata has no row for it).
    /// </summary>
    /// <param name="newExamples">The new examples the join was made with.</param>
    /// <param name="join">The join of the metadata to the model's ids and then the new examples'.</param>
    /// <param name="column">The column grouped by.</param>
    /// <exception cref="ArgumentException">The join is not of the model's ids followed by these new examples' ids, or has no such column.</exception>
    public static NewExampleQuery Group(NewExampleQuery newExamples, MetadataJoin join, string column)
    {
        ArgumentNullException.ThrowIfNull(newExamples);
        ArgumentNullException.ThrowIfNull(join);
        var count = newExamples.Features.Count;
        var modelCount = join.Count - count;
        if (modelCount < 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The join covers {join.Count} ids, fewer than the {count} new examples; join the metadata with ForecastMetadata.Join."), nameof(join));
        }

        var labels = join.Column(column);
        return newExamples with { Labels = [.. labels.Skip(modelCount)] };
    }

    /// <summary>The labels of the model's examples in a join made by <see cref="Join"/> (its first positions): what <see cref="ExampleGroups.FromLabels"/> groups.</summary>
    /// <param name="join">The join.</param>
    /// <param name="column">The column grouped by.</param>
    /// <param name="modelCount">The model's example count.</param>
    /// <exception cref="ArgumentException">No such column.</exception>
    public static IReadOnlyList<string?> ModelLabels(MetadataJoin join, string column, int modelCount)
    {
        ArgumentNullException.ThrowIfNull(join);
        var labels = join.Column(column);
        return labels.Count == modelCount ? labels : [.. labels.Take(modelCount)];
    }
}

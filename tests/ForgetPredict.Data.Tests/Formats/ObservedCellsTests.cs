using ForgetPredict.Core;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>How measured cells and other user-given example references resolve: by id first, then by column index.</summary>
public class ObservedCellsTests
{
    private static readonly IdList s_ids = IdList.From(["a", "b", "7", "c"]);

    [Theory]
    [InlineData("b", 1, false)]
    [InlineData("7", 2, false)]   // an id that looks like a number is an id first
    [InlineData("3", 3, true)]    // no such id: column 3
    [InlineData("4", -1, false)]  // beyond the last column
    [InlineData("-1", -1, false)]
    [InlineData("zz", -1, false)]
    public void ExampleIndex_MatchesIdsBeforeColumnIndices(string name, int expected, bool byPosition)
    {
        Assert.Equal(expected, ObservedCells.ExampleIndex(s_ids, name, out var position));
        Assert.Equal(byPosition, position);
    }

    [Fact]
    public void FromPairs_CountsTheEntriesResolvedByIndex_AndReportsUnknownIds()
    {
        var cells = ObservedCells.FromPairs([new("a", 0.5), new("3", 0.25)], s_ids, "observed");
        Assert.Equal([0, 3], cells.Examples);
        Assert.Equal(1, cells.ResolvedByIndex);

        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.FromPairs([new("zz", 0.5)], s_ids, "observed"));
        Assert.Contains("'zz'", e.Message, StringComparison.Ordinal);
    }
}

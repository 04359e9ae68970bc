using ForgetPredict.Core;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>How measured cells and other user-given example references resolve: by id exactly, or by column position when asked.</summary>
public class ObservedCellsTests
{
    private static readonly IdList s_ids = IdList.From(["a", "b", "7", "c"]);
    private static readonly ExampleMatching s_byId = new(false, "pass --by-index");
    private static readonly ExampleMatching s_byIndex = new(true, "pass --by-index");

    [Theory]
    [InlineData("b", false, 1)]
    [InlineData("7", false, 2)]   // an id that looks like a number is an id
    [InlineData("3", false, -1)]  // no such id: not silently column 3
    [InlineData("zz", false, -1)]
    [InlineData("3", true, 3)]    // asked for positions: column 3
    [InlineData("7", true, -1)]   // beyond the last column, even though "7" is an id
    [InlineData("4", true, -1)]
    [InlineData("-1", true, -1)]
    [InlineData("b", true, -1)]
    public void IndexOf_MatchesIdsExactly_OrPositionsWhenAsked(string reference, bool byIndex, int expected) =>
        Assert.Equal(expected, new ExampleReferences(s_ids, byIndex ? s_byIndex : s_byId).IndexOf(reference));

    [Fact]
    public void IndexOf_OnImplicitIds_MatchesNumbersAsBefore()
    {
        var implicitIds = IdList.Implicit(5);

        Assert.Equal(3, new ExampleReferences(implicitIds, s_byId).IndexOf("3"));
        Assert.Equal(3, new ExampleReferences(implicitIds, s_byIndex).IndexOf("3"));
        Assert.Equal(-1, new ExampleReferences(implicitIds, s_byId).IndexOf("5"));
        Assert.Equal([1, 4], ObservedCells.FromPairs([new("1", 0.5), new("4", 0.25)], implicitIds, s_byId, "observed").Examples);
    }

    [Fact]
    public void FromPairs_RefusesANumberThatIsNotAnId_NamingTheSourceTheEntryTheValueAndTheFix()
    {
        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.FromPairs([new("a", 0.5), new("3", 0.25)], s_ids, s_byId, "observed"));

        Assert.Equal(
            "observed:2: column 'example': example '3' is not one of the model's 4 example ids; examples are matched by id exactly: pass --by-index to read these as column positions.",
            e.Message);
    }

    [Fact]
    public void FromPairs_ByIndex_ReadsColumnPositions_AndRefusesThoseOutOfRange()
    {
        Assert.Equal([0, 3], ObservedCells.FromPairs([new("0", 0.5), new("3", 0.25)], s_ids, s_byIndex, "observed").Examples);

        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.FromPairs([new("0", 0.5), new("4", 0.25), new("a", 0.1)], s_ids, s_byIndex, "observed"));
        Assert.Contains("2 examples are not column positions 0..3 (first: '4', 'a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPairs_UnknownTextIds_PointToTheIdsNotToPositions()
    {
        var e = Assert.Throws<ForgettingDataException>(() => ObservedCells.FromPairs([new("zz", 0.5)], s_ids, s_byId, "observed"));

        Assert.Contains("'zz'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--by-index", e.Message, StringComparison.Ordinal);
    }
}

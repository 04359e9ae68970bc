namespace ForgetPredict.Core.Tests;

public class ForgettingMatrixTests
{
    [Fact]
    public void Create_CountsMissingAndExposesRowsAndColumns()
    {
        var z = ForgettingMatrix.Create(new float[,] { { 1, float.NaN, 3 }, { 4, 5, float.NaN } });
        Assert.Equal(2, z.TaskCount);
        Assert.Equal(3, z.ExampleCount);
        Assert.Equal(2, z.MissingCount);
        Assert.Equal(4, z.ObservedCount);
        Assert.Equal(2.0 / 6, z.MissingFraction, 12);
        Assert.Equal([4f, 5f, float.NaN], z.Row(1).ToArray());
        Assert.Equal([3f, float.NaN], z.Column(2).ToArray());
        Assert.Equal(5f, z[1, 1]);
        Assert.False(z.IsBinary);
        Assert.Equal(["0", "1"], z.TaskIds);
        Assert.True(z.ExampleIds.IsImplicit);
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Create_Infinity_ThrowsNamingTheCell(float bad)
    {
        var values = new float[3 * 2000];
        values[(2 * 2000) + 1234] = bad;
        // An ArgumentException that also carries the cell, for readers that word it their own way (a feature embedding).
        var e = Assert.Throws<NonFiniteCellException>(() => ForgettingMatrix.Create(values, 3, 2000));
        Assert.IsAssignableFrom<ArgumentException>(e);
        Assert.Equal((2, 1234), (e.Task, e.Example));
        Assert.Contains("task 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("example 1234", e.Message, StringComparison.Ordinal);
        Assert.Contains("NaN for a missing cell", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_ShapeMismatch_ThrowsWithShape()
    {
        var e = Assert.Throws<ArgumentException>(() => ForgettingMatrix.Create(new float[5], 2, 3));
        Assert.Contains("2x3 needs 6 values but 5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_DuplicateIds_ThrowsNamingTheId()
    {
        var e = Assert.Throws<ArgumentException>(() => ForgettingMatrix.Create(new float[4], 2, 2, ["a", "a"]));
        Assert.Contains("'a' appears twice, at positions 0 and 1", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ForgettingMatrix.Create(new float[4], 2, 2, ["a"]));
    }

    [Theory]
    [InlineData("0,1,0.0", "Ids '0' and '0.0' (positions 0 and 2)")]
    [InlineData("12.00,x,12", "Ids '12.00' and '12' (positions 0 and 2)")]
    [InlineData("-3,-3.0", "Ids '-3' and '-3.0' (positions 0 and 1)")]
    [InlineData("3.0,3.00", "Ids '3.0' and '3.00' (positions 0 and 1)")]
    [InlineData("0,-0.0", "Ids '0' and '-0.0' (positions 0 and 1)")]
    public void Create_IdsThatSpellOneNumberTwoWays_AreRefusedNamingBoth(string ids, string expected)
    {
        var names = ids.Split(',');
        var e = Assert.Throws<ArgumentException>(() => ForgettingMatrix.Create(new float[names.Length], 1, names.Length, exampleIds: names));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("astype('Int64')", e.Message, StringComparison.Ordinal);
        Assert.Equal("exampleIds", e.ParamName);
        Assert.Throws<ArgumentException>(() => ForgettingMatrix.Create(new float[names.Length], names.Length, 1, taskIds: names));
        Assert.Equal(names, IdList.From(names)); // the list itself (a model file's, a feature table's) takes them
    }

    [Theory]
    [InlineData("0.0,1.0,2.0")]
    [InlineData("1,1.5,01,1.,.0,a.0,1.0x,-1,1e3")]
    public void Create_IdsThatAreNotOneNumberTwice_AreAccepted(string ids)
    {
        var names = ids.Split(',');
        Assert.Equal(names, ForgettingMatrix.Create(new float[names.Length], 1, names.Length, exampleIds: names).ExampleIds);
    }

    [Theory]
    [InlineData("12", "12")]
    [InlineData("12.0", "12")]
    [InlineData("12.000", "12")]
    [InlineData("-7.0", "-7")]
    [InlineData("-0.0", "0")]
    [InlineData("0", "0")]
    [InlineData("012", null)]
    [InlineData("1.5", null)]
    [InlineData("1.", null)]
    [InlineData("1e3", null)]
    [InlineData("-", null)]
    [InlineData("", null)]
    public void WholeNumber_IsTheShortestSpelling_OrNull(string id, string? expected) => Assert.Equal(expected, IdList.WholeNumber(id));

    // Values so small that float32 holds them as subnormals (or 0) have lost digits: refused with the fix, unless some
    // value is a normal float (values far below it are below float32's resolution of the data anyway).
    [Fact]
    public void Create_ValuesAllBelowSingleScale_AreRefused_ButZerosAndMixedScalesAreNot()
    {
        var e = Assert.Throws<ArgumentException>(() => ForgettingMatrix.Create([1e-40f, 2e-40f, float.NaN, 0], 2, 2));
        Assert.Contains("below 1.2e-38", e.Message, StringComparison.Ordinal);
        Assert.Contains("Rescale the values", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ForgettingMatrix.Create([-1.1e-38f, 0, 0, 0], 2, 2));
        Assert.Equal(4, ForgettingMatrix.Create([1.2e-38f, 1e-40f, 0, 0], 2, 2).CellCount);
        Assert.Equal(4, ForgettingMatrix.Create([0, 0, 0, 0], 2, 2).CellCount);
        Assert.Equal(4, ForgettingMatrix.Create([float.NaN, float.NaN, float.NaN, float.NaN], 2, 2).CellCount);
        Assert.Equal(4, ForgettingMatrix.Create([1e-32f, 3e-36f, 0, 5e-44f], 2, 2).CellCount); // normal floats keep every digit
    }

    [Fact]
    public void IsBinary_TrueOnlyForZeroOneMatrices()
    {
        Assert.True(ForgettingMatrix.Create(new float[,] { { 0, 1, float.NaN }, { 1, 1, 0 } }).IsBinary);
        Assert.False(ForgettingMatrix.Create(new float[,] { { 0, 1, 0.5f } }).IsBinary);
        Assert.False(ForgettingMatrix.Create(new float[,] { { float.NaN } }).IsBinary);
    }

    [Fact]
    public void IdList_ExplicitNumericIdsMatchingPositionsBecomeImplicit()
    {
        Assert.True(IdList.From(["0", "1", "2"]).IsImplicit);
        Assert.False(IdList.From(["0", "2", "1"]).IsImplicit);
        Assert.False(IdList.From(["00", "1"]).IsImplicit);
        var ids = IdList.From(["b", "a"]);
        Assert.Equal(1, ids.IndexOf("a"));
        Assert.Equal(-1, ids.IndexOf("c"));
        Assert.Equal(7, IdList.Implicit(10).IndexOf("7"));
        Assert.Equal(-1, IdList.Implicit(10).IndexOf("10"));
        Assert.Equal(-1, IdList.Implicit(10).IndexOf("07"));
    }

    [Fact]
    public void SelectTasks_CopiesRowsAndIds()
    {
        var z = ForgettingMatrix.Create(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }, ["x", "y", "w"]);
        var s = z.SelectTasks([2, 0]);
        Assert.Equal([5f, 6f, 1f, 2f], s.Values.ToArray());
        Assert.Equal(["w", "x"], s.TaskIds);
    }
}

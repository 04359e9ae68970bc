using ForgetPredict.Core;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>
/// The order of a matrix read from a long-layout file, A long file
/// whose ids were all whole numbers was read in numeric order, so a wide matrix with ids such as <c>5, 3, 9</c> went
/// wide -> long -> wide with its rows and columns sorted.
/// </summary>
public sealed class LongLayoutOrderTests
{
    // Whole-number ids out of numeric order, a few missing cells (none in the first task, which lists every example).
    private static ForgettingMatrix Unsorted() => ForgettingMatrix.Wrap(
        [1f, 2f, 3f, 4f, 5f, float.NaN, 7f, 8f, 9f, 10f, float.NaN, 12f],
        3,
        4,
        ["5", "3", "9"],
        ["40", "7", "12", "1"]);

    [Theory]
    [InlineData("csv")]
    [InlineData("tsv")]
    [InlineData("parquet")]
    public void WideToLongToWide_KeepsTheOrderOfWholeNumberIdsThatAreNotSorted(string format)
    {
        var original = Unsorted();
        using var longFile = new MemoryStream();
        MatrixFile.Write(original, longFile, format, new MatrixWriteOptions { Layout = MatrixLayout.Long });

        var back = MatrixFile.Read(new MemoryStream(longFile.ToArray()), "long." + format);

        Assert.Equal(["5", "3", "9"], back.TaskIds);
        Assert.Equal(["40", "7", "12", "1"], back.ExampleIds);
        FormatTestSupport.AssertSameValues(original.Values, back.Values);
    }

    // A file that never lists ids against numeric order (a matrix without ids, missing cells making examples first appear
    // late) is still put in numeric order; one that lists them against it keeps first appearance. Both CSV readers
    // (two passes over a file, one pass over a stream) and Parquet decide alike.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LongCsv_SortsWholeNumberIdsOnlyWhenNoTaskListsThemAgainstNumericOrder(bool stream)
    {
        var consistent = "task,example,value\n0,5,1\n1,2,2\n1,5,3\n"u8.ToArray();
        var against = "task,example,value\n0,5,1\n1,5,2\n1,2,3\n0,2,4\n"u8.ToArray();

        var sorted = Read(consistent, stream);
        var kept = Read(against, stream);

        Assert.Equal(["2", "5"], sorted.ExampleIds);
        Assert.Equal([float.NaN, 1f, 2f, 3f], sorted.Values.ToArray());
        Assert.Equal(["5", "2"], kept.ExampleIds);
        Assert.Equal([1f, 4f, 2f, 3f], kept.Values.ToArray());
    }

    [Fact]
    public void LongParquet_TasksListedAgainstNumericOrderWithinAnExample_KeepFirstAppearance()
    {
        // Written a task at a time, so within each example the tasks come 9, 2: against numeric order, so they are not sorted.
        var matrix = ForgettingMatrix.Wrap([1f, 2f, 3f, 4f], 2, 2, ["9", "2"], ["0", "1"]);
        using var longFile = new MemoryStream();
        MatrixFile.Write(matrix, longFile, "parquet", new MatrixWriteOptions { Layout = MatrixLayout.Long });

        var back = MatrixFile.Read(new MemoryStream(longFile.ToArray()), "long.parquet");

        Assert.Equal(["9", "2"], back.TaskIds);
        Assert.Equal(["0", "1"], back.ExampleIds);
        FormatTestSupport.AssertSameValues(matrix.Values, back.Values);
    }

    private static ForgettingMatrix Read(byte[] csv, bool stream)
    {
        if (stream)
        {
            return MatrixFile.Read(new NonSeekable(csv), "long.csv");
        }

        var path = Path.Combine(Path.GetTempPath(), $"fp-longorder-{Guid.NewGuid():N}.csv");
        File.WriteAllBytes(path, csv);
        try
        {
            return MatrixFile.Read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

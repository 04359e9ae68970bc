using System.Text;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;
using static ForgetPredict.Data.Tests.Formats.FormatTestSupport;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>CSV/TSV matrices: both layouts, detection, round trips and every refusal with its message.</summary>
/// <remarks>Its allocation measurements count the test thread's own allocations, which can include other tests' work the
/// thread runs while it waits on a task: it runs alone, after the parallel tests (one full run measured a wide read over its
/// bound; the same read alone stays under it).</remarks>
[Collection(nameof(AllocationMeasurements))]
public class CsvMatrixFormatTests
{
    [Fact]
    public void Read_Wide_TakesIdsFromHeaderAndFirstColumn()
    {
        var m = ReadText(",a,b,c\nt1,0.5,,1e-3\nt2,NaN,nan,NA\n");
        Assert.Equal(["t1", "t2"], m.TaskIds);
        Assert.Equal(["a", "b", "c"], m.ExampleIds);
        Assert.Equal(0.5f, m[0, 0]);
        Assert.Equal(0.001f, m[0, 2]);
        Assert.Equal(4, m.MissingCount);
    }

    [Fact]
    public void Read_NumpySavetxt_HasNoHeaderAndNoIds()
    {
        // np.savetxt("z.csv", z, delimiter=","): every line is data; tasks and examples are numbered.
        var text = "0.000000000000000000e+00,1.000000000000000056e-01,2.000000000000000111e-01\n"
            + "nan,5.000000000000000000e-01,5.999999999999999778e-01\n";
        var m = ReadText(text);
        AssertSame(ReadForwardOnly(text), m);
        Assert.Equal((2, 3), (m.TaskCount, m.ExampleCount));
        Assert.Equal(["0", "1"], m.TaskIds);
        Assert.Equal(["0", "1", "2"], m.ExampleIds);
        Assert.Equal(0.1f, m[0, 1]);
        Assert.True(float.IsNaN(m[1, 0]));

        // A NaN first cell does not make the first line a header.
        var nanFirst = ReadText("nan,1.5\n2.5,nan\n");
        Assert.Equal((2, 2), (nanFirst.TaskCount, nanFirst.ExampleCount));
        Assert.Equal(2.5f, nanFirst[1, 0]);

        // Nor an empty one (pandas to_csv(header=False, index=False) writes NaN so), when the next line starts with a value:
        // ",0.22,0.33" had been read as pandas' unnamed index over decimal example ids, losing a task and an example.
        var emptyFirst = ReadText(",0.22,0.33\n0.44,0.55,0.66\n0.77,0.88,0.99\n");
        AssertSame(ReadForwardOnly(",0.22,0.33\n0.44,0.55,0.66\n0.77,0.88,0.99\n"), emptyFirst);
        Assert.Equal((3, 3), (emptyFirst.TaskCount, emptyFirst.ExampleCount));
        Assert.True(float.IsNaN(emptyFirst[0, 0]));
        Assert.Equal(0.99f, emptyFirst[2, 2]);
        // ... while pandas' header over float column labels, with named tasks under it, stays a header.
        var floatLabels = ReadText(",0.5,1.5\nt0,,0.22\nt1,0.44,0.55\n");
        Assert.Equal(["0.5", "1.5"], floatLabels.ExampleIds);
        Assert.Equal(["t0", "t1"], floatLabels.TaskIds);
    }

    // QA: pandas' pivot of ids held as floats (",100.0,101.0" over "0.0,0.0856,...") was read as a first row of data with
    // its first value missing: the ids became a task and an example of values, and fit reported R^2 0.97.
    [Fact]
    public void Read_PivotOfFloatIds_IsRefusedAsAmbiguous_WhileABinaryRowWithAMissingFirstValueIsData()
    {
        const string Pivot = ",100.0,101.0,102.0\n0.0,0.0856,0.25,0.5\n1.0,0.125,0.75,0.375\n";
        foreach (var read in new Func<string, ForgettingMatrix>[] { t => ReadText(t), t => ReadForwardOnly(t) })
        {
            var e = Assert.Throws<ForgettingDataException>(() => read(Pivot));
            Assert.Equal(1, e.Line);
            Assert.Contains("reads two ways: as pandas' unnamed index over example ids written as decimals", e.Message, StringComparison.Ordinal);
            Assert.Contains("df.index = df.index.astype(int); df.columns = df.columns.astype(int)", e.Message, StringComparison.Ordinal);
        }

        // A binary row (0 and 1 only) and a row of repeated whole values are data, as before.
        var binary = ReadText(",1.0,0.0,1.0\n0.0,1.0,1.0,0.0\n");
        Assert.Equal((2, 4), (binary.TaskCount, binary.ExampleCount));
        Assert.True(float.IsNaN(binary[0, 0]));
        var repeated = ReadText(",2.0,2.0,3.0\n1.0,0.5,0.25,0.125\n");
        Assert.Equal((2, 4), (repeated.TaskCount, repeated.ExampleCount));
        // Integer ids (the fix) read as ids.
        var ints = ReadText(",100,101,102\n0,0.0856,0.25,0.5\n1,0.125,0.75,0.375\n");
        Assert.Equal(["100", "101", "102"], ints.ExampleIds);
        Assert.Equal(["0", "1"], ints.TaskIds);
    }

    // QA: pandas to_csv(header=False) of an integer matrix ("ta,3,1,4,2" first) was read as a header: task 'ta' was lost and
    // its values became example ids, with no word said.
    [Fact]
    public void Read_AnIntegerMatrixWithoutItsHeader_IsRefusedAsAmbiguous_OrReadAsDataWhenARowRepeatsAValue()
    {
        foreach (var read in new Func<string, ForgettingMatrix>[] { t => ReadText(t), t => ReadForwardOnly(t) })
        {
            var e = Assert.Throws<ForgettingDataException>(() => read("ta,3,1,4,2\ntb,40,2,0,12\ntc,0,67,,64\n"));
            Assert.Equal(1, e.Line);
            Assert.Contains("reads two ways: as a header (an index named 'ta' over integer example ids) or as the row of task 'ta'", e.Message, StringComparison.Ordinal);
            Assert.Contains("df.index.name = 'task'", e.Message, StringComparison.Ordinal);

            // A row that repeats a value cannot be a header (example ids are unique): a binary matrix's first task.
            var binary = read("ta,0,1,1,0\ntb,1,0,0,1\n");
            Assert.Equal(["ta", "tb"], binary.TaskIds);
            Assert.Equal((2, 4), (binary.TaskCount, binary.ExampleCount));
            Assert.Equal(1f, binary[1, 0]);
        }

        // Headers that say what they are stay headers: an id column's name, sorted ids, or values with a fraction under them.
        Assert.Equal(["3", "1", "4", "2"], ReadText("task,3,1,4,2\nta,40,2,0,12\n").ExampleIds);
        Assert.Equal(["1", "2", "3", "4"], ReadText("run,1,2,3,4\nta,40,2,0,12\n").ExampleIds);
        Assert.Equal(["3", "1", "4", "2"], ReadText("run,3,1,4,2\nta,0.4,0.2,0,0.12\n").ExampleIds);
    }

    [Fact]
    public void Read_NumpySavetxtHeader_DropsItsCommentMark()
    {
        // np.savetxt("z.csv", z, delimiter=",", header="a,b", comments="# " by default): the header's first id had been '# a'.
        var m = ReadText("# a,b\n0.5,0.25\n0.125,1\n");

        Assert.Equal(["a", "b"], m.ExampleIds);
        Assert.Equal((2, 2), (m.TaskCount, m.ExampleCount));
        Assert.Equal(0.125f, m[1, 0]);
    }

    [Fact]
    public void Write_ExamplesNamedLikeTheLongLayoutsColumns_ReadBackWide()
    {
        // Examples 'example' and 'value' after a task column 'task' make the long layout's header: the file read back as a
        // long table, losing column z. The CSV leaves the index cell empty (pandas' unnamed index); Parquet refuses, naming the fix.
        var z = ForgettingMatrix.Create([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f], 2, 3, ["t1", "t2"], ["example", "value", "z"]);
        using var csv = new MemoryStream();
        CsvMatrixFormat.Write(z, csv);
        var back = MatrixFile.Read(new MemoryStream(csv.ToArray()), "z.csv");

        Assert.StartsWith(",example,value,z", System.Text.Encoding.UTF8.GetString(csv.ToArray()), StringComparison.Ordinal);
        Assert.Equal(z.ExampleIds, back.ExampleIds);
        Assert.Equal(z.TaskIds, back.TaskIds);
        Assert.Equal(z.Values.ToArray(), back.Values.ToArray());
        var refused = Assert.Throws<OptionException>(() => ParquetMatrixFormat.Write(z, new MemoryStream()));
        Assert.Contains("so the file would read back as a long table; write the long layout", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(',')]
    [InlineData('\t')]
    public void Write_EveryIdSetWithTheLongColumnNames_ReadsBackAsWritten_OrIsRefused(char delimiter)
    {
        // Examples task, example and value make the long layout's header whatever the index cell holds: the file read back
        // as a long table (2x2, half missing). Such a matrix is refused, naming the fix; every other id set survives,
        // with whole-number values, missing cells and task ids of every kind.
        string[][] exampleSets = [["task", "example", "value"], ["value", "example", "task"], ["task", "example", "value", "z"], ["a", "task", "example", "value"], ["example", "value"], ["task", "value"], ["task"], ["example", "value", "z"]];
        string[][] taskSets = [["t1", "t2"], ["0", "1"], ["task", "example"], ["1", "1.5"]];
        float[][] valueSets = [[1, 2, 3, 3, 4, 5, 6, 7], [float.NaN, float.NaN, 3, 3, 4, 5, 6, 7], [0.5f, 1e-8f, 3e20f, -2, 0, float.NaN, 1, 2]];
        foreach (var examples in exampleSets)
        {
            foreach (var tasks in taskSets)
            {
                foreach (var values in valueSets)
                {
                    var m = ForgettingMatrix.Create(values.AsSpan(0, tasks.Length * examples.Length).ToArray(), tasks.Length, examples.Length, tasks, examples);
                    using var text = new MemoryStream();
                    if (examples.Contains("task") && examples.Contains("example") && examples.Contains("value"))
                    {
                        var refused = Assert.Throws<OptionException>(() => CsvMatrixFormat.Write(m, text, delimiter: delimiter));
                        Assert.Contains("the long layout's columns, so the file could read back as a long table; write the long layout (MatrixWriteOptions.Layout = long)", refused.Message, StringComparison.Ordinal);
                        continue;
                    }

                    CsvMatrixFormat.Write(m, text, delimiter: delimiter);
                    var back = MatrixFile.Read(new MemoryStream(text.ToArray()), delimiter == ',' ? "w.csv" : "w.tsv");

                    var shown = $"{string.Join('|', tasks)} x {string.Join('|', examples)}: {Encoding.UTF8.GetString(text.ToArray())}";
                    Assert.True(m.TaskIds.SequenceEqual(back.TaskIds) && m.ExampleIds.SequenceEqual(back.ExampleIds), shown);
                    Assert.True(m.Values.ToArray().SequenceEqual(back.Values.ToArray()), shown);
                }
            }
        }
    }

    [Theory]
    // pandas to_csv() of float frames whose columns are task, example, value: its unnamed index, or one named 'task'. A
    // value with a fractional part under 'example' is never an id.
    [InlineData(",task,example,value\nt1,1.5,2.25,3.0\nt2,3.0,4.0,5.0\n")]
    [InlineData(",task,example,value\nt1,1.0,2,3\nt2,3.0,4.5,5\n")]
    [InlineData(",task,example,value\n0,1.0,2.0,3.0\n1,3.0,4.125,5.0\n")]
    [InlineData("task,a,example,value\nt1,1.0,2.5,3.0\nt2,3.0,4.0,5.0\n")]
    [InlineData(",task,example,value\nt1,,2.75,3.0\nt2,3.0,4.0,5.0\n")]
    // Whole-number values under text task ids in pandas' index (a long table's index is its row numbers).
    [InlineData(",task,example,value\nt1,1,2,3\nt2,3,4,5\n")]
    [InlineData(",task,example,value\nt1,1.0,2.0,3.0\nt2,3.0,4.0,5.0\n")]
    public void Read_PandasWideFrameWithColumnsNamedLikeTheLongLayout_IsWide(string text)
    {
        var m = ReadText(text);
        Assert.Equal(2, m.TaskCount);
        Assert.Equal(3, m.ExampleCount);
        Assert.Equal(5f, m[1, 2]);
    }

    [Theory]
    // A long table, with pandas' index, with extra columns, with integer ids (shuffled, none repeating): still long.
    [InlineData(",task,example,value\n0,1,2,0.5\n1,1,3,0.25\n2,4,2,0.125\n")]
    [InlineData(",task,example,value\n0,t1,e1,0.5\n1,t2,e2,0.25\n")]
    [InlineData(",task,example,value\n7,5,2,0.5\n3,1,3,0.25\n9,4,8,0.125\n")]
    [InlineData("task,example,value,seed\n1,2,0.5,7\n1,3,0.25,7\n4,2,0.125,7\n")]
    [InlineData("task,example,value,seed\nt1,e1,0.5,7\n")]
    [InlineData("task,example,value\n1,2,0.5\n")]
    public void Read_LongTablesWhoseHeaderCouldBeWide_StayLong(string text)
    {
        var m = ReadText(text);
        Assert.DoesNotContain("value", m.ExampleIds);
        Assert.DoesNotContain("example", m.ExampleIds);
    }

    [Fact]
    public void Read_ALongTableReadOnce_StaysLong()
    {
        // A pipe cannot be read twice: pandas' default long table (its index first) is read as long, as before the check.
        var bytes = Encoding.UTF8.GetBytes(",task,example,value\n0,1,2,0.5\n1,1,3,0.25\n");
        using var once = new NonSeekable(bytes);
        var m = CsvMatrixFormat.Read(once, "pipe.csv");
        Assert.Equal((1, 2), (m.TaskCount, m.ExampleCount));
    }

    [Theory]
    // Whole numbers written as decimals (an id column that held a NaN, in pandas) or missing cells under task and example:
    // a long table's ids written as floats, or a wide matrix's values.
    [InlineData(",task,example,value\n0,1.0,2.0,0.5\n1,1.0,3.0,0.25\n")]
    [InlineData("task,a,example,value\nt1,1.0,2.0,3\nt2,3.0,4.0,5\n")]
    public void Read_AHeaderAndRowsThatFitBothLayouts_AreRefusedNamingTheLayoutOption(string text)
    {
        var e = Refusal(text);
        Assert.Contains(text.StartsWith(',') ? "heads either a long table or a wide matrix whose examples include 'task', 'example', 'value'," : "heads either a long table or a wide matrix whose examples include 'example', 'value',", e.Message, StringComparison.Ordinal);
        Assert.Contains("MatrixReadOptions.Layout = wide", e.Message, StringComparison.Ordinal);
        Assert.Contains("MatrixReadOptions.Layout = long", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
        Assert.Equal(3, ReadText(text, options: new MatrixReadOptions { Layout = MatrixLayout.Wide }).ExampleCount);
    }

    // QA: pandas' df.stack().reset_index().to_csv() (value column '0', or renamed 'loss') and a DuckDB table with a row number
    // first were read as wide matrices of their row numbers, with examples 'task', 'example' and 'loss' holding ids.
    [Theory]
    [InlineData(",task,example,loss\n0,0,0,0.5\n1,0,1,0.25\n2,1,0,1.0\n", "--columns task,example,loss", "")]
    [InlineData(",task,example,0\n0,t0,a,0.5\n1,t0,b,0.25\n", "--columns task,example,0", "")]
    [InlineData("id,task,example,loss,seed\n0,0,0,0.5,1\n1,0,1,0.25,1\n", "--columns task,example,VALUE (VALUE: its value column, one of 'loss', 'seed')", "")]
    [InlineData(",task,example,loss\n0,0,0,0.5\n", "--columns task,example,loss", "pipe")]
    public void Read_ALongTableSavedWithItsIndex_AndAValueColumnOfAnotherName_IsRefusedNamingTheColumns(string text, string fix, string how)
    {
        var e = how == "pipe"
            ? Assert.Throws<ForgettingDataException>(() => CsvMatrixFormat.Read(new NonSeekable(Encoding.UTF8.GetBytes(text)), "pipe.csv"))
            : Refusal(text);
        Assert.Contains("names the columns 'task' and 'example' after a first column of its own (pandas' index", e.Message, StringComparison.Ordinal);
        Assert.Contains(fix.Replace("--columns ", "MatrixReadOptions.TaskColumn/ExampleColumn/ValueColumn = ", StringComparison.Ordinal), e.Message, StringComparison.Ordinal);
        Assert.Equal(1, e.Line);
        var columns = fix.Split(' ')[1].Split(',');
        var m = ReadText(text, options: new MatrixReadOptions { Layout = MatrixLayout.Long, TaskColumn = columns[0], ExampleColumn = columns[1], ValueColumn = columns[2] == "VALUE" ? "loss" : columns[2] });
        Assert.Equal(0.5f, m[0, 0]);
    }

    // QA: a comma-separated file named .tsv was told "if by tabs, name it .tsv", which it already was. (A .csv sniffs its
    // delimiter, so tabs there are read as such.)
    [Theory]
    [InlineData("task,a,b\nt0,1,2\n", "m.tsv", "Its cells are separated by commas, not the tabs a .tsv file's are: name the file .csv or pass MatrixReadOptions.Format = csv.")]
    [InlineData("task a b\nt0 1 2\n", "m.csv", "If the values are separated by spaces (np.savetxt's default), name the file .txt")]
    public void Read_AHeaderOfOneCell_NamesTheDelimiterItHolds(string text, string name, string advice)
    {
        var e = Refusal(text, name);
        Assert.Contains("the header has a single column", e.Detail, StringComparison.Ordinal);
        Assert.Contains(advice, e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AWideMatrixWithExamplesNamedTaskAndExample_StaysWide_WhenItsValuesHaveFractions()
    {
        var m = ReadText(",task,example,other\nt0,0.5,0.25,1\nt1,0.125,0.75,2\n");
        Assert.Equal(["task", "example", "other"], m.ExampleIds);
        Assert.Equal(0.75f, m[1, 1]);
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Position { get => base.Position; set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }

    [Fact]
    public void Read_PandasWithoutIndex_NumbersTheTasks()
    {
        // DataFrame(z, columns=[...]).to_csv(index=False): a header of example ids, rows of values only.
        var named = ReadText("a,b,c,d\n0.0,0.1,0.2,0.3\n0.4,0.5,0.6,0.7\n");
        Assert.Equal(["0", "1"], named.TaskIds);
        Assert.Equal(["a", "b", "c", "d"], named.ExampleIds);
        Assert.Equal(0.0f, named[0, 0]);

        // Unnamed columns: pandas writes 0, 1, 2, ... as the header, which stays a header.
        var unnamed = ReadText("0,1,2\n0.5,,1.5\n2.5,3.5,4.5\n");
        Assert.Equal(["0", "1", "2"], unnamed.ExampleIds);
        Assert.Equal((2, 3), (unnamed.TaskCount, unnamed.ExampleCount));
        Assert.Equal(0.5f, unnamed[0, 0]);

        // A first column named like an id column keeps fractional ids (tasks named by their learning rate).
        var rates = ReadText("task,a,b\n0.001,0.5,1.5\n0.0003,2.5,3.5\n");
        Assert.Equal(["0.001", "0.0003"], rates.TaskIds);
        Assert.Equal(["a", "b"], rates.ExampleIds);

        // With its index (the default), unchanged: integer task ids from the first column.
        var indexed = ReadText(",0,1\n0,0.5,1.5\n1,2.5,3.5\n");
        Assert.Equal(["0", "1"], indexed.TaskIds);
        Assert.Equal(["0", "1"], indexed.ExampleIds);
        Assert.Equal(1.5f, indexed[0, 1]);
    }

    [Fact]
    public void Read_PandasWithoutIndex_IntegerColumnNames_AreAHeader()
    {
        // DataFrame(z, columns=[10, 20, 30]).to_csv(index=False): a first line of whole numbers over rows of values is a
        // header of example ids (it was read as a task '10' whose cells were 20 and 30).
        var m = ReadText("10,20,30\n0.5,1.5,2.5\n3.5,,4.5\n");
        AssertSame(ReadForwardOnly("10,20,30\n0.5,1.5,2.5\n3.5,,4.5\n"), m);
        Assert.Equal(["10", "20", "30"], m.ExampleIds);
        Assert.Equal(["0", "1"], m.TaskIds);
        Assert.Equal(0.5f, m[0, 0]);
        Assert.True(float.IsNaN(m[1, 1]));

        // A missing first value under it says the same.
        var missingFirst = ReadText("10,20\n,1.5\n2.5,3.5\n");
        Assert.Equal(["10", "20"], missingFirst.ExampleIds);
        Assert.Equal((2, 2), (missingFirst.TaskCount, missingFirst.ExampleCount));

        // Whole numbers over whole numbers stay data (np.savetxt fmt='%d' with a task id column), and so does a single line.
        var integers = ReadText("3,10,20\n7,30,40\n");
        Assert.Equal(["3", "7"], integers.TaskIds);
        Assert.Equal(40f, integers[1, 1]);
        var single = ReadText("5,6,7\n");
        Assert.Equal(["5"], single.TaskIds);
        Assert.Equal(2, single.ExampleCount);
    }

    [Fact]
    public void Write_ExampleIdsThatLookLikeValues_RoundTrip()
    {
        // This format's own header, task,0.5,1.5,1e3, was read back as the row of a task named 'task'.
        var matrix = ForgettingMatrix.Create(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }, ["t0", "t1"], ["0.5", "1.5", "1e3"]);
        var stream = new MemoryStream();
        CsvMatrixFormat.Write(matrix, stream);
        stream.Position = 0;
        AssertSame(matrix, CsvMatrixFormat.Read(stream, "z.csv"));
        Assert.Equal(["0.5", "1.5", "1e3"], ReadText("id,0.5,1.5,1e3\nt0,1,2,3\n").ExampleIds);

        // An example named like the index column: the header's first cell is left empty (pandas' unnamed index).
        var named = ForgettingMatrix.Create(new float[,] { { 1, 2 } }, ["t0"], ["task", "x"]);
        var written = new MemoryStream();
        CsvMatrixFormat.Write(named, written);
        Assert.StartsWith(",task,x\n", Encoding.UTF8.GetString(written.ToArray()), StringComparison.Ordinal);
        written.Position = 0;
        AssertSame(named, CsvMatrixFormat.Read(written, "z.csv"));
    }

    [Fact]
    public void Read_MaxCells_RefusesAShapeBeyondIt_BeforeAllocating_InEveryLayout()
    {
        var limited = new MatrixReadOptions { MaxCells = 5 };
        var longText = "task,example,value\na,x,1\nb,y,2\nc,z,3\n";
        var e = Assert.Throws<ForgettingDataException>(() => ReadText(longText, options: limited));
        Assert.Contains("the matrix is 3 x 3 (9 cells), more than the 5 accepted here (MatrixReadOptions.MaxCells)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ForgettingDataException>(() => ReadForwardOnly(longText, options: limited));
        Assert.Equal(9, ReadText(longText, options: new MatrixReadOptions { MaxCells = 9 }).CellCount);

        // Parquet, wide: the footer's rows x columns.
        var matrix = ForgettingMatrix.Create(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var path = Path.Combine(RepoPaths.NewTempFolder(), "z.parquet");
        MatrixFile.Write(matrix, path);
        Assert.Contains("the matrix is 2 x 3 (6 cells), more than the 5 accepted here", Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path, limited)).Message, StringComparison.Ordinal);
        Assert.Throws<OptionException>(() => MatrixFile.Read(path, new MatrixReadOptions { MaxCells = 0 }));
    }

    [Fact]
    public void Read_PandasWithoutHeader_KeepsTheIndexAsTaskIds()
    {
        // to_csv(header=False): integer task ids, then values; examples are numbered.
        var m = ReadText("3,0.5,1.5\n7,2.5,3.5\n");
        Assert.Equal(["3", "7"], m.TaskIds);
        Assert.Equal(["0", "1"], m.ExampleIds);
        Assert.Equal(3.5f, m[1, 1]);

        // Named task ids: the first line is the first task's row, not a header with example ids "0.5", "1.5", "3".
        var named = ReadText("t0,0.5,1.5,3\nt1,2.5,,1e-3\n");
        Assert.Equal(["t0", "t1"], named.TaskIds);
        Assert.Equal(["0", "1", "2"], named.ExampleIds);
        Assert.Equal(0.001f, named[1, 2]);
        Assert.True(float.IsNaN(named[1, 1]));

        // A header whose example ids are integers stays a header.
        var header = ReadText("task,3,17\nt0,0.5,1.5\n");
        Assert.Equal(["3", "17"], header.ExampleIds);
        Assert.Equal(["t0"], header.TaskIds);
    }

    [Fact]
    public void Read_TextWrittenByNumpyAndPandas_EqualsTheNpyOfTheSameMatrix()
    {
        // Given: one matrix with missing cells saved by numpy and pandas in their common text forms.
        var folder = RepoPaths.NewTempFolder("fp-csv-python");
        ExternalTool.RunPython("""
            import numpy as np, pandas as pd, sys, os
            f = sys.argv[1]
            rng = np.random.default_rng(3)
            z = rng.normal(0.2, 0.3, size=(7, 11)).astype(np.float32)
            z[2, 0] = np.nan
            z[0, 5] = np.nan
            np.save(os.path.join(f, 'z.npy'), z)
            np.savetxt(os.path.join(f, 'savetxt.csv'), z, delimiter=',')
            np.savetxt(os.path.join(f, 'savetxt.tsv'), z, delimiter='\t', fmt='%.9g')
            pd.DataFrame(z).to_csv(os.path.join(f, 'no-index.csv'), index=False)
            pd.DataFrame(z).to_csv(os.path.join(f, 'no-header.csv'), header=False)
            pd.DataFrame(z, index=[f't{i}' for i in range(7)]).to_csv(os.path.join(f, 'named-no-header.csv'), header=False)
            pd.DataFrame(z).to_csv(os.path.join(f, 'default.csv'))
            """, folder);
        var expected = MatrixFile.Read(Path.Combine(folder, "z.npy"));

        // When / Then: the same cells (float32 printed with 18 or 9 significant digits reads back exactly), tasks and
        // examples numbered 0, 1, 2, ... as in the .npy.
        foreach (var name in new[] { "savetxt.csv", "savetxt.tsv", "no-index.csv", "no-header.csv", "default.csv" })
        {
            var actual = MatrixFile.Read(Path.Combine(folder, name));
            AssertSame(expected, actual);
        }

        // Named tasks without a header: every task kept, with its name; examples numbered.
        var named = MatrixFile.Read(Path.Combine(folder, "named-no-header.csv"));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"t{i}"), named.TaskIds);
        AssertSame(expected, named.WithIds(expected.TaskIds, null));

        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Read_IntegerValuesWithoutIndex_AreRefusedWithTheFix()
    {
        // Integers in the first column read as task ids; repeated ones say how to fix the file.
        var e = Assert.Throws<ForgettingDataException>(() => ReadText("a,b\n0,1\n1,0\n0,0\n"));
        Assert.Contains("task '0' appears twice", e.Message, StringComparison.Ordinal);
        Assert.Contains("pandas to_csv(index=False)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Long_TakesIdsInFirstAppearanceOrderAndLeavesOtherCellsMissing()
    {
        // Given: columns in another order, an extra column, ids in no particular order.
        var m = ReadText("seed,value,example,task\n1,0.25,e2,tB\n1,0.5,e1,tA\n2,0.75,e1,tB\n");

        Assert.Equal(["tB", "tA"], m.TaskIds);
        Assert.Equal(["e2", "e1"], m.ExampleIds);
        Assert.Equal(0.25f, m[0, 0]);
        Assert.Equal(0.75f, m[0, 1]);
        Assert.Equal(0.5f, m[1, 1]);
        Assert.True(float.IsNaN(m[1, 0]));
    }

    [Theory]
    [InlineData(",,0\nt1,e1,0.5\nt1,e2,0.25\nt2,e1,0.75\n", "Unnamed: 0", "Unnamed: 1", "0")]                   // df.stack().to_csv()
    [InlineData(",variable,value\nt1,e1,0.5\nt1,e2,0.25\nt2,e1,0.75\n", "Unnamed: 0", "variable", "value")]       // df.melt(ignore_index=False).to_csv()
    [InlineData("index,variable,value\nt1,e1,0.5\nt1,e2,0.25\nt2,e1,0.75\n", "index", "variable", "value")]      // df.reset_index().melt(id_vars='index')
    public void Read_PandasLongTables_AreRefusedNamingTheirColumns_WhichReadThemWhenGivenBack(string text, string task, string example, string value)
    {
        // Given: a long table pandas wrote under its own column names (empty header cells are what pandas calls 'Unnamed: i').
        var e = Assert.Throws<ForgettingDataException>(() => ReadText(text));

        // Then: the message names the layout and the columns, and the names it gives read the file.
        Assert.Contains($"If this is a long table (one row per cell), read it with MatrixReadOptions.Layout = long and MatrixReadOptions.TaskColumn/ExampleColumn/ValueColumn = {task},{example},{value}.", e.Message, StringComparison.Ordinal);
        var m = ReadText(text, options: new MatrixReadOptions { Layout = MatrixLayout.Long, TaskColumn = task, ExampleColumn = example, ValueColumn = value });
        Assert.Equal(["t1", "t2"], m.TaskIds);
        Assert.Equal(["e1", "e2"], m.ExampleIds);
        Assert.Equal(0.25f, m[0, 1]);
    }

    [Fact]
    public void Read_AMeltedIntegerMatrix_WhoseTaskRepeats_NamesTheLongLayout()
    {
        // Given: df.reset_index().melt(id_vars='index').to_csv(index=False) of a matrix with integer ids.
        var e = Assert.Throws<ForgettingDataException>(() => ReadText("index,variable,value\n0,0,0.5\n1,0,0.25\n0,1,0.75\n1,1,0.125\n"));

        Assert.Contains("m.csv:4: column 'index': task '0' appears twice, on lines 2 and 4;", e.Message, StringComparison.Ordinal);
        Assert.Contains("If this is a long table (one row per cell), read it with MatrixReadOptions.Layout = long and MatrixReadOptions.TaskColumn/ExampleColumn/ValueColumn = index,variable,value.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LongWithCustomColumnNames_UsesThem()
    {
        var options = new MatrixReadOptions { TaskColumn = "task_id", ExampleColumn = "example_id", ValueColumn = "forgot" };
        var m = ReadText("Task_ID , example_id,forgot\nft_07,ex_1,1\n", options: options);
        Assert.Equal(("ft_07", "ex_1", 1f), (m.TaskIds[0], m.ExampleIds[0], m[0, 0]));
    }

    [Fact]
    public void Read_LongHeaderReadAsWide_WhenLayoutSaysWide()
    {
        var m = ReadText("task,example,value\nt,1,2\n", options: new MatrixReadOptions { Layout = MatrixLayout.Wide });
        Assert.Equal(["example", "value"], m.ExampleIds);
    }

    [Theory]
    [InlineData("m.tsv", "\t")]
    [InlineData("m.csv", "\t")]
    [InlineData("m.csv", ";")]
    [InlineData("m.csv", ",")]
    public void Read_Delimiters_ByExtensionOrSniffed(string name, string delimiter)
    {
        var m = ReadText($"x{delimiter}a{delimiter}b\nt{delimiter}1{delimiter}2\n", name);
        Assert.Equal(["a", "b"], m.ExampleIds);
        Assert.Equal([1f, 2f], m.Values.ToArray());
    }

    [Fact]
    public void Read_BomCrlfAndQuotedCells_AreRead()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("\"\",\"a,1\",\"b\"\r\n\"t\"\"1\",\"0.5\",\"\"\r\n")).ToArray();
        using var stream = new MemoryStream(bytes);
        var m = MatrixFile.Read(stream, "m.csv");
        Assert.Equal(["t\"1"], m.TaskIds);
        Assert.Equal(["a,1", "b"], m.ExampleIds);
        Assert.Equal(0.5f, m[0, 0]);
        Assert.True(float.IsNaN(m[0, 1]));
    }

    public static TheoryData<MatrixLayout, string> Layouts() => new()
    {
        { MatrixLayout.Wide, "m.csv" },
        { MatrixLayout.Long, "m.csv" },
        { MatrixLayout.Wide, "m.tsv" },
        { MatrixLayout.Long, "m.tsv" },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Write_ThenRead_GivesTheSameMatrix(MatrixLayout layout, string name)
    {
        // Given: awkward ids (comma, quotes, line break, non-ASCII) and values across magnitudes with NaN.
        var matrix = Matrix(6, 40, seed: 5);
        using var stream = new MemoryStream();
        MatrixFile.Write(matrix, stream, MatrixFile.FormatOf(name, null), new MatrixWriteOptions { Layout = layout });

        // When
        stream.Position = 0;
        var back = MatrixFile.Read(stream, name);

        // Then: the same cells under the same ids. Long files list ids in order of first appearance, so the order of
        // examples can change when the first task has missing cells; wide keeps it.
        if (layout == MatrixLayout.Wide)
        {
            AssertSame(matrix, back);
        }
        else
        {
            AssertSameCells(matrix, back);
        }
    }

    [Fact]
    public void Write_Long_WritesOnlyObservedCells()
    {
        var matrix = ForgettingMatrix.Create([1f, float.NaN, float.NaN, 0.5f], 2, 2, ["a", "b"], ["x", "y"]);
        using var stream = new MemoryStream();
        CsvMatrixFormat.Write(matrix, stream, new MatrixWriteOptions { Layout = MatrixLayout.Long });
        Assert.Equal("task,example,value\na,x,1.0\nb,y,0.5\n", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void Write_Wide_HasTaskHeaderAndEmptyMissingCells()
    {
        var matrix = ForgettingMatrix.Create([1f, float.NaN, 1e-8f, 0.1f], 2, 2);
        using var stream = new MemoryStream();
        CsvMatrixFormat.Write(matrix, stream);
        Assert.Equal("task,0,1\n0,1.0,\n1,1E-08,0.1\n", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("tsv")]
    [InlineData("txt")]
    public void Write_WholeNumbers_HaveTheirPointZero_AndReadBackInPandasAsFloats(string format)
    {
        // Given: whole values (pandas had read such a column as int64, and -0 had lost its sign), beside others.
        var matrix = ForgettingMatrix.Create([1f, -0f, 123456790f, 0.1f, 1e20f, float.NaN, -3f, 2.5f], 2, 4);
        var path = Path.Combine(RepoPaths.NewTempFolder("fp-whole"), "z." + format);

        // When
        MatrixFile.Write(matrix, path);

        // Then: '1.0', '-0.0', '123456790.0', shortest round-trip digits otherwise; pandas reads float columns, -0.0 signed.
        var text = File.ReadAllText(path);
        var separator = format switch { "csv" => ",", "tsv" => "\t", _ => " " };
        Assert.Contains(string.Join(separator, "1.0", "-0.0", "123456790.0", "0.1"), text, StringComparison.Ordinal);
        Assert.Contains(string.Join(separator, "1E+20", format == "txt" ? "nan" : string.Empty, "-3.0", "2.5"), text, StringComparison.Ordinal);
        var read = format == "txt"
            ? "d = pd.DataFrame(np.loadtxt(sys.argv[1]))"
            : $"d = pd.read_csv(sys.argv[1], index_col=0, sep={(format == "csv" ? "','" : "'\\t'")})";
        var answer = ExternalTool.RunPython($"import sys, numpy as np, pandas as pd\n{read}\nprint(sorted(set(str(t) for t in d.dtypes)), bool(np.signbit(d.iloc[0, 1])), repr(float(d.iloc[0, 2])))", path);
        Assert.Equal("['float64'] True 123456790.0", answer.Trim());
        Assert.Equal(matrix.Values.ToArray(), MatrixFile.Read(path).Values.ToArray());
    }

    // Refusals: each names the line (and column where one is at fault) and says how to fix it.
    [Theory]
    [InlineData("task,example,value\na,x,1\nb,y,2\na,x,3\n", "appears twice, on lines 2 and 4", 4)]
    [InlineData("task,example,value\n\na,x,1\n\"b\nc\",y,2\na,x,3\n", "appears twice, on lines 3 and 6", 6)]
    [InlineData(",a,b\nt1,1,2\nt2,1\n", "row has 2 fields but the header has 3", 3)]
    [InlineData(",a,b\nt1,1,2,3\n", "row has 4 fields but the header has 3. If the numbers use decimal commas", 2)]
    [InlineData("task,example,value\na,x\n", "row has 2 fields but the header has 3", 2)]
    [InlineData(",a,b\nt1,\"1,5\",2\n", "'1,5' uses a decimal comma", 2)]
    // A thousands separator is not taken for a decimal comma (its fix, replacing ',' by '.', turned 1000 into 1).
    [InlineData(",a,b\nt1,\"1,000\",2\n", "'1,000' has a comma, which is either a decimal comma or a thousands separator (1.000 or 1000?)", 2)]
    [InlineData(",a,b\nt1,\"1,000\",2\n", "If it is a decimal comma, re-export with a decimal point (pandas: to_csv(decimal='.')); if it is a thousands separator, write the numbers without one", 2)]
    [InlineData(",a,b\nt1,\"-1,234,567\",2\n", "'-1,234,567' has thousands separators; numbers must be written without them", 2)]
    [InlineData(",a,b\nt1,\"1,234.5\",2\n", "'1,234.5' has thousands separators", 2)]
    [InlineData("x;a;b\nt1;1,5;2\n", "'1,5' uses a decimal comma", 2)]
    [InlineData(",a,b\nt1,inf,2\n", "'inf' is infinite", 2)]
    [InlineData(",a,b\nt1,1,-Infinity\n", "'-Infinity' is infinite", 2)]
    [InlineData(",a,b\nt1,1,1e40\n", "'1e40' is infinite (or beyond float32's range)", 2)]
    [InlineData("task,example,value\na,x,inf\n", "'inf' is infinite", 2)]
    [InlineData(",a,b\nt1,abc,2\n", "'abc' is not a number", 2)]
    [InlineData(",a,a\nt1,1,2\n", "example id 'a' is in the header twice, as columns 2 and 3", 1)]
    [InlineData(",a,\nt1,1,2\n", "header cell 3 is empty", 1)]
    [InlineData(",a,b\nt1,1,2\nt1,3,4\n", "task 't1' appears twice, on lines 2 and 3", 3)]
    [InlineData(",a,b\n,1,2\n", "m.csv:2: column '1': the task id (column 1) is empty", 2)]
    [InlineData("id,a,b\nt1,1,2\n,3,4\n", "m.csv:3: column 'id': the task id (column 1) is empty", 3)]   // was column '1'
    [InlineData("task,example,value\n,x,1\n", "the id is empty", 2)]
    [InlineData("just_one_column\n1\n", "single column", 1)]
    [InlineData(",a,b\n", "no task rows", 1)]
    [InlineData("task,example,value\n", "no data rows", 1)]
    [InlineData("", "the file is empty", 0)]
    [InlineData(",a\nt,\"0.5\n", "never closed", 2)]
    public void Read_BadFile_IsRefusedNamingLineAndFix(string text, string expected, long line)
    {
        var e = Refusal(text);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(line, e.Line);
        Assert.StartsWith("m.csv", e.Message, StringComparison.Ordinal);
    }

    // One whole number written two ways ('1' and '1.0', as when frames with int and float id columns are concatenated)
    // would be two examples or tasks; refused in every layout, from a file or a pipe.
    [Theory]
    [InlineData("task,example,value\na,0,1\na,1.0,2\nb,0.0,3\nb,1,4\n", "Ids '0' and '0.0' (positions 0 and 2)")]
    [InlineData("task,example,value\n7,x,1\n7.0,y,2\n", "Ids '7' and '7.0' (positions 0 and 1)")]
    [InlineData(",0,1,0.0\na,1,2,3\nb,4,5,6\n", "Ids '0' and '0.0' (positions 0 and 2)")]
    [InlineData(",a,b\n3,1,2\n3.0,4,5\n", "Ids '3' and '3.0' (positions 0 and 1)")]
    public void Read_OneNumberWrittenTwoWaysAsIds_IsRefusedNamingTheFile(string text, string expected)
    {
        foreach (var e in new[] { Refusal(text), Assert.Throws<ForgettingDataException>(() => ReadForwardOnly(text)) })
        {
            Assert.StartsWith("m.csv", e.Message, StringComparison.Ordinal);
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("task,example,value\na,x,1\nb,y,2\na,x,3\n", "appears twice, on lines 2 and 4")]
    [InlineData("task,example,value\n\na,x,1\n\"b\nc\",y,2\na,x,3\n", "appears twice, on lines 3 and 6")]
    [InlineData("task,example,value\na,x\n", "row has 2 fields but the header has 3")]
    [InlineData("task,example,value\na,x,inf\n", "'inf' is infinite")]
    [InlineData("task,example,value\n", "no data rows")]
    public void Read_LongFromForwardOnlyStream_RefusesLikeFromAFile(string text, string expected)
    {
        var fromFile = Refusal(text);
        var fromPipe = Assert.Throws<ForgettingDataException>(() => ReadForwardOnly(text));
        Assert.Contains(expected, fromPipe.Message, StringComparison.Ordinal);
        Assert.Equal(fromFile.Message, fromPipe.Message);
    }

    [Theory]
    [InlineData(MatrixLayout.Wide)]
    [InlineData(MatrixLayout.Long)]
    public void Read_FromForwardOnlyStream_EqualsReadingTheFile(MatrixLayout layout)
    {
        var matrix = Matrix(7, 300, seed: 12);
        using var stream = new MemoryStream();
        CsvMatrixFormat.Write(matrix, stream, new MatrixWriteOptions { Layout = layout });
        var text = Encoding.UTF8.GetString(stream.ToArray());
        AssertSame(ReadText(text), ReadForwardOnly(text));
    }

    [Theory]
    [InlineData(",a,b\nt1,1,2\nt2,3,4\n")]
    [InlineData(",a,b\nt1,1,2\nt2,3,4")]
    [InlineData(",a,b\r\nt1,1,2\r\nt2,3,4\r\n")]
    [InlineData(",a,b\rt1,1,2\rt2,3,4\r")]
    [InlineData(",a,b\nt1,1,2\n\n\nt2,3,4\n\n\n\n")]
    [InlineData(",\"a\nx\",b\n\"t\n1\",1,2\nt2,3,4\n")]
    [InlineData("\n\n,a,b\nt1,1,2\nt2,3,4\n")]
    public void Read_WideLineEndingsAndBlankLines_SameFromFileAndPipe(string text)
    {
        // The file path sizes the matrix from a line count; the pipe path cannot. Both must agree.
        var fromFile = ReadText(text);
        AssertSame(ReadForwardOnly(text), fromFile);
        Assert.Equal(2, fromFile.TaskCount);
    }

    [Fact]
    public void Read_WideFile_AllocatesAboutTheMatrix()
    {
        // Given: 40 x 20,000 cells (3.2 MB as float32).
        var matrix = Matrix(40, 20_000, seed: 14, missing: 0.01, awkwardIds: false);
        using var stream = new MemoryStream();
        CsvMatrixFormat.Write(matrix, stream);
        stream.Position = 0;
        _ = MatrixFile.Read(stream, "w.csv");

        // When
        stream.Position = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var back = MatrixFile.Read(stream, "w.csv");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Then: the matrix once plus the ids (20,000 ids with their lookups), not the rows twice (that is 3.2 MB more). Run
        // alone this read allocates 6.9 MB (3.7 MB beyond the matrix), and the limit of 6.8 MB had held only after other
        // tests had filled the shared pools: the ids' share is now 4 MB.
        AssertSame(matrix, back);
        Assert.True(allocated < (3_200_000 * 1.2) + 4_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Read_LongFile_AllocatesAboutTheMatrixNotTheRows()
    {
        // Given: 200 x 2,000 cells as 400,000 long rows (about 8 MB of text; the matrix is 1.6 MB).
        var matrix = Matrix(200, 2000, seed: 13, missing: 0, awkwardIds: false);
        using var stream = new MemoryStream();
        CsvMatrixFormat.Write(matrix, stream, new MatrixWriteOptions { Layout = MatrixLayout.Long });

        // When: read from the seekable stream (two passes), and from a pipe (one pass, which must keep the rows).
        stream.Position = 0;
        _ = MatrixFile.Read(stream, "long.csv");
        stream.Position = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var back = MatrixFile.Read(stream, "long.csv");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        stream.Position = 0;
        var beforePipe = GC.GetAllocatedBytesForCurrentThread();
        _ = MatrixFile.Read(new ForwardOnlyStream(stream), "long.csv");
        var allocatedPipe = GC.GetAllocatedBytesForCurrentThread() - beforePipe;

        // Then: the matrix (1.6 MB) and the ids, not 12 bytes per row (4.8 MB) as the one-pass read needs.
        AssertSame(matrix, back);
        Assert.True(allocated < 2_500_000, $"allocated {allocated} bytes");
        Assert.True(allocatedPipe > allocated + 4_000_000, $"one pass allocated {allocatedPipe} bytes, two passes {allocated}");
    }

    [Fact]
    public void Read_BadCell_NamesTheExampleColumnAndTask()
    {
        var e = Refusal(",a,b\nt1,1,oops\n");
        Assert.Equal("b", e.Column);
        Assert.Contains("m.csv:2: column 'b': task 't1': 'oops' is not a number", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LongLayoutWithoutItsColumns_ListsWhatIsMissingAndTheHeader()
    {
        var e = Refusal("task,ex,val\na,x,1\n", options: new MatrixReadOptions { Layout = MatrixLayout.Long });
        Assert.Contains("needs columns 'task', 'example' and 'value' but the header has no 'example' or 'value' (it has 'task', 'ex', 'val')", e.Message, StringComparison.Ordinal);
        Assert.Contains("(MatrixReadOptions.TaskColumn/ExampleColumn/ValueColumn = TASK,EXAMPLE,VALUE)", e.Message, StringComparison.Ordinal);
        Assert.Equal([DataOptionNames.Columns, DataOptionNames.Layout], e.Options.Select(o => o.Name));
        Assert.Contains("(--columns TASK,EXAMPLE,VALUE), or read the file as wide (--layout wide).", e.Describe(o => o.Name == DataOptionNames.Columns ? $"--columns {o.Value}" : $"--layout {o.Value}"), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LongFileImplyingHugeMatrix_IsRefusedBeforeAllocating()
    {
        // Given: 30 rows whose ids are all distinct, implying 10^6 x 10^6 cells if the pattern continued; here 30 x 30 is
        // fine, so make the ids imply more than the allowance: 1,200 distinct tasks and examples from a 30 KB file.
        var text = new StringBuilder("task,example,value\n");
        for (var i = 0; i < 1200; i++)
        {
            text.Append("task-").Append(i).Append(",example-").Append(i).Append(",0.5\n");
        }

        // 1,200 x 1,200 = 1.44 M cells > max(2^20, 1,200 x 1,000): refused.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Refusal(text.ToString());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 5_000_000, "the reader allocated the implied matrix");
        Assert.Contains("the ids imply a 1200 x 1200 matrix (1440000 cells) but the file has only 1200 rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SparseLongFileWithinAllowance_IsRead()
    {
        // 40 diagonal cells of a 40 x 40 matrix (2.5% observed) are within max(2^20, 40 x 1000) cells.
        var m = ReadText("task,example,value\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"t{i},e{i},1\n")));
        Assert.Equal((40, 40, 40L), (m.TaskCount, m.ExampleCount, m.ObservedCount));
    }

    // QA (a polars user): with_row_index().write_csv() puts 'index' (0, 1, 2...) before the frame's 'task' column; the file
    // was refused as "column 'task': task '0': 'html-0' is not a number" (the row numbers taken for the ids), while the
    // Parquet of the same frame was read. pandas' to_csv() of a frame with a task column (",task,...") was refused alike.
    [Theory]
    [InlineData("index,task,e0,e1\n0,html-0,0.1,1.5\n1,html-1,0.2,2.5\n2,html-2,0.3,3.5\n")]
    [InlineData("row_nr,task,e0,e1\n0,html-0,0.1,1.5\n1,html-1,0.2,2.5\n2,html-2,0.3,3.5\n")]
    [InlineData(",task,e0,e1\n0,html-0,0.1,1.5\n1,html-1,0.2,2.5\n2,html-2,0.3,3.5\n")]
    [InlineData(",task,e0,e1\n3,html-0,0.1,1.5\n7,html-1,0.2,2.5\n9,html-2,0.3,3.5\n")]
    [InlineData("Unnamed: 0,task,e0,e1\n0,html-0,0.1,1.5\n1,html-1,0.2,2.5\n2,html-2,0.3,3.5\n")]
    public void Read_WideFileWithARowIndexBeforeTheTaskColumn_TakesTheIdsFromTask(string text)
    {
        // Given: polars' row numbers (or pandas' index, a filtered frame's 3, 7, 9) before the task ids

        // When
        var matrix = ReadText(text);

        // Then: the tasks named by 'task', and the row numbers no example
        Assert.Equal(["html-0", "html-1", "html-2"], matrix.TaskIds);
        Assert.Equal(["e0", "e1"], matrix.ExampleIds);
        Assert.Equal(2.5f, matrix[1, 1]);
    }

    // QA (a polars user): an 'index' before 'task' that is not 0, 1, 2... (with_row_index() before a filter) reads two ways,
    // as an index or as the ids; it is refused naming the line, the column and the fixes, not read either way.
    [Fact]
    public void Read_WideFileWithAnIndexOfOtherNumbersBeforeTheTaskColumn_IsRefusedNamingTheFix()
    {
        // Given
        var text = "index,task,e0,e1\n0,a,0.1,1.5\n2,b,0.2,2.5\n";

        // When
        var e = Refusal(text);

        // Then
        Assert.Equal(3, e.Line);
        Assert.Contains("column 'index'", e.Message, StringComparison.Ordinal);
        Assert.Contains("holds '2' where 1 would be", e.Message, StringComparison.Ordinal);
        Assert.Contains("df.drop('index')", e.Message, StringComparison.Ordinal);
    }

    // QA (a polars user): a frame whose 'task' column came last (polars keeps the order columns were added in) was refused as
    // "'html-0' is not a number", while the Parquet of the same frame was read.
    [Fact]
    public void Read_WideFileWithTheTaskColumnLast_TakesItsIds()
    {
        // Given
        var text = "e0,e1,task\n0.1,1.5,html-0\n0.2,2.5,html-1\n";

        // When
        var matrix = ReadText(text);

        // Then
        Assert.Equal(["html-0", "html-1"], matrix.TaskIds);
        Assert.Equal(["e0", "e1"], matrix.ExampleIds);
        Assert.Equal(0.2f, matrix[1, 0]);
    }

    // A wide file whose column named 'task' is not the first is read by its own path (the ids may be in any column); a row's
    // mistakes (a short or long row, an empty or repeated task id, a value that is no number) are checked by the code the
    // ordinary wide path uses, so each gets one message whichever path reads it: the same file and line, the same fix.
    // Rows: the first row "0", the mistake on line 3. Seven columns, so no long-table hint is added to either.
    [Theory]
    [InlineData("t1,0.1,0.2,0.3,0.4,0.5", "0.1,0.2,0.3,0.4,0.5,t1")]                   // a short row
    [InlineData("t1,0.1,0.2,0.3,0.4,0.5,0.6,9", "0.1,0.2,0.3,0.4,0.5,0.6,9,t1")]       // a long row
    [InlineData("t0,0.1,0.2,0.3,0.4,0.5,0.6", "0.1,0.2,0.3,0.4,0.5,0.6,t0")]           // a repeated task id
    [InlineData(",0.1,0.2,0.3,0.4,0.5,0.6", "0.1,0.2,0.3,0.4,0.5,0.6,")]               // an empty task id
    [InlineData("t1,0.1,0.2,abc,0.4,0.5,0.6", "0.1,0.2,abc,0.4,0.5,0.6,t1")]           // a value that is no number
    [InlineData("t1,0.1,0.2,inf,0.4,0.5,0.6", "0.1,0.2,inf,0.4,0.5,0.6,t1")]           // an infinite value
    public void Read_WideRowMistake_GetsOneMessageWhetherTheTaskColumnIsFirstOrNot(string taskFirstRow, string taskLastRow)
    {
        // Given: one matrix written with 'task' first (the ordinary wide reader) and with 'task' last (its own reader), with
        // the same mistake on line 3
        var taskFirst = "task,e1,e2,e3,e4,e5,e6\nt0,0.1,0.2,0.3,0.4,0.5,0.6\n" + taskFirstRow + "\n";
        var taskLast = "e1,e2,e3,e4,e5,e6,task\n0.1,0.2,0.3,0.4,0.5,0.6,t0\n" + taskLastRow + "\n";

        foreach (var read in new Func<string, ForgettingMatrix>[] { t => ReadText(t), t => ReadForwardOnly(t) })
        {
            // When
            var ordinary = Assert.Throws<ForgettingDataException>(() => read(taskFirst));
            var taskColumn = Assert.Throws<ForgettingDataException>(() => read(taskLast));

            // Then: the same message on line 3 naming the same column (an empty id's names its position, 1 or 7)
            Assert.Equal(3, ordinary.Line);
            Assert.Equal(3, taskColumn.Line);
            Assert.Equal(ordinary.Column, taskColumn.Column);
            Assert.Equal(ordinary.Message, taskColumn.Message.Replace("(column 7)", "(column 1)", StringComparison.Ordinal));
            Assert.StartsWith("m.csv:3: ", ordinary.Message, StringComparison.Ordinal);
        }
    }

    // The ids in the first column under an empty header cell (pandas' index) beside an example named 'task' are read by the
    // task column's path too; a mistake there names the id column as the ordinary path does (its number, as pandas' index
    // has no name), not 'Unnamed: 0', and says the same.
    [Theory]
    [InlineData("t1,0.5,1,2,3,4,5", "m.csv:3: row has 7 fields but the header has 8.")]
    [InlineData("t0,0.5,1,2,3,4,5,6", "m.csv:3: column '1': task 't0' appears twice, on lines 2 and 3; task ids must be unique (keep one row per task). If this column holds values rather than task ids")]
    [InlineData(",0.5,1,2,3,4,5,6", "m.csv:3: column '1': the task id (column 1) is empty; every row needs a task id.")]
    [InlineData("t1,0.5,x,2,3,4,5,6", "m.csv:3: column 'e1': task 't1': 'x' is not a number")]
    public void Read_WideRowMistake_BesideAnExampleNamedTask_ReadsAsWithoutIt(string row, string expected)
    {
        // Given: the same rows under ',task,e1,...' (the task column's path) and under ',e0,e1,...' (the ordinary one)
        var withTask = Refusal(",task,e1,e2,e3,e4,e5,e6\nt0,0.5,1,2,3,4,5,6\n" + row + "\n");
        var without = Refusal(",e0,e1,e2,e3,e4,e5,e6\nt0,0.5,1,2,3,4,5,6\n" + row + "\n");

        // Then
        Assert.Contains(expected, withTask.Message, StringComparison.Ordinal);
        Assert.Equal(without.Message, withTask.Message);
    }

    [Theory]
    [InlineData(",task,e1\nt0,0.5,2.5\nt1,0.7,3.5\n", new[] { "t0", "t1" }, new[] { "task", "e1" })]
    [InlineData("e0,task,e1\n0.1,0.5,2.5\n0.3,0.7,3.5\n", null, new[] { "e0", "task", "e1" })]
    public void Read_WideFileWithAnExampleNamedTask_KeepsItAnExample(string text, string[]? tasks, string[] examples)
    {
        // Given: 'task' holding numbers: an example (this format's writer names it after an empty first header cell)

        // When
        var matrix = ReadText(text);

        // Then
        Assert.Equal(tasks ?? ["0", "1"], matrix.TaskIds);
        Assert.Equal(examples, matrix.ExampleIds);
        Assert.Equal(0.7f, matrix[1, examples.ToList().IndexOf("task")]);
    }

    // QA (a polars user): a Boolean matrix's write_csv() (true/false) was refused as "'false' is not a number" while its
    // Parquet was read as 1/0; pandas writes True/False, as this library's own CSV tables do.
    [Theory]
    [InlineData("task,e0,e1\nt0,true,false\nt1,false,\n")]
    [InlineData("task,e0,e1\nt0,True,False\nt1,False,NaN\n")]
    [InlineData("task,example,value\nt0,e0,true\nt0,e1,false\nt1,e0,False\n")]
    public void Read_BooleanCells_AreOneAndZero(string text)
    {
        // Given: a 0/1 matrix written as booleans, wide or long, one cell missing

        // When
        var matrix = ReadText(text);

        // Then
        Assert.Equal([1f, 0f, 0f], new[] { matrix[0, 0], matrix[0, 1], matrix[1, 0] });
        Assert.True(float.IsNaN(matrix[1, 1]));
    }
}

using ForgetPredict.Testing;
using static ForgetPredict.Data.Tests.Formats.FormatTestSupport;

namespace ForgetPredict.Data.Tests.Formats;

/// <summary>
/// Files pandas writes (Debian's python3-pandas) in many to_csv variants; the expected float32 values and ids come from
/// the same Python process (the original frame for lossless text, pandas' own round-trip parse for float_format).
/// </summary>
public sealed class PandasCsvFixture
{
    public PandasCsvFixture()
    {
        Folder = RepoPaths.NewTempFolder("fp-pandas-csv");
        ExternalTool.RunPython(FormatTestSupport.PythonHelpers + """

            import csv
            folder = sys.argv[1]
            rng = np.random.default_rng(7)
            z = (rng.normal(0.02, 0.3, size=(7, 13)) * 10.0 ** rng.integers(-6, 2, size=(7, 13))).astype(np.float32)
            z[rng.random((7, 13)) < 0.15] = np.nan
            z[0, 0] = 0.1; z[0, 1] = -0.0; z[0, 2] = 1e-38; z[0, 3] = 3.4e38
            tasks = ['t0', 'tâche-1', 'a,b', 'q"x', 't 4', 'ünï', 't6']
            examples = [f'ex{j}' for j in range(12)] + ['ex,12']
            df = pd.DataFrame(z, index=tasks, columns=examples)

            def wide(name, ext='.csv', lossy=False, frame=df, **kw):
                path = os.path.join(folder, name + ext)
                frame.to_csv(path, **kw)
                if lossy:
                    sep = kw.get('sep', ',')
                    back = pd.read_csv(path, index_col=0, sep=sep, float_precision='round_trip', keep_default_na=True)
                    expect(folder, name, back.values.astype(np.float32), frame.index, frame.columns)
                else:
                    dump(folder, name, frame)

            wide('default')
            wide('index_named', frame=df.rename_axis('task'))
            for name, rep in [('NA', 'NA'), ('nan', 'nan'), ('NaN', 'NaN'), ('hashNA', '#N/A'), ('NULL', 'NULL')]:
                wide('na_' + name, na_rep=rep)
            wide('ffmt_4f', lossy=True, float_format='%.4f')
            wide('ffmt_6e', lossy=True, float_format='%.6e')
            wide('ffmt_10g', lossy=True, float_format='%.10g')
            wide('quote_all', quoting=csv.QUOTE_ALL)
            wide('quote_nonnumeric', quoting=csv.QUOTE_NONNUMERIC)
            wide('tab', ext='.tsv', sep='\t')
            wide('tab_sniffed', sep='\t')
            wide('semicolon', sep=';')
            wide('bom', encoding='utf-8-sig')
            wide('crlf', lineterminator='\r\n')
            wide('bom_crlf_quote_all', encoding='utf-8-sig', lineterminator='\r\n', quoting=csv.QUOTE_ALL)
            z64 = rng.normal(0, 1, size=(4, 9))
            z64[1, 2] = np.nan
            f64 = pd.DataFrame(z64, index=[f'r{i}' for i in range(4)], columns=[f'c{j}' for j in range(9)])
            f64.to_csv(os.path.join(folder, 'float64.csv'))
            expect(folder, 'float64', z64.astype(np.float32), f64.index, f64.columns)
            ints = pd.DataFrame(z[:, :5], index=range(7), columns=range(5))
            wide('integer_ids', frame=ints)
            counts = pd.DataFrame(rng.integers(0, 4, size=(6, 5)))
            wide('int_matrix_no_index', frame=counts, index=False)
            wide('int_matrix_index', frame=counts)
            wide('float_matrix_no_index', frame=pd.DataFrame(z[:, :4]), index=False)

            # Long layouts: stack() drops NaN cells; ids in order of first appearance.
            def long(name, frame, ext='.csv', **kw):
                path = os.path.join(folder, name + ext)
                frame.to_csv(path, index=False, **kw)
                t = pd.unique(frame['task'].astype(str)); e = pd.unique(frame['example'].astype(str))
                m = frame.assign(task=frame['task'].astype(str), example=frame['example'].astype(str)).pivot(index='task', columns='example', values='value')
                expect(folder, name, m.reindex(index=t, columns=e).values.astype(np.float32), t, e)

            stacked = df.rename_axis(index='task', columns='example').stack().rename('value').reset_index()
            long('long_basic', stacked)
            shuffled = stacked.sample(frac=1.0, random_state=3)[['value', 'example', 'task']].assign(seed=1)
            long('long_shuffled', shuffled)
            with_nan = df.rename_axis(index='task', columns='example').stack(dropna=False).rename('value').reset_index()
            long('long_nan_rows', with_nan)
            long('long_tab', stacked, ext='.tsv', sep='\t')
            long('long_crlf_bom_quoted', shuffled, encoding='utf-8-sig', lineterminator='\r\n', quoting=csv.QUOTE_ALL)
            """, Folder);
    }

    public string Folder { get; }
}

public class PandasCsvConformanceTests(PandasCsvFixture fixture) : IClassFixture<PandasCsvFixture>
{
    public static TheoryData<string> Variants() =>
    [
        "default.csv", "index_named.csv", "na_NA.csv", "na_nan.csv", "na_NaN.csv", "na_hashNA.csv", "na_NULL.csv",
        "ffmt_4f.csv", "ffmt_6e.csv", "ffmt_10g.csv", "quote_all.csv", "quote_nonnumeric.csv", "tab.tsv", "tab_sniffed.csv",
        "semicolon.csv", "bom.csv", "crlf.csv", "bom_crlf_quote_all.csv", "float64.csv", "integer_ids.csv",
        "int_matrix_no_index.csv", "int_matrix_index.csv", "float_matrix_no_index.csv",
        "long_basic.csv", "long_shuffled.csv", "long_nan_rows.csv", "long_tab.tsv", "long_crlf_bom_quoted.csv",
    ];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Read_FileWrittenByPandas_HasPandasValuesAndIds(string file)
    {
        // When
        var matrix = MatrixFile.Read(Path.Combine(fixture.Folder, file));

        // Then
        AssertSame(Expected(fixture.Folder, Path.GetFileNameWithoutExtension(file)), matrix);
    }

    [Fact]
    public void Read_PandasIntegerIds_AreImplicitIds()
    {
        var matrix = MatrixFile.Read(Path.Combine(fixture.Folder, "integer_ids.csv"));
        Assert.True(matrix.TaskIds.IsImplicit && matrix.ExampleIds.IsImplicit);
    }

    [Theory]
    [InlineData("int_matrix_no_index.csv", "0,1,2,3,4")]
    [InlineData("int_matrix_index.csv", ",0,1,2,3,4")]
    public void Read_PandasIntegerMatrix_KeepsEveryColumnWhetherOrNotIndexed(string file, string header)
    {
        // Given: pd.DataFrame(ints).to_csv(index=False) names the columns 0..4 and writes no index; with the index the
        // header starts with an empty cell and the first column holds the task ids 0..5.
        var path = Path.Combine(fixture.Folder, file);
        Assert.Equal(header, File.ReadLines(path).First());

        // When
        var matrix = MatrixFile.Read(path);

        // Then: six tasks of five examples either way; no data column is taken for task ids.
        Assert.Equal((6, 5), (matrix.TaskCount, matrix.ExampleCount));
        Assert.True(matrix.TaskIds.IsImplicit && matrix.ExampleIds.IsImplicit);
    }

    [Fact]
    public void Read_PandasColumnSequenceHeaderWithNamedRows_ReadsThemAsTaskIds()
    {
        // A first column of names under a header 0, 1, ... cannot be data: it stays the task ids.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "names.csv");
        File.WriteAllText(path, "0,1,2\nta,1,0\ntb,0,1\n");
        var matrix = MatrixFile.Read(path);
        Assert.Equal(["ta", "tb"], matrix.TaskIds.ToArray());
        Assert.Equal(2, matrix.ExampleCount);
    }

    [Fact]
    public void Read_PandasDecimalComma_IsRefusedNamingIt()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "comma.csv");
        ExternalTool.RunPython(
            "import pandas as pd, sys\npd.DataFrame([[0.5, 1.25]], index=['t'], columns=['a', 'b']).to_csv(sys.argv[1], sep=';', decimal=',')",
            path);
        var e = Assert.Throws<ForgettingDataException>(() => MatrixFile.Read(path));
        Assert.Contains("'0,5' uses a decimal comma", e.Message, StringComparison.Ordinal);
        Assert.Contains("to_csv(decimal='.')", e.Message, StringComparison.Ordinal);
        Assert.Equal((2L, "a"), (e.Line, e.Column));
    }

    public static TheoryData<string, MatrixLayout> OurFiles() => new()
    {
        { "ours_wide.csv", MatrixLayout.Wide },
        { "ours_long.csv", MatrixLayout.Long },
        { "ours_wide.tsv", MatrixLayout.Wide },
        { "ours_long.tsv", MatrixLayout.Long },
    };

    [Theory]
    [MemberData(nameof(OurFiles))]
    public void Write_IsReadByPandasToIdenticalValues(string name, MatrixLayout layout)
    {
        // Given: ids needing quotes (comma, quote, line break, non-ASCII) and values across magnitudes with NaN.
        var matrix = Matrix(5, 30, seed: 9);
        var folder = RepoPaths.NewTempFolder();
        var path = Path.Combine(folder, name);
        MatrixFile.Write(matrix, path, new MatrixWriteOptions { Layout = layout });

        // When: pandas reads it (wide: index_col=0; long: pivot back to the matrix's order).
        ExternalTool.RunPython(FormatTestSupport.PythonHelpers + """

            path, folder, layout = sys.argv[1], sys.argv[2], sys.argv[3]
            sep = '\t' if path.endswith('.tsv') else ','
            if layout == 'Wide':
                df = pd.read_csv(path, sep=sep, index_col=0, float_precision='round_trip', dtype={0: str})
                assert df.index.name == 'task', df.index.name
                dump(folder, 'back', df)
            else:
                df = pd.read_csv(path, sep=sep, float_precision='round_trip', dtype={'task': str, 'example': str})
                assert list(df.columns) == ['task', 'example', 'value'], list(df.columns)
                assert not df['value'].isna().any()
                t = pd.unique(df['task']); e = pd.unique(df['example'])
                m = df.pivot(index='task', columns='example', values='value').reindex(index=t, columns=e)
                dump(folder, 'back', m)
            """, path, folder, layout.ToString());

        // Then
        var back = Expected(folder, "back");
        if (layout == MatrixLayout.Wide)
        {
            AssertSame(matrix, back);
        }
        else
        {
            AssertSameCells(matrix, back);
        }
    }
}

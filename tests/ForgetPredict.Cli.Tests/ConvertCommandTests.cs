using System.Globalization;
using System.Text;
using System.Text.Json;
using ForgetPredict.Core;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>convert, and every matrix-reading command on every format.</summary>
public class ConvertCommandTests
{
    private static string Charlm => RepoPaths.Data("charlm-b", "z.npy");

    [Theory]
    [InlineData("z.csv", "wide")]
    [InlineData("z.tsv", "long")]
    [InlineData("z.npz", null)]
    [InlineData("z.json", null)]
    public void Convert_ThenAnalyze_GivesTheSameAnalysisAsTheNpy(string name, string? layout)
    {
        // Given
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, name);
        string[] args = layout is null ? ["convert", Charlm, path] : ["convert", Charlm, path, "--layout", layout];

        // When
        var (code, output, error) = CliRunner.Run(args);
        var (_, fromNpy, _) = CliRunner.Run("analyze", Charlm, "--max-rank", "3");
        var (analyzeCode, fromConverted, analyzeError) = CliRunner.Run("analyze", path, "--max-rank", "3");

        // Then
        Assert.True(code == 0, error);
        Assert.Contains("47 tasks x 2,400 examples, 0.00% missing, no ids", output, StringComparison.Ordinal);
        Assert.True(analyzeCode == 0, analyzeError);
        Assert.Equal(fromNpy.Replace(Charlm, "M", StringComparison.Ordinal), fromConverted.Replace(path, "M", StringComparison.Ordinal));
    }

    // QA (degenerate matrices): "1 tasks x 1 examples".
    [Fact]
    public void AOneByOneMatrix_IsOneTaskByOneExample_InConvertFitAndAnalyze()
    {
        var dir = RepoPaths.NewTempFolder();
        var one = Path.Combine(dir, "one.npy");
        var two = Path.Combine(dir, "two.npy");
        MatrixFile.Write(ForgettingMatrix.Wrap([0.5f], 1, 1), one);
        MatrixFile.Write(ForgettingMatrix.Wrap([0.5f, 0.25f, 0.125f, 0.75f], 2, 2), two);

        var (code, output, error) = CliRunner.Run("convert", one, Path.Combine(dir, "one.csv"));
        var (twoCode, twoOutput, twoError) = CliRunner.Run("convert", two, Path.Combine(dir, "two.csv"));
        var (analyzeCode, analyzed, analyzeError) = CliRunner.Run("analyze", one);

        Assert.True(code == 0, error);
        Assert.Contains(": 1 task x 1 example,", output, StringComparison.Ordinal);
        Assert.True(twoCode == 0, twoError);
        Assert.Contains(": 2 tasks x 2 examples,", twoOutput, StringComparison.Ordinal);
        Assert.True(analyzeCode == 0, analyzeError);
        Assert.Contains("one.npy: 1 task x 1 example,", analyzed, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_AModelFile_CopiesItByteForByte_WhateverItsName()
    {
        // Given: a fitted model, and the same file under a name that is not .fpm
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", Charlm, "--method", "additive", "--out", model).ExitCode);
        var renamed = Path.Combine(dir, "m.model");
        File.Copy(model, renamed);

        // When: each is converted to another model file
        var (code, output, error) = CliRunner.Run("convert", model, Path.Combine(dir, "copy.fpm"));
        var (renamedCode, _, renamedError) = CliRunner.Run("convert", renamed, Path.Combine(dir, "copy2.fpm"));

        // Then: the copies are the model's bytes (a current file rewritten in the current format), said in one line
        Assert.True(code == 0, error);
        Assert.Equal($"wrote {Path.Combine(dir, "copy.fpm")} (model): 47 tasks x 2,400 examples\n", output);
        Assert.True(renamedCode == 0, renamedError);
        Assert.Equal(File.ReadAllBytes(model), File.ReadAllBytes(Path.Combine(dir, "copy.fpm")));
        Assert.Equal(File.ReadAllBytes(model), File.ReadAllBytes(Path.Combine(dir, "copy2.fpm")));
    }

    [Theory]
    [InlineData("copy.csv", null, "'.csv' names a data format (csv), but a model file is ForgetPredict's own binary format")]
    [InlineData("copy.npy.gz", null, "a model file is written uncompressed")]
    [InlineData("copy.fpm", "--to-format", "--to-format applies to matrices, but")]
    [InlineData("copy.fpm", "--compress", "--compress applies to matrices, but")]
    [InlineData("copy.fpm", "--in-layout", "--in-layout applies to matrices, but")]
    public void Convert_AModelFile_ToADataName_OrWithAMatrixOption_IsAUsageError(string name, string? option, string expected)
    {
        // Given: a fitted model
        var dir = RepoPaths.NewTempFolder();
        var model = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", Charlm, "--method", "additive", "--out", model).ExitCode);
        string[] args = option switch
        {
            null => ["convert", model, Path.Combine(dir, name)],
            "--compress" => ["convert", model, Path.Combine(dir, name), option],
            "--to-format" => ["convert", model, Path.Combine(dir, name), option, "csv"],
            _ => ["convert", model, Path.Combine(dir, name), option, "long"],
        };

        // When
        var (code, _, error) = CliRunner.Run(args);

        // Then: exit 2, the reason and the fix, and nothing written beside the model
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Equal(["m.fpm"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Convert_AMatrixToAModelFilesName_NamesFit()
    {
        var dir = RepoPaths.NewTempFolder();
        var (code, _, error) = CliRunner.Run("convert", Charlm, Path.Combine(dir, "m.fpm"));
        Assert.Equal(2, code);
        Assert.Contains($".fpm names a model file, which fit makes from a matrix (forgetpredict fit {Charlm} --out {Path.Combine(dir, "m.fpm")})", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    // QA: the refusal named no file, and its only fix (--columns) renames the input's columns in convert too.
    [Fact]
    public void Convert_AnExampleCalledTask_ToWideParquet_IsRefusedNamingTheOutput_AndTheLongLayoutFirst()
    {
        var dir = RepoPaths.NewTempFolder();
        var input = Path.Combine(dir, "lt.csv");
        File.WriteAllText(input, "task,example,value\nt0,task,0.5\nt0,b,0.25\nt1,task,1\n");
        var output = Path.Combine(dir, "w.parquet");

        var (code, _, error) = CliRunner.Run("convert", input, output);
        var (longCode, _, longError) = CliRunner.Run("convert", input, output, "--layout", "long");

        Assert.Equal(2, code);
        Assert.StartsWith($"error: {output}: An example is called 'task', the name of the task id column, so the file would read back with that example taken for the task ids; write the long layout (--layout long), or .npz or .json", error, StringComparison.Ordinal);
        Assert.True(longCode == 0, longError);
    }

    [Fact]
    public void Convert_LongCsvWithCustomColumns_KeepsIdsAndMissingCells()
    {
        // Given: a long file with the conventions doc's column names, one cell missing.
        var dir = RepoPaths.NewTempFolder();
        var input = Path.Combine(dir, "runs.csv");
        File.WriteAllText(input, "task_id,example_id,forgot,seed\nft_01,ex_a,1,0\nft_01,ex_b,0,0\nft_02,ex_b,1,0\n");
        var output = Path.Combine(dir, "wide.csv");

        // When
        var (code, stdout, error) = CliRunner.Run("convert", input, output, "--columns", "task_id,example_id,forgot");

        // Then
        Assert.True(code == 0, error);
        Assert.Contains("2 tasks x 2 examples, 25.00% missing", stdout, StringComparison.Ordinal);
        Assert.Equal("task_id,ex_a,ex_b\nft_01,1.0,0.0\nft_02,,1.0\n", File.ReadAllText(output));
    }

    // --columns names the long output's columns as well as the input's: a .npy, which has no columns, is still converted with
    // it (matrix commands refuse --columns on a .npy, where it does nothing).
    [Fact]
    public void Convert_NpyToLongCsv_NamesTheOutputsColumnsWithColumns()
    {
        var dir = RepoPaths.NewTempFolder();
        var input = TestMatrices.Write(dir, "z.npy", 2, 2, (i, j) => i + j);
        var output = Path.Combine(dir, "long.csv");

        var (code, _, error) = CliRunner.Run("convert", input, output, "--layout", "long", "--columns", "run,chunk,loss");

        Assert.True(code == 0, error);
        Assert.Equal("run,chunk,loss", File.ReadLines(output).First());
    }

    // With columns on neither side (.npy to .npz, .npy to JSON) --columns had been taken and ignored: now refused, before anything is written.
    [Theory]
    [InlineData("out.npz")]
    [InlineData("out.json")]
    public void Convert_ColumnsWithNoTableOnEitherSide_IsAUsageError(string name)
    {
        var dir = RepoPaths.NewTempFolder();
        var input = TestMatrices.Write(dir, "z.npy", 2, 2, (i, j) => i + j);
        var output = Path.Combine(dir, name);

        var (code, _, error) = CliRunner.Run("convert", input, output, "--columns", "run,chunk,loss");

        Assert.Equal(CliApp.UsageError, code);
        Assert.StartsWith($"error: --columns names the columns of a CSV/TSV or Parquet table, but {input} is read as npy and {output} is written as {Path.GetExtension(name)[1..]}, neither of which has columns; drop --columns.", error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Convert_WideToLong_WritesOnlyObservedCells()
    {
        var dir = RepoPaths.NewTempFolder();
        var input = Path.Combine(dir, "w.csv");
        File.WriteAllText(input, ",a,b\nt1,0.5,\nt2,,2\n");
        var output = Path.Combine(dir, "l.csv");
        Assert.Equal(0, CliRunner.Run("convert", input, output, "--layout", "long").ExitCode);
        Assert.Equal("task,example,value\nt1,a,0.5\nt2,b,2.0\n", File.ReadAllText(output));
    }

    [Fact]
    public void Convert_IdsToNpy_WarnsThatTheIdsAreNotWrittenAndNamesNpz()
    {
        // Given: a matrix with task and example ids.
        var dir = RepoPaths.NewTempFolder();
        var input = Path.Combine(dir, "w.csv");
        File.WriteAllText(input, "task,a,b\nt1,0.5,1\nt2,1.5,2\n");
        var output = Path.Combine(dir, "z.npy");

        // When
        var (code, stdout, error) = CliRunner.Run("convert", input, output);
        var (bareCode, _, bareError) = CliRunner.Run("convert", output, Path.Combine(dir, "again.npy"));

        // Then: the values are written, and the ids' loss is said with the fix; a matrix without ids converts quietly.
        Assert.True(code == 0, error);
        Assert.Contains($"wrote {output}", stdout, StringComparison.Ordinal);
        Assert.Contains($"warning: {output}: .npy holds the values only, so the task and example ids are not written", error, StringComparison.Ordinal);
        Assert.Contains("Write .npz instead to keep them", error, StringComparison.Ordinal);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], MatrixFile.Read(output).Values.ToArray());
        Assert.True(bareCode == 0, bareError);
        Assert.Empty(bareError);
    }

    [Fact]
    public void Convert_ToFormatOverride_WritesThatFormat()
    {
        var dir = RepoPaths.NewTempFolder();
        var output = Path.Combine(dir, "matrix.bin");
        Assert.Equal(0, CliRunner.Run("convert", Charlm, output, "--to-format", "npy").ExitCode);
        Assert.Equal(File.ReadAllBytes(Charlm).Length, File.ReadAllBytes(output).Length);

        // Without it, an unknown output extension names the option that fixes it (the writer's, not the reader's --format).
        var (code, _, error) = CliRunner.Run("convert", Charlm, Path.Combine(dir, "matrix.xyz"));
        Assert.Equal(2, code);
        Assert.Contains("cannot tell the format from the extension '.xyz'; use one of .npy, .npz, .csv, .tsv, .tab, .json, .parquet, .pq, .txt, .dat or pass --to-format (npy,", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("z.npy", "--layout", "long", "--layout long applies to .csv, .tsv and .parquet output (the others are wide only), but ")]
    [InlineData("z.json", "--layout", "long", "drop --layout or write a .csv, .tsv or .parquet file.")]
    [InlineData("z.csv", "--compress", null, "--compress applies to .npz output")]
    [InlineData("z.csv", "--to-format", "parqet", "Unknown format 'parqet'")]
    [InlineData("z.csv", "--layout", "tall", "tall")]
    public void Convert_OptionThatDoesNotApply_IsAUsageError(string output, string option, string? value, string expected)
    {
        var dir = RepoPaths.NewTempFolder();
        string[] args = value is null ? ["convert", Charlm, Path.Combine(dir, output), option] : ["convert", Charlm, Path.Combine(dir, output), option, value];
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Theory]
    [InlineData("z.json")]
    [InlineData("z.txt")]
    [InlineData("z.npz")]
    [InlineData("z.parquet")]
    public void Convert_LayoutWide_TheDefault_IsTakenByEveryFormat(string output)
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, output);

        var (code, _, error) = CliRunner.Run("convert", Charlm, path, "--layout", "wide");

        Assert.True(code == 0, error);
        Assert.Equal(MatrixFile.Read(Charlm).Values.ToArray(), MatrixFile.Read(path).Values.ToArray());
    }

    [Fact]
    public void Convert_BadInput_IsADataErrorNamingTheLineAndLeavesNoOutput()
    {
        var dir = RepoPaths.NewTempFolder();
        var input = Path.Combine(dir, "bad.csv");
        File.WriteAllText(input, "task,example,value\na,x,1\na,x,2\n");
        var output = Path.Combine(dir, "out.npy");
        var (code, _, error) = CliRunner.Run("convert", input, output);
        Assert.Equal(1, code);
        Assert.Contains($"error: {input}:3: task 'a', example 'x' appears twice, on lines 2 and 3", error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Analyze_NpzArrays_ArePickedByNameAndListedWhenMissing()
    {
        // Given: an archive with two arrays and ids.
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "two.npz");
        ExternalTool.RunPython("""
            import numpy as np, sys
            z = np.load(sys.argv[2]).astype(np.float32)
            np.savez(sys.argv[1], base=z[:, :100] * 2, z=z, example_ids=np.asarray([f'chunk-{j}' for j in range(2400)]))
            """, path, Charlm);

        // When / Then
        var (code, output, error) = CliRunner.Run("analyze", path, "--array", "z", "--max-rank", "2");
        Assert.True(code == 0, error);
        Assert.Contains("47 tasks x 2,400 examples", output, StringComparison.Ordinal);
        var (missingCode, _, missingError) = CliRunner.Run("analyze", path, "--array", "x");
        Assert.Equal(1, missingCode);
        Assert.Contains("no array 'x'; did you mean 'z'? Arrays: base (47, 100) float32, z (47, 2400) float32, example_ids (2400,) <U10.", missingError, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_LongCsvWithLayoutOption_FitsAndPredictsByExampleId()
    {
        // Given: a synthetic matrix written as a long CSV with example ids, and measured cells named by id.
        var dir = RepoPaths.NewTempFolder();
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 150, Seed = 5 }).Matrix;
        var named = data.WithIds(Enumerable.Range(0, 12).Select(i => $"task-{i}"), Enumerable.Range(0, 150).Select(j => $"ex-{j}"));
        var matrixPath = Path.Combine(dir, "runs.csv");
        MatrixFile.Write(named, matrixPath, new MatrixWriteOptions { Layout = MatrixLayout.Long });
        var modelPath = Path.Combine(dir, "m.fpm");

        // When
        var (fitCode, fitOut, fitError) = CliRunner.Run("fit", matrixPath, "--layout", "long", "--method", "additive", "--out", modelPath);
        var observed = Path.Combine(dir, "obs.csv");
        File.WriteAllText(observed, "example,value\nex-3,0.1\nex-140,0.4\n");
        var jsonOut = Path.Combine(dir, "pred.json");
        var (code, _, error) = CliRunner.Run("predict", "--model", modelPath, "--observed", observed, "--out", jsonOut);

        // Then
        Assert.True(fitCode == 0, fitError);
        Assert.Contains("fitted additive on 12 tasks x 150 examples", fitOut, StringComparison.Ordinal);
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonOut));
        var rows = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(150, rows.Length);
        Assert.Equal("ex-0", rows[0].GetProperty("example").GetString());
        Assert.True(rows[0].GetProperty("std").GetDouble() > 0);
    }

    [Fact]
    public void Predict_NumberThatIsNotAnId_IsRefusedWithTheFix_AndByIndexReadsColumnPositions()
    {
        // Given: a model whose examples are named ex-0..ex-149, and measured cells named by column position.
        var dir = RepoPaths.NewTempFolder();
        var modelPath = NamedModel(dir);
        var byPosition = Path.Combine(dir, "pos.csv");
        File.WriteAllText(byPosition, "example,value\n3,0.1\n140,0.4\n");
        var byId = Path.Combine(dir, "ids.csv");
        File.WriteAllText(byId, "example,value\nex-3,0.1\nex-140,0.4\n");

        // When / Then: by default the numbers are not ids, and the error names the file, the row, the value and the fix.
        var (code, _, error) = CliRunner.Run("predict", "--model", modelPath, "--observed", byPosition, "--out", Path.Combine(dir, "p.csv"));
        Assert.Equal(1, code);
        Assert.Contains(
            $"{byPosition}:2: column 'example': 2 examples are not among the model's 150 example ids (first: '3', '140'); examples are matched by id exactly: pass --by-index to read these as column positions",
            error, StringComparison.Ordinal);

        // With --by-index they are column positions: the same prediction as by id.
        (code, var output, error) = CliRunner.Run("predict", "--model", modelPath, "--observed", byPosition, "--by-index", "--out", Path.Combine(dir, "pos-pred.csv"));
        Assert.True(code == 0, error);
        Assert.Contains("2 measured cells", output, StringComparison.Ordinal);
        Assert.DoesNotContain("column index", output, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("predict", "--model", modelPath, "--observed", byId, "--out", Path.Combine(dir, "id-pred.csv")).ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "id-pred.csv")), File.ReadAllText(Path.Combine(dir, "pos-pred.csv")));

        // Ids with --by-index, and positions past the last column, are refused.
        (code, _, error) = CliRunner.Run("predict", "--model", modelPath, "--observed", byId, "--by-index", "--out", Path.Combine(dir, "p.csv"));
        Assert.Equal(1, code);
        Assert.Contains($"{byId}:2: column 'example': 2 examples are not column positions 0..149 (first: 'ex-3', 'ex-140'", error, StringComparison.Ordinal);
        File.WriteAllText(byPosition, "example,value\n3,0.1\n150,0.4\n");
        (code, _, error) = CliRunner.Run("predict", "--model", modelPath, "--observed", byPosition, "--by-index", "--out", Path.Combine(dir, "p.csv"));
        Assert.Equal(1, code);
        Assert.Contains($"{byPosition}:3: column 'example': example '150' is not a column position 0..149", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_ByIndex_ReadsTheExclusionsAsColumnPositions_AndWarnsWithTheFixWithoutIt()
    {
        var dir = RepoPaths.NewTempFolder();
        var modelPath = NamedModel(dir);
        var exclude = Path.Combine(dir, "exclude.csv");
        File.WriteAllText(exclude, "id\n0\n1\n");
        var replay = Path.Combine(dir, "replay.csv");

        var (code, _, error) = CliRunner.Run("replay", "--model", modelPath, "--by-index", "--exclude", exclude, "--budget", "150", "--strategy", "topk", "--out", replay);
        Assert.True(code == 0, error);
        var replayed = File.ReadAllLines(replay).Skip(1).Select(l => l.Split(',')[0]).ToArray();
        Assert.Equal(148, replayed.Length);
        Assert.DoesNotContain("ex-0", replayed);
        Assert.DoesNotContain("ex-1", replayed);

        // Without --by-index the positions name no example: the list would exclude nothing, so it is refused with the fix.
        (code, _, error) = CliRunner.Run("replay", "--model", modelPath, "--exclude", exclude, "--budget", "150", "--strategy", "topk", "--out", replay);
        Assert.Equal(1, code);
        Assert.Contains($"error: {exclude}: none of its 2 rows names an example, so it would exclude nothing: 2 examples are not among the model's 150 example ids (first: '0', '1'); examples are matched by id exactly: pass --by-index", error, StringComparison.Ordinal);
    }

    [Fact]
    public void IdsWhoseLeadingZerosPandasDropped_AreNamedWithTheFix_InPredictAndReplay_NeverByIndex()
    {
        // Given: a model whose examples are 00000..00149, and files pandas read and wrote back ('00003' became '3'): read
        // as column positions they would name the neighbouring examples of 00001-based ids, or silently other ones.
        var dir = RepoPaths.NewTempFolder();
        var modelPath = NamedModel(dir, j => j.ToString("D5", System.Globalization.CultureInfo.InvariantCulture));
        var observed = Path.Combine(dir, "obs.csv");
        File.WriteAllText(observed, "example,value\n3,0.1\n140,0.4\n");
        var exclude = Path.Combine(dir, "exclude.csv");
        File.WriteAllText(exclude, "id\n0\n1\n");
        const string Fix = "they are example ids with their leading zeros dropped ('3' for '00003'), as pandas drops them when it reads ids as numbers: read the file with pd.read_csv(..., dtype={'example': str}) (or dtype=str) before writing it again";

        var predict = CliRunner.Run("predict", "--model", modelPath, "--observed", observed, "--out", Path.Combine(dir, "p.csv"));
        var replay = CliRunner.Run("replay", "--model", modelPath, "--exclude", exclude, "--budget", "10", "--strategy", "topk", "--out", Path.Combine(dir, "r.csv"));

        Assert.Equal(1, predict.ExitCode);
        Assert.Contains($"{observed}:2: column 'example': 2 examples are not among the model's 150 example ids (first: '3', '140'); {Fix}", predict.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("--by-index", predict.Error, StringComparison.Ordinal);
        Assert.Equal(1, replay.ExitCode);
        Assert.Contains($"{exclude}: none of its 2 rows names an example, so it would exclude nothing: 2 examples are not among the model's 150 example ids (first: '0', '1'); they are example ids with their leading zeros dropped ('0' for '00000')", replay.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("--by-index", replay.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void PandasColumnNames_GivenBackAsTheMessageSaysThem_ReadTheFile()
    {
        // Given: a series of measured cells (pd.Series(values, index=ids).to_csv(): header ',0') and a melted matrix
        // (df.melt(ignore_index=False).to_csv(): header ',variable,value').
        var dir = RepoPaths.NewTempFolder();
        var modelPath = NamedModel(dir);
        var series = Path.Combine(dir, "series.csv");
        File.WriteAllText(series, ",0\nex-3,0.1\nex-140,0.4\n");
        var melted = Path.Combine(dir, "melted.csv");
        File.WriteAllText(melted, ",variable,value\nt1,e1,0.5\nt2,e1,0.25\nt1,e2,0.75\nt2,e2,0.5\nt1,e3,0.125\nt2,e3,0.25\n");

        var refusedSeries = CliRunner.Run("predict", "--model", modelPath, "--observed", series, "--out", Path.Combine(dir, "p.csv"));
        var readSeries = CliRunner.Run("predict", "--model", modelPath, "--observed", series, "--observed-columns", "Unnamed: 0,0", "--out", Path.Combine(dir, "p.csv"));
        var refusedMelt = CliRunner.Run("analyze", melted);
        var readMelt = CliRunner.Run("analyze", melted, "--layout", "long", "--columns", "Unnamed: 0,variable,value");

        Assert.Contains("(found: 'Unnamed: 0', '0')", refusedSeries.Error, StringComparison.Ordinal);
        Assert.True(readSeries.ExitCode == 0, readSeries.Error);
        Assert.Contains("If this is a long table (one row per cell), read it with --layout long and --columns \"Unnamed: 0,variable,value\".", refusedMelt.Error, StringComparison.Ordinal);
        Assert.True(readMelt.ExitCode == 0, readMelt.Error);
        Assert.Contains("2 tasks x 3 examples, 0.00% missing", readMelt.Output, StringComparison.Ordinal);
    }

    // An additive model fitted on a 12 x 150 synthetic matrix whose examples are named ex-0..ex-149.
    private static string NamedModel(string dir, Func<int, string>? exampleId = null)
    {
        var data = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 150, Seed = 5 }).Matrix;
        var named = data.WithIds(Enumerable.Range(0, 12).Select(i => $"task-{i}"), Enumerable.Range(0, 150).Select(exampleId ?? (j => $"ex-{j}")));
        var matrixPath = Path.Combine(dir, "runs.csv");
        MatrixFile.Write(named, matrixPath, new MatrixWriteOptions { Layout = MatrixLayout.Long });
        var modelPath = Path.Combine(dir, "m.fpm");
        var (code, _, error) = CliRunner.Run("fit", matrixPath, "--layout", "long", "--method", "additive", "--out", modelPath);
        Assert.True(code == 0, error);
        return modelPath;
    }

    [Fact]
    public void Predict_Csv_QuotesIdsAndWritesRoundTripNumbers()
    {
        // Given: a model whose example ids need quoting.
        var dir = RepoPaths.NewTempFolder();
        var ids = Enumerable.Range(0, 60).Select(j => j == 5 ? "a,\"b\"" : string.Create(CultureInfo.InvariantCulture, $"ex{j}")).ToArray();
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 8, Examples = 60, Seed = 2, MissingFraction = 0.1 }).Matrix.WithIds(null, ids);
        var matrixPath = Path.Combine(dir, "z.json");
        MatrixFile.Write(z, matrixPath);
        var modelPath = Path.Combine(dir, "m.fpm");
        Assert.Equal(0, CliRunner.Run("fit", matrixPath, "--method", "mf", "--rank", "2", "--out", modelPath).ExitCode);

        // When
        var predPath = Path.Combine(dir, "p.csv");
        Assert.Equal(0, CliRunner.Run("predict", "--model", modelPath, "--out", predPath).ExitCode);

        // Then: RFC 4180 quoting, shortest round-trip numbers, one row per example in model order.
        var model = ModelFile.Load(modelPath).Model;
        var threshold = Core.Erasure.ForgettingThreshold.Default(model).Value;
        var report = Core.Erasure.ErasureReport.Create(model.FoldIn([], []), model.ExampleIds, options: new Core.Erasure.ErasureOptions { Threshold = threshold });
        var expected = new StringBuilder("example,predicted,std,probability,rank,measured,measured_value\n");
        foreach (var e in report.Examples)
        {
            expected.Append(CsvText.Field(e.Id)).Append(',').Append(CsvText.Number(e.Predicted)).Append(',').Append(CsvText.Number(e.Std)).Append(',')
                .Append(CsvText.Number(e.Probability)).Append(',').Append(e.Rank.ToString(CultureInfo.InvariantCulture)).Append(",False,\n");
        }

        Assert.Equal(Encoding.UTF8.GetBytes(expected.ToString()), File.ReadAllBytes(predPath));
    }

    [Fact]
    public void Convert_AnInputWhoseLayoutIsUnclear_NamesTheInputsLayoutFlag()
    {
        // In convert --layout is the output's; the refusal had told the user to pass it for the input.
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "long.csv");
        File.WriteAllText(path, ",task,example,value\n0,1.0,2.0,0.5\n1,1.0,3.0,0.25\n");

        var (code, _, error) = CliRunner.Run("convert", path, Path.Combine(dir, "out.json"));

        Assert.Equal(1, code);
        Assert.Contains("Read it with --in-layout wide if the first column holds task ids and the others are examples, or with --in-layout long if each row is one cell.", error, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("convert", path, Path.Combine(dir, "out.json"), "--in-layout", "long").ExitCode);
    }

    [Fact]
    public void Demo_OnACsvMatrix_Runs()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "z.tsv");
        MatrixFile.Write(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 10, Examples = 300, Seed = 1 }).Matrix, path);
        var (code, output, error) = CliRunner.Run("demo", "--matrix", path, "--seeds", "1", "--test-tasks", "2", "--format", "tsv");
        Assert.True(code == 0, error);
        Assert.Contains("10 tasks x 300 examples", output, StringComparison.Ordinal);

        // More test tasks than leave two to fit on had been cut to 8 in silence; two inputs had run on one of them.
        var (tooMany, printed, tooManyError) = CliRunner.Run("demo", "--matrix", path, "--seeds", "1", "--test-tasks", "9", "--format", "tsv");
        Assert.Equal(CliApp.UsageError, tooMany);
        Assert.Equal("error: --test-tasks 9 leaves fewer than 2 of the matrix's 10 tasks to fit on: give at most 8.", tooManyError.Trim());
        Assert.Equal(string.Empty, printed);

        // A --known that reveals every example had printed section 1 and then failed in evaluate's words.
        var (allKnown, printedKnown, allKnownError) = CliRunner.Run("demo", "--matrix", path, "--seeds", "1", "--known", "300", "--format", "tsv");
        Assert.Equal(CliApp.UsageError, allKnown);
        Assert.Equal("error: --known 300 reveals every one of the matrix's 300 examples, leaving no cell to score the predictions on: give at most 299.", allKnownError.Trim());
        Assert.Equal(string.Empty, printedKnown);
        var two = Path.Combine(dir, "two.tsv");
        MatrixFile.Write(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 2, Examples = 50, Seed = 1 }).Matrix, two);
        var (twoCode, _, twoError) = CliRunner.Run("demo", "--matrix", two, "--format", "tsv");
        Assert.Equal(1, twoCode);
        Assert.Equal($"error: {two}: the demo needs at least 3 tasks (2 to fit on, 1 to hold out), and this matrix has 2.", twoError.Trim());
        var (both, _, bothError) = CliRunner.Run("demo", "--matrix", path, "--synthetic");
        Assert.Equal(2, both);
        Assert.StartsWith("error: Give --matrix or --synthetic, not both", bothError, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_UnknownFormatName_IsAUsageErrorWithSuggestion()
    {
        var (code, _, error) = CliRunner.Run("analyze", Charlm, "--format", "jsn");
        Assert.Equal(2, code);
        Assert.Contains("Unknown format 'jsn'; did you mean 'json'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_LayoutForNpy_IsAUsageErrorSayingItDoesNotApply()
    {
        // The option contradicts the file: the fix is the command line (exit 2, Failures.IsInvalidSetting).
        var (code, _, error) = CliRunner.Run("analyze", Charlm, "--layout", "long");
        Assert.Equal(CliApp.UsageError, code);
        Assert.Contains("applies only to CSV/TSV and Parquet files", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BundledMatrix_ConvertedWithIds_KeepsTaskNames()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "named.npz");
        MatrixFile.Write(Commands.DemoCommand.BundledCharlmB(), path);
        var back = MatrixFile.Read(path);
        Assert.Equal("html-0", back.TaskIds[0]);
        Assert.True(back.ExampleIds.IsImplicit);
        Assert.Equal(IdList.Implicit(2400).Count, back.ExampleCount);
    }

    // DuckDB reads a wide file's columns ignoring case, renaming 'a' beside 'A' to 'a_1': warned, naming the long layout.
    [Fact]
    public void Convert_WideOutputWithExampleIdsEqualIgnoringCase_Warns()
    {
        var dir = RepoPaths.NewTempFolder();
        var input = Path.Combine(dir, "in.csv");
        File.WriteAllText(input, "task,A,a\nt0,1,2\nt1,3,4\n", new UTF8Encoding(false));

        var wide = CliRunner.Run("convert", input, Path.Combine(dir, "wide.parquet"));
        var longLayout = CliRunner.Run("convert", input, Path.Combine(dir, "long.parquet"), "--layout", "long");

        Assert.True(wide.ExitCode == 0, wide.Error);
        Assert.Contains($"warning: {Path.Combine(dir, "wide.parquet")}: the examples 'A' and 'a' differ only in case", wide.Error, StringComparison.Ordinal);
        Assert.Contains("--layout long", wide.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "wide.parquet")));
        Assert.True(longLayout.ExitCode == 0, longLayout.Error);
        Assert.DoesNotContain("differ only in case", longLayout.Error, StringComparison.Ordinal);
    }
}

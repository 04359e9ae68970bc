using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Cli.Tests;

/// <summary>
/// Every table option with files written by pandas (Debian's python3-pandas, to_csv with its default index=True): the
/// pandas index is handled by the one rule of <see cref="TableColumns"/>, and every table's columns can be named with
/// its --X-columns option.
/// </summary>
public class PandasTableOptionTests
{
    private static readonly Lazy<(string Folder, string Model)> s_files = new(() =>
    {
        var folder = RepoPaths.NewTempFolder("fp-pandas-tables");
        ExternalTool.RunPython("""
            import os, sys
            import numpy as np, pandas as pd
            f = sys.argv[1]
            p = lambda name: os.path.join(f, name)
            rng = np.random.default_rng(5)
            tasks = [f'ft-{i}' for i in range(16)]
            examples = [f'ex-{j}' for j in range(60)]
            a = rng.gamma(2.0, 0.1, size=(16, 1))
            z = (a * rng.gamma(2.0, 0.1, size=(1, 60)) + rng.normal(0, 0.002, size=(16, 60))).astype(np.float32)
            pd.DataFrame(z, index=tasks, columns=examples).to_csv(p('z.csv'))
            pd.DataFrame(z[:15], index=tasks[:15], columns=examples).to_csv(p('train.csv'))
            cols = [3, 10, 22, 41, 57]
            pd.DataFrame({'example': [examples[j] for j in cols], 'value': z[15, cols]}).to_csv(p('obs_index.csv'))
            pd.DataFrame({'ex': [examples[j] for j in cols], 'loss_increase': z[15, cols]}).to_csv(p('obs_named.csv'))
            source = ['web' if j % 2 else 'code' for j in range(60)]
            pd.DataFrame({'id': examples, 'source': source}).to_csv(p('examples_range.csv'))
            pd.DataFrame({'source': source}, index=examples).to_csv(p('examples_index.csv'))
            pd.DataFrame({'source': source, 'name': examples}).to_csv(p('examples_named.csv'))
            pd.DataFrame({'example': examples[:20]}).to_csv(p('exclude_index.csv'))
            pd.DataFrame({'split': ['eval'] * 20, 'chunk': examples[:20]}).to_csv(p('exclude_named.csv'))
            family = ['a' if i % 2 else 'b' for i in range(16)]
            pd.DataFrame({'task': tasks, 'family': family}).to_csv(p('tasks_range.csv'))
            pd.DataFrame({'family': family, 'run': tasks}).to_csv(p('tasks_named.csv'))
            lr = a.ravel() * 1e-3; steps = rng.integers(100, 1000, size=16)
            pd.DataFrame({'lr': lr, 'steps': steps}, index=tasks).to_csv(p('task_features_index.csv'))
            pd.DataFrame({'lr': lr, 'steps': steps, 'run': tasks}).to_csv(p('task_features_named.csv'))
            pd.DataFrame({'lr': lr[15:], 'steps': steps[15:]}, index=tasks[15:]).to_csv(p('new_task.csv'))
            pd.DataFrame({'example': examples, 'base_loss': rng.gamma(2.0, 1.0, size=60)}).to_csv(p('example_features.csv'))
            stacked = pd.DataFrame(z, index=pd.Index(tasks, name='run'), columns=pd.Index(examples, name='chunk')).stack().rename('loss').reset_index()
            stacked.to_csv(p('long_named.csv'))
            """, folder);
        var model = Path.Combine(folder, "m.fpm");
        var (code, _, error) = CliRunner.Run("fit", Path.Combine(folder, "train.csv"), "--method", "mf", "--rank", "2", "--out", model);
        Assert.True(code == 0, error);
        return (folder, model);
    });

    private static string F(string name) => Path.Combine(s_files.Value.Folder, name);

    private static string Model => s_files.Value.Model;

    [Fact]
    public void Observed_WithPandasIndex_IgnoresTheIndex()
    {
        var (code, output, error) = CliRunner.Run("predict", "--model", Model, "--observed", F("obs_index.csv"), "--top", "3");

        Assert.True(code == 0, error);
        Assert.Contains("from 5 measured cells", output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Fact]
    public void Observed_OtherColumnNames_AreRefusedNamingTheOption_AndReadWithIt()
    {
        var (code, _, error) = CliRunner.Run("predict", "--model", Model, "--observed", F("obs_named.csv"));
        var (namedCode, output, namedError) = CliRunner.Run("predict", "--model", Model, "--observed", F("obs_named.csv"), "--observed-columns", "ex,loss_increase");

        Assert.Equal(1, code);
        Assert.Contains("the table needs an example column 'example' and a value column 'value' (found: 'Unnamed: 0', 'ex', 'loss_increase'). Rename them, or name them with --observed-columns EXAMPLE,VALUE.", error, StringComparison.Ordinal);
        Assert.True(namedCode == 0, namedError);
        Assert.Contains("from 5 measured cells", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("examples_range.csv")]
    [InlineData("examples_index.csv")]
    public void Examples_WithPandasIndex_GroupEveryExample(string file)
    {
        // ",id,source" (row numbers, then ids) and ",source" (the ids in the index): both are keyed by the example ids.
        var (code, output, error) = CliRunner.Run("predict", "--model", Model, "--observed", F("obs_index.csv"), "--examples", F(file), "--top", "3");

        Assert.True(code == 0, error);
        Assert.Empty(error);
        Assert.Matches(@"code\s+30\s", output);
        Assert.Matches(@"web\s+30\s", output);
    }

    [Fact]
    public void Examples_IdsInAnotherColumn_AreRefusedSayingWhereTheIdsCameFrom_AndJoinWhenNamed()
    {
        // ",source,name": the rule takes 'source' (the first column after pandas' row numbers), which repeats.
        var (code, _, error) = CliRunner.Run("predict", "--model", Model, "--examples", F("examples_named.csv"), "--group-by", "source");
        var (namedCode, output, namedError) = CliRunner.Run("predict", "--model", Model, "--examples", F("examples_named.csv"), "--examples-columns", "name", "--group-by", "source");

        Assert.Equal(1, code);
        Assert.Contains("example id 'code' appears twice, on line 2 and on line 4; keep one row per example (ids are read from column 'source'; if another column holds them, name it as the id column).", error, StringComparison.Ordinal);
        Assert.True(namedCode == 0, namedError);
        Assert.Empty(namedError);
        Assert.Matches(@"code\s+30\s", output);
    }

    [Theory]
    [InlineData("exclude_index.csv", null)]
    [InlineData("exclude_named.csv", "chunk")]
    public void Exclude_WithPandasIndex_ExcludesTheListedExamples(string file, string? column)
    {
        var output = Path.Combine(RepoPaths.NewTempFolder(), "replay.csv");
        string[] columns = column is null ? [] : ["--exclude-columns", column];

        var (code, stdout, error) = CliRunner.Run(["replay", "--model", Model, "--exclude", F(file), .. columns, "--budget", "40", "--strategy", "topk", "--out", output]);

        Assert.True(code == 0, error);
        Assert.Empty(error);
        Assert.Contains("chose 40 of 40 candidate examples", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(MetadataTable.Read(output).Column("example"), e => int.Parse(e[3..], System.Globalization.CultureInfo.InvariantCulture) < 20);
    }

    [Fact]
    public void Exclude_IdsNotInTheChosenColumn_AreRefusedNamingTheColumnAndTheOption()
    {
        // ",split,chunk": the rule takes 'split' (the first column after pandas' row numbers), which names no example.
        var output = Path.Combine(RepoPaths.NewTempFolder(), "replay.csv");

        var (code, _, error) = CliRunner.Run("replay", "--model", Model, "--exclude", F("exclude_named.csv"), "--budget", "10", "--out", output);

        Assert.Equal(1, code);
        Assert.False(File.Exists(output));
        Assert.Contains("none of its 20 rows names an example, so it would exclude nothing", error, StringComparison.Ordinal);
        Assert.Contains("The ids were taken from column 'split'; name the column that holds them with --exclude-columns ID.", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tasks_range.csv", null)]
    [InlineData("tasks_named.csv", "run")]
    public void Tasks_WithPandasIndex_SplitByFamily(string file, string? column)
    {
        string[] columns = column is null ? [] : ["--tasks-columns", column];

        var (code, output, error) = CliRunner.Run(["evaluate", F("z.csv"), "--tasks", F(file), .. columns, "--train-family", "a", "--test-family", "b", "--methods", "additive", "--seeds", "1", "--known", "5"]);

        Assert.True(code == 0, error);
        Assert.Empty(error);
        Assert.Contains("8 train / 8 test tasks", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("task_features_index.csv", null)]
    [InlineData("task_features_named.csv", "run")]
    public void TaskFeatures_WithPandasIndex_FitAndPredictFromFeatures(string file, string? column)
    {
        var model = Path.Combine(RepoPaths.NewTempFolder(), "f.fpm");
        string[] columns = column is null ? [] : ["--task-features-columns", column];

        var (code, _, error) = CliRunner.Run(["fit", F("train.csv"), "--method", "mf", "--rank", "2", "--task-features", F(file), .. columns, "--out", model]);
        var (predictCode, output, predictError) = CliRunner.Run("predict", "--model", model, "--task-features", F("new_task.csv"), "--task-name", "ft-15", "--top", "3");

        Assert.True(code == 0, error);
        Assert.True(predictCode == 0, predictError);
        Assert.Contains("predicted from the task's features", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TaskFeatures_IdsInAnUnfoundColumn_AreRefusedNamingTheOption()
    {
        var (code, _, error) = CliRunner.Run("fit", F("train.csv"), "--method", "mf", "--task-features", F("task_features_named.csv"), "--task-features-columns", "lr", "--out", Path.Combine(RepoPaths.NewTempFolder(), "f.fpm"));

        Assert.Equal(1, code);
        Assert.Contains("(matched on column 'lr'); add a row for each, or name the column that holds the task ids (--task-features-columns ID).", error, StringComparison.Ordinal);
        Assert.Contains("Its column 'Unnamed: 0' (pandas' index of row numbers 0, 1, 2...) is not taken as ids", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ExampleFeatures_WithPandasIndex_RunTheRepresentationBaseline()
    {
        var (code, output, error) = CliRunner.Run("evaluate", F("z.csv"), "--test-rows", "0,5,9", "--methods", "additive", "--seeds", "1", "--known", "5",
            "--task-features", F("task_features_index.csv"), "--example-features", F("example_features.csv"));

        Assert.True(code == 0, error);
        Assert.Contains("representation", output, StringComparison.Ordinal);
    }

    [Fact]
    public void LongMatrix_WithPandasIndexAndOtherNames_SuggestsColumns_AndReadsWithThem()
    {
        var (code, _, error) = CliRunner.Run("analyze", F("long_named.csv"), "--max-rank", "1");
        var (namedCode, output, namedError) = CliRunner.Run("analyze", F("long_named.csv"), "--columns", "run,chunk,loss", "--max-rank", "1");

        Assert.Equal(1, code);
        Assert.Contains("If this is a long table (one row per cell; its columns are 'Unnamed: 0', 'run', 'chunk', 'loss'), name its task, example and value columns with --columns TASK,EXAMPLE,VALUE.", error, StringComparison.Ordinal);
        Assert.True(namedCode == 0, namedError);
        Assert.Contains("16 tasks x 60 examples, 0.00% missing", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--observed-columns", "ex", "--observed-columns takes 2 column names: EXAMPLE,VALUE (got 'ex').")]
    [InlineData("--examples-columns", "a,b", "--examples-columns takes 1 column name: ID (got 'a,b').")]
    [InlineData("--observed-columns", "ex,EX", "--observed-columns names a column twice ('ex,EX'); give EXAMPLE,VALUE, each a different column.")]
    public void ColumnsOptions_WithTheWrongNames_AreUsageErrors(string option, string value, string expected)
    {
        var (code, _, error) = CliRunner.Run("predict", "--model", Model, option, value);

        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}

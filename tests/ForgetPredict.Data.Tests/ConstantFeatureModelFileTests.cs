using ForgetPredict.Core;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;
using ForgetPredict.Testing;
using static ForgetPredict.Testing.ConstantFeatures;

namespace ForgetPredict.Data.Tests;

/// <summary>Model files of feature models fitted with columns constant over the training rows (left out of their encoding).</summary>
public class ConstantFeatureModelFileTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Root, "tests", "ForgetPredict.Data.Tests", "Fixtures", name);

    // The planted tasks' settings (with a seed of 0 for every task) and embedding, a one-level family; an mf model of them, its
    // task feature model, and an example feature model of a random feature with a constant column beside it and a one-level source.
    private static (FactorModel Model, FeatureSet Tasks, TaskFeatureModel TaskFeatures, ExampleFeatureModel ExampleFeatures, FeatureSet Fresh) Fitted(bool constant)
    {
        var (z, x) = PlantedTasks.Matrix(31);
        var tasks = PlantedTasks.SettingsAndData(z, x, 32);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var random = new Random(33);
        var loss = Enumerable.Range(0, z.ExampleCount + 5).Select(_ => random.NextDouble()).ToArray();
        var examples = new FeatureSet(z.ExampleIds, [new FeatureBlock("loss.csv", FeatureKind.Numeric, ["loss"], loss[..z.ExampleCount])]);
        var fresh = new FeatureSet(IdList.From(["n0", "n1", "n2", "n3", "n4"]), [new FeatureBlock("loss.csv", FeatureKind.Numeric, ["loss"], loss[z.ExampleCount..])]);
        if (constant)
        {
            tasks = WithSingleLevel(WithColumn(tasks, "tasks.csv", "seed", 0), "family", "family=web");
            examples = WithSingleLevel(WithColumn(examples, "loss.csv", "seed", 3), "source", "source=web");
            fresh = WithSingleLevel(WithColumn(fresh, "loss.csv", "seed", 3), "source", "source=web");
        }

        return (model, tasks, TaskFeatureModel.Fit(model, tasks), ExampleFeatureModel.Fit(model, examples), fresh);
    }

    // The model saved with its feature models to a fresh folder: the file, its bytes and its sections.
    private static (string Path, byte[] Bytes, List<(uint Tag, byte[] Whole)> Sections) Saved(FactorModel model, TaskFeatureModel taskFeatures, ExampleFeatureModel? exampleFeatures = null)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(model, path, taskFeatures: taskFeatures, exampleFeatures: exampleFeatures);
        var bytes = File.ReadAllBytes(path);
        return (path, bytes, Sections(bytes));
    }

    private static List<(uint Tag, byte[] Whole)> Sections(byte[] bytes)
    {
        var sections = new List<(uint Tag, byte[] Whole)>();
        for (var at = 20; at < bytes.Length - 32;)
        {
            var length = (int)BitConverter.ToInt64(bytes, at + 4);
            sections.Add((BitConverter.ToUInt32(bytes, at), bytes[at..(at + 12 + length)]));
            at += 12 + length;
        }

        return sections;
    }

    // The message of the refusal of a file of these sections (with the header of bytes and a valid checksum).
    private static string Refusal(byte[] bytes, IEnumerable<byte[]> parts)
    {
        var payload = parts.SelectMany(p => p).ToArray();
        var file = bytes[..12].Concat(BitConverter.GetBytes((long)payload.Length)).Concat(payload).Concat(System.Security.Cryptography.SHA256.HashData(payload)).ToArray();
        var crafted = Path.Combine(RepoPaths.NewTempFolder(), "crafted.fpm");
        File.WriteAllBytes(crafted, file);
        return Assert.Throws<ForgettingDataException>(() => ModelFile.Load(crafted)).Message;
    }

    private static byte[] Section(uint tag, byte[] body) => [.. BitConverter.GetBytes(tag), .. BitConverter.GetBytes((long)body.Length), .. body];

    [Fact]
    public void ModelFile_KeepsTheConstantColumns_BeforeTheirFeatureModels_AndTheLoadedModelsPredictAsTheFittedOnes()
    {
        // Given: task and example feature models fitted with constant columns, and the same fitted without them.
        var (model, tasks, taskFeatures, exampleFeatures, fresh) = Fitted(constant: true);
        var plain = Fitted(constant: false);

        // When: each is saved and loaded.
        var folder = RepoPaths.NewTempFolder();
        ModelFile.Save(model, Path.Combine(folder, "constant.fpm"), taskFeatures: taskFeatures, exampleFeatures: exampleFeatures);
        ModelFile.Save(plain.Model, Path.Combine(folder, "plain.fpm"), taskFeatures: plain.TaskFeatures, exampleFeatures: plain.ExampleFeatures);
        var loaded = ModelFile.Load(Path.Combine(folder, "constant.fpm"));

        // Then: the views' constant columns come back, and the priors (cold and with measured cells) and the new examples'
        // predictions are the fitted models', to the bit, and those of the models fitted without the columns.
        Assert.Equal(taskFeatures.Views.Select(v => string.Join(",", v.Constant.ToArray())), loaded.TaskFeatures!.Views.Select(v => string.Join(",", v.Constant.ToArray())));
        Assert.Equal(exampleFeatures.Views.Select(v => (v.EncodedWidth, string.Join(",", v.Constant.ToArray()))), loaded.ExampleFeatures!.Views.Select(v => (v.EncodedWidth, string.Join(",", v.Constant.ToArray()))));
        Assert.Contains(loaded.TaskFeatures.Views, v => v.Constant.Contains(true));
        Assert.Contains(loaded.ExampleFeatures.Views, v => v.Constant.Contains(true));
        int[] cells = [1, 7, 42];
        foreach (var row in new[] { 0, 3, 17 })
        {
            Assert.Equal(taskFeatures.Prior(tasks, row).Mean.ToArray(), loaded.TaskFeatures.Prior(tasks, row).Mean.ToArray());
            Assert.Equal(taskFeatures.Prior(tasks, row).Covariance.ToArray(), loaded.TaskFeatures.Prior(tasks, row).Covariance.ToArray());
            Assert.Equal(plain.TaskFeatures.Prior(plain.Tasks, row).Covariance.ToArray(), loaded.TaskFeatures.Prior(tasks, row).Covariance.ToArray());
            double[] values = [0.1, 0.4, -0.2];
            Assert.Equal(taskFeatures.Prior(tasks, row, model, cells, values).Mean.ToArray(), loaded.TaskFeatures.Prior(tasks, row, (FactorModel)loaded.Model, cells, values).Mean.ToArray());
        }

        double[] Predict(ExampleFeatureModel m, FactorModel f, FeatureSet features)
        {
            var (mean, std) = (new double[5], new double[5]);
            m.PredictNewExamples(f.FoldIn([0, 1, 2], [0.1, 0.2, 0.3]), features, mean, std);
            return [.. mean, .. std];
        }

        Assert.Equal(Predict(exampleFeatures, model, fresh), Predict(loaded.ExampleFeatures, (FactorModel)loaded.Model, fresh));
        Assert.Equal(Predict(plain.ExampleFeatures, plain.Model, plain.Fresh), Predict(loaded.ExampleFeatures, (FactorModel)loaded.Model, fresh));

        // And section 10 comes before the task feature model, 11 before the example feature model; a file without constant
        // columns has neither (it is as such files were).
        var tags = Sections(File.ReadAllBytes(Path.Combine(folder, "constant.fpm"))).Select(s => s.Tag).ToList();
        Assert.True(tags.IndexOf(10) >= 0 && tags.IndexOf(10) + 1 == Math.Max(tags.IndexOf(6), tags.IndexOf(8)), string.Join(",", tags));
        Assert.Equal(tags.IndexOf(11) + 1, tags.IndexOf(7));
        var plainTags = Sections(File.ReadAllBytes(Path.Combine(folder, "plain.fpm"))).Select(s => s.Tag).ToList();
        Assert.DoesNotContain(10u, plainTags);
        Assert.DoesNotContain(11u, plainTags);
    }

    [Fact]
    public void ModelFile_OfTheReleaseBefore_ReadsAConstantColumnAsItDid()
    {
        // Given: a model file written by the release before constant columns were left out (commit f31897e: fit --method mf
        // on charlm-d's tasks 1..16 x its first 200 examples, --task-features a table of lr, steps and a seed of 0 for every
        // task), and what that release's predict answered (--out) for a new task of lr 0.0005, steps 400 and seed 1.
        var loaded = ModelFile.Load(Fixture("taskfeatures-f31897e.fpm"));
        var model = (FactorModel)loaded.Model;
        static double[][] Rows(string path) => [.. File.ReadLines(path).Skip(1).Select(l => l.Split(',').Skip(1).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray())];
        var answered = Rows(Fixture("taskfeatures-f31897e-predict.csv"));
        var query = new FeatureSet(IdList.From(["new-task"]), [new FeatureBlock("new.csv", FeatureKind.Numeric, ["lr", "steps", "seed"], [0.0005, 400, 1])]);

        // When: the new task is predicted from its features.
        var (mean, std) = (new double[model.ExampleCount], new double[model.ExampleCount]);
        model.FoldIn([], [], new FoldInOptions { TaskPrior = loaded.TaskFeatures!.Prior(query) }).PredictRow(mean, std);

        // Then: the file reads as that release wrote it, the seed among the encoded columns (no constant column), and every mean
        // and std is the one it gave, to the bit.
        var view = Assert.Single(loaded.TaskFeatures.Views);
        Assert.Equal(["lr", "steps", "seed"], view.Columns);
        Assert.Equal(3, view.EncodedWidth);
        Assert.DoesNotContain(true, view.Constant.ToArray());
        Assert.Equal(answered.Select(a => a[0]), mean);
        Assert.Equal(answered.Select(a => a[1]), std);
    }

    [Fact]
    public void ModelFile_RefusesConstantColumnsThatDoNotFitTheirFeatureModel()
    {
        // Given: a saved model with task and example feature models fitted with constant columns, cut into its sections.
        var (model, _, taskFeatures, exampleFeatures, _) = Fitted(constant: true);
        var (path, bytes, sections) = Saved(model, taskFeatures, exampleFeatures);
        var tagged = sections.FindIndex(s => s.Tag == 10);
        var views = taskFeatures.Views.Count;
        IEnumerable<byte[]> With(int index, byte[]? replacement) => sections.Select((s, i) => i == index ? replacement ?? [] : s.Whole);
        byte[] Flags(int count, int width, byte flag) => Section(10, [.. BitConverter.GetBytes(count), .. Enumerable.Range(0, count).SelectMany(_ => BitConverter.GetBytes(width).Concat(Enumerable.Repeat(flag, width)))]);

        // When / Then: the flags after the model they describe, without it, for another number of views or columns, or a flag
        // other than 0 or 1, are each refused, saying what; the file as written reads.
        // (Moved after the model, the flags leave it read as if every column were encoded: refused there, its sizes wrong; flags
        // that leave nothing out, after it, are refused for their place.)
        var after = sections.Select(s => s.Whole).ToList();
        (after[tagged], after[tagged + 1]) = (after[tagged + 1], after[tagged]);
        Assert.Contains("the model file is invalid", Refusal(bytes, after), StringComparison.Ordinal);
        var plain = Fitted(constant: false);
        var (_, plainBytes, plainSections) = Saved(plain.Model, plain.TaskFeatures);
        byte[] none = Section(10, [.. BitConverter.GetBytes(plain.TaskFeatures.Views.Count), .. plain.TaskFeatures.Views.SelectMany(v => BitConverter.GetBytes(v.Columns.Count).Concat(new byte[v.Columns.Count]))]);
        Assert.Contains("the task feature model's constant columns come after the model they describe",
            Refusal(plainBytes, plainSections.Select(s => s.Whole).Append(none)), StringComparison.Ordinal);
        Assert.Contains("it gives the constant columns of a task feature model it does not hold",
            Refusal(bytes, sections.Where(s => s.Tag is not (6 or 8 or 9)).Select(s => s.Whole)), StringComparison.Ordinal);
        Assert.Contains($"the constant columns are given for {views + 1} views; the task feature model has {views}", Refusal(bytes, With(tagged, Flags(views + 1, 2, 0))), StringComparison.Ordinal);
        Assert.Contains("are given for 99 columns", Refusal(bytes, With(tagged, Flags(views, 99, 0))), StringComparison.Ordinal);
        Assert.Contains("a constant-column flag is 2, not 0 or 1", Refusal(bytes, With(tagged, Flags(views, 2, 2))), StringComparison.Ordinal);
        Assert.Contains("section 10 appears twice", Refusal(bytes, sections.Take(tagged + 1).Select(s => s.Whole).Concat(sections.Skip(tagged).Select(s => s.Whole))), StringComparison.Ordinal);
        Assert.NotNull(ModelFile.Load(path).TaskFeatures);
    }

    // A view as sections 6 to 11 write it (block .. log flags).
    private static byte[] ViewBytes(string block, FeatureKind kind, string[] columns, double[] shift, bool log)
    {
        static byte[] Text(string s) => [.. BitConverter.GetBytes(System.Text.Encoding.UTF8.GetByteCount(s)), .. System.Text.Encoding.UTF8.GetBytes(s)];
        return [.. Text(block), .. BitConverter.GetBytes((int)kind), .. BitConverter.GetBytes(columns.Length), .. columns.SelectMany(Text), 0,
            .. shift.SelectMany(BitConverter.GetBytes), .. columns.SelectMany(_ => BitConverter.GetBytes(1.0)), .. columns.Select(_ => (byte)(log ? 1 : 0))];
    }

    [Fact]
    public void ModelFile_KeepsTheBlocksLeftOutAsConstant_ReadsFilesWithoutThem_AndRefusesInconsistentOnes()
    {
        // Given: feature models fitted with a one-level family and a one-level source (blocks left out as constant), saved.
        var (model, tasks, taskFeatures, exampleFeatures, fresh) = Fitted(constant: true);
        var (path, bytes, sections) = Saved(model, taskFeatures, exampleFeatures);

        // When: it is loaded; and as the release before wrote it (sections 10 and 11 end with the flags).
        var loaded = ModelFile.Load(path);
        byte[] FlagsOnly(uint tag, IReadOnlyList<FeatureView> views) => Section(tag, [.. BitConverter.GetBytes(views.Count), .. views.SelectMany(v => BitConverter.GetBytes(v.Width).Concat(v.Constant.ToArray().Select(f => (byte)(f ? 1 : 0))))]);
        var before = Path.Combine(RepoPaths.NewTempFolder(), "before.fpm");
        var payload = sections.SelectMany(s => s.Tag switch { 10 => FlagsOnly(10, taskFeatures.Views), 11 => FlagsOnly(11, exampleFeatures.Views), _ => s.Whole }).ToArray();
        File.WriteAllBytes(before, [.. bytes[..12], .. BitConverter.GetBytes((long)payload.Length), .. payload, .. System.Security.Cryptography.SHA256.HashData(payload)]);
        var old = ModelFile.Load(before);

        // Then: the kept blocks come back with their levels, and the priors and new examples' predictions are the same to the
        // bit with them as without (the file of the release before reads, with none kept).
        Assert.Equal(["family"], loaded.TaskFeatures!.ConstantViews.Select(v => v.BlockName));
        Assert.Equal([("source", "source=web", 1.0)], loaded.ExampleFeatures!.ConstantViews.Select(v => (v.BlockName, v.Columns.Single(), v.Shift[0])));
        Assert.Empty(old.TaskFeatures!.ConstantViews);
        Assert.Empty(old.ExampleFeatures!.ConstantViews);
        Assert.Equal(loaded.TaskFeatures.Prior(tasks, 3).Mean.ToArray(), old.TaskFeatures.Prior(tasks, 3).Mean.ToArray());
        Assert.Equal(loaded.TaskFeatures.Prior(tasks, 3).Covariance.ToArray(), old.TaskFeatures.Prior(tasks, 3).Covariance.ToArray());
        var (a, b) = (new double[5], new double[5]);
        var (c, d) = (new double[5], new double[5]);
        loaded.ExampleFeatures.PredictNewExamples(((FactorModel)loaded.Model).FoldIn([0, 1], [0.1, 0.2]), fresh, a, b);
        old.ExampleFeatures.PredictNewExamples(((FactorModel)old.Model).FoldIn([0, 1], [0.1, 0.2]), fresh, c, d);
        Assert.Equal([.. a, .. b], [.. c, .. d]);

        // And: kept blocks read on a log scale, of a block the model uses, given twice or as an empty list, or followed by
        // other bytes, are refused, saying what.
        var flags = FlagsOnly(11, exampleFeatures.Views)[12..];
        IEnumerable<byte[]> With(byte[] trailer) => sections.Select(s => s.Tag == 11 ? Section(11, [.. flags, .. trailer]) : s.Whole);
        var source = ViewBytes("source", FeatureKind.Categorical, ["source=web"], [1], log: false);
        Assert.Contains("both constant (left out) and read on a log scale", Refusal(bytes, With([.. BitConverter.GetBytes(1), .. ViewBytes("source", FeatureKind.Categorical, ["source=web"], [1], log: true)])), StringComparison.Ordinal);
        Assert.Contains("'loss.csv' is both used by the model and left out as constant", Refusal(bytes, With([.. BitConverter.GetBytes(1), .. ViewBytes("loss.csv", FeatureKind.Numeric, ["loss", "seed"], [0.5, 3], log: false)])), StringComparison.Ordinal);
        Assert.Contains("feature block 'source' is given twice among the blocks left out as constant", Refusal(bytes, With([.. BitConverter.GetBytes(2), .. source, .. source])), StringComparison.Ordinal);
        Assert.Contains("an empty list of blocks left out as constant", Refusal(bytes, With(BitConverter.GetBytes(0))), StringComparison.Ordinal);
        Assert.Contains("bytes after the blocks left out as constant", Refusal(bytes, With([.. BitConverter.GetBytes(1), .. source, 7])), StringComparison.Ordinal);
        Assert.NotNull(ModelFile.Load(path).ExampleFeatures);
    }
}

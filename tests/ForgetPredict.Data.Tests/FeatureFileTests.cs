using ForgetPredict.Core;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests;

public class FeatureFileTests
{
    private static string Write(string name, string text)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Embedding_A1DArrayOrAnInfiniteValue_IsRefusedInAnEmbeddingsTerms()
    {
        // A 1-D array (one feature per task) and an infinite feature: the matrix reader's words ("a single task", "use NaN")
        // were wrong for an embedding, which has one row per entity and refuses NaN too.
        var flat = Path.Combine(RepoPaths.NewTempFolder(), "flat.npy");
        using (var stream = File.Create(flat))
        {
            NpyFormat.WriteArray(stream, [1f, 2f, 3f], [3]);
        }

        var infinite = WriteNpy("inf.npy", [0f, 1f, 2f, float.PositiveInfinity, 4f, 5f], 3, 2);

        var flatError = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(flat, IdList.Implicit(3)));
        var infiniteError = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(infinite, IdList.Implicit(3)));

        Assert.EndsWith("flat.npy: array has shape (3,); an embedding is 2-D, one row per entity and one column per feature. If it is one entity's embedding (a new task's), make it one row: arr.reshape(1, -1); if it holds one feature per entity, one column: arr.reshape(-1, 1).", flatError.Message, StringComparison.Ordinal);
        Assert.EndsWith("inf.npy: row 1, column 1 is not a finite number; an embedding needs a value in every cell.", infiniteError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedding_AFloat64ValueBeyondFloat32_IsRefusedInAnEmbeddingsTerms_ForTasksAndExamples_NpyAndNpz()
    {
        // QA: a task embedding with 1e200 was refused in the matrix's words ("cell (task 0, example 0) ... forgetting values
        // ... or store NaN for a missing cell"), though an embedding refuses NaN too; an .npz's entry hid an infinity alike.
        var folder = RepoPaths.NewTempFolder();
        ExternalTool.RunPython("""
            import numpy as np, sys, os
            x = np.arange(6, dtype='f8').reshape(3, 2); x[1, 0] = 1e200
            np.save(os.path.join(sys.argv[1], 'huge.npy'), x)
            np.savez(os.path.join(sys.argv[1], 'huge.npz'), emb=x, ids=np.array(['n0', 'n1', 'n2']))
            y = np.arange(6, dtype='f4').reshape(3, 2); y[2, 1] = np.inf
            np.savez(os.path.join(sys.argv[1], 'inf.npz'), emb=y, ids=np.array(['n0', 'n1', 'n2']))
            """, folder);
        string F(string name) => Path.Combine(folder, name);

        var task = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(F("huge.npy"), IdList.Implicit(3)));
        var fresh = Assert.Throws<ForgettingDataException>(() => FeatureFile.ReadNew([F("huge.npz")], IdList.From(["0"]), "example"));
        var infinite = Assert.Throws<ForgettingDataException>(() => FeatureFile.ReadNew([F("inf.npz")], IdList.From(["0"]), "example"));

        Assert.Equal(F("huge.npy") + ": row 1, column 0 is 1E+200, beyond float32's range (about ±3.4e38), in which embeddings are held; rescale the embedding (e.g. standardise its columns), as the embedding the model was fitted with was scaled.", task.Message);
        Assert.Equal(F("huge.npz") + ": row 1, column 0 is 1E+200, beyond float32's range (about ±3.4e38), in which embeddings are held; rescale the embedding (e.g. standardise its columns), as the embedding the model was fitted with was scaled.", fresh.Message);
        Assert.Equal(F("inf.npz") + ": row 2, column 1 is not a finite number; an embedding needs a value in every cell.", infinite.Message);
        Assert.All(new[] { task, fresh, infinite }, e => Assert.DoesNotContain("NaN", e.Message, StringComparison.Ordinal));
    }

    private static string WriteNpy(string name, float[] values, long rows, long columns)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), name);
        using var stream = File.Create(path);
        NpyFormat.WriteArray(stream, values, [rows, columns]);
        return path;
    }

    [Fact]
    public void Table_IsAlignedById_WithNumericAndOneHotColumns()
    {
        // Given: a table whose rows are in another order than the matrix's tasks, with a name column, a category and numbers.
        var path = Write("tasks.csv", "task,family,lr,steps\nc,web,0.001,600\na,code,0.0001,150\nb,web,0.0003,300\n");

        // When: it is read for tasks a, b, c.
        var set = FeatureFile.Read(path, IdList.From(["a", "b", "c"]));

        // Then: numeric columns in matrix order, the category one-hot, and the id column not used as a feature.
        var numeric = set.Blocks.Single(b => b.Kind == FeatureKind.Numeric);
        Assert.Equal(["lr", "steps"], numeric.Columns);
        Assert.Equal([0.0001, 150, 0.0003, 300, 0.001, 600], numeric.Values.ToArray());
        var categories = set.Blocks.Single(b => b.Kind == FeatureKind.Categorical);
        Assert.Equal(["family=code", "family=web"], categories.Columns);
        Assert.Equal([1.0, 0, 0, 1, 0, 1], categories.Values.ToArray());
    }

    // QA (a polars user): with_row_index()'s 'index' column of row numbers had become a numeric feature, so a new task's
    // prediction depended on its row number.
    [Fact]
    public void PolarsRowIndex_IsNotAFeature()
    {
        var path = Write("tasks.csv", "index,task,lr\n0,c,0.001\n1,a,0.0001\n2,b,0.0003\n");

        var set = FeatureFile.Read(path, IdList.From(["a", "b", "c"]));

        var numeric = Assert.Single(set.Blocks);
        Assert.Equal(["lr"], numeric.Columns);
        Assert.Equal([0.0001, 0.0003, 0.001], numeric.Values.ToArray());
    }

    [Fact]
    public void MissingIds_AreRefused_NamingTheFileTheIdsAndTheFix()
    {
        var path = Write("tasks.csv", "task,lr\na,0.1\nb,0.2\n");
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["a", "b", "zz"])));
        Assert.Contains("tasks.csv", e.Message, StringComparison.Ordinal);
        Assert.Contains("zz", e.Message, StringComparison.Ordinal);
        Assert.Contains("add a row", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("task,lr\na,0.1\nb,0.2\na,0.3\n")]
    [InlineData("task,lr\na,0.1\nb,0.2\na,0.1\n")]
    public void DuplicateIds_AreRefused_NamingTheFileBothLinesAndTheId(string text)
    {
        // Given: task 'a' on lines 2 and 4 (whether its values agree or not, the row kept would depend on row order).
        var path = Write("tasks.csv", text);

        // Then
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["a", "b"])));
        Assert.StartsWith($"{path}:4: column 'task': task id 'a' appears twice, on line 2 and on line 4; keep one row per task", e.Message, StringComparison.Ordinal);
        Assert.Equal((4L, "task"), (e.Line, e.Column));
    }

    [Fact]
    public void DuplicateIds_OfEntitiesNotInTheMatrix_AreRefusedToo()
    {
        var path = Write("tasks.csv", "id,lr\na,0.1\nz,0.2\nz,0.3\n");
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["a"])));
        Assert.Contains("task id 'z' appears twice, on line 3 and on line 4", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("inf", "")]
    [InlineData("-inf", "")]
    [InlineData("Infinity", "")]
    [InlineData("nan", "")]
    [InlineData("1e400", " (beyond float64's range)")]
    public void NonFiniteNumber_InANumericColumn_IsRefusedNamingTheCell(string cell, string range)
    {
        // Given: lr is numeric except for one cell (pandas writes inf as 'inf'); it is not a category column.
        var path = Write("tasks.csv", $"task,lr,family\na,0.1,x\nb,{cell},y\nc,0.3,x\n");

        // Then
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["a", "b", "c"])));
        Assert.StartsWith($"{path}:3: column 'lr': task 'b' has '{cell}', which is not a finite number{range}; a numeric feature needs a finite value for every task", e.Message, StringComparison.Ordinal);
        Assert.Equal((3L, "lr"), (e.Line, e.Column));
    }

    [Theory]
    [InlineData("NA", "'NA'")]
    [InlineData("None", "'None'")]
    [InlineData("1,5", "'1,5'")]
    [InlineData("high", "'high'")]
    [InlineData("", "no value")]
    public void AWord_InANumericColumn_IsRefusedNamingTheCell_NotReadAsCategories(string cell, string shown)
    {
        // Given: lr is numeric except for one cell (pandas' na_rep='NA', a decimal comma...): read as levels, lr became
        // one-hot columns lr=0.1, lr=NA... in silence (and an example's base_loss thousands of them).
        var path = Write("tasks.csv", $"task,lr,family\na,0.1,x\nb,{(cell.Contains(',', StringComparison.Ordinal) ? $"\"{cell}\"" : cell)},y\nc,0.3,x\nd,0.2,y\n");

        // Then
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["a", "b", "c", "d"])));
        Assert.Equal($"{path}:3: column 'lr': task 'b' has {shown} in column 'lr', whose other values are numbers (3 of 4); a numeric feature needs a finite number for every task ('.' as the decimal point): fill it in (e.g. with the column's median), or drop the column.", e.Message);
        Assert.Equal((3L, "lr"), (e.Line, e.Column));
    }

    [Fact]
    public void TextColumn_WithAnInfWord_StaysCategorical()
    {
        var path = Write("tasks.csv", "task,family\na,inf\nb,web\nc,inf\n");
        var set = FeatureFile.Read(path, IdList.From(["a", "b", "c"]));
        Assert.Equal(["family=inf", "family=web"], set.Blocks.Single().Columns);
    }

    [Fact]
    public void Embedding_WithTheWrongNumberOfRows_IsRefused()
    {
        var path = WriteNpy("emb.npy", new float[2 * 4], 2, 4);
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.Implicit(3)));
        Assert.Contains("emb.npy", e.Message, StringComparison.Ordinal);
        Assert.Contains("2 rows", e.Message, StringComparison.Ordinal);
        Assert.Contains("one row per task", e.Message, StringComparison.Ordinal);

        var ok = FeatureFile.Read(WriteNpy("emb3.npy", [.. Enumerable.Range(0, 12).Select(i => (float)i)], 3, 4), IdList.Implicit(3));
        Assert.Equal(FeatureKind.Embedding, ok.Blocks[0].Kind);
        Assert.Equal(4, ok.Blocks[0].Width);
    }

    [Theory]
    [InlineData("task_ids")]
    [InlineData("example_ids")]
    [InlineData("ids")]
    public void Embedding_NpzWithRowIds_IsAlignedById_AndRefusesIdsThatMissAnEntity(string idArray)
    {
        // Given: the rows of c, a, b (ids in the archive) and an extra row for an entity the matrix does not have; the rows
        // were read in file order, so a shuffled embedding was silently misaligned (and example_ids read as column ids).
        var rows = new Dictionary<string, float[]> { ["c"] = [3, 30], ["a"] = [1, 10], ["zz"] = [9, 90], ["b"] = [2, 20] };
        var path = Path.Combine(RepoPaths.NewTempFolder(), "emb.npz");
        ExternalTool.RunPython($$"""
            import numpy as np, sys
            ids = ["c", "a", "zz", "b"]
            np.savez(sys.argv[1], emb=np.array([[3, 30], [1, 10], [9, 90], [2, 20]], dtype=np.float32), {{idArray}}=np.array(ids))
            """, path);

        // When
        var set = FeatureFile.Read(path, IdList.From(["a", "b", "c"]));

        // Then: each entity has its own row; an id the archive lacks is refused naming it.
        Assert.Equal([1.0, 10, 2, 20, 3, 30], set.Blocks.Single().Values.ToArray());
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["a", "d"])));
        Assert.Contains("the embedding's row ids have no row for 1 of the 2 tasks (first: 'd'; its first row ids: 'c', 'a', 'zz')", e.Message, StringComparison.Ordinal);

        // New entities by id: the ids the model does not know, in file order.
        var fresh = FeatureFile.ReadNew([path], IdList.From(["a", "b"]), "example")!;
        Assert.Equal(["c", "zz"], fresh.Ids);
        Assert.Equal([3.0, 30, 9, 90], fresh.Blocks.Single().Values.ToArray());
    }

    // QA: feature tables gave a bare "no row for 31 tasks" where metadata tables name the cause and the fix.
    [Fact]
    public void IdsPandasWroteAsFloatsOrWithoutTheirLeadingZeros_AreNamedWithTheFix()
    {
        var floats = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(Write("f.csv", "id,lr\n0.0,0.1\n1.0,0.2\n"), IdList.Implicit(2)));
        var zeros = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(Write("z.csv", "id,lr\n7,0.1\n596,0.2\n"), IdList.From(["007", "00596"])));

        Assert.EndsWith("Its ids are written as decimals ('0.0') where the tasks' are whole numbers ('0'): write them as integers (pandas: astype(int) before to_csv).", floats.Message, StringComparison.Ordinal);
        Assert.Contains("leading zeros dropped", zeros.Message, StringComparison.Ordinal);
        Assert.Contains("dtype={'id': str}", zeros.Message, StringComparison.Ordinal);
    }

    // QA: a new task named '600' trained for 600 steps: 'steps' holds every id too, and was taken as the id column.
    [Fact]
    public void AColumnNamedAsIds_IsTheIdColumn_BeforeASettingThatHappensToHoldTheIds()
    {
        var set = FeatureFile.Read(Write("n600.csv", "lr,steps,task\n0.001,600,600\n"), IdList.From(["600"]));

        Assert.Equal(["lr", "steps"], set.Blocks.Single().Columns);
        Assert.Equal([0.001, 600], set.Blocks.Single().Values.ToArray());
    }

    // QA: an embedding .npz holding two 2-D arrays was read from the first without a word (no option names an embedding's
    // array): a random array saved before the embedding was fitted on.
    [Fact]
    public void Embedding_NpzWithTwoMatrices_IsRefusedNamingThem()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "two.npz");
        ExternalTool.RunPython("""
            import numpy as np, sys
            np.savez(sys.argv[1], a=np.zeros((3, 2)), b=np.ones((3, 4), dtype=np.float32), ids=np.array(["x", "y", "z"]))
            """, path);

        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(path, IdList.From(["x", "y", "z"])));

        Assert.Contains("two.npz: the archive holds 2 2-D arrays (a (3, 2) float64, b (3, 4) float32), and an embedding file holds one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelFile_KeepsTheTaskFeatureModel_AndOldFilesStillRead()
    {
        // Given: an mf model with a task feature model fitted on features that drive the rows.
        var random = new Random(3);
        const int tasks = 24, examples = 200;
        var x = Enumerable.Range(0, tasks).Select(_ => random.NextDouble() + 0.5).ToArray();
        var v = Enumerable.Range(0, examples).Select(_ => random.NextDouble()).ToArray();
        var z = ForgettingMatrix.Create([.. Enumerable.Range(0, tasks * examples).Select(c => (float)((x[c / examples] * v[c % examples]) + (0.01 * random.NextDouble())))],
            tasks, examples, Enumerable.Range(0, tasks).Select(i => $"t{i}"));
        var features = new FeatureSet(z.TaskIds, [new FeatureBlock("settings.csv", FeatureKind.Numeric, ["lr"], x)]);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var featureModel = TaskFeatureModel.Fit(model, features);
        Assert.True(featureModel.UsesFeatures);

        // When: saved with it and loaded; and saved without it.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(model, path, taskFeatures: featureModel);
        var loaded = ModelFile.Load(path);
        var plainPath = Path.Combine(RepoPaths.NewTempFolder(), "plain.fpm");
        ModelFile.Save(model, plainPath);

        // Then: the loaded feature model gives the same prior for a new task; a file without one loads with none.
        var query = new FeatureSet(IdList.From(["new"]), [new FeatureBlock("other-name.csv", FeatureKind.Numeric, ["lr"], [0.9])]);
        Assert.NotNull(loaded.TaskFeatures);
        Assert.Equal(featureModel.Prior(query).Mean.ToArray(), loaded.TaskFeatures!.Prior(query).Mean.ToArray());
        Assert.Equal(featureModel.Report.Chosen, loaded.TaskFeatures.Report.Chosen);
        Assert.Null(ModelFile.Load(plainPath).TaskFeatures);

        // And a query with the wrong columns is refused, naming what the model was fitted with.
        var wrong = new FeatureSet(IdList.From(["new"]), [new FeatureBlock("settings.csv", FeatureKind.Numeric, ["steps"], [300])]);
        var e = Assert.Throws<ArgumentException>(() => loaded.TaskFeatures.Prior(wrong));
        Assert.Contains("'lr'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelFile_KeepsATaskFeatureModelOverSeveralFiles()
    {
        // Given: a feature model whose prior combines a settings table and an embedding.
        var (z, x) = PlantedTasks.Matrix(11);
        var features = PlantedTasks.SettingsAndData(z, x, 12);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var featureModel = TaskFeatureModel.Fit(model, features);
        Assert.Equal(2, featureModel.Views.Count);

        // When: saved and loaded.
        var path = Path.Combine(RepoPaths.NewTempFolder(), "combined.fpm");
        ModelFile.Save(model, path, taskFeatures: featureModel);
        var loaded = ModelFile.Load(path).TaskFeatures!;

        // Then: the same views, report and priors (cold and with measured cells), to the bit.
        Assert.Equal(featureModel.Views.Select(v => (v.BlockName, v.Kind, v.Width)), loaded.Views.Select(v => (v.BlockName, v.Kind, v.Width)));
        Assert.Equal(featureModel.Report.Chosen, loaded.Report.Chosen);
        var row = features.Ids.IndexOf("t3");
        Assert.Equal(featureModel.Prior(features, row).Mean.ToArray(), loaded.Prior(features, row).Mean.ToArray());
        Assert.Equal(featureModel.Prior(features, row).Covariance.ToArray(), loaded.Prior(features, row).Covariance.ToArray());
        int[] cells = [1, 7, 42];
        double[] values = [z[3, 1], z[3, 7], z[3, 42]];
        Assert.Equal(featureModel.Prior(features, row, model, cells, values).Mean.ToArray(), loaded.Prior(features, row, model, cells, values).Mean.ToArray());
    }

    [Fact]
    public void ModelFile_KeepsHowThePriorWidensWithDistance_InItsOwnSection_AndFilesWithoutItReadAsBefore()
    {
        // Given: a feature model whose prior's variance grows with a task's distance from the training tasks, and the same
        // model without that spread (what files written before the section existed hold).
        var (z, x) = PlantedTasks.Matrix(11);
        var features = PlantedTasks.SettingsAndData(z, x, 12);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var featureModel = TaskFeatureModel.Fit(model, features);
        var constant = TaskFeatureModel.Restore(featureModel.Parts! with { Penalties = [], Spread = [] });

        // When: both are saved and loaded.
        var folder = RepoPaths.NewTempFolder();
        ModelFile.Save(model, Path.Combine(folder, "spread.fpm"), taskFeatures: featureModel);
        ModelFile.Save(model, Path.Combine(folder, "old.fpm"), taskFeatures: constant);
        var loaded = ModelFile.Load(Path.Combine(folder, "spread.fpm")).TaskFeatures!;
        var old = ModelFile.Load(Path.Combine(folder, "old.fpm")).TaskFeatures!;

        // Then: the spread comes back to the bit (a training task's prior and a far task's), and the far task's prior is wider;
        // the file without it gives every task the same covariance, as such files always did.
        var far = FeatureSet.Combine(
        [
            new FeatureSet(IdList.From(["far"]), [new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["lr"], [12.0])]),
            new FeatureSet(IdList.From(["far"]), [new FeatureBlock("task_emb.npy", FeatureKind.Embedding, [.. Enumerable.Range(0, 16).Select(c => $"e{c}")], [.. Enumerable.Range(0, 16).Select(c => 3.0)])]),
        ]);
        var row = features.Ids.IndexOf("t3");
        Assert.Equal(featureModel.Parts!.Spread, loaded.Parts!.Spread);
        Assert.Equal(featureModel.Prior(features, row).Covariance.ToArray(), loaded.Prior(features, row).Covariance.ToArray());
        Assert.Equal(featureModel.Prior(far).Covariance.ToArray(), loaded.Prior(far).Covariance.ToArray());
        static double Trace(GaussianPrior p) => Enumerable.Range(0, p.Dimension).Sum(a => p.Covariance[(a * p.Dimension) + a]);
        Assert.True(Trace(loaded.Prior(far)) > 2 * Trace(loaded.Prior(features, row)), $"{Trace(loaded.Prior(far))} against {Trace(loaded.Prior(features, row))}");
        Assert.Empty(old.Parts!.Spread);
        Assert.Equal(old.Prior(features, row).Covariance.ToArray(), old.Prior(far).Covariance.ToArray());
        Assert.Equal(featureModel.Prior(far).Mean.ToArray(), old.Prior(far).Mean.ToArray());
    }

    [Fact]
    public void ModelFile_ASpreadSectionTwice_OrBeforeItsFeatureModel_IsRefused()
    {
        // Given: a model file with a task feature model and its spread, cut into its sections.
        var (z, x) = PlantedTasks.Matrix(11);
        var features = PlantedTasks.SettingsAndData(z, x, 12);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(model, path, taskFeatures: TaskFeatureModel.Fit(model, features));
        var bytes = File.ReadAllBytes(path);
        var sections = new List<(uint Tag, byte[] Whole)>();
        for (var at = 20; at < bytes.Length - 32;)
        {
            var length = (int)BitConverter.ToInt64(bytes, at + 4);
            sections.Add((BitConverter.ToUInt32(bytes, at), bytes[at..(at + 12 + length)]));
            at += 12 + length;
        }

        Assert.Equal(9u, sections[^1].Tag);
        string Refusal(IEnumerable<byte[]> parts)
        {
            var payload = parts.SelectMany(p => p).ToArray();
            var file = bytes[..12].Concat(BitConverter.GetBytes((long)payload.Length)).Concat(payload).Concat(System.Security.Cryptography.SHA256.HashData(payload)).ToArray();
            var crafted = Path.Combine(RepoPaths.NewTempFolder(), "crafted.fpm");
            File.WriteAllBytes(crafted, file);
            return Assert.Throws<ForgettingDataException>(() => ModelFile.Load(crafted)).Message;
        }

        // When / Then: the spread given twice is refused (the second had replaced the first); so is the spread put before the
        // feature model, which would have dropped it; the file as written reads.
        Assert.Contains("section 9 appears twice", Refusal(sections.Select(s => s.Whole).Append(sections[^1].Whole)), StringComparison.Ordinal);
        Assert.Contains("the task feature spread comes before the task feature model", Refusal(sections.Take(sections.Count - 2).Select(s => s.Whole).Append(sections[^1].Whole).Append(sections[^2].Whole)), StringComparison.Ordinal);
        Assert.NotNull(ModelFile.Load(path).TaskFeatures);
    }

    [Fact]
    public void ModelFile_KeepsTheExampleFeatureModel_InItsOwnSection_AndFilesWithoutItReadAsBefore()
    {
        // Given: an mf model whose example parameters follow one example feature, and its example feature model.
        var random = new Random(5);
        const int tasks = 20, examples = 150;
        var u = Enumerable.Range(0, tasks).Select(_ => random.NextDouble() + 0.5).ToArray();
        var x = Enumerable.Range(0, examples + 10).Select(_ => random.NextDouble()).ToArray();
        var z = ForgettingMatrix.Create([.. Enumerable.Range(0, tasks * examples).Select(c => (float)((u[c / examples] * x[c % examples]) + (0.01 * random.NextDouble())))], tasks, examples);
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).FitLowRank(z);
        var exampleModel = ExampleFeatureModel.Fit(model, new FeatureSet(z.ExampleIds, [new FeatureBlock("loss.csv", FeatureKind.Numeric, ["loss"], x[..examples])]));

        // When: saved with it, and with the task section only (what files written before the section existed hold).
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(model, path, exampleFeatures: exampleModel);
        var loaded = ModelFile.Load(path);
        var old = Path.Combine(RepoPaths.NewTempFolder(), "old.fpm");
        ModelFile.Save(model, old);

        // Then: the loaded example model predicts the new examples exactly as the fitted one; the old file has none.
        var fresh = new FeatureSet(IdList.From([.. Enumerable.Range(examples, 10).Select(j => $"new-{j}")]), [new FeatureBlock("loss.csv", FeatureKind.Numeric, ["loss"], x[examples..])]);
        double[] Predict(ExampleFeatureModel m, FactorModel f)
        {
            var mean = new double[10];
            var std = new double[10];
            m.PredictNewExamples(f.FoldIn([0, 1, 2], [0.1, 0.2, 0.3]), fresh, mean, std);
            return [.. mean, .. std];
        }

        Assert.NotNull(loaded.ExampleFeatures);
        Assert.Equal(Predict(exampleModel, model), Predict(loaded.ExampleFeatures!, (FactorModel)loaded.Model));
        Assert.Equal(exampleModel.ExplainedShare, loaded.ExampleFeatures!.ExplainedShare);
        Assert.Null(ModelFile.Load(old).ExampleFeatures);
        Assert.Equal(ModelFile.Load(old).Model.ExampleIds.Count, loaded.Model.ExampleIds.Count);
    }

    [Fact]
    public void ReadNew_ListsTheExamplesTheModelLacks_FromTablesAndEmbeddings_AndRefusesMisfits()
    {
        // Given: a model of examples 0..3; a table with two new examples among them (in file order b, a) and an embedding.
        var known = IdList.Implicit(4);
        var table = Write("examples.csv", "id,loss,source\n0,0.1,web\nb,0.5,code\n1,0.2,web\n2,0.3,code\na,0.7,web\n3,0.4,web\n");
        var embedding = WriteNpy("emb.npy", [.. Enumerable.Range(0, 12).Select(i => (float)i)], 6, 2);

        // When: the new examples are read from the table alone, and from the table and an embedding of 4 + 2 rows.
        var set = FeatureFile.ReadNew([table], known)!;

        // Then: the new ids in file order, with the categories of the whole file.
        Assert.Equal(["b", "a"], set.Ids.ToArray());
        Assert.Equal([0.5, 0.7], set.Blocks[0].Values.ToArray());
        Assert.Equal(["source=code", "source=web"], set.Blocks[1].Columns);
        var embedded = FeatureFile.ReadNew([embedding], known)!;
        Assert.Equal(["4", "5"], embedded.Ids.ToArray());
        Assert.Equal([8.0, 9, 10, 11], embedded.Blocks[0].Values.ToArray());

        // A table listing only the model's examples names none; an embedding of the wrong length and a file without a row
        // for a new example are refused, naming the file and the fix.
        Assert.Null(FeatureFile.ReadNew([Write("old.csv", "id,loss\n0,1\n1,2\n2,3\n3,4\n")], known));
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.ReadNew([table, WriteNpy("short.npy", [.. Enumerable.Range(0, 10).Select(i => (float)i)], 5, 2)], known));
        Assert.Contains("short.npy", e.Message, StringComparison.Ordinal);
        Assert.Contains("has 5 rows, but the model has 4 examples and 2 new ones are asked for; give one row per example", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ForgettingDataException>(() => FeatureFile.ReadNew([table, Write("partial.csv", "id,x\nb,1\n")], known));
        Assert.Contains("partial.csv", e.Message, StringComparison.Ordinal);
        Assert.Contains("a", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadNew_APositionalEmbeddingAfterATableInAnotherOrder_IsRefused_NotMatchedByTheTablesOrder()
    {
        // Given: the model's examples 0..3 and new ones a, b; an embedding of 4 + 2 rows (a then b) and the same table sorted by loss
        var known = IdList.Implicit(4);
        var embedding = WriteNpy("emb.npy", [.. Enumerable.Range(0, 12).Select(i => (float)i)], 6, 2);
        var sorted = Write("sorted.csv", "id,loss\n2,0.1\nb,0.2\n0,0.3\na,0.4\n1,0.5\n3,0.6\n");
        var newOnly = Write("new.csv", "id,loss\na,0.4\nb,0.2\n");

        // Then: the sorted table cannot say which embedding row is which new example; a table of the new ones alone gives their order
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.ReadNew([sorted, embedding], known));
        Assert.Contains("emb.npy: its rows are examples by position (the model's 4 in its order, then the new ones in the order sorted.csv lists them), but sorted.csv is not in the model's order (example '0' on its row 3 comes after example '2')", e.Message, StringComparison.Ordinal);
        Assert.Contains("an .npz with an 'ids' array", e.Message, StringComparison.Ordinal);
        var set = FeatureFile.ReadNew([newOnly, embedding], known)!;
        Assert.Equal(["a", "b"], set.Ids.ToArray());
        Assert.Equal([8.0, 9, 10, 11], set.Blocks[1].Values.ToArray());
    }

    [Fact]
    public void Read_APandasIndexAndAnIdColumnHoldingTheIdsInOtherRows_IsRefused_AndInTheSameRowsTheIndexIsNoFeature()
    {
        // Given: task features written by pandas from a frame whose index was reversed (30..0 beside ids 0..30), and from a
        // shuffled frame (the index follows its rows)
        var ids = IdList.Implicit(4);
        var reversed = Write("rev.csv", ",row,lr\n3,0,0.1\n2,1,0.2\n1,2,0.3\n0,3,0.4\n");
        var shuffled = Write("shuf.csv", ",row,lr\n2,2,0.3\n0,0,0.1\n3,3,0.4\n1,1,0.2\n");

        // Then
        var e = Assert.Throws<ForgettingDataException>(() => FeatureFile.Read(reversed, ids, "task"));
        Assert.Contains("rev.csv: column 'Unnamed: 0' (a pandas index) and column 'row' both hold every task id, in different rows", e.Message, StringComparison.Ordinal);
        Assert.Contains("FeatureFile.TaskIdColumn = ID", e.Message, StringComparison.Ordinal);
        var set = FeatureFile.Read(shuffled, ids, "task");
        Assert.Equal(["lr"], set.Blocks.SelectMany(b => b.Columns));
        Assert.Equal([0.1, 0.2, 0.3, 0.4], set.Blocks[0].Values.ToArray());
    }

    [Fact]
    public void FromNewValues_ReadsTheNewExamplesAsTheirFilesWould_AndRefusesMisfits()
    {
        // Given: the files of the test above, and the same two new examples given as values by id (a request's field).
        var known = IdList.Implicit(4);
        var files = FeatureFile.ReadNew([Write("examples.csv", "id,loss,source\n0,0.1,web\nb,0.5,code\n1,0.2,web\n2,0.3,code\na,0.7,web\n3,0.4,web\n"),
            WriteNpy("emb.npy", [.. Enumerable.Range(0, 12).Select(i => (float)i)], 6, 2)], known)!;
        FeatureRows Table(params (string Id, string Loss, string Source)[] rows) =>
            new("examples.csv", [.. rows.Select(r => r.Id)], [.. rows.Select(r => (IReadOnlyList<KeyValuePair<string, string>>)[new("loss", r.Loss), new("source", r.Source)])], null);
        var embedding = new FeatureRows("emb.npy", ["a", "b"], null, [[10.0, 11], [8.0, 9]]);

        // When: they are read (the embedding part in another order).
        var values = FeatureFile.FromNewValues([Table(("b", "0.5", "code"), ("a", "0.7", "web")), embedding], known, "newExamples");

        // Then: the same ids, blocks, columns and values as the files (a text column whose rows all differ is kept: few new examples may all differ).
        static string Describe(Core.Features.FeatureSet set) => string.Join("; ", set.Blocks.Select(b => $"{b.Name} {b.Kind} {string.Join(",", b.Columns)}: {string.Join(",", b.Values.ToArray())}"));
        Assert.Equal(files.Ids.ToArray(), values.Ids.ToArray());
        Assert.Equal(Describe(files), Describe(values));

        // And misfits are refused naming the part and the fix.
        Assert.Contains("newExamples.examples.csv: example '2' is already one of the model's 4 examples; list only examples it has never measured",
            Assert.Throws<ForgettingDataException>(() => FeatureFile.FromNewValues([Table(("2", "0.5", "code"))], known, "newExamples")).Message, StringComparison.Ordinal);
        // QA: the service took '2.0' for a new example, where the command line refuses the same id in a file.
        Assert.Contains("newExamples.examples.csv: example id '2.0' is the model's example '2' written as another number, so it would be read as a new example",
            Assert.Throws<ForgettingDataException>(() => FeatureFile.FromNewValues([Table(("2.0", "0.5", "code"))], known, "newExamples")).Message, StringComparison.Ordinal);
        Assert.Contains("newExamples.emb.npy: no row for some new examples of newExamples.examples.csv",
            Assert.Throws<ForgettingDataException>(() => FeatureFile.FromNewValues([Table(("b", "0.5", "code"), ("c", "0.1", "web")), embedding], known, "newExamples")).Message, StringComparison.Ordinal);
        var typo = new FeatureRows("emb.npy", ["a", "b", "zzz-typo"], null, [[10.0, 11], [8.0, 9], [1.0, 2]]);
        Assert.Contains("newExamples.emb.npy: example 'zzz-typo' is not one of the new examples newExamples.examples.csv lists; give it a row there too, or correct the id.",
            Assert.Throws<ForgettingDataException>(() => FeatureFile.FromNewValues([Table(("b", "0.5", "code"), ("a", "0.7", "web")), typo], known, "newExamples")).Message, StringComparison.Ordinal);
        Assert.Contains("the embedding of example 'b' has 1 numbers, the first one's 2; give every example an embedding as wide as the model's",
            Assert.Throws<ForgettingDataException>(() => FeatureFile.FromNewValues([new FeatureRows("emb.npy", ["a", "b"], null, [[1.0, 2], [3.0]])], known, "newExamples")).Message, StringComparison.Ordinal);
        Assert.Contains("example id 'b' is empty or repeated",
            Assert.Throws<ForgettingDataException>(() => FeatureFile.FromNewValues([Table(("b", "0.5", "code"), ("b", "0.1", "web"))], known, "newExamples")).Message, StringComparison.Ordinal);
        Assert.Contains("newExamples: no new examples",
            Assert.Throws<ForgettingDataException>(() => FeatureFile.FromNewValues([], known, "newExamples")).Message, StringComparison.Ordinal);
    }

    // QA: two files named tasks.csv in different folders were refused with "Two feature blocks have the same name ...
    // (Parameter 'blocks')", which no option could act on; a missing row's message ended with "(Parameter 'ids')".
    [Fact]
    public void FilesOfOneNameInTwoFolders_AreRefusedNamingBoth_AndNoParameterNameLeaks()
    {
        var ids = IdList.From(["t1", "t2"]);
        var a = Write("tasks.csv", "task,lr\nt1,0.1\nt2,0.2\n");
        var b = Write("tasks.csv", "task,steps\nt1,10\nt2,20\n");

        foreach (var e in new[]
        {
            Assert.Throws<ForgettingDataException>(() => FeatureFile.ReadAll([a, b], ids)),
            Assert.Throws<ForgettingDataException>(() => FeatureFile.ReadAll([(a, "tasks.csv"), (b, "tasks.csv")], ids)),
            Assert.Throws<ForgettingDataException>(() => FeatureFile.ReadNew([a, b], IdList.From(["t1"]), "task")),
        })
        {
            Assert.Contains("two task feature files are named 'tasks.csv'", e.Message, StringComparison.Ordinal);
            Assert.Contains("the model names each file's columns by its file name, so give them different names", e.Message, StringComparison.Ordinal);
        }

        var renamed = Path.Combine(Path.GetDirectoryName(b)!, "steps.csv");
        File.Move(b, renamed);
        Assert.Equal(2, FeatureFile.ReadAll([a, renamed], ids)!.Blocks.Count);
        var missing = Assert.Throws<ForgettingDataException>(() => FeatureFile.ReadNew([Write("new.csv", "task,lr\nt1,0.1\nt9,0.3\n"), Write("more.csv", "task,steps\nt1,10\n")], IdList.From(["t1"]), "task"));
        Assert.DoesNotContain("(Parameter", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromValuesAndFromEmbedding_ReadOneEntity_AsAOneRowFileWould()
    {
        var csv = FeatureFile.Read(Write("one.csv", "task,family,lr\nnew,web,0.001\n"), IdList.From(["new"]));
        var values = FeatureFile.FromValues("one.csv", [new("family", "web"), new("lr", "0.001")], "new");
        Assert.Equal(csv.Blocks.Select(b => (b.Name, b.Kind, string.Join(",", b.Columns), string.Join(",", b.Values.ToArray()))),
            values.Blocks.Select(b => (b.Name, b.Kind, string.Join(",", b.Columns), string.Join(",", b.Values.ToArray()))));
        var npy = FeatureFile.Read(WriteNpy("e.npy", [1.5f, -2], 1, 2), IdList.From(["new"]));
        var array = FeatureFile.FromEmbedding("e.npy", [1.5, -2], "new");
        Assert.Equal(npy.Blocks[0].Columns, array.Blocks[0].Columns);
        Assert.Equal(npy.Blocks[0].Values.ToArray(), array.Blocks[0].Values.ToArray());

        Assert.Contains("the task's id is not a feature", Assert.Throws<ForgettingDataException>(() => FeatureFile.FromValues("q", [new("id", "x")], "new")).Message, StringComparison.Ordinal);
        Assert.Contains("no feature values", Assert.Throws<ForgettingDataException>(() => FeatureFile.FromValues("q", [], "new")).Message, StringComparison.Ordinal);
        Assert.Contains("is empty", Assert.Throws<ForgettingDataException>(() => FeatureFile.FromEmbedding("q", [], "new")).Message, StringComparison.Ordinal);
    }
}

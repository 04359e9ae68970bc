using System.Security.Cryptography;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests;

[Collection(nameof(AllocationMeasurements))]
public class ModelFileTests
{
    private static readonly ForgettingMatrix s_continuous = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 14, Examples = 300, MissingFraction = 0.02, Seed = 1 }).Matrix;
    private static readonly ForgettingMatrix s_binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 14, Examples = 300, Binary = true, Seed = 1 }).Matrix;

    public static TheoryData<string> Methods() => [.. ModelCatalog.Names];

    [Theory]
    [MemberData(nameof(Methods))]
    public void SaveLoad_RoundTripsPredictionsAndFoldInsExactly(string method)
    {
        var z = ModelCatalog.IsBinaryMethod(method) ? s_binary : s_continuous;
        var model = ModelCatalog.CreateFitter(method).Fit(z);
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(model, path, new Dictionary<string, string> { ["source"] = "unit", ["r2"] = "0.5" });

        var loaded = ModelFile.Load(path);
        Assert.Equal("unit", loaded.Metadata["source"]);
        Assert.Equal(model.Method, loaded.Model.Method);
        Assert.Equal(model.ExampleIds, loaded.Model.ExampleIds);
        Assert.Equal(model.TaskIds, loaded.Model.TaskIds);
        var a = new double[z.ExampleCount];
        var b = new double[z.ExampleCount];
        for (var i = 0; i < z.TaskCount; i++)
        {
            model.PredictRow(i, a);
            loaded.Model.PredictRow(i, b);
            Assert.Equal(a, b);
        }

        var (before, after) = (model.FoldIn([1, 2], [1, 0]), loaded.Model.FoldIn([1, 2], [1, 0]));
        var (meanA, stdA, meanB, stdB) = (new double[z.ExampleCount], new double[z.ExampleCount], new double[z.ExampleCount], new double[z.ExampleCount]);
        before.PredictRow(meanA, stdA);
        after.PredictRow(meanB, stdB);
        Assert.Equal(meanA, meanB);
        Assert.Equal(stdA, stdB);
        int[] group = [.. Enumerable.Range(0, z.ExampleCount).Where(j => j % 5 == 1)];
        Assert.Equal(before.Average(group), after.Average(group));
        if (model is FactorModel factor)
        {
            var restored = (FactorModel)loaded.Model;
            Assert.Equal(factor.ResidualRank, restored.ResidualRank);
            Assert.Equal(factor.ResidualFactors.ToArray(), restored.ResidualFactors.ToArray());
            Assert.Equal(factor.ResidualScales.ToArray(), restored.ResidualScales.ToArray());
            Assert.Equal(factor.ResidualRank > 0, method is "additive" or "rank1" or "mf");
        }
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    // The ensemble's std floor (EnsembleModel.StdFloor) ends its section: it is read back, and where it binds the loaded
    // model's stds are the floor, as the saved one's.
    [Fact]
    public void SaveLoad_EnsembleStdFloor_RoundTrips_AndBindsTheLoadedModelsStds()
    {
        var z = s_continuous;
        var member = new AdditiveFitter().Fit(z);
        var floored = EnsembleModel.Restore([member], ["additive"], [1.0], 1e-6, 0.1, 7.5);
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");

        ModelFile.Save(floored, path);
        var loaded = Assert.IsType<EnsembleModel>(ModelFile.Load(path).Model);

        Assert.Equal(7.5, loaded.StdFloor);
        var (mean, std) = (new double[z.ExampleCount], new double[z.ExampleCount]);
        loaded.FoldIn([1, 2], [1, 0]).PredictRow(mean, std);
        Assert.All(std, s => Assert.Equal(7.5, s));
        Assert.Equal(7.5 * 7.5, loaded.FoldIn([1, 2], [1, 0]).Average([0, 1, 2]).Variance);
    }

    [Theory]
    [InlineData("mf")]
    [InlineData("ensemble")]
    public void SaveLoad_UnmeasuredExamples_RoundTrip_WithTheirWiderIntervals(string method)
    {
        // Given: a matrix whose examples 3 and 150 no task measured
        var values = s_continuous.Values.ToArray();
        for (var i = 0; i < s_continuous.TaskCount; i++)
        {
            values[(i * s_continuous.ExampleCount) + 3] = float.NaN;
            values[(i * s_continuous.ExampleCount) + 150] = float.NaN;
        }

        var z = ForgettingMatrix.Create(values, s_continuous.TaskCount, s_continuous.ExampleCount);
        var model = ModelCatalog.CreateFitter(method).Fit(z);
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");

        // When
        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path).Model;

        // Then: the list survives and a new task's intervals there are the same, and wider than a measured example's
        var factors = model is FactorModel one ? [one] : ((EnsembleModel)model).Members.OfType<FactorModel>().ToArray();
        var restored = loaded is FactorModel two ? [two] : ((EnsembleModel)loaded).Members.OfType<FactorModel>().ToArray();
        Assert.NotEmpty(factors);
        Assert.All(factors.Zip(restored), pair => Assert.Equal([3, 150], pair.Second.UnmeasuredExamples));
        var (mean, std, meanLoaded, stdLoaded) = (new double[z.ExampleCount], new double[z.ExampleCount], new double[z.ExampleCount], new double[z.ExampleCount]);
        model.FoldIn([1, 2], [0.02, 0.01]).PredictRow(mean, std);
        loaded.FoldIn([1, 2], [0.02, 0.01]).PredictRow(meanLoaded, stdLoaded);
        Assert.Equal(mean, meanLoaded);
        Assert.Equal(std, stdLoaded);
        Assert.True(std[3] > std.Where((_, j) => j is not 3 and not 150).Average());

        // A spread given by an example feature model (their parameters' leave-one-out error) is kept too.
        var factor = factors[0];
        var q = (factor.HasExampleBias ? 1 : 0) + factor.Rank;
        var spread = new double[q * q];
        for (var k = 0; k < q; k++)
        {
            spread[(k * q) + k] = 0.001 * (k + 1);
        }

        var given = FactorModel.Create(factor.ToParameters() with { UnmeasuredSpread = spread });
        var givenPath = Path.Combine(RepoPaths.NewTempFolder(), "given.fpm");
        ModelFile.Save(given, givenPath);
        var givenLoaded = (FactorModel)ModelFile.Load(givenPath).Model;
        Assert.Equal(spread, givenLoaded.ToParameters().UnmeasuredSpread);
        Assert.Equal(given.FoldIn([1, 2], [0.02, 0.01]).PredictRow(), givenLoaded.FoldIn([1, 2], [0.02, 0.01]).PredictRow());
        var (givenStd, loadedStd) = (new double[z.ExampleCount], new double[z.ExampleCount]);
        given.FoldIn([1, 2], [0.02, 0.01]).PredictRow(new double[z.ExampleCount], givenStd);
        givenLoaded.FoldIn([1, 2], [0.02, 0.01]).PredictRow(new double[z.ExampleCount], loadedStd);
        Assert.Equal(givenStd, loadedStd);
        Assert.NotEqual(std[3], givenStd[3]);
    }

    [Fact]
    public void SaveLoad_ExampleParameterShares_RoundTrip_AndAModelWithoutThemHasNarrowerIntervals()
    {
        // Given: an mf fit, whose examples carry their parameters' share of a new task's variance
        var model = (FactorModel)new LowRankFitter().Fit(s_continuous);
        Assert.Equal(s_continuous.ExampleCount, model.ExampleParameterShare.Length);
        var without = FactorModel.Create(model.ToParameters() with { ExampleParameterShare = [] });
        var folder = RepoPaths.NewTempFolder();
        var (path, oldPath) = (Path.Combine(folder, "m.fpm"), Path.Combine(folder, "old.fpm"));

        // When: saved with them, and without (N floats shorter)
        ModelFile.Save(model, path);
        ModelFile.Save(without, oldPath);

        // Then: the shares and the shrinkage survive bit for bit, and the file without shares loads with none and narrower intervals
        Assert.Equal(new FileInfo(oldPath).Length + (4L * s_continuous.ExampleCount), new FileInfo(path).Length);
        var loaded = (FactorModel)ModelFile.Load(path).Model;
        Assert.Equal(model.ExampleParameterShare.ToArray(), loaded.ExampleParameterShare.ToArray());
        Assert.InRange(model.ResidualShrinkage, 0, 1);
        Assert.Equal(model.ResidualShrinkage, loaded.ResidualShrinkage);
        ModelAssert.SameNewTask(model, loaded, [0, 7, 50, 120, 299], [0.02, 0.01, 0.04, 0.03, 0.025]);
        var old = (FactorModel)ModelFile.Load(oldPath).Model;
        Assert.Equal(0, old.ExampleParameterShare.Length);
        var (mean, std, oldMean, oldStd) = (new double[s_continuous.ExampleCount], new double[s_continuous.ExampleCount], new double[s_continuous.ExampleCount], new double[s_continuous.ExampleCount]);
        loaded.FoldIn([1, 2], [0.02, 0.01]).PredictRow(mean, std);
        old.FoldIn([1, 2], [0.02, 0.01]).PredictRow(oldMean, oldStd);
        Assert.Equal(mean, oldMean);
        Assert.All(Enumerable.Range(0, s_continuous.ExampleCount), j => Assert.True(std[j] > oldStd[j]));
    }

    [Fact]
    public void SaveLoad_ResidualCrossWeights_RoundTrip_AndAModelWithoutThemKeepsThePreviousFormat()
    {
        // Given: an additive fit of a matrix with a third of its cells missing (its directions' products between examples weighted
        // up), and the same model without the weights, as a complete matrix's
        var values = s_continuous.Values.ToArray();
        var random = new Random(3);
        for (var cell = 0; cell < values.Length; cell++)
        {
            values[cell] = random.NextDouble() < 1.0 / 3 ? float.NaN : values[cell];
        }

        var model = (FactorModel)new AdditiveFitter().Fit(ForgettingMatrix.Wrap(values, s_continuous.TaskCount, s_continuous.ExampleCount));
        var median = Enumerable.Range(0, s_continuous.ExampleCount).Select(model.ResidualCrossWeight).Order().ElementAt(s_continuous.ExampleCount / 2);
        Assert.InRange(median * median, 1.3, 1.7);
        var complete = FactorModel.Create(model.ToParameters() with { ResidualCrossMissing = [] });
        var folder = RepoPaths.NewTempFolder();
        var (path, completePath) = (Path.Combine(folder, "m.fpm"), Path.Combine(folder, "complete.fpm"));

        // When: both are saved and loaded
        ModelFile.Save(model, path);
        ModelFile.Save(complete, completePath);
        var loaded = (FactorModel)ModelFile.Load(path).Model;

        // Then: the weights survive bit for bit, and with them a group's variance; without weights nothing is written (the second
        // flags word, the count, the tasks, the factor and a byte an example), so such files are those of the previous release
        Assert.Equal(model.ResidualCrossMissing.ToArray(), loaded.ResidualCrossMissing.ToArray());
        Assert.Equal((model.ResidualCrossTasks, model.ResidualCrossFactor), (loaded.ResidualCrossTasks, loaded.ResidualCrossFactor));
        int[] group = [.. Enumerable.Range(0, 120)];
        Assert.Equal(model.FoldIn([1, 2], [0.02, 0.01]).Average(group), loaded.FoldIn([1, 2], [0.02, 0.01]).Average(group));
        Assert.Equal(new FileInfo(completePath).Length + 20 + s_continuous.ExampleCount, new FileInfo(path).Length);
        Assert.Equal(0, ((FactorModel)ModelFile.Load(completePath).Model).ResidualCrossMissing.Length);
    }

    // The checksum covers the payload, not the header: a flipped bit in the version field had been told to refit the model.
    [Fact]
    public void Read_AnUnknownVersion_SaysItMayBeNewerOrDamaged_AndANullMetadataValueIsNamed()
    {
        var model = ModelCatalog.CreateFitter("additive").Fit(s_continuous);
        var bytes = new MemoryStream();
        ModelFile.Write(model, bytes);
        var file = bytes.ToArray();
        file[8] ^= 0x40;
        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(new MemoryStream(file), "m.fpm"));
        Assert.Contains("model format version 65 is not supported by this build, which reads version 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("newer release", e.Message, StringComparison.Ordinal);
        Assert.Contains("its header is damaged (copy the file again)", e.Message, StringComparison.Ordinal);
        file[8] = 0;
        Assert.Contains("older release", Assert.Throws<ForgettingDataException>(() => ModelFile.Read(new MemoryStream(file), "m.fpm")).Message, StringComparison.Ordinal);

        var folder = RepoPaths.NewTempFolder();
        var path = Path.Combine(folder, "m.fpm");
        var noted = Assert.Throws<ArgumentException>(() => ModelFile.Save(model, path, new Dictionary<string, string> { ["note"] = null! }));
        Assert.Contains("Model metadata 'note' has no value (null)", noted.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(folder));
        Assert.Throws<ArgumentException>(() => ModelFile.Write(model, new MemoryStream(), new Dictionary<string, string> { ["note"] = null! }));
        Directory.Delete(folder, recursive: true);
    }

    // Every example alike (each task's row one value repeated): the baseline's residuals are rounding, whose correlations
    // came out as -1.055, and the model fit saved could not be loaded ("similarities are numbers in [-1, 1]").
    [Fact]
    public void Knn_OfAMatrixWhoseExamplesAreAllAlike_SavesAModelThatLoads()
    {
        var rng = new Random(1);
        var column = Enumerable.Range(0, 30).Select(_ => (float)Math.Abs((rng.NextDouble() * 0.3) + 0.05)).ToArray();
        var values = new float[30 * 100];
        for (var i = 0; i < 30; i++)
        {
            values.AsSpan(i * 100, 100).Fill(column[i]);
        }

        var model = (KnnModel)ModelCatalog.CreateFitter("knn").Fit(ForgettingMatrix.Create(values, 30, 100));
        foreach (var similarity in model.Similarity)
        {
            Assert.InRange(similarity, -1, 1);
        }

        var bytes = new MemoryStream();
        ModelFile.Write(model, bytes);
        var loaded = ModelFile.Read(new MemoryStream(bytes.ToArray()), "m.fpm").Model;
        Assert.Equal(model.FoldIn([3], [0.2]).PredictRow(), loaded.FoldIn([3], [0.2]).PredictRow());
    }

    [Fact]
    public void Load_AFileOfThePreviousVersion_PredictsAsItDid()
    {
        // Given: an mf model file written by the release before the example uncertainty (commit eb4f811; charlm-b's first 12
        // tasks x 300 examples, one of them unmeasured), the cells it was asked about and what it answered (its predict --out)
        var model = (FactorModel)ModelFile.Load(Fixture("mf-eb4f811.fpm")).Model;

        // When: the cells it was asked about are folded in
        // Then: no shares, no shrinkage, and every mean and std as that release gave them, to the bit
        Assert.Equal(0, model.ExampleParameterShare.Length);
        Assert.Equal(0, model.ResidualShrinkage);
        Assert.Equal([7], model.UnmeasuredExamples);
        AssertAnswersAsTheFixture(model, "mf-eb4f811");
    }

    [Fact]
    public void Load_AnEnsembleFileOfTheReleaseBeforeTheStdFloor_PredictsAsItDid()
    {
        // Given: an ensemble model file written by the release before the std floor (commit d17244c: fit --method ensemble on
        // charlm-b's first 12 tasks x 300 examples), whose ensemble section ends after its members, the cells of task 12 it
        // was asked about and what it answered (its predict --out)
        var model = Assert.IsType<EnsembleModel>(ModelFile.Load(Fixture("ensemble-d17244c.fpm")).Model);

        // When: the cells it was asked about are folded in
        // Then: it reads with no floor, and every mean and std is as that release gave them, to the bit
        Assert.Equal(0, model.StdFloor);
        AssertAnswersAsTheFixture(model, "ensemble-d17244c");
    }

    [Theory]
    [InlineData("mf-eb4f811")]
    [InlineData("ensemble-d17244c")]
    public void Copy_AFileOfAnEarlierRelease_WritesItInThisVersionsFormat_WhichAnswersAsItDid(string fixture)
    {
        // Given: a model file of an earlier release, and a folder
        var folder = RepoPaths.NewTempFolder();
        var copy = Path.Combine(folder, "m.fpm");

        // When: it is copied, and the copy copied again
        ModelFile.Copy(Fixture(fixture + ".fpm"), copy);
        ModelFile.Copy(copy, Path.Combine(folder, "again.fpm"));

        // Then: the copy answers the earlier release's questions as that release did, it is in this version's format (a copy of
        // it is the same bytes: Save(Load(file)) reproduces a current file), and no temporary file is left
        AssertAnswersAsTheFixture(ModelFile.Load(copy).Model, fixture);
        Assert.Equal(File.ReadAllBytes(copy), File.ReadAllBytes(Path.Combine(folder, "again.fpm")));
        Assert.Equal(["again.fpm", "m.fpm"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Copy_ToADataFormatsName_IsRefusedBeforeTheSourceIsRead()
    {
        // Given: a folder, and a source that does not exist
        var folder = RepoPaths.NewTempFolder();

        // When: a copy is named as a CSV file
        var refused = Assert.Throws<ForgettingDataException>(() => ModelFile.Copy(Path.Combine(folder, "missing.fpm"), Path.Combine(folder, "m.csv")));

        // Then: the name is what is refused (with the name to use), and nothing is written
        Assert.Contains($"name it with .fpm ({Path.Combine(folder, "m.fpm")})", refused.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void StartsAsModel_ReadsTheHeaderOnly()
    {
        // Given: a model file under another name, a matrix, an empty file and a folder
        var folder = RepoPaths.NewTempFolder();
        var renamed = Path.Combine(folder, "model.bin");
        File.Copy(Fixture("mf-eb4f811.fpm"), renamed);
        var matrix = Path.Combine(folder, "z.csv");
        File.WriteAllText(matrix, "task,a\nt0,1\n");
        var empty = Path.Combine(folder, "empty.fpm");
        File.WriteAllBytes(empty, []);

        // Then: only the model file starts as one
        Assert.True(ModelFile.StartsAsModel(renamed));
        Assert.False(ModelFile.StartsAsModel(matrix));
        Assert.False(ModelFile.StartsAsModel(empty));
        Assert.False(ModelFile.StartsAsModel(folder));
        Assert.False(ModelFile.StartsAsModel(Path.Combine(folder, "missing.fpm")));
    }

    // QA: a model file given where a table is read (predict --observed past.fpm) had been called "probably Latin-1 or
    // Windows-1252. Re-save it as UTF-8".
    [Fact]
    public void AModelFileReadAsATable_IsSaidToBeAModelFile()
    {
        var model = Path.Combine(RepoPaths.NewTempFolder(), "past.csv");
        File.Copy(Fixture("mf-eb4f811.fpm"), model);

        var e = Assert.Throws<ForgettingDataException>(() => MetadataTable.Read(model));

        Assert.StartsWith("is a ForgetPredict model file (it starts with 'FPMODEL', as fit writes them), not text", e.Detail, StringComparison.Ordinal);
    }

    // A model file of an earlier release kept in Fixtures/, with the cells it was asked about (NAME-cells.csv: example, value)
    // and what that release answered (NAME-predict.csv: example, mean, std, its predict --out).
    private static string Fixture(string name) => Path.Combine(RepoPaths.Root, "tests", "ForgetPredict.Data.Tests", "Fixtures", name);

    // Folds in the fixture's cells and checks every mean and std is as the release gave them, to the bit.
    private static void AssertAnswersAsTheFixture(IForgettingModel model, string fixture)
    {
        static double[][] Rows(string path) => [.. File.ReadLines(path).Skip(1).Select(l => l.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray())];
        var cells = Rows(Fixture(fixture + "-cells.csv"));
        var answered = Rows(Fixture(fixture + "-predict.csv"));
        var (mean, std) = (new double[model.ExampleCount], new double[model.ExampleCount]);
        model.FoldIn([.. cells.Select(c => (int)c[0])], [.. cells.Select(c => c[1])]).PredictRow(mean, std);
        Assert.Equal(answered.Select(a => a[1]), mean);
        Assert.Equal(answered.Select(a => a[2]), std);
    }

    [Fact]
    public void Save_FactorModel_SizesItsBufferOnce()
    {
        // Given: an mf model of 20,000 examples with named ids, its residual directions and its examples' parameter shares
        var values = new float[12 * 20_000];
        var random = new Random(4);
        for (var c = 0; c < values.Length; c++)
        {
            values[c] = (float)random.NextDouble();
        }

        var z = ForgettingMatrix.Create(values, 12, 20_000, exampleIds: Enumerable.Range(0, 20_000).Select(j => $"chunk-{j}"));
        var model = new LowRankFitter(new LowRankOptions { Rank = 3 }).Fit(z);
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(model, path);

        // When: saved again
        var before = GC.GetTotalAllocatedBytes(precise: true);
        ModelFile.Save(model, path);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        // Then: the payload's buffer was sized from the model, not grown by doubling (2.8x the file's size allocated when the
        // estimate left out the ids and shares; 1.6x now, the rest the writer's and checksum's own buffers)
        var size = new FileInfo(path).Length;
        Assert.True(allocated < 2 * size, $"saving a {size / 1e6:F2} MB model allocated {allocated / 1e6:F2} MB");
    }

    [Fact]
    public void SaveLoad_KnnInterpolationPrior_RoundTrips_AndPlainKnnFilesKeepTheirFormat()
    {
        var plain = new KnnFitter().FitKnn(s_continuous);
        var interpolated = plain.WithInterpolationPrior(3);
        var folder = RepoPaths.NewTempFolder();
        var (plainPath, path) = (Path.Combine(folder, "plain.fpm"), Path.Combine(folder, "interpolated.fpm"));
        ModelFile.Save(plain, plainPath);
        ModelFile.Save(interpolated, path);

        // The prior is an optional trailing double of the KNN section: plain files are as before, 8 bytes shorter.
        Assert.Equal(new FileInfo(plainPath).Length + 8, new FileInfo(path).Length);
        Assert.Equal(0, ((KnnModel)ModelFile.Load(plainPath).Model).Options.InterpolationPrior);
        var loaded = (KnnModel)ModelFile.Load(path).Model;
        Assert.Equal(3, loaded.Options.InterpolationPrior);
        ModelAssert.SameNewTask(interpolated, loaded, [0, 7, 50, 120, 299], [0.2, 0.1, 0.4, 0.3, 0.25]);
    }

    [Fact]
    public void Save_SameModelTwice_GivesIdenticalBytes()
    {
        var dir = RepoPaths.NewTempFolder();
        var model = new LowRankFitter().Fit(s_continuous);
        ModelFile.Save(new LowRankFitter().Fit(s_continuous), Path.Combine(dir, "a.fpm"));
        ModelFile.Save(model, Path.Combine(dir, "b.fpm"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "a.fpm")), File.ReadAllBytes(Path.Combine(dir, "b.fpm")));
    }

    [Fact]
    public void Load_FlippedByte_FailsTheChecksum()
    {
        var path = SavedAdditive();
        var bytes = File.ReadAllBytes(path);
        bytes[100] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Load(path));
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Truncated_IsRefused()
    {
        var path = SavedAdditive();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^40]);
        // (QA: this refusal alone gave no fix)
        Assert.EndsWith("the model file is truncated or has trailing bytes (payload length does not match the file size). Refit or copy the file again.", Assert.Throws<ForgettingDataException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, [.. bytes, 0]);
        Assert.EndsWith("(payload length does not match the file size). Refit or copy the file again.", Assert.Throws<ForgettingDataException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);

        // Cut inside its header, it is still a model file cut short, not "no FPMODEL header".
        File.WriteAllBytes(path, bytes[..12]);
        Assert.EndsWith("the model file is cut short (12 bytes: its header alone is 20); copy it again, or refit it.", Assert.Throws<ForgettingDataException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);

        // A folder is named as one.
        var folder = Path.Combine(Path.GetDirectoryName(path)!, "folder.fpm");
        Directory.CreateDirectory(folder);
        Assert.Equal($"{folder}: is a folder, not a model file; name the .fpm file in it.", Assert.Throws<ForgettingDataException>(() => ModelFile.Load(folder)).Message);
    }

    [Fact]
    public void Load_NotAModel_SaysHowToMakeOne()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "x.fpm");
        File.WriteAllText(path, "hello, this is not a model file at all");
        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Load(path));
        Assert.EndsWith("Create one with ModelFile.Save.", e.Message, StringComparison.Ordinal);
        Assert.Equal(DataOptionNames.SaveModel, Assert.Single(e.Options).Name);
    }

    [Fact]
    public void Load_NewerVersion_IsRefusedByVersion()
    {
        var path = SavedAdditive();
        var bytes = File.ReadAllBytes(path);
        bytes[8] = 9;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("version 9", Assert.Throws<ForgettingDataException>(() => ModelFile.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ValidChecksumButImpossibleShape_IsRefusedWithoutAllocating()
    {
        // A payload with a correct checksum whose factor section claims 1,000,000 x 1,000,000 doubles.
        var file = CraftedFactorFile(b =>
        {
            b.Write((int)ModelMethod.LowRank);
            b.Write(1_000_000);
            b.Write(1_000_000);
            b.Write(8);
            b.Write((byte)3);
            b.Write(0.0);
            b.Write(0.0);
            b.Write(0.0);
            b.Write(0.0);
            b.Write(true);
            b.Write(true);
        });
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(file, "crafted.fpm"));
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 10_000_000);
        Assert.Contains("do not fit", e.Message, StringComparison.Ordinal);
        Assert.EndsWith(". Refit or copy the file again.", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1u, null)]
    [InlineData(3u, "unknown model flags 3 in the second flags word; the file was written by a newer version")]
    [InlineData(2u, "unknown model flags 2 in the second flags word; the file was written by a newer version")]
    public void Load_SecondFlagsWord_ReadsTheCrossWeights_AndRefusesAFlagItDoesNotKnowAsNewer(uint more, string? refusal)
    {
        // A well-formed 1 x 1 additive file (correct checksum) whose factor section sets flag 128: a second flags word follows.
        var file = CraftedFactorFile(b =>
        {
            b.Write((int)ModelMethod.Additive);
            b.Write(1);
            b.Write(1);
            b.Write(0);
            b.Write((byte)(3 | 128));
            b.Write(0.5); // mu, noise, task-bias penalty, task-factor penalty
            b.Write(0.25);
            b.Write(1.0);
            b.Write(1.0);
            b.Write(true); // implicit ids
            b.Write(true);
            b.Write(0.1); // a, b
            b.Write(-0.1);
            b.Write(3); // fit report
            b.Write(true);
            b.Write(0.0);
            b.Write(0.25);
            b.Write(more);
            b.Write(1); // one example's count, over 4 tasks, factor 3
            b.Write(4);
            b.Write(3.0);
            b.Write((byte)2);
        });
        if (refusal is null)
        {
            var model = Assert.IsType<FactorModel>(ModelFile.Read(file, "cross.fpm").Model);
            Assert.Equal(1.5, model.ResidualCrossWeight(0));
            return;
        }

        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(file, "newer.fpm"));
        Assert.Contains(refusal, e.Message, StringComparison.Ordinal);
        Assert.EndsWith("newer version. Load it with the release that wrote it, or refit the model with this one.", e.Message, StringComparison.Ordinal);
    }

    // A model with a non-finite bias and a recomputed checksum was reported as "... contain a non-finite value. (Parameter
    // 'parameters')." in the CLI and the service's 500: the library's sentence is said, never the .NET parameter name.
    [Fact]
    public void Load_ModelWithANonFiniteValue_SaysWhyWithoutTheParameterSuffix()
    {
        var model = (FactorModel)new AdditiveFitter().Fit(s_continuous);
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(model, path);
        var bytes = File.ReadAllBytes(path);
        var bias = BitConverter.GetBytes(model.TaskBiases[3]);
        var at = bytes.AsSpan(20, bytes.Length - 52).IndexOf(bias) + 20;
        Assert.True(at >= 20, "the bias is in the file");
        BitConverter.GetBytes(double.NaN).CopyTo(bytes, at);
        SHA256.HashData(bytes.AsSpan(20, bytes.Length - 52)).CopyTo(bytes, bytes.Length - 32);
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Load(path));
        Assert.Contains("non-finite", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("..", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadChecksum_IsTheRecordedSha256OfThePayload_OrNullForAFileThatIsNoModel()
    {
        var folder = RepoPaths.NewTempFolder();
        var path = Path.Combine(folder, "m.fpm");
        ModelFile.Save(new AdditiveFitter().Fit(s_continuous), path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(20, bytes.Length - 52))), ModelFile.ReadChecksum(path));

        File.WriteAllText(Path.Combine(folder, "short.fpm"), "not a model");
        Assert.Null(ModelFile.ReadChecksum(Path.Combine(folder, "short.fpm")));
        Assert.Null(ModelFile.ReadChecksum(Path.Combine(folder, "missing.fpm")));
    }

    // A KNN file with a valid checksum whose additive baseline has example biases but no task biases: it loaded, and the first
    // fold-in threw IndexOutOfRange. It is refused at load, as every inconsistent file is.
    [Fact]
    public void Load_KnnWhoseBaselineHasNoTaskBiases_IsRefusedAtLoad()
    {
        // Given: 3 tasks x 4 examples, 2 neighbours, Pearson similarity, a baseline with flags 2 (example biases only).
        var file = CraftedFile(3, b =>
        {
            b.Write(2);
            b.Write((int)KnnSimilarity.PearsonBaseline);
            b.Write(100.0);
            b.Write(2.0);
            b.Write((int)ModelMethod.Additive);
            b.Write(3);
            b.Write(4);
            b.Write(0);
            b.Write((byte)2);
            foreach (var value in new[] { 0.1, 0.01, 1.0, 0.0, 0.01, -0.02, 0.03, 0.0 })
            {
                b.Write(value); // mu, noise, penalties, then b[4]
            }

            b.Write(true);
            b.Write(true);
            b.Write(1);
            b.Write(true);
            b.Write(0.0);
            b.Write(0.01);
            for (var cell = 0; cell < 12; cell++)
            {
                b.Write(0.1f + (0.01f * cell));
            }

            for (var pair = 0; pair < 9; pair++)
            {
                b.Write(pair % 4 == 0 ? 1.0 : 0.5);
            }
        });

        // When
        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(file, "knn.fpm"));

        // Then
        Assert.Contains("additive model with task and example biases", e.Message, StringComparison.Ordinal);
        Assert.Contains("without task biases", e.Message, StringComparison.Ordinal);
    }

    // Four of 9,000 mutated files with recomputed checksums loaded and predicted infinities: finite values too large to
    // compute with (an example factor of 1e200, whose square overflows a variance) are refused at load.
    [Fact]
    public void Load_AFiniteButHugeExampleFactor_IsRefusedAtLoad()
    {
        var model = (FactorModel)new LowRankFitter(new LowRankOptions { Rank = 2 }).Fit(s_continuous);
        using var stream = new MemoryStream();
        ModelFile.Write(model, stream);
        var bytes = stream.ToArray();
        var at = bytes.AsSpan(20, bytes.Length - 52).IndexOf(BitConverter.GetBytes(model.ExampleFactors[5])) + 20;
        Assert.True(at >= 20, "the factor is in the file");
        BitConverter.GetBytes(1e200).CopyTo(bytes, at);
        SHA256.HashData(bytes.AsSpan(20, bytes.Length - 52)).CopyTo(bytes, bytes.Length - 32);

        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(bytes, "m.fpm"));

        Assert.Contains("too large to predict with", e.Message, StringComparison.Ordinal);
        Assert.Contains("example factor 1E+200", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadStream_SeekableOrForwardOnly_GivesTheModelLoadGives_AndLeavesTheStreamOpen()
    {
        // Given: a model written to a stream, as Write(Stream) writes it, behind 3 bytes that are not the model's.
        var model = new LowRankFitter(new LowRankOptions { Rank = 2 }).Fit(s_continuous);
        var bytes = new MemoryStream();
        bytes.Write([1, 2, 3]);
        ModelFile.Write(model, bytes, new Dictionary<string, string> { ["source"] = "stream" });
        var file = bytes.ToArray();

        // When: read from its position through a seekable stream, and once through a stream that cannot seek.
        using var seekable = new MemoryStream(file) { Position = 3 };
        var fromSeekable = ModelFile.Read(seekable, "m.fpm");
        using var forward = new Formats.ForwardOnlyStream(new MemoryStream(file[3..]));
        var fromForward = ModelFile.Read(forward, "m.fpm");

        // Then
        foreach (var loaded in new[] { fromSeekable, fromForward })
        {
            Assert.Equal("stream", loaded.Metadata["source"]);
            Assert.Equal(model.FoldIn([1, 2], [0.1, 0.2]).PredictRow(), loaded.Model.FoldIn([1, 2], [0.1, 0.2]).PredictRow());
        }

        Assert.Equal(file.Length, seekable.Position);
        Assert.True(seekable.CanRead, "the stream is left open");
    }

    [Fact]
    public void ReadStream_ShortLongOrForeignBytes_GetTheSameErrorsAsTheOtherReaders()
    {
        // Given: a valid file, then the same cut short, with its header alone, and a file that is no model. (A trailing byte is
        // refused in a file, but a stream holds one model followed by whatever the caller wrote next: see
        // ReadStream_TwoModelsBackToBack_AreReadOneAtATime_LeavingTheStreamJustAfterEach.)
        var model = new AdditiveFitter().Fit(s_continuous);
        using var buffer = new MemoryStream();
        ModelFile.Write(model, buffer);
        var file = buffer.ToArray();
        byte[][] damaged = [file[..^10], file[..20], file[..12], "not a model file at all"u8.ToArray(), [.. file[..8], .. BitConverter.GetBytes(9u), .. file[12..]]];

        foreach (var bytes in damaged)
        {
            // When
            var expected = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(bytes, "m.fpm")).Message;
            var seekable = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(new MemoryStream(bytes), "m.fpm")).Message;
            var forward = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(new Formats.ForwardOnlyStream(new MemoryStream(bytes)), "m.fpm")).Message;

            // Then
            Assert.Equal(expected, seekable);
            Assert.Equal(expected, forward);
        }
    }

    // Read(stream) read to the stream's end: two models written back to back could not be read one at a time (the first read
    // refused the pair as trailing bytes), and a model inside a larger stream over-read what followed it.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadStream_TwoModelsBackToBack_AreReadOneAtATime_LeavingTheStreamJustAfterEach(bool seekable)
    {
        // Given: two different models (additive; mf of rank 2 with metadata) written back to back into one stream.
        var first = new AdditiveFitter().Fit(s_continuous);
        var second = new LowRankFitter(new LowRankOptions { Rank = 2 }).Fit(s_continuous);
        var firstBytes = Written(first, null);
        var secondBytes = Written(second, new Dictionary<string, string> { ["name"] = "second" });
        var bytes = new MemoryStream();
        bytes.Write(firstBytes);
        bytes.Write(secondBytes);
        using var stream = seekable ? new MemoryStream(bytes.ToArray()) : (Stream)new Formats.ForwardOnlyStream(new MemoryStream(bytes.ToArray()));

        // When: read one at a time
        var readFirst = ModelFile.Read(stream, "pair.fpm");
        var after = seekable ? stream.Position : -1;
        var readSecond = ModelFile.Read(stream, "pair.fpm");

        // Then: each is the model written (it writes back to the same bytes, and predicts the same), and the stream was left just
        // after the first, then at its end.
        Assert.Equal(firstBytes, Written(readFirst.Model, readFirst.Metadata));
        Assert.Equal(secondBytes, Written(readSecond.Model, readSecond.Metadata));
        Assert.Equal(ModelMethod.Additive, readFirst.Model.Method);
        Assert.Equal(ModelMethod.LowRank, readSecond.Model.Method);
        Assert.Equal("second", readSecond.Metadata["name"]);
        Assert.Equal(second.FoldIn([1, 2], [0.1, 0.2]).PredictRow(), readSecond.Model.FoldIn([1, 2], [0.1, 0.2]).PredictRow());
        if (seekable)
        {
            Assert.Equal(firstBytes.Length, after);
            Assert.Equal(stream.Length, stream.Position);
        }

        Assert.Equal(-1, stream.ReadByte());
    }

    [Fact]
    public void ReadStream_AModelFollowedByOtherData_LeavesThatDataUnread_WhileAFileWithTrailingBytesIsStillRefused()
    {
        // Given: a model followed by the next message of a protocol, through a stream that cannot seek.
        var model = new AdditiveFitter().Fit(s_continuous);
        var file = Written(model, null);
        using var stream = new Formats.ForwardOnlyStream(new MemoryStream([.. file, .. "NEXT"u8]));

        // When
        var loaded = ModelFile.Read(stream, "m.fpm");
        var rest = new byte[8];
        var restLength = stream.ReadAtLeast(rest, rest.Length, throwOnEndOfStream: false);

        // Then: the model is read, the following bytes are not; the same bytes as a whole file are refused.
        Assert.Equal(file, Written(loaded.Model, loaded.Metadata));
        Assert.Equal("NEXT"u8.ToArray(), rest[..restLength]);
        Assert.Contains("trailing bytes", Assert.Throws<ForgettingDataException>(() => ModelFile.Read([.. file, .. "NEXT"u8], "m.fpm")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadStream_ASecondModelCutShort_IsRefusedAsTruncated_AfterTheFirstIsRead(bool seekable)
    {
        // Given: two models back to back, the second cut 100 bytes short (a transfer that broke off).
        var model = new AdditiveFitter().Fit(s_continuous);
        var file = Written(model, null);
        byte[] bytes = [.. file, .. file[..^100]];
        using var stream = seekable ? new MemoryStream(bytes) : (Stream)new Formats.ForwardOnlyStream(new MemoryStream(bytes));

        // When
        ModelFile.Read(stream, "pair.fpm");
        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(stream, "pair.fpm"));

        // Then: the message a truncated file gets.
        Assert.Equal(Assert.Throws<ForgettingDataException>(() => ModelFile.Read(file.AsSpan(..^100), "pair.fpm")).Message, e.Message);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Written(IForgettingModel model, IReadOnlyDictionary<string, string>? metadata)
    {
        using var stream = new MemoryStream();
        ModelFile.Write(model, stream, metadata);
        return stream.ToArray();
    }

    [Fact]
    public void ReadStream_AHeaderClaimingAGigabyte_AllocatesOnlyWhatTheStreamHolds()
    {
        // Given: a 1 KB stream that cannot seek, whose header claims a payload of 1.5 GB.
        var bytes = new byte[1024];
        "FPMODEL\0"u8.CopyTo(bytes);
        BitConverter.GetBytes(1u).CopyTo(bytes, 8);
        BitConverter.GetBytes(1_500_000_000L).CopyTo(bytes, 12);

        // When
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(new Formats.ForwardOnlyStream(new MemoryStream(bytes)), "claims.fpm"));

        // Then
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000, "the claimed length is not allocated");
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadStream_AHeaderClaimingNearlyLongMaxValue_IsRefusedAsTheOtherReadersRefuseIt_NotWithAnOverflow(bool seekable)
    {
        // Given: a header whose payload length is long.MaxValue - 10, so header + payload + checksum wraps negative.
        var bytes = new byte[1024];
        "FPMODEL\0"u8.CopyTo(bytes);
        BitConverter.GetBytes(1u).CopyTo(bytes, 8);
        BitConverter.GetBytes(long.MaxValue - 10).CopyTo(bytes, 12);
        using var stream = seekable ? new MemoryStream(bytes) : (Stream)new Formats.ForwardOnlyStream(new MemoryStream(bytes));

        // When
        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(stream, "forged.fpm"));

        // Then: the message the byte reader gives the same bytes.
        Assert.Equal(Assert.Throws<ForgettingDataException>(() => ModelFile.Read(bytes, "forged.fpm")).Message, e.Message);
    }

    [Fact]
    public void ReadStream_AFailingOrUnreadableStream_IsNamedNotThrownRaw()
    {
        var failing = new FailingStream();

        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Read(failing, "net.fpm"));

        Assert.StartsWith("net.fpm: cannot read the model file: connection reset", e.Message, StringComparison.Ordinal);
        Assert.Equal("stream", Assert.Throws<ArgumentException>(() => ModelFile.Read(new WriteOnly(), "x")).ParamName);
    }

    private sealed class FailingStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("connection reset");

        public override int Read(Span<byte> buffer) => throw new IOException("connection reset");
    }

    private sealed class WriteOnly : MemoryStream
    {
        public override bool CanRead => false;
    }

    // A model file (header, one FACTOR section written by `factor`, correct SHA-256) for decoder tests.
    private static byte[] CraftedFactorFile(Action<BinaryWriter> factor) => CraftedFile(2, factor);

    // A model file with one section of tag `tag` whose body `factor` writes, and a correct SHA-256.
    private static byte[] CraftedFile(uint tag, Action<BinaryWriter> factor)
    {
        var body = new MemoryStream();
        using (var b = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            factor(b);
        }

        var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(tag);
            w.Write(body.Length);
            w.Write(body.ToArray());
        }

        var bytes = payload.ToArray();
        var file = new MemoryStream();
        file.Write("FPMODEL\0"u8);
        file.Write(BitConverter.GetBytes(1u));
        file.Write(BitConverter.GetBytes((long)bytes.Length));
        file.Write(bytes);
        file.Write(SHA256.HashData(bytes));
        return file.ToArray();
    }

    [Fact]
    public void Save_IntoMissingFolder_FailsClearlyAndWritesNothing()
    {
        var e = Assert.Throws<ForgettingDataException>(() => ModelFile.Save(new AdditiveFitter().Fit(s_continuous), "/no/such/folder/m.fpm"));
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AtomicWrite_FailureMidway_LeavesTheOldFileAndNoTemporary()
    {
        var dir = RepoPaths.NewTempFolder();
        var path = Path.Combine(dir, "out.txt");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("partial"u8);
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir));
    }

    private static string SavedAdditive()
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(new AdditiveFitter().Fit(s_continuous), path);
        return path;
    }
}

public class ModelFileSummaryTests
{
    [Fact]
    public void SaveLoad_WithSummary_RoundTripsTheHeatmapData()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 9, Examples = 500, Seed = 2 }).Matrix;
        var model = new LowRankFitter().Fit(z);
        var summary = Core.Analysis.MatrixSummary.ForModel(z, model, 64);
        var path = Path.Combine(RepoPaths.NewTempFolder(), "m.fpm");
        ModelFile.Save(model, path, null, summary);
        var loaded = ModelFile.Load(path);
        Assert.NotNull(loaded.Summary);
        Assert.Equal(summary.TaskOrder, loaded.Summary.TaskOrder);
        Assert.Equal(summary.BinOf, loaded.Summary.BinOf);
        Assert.Equal(summary.Values.ToArray(), loaded.Summary.Values.ToArray());
        Assert.Null(ModelFile.Load(SaveWithout(model)).Summary);
    }

    [Fact]
    public void Save_SummaryOfAnotherMatrix_IsRefused()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 9, Examples = 500, Seed = 2 }).Matrix;
        var other = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 8, Examples = 500, Seed = 2 }).Matrix;
        var model = new AdditiveFitter().Fit(z);
        var summary = Core.Analysis.MatrixSummary.ForModel(other, new AdditiveFitter().Fit(other));
        Assert.Throws<ArgumentException>(() => ModelFile.Save(model, Path.Combine(RepoPaths.NewTempFolder(), "m.fpm"), null, summary));
    }

    private static string SaveWithout(IForgettingModel model)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder(), "plain.fpm");
        ModelFile.Save(model, path);
        return path;
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Data.Formats;
using ForgetPredict.Data.Parquet;
using ForgetPredict.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ForgetPredict.Server.Tests;

/// <summary>Uploads, background fits and jobs; each test has its own store.</summary>
public sealed class UploadTests : IDisposable
{
    private readonly string _store = RepoPaths.NewTempFolder("fp-server-upload");
    private readonly ServerFactory _factory;
    private readonly HttpClient _client;
    private readonly SyntheticForgetting _synthetic = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 10, Examples = 240, Seed = 11, KeepSignal = false });

    public UploadTests()
    {
        _factory = new ServerFactory(_store);
        _client = _factory.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
        Directory.Delete(_store, recursive: true);
    }

    [Theory]
    [InlineData(".npy")]
    [InlineData(".npz")]
    [InlineData(".csv")]
    [InlineData(".tsv")]
    [InlineData(".json")]
    [InlineData(".parquet")]
    public async Task Upload_EverySupportedFormat_IsFittedInTheBackgroundAndSavedIntoTheStore(string extension)
    {
        var response = await _client.PostAsync("/v1/models", Http.Upload("matrix" + extension, MatrixBytes(_synthetic.Matrix, extension), ("name", "up"), ("method", "mf"), ("rank", "2")));
        var job = await response.JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal($"/v1/jobs/{job.GetProperty("id").GetString()}", response.Headers.Location?.ToString());
        Assert.Equal("up", job.GetProperty("model").GetString());
        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        Assert.Equal(1.0, done.GetProperty("progress").GetDouble());
        Assert.Equal("/v1/models/up", done.GetProperty("modelUrl").GetString());

        var model = await (await _client.GetAsync("/v1/models/up")).JsonAsync();
        Assert.Equal(10, model.GetProperty("taskCount").GetInt32());
        Assert.Equal(240, model.GetProperty("exampleCount").GetInt32());
        Assert.Equal(2, model.GetProperty("rank").GetInt32());
        Assert.Equal("matrix" + extension, model.GetProperty("source").GetString());
        Assert.InRange(model.GetProperty("r2").GetDouble(), 0.5, 1);
        Assert.Equal(_synthetic.Matrix.ExampleCount, ModelFile.Load(Path.Combine(_store, "up.fpm")).Model.ExampleCount);
        AssertNoTemporaryFiles();
    }

    // Uploads the synthetic matrix with its examples' groups as metadata, fits it with additive and waits; returns the metadata.
    private async Task<string> UploadGroupedAsync(string name)
    {
        var metadata = new StringBuilder("id,group\n");
        for (var j = 0; j < _synthetic.ExampleGroups.Count; j++)
        {
            // A bare .npy names its examples by column index.
            metadata.Append(CultureInfo.InvariantCulture, $"{j},{_synthetic.ExampleGroups[j]}\n");
        }

        var form = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", name), ("method", "additive"));
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(metadata.ToString())), "examples", "examples.csv");
        var job = await (await _client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await WaitAsync(_client, job.GetProperty("id").GetString()!)).GetProperty("state").GetString());
        Assert.True(File.Exists(Path.Combine(_store, name + ".examples.csv")));
        return metadata.ToString();
    }

    [Fact]
    public async Task Upload_WithExampleMetadata_SavesItBesideTheModel_ForGrouping()
    {
        var metadata = await UploadGroupedAsync("grouped");
        var predict = await (await _client.PostAsync("/v1/models/grouped/predict", Http.Json("{}"))).JsonAsync();
        Assert.Equal(_synthetic.ExampleGroups.Distinct().Count(), predict.GetProperty("groups").GetArrayLength());
        Assert.Equal(0, predict.GetProperty("warnings").GetArrayLength());

        // The model records which metadata it came with: a different file beside it is reported, not used in silence.
        var saved = Path.Combine(_store, "grouped.examples.csv");
        var info = await (await _client.GetAsync("/v1/models/grouped")).JsonAsync();
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(saved))),
            info.GetProperty("metadata").GetProperty("examples-sha256").GetString());
        File.WriteAllText(saved, metadata.Replace("\n", "\r\n", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(saved, DateTime.UtcNow.AddMinutes(1));
        var changed = await (await _client.PostAsync("/v1/models/grouped/predict", Http.Json("{}"))).JsonAsync();
        Assert.Contains("grouped.examples.csv is not the metadata uploaded with model 'grouped'", changed.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);
        var replay = await (await _client.PostAsync("/v1/models/grouped/replay", Http.Json("{\"budget\": 5}"))).JsonAsync();
        Assert.Contains("grouped.examples.csv is not the metadata uploaded with model 'grouped'", replay.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);

        // Metadata for half the examples: said in every grouped answer, naming the file by its name only.
        File.WriteAllLines(saved, metadata.Split('\n', StringSplitOptions.RemoveEmptyEntries).Take(1 + (_synthetic.ExampleGroups.Count / 2)));
        File.SetLastWriteTimeUtc(saved, DateTime.UtcNow.AddMinutes(2));
        foreach (var path in new[] { "predict", "replay" })
        {
            var answer = await (await _client.PostAsync($"/v1/models/grouped/{path}", Http.Json("{\"budget\": 5}".Replace("budget", path == "predict" ? "top" : "budget", StringComparison.Ordinal)))).JsonAsync();
            var warnings = answer.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToArray();
            Assert.Contains(warnings, w => w.Contains(" example ids matched in grouped.examples.csv", StringComparison.Ordinal));
            Assert.DoesNotContain(warnings, w => w.Contains(_store, StringComparison.Ordinal));
        }

        // No file at all (removed, or queried between an upload's saving the model and its metadata): answered without
        // groups, and said, where it had been answered as a model without metadata.
        File.Delete(saved);
        foreach (var path in new[] { "predict", "replay" })
        {
            var answer = await (await _client.PostAsync($"/v1/models/grouped/{path}", Http.Json(path == "predict" ? "{}" : "{\"budget\": 5}"))).JsonAsync();
            if (path == "predict")
            {
                Assert.Equal(0, answer.GetProperty("groups").GetArrayLength());
            }

            Assert.Contains(answer.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("Model 'grouped' was uploaded with example metadata, but no grouped.examples.csv is beside it", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Upload_ReplacingAModelWithoutMetadata_DropsTheOldModelsMetadata()
    {
        await UploadGroupedAsync("relabel");

        // Another matrix under the same name, without metadata: the old labels do not describe its examples.
        var other = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 8, Examples = 300, Seed = 12, KeepSignal = false }).Matrix;
        var second = await (await _client.PostAsync("/v1/models", Http.Upload("other.npy", MatrixBytes(other, ".npy"), ("name", "relabel"), ("method", "additive"), ("overwrite", "true"))))
            .JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await WaitAsync(_client, second.GetProperty("id").GetString()!)).GetProperty("state").GetString());
        Assert.Empty(Directory.GetFiles(_store, "relabel.examples.*"));
        Assert.Empty((await (await _client.GetAsync("/v1/models/relabel")).JsonAsync()).GetProperty("groupColumns").EnumerateArray());

        // Metadata the operator placed beside the model by hand (the README's store workflow) is theirs: a refit keeps it.
        File.WriteAllText(Path.Combine(_store, "relabel.examples.csv"), "id,source\n0,web\n1,code\n");
        var third = await (await _client.PostAsync("/v1/models", Http.Upload("other.npy", MatrixBytes(other, ".npy"), ("name", "relabel"), ("method", "mf"), ("overwrite", "true"))))
            .JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await WaitAsync(_client, third.GetProperty("id").GetString()!)).GetProperty("state").GetString());
        Assert.True(File.Exists(Path.Combine(_store, "relabel.examples.csv")));
    }

    [Fact]
    public async Task Upload_AFieldTwice_OrTooManyFeatureFiles_Is400_AndLeavesNothingBehind()
    {
        var twice = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "first"), ("method", "mf"), ("name", "second"));
        await (await _client.PostAsync("/v1/models", twice)).ProblemAsync(HttpStatusCode.BadRequest, "two 'name' parts");

        var many = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "many"), ("method", "mf"));
        for (var f = 0; f <= UploadFiles.MaxFeatureFiles; f++)
        {
            many.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("id,x\n0,1\n")), "taskFeatures", $"f{f}.csv");
        }

        await (await _client.PostAsync("/v1/models", many)).ProblemAsync(HttpStatusCode.BadRequest, $"more than {UploadFiles.MaxFeatureFiles} 'taskFeatures' parts");
        AssertNoTemporaryFiles();
        Assert.Empty(Directory.GetFiles(_store, "*.fpm"));
    }

    [Fact]
    public async Task Upload_FeatureTableMissingTasks_FailsTheJob_InTheUploadsWords()
    {
        var form = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "features"), ("method", "additive"));
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("id,x\n0,1\n")), "taskFeatures", "f1.csv");
        var job = await (await _client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
        var error = (await WaitAsync(_client, job.GetProperty("id").GetString()!)).GetProperty("error").GetString()!;
        Assert.Contains("f1.csv", error, StringComparison.Ordinal);
        Assert.Contains("in an upload, call that column id", error, StringComparison.Ordinal);
        Assert.DoesNotContain("FeatureFile.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_MetadataMatchingNoExample_FailsTheJob()
    {
        var form = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "nomatch"), ("method", "additive"));
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("id,group\nx1,a\nx2,b\n")), "examples", "meta.csv");
        var job = await (await _client.PostAsync("/v1/models", form)).JsonAsync(HttpStatusCode.Accepted);
        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.Contains("meta.csv: none of its ids is an example of z.npy", done.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_store, "nomatch*"));
    }

    [Fact]
    public async Task Upload_AnArchiveOfSeveralMatrices_IsRefusedNamingTheArrayField_AndTheFieldPicksOne()
    {
        // Given: an .npz holding the matrix ('z') and another 2-D array ('other'), as np.savez(path, z=z, other=...) writes it.
        byte[] archive;
        using (var buffer = new MemoryStream())
        {
            using (var zip = new System.IO.Compression.ZipArchive(buffer, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (var (name, rows) in new[] { ("z", _synthetic.Matrix.TaskCount), ("other", 3) })
                {
                    using var entry = zip.CreateEntry(name + ".npy").Open();
                    var values = Enumerable.Range(0, rows * _synthetic.Matrix.ExampleCount).Select(c => (float)_synthetic.Matrix[c / _synthetic.Matrix.ExampleCount % _synthetic.Matrix.TaskCount, c % _synthetic.Matrix.ExampleCount]).ToArray();
                    ForgetPredict.Data.Formats.NpyFormat.WriteArray(entry, values, [rows, _synthetic.Matrix.ExampleCount]);
                }
            }

            archive = buffer.ToArray();
        }

        // When: it is uploaded without the array field, then with it.
        var without = await (await _client.PostAsync("/v1/models", Http.Upload("two.npz", archive, ("name", "two"), ("method", "additive")))).JsonAsync(HttpStatusCode.Accepted);
        var failed = await WaitAsync(_client, without.GetProperty("id").GetString()!);
        var with = await (await _client.PostAsync("/v1/models", Http.Upload("two.npz", archive, ("name", "two"), ("method", "additive"), ("array", "z")))).JsonAsync(HttpStatusCode.Accepted);
        var done = await WaitAsync(_client, with.GetProperty("id").GetString()!);

        // Then: the first fails naming the arrays and the upload's field (not the library's option); the second fits 'z'.
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        var error = failed.GetProperty("error").GetString()!;
        Assert.Contains("the archive holds 2 2-D arrays", error, StringComparison.Ordinal);
        Assert.Contains("name it with \"array\" (e.g. 'z')", error, StringComparison.Ordinal);
        Assert.DoesNotContain("MatrixReadOptions", error, StringComparison.Ordinal);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        Assert.Equal(_synthetic.Matrix.TaskCount, (await (await _client.GetAsync("/v1/models/two")).JsonAsync()).GetProperty("taskCount").GetInt32());
        AssertNoTemporaryFiles();
    }

    [Fact]
    public async Task Upload_BadMatrix_FailsTheJobWithTheParserMessage_AndLeavesNoModel()
    {
        var job = await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", Encoding.ASCII.GetBytes("not an npy file at all"), ("name", "bad"), ("method", "mf")))).JsonAsync(HttpStatusCode.Accepted);
        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.Equal("failed", done.GetProperty("state").GetString());
        Assert.Contains("z.npy", done.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_store, "bad.fpm")));
        await (await _client.GetAsync("/v1/models/bad")).ProblemAsync(HttpStatusCode.NotFound);
        AssertNoTemporaryFiles();
    }

    [Fact]
    public async Task Upload_WithoutMethod_FitsAuto()
    {
        var job = await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "chosen")))).JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("auto", job.GetProperty("method").GetString());
        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        Assert.Equal("auto", done.GetProperty("method").GetString());
        await (await _client.GetAsync("/v1/models/chosen")).JsonAsync();
    }

    [Fact]
    public async Task Upload_OfAMatrixWithAnUnmeasuredExample_FitsAndTheJobSaysSo_AsFitDoes()
    {
        // Given: the synthetic matrix with its example 3 never measured.
        var values = _synthetic.Matrix.Values.ToArray();
        for (var i = 0; i < _synthetic.Matrix.TaskCount; i++)
        {
            values[(i * _synthetic.Matrix.ExampleCount) + 3] = float.NaN;
        }

        var gaps = ForgettingMatrix.Create(values, _synthetic.Matrix.TaskCount, _synthetic.Matrix.ExampleCount);
        var job = await (await _client.PostAsync("/v1/models", Http.Upload("gaps.npy", MatrixBytes(gaps, ".npy"), ("name", "gaps"), ("method", "mf")))).JsonAsync(HttpStatusCode.Accepted);

        // Then: the job succeeds and carries the library's warning, the one 'fit' prints.
        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        Assert.Equal(ForgetPredict.Application.Fitting.MatrixWarnings(gaps, "gaps.npy"), done.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!));
        Assert.Contains("have no observed cell (first: '3')", done.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);
    }

    // A seed given to a method that draws no random numbers is warned of by the job, as 'fit' warns of it.
    [Fact]
    public async Task Upload_WithASeedTheMethodIgnores_WarnsOfIt_InTheServicesWords()
    {
        var job = await (await _client.PostAsync("/v1/models", Http.Upload("seeded.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "seeded"), ("method", "additive"), ("seed", "3")))).JsonAsync(HttpStatusCode.Accepted);

        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);

        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        Assert.Contains(done.GetProperty("warnings").EnumerateArray(), w => w.GetString() == "\"seed\" = 3 has no effect on 'additive': it draws no random numbers, so every seed fits the same model (only rank1, mf, logistic, ensemble, auto use a seed).");
    }

    // QA (binary forgetting): mf fitted on a 0/1 matrix predicted values outside [0, 1] with no word of it.
    [Fact]
    public async Task Upload_OfABinaryMatrixFittedByMf_SaysItPredictsNoProbabilities_AtTheJobAndAtEachQuery()
    {
        // Given: a 0/1 matrix uploaded for mf.
        var flips = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 200, Binary = true, Seed = 3, KeepSignal = false }).Matrix;
        var job = await (await _client.PostAsync("/v1/models", Http.Upload("flips.npy", MatrixBytes(flips, ".npy"), ("name", "flips"), ("method", "mf")))).JsonAsync(HttpStatusCode.Accepted);
        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());

        // When: its model is queried.
        var predict = await (await _client.PostAsync("/v1/models/flips/predict", Http.Json("{}"))).JsonAsync();
        var replay = await (await _client.PostAsync("/v1/models/flips/replay", Http.Json("{\"budget\": 5, \"strategy\": \"topk\"}"))).JsonAsync();

        // Then: the job carries fit's warning, and each answer the forecast's, naming the model.
        Assert.StartsWith("flips.npy is a 0/1 matrix (1 = forgotten), and mf models its cells as continuous values", done.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);
        Assert.StartsWith("the training matrix of model 'flips' is a 0/1 matrix (1 = forgotten), and mf models", predict.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);
        Assert.StartsWith("the training matrix of model 'flips' is a 0/1 matrix", replay.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);
        Assert.False(predict.GetProperty("predictsProbability").GetBoolean());
        Assert.True(predict.GetProperty("binaryMatrix").GetBoolean());
        var continuous = await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "continuous"), ("method", "mf")))).JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await WaitAsync(_client, continuous.GetProperty("id").GetString()!)).GetProperty("state").GetString());
        var plain = await (await _client.PostAsync("/v1/models/continuous/predict", Http.Json("{}"))).JsonAsync();
        Assert.False(plain.GetProperty("binaryMatrix").GetBoolean());
        Assert.DoesNotContain(plain.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("0/1 matrix", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upload_OfAutoTunedForFewCells_WarnsAQueryWithMoreThanTwiceAsMany_NamingTheKnownField()
    {
        // Given: auto uploaded with "known" = 2.
        var job = await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "auto2"), ("method", "auto"), ("known", "2")))).JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await WaitAsync(_client, job.GetProperty("id").GetString()!)).GetProperty("state").GetString());
        string Observed(int cells) => "{\"observed\": {" + string.Join(", ", Enumerable.Range(0, cells).Select(j => $"\"{j}\": {_synthetic.Matrix[0, j].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}")) + "}}";

        // When: queries with 4 and 5 measured cells.
        var four = await (await _client.PostAsync("/v1/models/auto2/predict", Http.Json(Observed(4)))).JsonAsync();
        var five = await (await _client.PostAsync("/v1/models/auto2/predict", Http.Json(Observed(5)))).JsonAsync();
        var replay = await (await _client.PostAsync("/v1/models/auto2/replay", Http.Json(Observed(5)[..^1] + ", \"budget\": 5}"))).JsonAsync();

        // Then: twice as many say nothing; more are warned, the fix worded as the upload's field.
        Assert.DoesNotContain(four.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("was tuned for", StringComparison.Ordinal));
        Assert.Contains(five.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("model 'auto2' was tuned for 2 measured cells (\"known\" = 2 at its fit) and this task has 5:", StringComparison.Ordinal)
            && w.GetString()!.Contains("refit it with \"known\" = 5", StringComparison.Ordinal));
        Assert.Contains(replay.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("model 'auto2' was tuned for 2 measured cells", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upload_BinaryMethodOnAContinuousMatrix_FailsTheJob()
    {
        var job = await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "lg"), ("method", "logistic")))).JsonAsync(HttpStatusCode.Accepted);
        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.Contains("needs a binary (0/1) matrix", done.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_store, "lg.fpm")));
    }

    [Fact]
    public async Task Upload_LibraryMessages_NameTheUploadFields()
    {
        // The library names its options (ModelSettings.Rank, MatrixReadOptions.Format); the service words them as its upload fields.
        await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "ranked"), ("method", "additive"), ("rank", "2"))))
            .ProblemAsync(HttpStatusCode.BadRequest, "\"rank\" does not apply to 'additive' (only mf and logistic have a rank).");
        var bad = await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", Encoding.ASCII.GetBytes("not an npy file at all"), ("name", "bad"), ("method", "mf")))).JsonAsync(HttpStatusCode.Accepted);
        var failed = await WaitAsync(_client, bad.GetProperty("id").GetString()!);

        Assert.EndsWith("(or use a .csv/.parquet file with \"format\").", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_Existing_NeedsOverwrite_ThenReplacesTheModel()
    {
        await UploadAndWaitAsync("twice", "additive");
        var before = (await (await _client.GetAsync("/v1/models/twice")).JsonAsync()).GetProperty("version").GetString();
        await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "twice"), ("method", "mf"))))
            .ProblemAsync(HttpStatusCode.Conflict, "Model 'twice' already exists", "overwrite=true");
        AssertNoTemporaryFiles();
        await UploadAndWaitAsync("twice", "mf", ("overwrite", "true"));
        var after = await (await _client.GetAsync("/v1/models/twice")).JsonAsync();
        Assert.Equal("mf", after.GetProperty("method").GetString());
        Assert.NotEqual(before, after.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Upload_AFileFieldSentAsText_IsNamedAsSuch()
    {
        // curl -F file=abc (without the @): its text had been read as a matrix named upload.bin.
        foreach (var field in new[] { "file", "examples" })
        {
            var form = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "textfield"));
            if (field == "file")
            {
                form = new MultipartFormDataContent { { new StringContent("abc"), "file" }, { new StringContent("textfield"), "name" } };
            }
            else
            {
                form.Add(new StringContent("id,source\n0,a\n"), "examples");
            }

            await (await _client.PostAsync("/v1/models", form)).ProblemAsync(HttpStatusCode.BadRequest, $"'{field}' is a text field, not a file");
        }
    }

    [Fact]
    public async Task Upload_NotMultipart_Is415()
    {
        await (await _client.PostAsync("/v1/models", Http.Json("{}"))).ProblemAsync(HttpStatusCode.UnsupportedMediaType, "multipart/form-data");
    }

    [Theory]
    [InlineData("name", "", "no 'name' field")]
    [InlineData("file", "", "no 'file' part")]
    [InlineData("name", "../evil", "'../evil' is not a valid model name")]
    [InlineData("name", "a/b", "is not a valid model name")]
    [InlineData("method", "mff", "mf")]
    [InlineData("rank", "two", "'rank' must be a whole number, not 'two'")]
    [InlineData("seed", "1e5", "'seed' must be a whole number, not '1e5'")]
    [InlineData("rank", "99999999999", "'rank' must be a whole number from 1 to 1,024, not '99999999999'.")]
    [InlineData("known", "99999999999", "'known' must be a whole number from 0 to 2,147,483,647, not '99999999999'.")]
    [InlineData("seed", "99999999999", "'seed' must be a whole number from -2,147,483,648 to 2,147,483,647, not '99999999999'.")]
    [InlineData("lambda", "ten", "'lambda' must be a number, not 'ten'")]
    [InlineData("layout", "diagonal", "Unknown layout 'diagonal'")]
    [InlineData("overwrite", "maybe", "'overwrite' must be true or false")]
    [InlineData("colour", "red", "Unknown upload field 'colour'")]
    public async Task Upload_BadForms_Are400_AndLeaveNothingBehind(string field, string value, params string[] fragments)
    {
        var form = new MultipartFormDataContent();
        var values = new Dictionary<string, string> { ["name"] = "ok", ["method"] = "mf" };
        if (field != "file")
        {
            form.Add(new ByteArrayContent(MatrixBytes(_synthetic.Matrix, ".npy")), "file", "z.npy");
        }

        if (value.Length == 0)
        {
            values.Remove(field);
        }
        else
        {
            values[field] = value;
        }

        foreach (var (k, v) in values)
        {
            form.Add(new StringContent(v), k);
        }

        await (await _client.PostAsync("/v1/models", form)).ProblemAsync(HttpStatusCode.BadRequest, fragments);
        AssertNoTemporaryFiles();
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_store)!, "evil.fpm")));
        Assert.Empty(Directory.GetFiles(_store, "*.fpm"));
    }

    // An option the file contradicts is the command line's exit 2 (ContradictsOption): the service refuses it before queueing a
    // job, in the same words with the upload's field names (it had been accepted with 202 and the job failed).
    [Theory]
    [InlineData(".npy", "layout", "long", "z.npy: a layout (long) applies only to CSV/TSV and Parquet files, but this is read as npy; drop \"layout\" or pass \"format\" = csv.")]
    [InlineData(".npy", "array", "z", "z.npy: \"array\" (array 'z') applies only to .npz archives, but this is read as npy; drop \"array\" or pass \"format\" = npz.")]
    [InlineData(".npy", "format", "csv", "z.npy", "is a .npy (it starts with numpy's bytes 93 'NUMPY') and named as one, so not text: drop \"format\" so that it is read as its extension says.")]
    [InlineData(".npy", "format", "json", "so not text: drop \"format\"")]
    [InlineData(".npz", "format", "npy", "z.npz", "is a zip archive, as .npz is", "so not a .npy: drop \"format\"")]
    [InlineData(".parquet", "format", "csv", "z.parquet", "is a Parquet file", "so not text: drop \"format\"")]
    [InlineData(".npy", "format", "npz", "z.npy: is a .npy (it starts with numpy's bytes 93 'NUMPY') and named as one, so not an .npz: drop \"format\" so that it is read as its extension says.")]
    [InlineData(".npy", "format", "parquet", "z.npy", "so not Parquet: drop \"format\"")]
    [InlineData(".csv", "array", "z", "z.csv: \"array\" (array 'z') applies only to .npz archives, but this is read as csv; drop \"array\"")]
    [InlineData(".json", "layout", "wide", "z.json: a layout (wide) applies only to CSV/TSV and Parquet files")]
    public async Task Upload_AnOptionTheMatrixContradicts_Is400NamingTheField_BeforeAnyJob(string extension, string field, string value, params string[] fragments)
    {
        var form = Http.Upload("z" + extension, MatrixBytes(_synthetic.Matrix, extension), ("name", "contra"), ("method", "mf"), (field, value));

        await (await _client.PostAsync("/v1/models", form)).ProblemAsync(HttpStatusCode.BadRequest, fragments);

        Assert.Empty((await (await _client.GetAsync("/v1/jobs")).JsonAsync()).GetProperty("jobs").EnumerateArray());
        Assert.False(File.Exists(Path.Combine(_store, "contra.fpm")));
        AssertNoTemporaryFiles();
    }

    // Only a contradiction is refused up front: a file that is merely malformed, whatever the options, is still the job's to
    // report (the matrix is read in the background), and options that fit the file are taken.
    [Fact]
    public async Task Upload_OptionsTheMatrixAgreesWith_OrAMalformedFile_AreQueued()
    {
        var agreed = await (await _client.PostAsync("/v1/models", Http.Upload("z.csv", MatrixBytes(_synthetic.Matrix, ".csv"), ("name", "agreed"), ("method", "additive"), ("format", "csv"), ("layout", "wide")))).JsonAsync(HttpStatusCode.Accepted);
        var renamed = await (await _client.PostAsync("/v1/models", Http.Upload("z.bin", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "renamed"), ("method", "additive"), ("format", "npy")))).JsonAsync(HttpStatusCode.Accepted);
        var malformed = await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", Encoding.ASCII.GetBytes("not an npy file at all"), ("name", "malformed"), ("method", "mf"), ("format", "npy")))).JsonAsync(HttpStatusCode.Accepted);

        Assert.Equal("succeeded", (await WaitAsync(_client, agreed.GetProperty("id").GetString()!)).GetProperty("state").GetString());
        Assert.Equal("succeeded", (await WaitAsync(_client, renamed.GetProperty("id").GetString()!)).GetProperty("state").GetString());
        var failed = await WaitAsync(_client, malformed.GetProperty("id").GetString()!);
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Contains("not a .npy file", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    // The fields an unknown one's message lists are those the upload reads, and openapi.json's Upload schema lists (array was left out).
    [Fact]
    public async Task Upload_UnknownField_ListsEveryFieldTheUploadTakes_AsOpenApiDocumentsThem()
    {
        var form = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "unknown"), ("arrays", "z"));
        var detail = await (await _client.PostAsync("/v1/models", form)).ProblemAsync(HttpStatusCode.BadRequest,
            "Unknown upload field 'arrays'; did you mean 'array'? Fields: file, name, method, rank, lambda, seed, known, format, layout, array, overwrite, examples, taskFeatures, exampleFeatures.");

        var schema = (await (await _client.GetAsync("/openapi.json")).JsonAsync()).GetProperty("components").GetProperty("schemas").GetProperty("Upload").GetProperty("properties");
        Assert.Equal(schema.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), UploadFiles.Fields.Order(StringComparer.Ordinal));
        foreach (var field in UploadFiles.Fields)
        {
            Assert.Contains(field, detail, StringComparison.Ordinal);
        }

        AssertNoTemporaryFiles();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return buffer.ToArray();
    }

    [Fact]
    public async Task Upload_AGzippedCsvMatrix_IsFittedAsThePlainOne()
    {
        var response = await _client.PostAsync("/v1/models", Http.Upload("z.csv.gz", Gzip(MatrixBytes(_synthetic.Matrix, ".csv")), ("name", "gz"), ("method", "mf"), ("rank", "2")));
        var done = await WaitAsync(_client, (await response.JsonAsync(HttpStatusCode.Accepted)).GetProperty("id").GetString()!);

        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        Assert.Equal(240, ModelFile.Load(Path.Combine(_store, "gz.fpm")).Model.ExampleCount);
        AssertNoTemporaryFiles();
    }

    // A table is read whole, and nothing bounds what an upload decompresses to: gzip is refused there, by name or by content.
    [Theory]
    [InlineData("examples", "examples.csv.gz")]
    [InlineData("examples", "examples.csv")]
    [InlineData("taskFeatures", "tasks.csv.gz")]
    [InlineData("exampleFeatures", "features.tsv")]
    public async Task Upload_AGzippedTable_Is415_AndLeavesNothingBehind(string field, string fileName)
    {
        var form = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "gz"), ("method", "mf"));
        form.Add(new ByteArrayContent(Gzip("id,x\n0,1\n"u8.ToArray())), field, fileName);

        await (await _client.PostAsync("/v1/models", form)).ProblemAsync(HttpStatusCode.UnsupportedMediaType, $"{fileName} is gzip-compressed: the service reads tables", "send it as plain CSV, TSV or Parquet");
        AssertNoTemporaryFiles();
        Assert.Empty(Directory.GetFiles(_store, "*.fpm"));
    }

    [Fact]
    public async Task Upload_ClientFileNameWithFolders_StaysInsideTheStore()
    {
        await UploadAndWaitAsync("safe", "additive", fileName: "../../outside.npy");
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_store)!, "outside.npy")));
        Assert.Equal("outside.npy", (await (await _client.GetAsync("/v1/models/safe")).JsonAsync()).GetProperty("source").GetString());
    }

    [Fact]
    public async Task Upload_Oversize_Is413_AndLeavesNoTemporaryFile()
    {
        // The test host's upload limit is 4 MB.
        await (await _client.PostAsync("/v1/models", Http.Upload("big.npy", new byte[5 << 20], ("name", "big"), ("method", "mf"))))
            .ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "upload is larger than the server's limit of 4 MB (--max-upload-mb)", "higher --max-upload-mb");
        AssertNoTemporaryFiles();
    }

    // --max-upload-mb 64 was reported as "limit of 67.1 MB" (decimal MB of 2^20-byte megabytes): the limit is said in the option's unit.
    [Theory]
    [InlineData(64, "64 MB")]
    [InlineData(1, "1 MB")]
    [InlineData(0.5, "0.5 MB")]
    public void TooLarge_SaysTheLimitInTheUnitOfTheOption(double megabytes, string expected)
    {
        var message = ApiException.TooLarge(ServerOptions.Megabytes(megabytes, "--max-upload-mb"), "upload", "--max-upload-mb").Message;
        Assert.Contains($"limit of {expected} (--max-upload-mb)", message, StringComparison.Ordinal);
    }

    // A full disk while staging an upload was "400 The multipart/form-data body is malformed (No space left on device ...)":
    // the client's fault, in .NET's words. It is the store's: 507, telling the operator to free space.
    [Fact]
    public async Task Upload_IntoAFullStore_Is507ForTheOperator_AndLeavesNoTemporaryFile()
    {
        var mount = RepoPaths.NewTempFolder("fp-server-full");
        if (!Mount(mount, "size=256k"))
        {
            // Mounting a small tmpfs needs root; CopyAsync_WriteFailure_IsTheStoresProblem covers the same path without one.
            Directory.Delete(mount);
            return;
        }

        try
        {
            using var factory = new ServerFactory(mount);
            using var client = factory.CreateClient();
            var detail = await (await client.PostAsync("/v1/models", Http.Upload("z.npy", new byte[1 << 20], ("name", "m"), ("method", "mf"))))
                .ProblemAsync(HttpStatusCode.InsufficientStorage, "model store is full", "free space");
            Assert.DoesNotContain("malformed", detail, StringComparison.Ordinal);
            Assert.DoesNotContain(mount, detail, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(mount, ".*"));
        }
        finally
        {
            Unmount(mount);
            Directory.Delete(mount, recursive: true);
        }
    }

    [Theory]
    [InlineData(28, 507, "is full")]
    [InlineData(13, 500, "cannot be written")]
    public async Task CopyAsync_WriteFailure_IsTheStoresProblem_NotTheRequests(int errno, int status, string says)
    {
        using var body = new MemoryStream(new byte[200_000]);
        using var file = new FailingStream(new IOException("No space left on device : '/srv/store/.upload-1.npy'", errno));
        var e = await Assert.ThrowsAsync<ApiException>(() => UploadFiles.CopyAsync(body, file, CancellationToken.None));
        Assert.Equal(status, e.Status);
        Assert.Contains(says, e.Message, StringComparison.Ordinal);
        Assert.Contains("operator", e.Message, StringComparison.Ordinal);
    }

    // A fit whose model cannot be saved (disk full) failed its job with the store's absolute path and the advice to "refit".
    [Fact]
    public void JobError_ForAFullDisk_Is507_SaysFreeSpace_AndNamesFilesRelativeToTheStore()
    {
        var store = new ModelStore(_store);
        var path = Path.Combine(_store, ".m.fpm.1234.tmp");
        var full = new ForgettingDataException(path, $"cannot write the file: No space left on device : '{path}'", innerException: new IOException($"No space left on device : '{path}'", 28));
        var (status, detail) = Problems.Classify(full)!.Value;
        Assert.Equal(507, status);
        detail = store.Relative(detail);
        Assert.Contains("free space", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("refit", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(_store, detail, StringComparison.Ordinal);
    }

    // Kestrel refuses a body that arrives too slowly with a 408 (BadHttpRequestException, an IOException): the upload's reader
    // took it for a malformed body and answered 400 "the multipart body is malformed".
    [Fact]
    public async Task Upload_WhoseBodyArrivesTooSlowly_Is408_NotAMalformedBody_AndLeavesNoTemporaryFile()
    {
        var store = new ModelStore(_store);
        var options = new ServerOptions { StoreDirectory = _store };
        var head = Encoding.ASCII.GetBytes("--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nslow\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"z.npy\"\r\n\r\n" + new string('x', 5000));
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "multipart/form-data; boundary=B";
        context.Request.Body = new StallingStream(head, new Microsoft.AspNetCore.Http.BadHttpRequestException("Reading the request body timed out due to data arriving too slowly. See MinRequestBodyDataRate.", 408));

        var e = await Assert.ThrowsAsync<Microsoft.AspNetCore.Http.BadHttpRequestException>(() => UploadFiles.ReadAsync(context, store, options));
        var (status, detail) = Problems.Classify(e)!.Value;
        Assert.Equal(408, status);
        Assert.Contains("too slowly", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("MinRequestBodyDataRate", detail, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_store, ".upload-*"));
    }

    private static bool Mount(string folder, string options)
    {
        try
        {
            using var mount = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mount", ["-t", "tmpfs", "-o", options, "tmpfs", folder]) { RedirectStandardError = true, RedirectStandardOutput = true });
            mount!.WaitForExit();
            return mount.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void Unmount(string folder)
    {
        using var umount = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("umount", [folder]) { RedirectStandardError = true });
        umount!.WaitForExit();
    }

    // Gives its bytes, then fails every read with the server's refusal.
    private sealed class StallingStream(byte[] head, IOException failure) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position == head.Length)
            {
                throw failure;
            }

            var n = Math.Min(count, head.Length - _position);
            Array.Copy(head, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class FailingStream(IOException failure) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => 0;

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override void Flush() => throw failure;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw failure;
    }

    // An .npz of zeros deflates about 1,000:1: a 2 MB upload of a (1, 268435456) float64 array drove the server to 1.16 GB,
    // and a 64 MB one could claim 64 GB. The sizes the archive declares are checked against the matrix limit before anything
    // is decompressed.
    [Theory]
    [InlineData(null, "limit of 16 MB for an uploaded matrix (--max-matrix-mb, by default 16 times --max-upload-mb)")]
    [InlineData("8", "limit of 8 MB for an uploaded matrix (--max-matrix-mb)")]
    public async Task Upload_NpzThatDecompressesBeyondTheMatrixLimit_Is413BeforeAnythingIsDecompressed(string? maxMatrixMb, string says)
    {
        var store = RepoPaths.NewTempFolder("fp-server-bomb");
        try
        {
            using var factory = new ServerFactory(store, maxUploadMb: "1", maxMatrixMb: maxMatrixMb);
            using var client = factory.CreateClient();
            var bomb = DeflatedZeros(1 << 22); // (1, 4194304) float64: 32 MB from about 32 KB
            Assert.InRange(bomb.Length, 1, 1 << 20);
            var detail = await (await client.PostAsync("/v1/models", Http.Upload("bomb.npz", bomb, ("name", "bomb"), ("method", "task-mean"))))
                .ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "bomb.npz decompresses to 32 MB", says, "higher --max-matrix-mb");
            Assert.DoesNotContain(store, detail, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(store, ".*"));
            Assert.Empty((await (await client.GetAsync("/v1/jobs")).JsonAsync()).GetProperty("jobs").EnumerateArray());

            // Within the limit a compressed archive is fitted.
            using var compressed = new MemoryStream();
            NpzFormat.Write(_synthetic.Matrix, compressed, compress: true);
            var fits = await (await client.PostAsync("/v1/models", Http.Upload("z.npz", compressed.ToArray(), ("name", "z"), ("method", "mf")))).JsonAsync(HttpStatusCode.Accepted);
            Assert.Equal("succeeded", (await WaitAsync(client, fits.GetProperty("id").GetString()!)).GetProperty("state").GetString());
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task Upload_LongCsvWhoseIdsImplyMoreThanTheMatrixLimit_FailsItsJob_BeforeAllocating()
    {
        // Given: a long CSV of 20,000 cells, each on its own task and example: 15 KB-odd per 1,000 lines that imply a
        // 20,000 x 20,000 matrix (1.6 GB), past a 1 MB matrix limit (the long layout alone allows 1,000 cells a row).
        var store = RepoPaths.NewTempFolder("fp-server-long");
        try
        {
            using var factory = new ServerFactory(store, maxUploadMb: "1", maxMatrixMb: "1");
            using var client = factory.CreateClient();
            var text = new StringBuilder("task,example,value\n");
            for (var i = 0; i < 20_000; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"t{i},e{i},0.5\n");
            }

            var job = await (await client.PostAsync("/v1/models", Http.Upload("cells.csv", Encoding.UTF8.GetBytes(text.ToString()), ("name", "long"), ("method", "task-mean")))).JsonAsync(HttpStatusCode.Accepted);

            // Then: the job fails naming the shape and the server's limit; no model is written.
            var done = await WaitAsync(client, job.GetProperty("id").GetString()!);
            Assert.Equal("failed", done.GetProperty("state").GetString());
            Assert.Contains("the matrix is 20,000 x 20,000 (400,000,000 cells), more than the 262,144 accepted here (the server's --max-matrix-mb, at 4 bytes a cell)", done.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(store, "long.fpm")));
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    // A Parquet table compresses a repeated value to next to nothing (Snappy here; run-length encoding goes further), and the
    // table readers allocate every column for the rows the footer declares: a small upload of example metadata or features
    // could claim gigabytes. The footer's rows x columns are checked against the matrix limit before the job is queued.
    [Theory]
    [InlineData("examples")]
    [InlineData("taskFeatures")]
    [InlineData("exampleFeatures")]
    public async Task Upload_ParquetTableDeclaringMoreCellsThanTheMatrixLimit_Is413BeforeAnythingIsRead(string field)
    {
        var store = RepoPaths.NewTempFolder("fp-server-table");
        try
        {
            using var factory = new ServerFactory(store, maxUploadMb: "1", maxMatrixMb: "1");
            using var client = factory.CreateClient();
            var table = RepeatedParquet(300_000);
            Assert.InRange(table.Length, 1, 1 << 20);
            using var form = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "t"), ("method", "mf"));
            form.Add(new ByteArrayContent(table), field, "big.parquet");
            await (await client.PostAsync("/v1/models", form))
                .ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "big.parquet declares 300,000 rows of 2 columns", "more than the 262,144 cells the server accepts in an uploaded table (--max-matrix-mb)");
            Assert.Empty(Directory.GetFiles(store, ".*"));
            Assert.Empty((await (await client.GetAsync("/v1/jobs")).JsonAsync()).GetProperty("jobs").EnumerateArray());

            // A table within the limit passes the check (and is then read as usual).
            using var small = Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "t"), ("method", "mf"));
            small.Add(new ByteArrayContent(RepeatedParquet(1_000)), field, "small.parquet");
            Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync("/v1/models", small)).StatusCode);
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    // Two string columns of one repeated value each, SNAPPY-compressed by our writer.
    private static byte[] RepeatedParquet(int rows)
    {
        using var bytes = new MemoryStream();
        using (var writer = ParquetWriter.Create(bytes, [new ParquetColumnSpec("id", ParquetValueType.String), new ParquetColumnSpec("source", ParquetValueType.String)], leaveOpen: true))
        {
            writer.WriteRows([ParquetColumnData.FromStrings(Enumerable.Repeat<string?>("x", rows).ToArray()), ParquetColumnData.FromStrings(Enumerable.Repeat<string?>("y", rows).ToArray())]);
            writer.Complete();
        }

        return bytes.ToArray();
    }

    [Fact]
    public void MatrixLimit_IsSixteenTimesTheUploadLimit_UnlessSet()
    {
        Assert.Equal(1L << 30, new ServerOptions { StoreDirectory = "." }.MatrixLimit);
        Assert.Equal(3L << 20, new ServerOptions { StoreDirectory = ".", MaxMatrixBytes = 3L << 20 }.MatrixLimit);
    }

    // A deflated .npz holding one (1, n) float64 array of zeros, as np.savez_compressed writes it.
    private static byte[] DeflatedZeros(int n)
    {
        using var bytes = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(bytes, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        using (var entry = archive.CreateEntry("z.npy", System.IO.Compression.CompressionLevel.SmallestSize).Open())
        {
            var dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f8', 'fortran_order': False, 'shape': (1, {n}), }}");
            var total = 10 + dict.Length + 1;
            var header = dict + new string(' ', ((total + 63) / 64 * 64) - total) + "\n";
            entry.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, (byte)(header.Length >> 8)]);
            entry.Write(Encoding.ASCII.GetBytes(header));
            entry.Write(new byte[8L * n > int.MaxValue ? 0 : 8 * n]);
        }

        return bytes.ToArray();
    }

    // The cache was keyed on length and write time: a model replaced by another of the same size and time (cp -p, rsync -a,
    // tar) was served stale, with the same version. The checksum the model file records tells them apart.
    [Fact]
    public async Task ModelReplacedBySameSizeAndTime_IsReloaded_WithANewVersion()
    {
        var model = new AdditiveFitter().Fit(_synthetic.Matrix);
        var path = Path.Combine(_store, "st.fpm");
        var other = Path.Combine(_store, "other.bin");
        ModelFile.Save(model, path, new Dictionary<string, string> { ["method"] = "additive", ["r2"] = "0.25" });
        ModelFile.Save(model, other, new Dictionary<string, string> { ["method"] = "additive", ["r2"] = "0.75" });
        Assert.Equal(new FileInfo(path).Length, new FileInfo(other).Length);
        var time = new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, time);
        var before = await (await _client.GetAsync("/v1/models/st")).JsonAsync();
        Assert.Equal(0.25, before.GetProperty("r2").GetDouble());

        // As cp -p does: the other file's bytes, the old file's size and time.
        File.Copy(other, path, overwrite: true);
        File.SetLastWriteTimeUtc(path, time);
        var after = await (await _client.GetAsync("/v1/models/st")).JsonAsync();
        Assert.Equal(0.75, after.GetProperty("r2").GetDouble());
        Assert.NotEqual(before.GetProperty("version").GetString(), after.GetProperty("version").GetString());
        Assert.Equal(ModelFile.ReadChecksum(path)![..16], after.GetProperty("version").GetString()![^16..]);
        File.Delete(other);
    }

    [Fact]
    public async Task Restart_LosesNothing_TheStoreIsTheState()
    {
        await UploadAndWaitAsync("kept", "mf");
        using (var restarted = new ServerFactory(_store))
        using (var client = restarted.CreateClient())
        {
            var model = await (await client.GetAsync("/v1/models/kept")).JsonAsync();
            Assert.Equal(240, model.GetProperty("exampleCount").GetInt32());
            Assert.Equal(20, (await (await client.PostAsync("/v1/models/kept/predict", Http.Json("{\"observed\": {\"3\": 0.2}}"))).JsonAsync()).GetProperty("top").GetArrayLength());
        }
    }

    [Fact]
    public async Task Start_RemovesStaleTemporaryFiles_AndNeverListsTemporaryFiles()
    {
        // Names from before the process id was embedded count by age; names with the id of a process that is gone are
        // debris at once (TemporaryFiles holds the one rule the store and every atomic write share).
        string Guid32() => Guid.NewGuid().ToString("N");
        var old = new[] { $".upload-{Guid32()}.npy", $".old.fpm.{Guid32()}.tmp", $".old.examples.csv.{Guid32()}.tmp" }.Select(f => Path.Combine(_store, f)).ToArray();
        var orphaned = Path.Combine(_store, $".upload-{int.MaxValue}-{Guid32()}.npy");
        var stale = old.Append(orphaned).ToArray();
        var fresh = Path.Combine(_store, $".upload-{Guid32()}.npy");
        foreach (var path in stale.Append(fresh))
        {
            File.WriteAllText(path, "partial");
        }

        // The orphaned name carries no mark of this machine, so it counts as another host's until an hour unwritten.
        foreach (var path in old.Append(orphaned))
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-2));
        }

        using var restarted = new ServerFactory(_store);
        using var client = restarted.CreateClient();
        Assert.Empty((await (await client.GetAsync("/v1/models")).JsonAsync()).GetProperty("models").EnumerateArray());
        Assert.All(stale, path => Assert.False(File.Exists(path), path));
        Assert.True(File.Exists(fresh), "a fresh temporary file may belong to an upload in progress");
    }

    [Fact]
    public async Task ConcurrentUploadsAndPredictions_DoNotCorruptTheStore()
    {
        // Given: one model to query, then three names uploaded twice each (overwrite) while predictions run on every name.
        await UploadAndWaitAsync("base", "mf");
        var names = new[] { "c1", "c2", "c3" };
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var jobs = new System.Collections.Concurrent.ConcurrentBag<string>();
        var uploads = names.SelectMany(n => new[] { "additive", "mf" }.Select(m => (Name: n, Method: m))).Select(async u =>
        {
            var response = await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", u.Name), ("method", u.Method), ("overwrite", "true")));
            // 202, or 409 while the same name is being fitted: never anything else.
            Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                jobs.Add((await response.JsonAsync(HttpStatusCode.Accepted)).GetProperty("id").GetString()!);
            }
        });
        var queries = Enumerable.Range(0, 120).Select(async i =>
        {
            var name = i % 4 == 0 ? "base" : names[i % 3];
            var response = await _client.PostAsync($"/v1/models/{name}/predict", Http.Json("{\"observed\": {\"5\": 0.1, \"17\": 0.3}, \"top\": 5}"));
            statuses.Add(response.StatusCode);
            // A model not written yet is 404; a model being replaced is served old or new, never half.
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, await response.Content.ReadAsStringAsync());
        });
        await Task.WhenAll(uploads.Concat(queries));
        foreach (var id in jobs)
        {
            Assert.Equal("succeeded", (await WaitAsync(_client, id)).GetProperty("state").GetString());
        }

        // Then: every model file is complete, each is served, and no temporary file is left.
        Assert.Contains(HttpStatusCode.OK, statuses);
        foreach (var name in names.Append("base"))
        {
            Assert.Equal(240, ModelFile.Load(Path.Combine(_store, name + ".fpm")).Model.ExampleCount);
            await (await _client.PostAsync($"/v1/models/{name}/predict", Http.Json("{}"))).JsonAsync();
        }

        AssertNoTemporaryFiles();
    }

    // An auto fit of 60 x 40,000 noise, held at its "fitting" stage until its cancellation token is cancelled (FitQueue's
    // StageReported): a cancel or a shutdown then always reaches a running fit, however fast the machine (unheld, the fit took
    // about 2 s, and a test's uploads between "fitting" and its DELETE could outlast it). Released, the fit must notice the
    // cancel itself, at its next sweep.
    private static byte[] LongFitBytes() =>
        MatrixBytes(SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 60, Examples = 40_000, Seed = 8, KeepSignal = false }).Matrix, ".npy");

    private static async Task<string> UploadRunningAsync(ServerFactory factory, HttpClient client, string name)
    {
        factory.Services.GetRequiredService<FitQueue>().StageReported = (job, stage, cancellation) =>
        {
            if (job.Name == name && stage == "fitting")
            {
                cancellation.WaitHandle.WaitOne(TimeSpan.FromMinutes(2));
            }
        };
        var job = await (await client.PostAsync("/v1/models", Http.Upload("long.npy", LongFitBytes(), ("name", name), ("method", "auto")))).JsonAsync(HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while ((await (await client.GetAsync($"/v1/jobs/{id}")).JsonAsync()).GetProperty("stage").GetString() != "fitting")
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {id} did not start fitting");
            await Task.Delay(20);
        }

        return id;
    }

    [Fact]
    public async Task DeleteJob_FailsAQueuedJobAtOnce_AndStopsARunningOneAtItsNextSweep()
    {
        using var factory = new ServerFactory(_store, maxUploadMb: "16");
        using var client = factory.CreateClient();
        var running = await UploadRunningAsync(factory, client, "long");
        var queued = (await (await client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "small"), ("method", "mf"))))
            .JsonAsync(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;

        // Queued: failed at once as cancelled, its upload deleted, its name free again.
        var cancelled = await (await client.DeleteAsync($"/v1/jobs/{queued}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(("failed", "cancelled"), (cancelled.GetProperty("state").GetString(), cancelled.GetProperty("stage").GetString()));
        Assert.Contains($"cancelled (DELETE /v1/jobs/{queued}) before it started", cancelled.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(_store, ".*"));

        // Cancelled jobs leave the queue's count at once: after cancelling a full queue (8 waiting fits), one more is taken.
        var options = factory.Services.GetRequiredService<ServerOptions>();
        for (var round = 0; round < 2; round++)
        {
            var waiting = new List<string>();
            for (var q = 0; q < (round == 0 ? options.MaxQueuedFits : 1); q++)
            {
                var response = await client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", $"q{round}-{q}"), ("method", "mf")));
                waiting.Add((await response.JsonAsync(HttpStatusCode.Accepted)).GetProperty("id").GetString()!);
            }

            foreach (var id in waiting)
            {
                await (await client.DeleteAsync($"/v1/jobs/{id}")).JsonAsync(HttpStatusCode.OK);
            }
        }

        // Running: told to stop (202), then failed as cancelled; no model, no temporary file.
        var stopping = await (await client.DeleteAsync($"/v1/jobs/{running}")).JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(("running", "cancelling"), (stopping.GetProperty("state").GetString(), stopping.GetProperty("stage").GetString()));
        var stopped = await WaitAsync(client, running);
        Assert.Equal(("failed", "cancelled"), (stopped.GetProperty("state").GetString(), stopped.GetProperty("stage").GetString()));
        Assert.Contains($"cancelled (DELETE /v1/jobs/{running}) before it finished", stopped.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_store, "long.fpm")));
        AssertNoTemporaryFiles();

        // A finished job is left as it is; an unknown one is 404.
        Assert.Equal(stopped.ToString(), (await (await client.DeleteAsync($"/v1/jobs/{running}")).JsonAsync(HttpStatusCode.OK)).ToString());
        await (await client.DeleteAsync("/v1/jobs/0123456789abcdef")).ProblemAsync(HttpStatusCode.NotFound, "No job '0123456789abcdef'");

        // The cancelled name can be uploaded again.
        var again = (await (await client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "small"), ("method", "mf"))))
            .JsonAsync(HttpStatusCode.Accepted)).GetProperty("id").GetString()!;
        Assert.Equal("succeeded", (await WaitAsync(client, again)).GetProperty("state").GetString());
    }

    // A cancel that reached a job the worker had just taken, before its first progress report, showed state "queued" with stage
    // "cancelling".
    [Fact]
    public void ACancellingJob_IsRunning_EvenBeforeItsFirstReport()
    {
        var job = new FitJob("m", "mf", new ModelSettings(), new MatrixReadOptions(), new UploadedFile("none.npy", "z.npy", 0), null, overwrite: false);
        Assert.Equal(("queued", "queued"), (job.ToDto().State, job.ToDto().Stage));

        job.Cancelling();
        job.Report("reading", 0.05);

        var dto = job.ToDto();
        Assert.Equal(("running", "cancelling"), (dto.State, dto.Stage));
        Assert.NotNull(dto.Started);
    }

    // fit --known (the cells auto and ensemble tune for) had no upload field: an uploaded auto model was always tuned for 30.
    [Fact]
    public async Task Upload_Known_TunesAutoForThatManyCells_AndIsRefusedWhereItDoesNotApply()
    {
        var job = await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "tuned"), ("method", "auto"), ("known", "5"))))
            .JsonAsync(HttpStatusCode.Accepted);
        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        var tuning = (await (await _client.GetAsync("/v1/models/tuned")).JsonAsync()).GetProperty("metadata").GetProperty("tuning").GetString();
        Assert.Contains("with 5 known cells", tuning, StringComparison.Ordinal);

        await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "mf"), ("method", "mf"), ("known", "5"))))
            .ProblemAsync(HttpStatusCode.BadRequest, "\"known\" does not apply to 'mf' (only auto and ensemble simulate the cells you will measure)");
        await (await _client.PostAsync("/v1/models", Http.Upload("z.npy", MatrixBytes(_synthetic.Matrix, ".npy"), ("name", "auto"), ("known", "five"))))
            .ProblemAsync(HttpStatusCode.BadRequest, "'known' must be a whole number, not 'five'.");
    }

    [Fact]
    public async Task Shutdown_StopsARunningFit_AndLeavesNoTemporaryFile()
    {
        FitJob job;
        using (var factory = new ServerFactory(_store, maxUploadMb: "16"))
        using (var client = factory.CreateClient())
        {
            var id = await UploadRunningAsync(factory, client, "long");
            job = factory.Services.GetRequiredService<FitQueue>().Find(id)!;

            // The fit leaves the other cores to queries.
            Assert.Equal(factory.Services.GetRequiredService<ServerOptions>().FitThreads, job.Settings.MaxThreads);
        }

        // The host has stopped: the fit was stopped with it (not left running past the shutdown), and its upload deleted.
        var dto = job.ToDto();
        Assert.Equal(("failed", "cancelled"), (dto.State, dto.Stage));
        Assert.Equal("The server stopped while this fit ran; upload the matrix again.", dto.Error);
        Assert.Empty(Directory.GetFiles(_store, ".*"));
        Assert.False(File.Exists(Path.Combine(_store, "long.fpm")));
    }

    internal static byte[] MatrixBytes(ForgettingMatrix matrix, string extension)
    {
        var path = Path.Combine(RepoPaths.NewTempFolder("fp-server-matrix"), "m" + extension);
        MatrixFile.Write(matrix, path);
        return File.ReadAllBytes(path);
    }

    internal static async Task<JsonElement> WaitAsync(HttpClient client, string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var job = await (await client.GetAsync($"/v1/jobs/{id}")).JsonAsync();
            if (job.GetProperty("state").GetString() is "succeeded" or "failed")
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {id} did not finish: {job}");
            await Task.Delay(50);
        }
    }

    private async Task UploadAndWaitAsync(string name, string method, (string, string)? extra = null, string fileName = "z.npy")
    {
        var fields = new List<(string, string)> { ("name", name), ("method", method) };
        if (extra is { } e)
        {
            fields.Add(e);
        }

        var job = await (await _client.PostAsync("/v1/models", Http.Upload(fileName, MatrixBytes(_synthetic.Matrix, ".npy"), [.. fields]))).JsonAsync(HttpStatusCode.Accepted);
        var done = await WaitAsync(_client, job.GetProperty("id").GetString()!);
        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
    }

    private void AssertNoTemporaryFiles()
    {
        // Jobs delete their upload when they end; give a just-finished job a moment.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Directory.GetFiles(_store, ".*").Length > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.Empty(Directory.GetFiles(_store, ".*"));
    }
}

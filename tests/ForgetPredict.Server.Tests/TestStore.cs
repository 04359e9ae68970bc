using System.Globalization;
using System.Text;
using ForgetPredict.Core;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Testing;

namespace ForgetPredict.Server.Tests;

/// <summary>
/// A store folder with the models the tests query: <c>small</c> (mf rank 3, 15 tasks x 600 examples, grouped by
/// <c>group</c>), <c>multi</c> (the same model with two metadata columns), <c>plain</c> (additive, no metadata),
/// <c>binary</c> (logistic on a 0/1 matrix) and <c>broken</c> (not a model file). The synthetic matrix's first task is
/// held out: its cells are the "new task" the queries measure.
/// </summary>
public sealed class TestStore : IDisposable
{
    public TestStore()
    {
        Directory = RepoPaths.NewTempFolder("fp-server-store");
        var synthetic = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 16, Examples = 600, Seed = 7, KeepSignal = false });
        Matrix = synthetic.Matrix;
        Groups = synthetic.ExampleGroups;
        Training = Matrix.SelectTasks(Enumerable.Range(1, Matrix.TaskCount - 1).ToArray());
        Small = new LowRankFitter(new LowRankOptions { Rank = 3 }).FitLowRank(Training);
        Save("small", Small, "mf");
        WriteMetadata("small", ("group", Groups));
        Save("multi", Small, "mf");
        WriteMetadata("multi", ("group", Groups), ("half", [.. Groups.Select((_, j) => j < 300 ? "first" : "second")]));
        Save("plain", ModelCatalog.CreateFitter("additive", new ModelSettings()).Fit(Training), "additive");
        var binary = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 200, Binary = true, Seed = 3, KeepSignal = false }).Matrix;
        Save("binary", ModelCatalog.CreateFitter("logistic", new ModelSettings { Rank = 2 }).Fit(binary), "logistic");
        File.WriteAllBytes(Path.Combine(Directory, "broken.fpm"), Encoding.ASCII.GetBytes("this is not a model"));

        // Damaged long ago: a file written moments ago that does not load counts as one being copied in (a 503 to retry).
        File.SetLastWriteTimeUtc(Path.Combine(Directory, "broken.fpm"), DateTime.UtcNow.AddHours(-1));
    }

    /// <summary>The store folder.</summary>
    public string Directory { get; }

    /// <summary>The full synthetic matrix (task 0 is the held-out new task).</summary>
    public ForgettingMatrix Matrix { get; }

    /// <summary>The matrix without task 0: what the models were fitted on.</summary>
    public ForgettingMatrix Training { get; }

    /// <summary>Each example's group.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>The model saved as <c>small</c> and <c>multi</c>.</summary>
    public FactorModel Small { get; }

    /// <summary>The held-out task's measured cells at <paramref name="count"/> evenly spaced examples, as JSON object members.</summary>
    public (int[] Examples, double[] Values, string Json) Observed(int count = 30)
    {
        var examples = Enumerable.Range(0, count).Select(i => i * (Matrix.ExampleCount / count)).ToArray();
        var values = examples.Select(j => (double)Matrix[0, j]).ToArray();
        var json = "{" + string.Join(",", examples.Select((j, i) => string.Create(CultureInfo.InvariantCulture, $"\"{Matrix.ExampleIds[j]}\":{values[i]:R}"))) + "}";
        return (examples, values, json);
    }

    /// <summary>Writes a model file with the metadata 'fit' saves.</summary>
    public void Save(string name, IForgettingModel model, string method) =>
        ModelFile.Save(model, Path.Combine(Directory, name + ".fpm"), new Dictionary<string, string>
        {
            ["method"] = method,
            ["source"] = "synthetic.npy",
            ["r2"] = "0.9",
        });

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void WriteMetadata(string name, params (string Column, IReadOnlyList<string> Values)[] columns)
    {
        var text = new StringBuilder("id," + string.Join(",", columns.Select(c => c.Column)) + "\n");
        for (var j = 0; j < Groups.Count; j++)
        {
            text.Append(Small.ExampleIds[j]).Append(',').AppendJoin(',', columns.Select(c => c.Values[j])).Append('\n');
        }

        File.WriteAllText(Path.Combine(Directory, name + ".examples.csv"), text.ToString());
    }
}

/// <summary>The service in the ASP.NET test host over a store, through <see cref="Program"/> and its configuration keys.</summary>
public sealed class ServerFactory(string store, string? apiKeyFile = null, string maxBodyMb = "0.05", string maxUploadMb = "4", string? maxMatrixMb = null)
    : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<ServerOptions>
{
    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        builder.UseSetting("store", store);
        builder.UseSetting("max-body-mb", maxBodyMb);
        builder.UseSetting("max-upload-mb", maxUploadMb);
        if (maxMatrixMb is not null)
        {
            builder.UseSetting("max-matrix-mb", maxMatrixMb);
        }

        if (apiKeyFile is not null)
        {
            builder.UseSetting("api-key-file", apiKeyFile);
        }
    }
}

/// <summary>One store and one test host shared by the tests of a class (the store is only read by them).</summary>
public sealed class ServerFixture : IDisposable
{
    public ServerFixture()
    {
        Store = new TestStore();
        Factory = new ServerFactory(Store.Directory);
        Client = Factory.CreateClient();
    }

    public TestStore Store { get; }

    public ServerFactory Factory { get; }

    public HttpClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        Store.Dispose();
    }
}

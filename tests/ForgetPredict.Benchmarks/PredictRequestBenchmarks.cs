using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ForgetPredict.Core;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;
using ForgetPredict.Data;
using ForgetPredict.Server;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// The server's predict request path (issue 6: at least 2,000 requests/s on 2 cores) on an mf rank-5 model of the
/// published size (85 x 141,816, six example groups), 30 measured cells, top 20, grouped. The baseline is what the CLI
/// computes for the same answer: fold-in plus the full <see cref="ErasureReport"/>.
/// </summary>
[MemoryDiagnoser]
public class PredictRequestBenchmarks
{
    private string _folder = string.Empty;
    private ModelStore _store = null!;
    private StoredModel _model = null!;
    private byte[] _body = [];
    private PredictRequest _request = null!;
    private int[] _known = [];
    private double[] _values = [];
    private IReadOnlyList<string> _groups = [];
    private MemoryStream _output = new();

    /// <summary>Fits the model into a temporary store with example metadata and builds the request body.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var synthetic = SyntheticForgetting.Generate(new SyntheticOptions
        {
            Tasks = BenchmarkInputs.PublishedTasks + 1,
            Examples = BenchmarkInputs.PublishedExamples,
            KeepSignal = false,
            Seed = 42,
        });
        var z = synthetic.Matrix;
        var train = z.SelectTasks(Enumerable.Range(1, z.TaskCount - 1).ToArray());
        var model = new LowRankFitter(new LowRankOptions { Rank = 5, MaxIterations = 5 }).FitLowRank(train);
        _folder = Path.Combine(Path.GetTempPath(), $"fp-bench-server-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        ModelFile.Save(model, Path.Combine(_folder, "bench.fpm"));
        _groups = synthetic.ExampleGroups;
        var csv = new StringBuilder("id,group\n");
        for (var j = 0; j < _groups.Count; j++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{model.ExampleIds[j]},{_groups[j]}\n");
        }

        File.WriteAllText(Path.Combine(_folder, "bench.examples.csv"), csv.ToString());
        _store = new ModelStore(_folder);
        _model = _store.Get("bench");
        var n = model.ExampleCount;
        _known = Enumerable.Range(0, 30).Select(i => i * (n / 30)).ToArray();
        _values = _known.Select(j => (double)z[0, j]).ToArray();
        var observed = string.Join(",", _known.Select((j, i) => string.Create(CultureInfo.InvariantCulture, $"\"{model.ExampleIds[j]}\":{_values[i]:R}")));
        _body = Encoding.UTF8.GetBytes($"{{\"observed\":{{{observed}}},\"top\":20,\"groupBy\":\"group\"}}");
        _request = JsonSerializer.Deserialize(_body, ServerJson.Wire.PredictRequest)!;
        _ = _model.Grouping("group");
    }

    /// <summary>Removes the temporary store.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    /// <summary>What the CLI's report computes for the same answer: fold-in and the full erasure report (every example sorted, exact tails).</summary>
    [Benchmark(Baseline = true)]
    public ErasureReport CliReport() =>
        ErasureReport.Create(_model.Model.FoldIn(_known, _values), _model.Model.ExampleIds, ExampleGroups.FromLabels(_groups), new ErasureOptions { Top = 20 });

    /// <summary>The server's answer without HTTP: fold-in, top 20, groups with intervals and shares, the SVG chart.</summary>
    [Benchmark]
    public PredictResponse ServerForecast() => Forecaster.Predict(_model, _request);

    /// <summary>The whole request path short of the socket: store lookup, JSON body parsed, forecast, JSON answer written.</summary>
    [Benchmark]
    public long PredictRequest()
    {
        var request = JsonSerializer.Deserialize(_body, ServerJson.Wire.PredictRequest)!;
        var response = Forecaster.Predict(_store.Get("bench"), request);
        _output.Position = 0;
        JsonSerializer.Serialize(_output, response, ServerJson.Wire.PredictResponse);
        return _output.Position;
    }
}

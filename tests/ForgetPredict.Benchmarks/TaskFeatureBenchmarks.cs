using BenchmarkDotNet.Attributes;
using ForgetPredict.Core;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// Prediction from task features on the published shape: an mf model of 84 training tasks x 141,816 examples with a
/// 512-dimensional task embedding. Targets (issue 12): a cold-start (features only) or warm-start (features and 30 cells)
/// prediction of every example, mean and std, under 1 ms; fitting the feature model adds under 20% to the model's fit.
/// </summary>
[MemoryDiagnoser]
public class TaskFeatureBenchmarks
{
    private const int EmbeddingWidth = 512;

    private ForgettingMatrix _train = null!;
    private FactorModel _model = null!;
    private FeatureSet _trainFeatures = null!;
    private FeatureSet _trainSettingsAndData = null!;
    private FeatureSet _query = null!;
    private TaskFeatureModel _featureModel = null!;
    private int[] _known = [];
    private double[] _values = [];
    private double[] _mean = [];
    private double[] _std = [];

    /// <summary>Fits the model and its feature model; the held-out task 0 is the query.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var z = BenchmarkInputs.Published;
        var m = z.TaskCount;
        var n = z.ExampleCount;
        var random = new Random(7);
        var embedding = new double[m * EmbeddingWidth];
        for (var i = 0; i < m; i++)
        {
            // An embedding that carries the task's mean forgetting in a few directions, plus noise in the rest.
            var signal = 0.0;
            var row = z.Row(i);
            for (var j = 0; j < n; j++)
            {
                signal += row[j] / n;
            }

            for (var c = 0; c < EmbeddingWidth; c++)
            {
                embedding[(i * EmbeddingWidth) + c] = (c < 8 ? 20 * signal : 0) + random.NextDouble();
            }
        }

        var all = new FeatureSet(z.TaskIds, [new FeatureBlock("task_emb.npy", FeatureKind.Embedding, [.. Enumerable.Range(0, EmbeddingWidth).Select(c => $"e{c}")], embedding)]);
        // A settings table beside it (learning rate, steps, a family), as charlm-d and charlm-v give: the prior then also
        // tries every file together (the combined views), the costliest fit.
        var settings = new double[m * 2];
        var families = new double[m * 3];
        for (var i = 0; i < m; i++)
        {
            settings[2 * i] = Math.Pow(10, -4 + random.NextDouble());
            settings[(2 * i) + 1] = 50 * (1 + random.Next(12));
            families[(i * 3) + random.Next(3)] = 1;
        }

        var both = FeatureSet.Combine(
        [
            new FeatureSet(z.TaskIds, [new FeatureBlock("tasks.csv", FeatureKind.Numeric, ["lr", "steps"], settings), new FeatureBlock("tasks.csv categories", FeatureKind.Categorical, ["family=a", "family=b", "family=c"], families)]),
            all,
        ]);
        var trainRows = Enumerable.Range(1, m - 1).ToArray();
        _train = z.SelectTasks(trainRows);
        _trainFeatures = all.Select(trainRows);
        _trainSettingsAndData = both.Select(trainRows);
        _query = all.Select([0]);
        _model = FitModel();
        _featureModel = TaskFeatureModel.Fit(_model, _trainFeatures);
        _known = Enumerable.Range(0, 30).Select(i => i * (n / 30)).ToArray();
        _values = _known.Select(j => (double)z[0, j]).ToArray();
        _mean = new double[n];
        _std = new double[n];
    }

    /// <summary>Cold start: the prior from the task's embedding, then every example's mean and std.</summary>
    [Benchmark]
    public double[] ColdStartPredictions()
    {
        var prior = _featureModel.Prior(_query);
        _model.FoldIn([], [], new FoldInOptions { TaskPrior = prior }).PredictRow(_mean, _std);
        return _mean;
    }

    /// <summary>Warm start: the prior from the embedding and 30 measured cells, then every example's mean and std.</summary>
    [Benchmark]
    public double[] WarmStartPredictions()
    {
        var prior = _featureModel.Prior(_query, 0, _model, _known, _values);
        _model.FoldIn(_known, _values, new FoldInOptions { TaskPrior = prior }).PredictRow(_mean, _std);
        return _mean;
    }

    /// <summary>Cold start, predicted means only.</summary>
    [Benchmark]
    public double[] ColdStartMeans()
    {
        var prior = _featureModel.Prior(_query);
        _model.FoldIn([], [], new FoldInOptions { TaskPrior = prior }).PredictRow(_mean, default);
        return _mean;
    }

    /// <summary>Warm start from 30 cells, predicted means only.</summary>
    [Benchmark]
    public double[] WarmStartMeans()
    {
        var prior = _featureModel.Prior(_query, 0, _model, _known, _values);
        _model.FoldIn(_known, _values, new FoldInOptions { TaskPrior = prior }).PredictRow(_mean, default);
        return _mean;
    }

    /// <summary>The mf fit the feature model is added to (the reference for the 20% budget).</summary>
    [Benchmark]
    public FactorModel FitModel() => new LowRankFitter().FitLowRank(_train);

    /// <summary>Fitting the feature model on the fitted model's training tasks.</summary>
    [Benchmark]
    public TaskFeatureModel FitFeatureModel() => TaskFeatureModel.Fit(_model, _trainFeatures);

    /// <summary>Fitting the feature model from a settings table (numeric and categorical) and the embedding: each file alone and all together.</summary>
    [Benchmark]
    public TaskFeatureModel FitFeatureModelFromSettingsAndEmbedding() => TaskFeatureModel.Fit(_model, _trainSettingsAndData);
}

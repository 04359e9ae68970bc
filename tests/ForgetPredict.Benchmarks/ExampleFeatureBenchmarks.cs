using BenchmarkDotNet.Attributes;
using ForgetPredict.Core;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Benchmarks;

/// <summary>
/// Fitting the example feature model (cold columns) beside the mf fit it extends: 31 tasks x 50,000 measured examples, each
/// with a 768-dimensional embedding, a base loss and one of 8 sources (charlm-d's side information at ten times its
/// examples and twice its embedding width).
/// </summary>
[MemoryDiagnoser]
public class ExampleFeatureBenchmarks
{
    private const int EmbeddingWidth = 768;

    private ForgettingMatrix _matrix = null!;
    private FactorModel _model = null!;
    private FeatureSet _features = null!;

    /// <summary>Builds the matrix, its features and the model.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var examples = BenchmarkInputs.IsSmoke ? 2_000 : 50_000;
        _matrix = BenchmarkInputs.Synthetic(31, examples);
        var random = new Random(11);
        var embedding = new double[examples * EmbeddingWidth];
        var loss = new double[examples];
        var source = new double[examples * 8];
        for (var j = 0; j < examples; j++)
        {
            loss[j] = 1 + random.NextDouble();
            source[(j * 8) + random.Next(8)] = 1;
            for (var c = 0; c < EmbeddingWidth; c++)
            {
                embedding[(j * EmbeddingWidth) + c] = random.NextDouble() - 0.5;
            }
        }

        _features = new FeatureSet(_matrix.ExampleIds,
        [
            new FeatureBlock("upstream.csv", FeatureKind.Numeric, ["base_loss"], loss),
            new FeatureBlock("upstream.csv categories", FeatureKind.Categorical, [.. Enumerable.Range(0, 8).Select(s => $"source={s}")], source),
            new FeatureBlock("example_emb.npy", FeatureKind.Embedding, [.. Enumerable.Range(0, EmbeddingWidth).Select(c => $"e{c}")], embedding),
        ]);
        _model = FitModel();
    }

    /// <summary>The mf fit the example feature model is added to.</summary>
    [Benchmark]
    public FactorModel FitModel() => new LowRankFitter().FitLowRank(_matrix);

    /// <summary>The example feature model: ridge of every example parameter on 777 encoded columns, strength by leave-one-out.</summary>
    [Benchmark]
    public ExampleFeatureModel FitExampleFeatureModel() => ExampleFeatureModel.Fit(_model, _features);
}

using BenchmarkDotNet.Attributes;
using ForgetPredict.Core.Numerics;
using ForgetPredict.Testing;

namespace ForgetPredict.Benchmarks;

/// <summary>The hand-written kernels against their scalar reference implementations (the naive baseline).</summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private float[] _z = [];
    private double[] _offset = [];
    private double[] _destination = [];
    private double[] _factors = [];
    private double[] _weights = [];
    private double[] _covariance = [];
    private double[] _variance = [];
    private Half[] _halves = [];
    private float[] _singles = [];

    /// <summary>Vector length.</summary>
    [Params(64, 1_024, 16_384)]
    public int Length { get; set; } = 1_024;

    /// <summary>Random inputs with 5% NaN.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20230828);
        _z = Enumerable.Range(0, Length).Select(_ => random.NextDouble() < 0.05 ? float.NaN : (float)random.NextDouble()).ToArray();
        _offset = Enumerable.Range(0, Length).Select(_ => random.NextDouble()).ToArray();
        _destination = new double[Length];
        _variance = new double[Length];
        _halves = new Half[Length];
        _singles = new float[Length];
        _factors = Enumerable.Range(0, 5 * Length).Select(_ => random.NextDouble()).ToArray();
        _weights = [0.1, 0.2, 0.3, 0.4, 0.5];
        _covariance = new double[36];
        for (var i = 0; i < 6; i++)
        {
            _covariance[(i * 6) + i] = 1;
        }
    }

    /// <summary>Scalar reference of the masked residual.</summary>
    [Benchmark(Baseline = true)]
    public int MaskedResidualScalar() => ScalarReference.MaskedResidual(_z, _offset, 0.5, _destination);

    /// <summary>Vectorised masked residual.</summary>
    [Benchmark]
    public int MaskedResidual() => Residuals.Masked(_z, _offset, 0.5, _destination);

    /// <summary>Scalar reference of the fused row prediction (rank 5, with variance).</summary>
    [Benchmark]
    public double[] RowPredictionScalar()
    {
        ScalarReference.RowPrediction(_factors, Length, 5, _weights, _offset, 0.1, 0, _destination, true, _covariance, _variance);
        return _variance;
    }

    /// <summary>Vectorised fused row prediction (rank 5, with variance).</summary>
    [Benchmark]
    public double[] RowPredictionFused()
    {
        RowPrediction.Evaluate(_factors, Length, 5, _weights, _offset, 0.1, 0, _destination, true, _covariance, _variance);
        return _variance;
    }

    /// <summary>Scalar reference of the scan for NaN, infinity and 0/1 values.</summary>
    [Benchmark]
    public long ScanScalar() => ScalarReference.Scan(_z).Missing;

    /// <summary>Vectorised scan.</summary>
    [Benchmark]
    public long Scan() => ValueScan.Scan(_z).MissingCount;

    /// <summary>The runtime's cast to half precision, value by value (the residual directions' storage).</summary>
    [Benchmark]
    public Half[] HalfCastScalar()
    {
        for (var j = 0; j < _offset.Length; j++)
        {
            _halves[j] = (Half)_offset[j];
        }

        return _halves;
    }

    /// <summary>Vectorised conversion to half precision (the same bits).</summary>
    [Benchmark]
    public Half[] HalfFromDouble()
    {
        HalfPrecision.FromDouble(_offset, _halves);
        return _halves;
    }

    /// <summary>Vectorised conversion back to single precision.</summary>
    [Benchmark]
    public float[] HalfToSingle()
    {
        HalfPrecision.ToSingle(_halves, _singles);
        return _singles;
    }
}

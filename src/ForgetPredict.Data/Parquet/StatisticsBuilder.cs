using System.Buffers.Binary;
using System.Text;

namespace ForgetPredict.Data.Parquet;

// Column chunk statistics as parquet.thrift's min_value/max_value define them with TYPE_ORDER: integers compare
// signed, floating-point values numerically with NaN left out (and the zero rule: a min of 0 is written -0.0, a
// max of 0 is written +0.0, because readers cannot know which zero sign was seen), booleans false < true, and
// strings as unsigned UTF-8 bytes. Values are stored PLAIN-encoded (strings without their length prefix).

/// <summary>Accumulates the minimum and maximum of one column chunk's non-null values.</summary>
internal sealed class StatisticsBuilder
{
    private readonly ParquetValueType _type;
    private bool _any;
    private double _minDouble = double.PositiveInfinity;
    private double _maxDouble = double.NegativeInfinity;
    private long _minLong = long.MaxValue;
    private long _maxLong = long.MinValue;
    private byte[]? _minBytes;
    private byte[]? _maxBytes;

    public StatisticsBuilder(ParquetValueType type) => _type = type;

    public void AddDoubles(ReadOnlySpan<double> values, ReadOnlySpan<int> levels)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (levels[i] != 0 && !double.IsNaN(values[i]))
            {
                _any = true;
                _minDouble = Math.Min(_minDouble, values[i]);
                _maxDouble = Math.Max(_maxDouble, values[i]);
            }
        }
    }

    public void AddFloats(ReadOnlySpan<float> values, ReadOnlySpan<int> levels)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (levels[i] != 0 && !float.IsNaN(values[i]))
            {
                _any = true;
                _minDouble = Math.Min(_minDouble, values[i]);
                _maxDouble = Math.Max(_maxDouble, values[i]);
            }
        }
    }

    public void AddInt32s(ReadOnlySpan<int> values, ReadOnlySpan<int> levels)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (levels[i] != 0)
            {
                AddLong(values[i]);
            }
        }
    }

    public void AddInt64s(ReadOnlySpan<long> values, ReadOnlySpan<int> levels)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (levels[i] != 0)
            {
                AddLong(values[i]);
            }
        }
    }

    public void AddBoolean(bool value) => AddLong(value ? 1 : 0);

    public void AddString(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        _any = true;
        if (_minBytes is null || bytes.AsSpan().SequenceCompareTo(_minBytes) < 0)
        {
            _minBytes = bytes;
        }

        if (_maxBytes is null || bytes.AsSpan().SequenceCompareTo(_maxBytes) > 0)
        {
            _maxBytes = bytes;
        }
    }

    /// <summary>The PLAIN-encoded minimum and maximum, or nulls when no (non-NaN) value was seen.</summary>
    public (byte[]? Min, byte[]? Max) Result()
    {
        if (!_any)
        {
            return (null, null);
        }

        switch (_type)
        {
            case ParquetValueType.Double:
            {
                var min = new byte[8];
                var max = new byte[8];
                BinaryPrimitives.WriteDoubleLittleEndian(min, _minDouble == 0 ? -0.0 : _minDouble);
                BinaryPrimitives.WriteDoubleLittleEndian(max, _maxDouble == 0 ? 0.0 : _maxDouble);
                return (min, max);
            }

            case ParquetValueType.Float:
            {
                var min = new byte[4];
                var max = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(min, _minDouble == 0 ? -0.0f : (float)_minDouble);
                BinaryPrimitives.WriteSingleLittleEndian(max, _maxDouble == 0 ? 0.0f : (float)_maxDouble);
                return (min, max);
            }

            case ParquetValueType.Int32:
            {
                var min = new byte[4];
                var max = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(min, (int)_minLong);
                BinaryPrimitives.WriteInt32LittleEndian(max, (int)_maxLong);
                return (min, max);
            }

            case ParquetValueType.Int64:
            {
                var min = new byte[8];
                var max = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(min, _minLong);
                BinaryPrimitives.WriteInt64LittleEndian(max, _maxLong);
                return (min, max);
            }

            case ParquetValueType.Boolean:
                return ([(byte)_minLong], [(byte)_maxLong]);
            default:
                return (_minBytes, _maxBytes);
        }
    }

    private void AddLong(long value)
    {
        _any = true;
        _minLong = Math.Min(_minLong, value);
        _maxLong = Math.Max(_maxLong, value);
    }
}

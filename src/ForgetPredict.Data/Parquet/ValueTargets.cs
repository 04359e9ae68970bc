using System.Globalization;

namespace ForgetPredict.Data.Parquet;

// A value target converts decoded physical values (already in host primitives) into the caller's element type.
// The reader's page loop is generic over the target, so the JIT produces one specialised loop per target type and
// the conversions below inline; dictionaries are converted once per column chunk with the same methods, which is
// how dictionary-encoded string columns share one string instance per entry.

/// <summary>Converts physical Parquet values into elements of <typeparamref name="T"/>.</summary>
internal interface IValueTarget<T>
{
    /// <summary>The element a null becomes.</summary>
    static abstract T Null { get; }

    /// <summary>What the read method is called, for messages.</summary>
    static abstract string MethodName { get; }

    /// <summary>True when the target can hold BYTE_ARRAY values.</summary>
    static abstract bool AcceptsByteArrays { get; }

    /// <summary>False when only presence matters and values need not be decoded.</summary>
    static virtual bool NeedsValues => true;

    /// <summary>Marks every element present (only called when <see cref="NeedsValues"/> is false).</summary>
    static virtual void FillPresent(Span<T> destination) => throw new InvalidOperationException();

    static abstract void FromInt32(ReadOnlySpan<int> source, Span<T> destination, bool unsigned);

    static abstract void FromInt64(ReadOnlySpan<long> source, Span<T> destination, bool unsigned);

    static abstract void FromFloat(ReadOnlySpan<float> source, Span<T> destination);

    static abstract void FromDouble(ReadOnlySpan<double> source, Span<T> destination);

    /// <summary>Converts booleans given as 0/1 integers.</summary>
    static abstract void FromBoolean(ReadOnlySpan<int> source, Span<T> destination);

    /// <summary>Converts one BYTE_ARRAY value (only called when <see cref="AcceptsByteArrays"/>).</summary>
    static abstract T FromBytes(ReadOnlySpan<byte> value);
}

/// <summary>Reads numbers as double: integers convert exactly up to 2^53, null becomes NaN.</summary>
internal readonly struct DoubleTarget : IValueTarget<double>
{
    public static double Null => double.NaN;

    public static string MethodName => "ReadDoubles";

    public static bool AcceptsByteArrays => false;

    public static void FromInt32(ReadOnlySpan<int> source, Span<double> destination, bool unsigned)
    {
        if (unsigned)
        {
            for (var i = 0; i < source.Length; i++)
            {
                destination[i] = (uint)source[i];
            }
        }
        else
        {
            for (var i = 0; i < source.Length; i++)
            {
                destination[i] = source[i];
            }
        }
    }

    public static void FromInt64(ReadOnlySpan<long> source, Span<double> destination, bool unsigned)
    {
        if (unsigned)
        {
            for (var i = 0; i < source.Length; i++)
            {
                destination[i] = (ulong)source[i];
            }
        }
        else
        {
            for (var i = 0; i < source.Length; i++)
            {
                destination[i] = source[i];
            }
        }
    }

    public static void FromFloat(ReadOnlySpan<float> source, Span<double> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }

    public static void FromDouble(ReadOnlySpan<double> source, Span<double> destination) => source.CopyTo(destination);

    public static void FromBoolean(ReadOnlySpan<int> source, Span<double> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }

    public static double FromBytes(ReadOnlySpan<byte> value) => throw new InvalidOperationException();
}

/// <summary>Reads numbers as float32 (doubles and large integers round to nearest), null becomes NaN.</summary>
internal readonly struct FloatTarget : IValueTarget<float>
{
    public static float Null => float.NaN;

    public static string MethodName => "ReadFloats";

    public static bool AcceptsByteArrays => false;

    public static void FromInt32(ReadOnlySpan<int> source, Span<float> destination, bool unsigned)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = unsigned ? (uint)source[i] : source[i];
        }
    }

    public static void FromInt64(ReadOnlySpan<long> source, Span<float> destination, bool unsigned)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = unsigned ? (ulong)source[i] : source[i];
        }
    }

    public static void FromFloat(ReadOnlySpan<float> source, Span<float> destination) => source.CopyTo(destination);

    public static void FromDouble(ReadOnlySpan<double> source, Span<float> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = (float)source[i];
        }
    }

    public static void FromBoolean(ReadOnlySpan<int> source, Span<float> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }

    public static float FromBytes(ReadOnlySpan<byte> value) => throw new InvalidOperationException();
}

/// <summary>Reads integers as long; floating-point columns are refused by the reader before this is used.</summary>
internal readonly struct Int64Target : IValueTarget<long>
{
    public static long Null => throw new InvalidOperationException();

    public static string MethodName => "ReadInt64s";

    public static bool AcceptsByteArrays => false;

    public static void FromInt32(ReadOnlySpan<int> source, Span<long> destination, bool unsigned)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = unsigned ? (uint)source[i] : source[i];
        }
    }

    public static void FromInt64(ReadOnlySpan<long> source, Span<long> destination, bool unsigned) => source.CopyTo(destination);

    public static void FromFloat(ReadOnlySpan<float> source, Span<long> destination) => throw new InvalidOperationException();

    public static void FromDouble(ReadOnlySpan<double> source, Span<long> destination) => throw new InvalidOperationException();

    public static void FromBoolean(ReadOnlySpan<int> source, Span<long> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }
    }

    public static long FromBytes(ReadOnlySpan<byte> value) => throw new InvalidOperationException();
}

/// <summary>Reads text: BYTE_ARRAY as UTF-8, numbers formatted culture-invariant (round-trip form), null stays null.</summary>
internal readonly struct StringTarget : IValueTarget<string?>
{
    public static string? Null => null;

    public static string MethodName => "ReadStrings";

    public static bool AcceptsByteArrays => true;

    public static void FromInt32(ReadOnlySpan<int> source, Span<string?> destination, bool unsigned)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = unsigned ? ((uint)source[i]).ToString(CultureInfo.InvariantCulture) : source[i].ToString(CultureInfo.InvariantCulture);
        }
    }

    public static void FromInt64(ReadOnlySpan<long> source, Span<string?> destination, bool unsigned)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = unsigned ? ((ulong)source[i]).ToString(CultureInfo.InvariantCulture) : source[i].ToString(CultureInfo.InvariantCulture);
        }
    }

    public static void FromFloat(ReadOnlySpan<float> source, Span<string?> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i].ToString("R", CultureInfo.InvariantCulture);
        }
    }

    public static void FromDouble(ReadOnlySpan<double> source, Span<string?> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i].ToString("R", CultureInfo.InvariantCulture);
        }
    }

    public static void FromBoolean(ReadOnlySpan<int> source, Span<string?> destination)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i] != 0 ? "true" : "false";
        }
    }

    public static string? FromBytes(ReadOnlySpan<byte> value) => Utf8Text.Decode(value, "a string value");
}

/// <summary>Reads only presence: true for a value, false for a null (the values themselves are not converted).</summary>
internal readonly struct PresenceTarget : IValueTarget<bool>
{
    public static bool Null => false;

    public static string MethodName => "ReadPresence";

    public static bool AcceptsByteArrays => true;

    public static bool NeedsValues => false;

    public static void FillPresent(Span<bool> destination) => destination.Fill(true);

    public static void FromInt32(ReadOnlySpan<int> source, Span<bool> destination, bool unsigned) => destination[..source.Length].Fill(true);

    public static void FromInt64(ReadOnlySpan<long> source, Span<bool> destination, bool unsigned) => destination[..source.Length].Fill(true);

    public static void FromFloat(ReadOnlySpan<float> source, Span<bool> destination) => destination[..source.Length].Fill(true);

    public static void FromDouble(ReadOnlySpan<double> source, Span<bool> destination) => destination[..source.Length].Fill(true);

    public static void FromBoolean(ReadOnlySpan<int> source, Span<bool> destination) => destination[..source.Length].Fill(true);

    public static bool FromBytes(ReadOnlySpan<byte> value) => true;
}

/// <summary>Reads BYTE_ARRAY values as indices into the reader's current <see cref="Utf8IdTable"/>, null as -1. The
/// decoder maps the bytes itself (the table is per call, which a static conversion cannot reach); only BYTE_ARRAY
/// columns are read this way.</summary>
internal readonly struct IdTarget : IValueTarget<int>
{
    public static int Null => -1;

    public static string MethodName => "ReadIds";

    public static bool AcceptsByteArrays => true;

    public static void FromInt32(ReadOnlySpan<int> source, Span<int> destination, bool unsigned) => throw new InvalidOperationException();

    public static void FromInt64(ReadOnlySpan<long> source, Span<int> destination, bool unsigned) => throw new InvalidOperationException();

    public static void FromFloat(ReadOnlySpan<float> source, Span<int> destination) => throw new InvalidOperationException();

    public static void FromDouble(ReadOnlySpan<double> source, Span<int> destination) => throw new InvalidOperationException();

    public static void FromBoolean(ReadOnlySpan<int> source, Span<int> destination) => throw new InvalidOperationException();

    public static int FromBytes(ReadOnlySpan<byte> value) => throw new InvalidOperationException();
}

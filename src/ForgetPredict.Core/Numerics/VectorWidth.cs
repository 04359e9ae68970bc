using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// The operations a kernel body needs from one SIMD width, so one generic body serves Vector512, Vector256 and Vector128:
/// the body is written once against <typeparamref name="TVector"/> and instantiated with <see cref="Width512{T}"/>,
/// <see cref="Width256{T}"/> and <see cref="Width128{T}"/> (structs, so the JIT compiles one specialised copy per width
/// and inlines every operation).
/// </summary>
/// <typeparam name="TVector">The vector type (Vector512&lt;T&gt;, Vector256&lt;T&gt; or Vector128&lt;T&gt;).</typeparam>
/// <typeparam name="T">The element type (double or float).</typeparam>
/// <remarks>Every operation is the plain IEEE operation lane by lane (no fused multiply-add), so a body written with them
/// computes in each lane exactly what the same scalar expression computes.</remarks>
internal interface IVectorWidth<TVector, T>
    where TVector : struct
    where T : IFloatingPointIeee754<T>
{
    /// <summary>True when this width runs in hardware (otherwise the body would be emulated; callers skip it).</summary>
    static abstract bool IsHardwareAccelerated { get; }

    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVector Create(T value);

    /// <summary>Loads Count elements at <paramref name="source"/> + <paramref name="index"/> (unchecked: the caller bounds it).</summary>
    static abstract TVector Load(ref T source, nuint index);

    /// <summary>Stores Count elements at <paramref name="destination"/> + <paramref name="index"/> (unchecked).</summary>
    static abstract void Store(TVector value, ref T destination, nuint index);

    /// <summary>left + right.</summary>
    static abstract TVector Add(TVector left, TVector right);

    /// <summary>left - right.</summary>
    static abstract TVector Subtract(TVector left, TVector right);

    /// <summary>left * right.</summary>
    static abstract TVector Multiply(TVector left, TVector right);

    /// <summary>left / right.</summary>
    static abstract TVector Divide(TVector left, TVector right);

    /// <summary>|value|.</summary>
    static abstract TVector Abs(TVector value);

    /// <summary>The square root of each lane (correctly rounded, as Math.Sqrt).</summary>
    static abstract TVector Sqrt(TVector value);

    /// <summary>The larger of each pair of lanes, as Math.Max (NaN propagates, +0 above -0).</summary>
    static abstract TVector Max(TVector left, TVector right);

    /// <summary>e^value (the runtime's vector Exp).</summary>
    static abstract TVector Exp(TVector value);

    /// <summary>All-ones lanes where left &gt; right.</summary>
    static abstract TVector GreaterThan(TVector left, TVector right);

    /// <summary>All-ones lanes where left &lt; right.</summary>
    static abstract TVector LessThan(TVector left, TVector right);

    /// <summary>Lanes of <paramref name="ifTrue"/> where <paramref name="mask"/> is set, else of <paramref name="ifFalse"/>.</summary>
    static abstract TVector Select(TVector mask, TVector ifTrue, TVector ifFalse);

    /// <summary>The lanes of <paramref name="value"/> with every NaN lane replaced by +0.</summary>
    static abstract TVector ZeroNaN(TVector value);

    /// <summary>The sum of the lanes (the runtime's fixed order for this width).</summary>
    static abstract T Sum(TVector value);
}

/// <summary>Vector512 operations (AVX-512).</summary>
internal readonly struct Width512<T> : IVectorWidth<Vector512<T>, T>
    where T : IFloatingPointIeee754<T>
{
    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;

    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Create(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nuint index) => Vector512.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> left, Vector512<T> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Subtract(Vector512<T> left, Vector512<T> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> left, Vector512<T> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Divide(Vector512<T> left, Vector512<T> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Abs(Vector512<T> value) => Vector512.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sqrt(Vector512<T> value) => Vector512.Sqrt(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Max(Vector512<T> left, Vector512<T> right) => Vector512.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exp(Vector512<T> value) => typeof(T) == typeof(double)
        ? Vector512.Exp(value.AsDouble()).As<double, T>()
        : Vector512.Exp(value.AsSingle()).As<float, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> GreaterThan(Vector512<T> left, Vector512<T> right) => Vector512.GreaterThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LessThan(Vector512<T> left, Vector512<T> right) => Vector512.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Select(Vector512<T> mask, Vector512<T> ifTrue, Vector512<T> ifFalse) => Vector512.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ZeroNaN(Vector512<T> value) => value & Vector512.Equals(value, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector512<T> value) => Vector512.Sum(value);
}

/// <summary>Vector256 operations (AVX2).</summary>
internal readonly struct Width256<T> : IVectorWidth<Vector256<T>, T>
    where T : IFloatingPointIeee754<T>
{
    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;

    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Create(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> left, Vector256<T> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Subtract(Vector256<T> left, Vector256<T> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> left, Vector256<T> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Divide(Vector256<T> left, Vector256<T> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Abs(Vector256<T> value) => Vector256.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sqrt(Vector256<T> value) => Vector256.Sqrt(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> left, Vector256<T> right) => Vector256.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exp(Vector256<T> value) => typeof(T) == typeof(double)
        ? Vector256.Exp(value.AsDouble()).As<double, T>()
        : Vector256.Exp(value.AsSingle()).As<float, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> GreaterThan(Vector256<T> left, Vector256<T> right) => Vector256.GreaterThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LessThan(Vector256<T> left, Vector256<T> right) => Vector256.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Select(Vector256<T> mask, Vector256<T> ifTrue, Vector256<T> ifFalse) => Vector256.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ZeroNaN(Vector256<T> value) => value & Vector256.Equals(value, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector256<T> value) => Vector256.Sum(value);
}

/// <summary>Vector128 operations (SSE2 / AdvSimd: every x64 and arm64 machine).</summary>
internal readonly struct Width128<T> : IVectorWidth<Vector128<T>, T>
    where T : IFloatingPointIeee754<T>
{
    public static bool IsHardwareAccelerated => Vector128.IsHardwareAccelerated;

    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Create(T value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> left, Vector128<T> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Subtract(Vector128<T> left, Vector128<T> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Multiply(Vector128<T> left, Vector128<T> right) => left * right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Divide(Vector128<T> left, Vector128<T> right) => left / right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Abs(Vector128<T> value) => Vector128.Abs(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sqrt(Vector128<T> value) => Vector128.Sqrt(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Max(Vector128<T> left, Vector128<T> right) => Vector128.Max(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Exp(Vector128<T> value) => typeof(T) == typeof(double)
        ? Vector128.Exp(value.AsDouble()).As<double, T>()
        : Vector128.Exp(value.AsSingle()).As<float, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> GreaterThan(Vector128<T> left, Vector128<T> right) => Vector128.GreaterThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> LessThan(Vector128<T> left, Vector128<T> right) => Vector128.LessThan(left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Select(Vector128<T> mask, Vector128<T> ifTrue, Vector128<T> ifFalse) => Vector128.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ZeroNaN(Vector128<T> value) => value & Vector128.Equals(value, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector128<T> value) => Vector128.Sum(value);
}

/// <summary>
/// Loads single-precision values widened to double, for a body written against <see cref="IVectorWidth{TVector, T}"/> of
/// double: one load of 2 x Count floats gives two double vectors (widening is exact).
/// </summary>
/// <typeparam name="TVector">The double vector type of the matching width.</typeparam>
internal interface IWidening<TVector>
    where TVector : struct
{
    /// <summary>The 2 x Count floats at <paramref name="source"/> + <paramref name="index"/> (unchecked) as two double vectors.</summary>
    static abstract (TVector Low, TVector High) LoadWidened(ref float source, nuint index);
}

/// <summary>Widening loads at 512 bits.</summary>
internal readonly struct Widening512 : IWidening<Vector512<double>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<double> Low, Vector512<double> High) LoadWidened(ref float source, nuint index) => Vector512.Widen(Vector512.LoadUnsafe(ref source, index));
}

/// <summary>Widening loads at 256 bits.</summary>
internal readonly struct Widening256 : IWidening<Vector256<double>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<double> Low, Vector256<double> High) LoadWidened(ref float source, nuint index) => Vector256.Widen(Vector256.LoadUnsafe(ref source, index));
}

/// <summary>Widening loads at 128 bits.</summary>
internal readonly struct Widening128 : IWidening<Vector128<double>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<double> Low, Vector128<double> High) LoadWidened(ref float source, nuint index) => Vector128.Widen(Vector128.LoadUnsafe(ref source, index));
}

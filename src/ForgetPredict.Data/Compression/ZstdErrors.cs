using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ForgetPredict.Data.Compression;

/// <summary>Throw helpers for <see cref="Zstd"/>: every failure is an <see cref="InvalidDataException"/> with an invariant message.</summary>
/// <remarks>Kept out of line so the hot decoding loops stay small.</remarks>
internal static class ZstdErrors
{
    /// <summary>The input breaks a rule of RFC 8878; <paramref name="detail"/> names the rule.</summary>
    [DoesNotReturn]
    public static void Corrupt(string detail) =>
        throw new InvalidDataException("Zstandard data is corrupt: " + detail + ".");

    /// <summary>The input ends before the structure being read (<paramref name="what"/>) does.</summary>
    [DoesNotReturn]
    public static void Truncated(string what) =>
        throw new InvalidDataException("Zstandard data is truncated: the input ends inside " + what + ".");

    /// <summary>The frames decode to more bytes than the caller's destination holds.</summary>
    [DoesNotReturn]
    public static void DestinationTooSmall(int destinationLength) =>
        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
            $"Zstandard: decompressed data is larger than the {destinationLength} bytes expected."));

    /// <summary>A valid feature this decoder does not implement (<paramref name="feature"/> says which and why).</summary>
    [DoesNotReturn]
    public static void Unsupported(string feature) =>
        throw new InvalidDataException("Zstandard data uses an unsupported feature: " + feature + ".");

    /// <summary>Formats a value for a message without culture.</summary>
    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

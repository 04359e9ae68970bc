using System.Text.Unicode;

namespace ForgetPredict.Data;

/// <summary>
/// Text that must be UTF-8 (ids, column names): decoded strictly, since an id whose bad bytes silently became U+FFFD would
/// match nothing, or two different ids would become one. Each reader words the refusal with its own file and place.
/// </summary>
internal static class Utf8Text
{
    /// <summary>A byte that is not UTF-8: its 1-based position, its value and the text before it.</summary>
    internal readonly record struct Invalid(int Position, byte Value, string Before)
    {
        /// <summary>"byte 3 is 0xE9 (after 'ca')".</summary>
        public override string ToString() => FormattableString.Invariant($"byte {Position} is 0x{Value:X2} (after '{Before}')");
    }

    /// <summary>The text of <paramref name="bytes"/>, or null with <paramref name="invalid"/> naming the first byte that is not UTF-8.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> bytes, out Invalid invalid)
    {
        invalid = default;
        if (Utf8.IsValid(bytes))
        {
            return bytes.IsEmpty ? string.Empty : System.Text.Encoding.UTF8.GetString(bytes);
        }

        var chars = new char[bytes.Length];
        Utf8.ToUtf16(bytes, chars, out var valid, out var written, replaceInvalidSequences: false);
        invalid = new Invalid(valid + 1, bytes[valid], new string(chars, 0, Math.Min(written, 40)));
        return null;
    }

    /// <summary>The text of <paramref name="bytes"/>; bytes that are not UTF-8 throw <see cref="InvalidDataException"/> naming
    /// <paramref name="what"/> and the byte (callers add the file and place).</summary>
    /// <exception cref="InvalidDataException">The bytes are not UTF-8.</exception>
    public static string Decode(ReadOnlySpan<byte> bytes, string what) =>
        TryDecode(bytes, out var invalid)
        ?? throw new InvalidDataException($"{what} is not UTF-8 text: its {invalid}; write the file with UTF-8 strings.");
}

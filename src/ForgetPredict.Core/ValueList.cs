using System.Collections;

namespace ForgetPredict.Core;

/// <summary>
/// An immutable copy of a list that compares, hashes and prints by its items: what an options record keeps a list setting
/// in, so that two records with the same settings are equal (<c>new AutoOptions() == new AutoOptions()</c>) and print them.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly T[] _items;

    private ValueList(T[] items) => _items = items;

    /// <summary>A copy of <paramref name="items"/> (the caller's list can change afterwards without changing the options); null stays null, for Validate to name.</summary>
    public static ValueList<T>? Of(IReadOnlyList<T>? items) => items switch
    {
        null => null,
        ValueList<T> list => list,
        _ => new ValueList<T>([.. items]),
    };

    /// <inheritdoc />
    public int Count => _items.Length;

    /// <inheritdoc />
    public T this[int index] => _items[index];

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals(ValueList<T>? other) => other is not null && _items.AsSpan().SequenceEqual(other._items, EqualityComparer<T>.Default);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    /// <summary>The items, as <c>[1, 2, 4]</c>.</summary>
    public override string ToString() =>
        "[" + string.Join(", ", _items.Select(item => item is IFormattable number ? number.ToString(null, System.Globalization.CultureInfo.InvariantCulture) : item?.ToString())) + "]";
}

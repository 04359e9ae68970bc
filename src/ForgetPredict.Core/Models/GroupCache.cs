using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ForgetPredict.Core.Models;

/// <summary>A group's model-side moments: mean example features ([1], V_j), mean example bias, variance of the mean residual.</summary>
internal sealed record GroupMoments(double[] Features, double ExampleBias, double ResidualVariance);

/// <summary>
/// Remembers the moments of large example groups, keyed by their members (compared in full, so a hash collision costs time,
/// never correctness). Looking a group up allocates nothing. Thread-safe; holds at most <see cref="Capacity"/> groups and
/// starts over when full.
/// </summary>
internal sealed class GroupCache
{
    /// <summary>Groups smaller than this are computed every time (cheaper than hashing them).</summary>
    public const int MinimumSize = 256;

    /// <summary>Most groups remembered.</summary>
    public const int Capacity = 256;

    private readonly ConcurrentDictionary<int[], GroupMoments> _entries = new(MembersComparer.Instance);

    /// <summary>Number of groups remembered.</summary>
    public int Count => _entries.Count;

    /// <summary>The moments of <paramref name="examples"/>, computed by <paramref name="compute"/> when not remembered.</summary>
    public GroupMoments GetOrAdd(ReadOnlySpan<int> examples, Func<ReadOnlySpan<int>, GroupMoments> compute)
    {
        var lookup = _entries.GetAlternateLookup<ReadOnlySpan<int>>();
        if (lookup.TryGetValue(examples, out var found))
        {
            return found;
        }

        var moments = compute(examples);
        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }

        lookup.TryAdd(examples, moments);
        return moments;
    }

    private sealed class MembersComparer : IEqualityComparer<int[]>, IAlternateEqualityComparer<ReadOnlySpan<int>, int[]>
    {
        public static readonly MembersComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<int> alternate, int[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<int> alternate) => Hash(alternate);

        public int[] Create(ReadOnlySpan<int> alternate) => alternate.ToArray();

        // Length, three members and the (wrapping) sum of all of them: vectorised, and with the full comparison enough.
        private static int Hash(ReadOnlySpan<int> members) => members.IsEmpty ? 0
            : HashCode.Combine(members.Length, members[0], members[^1], members[members.Length / 2], TensorPrimitives.Sum<uint>(MemoryMarshal.Cast<int, uint>(members)));
    }
}

using System.Collections.Concurrent;

namespace ForgetPredict.Core.Models;

/// <summary>A group's model-side moments: mean example features ([1], V_j), mean example bias, variance of the mean residual.</summary>
internal sealed record GroupMoments(double[] Features, double ExampleBias, double ResidualVariance, int Unmeasured);

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

        // Length and 16 members at evenly spaced positions: O(1), and equal groups hash alike; the full comparison settles
        // the rest (a served query looks its groups up with every request, so the hash must not read all members).
        private static int Hash(ReadOnlySpan<int> members)
        {
            var hash = new HashCode();
            hash.Add(members.Length);
            for (var s = 0; s < 16 && members.Length > 0; s++)
            {
                hash.Add(members[(int)((long)s * (members.Length - 1) / 15)]);
            }

            return hash.ToHashCode();
        }
    }
}

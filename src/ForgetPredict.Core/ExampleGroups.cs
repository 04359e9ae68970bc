using System.Globalization;

namespace ForgetPredict.Core;

/// <summary>
/// Upstream examples partitioned into named groups (data sources, domains): the group names in order of first appearance,
/// each group's members in ascending order, and the group of each example. Built once from per-example labels and shared
/// by everything that reports or selects by group.
/// </summary>
/// <remarks><threadsafety>Immutable; safe for concurrent use.</threadsafety></remarks>
public sealed class ExampleGroups
{
    private readonly string[] _names;
    private readonly int[][] _members;
    private readonly int[] _groupOf;

    private ExampleGroups(string?[] labels, string[] names, int[][] members, int[] groupOf)
    {
        // Read-only views of the groups' own arrays: no cast changes them.
        Labels = Array.AsReadOnly(labels);
        Names = Array.AsReadOnly(names);
        _names = names;
        _members = members;
        _groupOf = groupOf;
    }

    /// <summary>Number of examples (grouped or not).</summary>
    public int ExampleCount => _groupOf.Length;

    /// <summary>Number of groups.</summary>
    public int Count => _names.Length;

    /// <summary>Each example's label as given (a read-only copy); null for an example in no group (its label null, empty or blank).</summary>
    public IReadOnlyList<string?> Labels { get; }

    /// <summary>Group names, in order of first appearance (a read-only view).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Number of examples in no group.</summary>
    public int UngroupedCount { get; private init; }

    /// <summary>The members of group <paramref name="group"/>, ascending.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The group index is not in 0..<see cref="Count"/>-1.</exception>
    public ReadOnlySpan<int> Members(int group) => (uint)group < (uint)_members.Length
        ? _members[group]
        : throw new ArgumentOutOfRangeException(nameof(group), group, string.Create(CultureInfo.InvariantCulture, $"Group index must be in 0..{_members.Length - 1} ({_members.Length} groups)."));

    /// <summary>The group index of example <paramref name="example"/>, or -1 when it is in no group.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The example index is not in 0..<see cref="ExampleCount"/>-1.</exception>
    public int GroupOf(int example) => (uint)example < (uint)_groupOf.Length
        ? _groupOf[example]
        : throw new ArgumentOutOfRangeException(nameof(example), example, string.Create(CultureInfo.InvariantCulture, $"Example index must be in 0..{_groupOf.Length - 1} ({_groupOf.Length} examples)."));

    /// <summary>Every group's members, ascending (for the components that take index lists).</summary>
    internal IReadOnlyList<int[]> MemberArrays => _members;

    /// <summary>
    /// Groups the examples by label: examples with the same (ordinal) label form a group; null labels, and empty or blank ones
    /// (a missing value in a metadata column), are in no group.
    /// </summary>
    /// <param name="labels">Each example's label; copied, so changing the list afterwards does not change the groups.</param>
    public static ExampleGroups FromLabels(IReadOnlyList<string?> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        string?[] copy = [.. labels];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        var lists = new List<List<int>>();
        var groupOf = new int[copy.Length];
        var ungrouped = 0;
        for (var j = 0; j < copy.Length; j++)
        {
            if (copy[j] is not { } label || string.IsNullOrWhiteSpace(label))
            {
                // No group is null in the labels too, so tables write it as a missing value in every format (an empty
                // string had been written to JSON and Parquet, where pandas and DuckDB read it as a group named '').
                copy[j] = null;
                groupOf[j] = -1;
                ungrouped++;
                continue;
            }

            if (!index.TryGetValue(label, out var k))
            {
                k = index[label] = lists.Count;
                names.Add(label);
                lists.Add([]);
            }

            lists[k].Add(j);
            groupOf[j] = k;
        }

        return new ExampleGroups(copy, [.. names], [.. lists.Select(l => l.ToArray())], groupOf) { UngroupedCount = ungrouped };
    }
}

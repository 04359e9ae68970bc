using System.Globalization;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// The row and column order of a matrix read from a long-layout file (one row per cell), which names cells by id and so
/// leaves the order open. Ids are taken in order of first appearance, except that an axis whose ids are all canonical
/// integers ("0", "17", "-3": no sign '+', no leading zeros) is put in numeric order. A matrix without ids (.npy, ids
/// "0".."N-1") written long and read back therefore keeps its order exactly, even when missing cells make some
/// examples first appear late.
/// </summary>
internal static class LongIdOrder
{
    /// <summary>The values and ids in the documented order; the inputs themselves when no axis needs reordering.</summary>
    public static (float[] Values, List<string> TaskIds, List<string> ExampleIds) Apply(float[] values, int m, int n, List<string> taskIds, List<string> exampleIds)
    {
        var taskOrder = NumericOrder(taskIds);
        var exampleOrder = NumericOrder(exampleIds);
        if (taskOrder is null && exampleOrder is null)
        {
            return (values, taskIds, exampleIds);
        }

        var reordered = new float[values.Length];
        for (var i = 0; i < m; i++)
        {
            var from = values.AsSpan((taskOrder?[i] ?? i) * n, n);
            var to = reordered.AsSpan(i * n, n);
            if (exampleOrder is null)
            {
                from.CopyTo(to);
                continue;
            }

            for (var j = 0; j < n; j++)
            {
                to[j] = from[exampleOrder[j]];
            }
        }

        return (reordered, Permute(taskIds, taskOrder), Permute(exampleIds, exampleOrder));
    }

    // The positions of the ids in numeric order, or null when they are not all canonical integers or already in order.
    private static int[]? NumericOrder(List<string> ids)
    {
        var numbers = new long[ids.Count];
        var sorted = true;
        for (var i = 0; i < ids.Count; i++)
        {
            if (!TryCanonical(ids[i], out numbers[i]))
            {
                return null;
            }

            sorted &= i == 0 || numbers[i - 1] < numbers[i];
        }

        if (sorted)
        {
            return null;
        }

        var order = new int[ids.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(numbers, order);
        return order;
    }

    private static bool TryCanonical(string id, out long value) =>
        long.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
        && string.Equals(id, value.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static List<string> Permute(List<string> ids, int[]? order) => order is null ? ids : [.. order.Select(i => ids[i])];
}

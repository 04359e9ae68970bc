namespace ForgetPredict.Core.Numerics;

/// <summary>
/// The k largest values of a row without sorting it: one pass with a k-entry min-heap, O(n log k). Ties go to the lower
/// index, the order the erasure report ranks by.
/// </summary>
internal static class TopSelection
{
    /// <summary>Indices of the <paramref name="k"/> largest values, largest first.</summary>
    public static int[] Largest(ReadOnlySpan<double> values, int k) => Largest(values, k, null);

    /// <summary>Indices (among <paramref name="candidates"/>, or all when null) of the <paramref name="k"/> largest values, largest first.</summary>
    public static int[] Largest(ReadOnlySpan<double> values, int k, int[]? candidates)
    {
        var n = candidates?.Length ?? values.Length;
        k = Math.Min(k, n);
        if (k <= 0)
        {
            return [];
        }

        // heap[0] is the worst kept entry: the smallest value, the highest index among equals.
        var heap = new int[k];
        var count = 0;
        var worst = double.NegativeInfinity;
        for (var t = 0; t < n; t++)
        {
            var j = candidates is null ? t : candidates[t];
            var v = values[j];
            if (count < k)
            {
                heap[count] = j;
                SiftUp(heap, count++, values);
                worst = values[heap[0]];
            }
            else if (v > worst)
            {
                // Indices arrive in increasing order, so an equal value never displaces a kept entry.
                heap[0] = j;
                SiftDown(heap, k, values);
                worst = values[heap[0]];
            }
        }

        var kept = new (double Value, int Index)[k];
        for (var i = 0; i < k; i++)
        {
            kept[i] = (values[heap[i]], heap[i]);
        }

        Array.Sort(kept, static (a, b) => b.Value.CompareTo(a.Value) is var c && c != 0 ? c : a.Index.CompareTo(b.Index));
        for (var i = 0; i < k; i++)
        {
            heap[i] = kept[i].Index;
        }

        return heap;
    }

    private static bool Better(int a, int b, ReadOnlySpan<double> values) => values[a] > values[b] || (values[a] == values[b] && a < b);

    private static void SiftUp(int[] heap, int i, ReadOnlySpan<double> values)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Better(heap[parent], heap[i], values))
            {
                break;
            }

            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private static void SiftDown(int[] heap, int count, ReadOnlySpan<double> values)
    {
        var i = 0;
        while (true)
        {
            var left = (2 * i) + 1;
            if (left >= count)
            {
                return;
            }

            var child = left + 1 < count && Better(heap[left], heap[left + 1], values) ? left + 1 : left;
            if (!Better(heap[i], heap[child], values))
            {
                return;
            }

            (heap[i], heap[child]) = (heap[child], heap[i]);
            i = child;
        }
    }
}

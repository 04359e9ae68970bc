using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernels: order statistics of a single-precision row for top-k candidate selection. Vector512 blocks whose lanes are all
/// below the current k-th value are skipped with one comparison; the few others go through a k-entry heap.
/// </summary>
internal static class SingleSelection
{
    /// <summary>The k-th largest value (counting repeats) of <paramref name="values"/>; 1 &lt;= k &lt;= length. NaN sorts lowest.</summary>
    public static float KthLargest(ReadOnlySpan<float> values, int k)
    {
        if (k < 1 || k > values.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "k must be between 1 and the number of values.");
        }

        // heap[0] is the smallest kept value.
        Span<float> heap = k <= 256 ? stackalloc float[k] : new float[k];
        var count = 0;
        var i = 0;
        for (; i < values.Length && count < k; i++)
        {
            heap[count] = Lowest(values[i]);
            SiftUp(heap, count++);
        }

        if (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated)
        {
            ref var v0 = ref MemoryMarshal.GetReference(values);
            for (; i <= values.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var block = Vector512.LoadUnsafe(ref v0, (nuint)i);
                if (!Vector512.GreaterThanAny(block, Vector512.Create(heap[0])))
                {
                    continue;
                }

                for (var lane = 0; lane < Vector512<float>.Count; lane++)
                {
                    Offer(heap, k, values[i + lane]);
                }
            }
        }

        for (; i < values.Length; i++)
        {
            Offer(heap, k, values[i]);
        }

        return heap[0];
    }

    /// <summary>Adds to <paramref name="positions"/> every position whose value is at least <paramref name="floor"/>, ascending.</summary>
    public static void AtLeast(ReadOnlySpan<float> values, float floor, List<int> positions)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated)
        {
            ref var v0 = ref MemoryMarshal.GetReference(values);
            var bound = Vector512.Create(floor);
            for (; i <= values.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var mask = Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref v0, (nuint)i), bound).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    positions.Add(i + System.Numerics.BitOperations.TrailingZeroCount(mask));
                    mask &= mask - 1;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            if (values[i] >= floor)
            {
                positions.Add(i);
            }
        }
    }

    private static float Lowest(float value) => float.IsNaN(value) ? float.NegativeInfinity : value;

    private static void Offer(Span<float> heap, int k, float value)
    {
        if (value > heap[0])
        {
            heap[0] = value;
            SiftDown(heap, k);
        }
    }

    private static void SiftUp(Span<float> heap, int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (heap[parent] <= heap[i])
            {
                return;
            }

            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private static void SiftDown(Span<float> heap, int count)
    {
        var i = 0;
        while (true)
        {
            var left = (2 * i) + 1;
            if (left >= count)
            {
                return;
            }

            var child = left + 1 < count && heap[left + 1] < heap[left] ? left + 1 : left;
            if (heap[i] <= heap[child])
            {
                return;
            }

            (heap[i], heap[child]) = (heap[child], heap[i]);
            i = child;
        }
    }
}

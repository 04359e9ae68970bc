using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ForgetPredict.Core.Numerics;

/// <summary>
/// Kernel: adds the pairwise dot products of a block of rows to a packed lower-triangular Gram matrix, four rows against
/// four at a time, so each loaded vector serves four products and sixteen sums stay in registers.
/// </summary>
/// <remarks>Each product is summed lane by lane over the vector columns, the lanes added in the runtime's fixed order, then the
/// scalar tail in column order: the result depends on the vector width but never on threads or scheduling.</remarks>
internal static class GramKernel
{
    private const int Tile = 4;

    /// <summary>
    /// Effectively <c>g[a (a + 1) / 2 + b] += sum_j rows[a * width + j] * rows[b * width + j]</c> for every b &lt;= a &lt; m
    /// (rows row-major, m x width; g the packed lower triangle, row by row).
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the shape.</exception>
    public static void AddProducts(ReadOnlySpan<double> rows, int m, int width, Span<double> g) => AddProducts(rows, m, width, g, 0, TileRows(m));

    /// <summary>The number of four-row tiles of an m-row block: <see cref="AddProducts(ReadOnlySpan{double}, int, int, Span{double}, int, int)"/>'s range.</summary>
    public static int TileRows(int m) => (m + Tile - 1) / Tile;

    /// <summary>
    /// <see cref="AddProducts(ReadOnlySpan{double}, int, int, Span{double})"/> for the rows a of tiles firstTile .. endTile - 1
    /// (a in 4 firstTile .. 4 endTile - 1) only, against every b &lt;= a. Disjoint tile ranges write disjoint entries of g, so
    /// workers may share one g, each summing exactly what the whole call would.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for the shape, or the tile range is outside 0 .. TileRows(m).</exception>
    public static void AddProducts(ReadOnlySpan<double> rows, int m, int width, Span<double> g, int firstTile, int endTile)
    {
        if (m < 0 || width < 0 || rows.Length < (long)m * width || g.Length < (long)m * (m + 1) / 2)
        {
            throw new ArgumentException("Gram kernel spans are too short for the shape.", nameof(rows));
        }

        if (firstTile < 0 || endTile < firstTile || endTile > TileRows(m))
        {
            throw new ArgumentException("The tile range lies outside the block's tiles.", nameof(firstTile));
        }

        Span<double> sums = stackalloc double[Tile * Tile];
        for (var a0 = firstTile * Tile; a0 < endTile * Tile; a0 += Tile)
        {
            for (var b0 = 0; b0 <= a0; b0 += Tile)
            {
                Products(rows, m, width, a0, b0, sums);
                for (var x = 0; x < Tile && a0 + x < m; x++)
                {
                    var a = a0 + x;
                    for (var y = 0; y < Tile && b0 + y <= a; y++)
                    {
                        g[(a * (a + 1) / 2) + b0 + y] += sums[(x * Tile) + y];
                    }
                }
            }
        }
    }

    // sums[x * 4 + y] = dot(row a0 + x, row b0 + y); rows past the end repeat the last row (their sums are not used).
    private static void Products(ReadOnlySpan<double> rows, int m, int width, int a0, int b0, Span<double> sums)
    {
        var done = 0;
        if (Width512<double>.IsHardwareAccelerated)
        {
            done = Body<Width512<double>, Vector512<double>>(rows, m, width, a0, b0, sums);
        }
        else if (Width256<double>.IsHardwareAccelerated)
        {
            done = Body<Width256<double>, Vector256<double>>(rows, m, width, a0, b0, sums);
        }
        else if (Width128<double>.IsHardwareAccelerated)
        {
            done = Body<Width128<double>, Vector128<double>>(rows, m, width, a0, b0, sums);
        }
        else
        {
            sums.Clear();
        }

        for (var x = 0; x < Tile; x++)
        {
            var a = rows.Slice(Math.Min(a0 + x, m - 1) * width, width);
            for (var y = 0; y < Tile; y++)
            {
                var b = rows.Slice(Math.Min(b0 + y, m - 1) * width, width);
                var s = sums[(x * Tile) + y];
                for (var j = done; j < width; j++)
                {
                    s += a[j] * b[j];
                }

                sums[(x * Tile) + y] = s;
            }
        }
    }

    private static int Body<TWidth, TVector>(ReadOnlySpan<double> rows, int m, int width, int a0, int b0, Span<double> sums)
        where TWidth : IVectorWidth<TVector, double>
        where TVector : struct
    {
        var count = TWidth.Count;
        var end = width - (width % count);
        ref var r = ref MemoryMarshal.GetReference(rows);
        var pa0 = (nuint)(Math.Min(a0, m - 1) * width);
        var pa1 = (nuint)(Math.Min(a0 + 1, m - 1) * width);
        var pa2 = (nuint)(Math.Min(a0 + 2, m - 1) * width);
        var pa3 = (nuint)(Math.Min(a0 + 3, m - 1) * width);
        var pb0 = (nuint)(Math.Min(b0, m - 1) * width);
        var pb1 = (nuint)(Math.Min(b0 + 1, m - 1) * width);
        var pb2 = (nuint)(Math.Min(b0 + 2, m - 1) * width);
        var pb3 = (nuint)(Math.Min(b0 + 3, m - 1) * width);
        var zero = TWidth.Create(0);
        TVector s00 = zero, s01 = zero, s02 = zero, s03 = zero, s10 = zero, s11 = zero, s12 = zero, s13 = zero;
        TVector s20 = zero, s21 = zero, s22 = zero, s23 = zero, s30 = zero, s31 = zero, s32 = zero, s33 = zero;
        for (var j = 0; j < end; j += count)
        {
            var at = (nuint)j;
            var b0v = TWidth.Load(ref r, pb0 + at);
            var b1v = TWidth.Load(ref r, pb1 + at);
            var b2v = TWidth.Load(ref r, pb2 + at);
            var b3v = TWidth.Load(ref r, pb3 + at);
            var a = TWidth.Load(ref r, pa0 + at);
            s00 = TWidth.Add(s00, TWidth.Multiply(a, b0v));
            s01 = TWidth.Add(s01, TWidth.Multiply(a, b1v));
            s02 = TWidth.Add(s02, TWidth.Multiply(a, b2v));
            s03 = TWidth.Add(s03, TWidth.Multiply(a, b3v));
            a = TWidth.Load(ref r, pa1 + at);
            s10 = TWidth.Add(s10, TWidth.Multiply(a, b0v));
            s11 = TWidth.Add(s11, TWidth.Multiply(a, b1v));
            s12 = TWidth.Add(s12, TWidth.Multiply(a, b2v));
            s13 = TWidth.Add(s13, TWidth.Multiply(a, b3v));
            a = TWidth.Load(ref r, pa2 + at);
            s20 = TWidth.Add(s20, TWidth.Multiply(a, b0v));
            s21 = TWidth.Add(s21, TWidth.Multiply(a, b1v));
            s22 = TWidth.Add(s22, TWidth.Multiply(a, b2v));
            s23 = TWidth.Add(s23, TWidth.Multiply(a, b3v));
            a = TWidth.Load(ref r, pa3 + at);
            s30 = TWidth.Add(s30, TWidth.Multiply(a, b0v));
            s31 = TWidth.Add(s31, TWidth.Multiply(a, b1v));
            s32 = TWidth.Add(s32, TWidth.Multiply(a, b2v));
            s33 = TWidth.Add(s33, TWidth.Multiply(a, b3v));
        }

        sums[0] = TWidth.Sum(s00);
        sums[1] = TWidth.Sum(s01);
        sums[2] = TWidth.Sum(s02);
        sums[3] = TWidth.Sum(s03);
        sums[4] = TWidth.Sum(s10);
        sums[5] = TWidth.Sum(s11);
        sums[6] = TWidth.Sum(s12);
        sums[7] = TWidth.Sum(s13);
        sums[8] = TWidth.Sum(s20);
        sums[9] = TWidth.Sum(s21);
        sums[10] = TWidth.Sum(s22);
        sums[11] = TWidth.Sum(s23);
        sums[12] = TWidth.Sum(s30);
        sums[13] = TWidth.Sum(s31);
        sums[14] = TWidth.Sum(s32);
        sums[15] = TWidth.Sum(s33);
        return end;
    }
}

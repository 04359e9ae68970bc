namespace ForgetPredict.Core.Numerics;

/// <summary>Derives independent, reproducible seeds from several integers (SplitMix64 finaliser). HashCode.Combine is
/// randomised per process, so it must never be used for seeds.</summary>
internal static class Seeds
{
    /// <summary>A non-negative seed that depends on every input bit of (<paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/>).</summary>
    public static int Mix(int a, int b, int c = 0)
    {
        var x = ((ulong)(uint)a << 32) ^ ((ulong)(uint)b << 16) ^ (uint)c ^ ((ulong)(uint)c << 48);
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return (int)((x ^ (x >> 31)) & 0x7FFFFFFF);
    }
}

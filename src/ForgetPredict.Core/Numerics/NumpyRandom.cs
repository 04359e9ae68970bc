namespace ForgetPredict.Core.Numerics;

/// <summary>
/// numpy's default generator, <c>numpy.random.default_rng(seed)</c>, bit for bit for the draws the reference protocol makes:
/// PCG64 seeded through <c>SeedSequence</c>, <c>integers</c> / <c>choice</c> with replacement (Lemire's bounded method on
/// 32-bit halves of the 64-bit outputs) and <c>choice(..., replace=False)</c> (Floyd's algorithm, or a tail shuffle for large
/// populations, then a Fisher-Yates shuffle), as numpy 1.17+ implements them.
/// </summary>
/// <remarks>Lets <c>evaluate</c> reveal exactly the cells a numpy-based reference pipeline revealed, so its numbers can be
/// checked to the digit. Not thread-safe (a stream of draws).</remarks>
public sealed class NumpyRandom
{
    private static readonly UInt128 s_multiplier = new(0x2360ED051FC65DA4UL, 0x4385DF649FCCF645UL);
    private UInt128 _state;
    private readonly UInt128 _increment;
    private bool _hasHalf;
    private uint _half;

    /// <summary>The generator <c>numpy.random.default_rng(seed)</c> returns.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seed"/> is negative (numpy refuses it too).</exception>
    public NumpyRandom(long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        var words = SeedSequenceState(seed, 4);
        var initState = new UInt128(words[0], words[1]);
        var sequence = new UInt128(words[2], words[3]);
        _increment = (sequence << 1) | 1;
        _state = 0;
        Step();
        _state += initState;
        Step();
    }

    /// <summary>The next raw 64-bit output (PCG64 XSL-RR), as <c>bit_generator.random_raw()</c>.</summary>
    public ulong NextUInt64()
    {
        Step();
        var high = (ulong)(_state >> 64);
        var low = (ulong)_state;
        return ulong.RotateRight(high ^ low, (int)(_state >> 122));
    }

    /// <summary>The next 32-bit output: the low half of a 64-bit output, then its high half.</summary>
    public uint NextUInt32()
    {
        if (_hasHalf)
        {
            _hasHalf = false;
            return _half;
        }

        var next = NextUInt64();
        _hasHalf = true;
        _half = (uint)(next >> 32);
        return (uint)next;
    }

    /// <summary>A uniform integer in [0, <paramref name="maxInclusive"/>], as numpy's <c>random_bounded_uint64</c> (unmasked).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The bound is negative or needs more than 32 bits.</exception>
    public long Bounded(long maxInclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxInclusive);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxInclusive, uint.MaxValue);
        if (maxInclusive == 0)
        {
            return 0;
        }

        if (maxInclusive == uint.MaxValue)
        {
            return NextUInt32();
        }

        // Lemire's nearly divisionless method on 32-bit draws.
        var range = (uint)maxInclusive + 1;
        var m = (ulong)NextUInt32() * range;
        var leftover = (uint)m;
        if (leftover < range)
        {
            var threshold = (uint.MaxValue - (uint)maxInclusive) % range;
            while (leftover < threshold)
            {
                m = (ulong)NextUInt32() * range;
                leftover = (uint)m;
            }
        }

        return (long)(m >> 32);
    }

    /// <summary><c>Generator.choice(n, size)</c> (with replacement): <c>integers(0, n, size)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is not positive or <paramref name="size"/> negative.</exception>
    public int[] Choice(int n, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var result = new int[size];
        for (var t = 0; t < size; t++)
        {
            result[t] = (int)Bounded(n - 1);
        }

        return result;
    }

    /// <summary><c>Generator.choice(n, size, replace=False)</c> (shuffled, as by default).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative or larger than <paramref name="n"/>.</exception>
    public int[] ChoiceWithoutReplacement(int n, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, n);
        if (n > 10000 && size > n / 50)
        {
            // Tail shuffle: the last `size` entries of a partial Fisher-Yates shuffle of 0..n-1.
            var all = new int[n];
            for (var i = 0; i < n; i++)
            {
                all[i] = i;
            }

            Shuffle(all, Math.Max(n - size, 1));
            return all[(n - size)..];
        }

        // Floyd's algorithm, with numpy's open-addressing set (its probing only decides membership, so a plain set
        // gives the same draws).
        var chosen = new HashSet<int>();
        var idx = new int[size];
        for (var j = n - size; j < n; j++)
        {
            var value = (int)Bounded(j);
            if (!chosen.Add(value))
            {
                value = j;
                chosen.Add(j);
            }

            idx[j - n + size] = value;
        }

        Shuffle(idx, 1);
        return idx;
    }

    // numpy's _shuffle_int: for i from n-1 down to `first`, swap data[i] with data[bounded(i)].
    private void Shuffle(int[] data, int first)
    {
        for (var i = data.Length - 1; i >= first; i--)
        {
            var j = (int)Bounded(i);
            (data[i], data[j]) = (data[j], data[i]);
        }
    }

    private void Step() => _state = (_state * s_multiplier) + _increment;

    // SeedSequence(seed).generate_state(words, uint64): the 4-word entropy pool mixed from the seed's 32-bit words, then
    // hashed out as 2 x words 32-bit values read as little-endian 64-bit words.
    private static ulong[] SeedSequenceState(long seed, int words)
    {
        const uint InitA = 0x43b0d7e5, MultA = 0x931e8875, InitB = 0x8b51f9dd, MultB = 0x58f38ded;
        const uint MixMultL = 0xca01f9dd, MixMultR = 0x4973f715;
        const int PoolSize = 4, XShift = 16;
        var entropy = new List<uint>();
        var rest = (ulong)seed;
        do
        {
            entropy.Add((uint)rest);
            rest >>= 32;
        }
        while (rest != 0);

        var hashConst = InitA;
        uint HashMix(uint value)
        {
            value ^= hashConst;
            hashConst *= MultA;
            value *= hashConst;
            return value ^ (value >> XShift);
        }

        static uint Mix(uint x, uint y)
        {
            var result = (MixMultL * x) - (MixMultR * y);
            return result ^ (result >> XShift);
        }

        var pool = new uint[PoolSize];
        for (var i = 0; i < PoolSize; i++)
        {
            pool[i] = HashMix(i < entropy.Count ? entropy[i] : 0);
        }

        for (var src = 0; src < PoolSize; src++)
        {
            for (var dst = 0; dst < PoolSize; dst++)
            {
                if (src != dst)
                {
                    pool[dst] = Mix(pool[dst], HashMix(pool[src]));
                }
            }
        }

        for (var src = PoolSize; src < entropy.Count; src++)
        {
            for (var dst = 0; dst < PoolSize; dst++)
            {
                pool[dst] = Mix(pool[dst], HashMix(entropy[src]));
            }
        }

        var hashB = InitB;
        var state = new ulong[words];
        for (var w = 0; w < 2 * words; w++)
        {
            var value = pool[w % PoolSize] ^ hashB;
            hashB *= MultB;
            value *= hashB;
            value ^= value >> XShift;
            state[w / 2] |= (ulong)value << (32 * (w % 2));
        }

        return state;
    }
}

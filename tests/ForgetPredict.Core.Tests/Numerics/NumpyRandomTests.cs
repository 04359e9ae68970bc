using System.Globalization;
using ForgetPredict.Core.Numerics;
using ForgetPredict.Testing;

namespace ForgetPredict.Core.Tests.Numerics;

public class NumpyRandomTests
{
    private static ulong[][] Python(string expression, params long[] seeds)
    {
        var script = "import sys, numpy as np\nfor s in map(int, sys.argv[1:]):\n    print(' '.join(str(int(x)) for x in " + expression + "))";
        var output = ExternalTool.RunPython(script, [.. seeds.Select(s => s.ToString(CultureInfo.InvariantCulture))]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => ulong.Parse(x, CultureInfo.InvariantCulture)).ToArray()).ToArray();
    }

    [Fact]
    public void ReferenceDraws_CharlmB_MatchTheIssueTable()
    {
        // The published protocol's test rows: numpy default_rng(0).choice(47, 15, replace=False).
        Assert.Equal([0, 1, 2, 7, 9, 11, 17, 21, 22, 27, 28, 34, 40, 45, 46], new NumpyRandom(0).ChoiceWithoutReplacement(47, 15).Order());
    }

    [Fact]
    public void RawOutputs_MatchNumpyPcg64_BitForBit()
    {
        long[] seeds = [0, 1, 42, 12345, 4_294_967_296, 1L << 62];
        var expected = Python("np.random.default_rng(s).bit_generator.random_raw(5)", seeds);
        for (var s = 0; s < seeds.Length; s++)
        {
            var random = new NumpyRandom(seeds[s]);
            Assert.Equal(expected[s], Enumerable.Range(0, 5).Select(_ => random.NextUInt64()));
        }
    }

    [Fact]
    public void ChoiceWithReplacement_MatchesNumpy()
    {
        long[] seeds = [0, 1, 2, 3, 7, 9, 1000];
        var expected = Python("np.random.default_rng(s).choice(2400, 30)", seeds);
        var large = Python("np.random.default_rng(s).choice(141816, 100)", seeds);
        var small = Python("np.random.default_rng(s).choice(5, 40)", seeds);
        for (var s = 0; s < seeds.Length; s++)
        {
            Assert.Equal(expected[s], new NumpyRandom(seeds[s]).Choice(2400, 30).Select(x => (ulong)x));
            Assert.Equal(large[s], new NumpyRandom(seeds[s]).Choice(141816, 100).Select(x => (ulong)x));
            Assert.Equal(small[s], new NumpyRandom(seeds[s]).Choice(5, 40).Select(x => (ulong)x));
        }
    }

    [Fact]
    public void ChoiceWithoutReplacement_MatchesNumpy_FloydAndTailShuffle()
    {
        long[] seeds = [0, 1, 5, 17];
        var floyd = Python("np.random.default_rng(s).choice(47, 15, replace=False)", seeds);
        var whole = Python("np.random.default_rng(s).choice(31, 31, replace=False)", seeds);
        var tail = Python("np.random.default_rng(s).choice(20000, 500, replace=False)", seeds);
        for (var s = 0; s < seeds.Length; s++)
        {
            Assert.Equal(floyd[s], new NumpyRandom(seeds[s]).ChoiceWithoutReplacement(47, 15).Select(x => (ulong)x));
            Assert.Equal(whole[s], new NumpyRandom(seeds[s]).ChoiceWithoutReplacement(31, 31).Select(x => (ulong)x));
            Assert.Equal(tail[s], new NumpyRandom(seeds[s]).ChoiceWithoutReplacement(20000, 500).Select(x => (ulong)x));
        }
    }
}

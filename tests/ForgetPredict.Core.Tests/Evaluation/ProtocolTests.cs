using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Synthetic;

namespace ForgetPredict.Core.Tests.Evaluation;

public class ProtocolTests
{
    private static readonly SyntheticForgetting s_rank4 = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 40, Examples = 1500, Noise = 0.01, Seed = 31 });
    private static readonly int[] s_test = [3, 8, 13, 18, 23, 28, 33, 38];

    private static FoldInMethod Ours(string name) => new FoldInMethod(name, ModelCatalog.CreateFitter(name));

    [Fact]
    public void Ranking_PlantedRankFour_LowRankBeatsKnnBeatsAdditiveBeatsExampleMeans()
    {
        var result = Protocol.Run(s_rank4.Matrix, s_test, [Ours("example-mean"), Ours("additive"), Ours("knn"), Ours("mf")], new EvaluationOptions { Seeds = 3 });
        var rmse = result.Methods.ToDictionary(m => m.Name, m => m.Rmse.Mean);
        Assert.True(rmse["mf"] < rmse["knn"] && rmse["knn"] < rmse["additive"] && rmse["additive"] < rmse["example-mean"], string.Join(", ", rmse));
        Assert.True(result.Methods.Single(m => m.Name == "mf").Spearman.Mean > result.Methods.Single(m => m.Name == "additive").Spearman.Mean);
    }

    [Fact]
    public void Ranking_PlantedRankOne_RankOneAndLowRankTieAndBeatAdditive()
    {
        // fragility x disruptiveness only: the multiplicative rank-1 model is the truth.
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 40, Examples = 1500, Patterns = 0, Noise = 0.005, Seed = 9 }).Matrix;
        var result = Protocol.Run(z, s_test, [Ours("additive"), Ours("rank1"), Ours("mf")], new EvaluationOptions { Seeds = 3 });
        var rmse = result.Methods.ToDictionary(m => m.Name, m => m.Rmse.Mean);
        Assert.True(rmse["rank1"] < 0.8 * rmse["additive"], string.Join(", ", rmse));
        Assert.InRange(rmse["mf"], 0.9 * rmse["rank1"], 1.1 * rmse["rank1"]);
    }

    [Fact]
    public void Curve_PreparesPlainMethodsOnce_TunedOnesForEachK_AndMatchesSeparateRuns()
    {
        // Given: a plain method and one tuned for the number of known cells, each counting its preparations.
        var plain = new Counting(Ours("mf"));
        var tuned = new CountingTuned(Ours("additive"));
        var options = new EvaluationOptions { Seeds = 2 };

        // When: the curve runs at 5, 10 and 30 known cells.
        var curve = EvaluationCurve.Run(s_rank4.Matrix, EvaluationSplit.HoldOut(s_rank4.Matrix, s_test), [plain, tuned], [5, 10, 30], options);

        // Then: the plain method was fitted once, the tuned one once for each k, and every number equals a separate run's.
        Assert.Equal([null], plain.Calls);
        Assert.Equal([5, 10, 30], tuned.Calls);
        for (var i = 0; i < 3; i++)
        {
            var alone = Protocol.Run(s_rank4.Matrix, s_test, [Ours("mf"), Ours("additive")], options with { Known = curve[i].Options.Known });
            Assert.Equal(alone.Methods.Select(m => m.Rmse.PerSeed), curve[i].Methods.Select(m => m.Rmse.PerSeed));
        }
    }

    // evaluate --known 0,5,10,30 had shown no progress at all (each k's run reported its own fraction from 0 to 1, so the
    // command line left curves without a bar): each method's fraction now runs once from 0 to 1 over the whole curve.
    [Fact]
    public void Curve_ReportsEachMethodsProgressOverTheWholeCurve()
    {
        var reports = new List<(string Method, double Fraction)>();
        var progress = new Synchronous(reports.Add);

        EvaluationCurve.Run(s_rank4.Matrix, EvaluationSplit.HoldOut(s_rank4.Matrix, s_test), [Ours("mf"), Ours("additive")], [5, 10, 30], new EvaluationOptions { Seeds = 2 }, progress: progress);

        foreach (var method in new[] { "mf", "additive" })
        {
            var fractions = reports.Where(r => r.Method == method).Select(r => r.Fraction).ToArray();
            Assert.Equal(3 * 2 * s_test.Length, fractions.Length);
            Assert.True(fractions.Zip(fractions.Skip(1)).All(p => p.Second > p.First), "the fraction only grows");
            Assert.Equal(1.0 / 3, fractions[(2 * s_test.Length) - 1], 12);
            Assert.Equal(1, fractions[^1], 12);
        }
    }

    private sealed class Synchronous(Action<(string Method, double Fraction)> report) : IProgress<(string Method, double Fraction)>
    {
        public void Report((string Method, double Fraction) value) => report(value);
    }

    // QA: evaluate with its default methods (additive, rank1, mf, knn) failed outright on a 4 x 4 matrix, where rank1's fit
    // collapses on the 3 training tasks; a method that may be skipped is left out with its reason, one that may not still fails.
    [Fact]
    public void AMethodThatCannotBeFitted_IsLeftOutWithItsReason_OnlyWhenItMaySkip()
    {
        var z = s_rank4.Matrix;
        var split = EvaluationSplit.HoldOut(z, s_test);

        var result = Protocol.Run(z, split, [Ours("additive"), new Unfittable(skip: true), Ours("mf")], new EvaluationOptions { Seeds = 2 });
        Assert.Equal(["additive", "mf"], result.Methods.Select(m => m.Name));
        Assert.Equal([new SkippedMethod("broken", "cannot fit these tasks")], result.Skipped);
        var curve = EvaluationCurve.Run(z, split, [new Unfittable(skip: true), Ours("mf")], [5, 10], new EvaluationOptions { Seeds = 2 });
        Assert.All(curve, r => Assert.Equal("broken", Assert.Single(r.Skipped).Name));

        Assert.Equal("cannot fit these tasks", Assert.Throws<ArgumentException>(() => Protocol.Run(z, split, [Ours("additive"), new Unfittable(skip: false)])).Message);
        Assert.StartsWith("No method could be fitted on the 32 training tasks: broken: cannot fit these tasks",
            Assert.Throws<ArgumentException>(() => Protocol.Run(z, split, [new Unfittable(skip: true)])).Message, StringComparison.Ordinal);
    }

    private sealed class Unfittable(bool skip) : IEvaluationMethod
    {
        public string Name => "broken";

        public bool SkipIfUnfittable => skip;

        public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default) => throw new ArgumentException("cannot fit these tasks");
    }

    // Records each preparation: null for a plain one, k for one tuned for k known cells.
    private class Counting(IEvaluationMethod inner) : IEvaluationMethod
    {
        public List<int?> Calls { get; } = [];

        public string Name => inner.Name;

        public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default)
        {
            Calls.Add(null);
            return inner.Prepare(train, cancellationToken);
        }
    }

    private sealed class CountingTuned(IEvaluationMethod inner) : Counting(inner), IKnownTunedMethod
    {
        private readonly IEvaluationMethod _inner = inner;

        public IRowPredictor Prepare(ForgettingMatrix train, int known, CancellationToken cancellationToken = default)
        {
            Calls.Add(known);
            return _inner.Prepare(train, cancellationToken);
        }
    }

    [Fact]
    public void Run_ScoresOnlyUnrevealedObservedCells()
    {
        var result = Protocol.Run(s_rank4.Matrix, [1, 2], [Ours("additive")], new EvaluationOptions { Known = 30, Seeds = 2 });
        Assert.All(result.Methods[0].Rows, r => Assert.Equal(1500 - 30, r.Cells));
    }

    [Fact]
    public void Reveal_IsSeededSortedAndWithinObservedCells()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 5, Examples = 300, MissingFraction = 0.3, Seed = 3 }).Matrix;
        var o = new EvaluationOptions { Known = 30 };
        var a = Protocol.Reveal(z, 2, 0, o);
        Assert.Equal(a, Protocol.Reveal(z, 2, 0, o));
        Assert.NotEqual(a, Protocol.Reveal(z, 2, 1, o));
        Assert.Equal(a.Order(), a);
        Assert.All(a, j => Assert.False(float.IsNaN(z[2, j])));
        Assert.Equal(30, a.Distinct().Count());
    }

    [Fact]
    public void Run_SameSeed_SameResults()
    {
        var a = Protocol.Run(s_rank4.Matrix, s_test, [Ours("mf"), Ours("knn")], new EvaluationOptions { Seeds = 2, Seed = 5 });
        var b = Protocol.Run(s_rank4.Matrix, s_test, [Ours("mf"), Ours("knn")], new EvaluationOptions { Seeds = 2, Seed = 5 });
        for (var m = 0; m < 2; m++)
        {
            Assert.Equal(a.Methods[m].Rmse.PerSeed, b.Methods[m].Rmse.PerSeed);
            Assert.Equal(a.Methods[m].Spearman.PerSeed, b.Methods[m].Spearman.PerSeed);
        }
    }

    [Fact]
    public void External_PerfectPredictor_IsSignificantlyBetterOnSharedCells()
    {
        // An "LM predictor" that knows the truth but only for even examples: every method is then scored on even examples only.
        var z = s_rank4.Matrix;
        var truthRows = s_test.Select(row => Enumerable.Range(0, z.ExampleCount).Select(j => j % 2 == 0 ? (double)z[row, j] : double.NaN).ToArray()).ToArray();
        var result = Protocol.Run(z, EvaluationSplit.HoldOut(z, s_test), [Ours("additive"), Ours("mf")], new EvaluationOptions { Seeds = 2 },
            [new ExternalPredictions("oracle", truthRows)]);
        var oracle = Assert.Single(result.Externals);
        Assert.Equal(0, oracle.Result.Rmse.Mean, 12);
        Assert.All(result.Methods.SelectMany(m => m.Rows), r => Assert.InRange(r.Cells, 700, 750));
        Assert.All(oracle.Comparisons, c => Assert.True(c.Upper < 0 && c.Lower <= c.Difference && c.Difference <= c.Upper, c.ToString()));
    }

    [Fact]
    public void Bootstrap_MethodAgainstItself_IsExactlyZero()
    {
        var result = Protocol.Run(s_rank4.Matrix, s_test, [Ours("additive")], new EvaluationOptions { Seeds = 2 });
        var d = PairedBootstrap.RmseDifference(result.Methods[0], result.Methods[0] with { Name = "copy" }, 500);
        Assert.Equal((0.0, 0.0, 0.0), (d.Difference, d.Lower, d.Upper));
    }

    [Fact]
    public void ActiveReveal_FifteenChosenCellsBeatFifteenRandomOnes()
    {
        var split = EvaluationSplit.HoldOut(s_rank4.Matrix, s_test);
        var active = Protocol.Run(s_rank4.Matrix, split, [Ours("mf")], new EvaluationOptions { Known = 15, Seeds = 1, Reveal = RevealStrategy.Active });
        var random = Protocol.Run(s_rank4.Matrix, split, [Ours("mf")], new EvaluationOptions { Known = 15, Seeds = 5 });
        Assert.True(active.Methods[0].Rmse.Mean < random.Methods[0].Rmse.Mean, $"active {active.Methods[0].Rmse.Mean} random {random.Methods[0].Rmse.Mean}");
    }

    [Fact]
    public void Split_Invalid_IsRefused()
    {
        var z = s_rank4.Matrix;
        Assert.Throws<ArgumentException>(() => Protocol.Run(z, [], [Ours("additive")]));
        Assert.Throws<ArgumentException>(() => Protocol.Run(z, new EvaluationSplit([0, 1], [1, 2]), [Ours("additive")]));
        Assert.Throws<ArgumentException>(() => Protocol.Run(z, new EvaluationSplit([], [1]), [Ours("additive")]));
        Assert.Throws<ArgumentException>(() => Protocol.Run(z, [40], [Ours("additive")]));
    }

    [Fact]
    public void Binary_MatrixGetsClassificationMetrics()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 30, Examples = 800, Binary = true, Seed = 2 }).Matrix;
        var result = Protocol.Run(z, [1, 5, 9, 13], [Ours("logistic-additive"), Ours("logistic")], new EvaluationOptions { Seeds = 2 });
        Assert.True(result.Binary);
        Assert.All(result.Methods, m => Assert.InRange(m.Auc!.Mean, 0.7, 1.0));
        Assert.All(result.Methods, m => Assert.NotNull(m.F1));
    }

    [Fact]
    public void ReferenceMethods_RunAndOurDefaultsBeatThemOnPublishedShapedData()
    {
        // A small matrix shaped like the published ones (tasks << examples, planted low rank, noise): the reference SGD
        // and MSD-KNN settings against our defaults on the very same revealed cells.
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 24, Examples = 1200, Noise = 0.01, Seed = 8 }).Matrix;
        var result = Protocol.Run(z, [2, 9, 16, 21], [Ours("additive"), Ours("knn"), Ours("mf"), ReferenceMethods.Create("ref-additive"), ReferenceMethods.Create("ref-knn"), ReferenceMethods.Create("ref-mf")],
            new EvaluationOptions { Seeds = 2 });
        var rmse = result.Methods.ToDictionary(m => m.Name, m => m.Rmse.Mean);
        Assert.All(rmse.Values, v => Assert.True(double.IsFinite(v)));
        Assert.True(rmse["additive"] <= rmse["ref-additive"] * 1.001, string.Join(", ", rmse));
        Assert.True(rmse["knn"] < rmse["ref-knn"], string.Join(", ", rmse));
        Assert.True(rmse["mf"] < rmse["ref-mf"], string.Join(", ", rmse));
    }

    [Fact]
    public void ReferenceSgd_DivergingOnLargeValues_IsRefusedNamingTheMethodAndTheFix()
    {
        // Values in the thousands: the reference's fixed step of 0.005 overflows (Surprise's does too); the message says which
        // method, why, and what to do, where it said "TaskBiases contains a non-finite value".
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 300, Noise = 0.01, Seed = 8 }).Matrix.Scaled(1e5);
        var error = Assert.Throws<ArgumentException>(() => Protocol.Run(z, [2, 9], [ReferenceMethods.Create("ref-mf")], new EvaluationOptions { Seeds = 1 }));
        Assert.StartsWith("ref-mf: Stochastic gradient descent with learning rate 0.005 diverged on this matrix: its values (RMS ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Rescale the matrix to losses near 1 to compare with the reference, or leave the ref-* methods out. (Parameter 'matrix')", error.Message, StringComparison.Ordinal);
    }

    // mf's own predictions of each draw, per test row, captured as the protocol scores them.
    private static double[][][] OwnPredictions(ForgettingMatrix z, EvaluationSplit split, EvaluationOptions options)
    {
        var draws = Enumerable.Range(0, options.Seeds).Select(_ => new double[split.TestRows.Length][]).ToArray();
        Protocol.Run(z, split, [Ours("mf")], options, onPrediction: p => draws[p.Seed][Array.IndexOf(split.TestRows, p.Row)] = p.Predicted);
        return draws;
    }

    [Fact]
    public void External_PerDraw_IsScoredOnItsOwnDraw_SoAFoldInMatchesTheMethodItCopies()
    {
        // Given: an "external" fold-in that is mf itself, one set of predictions per draw.
        var z = s_rank4.Matrix;
        var split = EvaluationSplit.HoldOut(z, s_test);
        var options = new EvaluationOptions { Seeds = 3, Known = 20 };
        var own = OwnPredictions(z, split, options);

        // When: it is scored per draw, and (the old behaviour) with draw 0's predictions on every draw.
        var perDraw = Protocol.Run(z, split, [Ours("mf")], options, [ExternalPredictions.PerDraw("copy", [.. own])]);
        var alike = Protocol.Run(z, split, [Ours("mf")], options, [new ExternalPredictions("copy", own[0])]);

        // Then: per draw it equals mf on every draw; draw 0's predictions scored on draws 1 and 2 do not.
        Assert.Equal(perDraw.Methods[0].Rmse.PerSeed, perDraw.Externals[0].Result.Rmse.PerSeed);
        Assert.Equal((0.0, 0.0, 0.0), (perDraw.Externals[0].Comparisons[0].Difference, perDraw.Externals[0].Comparisons[0].Lower, perDraw.Externals[0].Comparisons[0].Upper));
        Assert.Equal(alike.Methods[0].Rmse.PerSeed[0], alike.Externals[0].Result.Rmse.PerSeed[0]);
        Assert.NotEqual(alike.Methods[0].Rmse.PerSeed[1], alike.Externals[0].Result.Rmse.PerSeed[1]);
    }

    [Fact]
    public void External_PerDraw_WithTheWrongNumberOfDraws_IsRefused()
    {
        var z = s_rank4.Matrix;
        var split = EvaluationSplit.HoldOut(z, s_test);
        var own = OwnPredictions(z, split, new EvaluationOptions { Seeds = 2, Known = 20 });

        var error = Assert.Throws<ArgumentException>(() => Protocol.Run(z, split, [Ours("additive")], new EvaluationOptions { Seeds = 3, Known = 20 }, [ExternalPredictions.PerDraw("copy", [.. own])]));

        Assert.StartsWith("External 'copy' gives predictions for 2 draws; the protocol runs 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Curve_ExternalsPerK_AreScoredAtTheirK()
    {
        // Given: mf's own predictions at each k, per draw.
        var z = s_rank4.Matrix;
        var split = EvaluationSplit.HoldOut(z, s_test);
        var options = new EvaluationOptions { Seeds = 2 };
        int[] known = [0, 10, 30];
        var own = known.ToDictionary(k => k, k => ExternalPredictions.PerDraw("copy", [.. OwnPredictions(z, split, options with { Known = k })]));

        // When
        var curve = EvaluationCurve.Run(z, split, [Ours("mf")], known, options, k => [own[k]]);

        // Then: at every k the copy scores exactly what mf does.
        Assert.All(curve, r => Assert.Equal(r.Methods[0].Rmse.PerSeed, r.Externals[0].Result.Rmse.PerSeed));
    }

    [Fact]
    public void Reveals_AreTheCellsRunReveals()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 200, MissingFraction = 0.2, Seed = 5 }).Matrix;
        var split = EvaluationSplit.HoldOut(z, [1, 4]);
        foreach (var options in new[] { new EvaluationOptions { Seeds = 2, Known = 15 }, new EvaluationOptions { Seeds = 2, Known = 40, RevealRandom = RevealRandom.Numpy } })
        {
            var seen = new Dictionary<(int, int), int[]>();
            Protocol.Run(z, split, [Ours("additive")], options, onPrediction: p => seen[(p.Seed, p.Row)] = p.Known);

            var reveals = Protocol.Reveals(z, split, options);

            for (var s = 0; s < 2; s++)
            {
                for (var t = 0; t < 2; t++)
                {
                    Assert.Equal(seen[(s, split.TestRows[t])], reveals[s][t]);
                }
            }
        }
    }

    [Fact]
    public void PrecisionAtK_OfRowsPredictedAsOneValue_IsUndefined_AsTheirSpearman()
    {
        // task-mean predicts each row as one number: it ranks nothing, so precision@K is not 0 (or the share of the truth's
        // top K among the first cells by index) but undefined.
        var result = Protocol.Run(s_rank4.Matrix, s_test, [Ours("task-mean"), Ours("additive")], new EvaluationOptions { Seeds = 2 });

        Assert.True(double.IsNaN(result.Methods[0].PrecisionAtK.Mean));
        Assert.True(double.IsNaN(result.Methods[0].Spearman.Mean));
        Assert.True(result.Methods[1].PrecisionAtK.Mean > 0);
    }

    // QA: a test row with at most K cells left to score (the rest missing or revealed) scored precision@K 1 for any
    // predictor, since its top K holds every cell, and lifted the mean (0.667 where the one row that ranks gave 0.333).
    [Fact]
    public void PrecisionAtK_OfRowsWithAtMostKCellsToScore_IsLeftOut_AndCounted()
    {
        var source = s_rank4.Matrix;
        var values = source.Values.ToArray();
        for (var j = 40; j < source.ExampleCount; j++)
        {
            values[(3 * source.ExampleCount) + j] = float.NaN; // row 3 keeps 40 cells: 10 revealed, 30 scored, K = 15 * 2 = 30
        }

        var z = ForgettingMatrix.Create(values, source.TaskCount, source.ExampleCount);
        var random = new Random(7);
        var noise = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, source.ExampleCount).Select(_ => random.NextDouble()).ToArray()).ToArray();
        var options = new EvaluationOptions { Seeds = 1, Known = 10, TopFraction = 0.02 };
        var result = Protocol.Run(z, EvaluationSplit.HoldOut(z, [3, 8]), [], options, [new ExternalPredictions("random", noise)]);
        var chance = result.Externals[0].Result;

        Assert.Equal(30, result.TopK);
        Assert.Equal(1, result.ShortRows);
        // Only row 8 is ranked: the mean is its own precision@K, random picks' share of its top 30, not (1 + that) / 2.
        var reveals = Protocol.Reveals(z, EvaluationSplit.HoldOut(z, [3, 8]), options)[0];
        var scored = Enumerable.Range(0, source.ExampleCount).Where(j => !reveals[1].Contains(j)).ToArray();
        var expected = Metrics.PrecisionAtK(scored.Select(j => (double)z[8, j]).ToArray(), scored.Select(j => noise[1][j]).ToArray(), 30);
        Assert.Equal(expected, chance.PrecisionAtK.Mean, 12);
        Assert.InRange(chance.PrecisionAtK.Mean, 0, 0.2);

        // With every row short, nothing is ranked.
        var all = Protocol.Run(z, EvaluationSplit.HoldOut(z, [3]), [Ours("additive")], options);
        Assert.Equal(1, all.ShortRows);
        Assert.True(double.IsNaN(all.Methods[0].PrecisionAtK.Mean));
        Assert.True(double.IsNaN(all.Methods[0].RecallAtK.Mean));
        Assert.False(double.IsNaN(all.Methods[0].Rmse.Mean));
        Assert.Equal(0, Protocol.Run(source, s_test, [Ours("additive")], options).ShortRows);
    }

    // A predictor is scored on the cells it predicts: one leaving cells without a prediction can have more rows of at most K
    // cells than every predictor shares, and its own count says so. An external's gaps are left out for every predictor.
    [Fact]
    public void ShortRows_AreCountedPerPredictor_OnTheCellsItWasScoredOn()
    {
        var z = s_rank4.Matrix;
        var split = EvaluationSplit.HoldOut(z, [3, 8]);
        var options = new EvaluationOptions { Seeds = 2, Known = 10, TopFraction = 0.02 }; // K = 30
        var random = new Random(5);
        var partial = new[] { new double[z.ExampleCount], new double[z.ExampleCount] };
        for (var j = 0; j < z.ExampleCount; j++)
        {
            partial[0][j] = j < 25 ? random.NextDouble() : double.NaN; // row 3: at most 25 cells to score, K = 30
            partial[1][j] = random.NextDouble();
        }

        var result = Protocol.Run(z, split, [Ours("additive")], options, [new ExternalPredictions("lm", partial)]);

        var expected = 2; // row 3 in both draws
        Assert.Equal(expected, result.ShortRows);
        Assert.Equal(expected, result.Externals[0].Result.ShortRows); // its gaps are every predictor's
        Assert.Equal(expected, result.Methods[0].ShortRows);

        // A method with no prediction outside the first 20 examples is scored on at most 20 cells of every row and draw.
        var own = Protocol.Run(z, split, [Ours("additive"), new FirstCells(Ours("mf"), 20)], options);
        Assert.Equal(0, own.ShortRows);
        Assert.Equal(0, own.Methods[0].ShortRows);
        Assert.Equal(4, own.Methods[1].ShortRows);
        Assert.True(double.IsNaN(own.Methods[1].PrecisionAtK.Mean));
    }

    // Predicts only the first n examples (NaN elsewhere).
    private sealed class FirstCells(IEvaluationMethod inner, int n) : IEvaluationMethod
    {
        public string Name => inner.Name + "-first";

        public IRowPredictor Prepare(ForgettingMatrix train, CancellationToken cancellationToken = default) => new Predictor(inner.Prepare(train, cancellationToken), n);

        private sealed class Predictor(IRowPredictor inner, int n) : IRowPredictor
        {
            public double[] PredictRow(int[] known, double[] values)
            {
                var row = inner.PredictRow(known, values);
                Array.Fill(row, double.NaN, n, row.Length - n);
                return row;
            }
        }
    }

    [Theory]
    [InlineData(0.5, 0.0, true)]
    [InlineData(0.5, 1.0, true)]
    [InlineData(0.5, 1.5, false)]
    [InlineData(0.5, -0.1, false)]
    [InlineData(0.5, double.NaN, true)]
    [InlineData(0.0, -3.2, true)]
    [InlineData(0.0, 7.0, true)]
    [InlineData(1.0, 2.0, true)]
    [InlineData(-1.0, -5.0, true)]
    [InlineData(0.0, double.PositiveInfinity, false)]
    public void BinaryPredictions_MustBeProbabilities_OnlyAtAProbabilityThreshold(double threshold, double prediction, bool accepted)
    {
        var options = new EvaluationOptions { Threshold = threshold };
        Assert.Equal(threshold is > 0 and < 1, options.ProbabilityPredictions);
        Assert.Equal(accepted, options.AcceptsBinaryPrediction(prediction));
    }

    // QA: on a complete 0/1 matrix additive's fold-in row is a constant plus b_j, an affine function of the column sums, so it
    // ranks every row exactly as example-mean does; but examples of equal column sums got values 1e-17 apart, and the ranks
    // followed rounding noise (Spearman 0.3779 against 0.3783, P@15 0.9167 against 0.9208).
    [Fact]
    public void RankingMetrics_TieWhatIsTiedInExactArithmetic()
    {
        var source = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 40, Examples = 1500, Binary = true, Seed = 5 }).Matrix;
        var result = Protocol.Run(source, EvaluationSplit.HoldOut(source, [0, 3, 7, 11, 19, 23, 31, 37]), [Ours("example-mean"), Ours("additive")], new EvaluationOptions { Seeds = 2 });
        var (mean, additive) = (result.Methods[0], result.Methods[1]);

        Assert.Equal(mean.Spearman.Mean, additive.Spearman.Mean, 12);
        Assert.Equal(mean.PrecisionAtK.Mean, additive.PrecisionAtK.Mean, 12);
    }

    // On a 0/1 matrix a hit of precision@K is a forgotten cell, and recall@K is the share of a row's forgotten cells found.
    // A row with fewer forgotten cells than K scored 1 whatever the predictions (its K-th largest truth is 0), and recall@K
    // was a copy of precision@K: random predictions scored 0.415 on charlm-b above its 88th percentile.
    [Fact]
    public void TopK_OnABinaryMatrix_CountsForgottenCellsOnly_AndRecallIsTheShareFound()
    {
        var source = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 20, Examples = 400, Seed = 11 }).Matrix;
        var cut = source.Values.ToArray().Order().ElementAt((int)(0.97 * source.CellCount));
        var z = ForgettingMatrix.Create([.. source.Values.ToArray().Select(v => v > cut ? 1f : 0f)], 20, 400);
        int[] test = [0, 1, 2, 3, 4, 5];
        var random = new Random(3);
        var noise = test.Select(_ => Enumerable.Range(0, 400).Select(_ => random.NextDouble()).ToArray()).ToArray();
        var truth = test.Select(row => Enumerable.Range(0, 400).Select(j => (double)z[row, j]).ToArray()).ToArray();
        var options = new EvaluationOptions { Seeds = 1, Known = 10, TopFraction = 0.05 };
        var result = Protocol.Run(z, EvaluationSplit.HoldOut(z, test), [], options,
            [new ExternalPredictions("random", noise), new ExternalPredictions("oracle", truth)]);
        var (chance, oracle) = (result.Externals[0].Result, result.Externals[1].Result);

        // 3% of the cells are forgotten: random picks hit about that share, not 1 on the rows with fewer than K = 20.
        Assert.InRange(chance.PrecisionAtK.Mean, 0, 0.12);
        Assert.InRange(chance.RecallAtK.Mean, 0, 0.2);
        Assert.Equal(1.0, oracle.RecallAtK.Mean, 12);
        Assert.True(oracle.PrecisionAtK.Mean < 1, "rows with fewer forgotten cells than K cannot be filled by hits");

        // Each is the mean over rows of Metrics' per-row value on the scored (unrevealed) cells.
        var reveals = Protocol.Reveals(z, EvaluationSplit.HoldOut(z, test), options)[0];
        double precision = 0, recall = 0;
        var recallRows = 0;
        for (var t = 0; t < test.Length; t++)
        {
            var scored = Enumerable.Range(0, 400).Where(j => !reveals[t].Contains(j)).ToArray();
            var labels = scored.Select(j => truth[t][j]).ToArray();
            var picks = scored.Select(j => noise[t][j]).ToArray();
            precision += Metrics.PrecisionAtK(labels, picks, 20, labels: true);
            var r = Metrics.RecallAtK(labels, picks, 20, labels: true);
            recall += double.IsNaN(r) ? 0 : r;
            recallRows += double.IsNaN(r) ? 0 : 1;
        }

        Assert.Equal(precision / test.Length, chance.PrecisionAtK.Mean, 12);
        Assert.Equal(recall / recallRows, chance.RecallAtK.Mean, 12);
    }

    [Fact]
    public void BinaryScoring_OfAMatrixThatIsNot01_IsRefusedWithTheFix()
    {
        var e = Assert.Throws<OptionException>(() => Protocol.Run(s_rank4.Matrix, s_test, [Ours("additive")], new EvaluationOptions { Seeds = 1, Binary = true }));
        Assert.Contains("needs a 0/1 matrix", e.Message, StringComparison.Ordinal);
        Assert.Contains("threshold it first", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RevealedPerRow_CountsDistinctObservedCells()
    {
        // numpy draws columns with replacement: 150 draws of 100 columns reveal about 78 distinct cells, not 150.
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 12, Examples = 100, Seed = 5 }).Matrix;
        var numpy = new EvaluationOptions { Seeds = 3, Known = 60, RevealRandom = RevealRandom.Numpy };
        var reveals = Protocol.Reveals(z, EvaluationSplit.HoldOut(z, [1, 4]), numpy);

        var result = Protocol.Run(z, [1, 4], [Ours("additive")], numpy);
        var own = Protocol.Run(z, [1, 4], [Ours("additive")], numpy with { RevealRandom = RevealRandom.Own });

        Assert.Equal(reveals.Average(d => d.Average(r => (double)r.Length)), result.RevealedPerRow, 12);
        Assert.InRange(result.RevealedPerRow, 40, 59);
        Assert.Equal(60, own.RevealedPerRow);
    }

    [Fact]
    public void Split_Invalid_SaysWhichRowAndWhy()
    {
        var z = s_rank4.Matrix;
        Assert.StartsWith("Test row 1 is listed twice.", Assert.Throws<ArgumentException>(() => Protocol.Run(z, new EvaluationSplit([0, 2], [1, 1]), [Ours("additive")])).Message, StringComparison.Ordinal);
        Assert.StartsWith("Training row 0 is listed twice.", Assert.Throws<ArgumentException>(() => Protocol.Run(z, new EvaluationSplit([0, 0], [1]), [Ours("additive")])).Message, StringComparison.Ordinal);
        Assert.StartsWith("Row 1 is both a training and a test row.", Assert.Throws<ArgumentException>(() => Protocol.Run(z, new EvaluationSplit([0, 1], [1, 2]), [Ours("additive")])).Message, StringComparison.Ordinal);
        Assert.StartsWith("Row 40 is not a row index: rows are 0..39.", Assert.Throws<ArgumentException>(() => Protocol.Run(z, [40], [Ours("additive")])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1, 1, EvaluationOptionNames.Seed, "EvaluationOptions.Seed must be 0 or more with EvaluationOptions.RevealRandom = numpy (it is -1)")]
    [InlineData(0, 0, EvaluationOptionNames.MaxThreads, "EvaluationOptions.MaxThreads must be -1 (all cores) or at least 1 (it is 0).")]
    public void Options_OutOfRange_AreRefusedNamingTheOption(int seed, int threads, string option, string message)
    {
        var error = Assert.Throws<OptionException>(() => new EvaluationOptions { Seed = seed, RevealRandom = RevealRandom.Numpy, MaxThreads = threads }.Validate());
        Assert.Equal(option, error.OptionName);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fitted_SaysWhatAutoChose()
    {
        var z = SyntheticForgetting.Generate(new SyntheticOptions { Tasks = 16, Examples = 300, Seed = 6 }).Matrix;
        var result = Protocol.Run(z, [1, 4], [new FoldInMethod("auto", ModelCatalog.CreateFitter("auto", new ModelSettings { Known = 20 })), Ours("mf")], new EvaluationOptions { Seeds = 1, Known = 20 });

        Assert.StartsWith("auto chose ", result.Methods[0].Fitted, StringComparison.Ordinal);
        Assert.Contains("with 20 known cells", result.Methods[0].Fitted, StringComparison.Ordinal);
        Assert.Null(result.Methods[1].Fitted);
    }

    [Fact]
    public void ActiveDesign_IsTheSameForEveryThreadCount()
    {
        var split = EvaluationSplit.HoldOut(s_rank4.Matrix, s_test);
        var options = new EvaluationOptions { Known = 10, Seeds = 1, Reveal = RevealStrategy.Active };

        Assert.Equal(Protocol.Reveals(s_rank4.Matrix, split, options with { MaxThreads = 1 }), Protocol.Reveals(s_rank4.Matrix, split, options with { MaxThreads = 2 }));
    }
}

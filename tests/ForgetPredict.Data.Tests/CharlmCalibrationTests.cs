using ForgetPredict.Core;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Data.Formats;
using ForgetPredict.Testing;

namespace ForgetPredict.Data.Tests;

/// <summary>
/// On the real charlm-b matrix, the 90% intervals of a group's mean forgetting (per data source) cover the measured group
/// means of held-out tasks about 90% of the time, because the residual directions model examples that err together; and
/// each cell's interval covers its unmeasured cells nearly as often, because it counts the example's own parameters' error.
/// </summary>
public class CharlmCalibrationTests
{
    [Fact]
    public void GroupIntervals_HeldOutTasks_CoverTheMeasuredGroupMeans()
    {
        var z = NpyFormat.Read(RepoPaths.Data("charlm-b", "z.npy"));
        var sources = MetadataTable.Read(RepoPaths.Data("charlm-b", "upstream.csv")).Column("source");
        var groups = ExampleGroups.FromLabels(sources);
        var members = sources.Select((s, j) => (s, j)).GroupBy(x => x.s).ToDictionary(g => g.Key!, g => g.Select(x => x.j).ToArray());

        // Every task held out in turn, two reveal draws of 30 cells each, every data source.
        int inside = 0, total = 0, insideIndependent = 0;
        long cellsInside = 0, cells = 0;
        var mean = new double[z.ExampleCount];
        var std = new double[z.ExampleCount];
        for (var task = 0; task < z.TaskCount; task++)
        {
            var train = z.SelectTasks([.. Enumerable.Range(0, z.TaskCount).Where(i => i != task)]);
            var model = new LowRankFitter().FitLowRank(train);
            var independent = FactorModel.Create(model.ToParameters() with { ResidualRank = 0, ResidualFactors = [], ResidualScales = [] });
            for (var seed = 0; seed < 2; seed++)
            {
                var known = Protocol.Reveal(z, task, seed, new EvaluationOptions());
                var values = known.Select(j => (double)z[task, j]).ToArray();
                var folded = model.FoldIn(known, values);
                folded.PredictRow(mean, std);
                for (var j = 0; j < z.ExampleCount; j++)
                {
                    if (!known.Contains(j))
                    {
                        cellsInside += Math.Abs(z[task, j] - mean[j]) <= 1.6448536 * std[j] ? 1 : 0;
                        cells++;
                    }
                }

                var report = ErasureReport.Create(folded, model.ExampleIds, groups);
                var naive = ErasureReport.Create(independent.FoldIn(known, values), model.ExampleIds, groups);
                foreach (var group in report.Groups)
                {
                    var measured = members[group.Name].Average(j => (double)z[task, j]);
                    var other = naive.Groups.Single(g => g.Name == group.Name);
                    inside += measured >= group.Lower && measured <= group.Upper ? 1 : 0;
                    insideIndependent += measured >= other.Lower && measured <= other.Upper ? 1 : 0;
                    total++;
                }
            }
        }

        var coverage = (double)inside / total;
        Console.Error.WriteLine($"charlm-b group coverage {coverage:P1} of {total}, independent residuals {(double)insideIndependent / total:P1}");
        var naiveCoverage = (double)insideIndependent / total;
        Assert.True(coverage >= 0.84, $"group coverage {coverage:P1} of {total} (independent residuals: {naiveCoverage:P1})");
        Assert.True(coverage > naiveCoverage + 0.06, $"group coverage {coverage:P1} vs independent residuals {naiveCoverage:P1}");

        // Cells: 86.5% before the example parameters' share entered the predictive variance, 88.7% with it (3 draws).
        var cellCoverage = (double)cellsInside / cells;
        Console.Error.WriteLine($"charlm-b mf cell coverage {cellCoverage:P1} of {cells}");
        Assert.InRange(cellCoverage, 0.875, 0.93);
    }
}

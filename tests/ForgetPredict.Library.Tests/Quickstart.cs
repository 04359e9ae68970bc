using ForgetPredict.Core;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;

namespace ForgetPredict.Library.Tests;

/// <summary>The README's "Use it from C#" quickstart, kept here so it is compiled and run (ReadmeTests checks the README shows exactly this code).</summary>
internal static class Quickstart
{
    public static void Run()
    {
        // README begin
        // Past fine-tunes' forgetting: charlm-b, 47 tasks x 2,400 examples. Hold out the last task (svg) as the "new" one.
        var z = MatrixFile.Read("data/charlm-b/z.npy");
        var past = z.SelectTasks([.. Enumerable.Range(0, z.TaskCount - 1)]);
        var model = ModelCatalog.CreateFitter("mf", new ModelSettings { Seed = 0 }).Fit(past);

        // Measure 30 of the new task's cells, fold it in, and predict all 2,400.
        var measured = Enumerable.Range(0, 30).Select(k => k * 79).ToArray();
        var values = measured.Select(j => (double)z[z.TaskCount - 1, j]).ToArray();
        var task = model.FoldIn(measured, values);

        // Which data sources will it erase most?
        var sources = MetadataTable.Read("data/charlm-b/upstream.csv").Join(model.ExampleIds).Column("source");
        var report = ErasureReport.Create(task, model.ExampleIds, ExampleGroups.FromLabels(sources));
        foreach (var g in report.Groups)
        {
            Console.WriteLine($"{g.Name,-10} {g.MeanForgetting:F3} (90%: {g.Lower:F3} to {g.Upper:F3})");
        }

        // README end
    }
}

using System.Globalization;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Data;

/// <remarks>
/// <code>
///   6 TASKFEATURES  string block, int32 kind, int32 d, d x string column, byte log scale, double[d] shift, double[d] scale,
///                   byte[d] log flags, double bandwidth, int32 M, int32 p, double[M*d] encoded training tasks,
///                   double[M*p] weights, double[p] prior mean, double[p*p] basis, double[p] feature variances,
///                   double[p] own variances, double[p] own prior mean, double[p*p] own prior covariance,
///                   string chosen, double relative error, double[p] component gains
///   8 TASKFEATURES2 int32 V (2 or more), V x view (block .. log flags), then as 6 from double bandwidth on (d = the views'
///                   total width)
///   9 TASKFEATURESPREAD int32 p, double[p] kernel ridge penalties (0 where a component does not use the features),
///                   double[p] the scales of the distance-dependent prior variances
///   7 EXAMPLEFEATURES int32 V, V x view (as above: block .. log flags), int32 q, double[(d+1)*q] weights (d = the views'
///                   total width; the intercept last), double[q] leave-one-out error variances, double[q] explained shares
///  10 TASKFEATURECONSTANT int32 V, V x (int32 d, byte[d] flags, 1 where the view's column was constant over the training
///                   tasks): before section 6 or 8, with one entry per view and column of it. A constant column is left out
///                   of the encoding, so the views' total width (the d of the encoded training tasks) counts only the others.
///                   Then, optionally (files written before it end the section with the flags): int32 K, K x view (as above:
///                   block .. log flags) of the blocks left out because every column was constant over the training tasks
///                   (ConstantViews: not used by the prior, kept to warn about a query that differs there; every column of
///                   such a view is constant, its shift the training value). Written only when a view has a constant column
///                   or a block was left out: files without it read as before (every column encoded, no block left out).
///  11 EXAMPLEFEATURECONSTANT as 10, for the example feature model's views: before section 7.
/// </code>
/// </remarks>
public static partial class ModelFile
{
    private const uint TagTaskFeatures = 6;
    private const uint TagExampleFeatures = 7;
    private const uint TagTaskFeaturesCombined = 8;
    private const uint TagTaskFeatureSpread = 9;
    private const uint TagTaskFeatureConstant = 10;
    private const uint TagExampleFeatureConstant = 11;

    // What section 10 or 11 holds: per view of the feature model its constant-column flags, and the blocks left out as constant.
    private sealed record ConstantColumns(bool[][] Flags, FeatureView[] LeftOut);

    // True when a view leaves out a constant column or a block was left out: section 10 or 11 then goes before the views.
    private static bool HasConstantColumns(IReadOnlyList<FeatureView> views, IReadOnlyList<FeatureView> leftOut) =>
        leftOut.Count > 0 || views.Any(v => v.EncodedWidth != v.Width);

    private static void WriteConstantColumns(BinaryWriter w, IReadOnlyList<FeatureView> views, IReadOnlyList<FeatureView> leftOut)
    {
        w.Write(views.Count);
        foreach (var view in views)
        {
            w.Write(view.Columns.Count);
            foreach (var flag in view.Constant)
            {
                w.Write(flag);
            }
        }

        // The blocks left out as constant; files written before they were kept end here.
        if (leftOut.Count > 0)
        {
            w.Write(leftOut.Count);
            foreach (var view in leftOut)
            {
                WriteView(w, view);
            }
        }
    }

    private static ConstantColumns ReadConstantColumns(SpanReader r)
    {
        var flags = ReadConstantFlags(r);
        if (r.AtEnd)
        {
            return new ConstantColumns(flags, []);
        }

        var leftOut = new FeatureView[r.Count(8, 1 << 16)];
        if (leftOut.Length == 0)
        {
            throw r.Fail("the constant columns give an empty list of blocks left out as constant (a file without any ends before it)");
        }

        for (var v = 0; v < leftOut.Length; v++)
        {
            // Every column of a block left out is constant: the view reads with every flag set, which refuses a log scale.
            leftOut[v] = ReadView(r, all: true);
            if (leftOut[..v].Any(o => string.Equals(o.BlockName, leftOut[v].BlockName, StringComparison.Ordinal) && o.Kind == leftOut[v].Kind))
            {
                throw r.Fail($"feature block '{leftOut[v].BlockName}' is given twice among the blocks left out as constant");
            }
        }

        if (!r.AtEnd)
        {
            throw r.Fail("the constant columns section has bytes after the blocks left out as constant");
        }

        return new ConstantColumns(flags, leftOut);
    }

    private static bool[][] ReadConstantFlags(SpanReader r)
    {
        var views = new bool[r.Count(4, 1 << 16)][];
        for (var v = 0; v < views.Length; v++)
        {
            var flags = r.Bytes(r.Count(1, 1 << 20));
            if (flags.FirstOrDefault(f => f > 1) is var odd and > 1)
            {
                throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"a constant-column flag is {odd}, not 0 or 1"));
            }

            views[v] = [.. flags.Select(f => f == 1)];
        }

        return views;
    }

    // The flags section read before a feature model (null when the file has none) must describe its views one for one.
    private static bool[]? ConstantFlags(SpanReader r, ConstantColumns? constant, int views, int view, string model)
    {
        if (constant is not null && constant.Flags.Length != views)
        {
            throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"the constant columns are given for {constant.Flags.Length} views; the {model} has {views}"));
        }

        return constant?.Flags[view];
    }

    private static void WriteTaskFeatureSpread(BinaryWriter w, TaskFeatureModelParts parts)
    {
        w.Write(parts.Penalties.Length);
        WriteDoubles(w, parts.Penalties);
        WriteDoubles(w, parts.Spread);
    }

    private static TaskFeatureModel ReadTaskFeatureSpread(SpanReader r, TaskFeatureModel taskFeatures)
    {
        var parts = taskFeatures.Parts ?? throw r.Fail("the task feature spread belongs to a feature model that uses no features");
        var p = r.Count(16, 1025);
        if (p != taskFeatures.Dimension)
        {
            throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"the task feature spread has {p} components; the task feature model has {taskFeatures.Dimension}"));
        }

        var penalties = r.Doubles(p);
        var spread = r.Doubles(p);
        return r.Guard(() => TaskFeatureModel.Restore(parts with { Penalties = penalties, Spread = spread }));
    }

    private static void WriteTaskFeatures(BinaryWriter w, TaskFeatureModelParts parts)
    {
        if (parts.Views.Count == 1)
        {
            WriteView(w, parts.Views[0]);
        }
        else
        {
            w.Write(parts.Views.Count);
            foreach (var view in parts.Views)
            {
                WriteView(w, view);
            }
        }

        w.Write(parts.Bandwidth);
        var p = parts.PriorMean.Length;
        w.Write(parts.Alpha.Length / p);
        w.Write(p);
        WriteDoubles(w, parts.TrainEncoded);
        WriteDoubles(w, parts.Alpha);
        WriteDoubles(w, parts.PriorMean);
        WriteDoubles(w, parts.Basis);
        WriteDoubles(w, parts.FeatureVariances);
        WriteDoubles(w, parts.OwnVariances);
        WriteDoubles(w, parts.Fallback.Mean);
        WriteDoubles(w, parts.Fallback.Covariance);
        WriteString(w, parts.Report.Chosen);
        w.Write(parts.Report.RelativeError);
        WriteDoubles(w, [.. parts.Report.ComponentGains]);
    }

    // A feature view: string block, int32 kind, int32 d, d x string column, byte log scale, double[d] shift, double[d] scale, byte[d] log flags.
    private static void WriteView(BinaryWriter w, FeatureView view)
    {
        WriteString(w, view.BlockName);
        w.Write((int)view.Kind);
        w.Write(view.Columns.Count);
        foreach (var column in view.Columns)
        {
            WriteString(w, column);
        }

        w.Write(view.LogScale);
        WriteDoubles(w, view.Shift);
        WriteDoubles(w, view.Scale);
        foreach (var flag in view.Log)
        {
            w.Write(flag);
        }
    }

    // constant: the view's constant-column flags (section 10 or 11), or null for none; all: every column is constant (a block
    // left out as constant).
    private static FeatureView ReadView(SpanReader r, bool[]? constant = null, bool all = false)
    {
        var block = r.String();
        var kind = (FeatureKind)r.Int32();
        if (!Enum.IsDefined(kind))
        {
            throw r.Fail($"unknown feature kind {(int)kind}");
        }

        var d = r.Count(4, 1 << 20);
        if (all)
        {
            constant = [.. Enumerable.Repeat(true, d)];
        }

        if (constant is not null && constant.Length != d)
        {
            throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"the constant columns of feature view '{block}' are given for {constant.Length} columns; it has {d}"));
        }

        var columns = new string[d];
        for (var c = 0; c < d; c++)
        {
            columns[c] = r.String();
        }

        var logScale = r.Bool();
        var shift = r.Doubles(d);
        var scale = r.Doubles(d);
        var log = new bool[d];
        for (var c = 0; c < d; c++)
        {
            log[c] = r.Bool();
        }

        return r.Guard(() => FeatureView.Restore(block, kind, columns, logScale, shift, scale, log, constant ?? new bool[d]));
    }

    private static TaskFeatureModel ReadTaskFeatures(SpanReader r, IForgettingModel model, bool combined, ConstantColumns? constant)
    {
        FeatureView[] views;
        if (combined)
        {
            views = new FeatureView[r.Count(8, 1 << 16)];
            if (views.Length < 2)
            {
                throw r.Fail($"a combined task feature model has {views.Length} views; it needs at least 2");
            }

            for (var v = 0; v < views.Length; v++)
            {
                views[v] = ReadView(r, ConstantFlags(r, constant, views.Length, v, "task feature model"));
            }
        }
        else
        {
            views = [ReadView(r, ConstantFlags(r, constant, 1, 0, "task feature model"))];
        }

        var d = views.Sum(v => v.EncodedWidth);
        var bandwidth = r.Double();
        var m = r.Count(8, 1 << 24);
        var p = r.Count(8, 1025);
        if (model is not FactorModel factor || factor.TaskCount != m || (factor.HasTaskBias ? 1 : 0) + factor.Rank != p)
        {
            throw r.Fail("the task feature model does not match the model's tasks or parameters");
        }

        var encoded = r.Doubles((long)m * d);
        var alpha = r.Doubles((long)m * p);
        var priorMean = r.Doubles(p);
        var basis = r.Doubles((long)p * p);
        var featureVariances = r.Doubles(p);
        var ownVariances = r.Doubles(p);
        var fallbackMean = r.Doubles(p);
        var fallbackCovariance = r.Doubles((long)p * p);
        var chosen = r.String();
        var relative = r.Double();
        var gains = r.Doubles(p);
        return r.Guard(() => TaskFeatureModel.Restore(new TaskFeatureModelParts
        {
            Views = views,
            ConstantViews = constant?.LeftOut ?? [],
            Bandwidth = bandwidth,
            TrainEncoded = encoded,
            Alpha = alpha,
            PriorMean = priorMean,
            Basis = basis,
            FeatureVariances = featureVariances,
            OwnVariances = ownVariances,
            Fallback = new GaussianPrior(fallbackMean, fallbackCovariance),
            Report = new TaskFeatureReport(true, chosen, relative, gains, []),
        }));
    }

    private static void WriteExampleFeatures(BinaryWriter w, ExampleFeatureModelParts parts)
    {
        w.Write(parts.Views.Count);
        foreach (var view in parts.Views)
        {
            WriteView(w, view);
        }

        w.Write(parts.ErrorVariance.Length);
        WriteDoubles(w, parts.Weights);
        WriteDoubles(w, parts.ErrorVariance);
        WriteDoubles(w, parts.ExplainedShare);
    }

    private static ExampleFeatureModel ReadExampleFeatures(SpanReader r, IForgettingModel model, ConstantColumns? constant)
    {
        var count = r.Count(8, 1 << 16);
        var views = new FeatureView[count];
        for (var v = 0; v < count; v++)
        {
            views[v] = ReadView(r, ConstantFlags(r, constant, count, v, "example feature model"));
        }

        var q = r.Count(8, 1025);
        if (model is not FactorModel factor || (factor.HasExampleBias ? 1 : 0) + factor.Rank != q)
        {
            throw r.Fail("the example feature model does not match the model's example parameters");
        }

        var weights = r.Doubles(((long)views.Sum(v => v.EncodedWidth) + 1) * q);
        var errorVariance = r.Doubles(q);
        var explained = r.Doubles(q);
        return r.Guard(() => ExampleFeatureModel.Restore(factor, new ExampleFeatureModelParts
        {
            Views = views,
            ConstantViews = constant?.LeftOut ?? [],
            Weights = weights,
            ErrorVariance = errorVariance,
            ExplainedShare = explained,
        }));
    }
}

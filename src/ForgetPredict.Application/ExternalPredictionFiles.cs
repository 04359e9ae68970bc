using System.Globalization;
using ForgetPredict.Core;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Data;

namespace ForgetPredict.Application;

/// <summary>
/// Another predictor's predictions for the test tasks, as a matrix file (tasks as rows, examples as columns, aligned to the
/// evaluated matrix by task and example id). A predictor that uses the revealed cells predicts each draw (and each k) from
/// that draw's cells, so <see cref="Path"/> may hold <see cref="DrawPlaceholder"/> and <see cref="KnownPlaceholder"/>: one
/// file per draw and/or k is then read, and each is scored on its own draw and k.
/// </summary>
/// <param name="Name">The predictor's name in the report.</param>
/// <param name="Path">The file, or the pattern of its files.</param>
public sealed record ExternalFile(string Name, string Path)
{
    /// <summary>Stands for the reveal draw's index (0, 1, ..., as the <c>seed</c> column of the predictions file).</summary>
    public const string DrawPlaceholder = "{draw}";

    /// <summary>Stands for the number of revealed (known) cells.</summary>
    public const string KnownPlaceholder = "{k}";

    /// <summary>Whether there is one file per draw.</summary>
    public bool PerDraw => Path.Contains(DrawPlaceholder, StringComparison.Ordinal);

    /// <summary>Whether there is one file per k.</summary>
    public bool PerKnown => Path.Contains(KnownPlaceholder, StringComparison.Ordinal);

    /// <summary>The file scored on draw <paramref name="draw"/> at <paramref name="known"/> revealed cells.</summary>
    public string PathOf(int draw, int known) => Path
        .Replace(DrawPlaceholder, draw.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace(KnownPlaceholder, known.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
}

/// <summary>
/// A file the front end writes from the run (its results, every prediction), named by the setting that gives it
/// (<see cref="EvaluateOptionNames.ResultsFile"/>, <see cref="EvaluateOptionNames.PredictionsFile"/>, or a front end's own
/// name): no external may read it, for writing it would destroy the predictions scored.
/// </summary>
/// <param name="Option">The setting that names the file, as a library option name (the front end words it).</param>
/// <param name="Path">The file.</param>
public sealed record EvaluationOutput(string Option, string Path);

/// <summary>How many of the cells to be scored (the unrevealed observed cells of the test tasks) an external predicts.</summary>
/// <param name="Cells">The cells to be scored, summed over the draws and k its files are scored on; 0 when not counted
/// (every observed test cell has a prediction, so none can be missing).</param>
/// <param name="Missing">Those without a prediction.</param>
public sealed record ExternalCoverage(long Cells, long Missing)
{
    /// <summary>The first cell without a prediction: its task and example ids, draw, k and file; null when none is missing.</summary>
    public (string Task, string Example, int Draw, int Known, string Path)? FirstMissing { get; init; }
}

/// <summary>What was read for one external predictor.</summary>
/// <param name="File">The name and file (or pattern) given.</param>
/// <param name="Paths">Every file read, in draw-then-k order.</param>
/// <param name="Coverage">How many of the cells to be scored they predict.</param>
public sealed record ExternalReport(ExternalFile File, IReadOnlyList<string> Paths, ExternalCoverage Coverage)
{
    /// <summary>
    /// With <see cref="EvaluateRequest.AllowPartial"/> and cells missing: the note that every method is scored on the cells
    /// every external covers; else null.
    /// </summary>
    public OptionMessage? PartialNote { get; init; }
}

/// <summary>Reads external predictors' files, aligned to the test tasks, and checks them against what will be scored.</summary>
internal static class ExternalPredictionFiles
{
    public sealed record Loaded(Func<int, IReadOnlyList<ExternalPredictions>> At, IReadOnlyList<ExternalReport> Reports, IReadOnlyList<OptionMessage> Warnings);

    /// <summary>
    /// Reads every file of every external (each file once), refuses a missing file, ids that match nothing, values outside
    /// [0, 1] on a binary matrix scored at a probability threshold (<see cref="EvaluationOptions.ProbabilityPredictions"/>), and (unless <paramref name="allowPartial"/>) any cell to be scored without a prediction.
    /// </summary>
    public static Loaded Read(ForgettingMatrix z, EvaluationSplit split, EvaluationOptions options, IReadOnlyList<int> ks, IReadOnlyList<ExternalFile> files, bool allowPartial, bool binary,
        IReadOnlyList<EvaluationOutput> outputs)
    {
        var external = new OptionReference(EvaluateOptionNames.ExternalFiles);
        var test = split.TestRows;
        var seeds = options.Seeds;
        RefuseOutputs(files, seeds, ks, outputs);
        // Every file must be there before any is read: a missing draw's file is named at once, not after reading the others.
        foreach (var file in files)
        {
            foreach (var path in Paths(file, seeds, ks).Select(p => p.Path).Distinct())
            {
                if (Directory.Exists(path))
                {
                    throw new ForgettingDataException(path, OptionMessage.Of(
                        $"is a folder, not a file ({external} {file.Name}={file.Path}); give the file of the predictions, e.g. {file.Name}={System.IO.Path.Combine(path, file.Name + ".csv")}."));
                }

                if (!File.Exists(path))
                {
                    var unknown = UnknownPlaceholder(file.Path) is { } word
                        ? $" {word} is not a placeholder: FILE may hold {ExternalFile.DrawPlaceholder} (the reveal draw's index 0, 1, ..., as the predictions file's seed column) and {ExternalFile.KnownPlaceholder} (the number of revealed cells), e.g. {file.Name}={file.Path.Replace(word, ExternalFile.DrawPlaceholder, StringComparison.Ordinal)}."
                        : string.Empty;
                    throw new ForgettingDataException(path, file.PerDraw || file.PerKnown
                        ? OptionMessage.Of($"no such file. {external} {file.Name}={file.Path} reads one file per {Per(file)} ({Range(file, seeds, ks)}), and this one is missing.{unknown}")
                        : OptionMessage.Of($"no such file ({external} {file.Name}={file.Path}).{unknown}"));
                }
            }
        }

        var observed = test.Select(r => ObservedCount(z, r)).ToArray();
        var reveals = new Dictionary<int, int[][][]>();
        int[][][] RevealsAt(int k) => reveals.TryGetValue(k, out var r) ? r : reveals[k] = Protocol.Reveals(z, split, options with { Known = k });

        var perKnown = ks.ToDictionary(k => k, _ => new List<ExternalPredictions>());
        var reports = new List<ExternalReport>();
        var warnings = new List<OptionMessage>();
        foreach (var file in files)
        {
            var read = new Dictionary<string, Aligned>(StringComparer.Ordinal);
            var told = new HashSet<string>(StringComparer.Ordinal);
            var scored = Paths(file, seeds, ks).ToArray();
            foreach (var path in scored.Select(p => p.Path).Distinct())
            {
                var aligned = read[path] = Align(path, z, test, binary ? options : null, allowPartial);
                foreach (var (kind, message) in aligned.Warnings)
                {
                    // One file of a pattern says what its siblings would say again.
                    if (told.Add(kind))
                    {
                        warnings.Add(message);
                    }
                }
            }

            // Only unrevealed observed cells are scored: a file without a gap among the observed test cells covers them all,
            // and a gap at a revealed cell costs nothing. The reveals are drawn only when some file has a gap.
            long cells = 0, missing = 0;
            (string, string, int, int, string)? first = null;
            if (read.Values.Any(a => a.Gaps.Count > 0))
            {
                foreach (var (draw, k, path) in scored)
                {
                    var revealed = RevealsAt(k)[draw];
                    for (var t = 0; t < test.Length; t++)
                    {
                        cells += observed[t] - revealed[t].Length;
                    }

                    var aligned = read[path];
                    long fileMissing = 0;
                    foreach (var (t, j) in aligned.Gaps)
                    {
                        if (Array.BinarySearch(revealed[t], j) < 0)
                        {
                            fileMissing++;
                            first ??= (z.TaskIds[test[t]], z.ExampleIds[j], draw, k, path);
                        }
                    }

                    missing += fileMissing;
                    if (fileMissing > 0 && !allowPartial)
                    {
                        throw new ForgettingDataException(path, Refusal(file, aligned, z, test, RevealsAt(k), observed, draw, k, seeds));
                    }
                }
            }

            var coverage = new ExternalCoverage(cells, missing) { FirstMissing = first };
            reports.Add(new ExternalReport(file, [.. scored.Select(p => p.Path).Distinct()], coverage) { PartialNote = missing > 0 ? Note(file, coverage, seeds, ks) : null });
            if ((seeds > 1 && !file.PerDraw) || (ks.Count > 1 && !file.PerKnown))
            {
                warnings.Add(Alike(file, seeds, ks));
            }

            foreach (var k in ks)
            {
                var rows = Enumerable.Range(0, seeds).Select(draw => (IReadOnlyList<double[]>)read[file.PathOf(draw, k)].Rows).ToArray();
                perKnown[k].Add(file.PerDraw ? ExternalPredictions.PerDraw(file.Name, rows) : new ExternalPredictions(file.Name, rows[0]));
            }
        }

        return new Loaded(k => perKnown.TryGetValue(k, out var list) ? list : [], reports, warnings);
    }

    // A file an external reads that the run also writes (its results, its predictions) would be overwritten with them:
    // refused before anything is read or written, for every file a pattern expands to (each draw and k read), not only a
    // file named as it is. Paths are compared with their links resolved (a link to the file is the file).
    private static void RefuseOutputs(IReadOnlyList<ExternalFile> files, int seeds, IReadOnlyList<int> ks, IReadOnlyList<EvaluationOutput> outputs)
    {
        var written = outputs.Select(o => (Output: o, Real: RealPath(o.Path))).Where(o => o.Real is not null).ToArray();
        if (written.Length == 0)
        {
            return;
        }

        var external = new OptionReference(EvaluateOptionNames.ExternalFiles);
        foreach (var file in files)
        {
            foreach (var (draw, k, path) in Paths(file, seeds, ks).DistinctBy(p => p.Path))
            {
                var real = RealPath(path);
                foreach (var (output, _) in written.Where(o => o.Real == real))
                {
                    var option = new OptionReference(output.Option);
                    var which = (file.PerDraw, file.PerKnown) switch
                    {
                        (true, true) => string.Create(CultureInfo.InvariantCulture, $" for draw {draw} at k = {k}"),
                        (true, false) => string.Create(CultureInfo.InvariantCulture, $" for draw {draw}"),
                        (false, true) => string.Create(CultureInfo.InvariantCulture, $" for k = {k}"),
                        _ => string.Empty,
                    };
                    throw new OptionException(OptionMessage.Of(
                        $"{option} {output.Path} is also the file {external} {file.Name}={file.Path} reads{which}, which writing it would destroy; write {option} to another file."));
                }
            }
        }
    }

    private static string? RealPath(string path)
    {
        try
        {
            return AtomicFile.RealPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    // The first {word} of a pattern that is not a placeholder ({seed} for {draw}), or null.
    private static string? UnknownPlaceholder(string pattern) =>
        System.Text.RegularExpressions.Regex.Matches(pattern, @"\{[^{}/\\]*\}").Select(m => m.Value)
            .FirstOrDefault(w => w is not (ExternalFile.DrawPlaceholder or ExternalFile.KnownPlaceholder));

    // Every (draw, k, file) an external's files are scored on.
    private static IEnumerable<(int Draw, int Known, string Path)> Paths(ExternalFile file, int seeds, IReadOnlyList<int> ks)
    {
        foreach (var k in ks)
        {
            for (var draw = 0; draw < seeds; draw++)
            {
                yield return (draw, k, file.PathOf(draw, k));
            }
        }
    }

    private static string Per(ExternalFile file) => (file.PerDraw, file.PerKnown) switch
    {
        (true, true) => "draw and k",
        (true, false) => "draw",
        _ => "k",
    };

    private static string Range(ExternalFile file, int seeds, IReadOnlyList<int> ks)
    {
        var parts = new List<string>();
        if (file.PerDraw)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{ExternalFile.DrawPlaceholder} = {(seeds == 1 ? "0" : $"0..{seeds - 1}")}"));
        }

        if (file.PerKnown)
        {
            parts.Add($"{ExternalFile.KnownPlaceholder} = {string.Join(", ", ks.Select(k => k.ToString(CultureInfo.InvariantCulture)))}");
        }

        return string.Join("; ", parts);
    }

    // One file scored on several draws or k: a predictor that used one draw's revealed cells would be scored on cells it saw.
    private static OptionMessage Alike(ExternalFile file, int seeds, IReadOnlyList<int> ks)
    {
        var external = new OptionReference(EvaluateOptionNames.ExternalFiles);
        var draws = seeds > 1 && !file.PerDraw;
        var known = ks.Count > 1 && !file.PerKnown;
        var where = (draws, known) switch
        {
            (true, true) => string.Create(CultureInfo.InvariantCulture, $"every one of the {seeds} reveal draws and every k ({string.Join(", ", ks)})"),
            (true, false) => string.Create(CultureInfo.InvariantCulture, $"every one of the {seeds} reveal draws"),
            _ => string.Create(CultureInfo.InvariantCulture, $"every k ({string.Join(", ", ks)})"),
        };
        var placeholders = (draws, known) switch
        {
            (true, true) => $"{ExternalFile.DrawPlaceholder} and {ExternalFile.KnownPlaceholder}",
            (true, false) => ExternalFile.DrawPlaceholder,
            _ => ExternalFile.KnownPlaceholder,
        };
        var perWhat = (draws, known) switch
        {
            (true, true) => "draw and k",
            (true, false) => "draw",
            _ => "k",
        };
        return OptionMessage.Of(
            $"{external} {file.Name}={file.Path}: the same predictions are scored on {where}. That is right only for a predictor that ignores the revealed cells; one that uses them must be scored on the cells of the draw it was given, so write one file per {perWhat} with {placeholders} in its name{(draws ? $" ({ExternalFile.DrawPlaceholder}: the draw's index as in the predictions file's seed column)" : string.Empty)}, e.g. {file.Name}={Example(file.Path, draws, known)}.");
    }

    private static string Example(string path, bool draws, bool known)
    {
        // z.csv.gz keeps its two extensions together (z-draw{draw}.csv.gz), or the name would read as a gzip of no format.
        var extension = MatrixFile.ExtensionOf(path);
        var stem = path[..^extension.Length];
        return stem + (draws ? "-draw" + ExternalFile.DrawPlaceholder : string.Empty) + (known ? "-k" + ExternalFile.KnownPlaceholder : string.Empty) + extension;
    }

    private static OptionMessage Note(ExternalFile file, ExternalCoverage c, int seeds, IReadOnlyList<int> ks)
    {
        var (task, example, draw, k, _) = c.FirstMissing!.Value;
        return OptionMessage.Of(
            $"{new OptionReference(EvaluateOptionNames.AllowPartial)}: {file.Name} ({file.Path}) covers {c.Cells - c.Missing:N0} of the {c.Cells:N0} cells to be scored{Over(seeds, ks)} ({c.Missing:N0} missing, e.g. task '{task}', example '{example}'{Where(draw, k, seeds, ks)}); every method is scored only on the cells every external covers.");
    }

    private static string Over(int seeds, IReadOnlyList<int> ks) => (seeds > 1, ks.Count > 1) switch
    {
        (true, true) => string.Create(CultureInfo.InvariantCulture, $" over the {seeds} draws at each k"),
        (true, false) => string.Create(CultureInfo.InvariantCulture, $" over the {seeds} draws"),
        (false, true) => " at each k",
        _ => string.Empty,
    };

    private static string Where(int draw, int k, int seeds, IReadOnlyList<int> ks) =>
        (seeds > 1 ? string.Create(CultureInfo.InvariantCulture, $", draw {draw}") : string.Empty) + (ks.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $", k = {k}") : string.Empty);

    // This file lacks predictions for cells that will be scored on its draw and k.
    private static OptionMessage Refusal(ExternalFile file, Aligned aligned, ForgettingMatrix z, int[] test, int[][][] reveals, int[] observed, int draw, int k, int seeds)
    {
        // This file's own cells: those of its draw (all draws for a file scored on each), at this k.
        var draws = file.PerDraw ? [draw] : Enumerable.Range(0, seeds).ToArray();
        long cells = 0, missing = 0;
        (int T, int J)? first = null;
        var firstDraw = draw;
        foreach (var d in draws)
        {
            for (var t = 0; t < test.Length; t++)
            {
                cells += observed[t] - reveals[d][t].Length;
            }

            foreach (var (t, j) in aligned.Gaps)
            {
                if (Array.BinarySearch(reveals[d][t], j) < 0)
                {
                    missing++;
                    if (first is null)
                    {
                        first = (t, j);
                        firstDraw = d;
                    }
                }
            }
        }

        var (ft, fj) = first!.Value;
        var scope = draws.Length > 1 ? string.Create(CultureInfo.InvariantCulture, $", summed over the {draws.Length} draws it is scored on") : string.Empty;
        var which = k == 0
            ? string.Create(CultureInfo.InvariantCulture, $"the observed cells of the {test.Length} test tasks, none revealed{scope}")
            : string.Create(CultureInfo.InvariantCulture, $"the observed cells of the {test.Length} test tasks but the {k} revealed in each{scope}");
        var absent = aligned.Transposed ? Transposed
            : aligned.AbsentTasks.Contains(ft) ? $" Task '{z.TaskIds[test[ft]]}' is not in the file at all: its task ids begin {Ids.First(aligned.FileTaskIds)}.{aligned.TaskHint}"
            : string.Empty;
        return OptionMessage.Of(
            $"has predictions for {cells - missing:N0} of the {cells:N0} cells to be scored ({which}); {missing:N0} {(missing == 1 ? "is" : "are")} missing (e.g. task '{z.TaskIds[test[ft]]}', example '{z.ExampleIds[fj]}'{(seeds > 1 ? string.Create(CultureInfo.InvariantCulture, $", draw {firstDraw}") : string.Empty)}), so every method would be scored on fewer cells.{absent} Give a prediction for every test cell (by task and example id), or pass {new OptionReference(EvaluateOptionNames.AllowPartial)} to score every method on the cells every external covers.");
    }

    private static int ObservedCount(ForgettingMatrix z, int row)
    {
        var count = 0;
        foreach (var v in z.Row(row))
        {
            count += float.IsNaN(v) ? 0 : 1;
        }

        return count;
    }

    /// <summary>One file's predictions of the test rows, its observed test cells without a prediction, and what to warn about.</summary>
    private sealed record Aligned(double[][] Rows, List<(int T, int J)> Gaps, HashSet<int> AbsentTasks, IReadOnlyList<string> FileTaskIds, string TaskHint, bool Transposed,
        List<(string Kind, OptionMessage Message)> Warnings);

    // binary: the protocol's options on a binary matrix, whose threshold says which predictions can be scored; null on a continuous one.
    private static Aligned Align(string path, ForgettingMatrix z, int[] test, EvaluationOptions? binary, bool allowPartial)
    {
        if (IsPredictionsFile(path))
        {
            throw new ForgettingDataException(path,
                "is an 'evaluate --predictions' file (every method's predictions of every draw), not one predictor's predictions. Keep one method's rows of one seed as task,example,value (in pandas: p[(p.method == \"mf\") & (p.seed == 0)][[\"task\", \"example\", \"predicted\"]].rename(columns={\"predicted\": \"value\"}).to_csv(F, index=False)) and pass that file.");
        }

        var other = ReadFile(path);
        var transposed = LooksTransposed(other, z, test.Length);
        var columns = Positions(z.ExampleIds, other.ExampleIds);
        var matched = columns.Count(c => c >= 0);

        if (matched == 0)
        {
            var hint = transposed ? Transposed : Ids.AreRowNumbers(other.ExampleIds) && !Ids.AreRowNumbers(z.ExampleIds)
                ? string.Create(CultureInfo.InvariantCulture, $" Its columns are numbered 0..{other.ExampleCount - 1}, as a file written without its example ids is (a bare array such as np.save, or a DataFrame with positions as columns): write the example ids as its columns.")
                : string.Empty;
            throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                $"none of its {other.ExampleCount:N0} example ids (its columns) match the matrix's: the file's begin {Ids.First(other.ExampleIds)}; the matrix's begin {Ids.First(z.ExampleIds)}.{hint} Predictions are matched to the matrix by task id (rows) and example id (columns)."));
        }

        var rowNumbers = Ids.AreRowNumbers(other.TaskIds) && other.TaskCount < z.TaskCount;
        var taskHint = transposed ? Transposed
            : rowNumbers ? string.Create(CultureInfo.InvariantCulture, $" Its rows are numbered 0..{other.TaskCount - 1}, as a file written without its index is (to_csv(index=False), or a bare array): write the task ids as its index (df.to_csv(F)) or as task,example,value rows.")
            : string.Empty;
        var taskRows = Positions(z.TaskIds, other.TaskIds);
        var rowsOf = test.Select(r => taskRows[r]).ToArray();
        if (rowsOf.All(r => r < 0))
        {
            throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                $"none of the {test.Length} test tasks is in it: its task ids (its rows) begin {Ids.First(other.TaskIds)}; the test tasks are {Ids.List(test.Select(r => z.TaskIds[r]).ToArray())}.{taskHint} Predictions are matched to the test tasks by task id."));
        }

        var rows = new double[test.Length][];
        var gaps = new List<(int, int)>();
        for (var t = 0; t < test.Length; t++)
        {
            rows[t] = new double[z.ExampleCount];
            var row = rowsOf[t];
            for (var j = 0; j < z.ExampleCount; j++)
            {
                var value = row < 0 || columns[j] < 0 ? double.NaN : other[row, columns[j]];
                if (double.IsInfinity(value))
                {
                    throw new ForgettingDataException(path, string.Create(CultureInfo.InvariantCulture,
                        $"task '{z.TaskIds[test[t]]}', example '{z.ExampleIds[j]}' is {(value > 0 ? "inf" : "-inf")}: a prediction must be a finite number (leave the cell empty, or NaN, for no prediction)."));
                }

                if (binary is not null && !binary.AcceptsBinaryPrediction(value))
                {
                    var threshold = new OptionReference(EvaluationOptionNames.Threshold);
                    throw new ForgettingDataException(path, OptionMessage.Of(
                        $"task '{z.TaskIds[test[t]]}', example '{z.ExampleIds[j]}' is {value.ToString("R", CultureInfo.InvariantCulture)}, but the matrix is binary and {threshold} is {binary.Threshold.ToString(CultureInfo.InvariantCulture)}, a probability, so predictions are scored as probabilities of forgetting and must lie in [0, 1]. Give probabilities (for percentages, divide by 100), or for logits pass {new OptionReference(EvaluationOptionNames.Threshold, "0")}: a logit above 0 counts as forgotten."));
                }

                rows[t][j] = value;
                if (double.IsNaN(value) && !float.IsNaN(z[test[t], j]))
                {
                    gaps.Add((t, j));
                }
            }
        }

        var warnings = new List<(string, OptionMessage)>();
        var usedColumns = columns.Where(c => c >= 0).ToHashSet();
        var extraExamples = other.ExampleIds.Where((_, c) => !usedColumns.Contains(c)).ToArray();
        if (extraExamples.Length > 0)
        {
            warnings.Add(("examples", OptionMessage.Of(
                $"{path} has {extraExamples.Length:N0} example column{(extraExamples.Length == 1 ? "" : "s")} the matrix does not have ({Ids.List(extraExamples, 3)}); {(extraExamples.Length == 1 ? "it is" : "they are")} ignored.{(transposed ? Transposed : string.Empty)}")));
        }

        var usedRows = taskRows.Where(r => r >= 0).ToHashSet();
        var extraTasks = other.TaskIds.Where((_, r) => !usedRows.Contains(r)).ToArray();
        if (extraTasks.Length > 0)
        {
            warnings.Add(("tasks", OptionMessage.Of(
                $"{path} has {extraTasks.Length:N0} task row{(extraTasks.Length == 1 ? "" : "s")} that {(extraTasks.Length == 1 ? "is not a task" : "are not tasks")} of the matrix ({Ids.List(extraTasks, 3)}); {(extraTasks.Length == 1 ? "it is" : "they are")} ignored.{(transposed ? Transposed : string.Empty)}")));
        }

        if (allowPartial && rowNumbers && !transposed)
        {
            warnings.Add(("row-numbers", OptionMessage.Of(
                $"{path}: its task ids are 0..{other.TaskCount - 1}, the row numbers a file written without its index has (to_csv(index=False), or a bare array). They were matched to the matrix's tasks of those ids, but if they are row numbers, its predictions are scored against the wrong tasks (and {new OptionReference(EvaluateOptionNames.AllowPartial)} hides the tasks it lacks): write the task ids as its index.")));
        }

        var absent = new HashSet<int>(Enumerable.Range(0, test.Length).Where(t => rowsOf[t] < 0));
        return new Aligned(rows, gaps, absent, other.TaskIds, taskHint, transposed, warnings);
    }

    // The position in the file's ids of each of the matrix's: by id; or, when none matches so and every id of the file is a
    // whole number, by number ('3.0' is '3', as pandas writes float labels, and as the Python package writes them: '3').
    // A matrix holds each number once (IdList's rule refuses one number written two ways), so the match is one to one.
    private static int[] Positions(IdList ids, IdList file)
    {
        var exact = new int[ids.Count];
        var any = false;
        for (var i = 0; i < ids.Count; i++)
        {
            exact[i] = file.IndexOf(ids[i]);
            any |= exact[i] >= 0;
        }

        if (any || file.Count == 0)
        {
            return exact;
        }

        var byNumber = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var p = 0; p < file.Count; p++)
        {
            if (IdList.WholeNumber(file[p]) is not { } number || !byNumber.TryAdd(number, p))
            {
                return exact;
            }
        }

        return [.. ids.Select(id => IdList.WholeNumber(id) is { } number && byNumber.TryGetValue(number, out var p) ? p : -1)];
    }

    // The file as a matrix. A long table is read as one when its header is task, example and one more column, whatever that
    // column's name (pandas' Series.to_csv of a stacked frame writes 'task,example,0'); the layout and column options the
    // reader's advice names are the matrix's, so a long table it cannot read is refused with advice that works here.
    // A Parquet table's schema names its columns, so a long one is told by them before it is read: read as a matrix, a value
    // column not named 'value' made it a wide table of text, and refused (a CSV table's reader suggests the long reading).
    private static ForgettingMatrix ReadFile(string path)
    {
        if (ParquetColumns(path) is { Count: 3 } columns && LongValueColumn([.. columns]) is { } named)
        {
            return MatrixFile.Read(path, new MatrixReadOptions { Layout = MatrixLayout.Long, ValueColumn = named });
        }

        try
        {
            return MatrixFile.Read(path);
        }
        catch (ForgettingDataException e)
        {
            // The reader took it for a long table under other names: with three columns it names them (layout long, columns
            // the header's), with more it asks for them.
            var longAdvice = e.InnerException is ForgettingDataException && e.Options.Any(o => o.Name is DataOptionNames.Layout or DataOptionNames.Columns);
            // (Also when the reader refused it outright as a long table: one saved with pandas' index, ',task,example,0'.)
            var suggested = e.Options.Any(o => o.Name == DataOptionNames.Layout && o.Value == "long") ? e.Options.FirstOrDefault(o => o.Name == DataOptionNames.Columns).Value?.Split(',') : null;
            if (suggested is { Length: 3 } names && LongValueColumn(names) is { } value)
            {
                return MatrixFile.Read(path, new MatrixReadOptions { Layout = MatrixLayout.Long, ValueColumn = value });
            }

            // A long table with more than one value column (a std beside the prediction): say what the file is, not what a
            // reading of it as another layout found.
            if (LongWithSeveralValues(path) is { } others)
            {
                throw new ForgettingDataException(path,
                    $"it is a long table (task, example) with {others.Count} value columns ({string.Join(", ", others.Select(c => $"'{c}'"))}), and an external predictor gives one: keep the predictions' column alone (in pandas: df[['task', 'example', '{others[0]}']].to_csv(F, index=False)).", innerException: e);
            }

            if (longAdvice && e.InnerException is ForgettingDataException fault)
            {
                throw new ForgettingDataException(path,
                    $"{fault.Detail} If it is a long table (one row per cell), name its columns task, example and value (in pandas: s.rename_axis(['task', 'example']).rename('value').reset_index().to_csv(F, index=False)); else write one row per task and one column per example.",
                    fault.Line, fault.Column, fault.Location, e);
            }

            throw;
        }
    }

    // The header's columns other than task and example, when a CSV or TSV file's header (a Parquet file's schema) names both
    // and at least two more; else null.
    private static IReadOnlyList<string>? LongWithSeveralValues(string path)
    {
        if (ParquetColumns(path) is { } schema)
        {
            return Values(schema);
        }

        var extension = Path.GetExtension(path).ToUpperInvariant();
        var separator = extension switch { ".CSV" => ',', ".TSV" or ".TAB" => '\t', _ => '\0' };
        if (separator == '\0')
        {
            return null;
        }

        string? header;
        try
        {
            using var reader = new StreamReader(path);
            header = reader.ReadLine();
        }
        catch (IOException)
        {
            return null;
        }

        if (header is null)
        {
            return null;
        }

        return Values([.. header.Split(separator).Select(n => n.Trim().Trim('"'))]);

        static IReadOnlyList<string>? Values(IReadOnlyList<string> names)
        {
            var task = TableColumns.IndexOf(names, "task");
            var example = TableColumns.IndexOf(names, "example");
            return task < 0 || example < 0 || names.Count < 4 ? null : [.. names.Where((_, i) => i != task && i != example)];
        }
    }

    // A Parquet file's column names (its schema), leaving out pandas' index (__index_level_0__, as to_parquet writes a frame's
    // index); null for another format, or a file that cannot be opened as Parquet (the matrix reader then says why).
    private static IReadOnlyList<string>? ParquetColumns(string path)
    {
        try
        {
            if (MatrixFile.FormatOf(path, null) != "parquet")
            {
                return null;
            }

            using var reader = Data.Parquet.ParquetReader.Open(path);
            return [.. reader.Columns.Select(c => c.Name).Where(n => !TableColumns.IsPandasIndex(n))];
        }
        catch (Exception e) when (e is ForgettingDataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // The third column of a header naming task and example (in any order; case and spaces aside), or null.
    private static string? LongValueColumn(string[] names)
    {
        var task = TableColumns.IndexOf(names, "task");
        var example = TableColumns.IndexOf(names, "example");
        return task < 0 || example < 0 || task == example ? null : names[3 - task - example];
    }

    private const string Transposed = " It looks transposed (examples as rows, tasks as columns): write one row per task and one column per example (in pandas, df.T).";

    // Tasks as columns: its shape is the matrix's swapped, or its row ids are the matrix's example ids and its column ids its task ids.
    private static bool LooksTransposed(ForgettingMatrix other, ForgettingMatrix z, int testCount)
    {
        if (other.TaskCount == z.ExampleCount && other.TaskCount != other.ExampleCount && (other.ExampleCount == z.TaskCount || other.ExampleCount == testCount))
        {
            return true;
        }

        static double Share(IReadOnlyList<string> ids, IdList among) => ids.Count == 0 ? 0 : (double)ids.Count(id => among.IndexOf(id) >= 0) / ids.Count;
        return Share(other.TaskIds, z.ExampleIds) > Share(other.TaskIds, z.TaskIds) && Share(other.ExampleIds, z.TaskIds) > Share(other.ExampleIds, z.ExampleIds);
    }

    // An 'evaluate --predictions' file, given as an external predictor: read as a matrix, its method names became task ids.
    private static bool IsPredictionsFile(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            var buffer = new char[64];
            var read = reader.ReadBlock(buffer, 0, buffer.Length);
            return new string(buffer, 0, read).StartsWith(Evaluating.PredictionsHeader, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;   // MatrixFile.Read names the problem
        }
    }
}

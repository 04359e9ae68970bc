using System.Collections.Concurrent;
using ForgetPredict.Application;
using ForgetPredict.Core;
using ForgetPredict.Core.Erasure;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;

namespace ForgetPredict.Server;

/// <summary>A loaded model of the store, with its example metadata and the groupings built from it (cached with the model).</summary>
public sealed class StoredModel
{
    private readonly ModelStore _store;
    private readonly Lock _metadataLock = new();
    private MetadataState? _metadata;
    private RowScanner? _ungrouped;

    internal StoredModel(string name, string path, FileStamp stamp, LoadedModel loaded, ModelStore store)
    {
        Name = name;
        Path = path;
        Stamp = stamp;
        Loaded = loaded;
        _store = store;
        Description = ModelDescription.SummaryOf(loaded.Model);
    }

    /// <summary>The model's name.</summary>
    public string Name { get; }

    /// <summary>Its file.</summary>
    public string Path { get; }

    /// <summary>The file's length and write time when it was loaded.</summary>
    public FileStamp Stamp { get; }

    /// <summary>The model and the metadata saved with it.</summary>
    public LoadedModel Loaded { get; }

    /// <summary>The model.</summary>
    public IForgettingModel Model => Loaded.Model;

    /// <summary>One line on the model, as the reports print it.</summary>
    public string Description { get; }

    /// <summary>The catalog name of the model's family.</summary>
    public string Method => ModelCatalog.NameOf(Model.Method);

    /// <summary>The wire description of the model.</summary>
    public ModelInfoDto Info()
    {
        var metadata = Loaded.Metadata;
        var d = ModelDescription.Of(Model, metadata);
        return new ModelInfoDto(Name, d.Method, d.TaskCount, d.ExampleCount, d.Rank, d.PredictsProbability, d.Provenance.RSquared, d.Provenance.Source is { } source ? System.IO.Path.GetFileName(source) : null, d.Iterations, d.Converged,
            GroupColumns, Stamp.Length, new DateTimeOffset(Stamp.Ticks, TimeSpan.Zero), Stamp.Version, metadata, null,
            Loaded.TaskFeatures is { Views: [var view, ..] } features
                ? new TaskFeatureInfoDto(view.BlockName, view.Kind.ToString().ToLowerInvariant(), view.Columns, view.Columns.Count, features.Report.Chosen,
                    [.. features.Views.Select(v => new FeatureViewInfoDto(v.BlockName, v.Kind.ToString().ToLowerInvariant(), v.Columns, v.Columns.Count))])
                : null,
            Loaded.ExampleFeatures?.Views.Select(v => new ExampleFeatureInfoDto(v.BlockName, v.Kind.ToString().ToLowerInvariant(), v.Columns, v.Columns.Count)).ToArray());
    }

    /// <summary>
    /// The grouping by <paramref name="column"/>, or by the only metadata column when null (<see cref="Application.GroupColumns.Choose"/>);
    /// null when there is nothing to group by, or when the metadata has several columns and none is named (the warning then
    /// says so and lists them).
    /// </summary>
    /// <param name="column">The column named, or null (or empty) for none.</param>
    /// <param name="required">True when the answer needs groups: several columns and none named is then a 400.</param>
    /// <exception cref="ApiException">A column is named and no metadata exists.</exception>
    /// <exception cref="OptionException">The column does not exist, or groups are required and none is chosen (the library's
    /// refusal, a 400 in the service's words like every other).</exception>
    /// <exception cref="ForgettingDataException">The metadata file is malformed.</exception>
    public (Grouping? Grouping, string? Warning) Grouping(string? column, bool required = false)
    {
        var metadata = Metadata();
        if (metadata is null)
        {
            // A model uploaded with metadata records its hash: without the file (removed by hand, or queried in the moment
            // between an upload's saving the model and its metadata) the answer has no groups, and says why.
            var missing = FitProvenance.FromMetadata(Loaded.Metadata).ExamplesSha256 is null ? null
                : $"Model '{Name}' was uploaded with example metadata, but no {Name}.examples.csv is beside it in the store (removed, or its upload is still being saved): answered without groups.";
            return column is null or "" ? (null, missing)
                : throw ApiException.BadRequest($"Model '{Name}' has no example metadata to group by '{Application.Echo.Printable(column)}'; add {Name}.examples.csv (an id column plus group columns) to the store.");
        }

        var (chosen, unchosen) = Application.GroupColumns.Choose(metadata.Columns, column, System.IO.Path.GetFileName(metadata.Path), required, metadata.LeftOut);
        if (chosen is null)
        {
            return (null, unchosen is null ? null : Problems.Fields.Describe(unchosen));
        }

        var grouping = metadata.Grouping(chosen);
        var fragmented = Application.GroupColumns.Fragmented(grouping.Groups, chosen, System.IO.Path.GetFileName(metadata.Path));
        return (grouping, fragmented is null ? null : Problems.Fields.Describe(fragmented));
    }

    /// <summary>The example metadata's columns to group by (empty without metadata).</summary>
    /// <exception cref="ForgettingDataException">The metadata file is malformed.</exception>
    internal IReadOnlyList<string> GroupColumns => Metadata()?.Columns ?? [];

    /// <summary>The row scanner for <paramref name="grouping"/> (built once per grouping), or for no grouping when null.</summary>
    internal RowScanner Scanner(Grouping? grouping) =>
        grouping?.Scanner ?? LazyInitializer.EnsureInitialized(ref _ungrouped, () => new RowScanner(Model));

    /// <summary>SHA-256 of a file's bytes, lower-case hex.</summary>
    internal static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    // The metadata file can change without the model changing: it is revalidated by its own stamp.
    private MetadataState? Metadata()
    {
        var path = _store.MetadataPath(Name);
        if (path is null)
        {
            return null;
        }

        var info = new FileInfo(path);
        var stamp = new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks);
        var current = Volatile.Read(ref _metadata);
        if (current is not null && current.Path == path && current.Stamp == stamp)
        {
            return current;
        }

        lock (_metadataLock)
        {
            current = _metadata;
            if (current is null || current.Path != path || current.Stamp != stamp)
            {
                try
                {
                    MetadataTable table;
                    using (var stream = File.OpenRead(path))
                    {
                        // Named by its file name: answers and their warnings never show the server's folders.
                        table = MetadataTable.Read(stream, System.IO.Path.GetFileName(path));
                    }

                    var join = table.Join(Model.ExampleIds, "example");
                    join.RequireAny();
                    current = new MetadataState(path, stamp, table, join, Model, Mismatch(path));
                }
                catch (Exception e) when (e is ForgettingDataException or ArgumentException or IOException or UnauthorizedAccessException)
                {
                    // The metadata is a file of the server's store, which no request can fix (a duplicate id was a 400 telling the
                    // client to "keep one row per example"): a server-side problem for the operator, as an unreadable model is.
                    throw new ApiException(Microsoft.AspNetCore.Http.StatusCodes.Status500InternalServerError,
                        $"{Problems.Fields.Describe(e)} The file {System.IO.Path.GetFileName(path)} is the example metadata of model '{Name}' in the server's model store: its operator must fix or replace it (or remove it to serve the model without groups).", e);
                }

                Volatile.Write(ref _metadata, current);
            }

            return current;
        }
    }

    // A model uploaded with metadata records its hash; a different file beside it (an upload interrupted between its two
    // renames, or a hand edit) is reported with every grouped answer.
    private string? Mismatch(string path) =>
        FitProvenance.FromMetadata(Loaded.Metadata).ExamplesSha256 is { } recorded && !string.Equals(recorded, HashFile(path), StringComparison.OrdinalIgnoreCase)
            ? $"{System.IO.Path.GetFileName(path)} is not the metadata uploaded with model '{Name}' (it changed afterwards, or an upload stopped between saving the model and its metadata); upload the model with its metadata again if the groups look wrong."
            : null;

    private sealed class MetadataState(string path, FileStamp stamp, MetadataTable table, MetadataJoin join, IForgettingModel model, string? mismatch)
    {
        private readonly ConcurrentDictionary<string, Lazy<Grouping>> _groupings = new(StringComparer.Ordinal);

        public string Path { get; } = path;

        public FileStamp Stamp { get; } = stamp;

        // The command line's candidates: the columns besides the ids, their rival and a pandas index.
        public IReadOnlyList<string> Columns { get; } = table.DataColumns;

        public IReadOnlyList<string> LeftOut { get; } = table.LeftOutColumns;

        public Grouping Grouping(string column) =>
            _groupings.GetOrAdd(column, c => new Lazy<Grouping>(() => Server.Grouping.Create(c, join.Column(c), model, join.IsComplete && join.UnusedCount == 0 ? null : join.Summary(), mismatch, table, join))).Value;
    }
}

/// <summary>Examples grouped by one metadata column, precomputed once per model and column.</summary>
public sealed class Grouping
{
    private readonly Lazy<RowScanner> _scanner;

    private Grouping(string column, ExampleGroups groups, IForgettingModel model, string? warning)
    {
        _scanner = new Lazy<RowScanner>(() => new RowScanner(model, groups));
        Column = column;
        Groups = groups;
        Warning = warning;
    }

    /// <summary>The metadata column.</summary>
    public string Column { get; }

    /// <summary>The groups of the model's examples.</summary>
    public ExampleGroups Groups { get; }

    /// <summary>What to know about the metadata (examples or rows without a partner in the join, or a file that is not the one the model was uploaded with), else null.</summary>
    public string? Warning { get; }

    /// <summary>What to know about the column's labels (<see cref="GroupColumns.LabelWarnings"/>: examples with no value in it,
    /// labels that differ only in spaces); empty when nothing.</summary>
    public IReadOnlyList<string> LabelWarnings { get; private init; } = [];

    /// <summary>The row scanner of the model with these groups (its single-precision layout is built on first use).</summary>
    internal RowScanner Scanner => _scanner.Value;

    // The metadata the groups were read from (null for groups made without a table), and what was said of its file.
    internal MetadataTable? Table { get; init; }

    internal string? Mismatch { get; init; }

    private IForgettingModel Model { get; init; } = null!;

    /// <summary>
    /// New examples (cold columns) grouped by the same metadata (<see cref="ForecastMetadata"/>: their rows, joined by id after the
    /// model's examples), and the warning that replaces <see cref="Warning"/> for this answer (their rows are no longer unused).
    /// </summary>
    internal (NewExampleQuery Query, string? Warning) Group(NewExampleQuery query)
    {
        if (Table is null)
        {
            return (query, Warning);
        }

        var join = ForecastMetadata.Join(Table, Model.ExampleIds, query);
        return (ForecastMetadata.Group(query, join, Column), Describe(join.IsComplete && join.UnusedCount == 0 ? null : join.Summary(), Mismatch));
    }

    internal static Grouping Create(string column, IReadOnlyList<string?> labels, IForgettingModel model, string? warning, string? mismatch = null, MetadataTable? table = null, MetadataJoin? join = null)
    {
        var groups = ExampleGroups.FromLabels(labels);
        return new(column, groups, model, Describe(warning, mismatch))
        {
            Model = model,
            Table = table,
            Mismatch = mismatch,
            LabelWarnings = join is null || table is null ? [] : GroupColumns.LabelWarnings(groups, join, column, table.SourceName),
        };
    }

    private static string? Describe(string? warning, string? mismatch) =>
        string.Join(" ", new[] { mismatch, warning is null ? null : $"{warning} {GroupColumns.WithoutMetadata}" }.OfType<string>()) is { Length: > 0 } text ? text : null;
}

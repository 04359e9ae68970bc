using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using ForgetPredict.Application;
using ForgetPredict.Core;
using ForgetPredict.Core.Features;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ForgetPredict.Server;

/// <summary>An uploaded matrix waiting for (or being fitted by) the background worker.</summary>
public sealed class FitJob
{
    private readonly Lock _lock = new();
    private int _queued = 1; // 1 until the job leaves the queue's count of waiting jobs (LeaveQueue)

    internal FitJob(string name, string method, ModelSettings settings, MatrixReadOptions readOptions, UploadedFile matrix, UploadedFile? examples, bool overwrite)
    {
        Id = Guid.NewGuid().ToString("N")[..16];
        Name = name;
        Method = method;
        Settings = settings;
        ReadOptions = readOptions;
        Matrix = matrix;
        Examples = examples;
        Overwrite = overwrite;
        Submitted = DateTimeOffset.UtcNow;
    }

    /// <summary>The job's id.</summary>
    public string Id { get; }

    /// <summary>The model to create.</summary>
    public string Name { get; }

    /// <summary>The family to fit.</summary>
    public string Method { get; }

    internal ModelSettings Settings { get; }

    internal MatrixReadOptions ReadOptions { get; }

    internal UploadedFile Matrix { get; }

    internal UploadedFile? Examples { get; }

    internal bool Overwrite { get; }

    /// <summary>Task feature files uploaded with the matrix (the model then predicts from task features), in upload order.</summary>
    internal IReadOnlyList<UploadedFile> TaskFeatures { get; init; } = [];

    /// <summary>Example feature files uploaded with the matrix (the model then predicts new examples from their features), in upload order.</summary>
    internal IReadOnlyList<UploadedFile> ExampleFeatures { get; init; } = [];

    /// <summary>Every temporary file of the job: the matrix, the metadata and the feature files.</summary>
    internal IEnumerable<string> TempPaths => UploadFiles.TempPaths(Matrix, Examples, TaskFeatures, ExampleFeatures);

    internal DateTimeOffset Submitted { get; }

    private string State { get; set; } = "queued";

    private string Stage { get; set; } = "queued";

    private double Progress { get; set; }

    private DateTimeOffset? Started { get; set; }

    private DateTimeOffset? Finished { get; set; }

    private string? Error { get; set; }

    private IReadOnlyList<string>? Warnings { get; set; }

    /// <summary>True once the job succeeded or failed.</summary>
    public bool IsFinished
    {
        get
        {
            lock (_lock)
            {
                return Finished is not null;
            }
        }
    }

    /// <summary>The job's state on the wire.</summary>
    public JobDto ToDto()
    {
        lock (_lock)
        {
            return new JobDto(Id, State, Stage, Progress, Name, Method, Submitted, Started, Finished, Error, State == "succeeded" ? $"/v1/models/{Name}" : null) { Warnings = Warnings };
        }
    }

    internal void Report(string stage, double progress)
    {
        lock (_lock)
        {
            if (Finished is not null || Stage == "cancelling")
            {
                return;
            }

            State = "running";
            Started ??= DateTimeOffset.UtcNow;
            Stage = stage;
            Progress = progress;
        }
    }

    /// <summary>True the first time only: the job leaves the queue's count of waiting jobs.</summary>
    internal bool LeaveQueue() => Interlocked.Exchange(ref _queued, 0) == 1;

    /// <summary>Marks a running job as being stopped (stage "cancelling") until its fit notices.</summary>
    internal void Cancelling()
    {
        lock (_lock)
        {
            if (Finished is null)
            {
                // The worker has taken the job, maybe before its first report: it is running (it showed "queued" with
                // stage "cancelling" for that moment).
                State = "running";
                Started ??= DateTimeOffset.UtcNow;
                Stage = "cancelling";
            }
        }
    }

    internal void Finish(string? error, IReadOnlyList<string>? warnings = null, string? stage = null)
    {
        lock (_lock)
        {
            if (Finished is not null)
            {
                return;
            }

            Warnings = warnings is { Count: > 0 } ? warnings : null;
            State = error is null ? "succeeded" : "failed";
            Stage = stage ?? (error is null ? "done" : "failed");
            Progress = error is null ? 1 : Progress;
            Error = error;
            Finished = DateTimeOffset.UtcNow;
        }
    }
}

/// <summary>A file received with an upload, kept as a dot-prefixed temporary file in the store until the job ends.</summary>
/// <param name="TempPath">Where the bytes are.</param>
/// <param name="SourceName">The client's file name (no folders), for format detection and messages.</param>
/// <param name="Length">Bytes.</param>
internal sealed record UploadedFile(string TempPath, string SourceName, long Length);

/// <summary>
/// Fits uploaded matrices in the background, one at a time, in submission order; finished models are written into the
/// store atomically (a temporary file renamed over <c>NAME.fpm</c>), so a crash leaves either the old file or the new one.
/// </summary>
/// <remarks>Jobs live in memory: a restart forgets queued and running jobs (their temporary files are removed at the next
/// start) but never loses a finished model, because the store is the state.</remarks>
public sealed partial class FitQueue : BackgroundService
{
    private const int KeptJobs = 1000;
    private readonly Channel<FitJob> _channel;
    private int _waiting; // queued jobs not cancelled: what MaxQueuedFits bounds
    private readonly ConcurrentDictionary<string, FitJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FitJob> _active = new(StringComparer.Ordinal);
    private readonly Lock _runningLock = new();
    private (FitJob Job, CancellationTokenSource Stop)? _running;
    private readonly ModelStore _store;
    private readonly ServerOptions _options;
    private readonly ILogger<FitQueue> _logger;

    /// <summary>Creates the queue.</summary>
    public FitQueue(ModelStore store, ServerOptions options, ILogger<FitQueue> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        _logger = logger;
        _channel = Channel.CreateUnbounded<FitJob>(new UnboundedChannelOptions { SingleReader = true });
    }

    /// <summary>
    /// Called on the fit's thread after a running job records each stage, with the fit's cancellation token. The tests use it to
    /// hold a fit at "fitting" until it is cancelled, so that a cancel always reaches a running fit however fast the machine;
    /// unset in the service.
    /// </summary>
    internal Action<FitJob, string, CancellationToken>? StageReported { get; set; }

    /// <summary>The job with this id, or null.</summary>
    public FitJob? Find(string id) => _jobs.GetValueOrDefault(id);

    /// <summary>Every job kept, newest first.</summary>
    public IReadOnlyList<FitJob> All() => [.. _jobs.Values.OrderByDescending(j => j.Submitted)];

    /// <summary>Queues a job; refuses a name that is already being fitted (409) and a full queue (503).</summary>
    /// <exception cref="ApiException">The name is busy or the queue is full.</exception>
    internal void Submit(FitJob job)
    {
        if (!_active.TryAdd(job.Name, job))
        {
            throw new ApiException(409, $"Model '{job.Name}' is already being fitted (job {_active.GetValueOrDefault(job.Name)?.Id}); wait for it to finish.");
        }

        // A cancelled job leaves the count at once, though it stays in the channel until the worker skips it.
        if (Interlocked.Increment(ref _waiting) > _options.MaxQueuedFits || !_channel.Writer.TryWrite(job))
        {
            Interlocked.Decrement(ref _waiting);
            _active.TryRemove(job.Name, out _);
            throw new ApiException(503, string.Create(CultureInfo.InvariantCulture, $"{_options.MaxQueuedFits} fits are already waiting; try again when one has finished."));
        }

        _jobs[job.Id] = job;
        Trim();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in _channel.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                Unqueue(job);
                // The fit is CPU-bound: run it off the hosting thread so shutdown stays responsive. Shutdown and a cancel
                // request (Cancel) both stop it at its next solver sweep.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                lock (_runningLock)
                {
                    if (job.IsFinished)
                    {
                        // Cancelled while it waited.
                        Cleanup(job);
                        continue;
                    }

                    _running = (job, stop);
                }

                var token = stop.Token;
                try
                {
                    await Task.Run(() => Run(job, token, stoppingToken), CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    lock (_runningLock)
                    {
                        _running = null;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Jobs still queued at shutdown are dropped; their temporary files go now.
            while (_channel.Reader.TryRead(out var left))
            {
                Unqueue(left);
                Cleanup(left);
                left.Finish("The server stopped before this fit started; upload the matrix again.");
            }
        }
    }

    /// <summary>
    /// Cancels job <paramref name="id"/> (DELETE /v1/jobs/ID): a queued job fails at once and its files go; a running one stops
    /// at its next solver sweep. Returns the job (null when there is none), finished or not.
    /// </summary>
    internal FitJob? Cancel(string id)
    {
        var job = Find(id);
        if (job is null || job.IsFinished)
        {
            return job;
        }

        lock (_runningLock)
        {
            if (_running is { } running && ReferenceEquals(running.Job, job))
            {
                job.Cancelling();
                running.Stop.Cancel();
                return job;
            }

            // Still queued (the worker takes the lock before it starts a job, and skips a finished one). Its files go before
            // it is reported finished, as a run's do.
            Cleanup(job);
            job.Finish($"The fit was cancelled (DELETE /v1/jobs/{id}) before it started; upload the matrix again to fit it.", stage: "cancelled");
            Unqueue(job);
        }

        return job;
    }

    private void Run(FitJob job, CancellationToken cancellationToken, CancellationToken stoppingToken)
    {
        // The job is reported finished only once its temporary files are gone: a client that sees it done finds none left.
        // A failure until the fit is saved: nothing that escapes a handler below can report the job as succeeded.
        (string? Error, IReadOnlyList<string>? Warnings, string? Stage) outcome = ("The fit failed before it was saved.", null, null);
        try
        {
            job.Report("reading", 0.05);
            ForgettingMatrix matrix;
            using (var stream = new FileStream(job.Matrix.TempPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            {
                matrix = MatrixFile.Read(stream, job.Matrix.SourceName, job.ReadOptions);
            }

            Fitting.CheckMatrix(job.Method, matrix, job.Matrix.SourceName);

            MetadataTable? examples = null;
            if (job.Examples is { } upload)
            {
                // The temporary file keeps the upload's extension, so Parquet is read by path; CSV/TSV by stream, named as uploaded.
                if (MetadataExtension(upload.SourceName) == ".parquet")
                {
                    examples = MetadataTable.Read(upload.TempPath);
                }
                else
                {
                    using var stream = new FileStream(upload.TempPath, FileMode.Open, FileAccess.Read, FileShare.Read);
                    examples = MetadataTable.Read(stream, upload.SourceName);
                }

                if (examples.Join(matrix.ExampleIds, "example").MatchedCount == 0)
                {
                    throw new ArgumentException($"{upload.SourceName}: none of its ids is an example of {job.Matrix.SourceName} (first id: '{(examples.Ids.Count > 0 ? examples.Ids[0] : string.Empty)}', first example: '{matrix.ExampleIds[0]}'); the id column must hold the matrix's example ids (column indices for a bare .npy).");
                }
            }

            // Features are read as 'fit --task-features' and 'fit --example-features' read the files, named as uploaded.
            var taskFeatures = Features(job.TaskFeatures, matrix.TaskIds, "task");
            var exampleFeatures = Features(job.ExampleFeatures, matrix.ExampleIds, "example");

            // The model records which metadata it was uploaded with (see below).
            var withMetadata = job.Examples is not null && examples is not null;
            var fit = Fitting.Fit(new FitRequest
            {
                Matrix = matrix,
                Source = job.Matrix.SourceName,
                Method = job.Method,
                Settings = job.Settings,
                Uploaded = job.Submitted,
                ExamplesSha256 = withMetadata ? StoredModel.HashFile(job.Examples!.TempPath) : null,
                TaskFeatures = taskFeatures,
                ExampleFeatures = exampleFeatures,
            }, (stage, progress) =>
            {
                job.Report(stage, progress);
                StageReported?.Invoke(job, stage, cancellationToken);
            }, cancellationToken);

            // A cancel that came after the fit's last check still wins: nothing is saved.
            cancellationToken.ThrowIfCancellationRequested();
            job.Report("saving", 0.9);
            var modelPath = _store.ModelPath(job.Name);
            if (!job.Overwrite && File.Exists(modelPath))
            {
                throw new ApiException(409, $"Model '{job.Name}' appeared in the store while this fit ran; upload again with overwrite=true to replace it.");
            }

            // The model first, recording which metadata it was uploaded with; then the metadata. Two renames are not one: a
            // crash between them leaves the new model beside the old metadata, which the store then reports
            // (StoredModel compares the recorded hash) instead of grouping by the wrong file in silence.
            // Metadata that came with the replaced model's upload (the file whose hash that model recorded) describes the old
            // matrix's examples; a file the operator placed beside the model by hand is theirs, and stays.
            var oldUploadedMetadata = !withMetadata && File.Exists(modelPath) ? UploadedMetadata(job.Name) : null;
            try
            {
                Fitting.Save(fit, modelPath);
            }
            catch (ForgettingDataException e) when (e.InnerException is IOException or UnauthorizedAccessException)
            {
                // The store could not be written: the operator's to fix (free space, permissions), not a model to refit.
                throw ApiException.StoreWriteFailed(e.InnerException, $"saving model '{job.Name}'");
            }

            if (withMetadata)
            {
                var metadata = job.Examples!;
                var suffix = ModelStore.MetadataSuffixes.First(s => s.EndsWith(MetadataExtension(metadata.SourceName), StringComparison.Ordinal));
                try
                {
                    AtomicFile.Write(_store.Inside(job.Name, suffix), stream =>
                    {
                        using var source = File.OpenRead(metadata.TempPath);
                        source.CopyTo(stream);
                    });
                }
                catch (ForgettingDataException e) when (e.InnerException is IOException or UnauthorizedAccessException)
                {
                    throw ApiException.StoreWriteFailed(e.InnerException, $"saving the example metadata of model '{job.Name}'");
                }
                foreach (var other in ModelStore.MetadataSuffixes.Where(s => s != suffix))
                {
                    File.Delete(_store.Inside(job.Name, other));
                }
            }
            else if (oldUploadedMetadata is not null)
            {
                // A model uploaded without metadata has none: the old upload's labels grouped a new matrix's examples,
                // warning only of unmatched ids.
                File.Delete(oldUploadedMetadata);
            }

            _store.Invalidate(job.Name);
            // A seed given to a method that draws no random numbers is warned of, as fit warns of it.
            IEnumerable<string> unusedSeed = Fitting.UnusedSeedWarning(job.Method, job.Settings) is { } seedWarning ? [Problems.Fields.Describe(seedWarning)] : [];
            outcome = (null, [.. unusedSeed, .. fit.Warnings.Select(_store.Relative)], null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = (stoppingToken.IsCancellationRequested
                ? "The server stopped while this fit ran; upload the matrix again."
                : $"The fit was cancelled (DELETE /v1/jobs/{job.Id}) before it finished; upload the matrix again to fit it.", null, "cancelled");
        }
        catch (Exception e) when (Problems.Classify(e) is { } problem)
        {
            // Files are named relative to the store, as in every answer (a job's error is read through the API).
            outcome = (_store.Relative(problem.Detail), null, null);
        }
        catch (Exception e)
        {
            // Anything else is a fault of this job, not of the service: the job fails and the worker goes on with the next one
            // (an exception escaping ExecuteAsync would stop the whole host).
            outcome = ($"The fit failed: {_store.Relative(e.Message)}", null, null);
            LogFailed(_logger, e, job.Id);
        }
        finally
        {
            Cleanup(job);
            job.Finish(outcome.Error, outcome.Warnings, outcome.Stage);
        }

        if (outcome.Error is null)
        {
            LogFitted(_logger, job.Name, job.Method, job.Id);
        }
    }

    // Takes a job out of the count of waiting jobs, once (when the worker takes it, or when it is cancelled while it waits).
    private void Unqueue(FitJob job)
    {
        if (job.LeaveQueue())
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    // The metadata file beside model `name` when it is the one uploaded with it (the model recorded its hash), else null.
    private string? UploadedMetadata(string name)
    {
        try
        {
            return _store.MetadataPath(name) is { } path
                && _store.Get(name).Loaded.Metadata.GetValueOrDefault(FitProvenance.ExamplesSha256Key) is { } recorded
                && string.Equals(StoredModel.HashFile(path), recorded, StringComparison.Ordinal)
                ? path : null;
        }
        catch (Exception e) when (e is ApiException or ForgettingDataException or IOException or UnauthorizedAccessException)
        {
            // The old model or its metadata cannot be read: leave the file as it is.
            return null;
        }
    }

    /// <summary>The metadata file extension for an uploaded name (.csv, .tsv or .parquet).</summary>
    internal static string MetadataExtension(string sourceName) => Path.GetExtension(sourceName).ToLowerInvariant() switch
    {
        ".tsv" or ".tab" => ".tsv",
        ".parquet" or ".pq" => ".parquet",
        _ => ".csv",
    };

    private static FeatureSet? Features(IReadOnlyList<UploadedFile> files, IdList ids, string what) =>
        FeatureFile.ReadAll([.. files.Select(f => (f.TempPath, f.SourceName))], ids, what);

    private void Cleanup(FitJob job)
    {
        foreach (var path in job.TempPaths)
        {
            UploadFiles.TryDelete(path);
        }

        _active.TryRemove(new KeyValuePair<string, FitJob>(job.Name, job));
    }

    private void Trim()
    {
        if (_jobs.Count <= KeptJobs)
        {
            return;
        }

        foreach (var old in _jobs.Values.Where(j => j.IsFinished).OrderBy(j => j.Submitted).Take(_jobs.Count - KeptJobs))
        {
            _jobs.TryRemove(old.Id, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "fitted {Name} ({Method}) in job {Id}")]
    private static partial void LogFitted(ILogger logger, string name, string method, string id);

    [LoggerMessage(Level = LogLevel.Error, Message = "fit job {Id} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string id);
}

using System.Globalization;
using ForgetPredict.Application;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;
using ForgetPredict.Data.Parquet;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ForgetPredict.Server;

/// <summary>
/// Reads an upload (<c>multipart/form-data</c>) as it arrives: file parts are streamed into dot-prefixed temporary files
/// inside the store (never buffered in memory), fields are small text values; any failure removes what was written.
/// </summary>
internal static class UploadFiles
{
    /// <summary>The prefix of upload temporary files in the store.</summary>
    public const string TempPrefix = ".upload-";

    /// <summary>The repeatable file field of task features (as <c>fit --task-features</c>).</summary>
    public const string TaskFeaturesField = "taskFeatures";

    /// <summary>The repeatable file field of example features (as <c>fit --example-features</c>).</summary>
    public const string ExampleFeaturesField = "exampleFeatures";

    /// <summary>Most files an upload may send as task features, and as example features (each part is a temporary file).</summary>
    public const int MaxFeatureFiles = 64;

    private const int MaxFieldBytes = 4096;
    // The text fields; Fields lists them with the file parts.
    private static readonly string[] s_fields = ["name", "method", "rank", "lambda", "seed", "known", "format", "layout", "array", "overwrite"];

    /// <summary>Every field an upload takes, in the order an unknown field's message lists them (openapi.json's Upload schema lists the same).</summary>
    internal static IReadOnlyList<string> Fields { get; } = ["file", .. s_fields, "examples", TaskFeaturesField, ExampleFeaturesField];

    /// <summary>Reads the form and builds the fit job; the caller queues it.</summary>
    public static async Task<FitJob> ReadAsync(HttpContext context, ModelStore store, ServerOptions options)
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                "Upload the matrix as multipart/form-data with fields file (the matrix), name and optionally method (default auto; e.g. curl -F file=@z.npy -F name=my-model -F method=mf).");
        }

        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw ApiException.BadRequest("The multipart/form-data content type has no boundary.");
        }

        if (request.ContentLength > options.MaxUploadBytes)
        {
            throw ApiException.TooLarge(options.MaxUploadBytes, "upload", "--max-upload-mb");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        UploadedFile? matrix = null, examples = null;
        var taskFeatures = new List<UploadedFile>();
        var exampleFeatures = new List<UploadedFile>();
        void DeleteAll()
        {
            foreach (var path in TempPaths(matrix, examples, taskFeatures, exampleFeatures))
            {
                TryDelete(path);
            }
        }

        var body = new LimitedStream(request.Body, options.MaxUploadBytes, "upload", "--max-upload-mb");
        try
        {
            var reader = new MultipartReader(boundary, body) { HeadersLengthLimit = 16 * 1024 };
            while (await reader.ReadNextSectionAsync(context.RequestAborted).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !(disposition.IsFormDisposition() || disposition.IsFileDisposition()))
                {
                    throw ApiException.BadRequest("Every part of the upload needs a Content-Disposition: form-data header with a name.");
                }

                var field = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
                if (field is TaskFeaturesField or ExampleFeaturesField)
                {
                    // Repeatable, as --task-features and --example-features: each part is one file, named (and read) as the client named it.
                    var files = field == TaskFeaturesField ? taskFeatures : exampleFeatures;
                    if (files.Count == MaxFeatureFiles)
                    {
                        throw ApiException.BadRequest(string.Create(CultureInfo.InvariantCulture, $"The upload has more than {MaxFeatureFiles} '{field}' parts; join the features into fewer files (a table of settings, an embedding)."));
                    }

                    files.Add(await SaveAsync(section.Body, store, ClientFileName(disposition, field), context.RequestAborted).ConfigureAwait(false));
                }
                else if (field is "file" or "examples")
                {
                    if ((field == "file" ? matrix : examples) is not null)
                    {
                        throw ApiException.BadRequest($"The upload has two '{field}' parts; send one.");
                    }

                    // A text field of that name (curl -F file=z.npy, without the @) is not a file: its text had been read as
                    // a matrix named upload.bin.
                    if (!disposition.FileName.HasValue && !disposition.FileNameStar.HasValue)
                    {
                        throw ApiException.BadRequest($"'{field}' is a text field, not a file: send the {(field == "file" ? "matrix" : "example metadata")} as a file part with its file name (curl -F {field}=@{(field == "file" ? "z.npy" : "examples.csv")}).");
                    }

                    var fileName = ClientFileName(disposition, field);
                    var saved = await SaveAsync(section.Body, store, fileName, context.RequestAborted).ConfigureAwait(false);
                    if (field == "file")
                    {
                        matrix = saved;
                    }
                    else
                    {
                        examples = saved;
                    }
                }
                else if (s_fields.Contains(field))
                {
                    if (fields.ContainsKey(field))
                    {
                        throw ApiException.BadRequest($"The upload has two '{field}' parts; send one.");
                    }

                    fields[field] = await ReadFieldAsync(section.Body, field, context.RequestAborted).ConfigureAwait(false);
                }
                else
                {
                    throw ApiException.BadRequest($"Unknown upload field '{Application.Echo.Printable(field)}'{Suggestion.AndList(field, Fields, "fields")}");
                }
            }

            return Build(fields, matrix, examples, taskFeatures, exampleFeatures, store, options);
        }
        catch (Exception e) when (e is (IOException and not BadHttpRequestException) or InvalidDataException && !context.RequestAborted.IsCancellationRequested)
        {
            // Reading the body failed (the server's own refusals, a body too slow (408) or too large (413), pass through as they are): no closing boundary, a part cut short, garbage between parts (the client's error).
            DeleteAll();
            // The reader's own words for a body cut short ("Unexpected end of Stream, the content may have already been read
            // by another component.") are about .NET, not the upload: say what happened.
            var why = body.Ended ? "the multipart body ended before its closing boundary" : e.Message.TrimEnd('.');
            throw ApiException.BadRequest($"The multipart/form-data body is malformed ({why}); send one part per field between the boundaries the Content-Type names, and end the body with the closing boundary (--BOUNDARY--), e.g. curl -F file=@z.npy -F name=my-model -F method=mf.");
        }
        catch
        {
            DeleteAll();
            throw;
        }
    }

    /// <summary>The temporary files of an upload's parts: the matrix, the metadata and the feature files (those saved so far).</summary>
    internal static IEnumerable<string> TempPaths(UploadedFile? matrix, UploadedFile? examples, IReadOnlyList<UploadedFile> taskFeatures, IReadOnlyList<UploadedFile> exampleFeatures) =>
        new[] { matrix, examples }.Concat(taskFeatures).Concat(exampleFeatures).OfType<UploadedFile>().Select(f => f.TempPath);

    /// <summary>Deletes a temporary file if it exists, ignoring failures (cleanup paths must not throw).</summary>
    public static void TryDelete(string? path) => TemporaryFiles.Delete(path);

    private static FitJob Build(Dictionary<string, string> fields, UploadedFile? matrix, UploadedFile? examples, List<UploadedFile> taskFeatures, List<UploadedFile> exampleFeatures, ModelStore store, ServerOptions options)
    {
        if (matrix is null)
        {
            throw ApiException.BadRequest("The upload has no 'file' part: send the matrix (.npy, .npz, .csv, .tsv, .json or .parquet) as field 'file'.");
        }

        var name = fields.GetValueOrDefault("name") ?? throw ApiException.BadRequest("The upload has no 'name' field: name the model (letters, digits, '.', '_', '-').");
        ModelStore.CheckName(name);
        var method = fields.GetValueOrDefault("method") ?? ModelCatalog.Default;
        var settings = new ModelSettings
        {
            Rank = Number(fields, "rank", s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
            Lambda = Number(fields, "lambda", s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)),
            Seed = Number(fields, "seed", s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),
            Known = Number(fields, "known", s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)),

            // Fits leave the other cores to queries (the model is the same bits for any thread count).
            MaxThreads = options.FitThreads,
        };
        // Unknown methods, settings that do not apply and features the method cannot carry fail now, with the CLI's messages,
        // rather than in the background.
        _ = Fitting.CreateFitter(method, settings, taskFeatures.Count > 0, exampleFeatures.Count > 0);

        var layout = Choices.Layout.Parse(fields.GetValueOrDefault("layout"));
        // The matrix limit bounds what any format may imply (a long file's ids, a Parquet footer), not only an .npz's entries.
        var readOptions = new MatrixReadOptions { Format = fields.GetValueOrDefault("format"), Layout = layout, Array = fields.GetValueOrDefault("array"), MaxCells = options.MatrixLimit / sizeof(float) };
        // An option the file contradicts (a layout or an array for an .npy, format=csv for one) is refused now with the
        // command line's words, from the file's first bytes only; the job reads the matrix.
        string format;
        try
        {
            using var head = new FileStream(matrix.TempPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
            format = MatrixFile.CheckReadOptions(head, matrix.SourceName, readOptions);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // (not the client's malformed body, which the caller would take an IOException for)
            throw new ApiException(StatusCodes.Status500InternalServerError, $"The server cannot read back the upload it saved in its model store ({e.Message.TrimEnd('.')}); its operator must fix the store folder (its permissions); then send the upload again.", e);
        }

        CheckUncompressedSize(matrix, format == "npz", options);
        foreach (var features in taskFeatures.Concat(exampleFeatures))
        {
            CheckUncompressedSize(features, Path.GetExtension(features.SourceName).Equals(".npz", StringComparison.OrdinalIgnoreCase), options);
        }

        foreach (var table in taskFeatures.Concat(exampleFeatures).Append(examples).OfType<UploadedFile>())
        {
            RefuseCompressedTable(table);
            CheckParquetTableSize(table, readOptions.MaxCells.Value);
        }

        var overwrite = fields.GetValueOrDefault("overwrite") switch
        {
            null or "false" or "0" => false,
            "true" or "1" => true,
            var other => throw ApiException.BadRequest($"'overwrite' must be true or false, not '{other}'."),
        };
        if (!overwrite && File.Exists(store.ModelPath(name)))
        {
            throw new ApiException(StatusCodes.Status409Conflict, $"Model '{name}' already exists; send overwrite=true to replace it.");
        }

        return new FitJob(name, method, settings, readOptions, matrix, examples, overwrite) { TaskFeatures = taskFeatures, ExampleFeatures = exampleFeatures };
    }

    /// <summary>
    /// Refuses (413) an .npz whose entries declare more bytes than the server's matrix limit, before anything is decompressed:
    /// the upload limit bounds the compressed bytes only, and deflate turns 2 MB of zeros into 2 GB. The declared sizes
    /// bound what reading allocates (each .npy header must match its entry's size; the reader checks the bytes it inflates
    /// against them). A file that is not a zip archive is left to the reader, which says what is wrong with it.
    /// </summary>
    internal static void CheckUncompressedSize(UploadedFile file, bool isNpz, ServerOptions options)
    {
        if (!isNpz)
        {
            return;
        }

        long total = 0;
        try
        {
            using var archive = System.IO.Compression.ZipFile.OpenRead(file.TempPath);
            foreach (var entry in archive.Entries)
            {
                total = entry.Length < 0 || long.MaxValue - total < entry.Length ? long.MaxValue : total + entry.Length;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            return;
        }

        var limit = options.MatrixLimit;
        if (total > limit)
        {
            var which = options.MaxMatrixBytes is null
                ? string.Create(CultureInfo.InvariantCulture, $"--max-matrix-mb, by default {ServerOptions.DefaultMatrixToUploadRatio} times --max-upload-mb")
                : "--max-matrix-mb";
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"{file.SourceName} decompresses to {ApiException.Megabytes(total)} ({file.Length} bytes uploaded), more than the server's limit of {ApiException.Megabytes(limit)} for an uploaded matrix ({which}); send a smaller matrix, or start the server with a higher --max-matrix-mb."));
        }
    }

    /// <summary>
    /// Refuses (415) a gzip-compressed table (example metadata, task or example features; by its name or its first bytes).
    /// The command line reads them, but a table is read whole into memory, and nothing bounds what an upload within
    /// --max-upload-mb decompresses to (a matrix is bounded by --max-matrix-mb as it is read, so a gzipped CSV matrix is read).
    /// </summary>
    internal static void RefuseCompressedTable(UploadedFile file)
    {
        if (MatrixFile.IsGzip(file.TempPath, file.SourceName))
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, $"{Application.Echo.Printable(file.SourceName)} is gzip-compressed: the service reads tables (example metadata, task and example features) uncompressed only, since nothing bounds what they decompress to; send it as plain CSV, TSV or Parquet (a gzipped CSV or JSON matrix is read).");
        }
    }

    /// <summary>
    /// Refuses (413) a Parquet table (example metadata, task or example features) whose footer declares more cells (rows x
    /// columns) than the server's matrix limit allows, before any column is read: run-length encoding turns a few bytes into
    /// millions of rows, and the table readers allocate each column for the rows the footer declares. A file that is not
    /// Parquet is left to the reader, which says what is wrong with it.
    /// </summary>
    internal static void CheckParquetTableSize(UploadedFile file, long maxCells)
    {
        if (Path.GetExtension(file.SourceName).ToLowerInvariant() is not (".parquet" or ".pq"))
        {
            return;
        }

        long rows, columns;
        try
        {
            using var reader = ParquetReader.Open(file.TempPath);
            (rows, columns) = (reader.RowCount, reader.Columns.Count);
        }
        catch (ForgettingDataException)
        {
            return;
        }

        if (columns > 0 && rows > maxCells / columns)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, string.Create(CultureInfo.InvariantCulture,
                $"{file.SourceName} declares {rows:N0} rows of {columns:N0} columns ({file.Length} bytes uploaded), more than the {maxCells:N0} cells the server accepts in an uploaded table (--max-matrix-mb); send a smaller table, or start the server with a higher --max-matrix-mb."));
        }
    }

    private static T? Number<T>(Dictionary<string, string> fields, string name, Func<string, T> parse)
        where T : struct
    {
        if (!fields.TryGetValue(name, out var text))
        {
            return null;
        }

        try
        {
            return parse(text.Trim());
        }
        catch (FormatException)
        {
            throw ApiException.BadRequest($"'{name}' must be {(typeof(T) == typeof(int) ? "a whole number" : "a number")}, not '{Application.Echo.Printable(text)}'.");
        }
        catch (OverflowException)
        {
            // A whole number too large for the field: say its range, from where the library checks it (rank 1 to 1,024).
            throw ApiException.BadRequest($"'{name}' must be {(typeof(T) == typeof(int) ? Application.OptionRanges.WholeNumber(Problems.Fields.OptionOf(name)) : "a number in range")}, not '{Application.Echo.Printable(text)}'.");
        }
    }

    private static string ClientFileName(ContentDispositionHeaderValue disposition, string field)
    {
        var raw = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
        // Only the last segment, as a label and an extension: the client's folders mean nothing here.
        var name = Path.GetFileName((raw ?? string.Empty).Replace('\\', '/'));
        return name.Length > 0 && !name.Any(char.IsControl) ? name : field switch { "file" => "upload.bin", TaskFeaturesField => "task-features.csv", ExampleFeaturesField => "example-features.csv", _ => "examples.csv" };
    }

    private static async Task<UploadedFile> SaveAsync(Stream body, ModelStore store, string sourceName, CancellationToken cancellationToken)
    {
        var extension = Path.GetExtension(sourceName).ToLowerInvariant();
        var safeExtension = extension.Length is > 1 and <= 9 && extension.Skip(1).All(char.IsAsciiLetterOrDigit) ? extension : ".bin";
        var path = TemporaryFiles.NewPath(store.Directory, TempPrefix, safeExtension);
        FileStream file;
        try
        {
            // Unbuffered (CopyAsync writes whole 64 KB blocks): a failed write leaves nothing for Dispose to flush, which would
            // throw again and hide the first failure.
            file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TemporaryFiles.Release(path);
            throw ApiException.StoreWriteFailed(e, "saving the upload");
        }

        try
        {
            await using (file)
            {
                await CopyAsync(body, file, cancellationToken).ConfigureAwait(false);
                return new UploadedFile(path, sourceName, file.Length);
            }
        }
        catch
        {
            TryDelete(path);
            throw;
        }
    }

    /// <summary>
    /// Copies a part's body into its file. A failure to read is the request's (a malformed or cut body: the caller's 400);
    /// a failure to write is the store's (disk full: 507, else 500), said to the operator, never as a malformed body.
    /// </summary>
    internal static async Task CopyAsync(Stream body, Stream file, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            try
            {
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw ApiException.StoreWriteFailed(e, "saving the upload");
            }
        }

        try
        {
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ApiException.StoreWriteFailed(e, "saving the upload");
        }
    }

    private static async Task<string> ReadFieldAsync(Stream body, string field, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > MaxFieldBytes)
            {
                throw ApiException.BadRequest(string.Create(CultureInfo.InvariantCulture, $"Field '{field}' is longer than {MaxFieldBytes} bytes."));
            }
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, total).Trim();
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ForgetPredict.Core;
using ForgetPredict.Core.Analysis;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Data;

/// <summary>A model read back from a model file, with the metadata saved beside it.</summary>
/// <param name="Model">The fitted model.</param>
/// <param name="Metadata">Free-form key/value pairs saved with it (e.g. "source", "r2").</param>
/// <param name="Summary">The training matrix summary for report heatmaps, when the file holds one.</param>
/// <param name="TaskFeatures">The task feature model fitted with it, when the file holds one (cold and warm start from task features).</param>
/// <param name="ExampleFeatures">The example feature model fitted with it, when the file holds one (cold columns: new examples from their features).</param>
public sealed record LoadedModel(IForgettingModel Model, IReadOnlyDictionary<string, string> Metadata, MatrixSummary? Summary = null, Core.Features.TaskFeatureModel? TaskFeatures = null,
    Core.Features.ExampleFeatureModel? ExampleFeatures = null);

/// <summary>
/// Saves and loads fitted models in ForgetPredict's versioned binary format, with a SHA-256 checksum, written atomically.
/// </summary>
/// <remarks>
/// <code>
/// *** Binary format, version 1 (all integers and floats little-endian) ***
/// byte[8]   magic "FPMODEL\0"
/// uint32    format version (1)
/// int64     payload length L
/// byte[L]   payload: a sequence of sections, each
///             uint32 tag, int64 length, byte[length] body
/// byte[32]  SHA-256 of the payload
///
/// Sections (tag: body)
///   1 META    int32 count, then count x (string key, string value)
///   2 FACTOR  a factor model: int32 method, int32 M, int32 N, int32 rank, byte flags (1 task bias, 2 example bias,
///             4 logistic, 8 prior, 16 residual factors, 32 unmeasured examples, 64 example uncertainty, 128 more flags), double mu, double noise, double task-bias penalty, double task-factor penalty,
///             ids(M), ids(N), double[M] a (if flag 1), double[N] b (if flag 2), double[M*r] U, double[r*N] V,
///             prior (if flag 8: int32 p, double[p] mean, double[p*p] covariance),
///             fit report (int32 iterations, byte converged, double objective, double residual variance),
///             residual factors (if flag 16: int32 q, double[q] scales, binary16[q*N] unit directions),
///             unmeasured examples (if flag 32: int32 count, int32[count] ascending indices, int32 s, double[s] their spread
///             (s = 0: the measured examples'); files without it read as before),
///             example uncertainty (if flag 64: int32 s, float[s] example parameter shares (s = 0 or N), double the residual
///             variances' shrinkage weight; files without it read as no shares and no shrinkage),
///             more flags (if flag 128: uint32 flags2 (1 residual cross weights), then, if flags2 has 1, int32 s (= N), int32
///             the sampled tasks, double the common factor, byte[s] each example's sampled tasks that missed it: the residual
///             directions' cross weights; written only when the model has them (residual directions fitted on a matrix
///             with missing cells other than empty tasks and unmeasured examples), so files without it read as none)
///   3 KNN     int32 neighbours, int32 similarity, double shrinkage, double amplification, then a FACTOR body
///             (the additive baseline), then float[M*N] training values, then double[M*M] similarities, then (only when
///             positive, since interpolation weights: files without it read as 0) double interpolation prior
///   4 SUMMARY the training matrix summary for report heatmaps
///   5 ENSEMBLE  a stacked ensemble of member models (see ReadEnsemble), then double its std floor (files without it read
///             as 0)
///   6 TASKFEATURES the task feature model (after the model section; see ModelFile.TaskFeatures.cs)
///   7 EXAMPLEFEATURES the example feature model (after the model section; see ModelFile.TaskFeatures.cs); files without it read as before
///   8 TASKFEATURES2 a task feature model over several concatenated views (written instead of 6 only then, so files whose
///             feature model uses one view are as before)
///   9 TASKFEATURESPREAD how the task feature prior's variance grows with a task's distance from the training tasks (after
///             section 6 or 8; see ModelFile.TaskFeatures.cs); files without it keep the leave-one-out variances everywhere
///  10 TASKFEATURECONSTANT which columns of the task feature model's views were constant over the training tasks (left out
///             of the encoding; before section 6 or 8, only when there are some; see ModelFile.TaskFeatures.cs); files
///             without it encode every column, as before; it also holds the blocks left out because every column was constant
///             (kept to warn about a query that differs there; files written before end the section without them)
///  11 EXAMPLEFEATURECONSTANT the same for the example feature model (before section 7)
/// ids: byte implicit (1) or explicit (0); explicit: int32 count, count x string. string: int32 byte length, UTF-8.
/// </code>
/// <para>Every count and length read is checked against the bytes that remain before anything is allocated, and the
/// checksum is verified before any section is decoded.</para>
/// </remarks>
public static partial class ModelFile
{
    private const uint Version = 1;
    private const uint TagMeta = 1;
    private const uint TagFactor = 2;
    private const uint TagKnn = 3;
    private const uint TagSummary = 4;
    private const uint TagEnsemble = 5;
    private static readonly byte[] s_magic = "FPMODEL\0"u8.ToArray();

    // The bytes a model file starts with (the text readers recognise a model file given in a table's place by them).
    internal static ReadOnlySpan<byte> Magic => s_magic;

    /// <summary>The extension of a model file: <c>.fpm</c> (what <c>fit</c>'s help and the service's store name it).</summary>
    public const string Extension = ".fpm";

    /// <summary>Whether <paramref name="path"/> ends in <see cref="Extension"/> (in any case).</summary>
    /// <param name="path">A file's path.</param>
    public static bool HasExtension(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.EndsWith(Extension, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Why <paramref name="path"/> cannot name a model file, or null when it can: an extension that names a data format (a
    /// matrix's or a table's: <c>model.csv</c>, <c>model.npy</c>, <c>model.json</c>) would promise that format to whoever opens
    /// it, while a model file is this library's own binary format. Every other name is taken (<see cref="Extension"/> is the usual).
    /// </summary>
    /// <param name="path">The file to write.</param>
    public static string? NameRefusal(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length > 0 && Directory.Exists(path))
        {
            return $"is a folder; name a file in it (e.g. {Path.Combine(path, "out" + Extension)}).";
        }

        // model.npy.gz: the plain name the gzip refusal would suggest (model.npy) is refused in turn (model.fpm.gz is left to it).
        if (InputFile.IsGzipName(path) && DataFormatOf(Path.GetExtension(path[..^3]).ToLowerInvariant()) is not null)
        {
            return $"a model file is written uncompressed, in ForgetPredict's own binary format; name it with {Extension} ({Suggested(path)}).";
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        return DataFormatOf(extension) is not { } format ? null
            : $"'{extension}' names a data format ({format}), but a model file is ForgetPredict's own binary format, which predict, replay, design and the service read; name it with {Extension} ({Suggested(path)}).";
    }

    // The data format an extension names (a matrix's or a table's), or null.
    private static string? DataFormatOf(string extension) =>
        MatrixFile.Formats.FirstOrDefault(f => f.Value.Contains(extension, StringComparer.Ordinal)).Key
            ?? Tables.TableFile.Formats.FirstOrDefault(f => f.Extensions.Contains(extension))?.Name;

    // The model file name a refused one suggests, in its folder: its .gz and data-format extensions dropped and .fpm added
    // unless it then ends in it (m.npy.gz and m.fpm.csv -> m.fpm; dir/out.csv -> dir/out.fpm), a name NameRefusal takes.
    private static string Suggested(string path)
    {
        var name = Path.GetFileName(path);
        while (Path.GetExtension(name).ToLowerInvariant() is var extension && extension.Length > 0
            && (extension == ".gz" || DataFormatOf(extension) is not null))
        {
            name = name[..^extension.Length];
        }

        if (name.Length == 0)
        {
            name = "model";
        }

        if (!name.EndsWith(Extension, StringComparison.OrdinalIgnoreCase))
        {
            name += Extension;
        }

        var folder = Path.GetDirectoryName(path);
        return string.IsNullOrEmpty(folder) ? name : Path.Combine(folder, name);
    }

    /// <summary>Saves <paramref name="model"/> (and optional metadata) to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ForgettingDataException">The file cannot be written, or its name has a data format's extension (<see cref="NameRefusal"/>).</exception>
    /// <exception cref="NotSupportedException">The model type has no file representation.</exception>
    /// <exception cref="ArgumentException">A metadata value is null, or the summary's shape does not match the model (nothing
    /// is written).</exception>
    public static void Save(IForgettingModel model, string path, IReadOnlyDictionary<string, string>? metadata = null, MatrixSummary? summary = null,
        Core.Features.TaskFeatureModel? taskFeatures = null, Core.Features.ExampleFeatureModel? exampleFeatures = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (NameRefusal(path) is { } refusal)
        {
            throw new ForgettingDataException(path, refusal);
        }

        AtomicFile.Write(path, stream => Write(model, stream, metadata, summary, taskFeatures, exampleFeatures));
    }

    /// <summary>
    /// Copies the model file <paramref name="source"/> to <paramref name="destination"/>, atomically: it is read whole and its
    /// checksum verified (<see cref="Load"/>), then written again in this version's format (<see cref="Save"/>), so a file from an
    /// earlier version comes out current and a current one byte for byte the same. The destination's name is checked first
    /// (<see cref="NameRefusal"/>), before the source is read.
    /// </summary>
    /// <param name="source">The model file to read.</param>
    /// <param name="destination">The model file to create or replace (a link keeps pointing at it, as every output's).</param>
    /// <returns>The model read.</returns>
    /// <exception cref="ForgettingDataException">The destination's name is refused, the source is missing, corrupt or not a
    /// model file, or the destination cannot be written.</exception>
    public static LoadedModel Copy(string source, string destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (NameRefusal(destination) is { } refusal)
        {
            throw new ForgettingDataException(destination, refusal);
        }

        var loaded = Load(source);
        Save(loaded.Model, destination, loaded.Metadata, loaded.Summary, loaded.TaskFeatures, loaded.ExampleFeatures);
        return loaded;
    }

    /// <summary>
    /// Whether the file <paramref name="path"/> starts as a model file does (its "FPMODEL" header), read from its first 8 bytes
    /// only; false when it is shorter, is a folder or cannot be read. Whether the rest is a model is <see cref="Load"/>'s to say.
    /// </summary>
    /// <param name="path">The file to look at.</param>
    public static bool StartsAsModel(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            Span<byte> head = stackalloc byte[8];
            return stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && head.SequenceEqual(s_magic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="stream"/>.</summary>
    /// <exception cref="NotSupportedException">The model type has no file representation.</exception>
    /// <exception cref="ArgumentException">A metadata value is null, or the summary's shape does not match the model.</exception>
    public static void Write(IForgettingModel model, Stream stream, IReadOnlyDictionary<string, string>? metadata = null, MatrixSummary? summary = null,
        Core.Features.TaskFeatureModel? taskFeatures = null, Core.Features.ExampleFeatureModel? exampleFeatures = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        CheckMetadata(metadata);
        // Sized for the model's arrays up front: growing by doubling would copy a large model's bytes several times.
        using var payload = new MemoryStream(Capacity(model, summary));
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            Section(w, TagMeta, b =>
            {
                var items = metadata ?? new Dictionary<string, string>();
                b.Write(items.Count);
                foreach (var (key, value) in items.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    WriteString(b, key);
                    WriteString(b, value);
                }
            });
            WriteModel(w, model);

            if (summary is not null)
            {
                if (summary.TaskOrder.Count != model.TaskCount || summary.BinOf.Count != model.ExampleCount)
                {
                    throw new ArgumentException("The summary must describe the model's training matrix.", nameof(summary));
                }

                Section(w, TagSummary, b =>
                {
                    b.Write(model.TaskCount);
                    b.Write(summary.BinCount);
                    foreach (var t in summary.TaskOrder)
                    {
                        b.Write(t);
                    }

                    b.Write(model.ExampleCount);
                    foreach (var bin in summary.BinOf)
                    {
                        b.Write(bin);
                    }

                    b.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(summary.Values));
                });
            }

            if (taskFeatures?.Parts is { } parts)
            {
                if (HasConstantColumns(parts.Views, parts.ConstantViews))
                {
                    Section(w, TagTaskFeatureConstant, b => WriteConstantColumns(b, parts.Views, parts.ConstantViews));
                }

                Section(w, parts.Views.Count == 1 ? TagTaskFeatures : TagTaskFeaturesCombined, b => WriteTaskFeatures(b, parts));
                if (parts.Penalties.Length > 0)
                {
                    Section(w, TagTaskFeatureSpread, b => WriteTaskFeatureSpread(b, parts));
                }
            }

            if (exampleFeatures is not null)
            {
                if (HasConstantColumns(exampleFeatures.Views, exampleFeatures.ConstantViews))
                {
                    Section(w, TagExampleFeatureConstant, b => WriteConstantColumns(b, exampleFeatures.Views, exampleFeatures.ConstantViews));
                }

                Section(w, TagExampleFeatures, b => WriteExampleFeatures(b, exampleFeatures.Parts));
            }
        }

        // The checksum is computed while the payload is written (both only read the buffer).
        var buffer = payload.GetBuffer();
        var length = (int)payload.Length;
        var checksum = Task.Run(() => SHA256.HashData(buffer.AsSpan(0, length)));
        using var header = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        header.Write(s_magic);
        header.Write(Version);
        header.Write((long)length);
        header.Write(buffer, 0, length);
        header.Write(checksum.GetAwaiter().GetResult());
    }

    // The payload's size from the model's arrays and ids, so the stream does not grow: past its capacity a memory stream
    // doubles it, and an estimate 0.6 MB short (the example parameters' shares of 141,816 examples) had made the fit's
    // process peak 17 MB higher. Small fields are left to a margin.
    private static int Capacity(IForgettingModel model, MatrixSummary? summary)
    {
        var bytes = 64 * 1024L + (summary is null ? 0 : (4L * (model.TaskCount + model.ExampleCount)) + (4L * summary.Values.Length));
        bytes += model switch
        {
            FactorModel f => (8L * (model.TaskCount + model.ExampleCount) * (f.Rank + 1)) + (2L * f.ResidualRank * model.ExampleCount)
                + (4L * f.ExampleParameterShare.Length) + f.ResidualCrossMissing.Length + (4L * f.UnmeasuredExamples.Count) + IdBytes(f.TaskIds) + IdBytes(f.ExampleIds),
            _ => 0,
        };
        return (int)Math.Min(bytes + (bytes / 64), Array.MaxLength);
    }

    // What WriteIds writes, for ASCII ids (one byte per character and a one-byte length); others are left to the margin.
    private static long IdBytes(IdList ids)
    {
        if (ids.IsImplicit)
        {
            return 1;
        }

        var bytes = 5L;
        foreach (var id in ids)
        {
            bytes += id.Length + 1;
        }

        return bytes;
    }

    /// <summary>Loads a model file.</summary>
    /// <exception cref="ForgettingDataException">The file is missing, corrupt, from a newer version, or not a model file.</exception>
    public static LoadedModel Load(string path)
    {
        byte[] bytes;
        if (Directory.Exists(path))
        {
            throw new ForgettingDataException(path, "is a folder, not a model file; name the .fpm file in it.");
        }

        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgettingDataException(path, $"cannot open the model file: {e.Message}", innerException: e);
        }

        return Decode(bytes, path);
    }

    /// <summary>
    /// The SHA-256 checksum a model file records of its contents (its last 32 bytes), as lower-case hex, read without reading
    /// the rest of the file: two files with the same checksum hold the same model. Null when the file is too short to be a
    /// model file or cannot be read (<see cref="Load"/> then says why). The checksum is not verified here; <see cref="Load"/>
    /// verifies it.
    /// </summary>
    public static string? ReadChecksum(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            if (length < ShortestFile)
            {
                return null;
            }

            Span<byte> checksum = stackalloc byte[32];
            var done = 0;
            while (done < checksum.Length)
            {
                var read = RandomAccess.Read(handle, checksum[done..], length - checksum.Length + done);
                if (read == 0)
                {
                    return null;
                }

                done += read;
            }

            return Convert.ToHexStringLower(checksum);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The SHA-256 checksum a model file's <paramref name="bytes"/> record (their last 32 bytes), as lower-case hex, as
    /// <see cref="ReadChecksum"/> reads it from a file; null when the bytes are too short to be a model file. Not verified.
    /// </summary>
    public static string? ChecksumOf(ReadOnlySpan<byte> bytes) =>
        bytes.Length < ShortestFile ? null : Convert.ToHexStringLower(bytes[^32..]);

    // A header (magic, version, payload length: 20 bytes) and a checksum (32 bytes).
    private const int ShortestFile = 20 + 32;

    /// <summary>Decodes a model file's bytes; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="ForgettingDataException">The bytes are not a valid model file.</exception>
    public static LoadedModel Read(ReadOnlySpan<byte> bytes, string sourceName) => Decode(bytes.ToArray(), sourceName);

    /// <summary>
    /// Reads one model file from <paramref name="stream"/>, from its position (the counterpart of
    /// <see cref="Write(IForgettingModel, Stream, IReadOnlyDictionary{string, string}?, MatrixSummary?, Core.Features.TaskFeatureModel?, Core.Features.ExampleFeatureModel?)"/>),
    /// and leaves the stream just after it: the header records the payload's length, so exactly the model's bytes are read
    /// (header, payload, checksum) and nothing beyond. Models written back to back into one stream are read one call each; a
    /// model followed by other data (an archive entry, a protocol's next message) leaves that data unread. The stream need not
    /// seek (a network or decompression stream is read once, in order) and is left open. <paramref name="sourceName"/> names
    /// it in errors.
    /// </summary>
    /// <remarks>The checks and messages are those of <see cref="Load"/> and <see cref="Read(ReadOnlySpan{byte}, string)"/>, but
    /// for bytes after the model: those two take one whole file and refuse trailing bytes, this reads up to the model's end and
    /// leaves what follows to the caller. Memory follows the bytes the stream holds, not the length its header claims: a seekable
    /// stream's claim is checked against what is left before anything is allocated, and a forward-only stream's buffer grows as
    /// bytes arrive. After an error the stream's position is unspecified.</remarks>
    /// <exception cref="ArgumentException">The stream cannot be read.</exception>
    /// <exception cref="ForgettingDataException">The bytes are not a valid model file (cut short, a checksum that does not
    /// match...), or reading the stream failed.</exception>
    public static LoadedModel Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream cannot be read; open it for reading.", nameof(stream));
        }

        try
        {
            return Decode(ReadOne(stream), sourceName);
        }
        catch (IOException e)
        {
            throw new ForgettingDataException(sourceName, $"cannot read the model file: {e.Message}", innerException: e);
        }
    }

    // One model's bytes: the header, then as many bytes as the header's payload length says (plus the checksum), and not one
    // more (the stream is left just after the model). Whatever is short is left to Decode, whose messages then match the
    // other readers'.
    private static byte[] ReadOne(Stream stream)
    {
        var header = new byte[20];
        var got = ReadUpTo(stream, header);
        var length = got == header.Length && header.AsSpan(0, 8).SequenceEqual(s_magic) ? BitConverter.ToInt64(header, 12) : -1;
        // The length is checked against the largest array before the size is formed, so a forged length near long.MaxValue
        // cannot wrap the sum negative and slip past the checks.
        if (length < 0 || length > Array.MaxLength - 52 || (stream.CanSeek && stream.Length - stream.Position < length + 32))
        {
            // Not a model file, cut short, or a length the bytes present do not hold (a seekable stream's size says so at
            // once): the header is enough for Decode to say which, without reading or allocating what the header claims.
            return header[..got];
        }

        var size = 20 + length + 32;

        // Grow as the bytes arrive (a forward-only stream's claim is not trusted): at most twice what the stream holds.
        var file = new byte[Math.Min(size, 1 << 20)];
        header.CopyTo(file, 0);
        var filled = header.Length;
        while (true)
        {
            var read = ReadUpTo(stream, file.AsSpan(filled));
            filled += read;
            if (filled < file.Length || file.Length == size)
            {
                break;
            }

            Array.Resize(ref file, (int)Math.Min(size, (long)file.Length * 2));
        }

        return filled < file.Length ? file[..filled] : file;
    }

    // Reads until the buffer is full or the stream ends; returns the bytes read.
    private static int ReadUpTo(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = stream.Read(buffer[total..]);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    // Metadata is text: a null value (a missing entry in the caller's dictionary) would otherwise fail deep in the writer.
    private static void CheckMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (value is null)
            {
                throw new ArgumentException($"Model metadata '{key}' has no value (null); give it a string, or leave the key out.", nameof(metadata));
            }
        }
    }

    // The fixes the refusals of a model file end with: a damaged file, and one a newer release wrote.
    private const string CopyAgain = "Refit or copy the file again.";
    private const string Newer = "Load it with the release that wrote it, or refit the model with this one.";

    // Decodes in place: the sections are read from the file's own buffer, never from a copy of the payload.
    private static LoadedModel Decode(byte[] file, string sourceName)
    {
        ReadOnlySpan<byte> bytes = file;
        if (bytes.Length >= 8 && bytes.Length < 20 && bytes[..8].SequenceEqual(s_magic))
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture, $"the model file is cut short ({bytes.Length} bytes: its header alone is 20); copy it again, or refit it."));
        }

        if (bytes.Length < 20 || !bytes[..8].SequenceEqual(s_magic))
        {
            throw new ForgettingDataException(sourceName, OptionMessage.Of($"not a ForgetPredict model file (no FPMODEL header). Create one with {new OptionReference(DataOptionNames.SaveModel)}."));
        }

        var version = BitConverter.ToUInt32(bytes[8..12]);
        if (version != Version)
        {
            // The checksum covers the payload, not the header: a damaged version field reads as another version, so the
            // message offers that cause too.
            var cause = version > Version
                ? "it was written by a newer release of ForgetPredict (load it with that release), or its header is damaged (copy the file again)"
                : "it was written by an older release (refit the model with this one), or its header is damaged (copy the file again)";
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture, $"model format version {version} is not supported by this build, which reads version {Version}: {cause}."));
        }

        var length = BitConverter.ToInt64(bytes[12..20]);
        if (length < 0 || length != bytes.Length - 20 - 32)
        {
            throw new ForgettingDataException(sourceName, $"the model file is truncated or has trailing bytes (payload length does not match the file size). {CopyAgain}");
        }

        var payload = bytes.Slice(20, (int)length);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(bytes[^32..]))
        {
            throw new ForgettingDataException(sourceName, $"the model file is corrupt: its SHA-256 checksum does not match. {CopyAgain}");
        }

        var reader = new SpanReader(file, sourceName, 20, 20 + (int)length);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        IForgettingModel? model = null;
        MatrixSummary? summary = null;
        Core.Features.TaskFeatureModel? taskFeatures = null;
        Core.Features.ExampleFeatureModel? exampleFeatures = null;
        var seen = new HashSet<uint>();
        ConstantColumns? taskConstant = null, exampleConstant = null;
        while (!reader.AtEnd)
        {
            var tag = reader.UInt32();
            var sectionLength = reader.Int64();
            var section = reader.Sub(sectionLength);

            // Each section once (a task feature model in one form, so the spread, which must follow it, cannot be dropped by a
            // second one): a second section would silently replace the first.
            if (!seen.Add(tag == TagTaskFeaturesCombined ? TagTaskFeatures : tag))
            {
                throw section.Fail(string.Create(CultureInfo.InvariantCulture, $"section {tag} appears twice"));
            }

            switch (tag)
            {
                case TagMeta:
                    var count = section.Count(1, 8);
                    for (var i = 0; i < count; i++)
                    {
                        metadata[section.String()] = section.String();
                    }

                    break;
                case TagFactor:
                    model = ReadFactor(section);
                    break;
                case TagKnn:
                    model = ReadKnn(section);
                    break;
                case TagEnsemble:
                    model = ReadEnsemble(section);
                    break;
                case TagSummary:
                    summary = ReadSummary(section, model ?? throw section.Fail("the summary comes before the model"));
                    break;
                case TagTaskFeatures:
                case TagTaskFeaturesCombined:
                    taskFeatures = ReadTaskFeatures(section, model ?? throw section.Fail("the task feature model comes before the model"), tag == TagTaskFeaturesCombined, taskConstant);
                    break;
                case TagTaskFeatureConstant:
                    taskConstant = seen.Contains(TagTaskFeatures) ? throw section.Fail("the task feature model's constant columns come after the model they describe")
                        : ReadConstantColumns(section);
                    break;
                case TagExampleFeatureConstant:
                    exampleConstant = seen.Contains(TagExampleFeatures) ? throw section.Fail("the example feature model's constant columns come after the model they describe")
                        : ReadConstantColumns(section);
                    break;
                case TagTaskFeatureSpread:
                    taskFeatures = ReadTaskFeatureSpread(section, taskFeatures ?? throw section.Fail("the task feature spread comes before the task feature model"));
                    break;
                case TagExampleFeatures:
                    exampleFeatures = ReadExampleFeatures(section, model ?? throw section.Fail("the example feature model comes before the model"), exampleConstant);
                    break;
                default:
                    throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture, $"unknown section tag {tag}; the file was written by a newer version. {Newer}"));
            }
        }

        if ((taskConstant is not null && taskFeatures is null) || (exampleConstant is not null && exampleFeatures is null))
        {
            throw reader.Fail($"it gives the constant columns of {(taskConstant is not null && taskFeatures is null ? "a task" : "an example")} feature model it does not hold");
        }

        return new LoadedModel(model ?? throw new ForgettingDataException(sourceName, $"the model file holds no model section. {CopyAgain}"), metadata, summary, taskFeatures, exampleFeatures);
    }

    // Tag, length, body. The body goes straight into the in-memory payload and its length is written in afterwards, so a
    // section is never buffered and copied on its own (the residual directions alone are 9 MB on 85 x 141,816).
    private static void Section(BinaryWriter w, uint tag, Action<BinaryWriter> body)
    {
        var stream = w.BaseStream;
        w.Write(tag);
        w.Flush();
        var lengthAt = stream.Position;
        w.Write(0L);
        body(w);
        w.Flush();
        var end = stream.Position;
        stream.Position = lengthAt;
        w.Write(end - lengthAt - sizeof(long));
        w.Flush();
        stream.Position = end;
    }

    private static void WriteModel(BinaryWriter w, IForgettingModel model)
    {
        switch (model)
        {
            case FactorModel factor:
                Section(w, TagFactor, b => WriteFactor(b, factor));
                break;
            case KnnModel knn:
                Section(w, TagKnn, b => WriteKnn(b, knn));
                break;
            case EnsembleModel ensemble:
                Section(w, TagEnsemble, b => WriteEnsemble(b, ensemble));
                break;
            default:
                throw new NotSupportedException($"Models of type {model.GetType().Name} cannot be saved.");
        }
    }

    // An ensemble: its calibration, then each member's name, weight and own model section, then its std floor (a trailing
    // double: files written before it end after the members, and read as floor 0; readers before it stop there).
    private static void WriteEnsemble(BinaryWriter w, EnsembleModel model)
    {
        w.Write(model.StdScale);
        w.Write(model.CrossValidatedRmse);
        w.Write(model.Members.Count);
        for (var c = 0; c < model.Members.Count; c++)
        {
            WriteString(w, model.MemberNames[c]);
            w.Write(model.Weights[c]);
            WriteModel(w, model.Members[c]);
        }

        w.Write(model.StdFloor);
    }

    private static EnsembleModel ReadEnsemble(SpanReader r)
    {
        var scale = r.Double();
        var rmse = r.Double();
        var count = r.Count(16, 64);
        var members = new IForgettingModel[count];
        var names = new string[count];
        var weights = new double[count];
        for (var c = 0; c < count; c++)
        {
            names[c] = r.String();
            weights[c] = r.Double();
            var tag = r.UInt32();
            var section = r.Sub(r.Int64());
            members[c] = tag switch
            {
                TagFactor => ReadFactor(section),
                TagKnn => ReadKnn(section),
                _ => throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"ensemble member {c} has section tag {tag}, not a factor or KNN model")),
            };
        }

        var floor = r.AtEnd ? 0 : r.Double();
        return r.Guard(() => EnsembleModel.Restore(members, names, weights, scale, rmse, floor));
    }

    private static void WriteFactor(BinaryWriter w, FactorModel model)
    {
        var p = model;
        w.Write((int)p.Method);
        w.Write(model.TaskCount);
        w.Write(model.ExampleCount);
        w.Write(p.Rank);
        w.Write((byte)((model.HasTaskBias ? 1 : 0) | (model.HasExampleBias ? 2 : 0) | (p.PredictsProbability ? 4 : 0) | (p.TaskPrior is null ? 0 : 8) | (p.ResidualRank > 0 ? 16 : 0) | (p.UnmeasuredExamples.Count > 0 ? 32 : 0) | (p.ExampleParameterShare.Length > 0 || p.ResidualRank > 0 ? 64 : 0) | (MoreFlags(p) != 0 ? 128 : 0)));
        w.Write(p.GlobalMean);
        w.Write(p.NoiseVariance);
        w.Write(p.TaskBiasPenalty);
        w.Write(p.TaskFactorPenalty);
        WriteIds(w, p.TaskIds);
        WriteIds(w, p.ExampleIds);
        WriteDoubles(w, p.TaskBiases);
        WriteDoubles(w, p.ExampleBiases);
        WriteDoubles(w, p.TaskFactors);
        WriteDoubles(w, p.ExampleFactors);
        if (p.TaskPrior is { } prior)
        {
            w.Write(prior.Dimension);
            WriteDoubles(w, prior.Mean);
            WriteDoubles(w, prior.Covariance);
        }

        w.Write(p.Fit.Iterations);
        w.Write(p.Fit.Converged);
        w.Write(p.Fit.Objective);
        w.Write(p.Fit.ResidualVariance);
        if (p.ResidualRank > 0)
        {
            w.Write(p.ResidualRank);
            WriteDoubles(w, p.ResidualScales);
            w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.ResidualFactors));
        }

        if (p.UnmeasuredExamples.Count > 0)
        {
            w.Write(p.UnmeasuredExamples.Count);
            foreach (var j in p.UnmeasuredExamples)
            {
                w.Write(j);
            }

            w.Write(model.UnmeasuredSpread.Length);
            WriteDoubles(w, model.UnmeasuredSpread);
        }

        if (p.ExampleParameterShare.Length > 0 || p.ResidualRank > 0)
        {
            w.Write(p.ExampleParameterShare.Length);
            w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.ExampleParameterShare));
            w.Write(p.ResidualShrinkage);
        }

        if (MoreFlags(p) is var more and not 0)
        {
            w.Write(more);
            w.Write(p.ResidualCrossMissing.Length);
            w.Write(p.ResidualCrossTasks);
            w.Write(p.ResidualCrossFactor);
            w.Write(p.ResidualCrossMissing);
        }
    }

    // The second flags word (after flag 128): 1 residual cross weights (when there are any).
    private static uint MoreFlags(FactorModel p) => p.ResidualRank > 0 && p.ResidualCrossMissing.Length > 0 ? 1u : 0u;

    private static FactorModel ReadFactor(SpanReader r)
    {
        var method = (ModelMethod)r.Int32();
        if (!Enum.IsDefined(method) || method is ModelMethod.Knn or ModelMethod.Ensemble)
        {
            throw r.Fail($"unknown model method {(int)method}");
        }

        int m = r.Int32(), n = r.Int32(), rank = r.Int32();
        if (m < 1 || n < 1 || rank < 0 || rank > 1024)
        {
            throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"impossible model shape {m} x {n}, rank {rank} (a fit has at least one task and one example)"));
        }

        var flags = r.Byte();

        double mu = r.Double(), noise = r.Double(), biasPenalty = r.Double(), factorPenalty = r.Double();
        var taskIds = ReadIds(r, m);
        var exampleIds = ReadIds(r, n);
        var a = (flags & 1) != 0 ? r.Doubles(m) : [];
        var b = (flags & 2) != 0 ? r.Doubles(n) : [];
        var u = r.Doubles((long)m * rank);
        var v = r.Doubles((long)rank * n);
        GaussianPrior? prior = null;
        if ((flags & 8) != 0)
        {
            var dim = r.Int32();
            if (dim != ((flags & 1) != 0 ? 1 : 0) + rank)
            {
                throw r.Fail("prior dimension does not match the model");
            }

            var mean = r.Doubles(dim);
            var covariance = r.Doubles((long)dim * dim);
            prior = r.Guard(() => new GaussianPrior(mean, covariance));
        }

        var fit = new FitReport(r.Int32(), r.Bool(), r.Double(), r.Double());
        var residualRank = 0;
        Half[] residualFactors = [];
        double[] residualScales = [];
        if ((flags & 16) != 0)
        {
            residualRank = r.Int32();
            if (residualRank <= 0 || residualRank > 4096)
            {
                throw r.Fail("absurd residual rank");
            }

            residualScales = r.Doubles(residualRank);
            residualFactors = r.Halves((long)residualRank * n);
        }

        int[] unmeasured = [];
        double[] unmeasuredSpread = [];
        if ((flags & 32) != 0)
        {
            var count = r.Int32();
            if (count < 1 || count >= n)
            {
                throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"impossible count of unmeasured examples {count} for {n} examples"));
            }

            unmeasured = r.Ints(count);
            var spreadLength = r.Int32();
            var q = ((flags & 2) != 0 ? 1 : 0) + rank;
            if (spreadLength != 0 && spreadLength != q * q)
            {
                throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"the unmeasured examples' spread has {spreadLength} values for {q} example parameters"));
            }

            unmeasuredSpread = r.Doubles(spreadLength);
        }

        // Written since the example parameters' share entered the predictive variance and the residual variances were shrunk;
        // older files have neither (no share, no shrinkage: the intervals they had).
        float[] shares = [];
        double shrinkage = 0;
        if ((flags & 64) != 0)
        {
            var count = r.Int32();
            if (count != 0 && count != n)
            {
                throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"{count} example parameter shares for {n} examples"));
            }

            shares = r.Floats(count);
            shrinkage = r.Double();
        }

        // Written since group intervals weigh the residual directions' products between examples on matrices with missing
        // cells; older files read as none (the intervals they had).
        byte[] cross = [];
        var crossTasks = 0;
        var crossFactor = 0.0;
        if ((flags & 128) != 0)
        {
            var more = r.UInt32();
            if ((more & ~1u) != 0)
            {
                throw r.Fail($"unknown model flags {more} in the second flags word; the file was written by a newer version", Newer);
            }

            if ((more & 1) != 0)
            {
                var count = r.Int32();
                if (count != n)
                {
                    throw r.Fail(string.Create(CultureInfo.InvariantCulture, $"{count} residual cross weights for {n} examples"));
                }

                crossTasks = r.Int32();
                crossFactor = r.Double();
                cross = r.Bytes(count);
            }
        }

        return r.Guard(() => FactorModel.Create(new FactorModelParameters
        {
            Method = method,
            TaskIds = taskIds,
            ExampleIds = exampleIds,
            GlobalMean = mu,
            TaskBiases = a,
            ExampleBiases = b,
            Rank = rank,
            TaskFactors = u,
            ExampleFactors = v,
            Logistic = (flags & 4) != 0,
            NoiseVariance = noise,
            ResidualRank = residualRank,
            ResidualFactors = residualFactors,
            ResidualScales = residualScales,
            TaskBiasPenalty = biasPenalty,
            TaskFactorPenalty = factorPenalty,
            TaskPrior = prior,
            Fit = fit,
            UnmeasuredExamples = unmeasured,
            UnmeasuredSpread = unmeasuredSpread,
            ExampleParameterShare = shares,
            ResidualShrinkage = residualRank > 0 ? shrinkage : null,
            ResidualCrossMissing = cross,
            ResidualCrossTasks = crossTasks,
            ResidualCrossFactor = crossFactor,
        }));
    }

    private static MatrixSummary ReadSummary(SpanReader r, IForgettingModel model)
    {
        var m = r.Int32();
        var bins = r.Int32();
        if (m != model.TaskCount || bins < 1 || bins > 1_000_000)
        {
            throw r.Fail("the summary does not match the model");
        }

        var taskOrder = r.Ints(m);
        var n = r.Int32();
        if (n != model.ExampleCount)
        {
            throw r.Fail("the summary does not match the model");
        }

        var binOf = r.Ints(n);
        var values = r.Floats((long)m * bins);
        return r.Guard(() => MatrixSummary.Restore(taskOrder, binOf, bins, values, model.TaskIds));
    }

    private static void WriteKnn(BinaryWriter w, KnnModel model)
    {
        w.Write(model.Options.Neighbors);
        w.Write((int)model.Options.Similarity);
        w.Write(model.Options.Shrinkage);
        w.Write(model.Options.Amplification);
        WriteFactor(w, model.Baseline);
        var values = model.Training.Values;
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        WriteDoubles(w, model.Similarity);
        if (model.Options.InterpolationPrior > 0)
        {
            w.Write(model.Options.InterpolationPrior);
        }
    }

    private static KnnModel ReadKnn(SpanReader r)
    {
        var options = new KnnOptions
        {
            Neighbors = r.Int32(),
            Similarity = (KnnSimilarity)r.Int32(),
            Shrinkage = r.Double(),
            Amplification = r.Double(),
        };
        r.Guard(options.Validate);
        var baseline = ReadFactor(r);
        var m = baseline.TaskCount;
        var n = baseline.ExampleCount;
        var values = r.Floats((long)m * n);
        var similarity = r.Doubles((long)m * m);
        if (!r.AtEnd)
        {
            options = options with { InterpolationPrior = r.Double() };
            r.Guard(options.Validate);
        }

        var training = r.Guard(() => ForgettingMatrix.Wrap(values, m, n, baseline.TaskIds, baseline.ExampleIds));
        return r.Guard(() => KnnModel.Restore(training, baseline, options, similarity));
    }

    private static void WriteIds(BinaryWriter w, IdList ids)
    {
        w.Write(ids.IsImplicit);
        if (!ids.IsImplicit)
        {
            w.Write(ids.Count);
            foreach (var id in ids)
            {
                WriteString(w, id);
            }
        }
    }

    private static IdList ReadIds(SpanReader r, int expected)
    {
        if (r.Bool())
        {
            return IdList.Implicit(expected);
        }

        var count = r.Count(5, expected);
        if (count != expected)
        {
            throw r.Fail("id count does not match the model shape");
        }

        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = r.String();
        }

        return r.Guard(() => IdList.From(ids));
    }

    private static void WriteString(BinaryWriter w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static void WriteDoubles(BinaryWriter w, ReadOnlySpan<double> values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Model files are written on little-endian machines only.");
        }

        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    /// <summary>Bounds-checked little-endian reader over a section; every failure is a <see cref="ForgettingDataException"/>.</summary>
    private sealed class SpanReader(byte[] data, string source, int start = 0, int end = -1)
    {
        private readonly int _end = end < 0 ? data.Length : end;
        private int _pos = start;

        public bool AtEnd => _pos >= _end;

        private int Remaining => _end - _pos;

        public SpanReader Sub(long length)
        {
            if (length < 0 || length > Remaining)
            {
                throw Fail("section length runs past the end of the file");
            }

            var sub = new SpanReader(data, source, _pos, _pos + (int)length);
            _pos += (int)length;
            return sub;
        }

        public byte Byte() => Take(1)[0];

        public bool Bool() => Byte() != 0;

        public int Int32() => BitConverter.ToInt32(Take(4));

        public uint UInt32() => BitConverter.ToUInt32(Take(4));

        public long Int64() => BitConverter.ToInt64(Take(8));

        public double Double() => BitConverter.ToDouble(Take(8));

        // A count of items of at least minItemBytes each, no larger than max and than what remains.
        public int Count(int minItemBytes, int max)
        {
            var count = Int32();
            if (count < 0 || count > max || (long)count * minItemBytes > Remaining)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"count {count} is impossible here"));
            }

            return count;
        }

        public string String()
        {
            var length = Count(1, int.MaxValue);
            return Encoding.UTF8.GetString(Take(length));
        }

        public double[] Doubles(long count) => Values<double>(count);

        public int[] Ints(long count) => Values<int>(count);

        public float[] Floats(long count) => Values<float>(count);

        public Half[] Halves(long count) => Values<Half>(count);

        public byte[] Bytes(long count) => Values<byte>(count);

        // count little-endian values of T, checked against the bytes that remain before allocating.
        private T[] Values<T>(long count)
            where T : unmanaged
        {
            var size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            if (count < 0 || count > Remaining / size)
            {
                throw Fail(string.Create(CultureInfo.InvariantCulture, $"{count} values do not fit in the remaining {Remaining} bytes"));
            }

            var values = new T[count];
            Take(checked((int)(count * size))).CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }

        public T Guard<T>(Func<T> build)
        {
            try
            {
                return build();
            }
            catch (ArgumentException e)
            {
                // The sentence only: ArgumentException.Message appends " (Parameter 'x')", which names a .NET parameter, not the file's problem.
                throw Fail(ExceptionText.Sentence(e).TrimEnd('.'));
            }
        }

        public void Guard(Action build) => Guard(() =>
        {
            build();
            return 0;
        });

        // Every refusal ends with its fix: a damaged file is copied again or refitted (`fix` says otherwise where it differs).
        public ForgettingDataException Fail(string what, string fix = CopyAgain) => new(source, $"the model file is invalid: {what}. {fix}");

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > Remaining)
            {
                throw Fail("it ends in the middle of a value");
            }

            var span = data.AsSpan(_pos, count);
            _pos += count;
            return span;
        }
    }
}

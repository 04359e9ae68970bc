using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using ForgetPredict.Core.Models;
using ForgetPredict.Data;
using Microsoft.AspNetCore.Http;

namespace ForgetPredict.Server;

/// <summary>
/// The store folder, which is the service's only state: <c>NAME.fpm</c> model files and optional
/// <c>NAME.examples.csv</c> (or <c>.tsv</c>, <c>.parquet</c>) example metadata. Files starting with a dot are
/// temporary (uploads and atomic writes in progress) and never served.
/// </summary>
/// <remarks>
/// <para>Names are whitelisted (<see cref="NamePattern"/>) and every resolved path is checked to stay inside the store, so
/// a request can never read or write elsewhere. Loaded models are cached by name and revalidated on every use against the
/// file's length, last write time and the SHA-256 checksum the model file records in its last 32 bytes (read without
/// reading the rest): a model replaced on disk (by an upload, by <c>forgetpredict fit --out</c>, or by a copy that keeps
/// the old file's size and time, as <c>cp -p</c>, <c>rsync -a</c> and <c>tar</c> do) is picked up by the next request; a
/// deleted one disappears.</para>
/// </remarks>
public sealed partial class ModelStore
{
    /// <summary>The extension of model files.</summary>
    public const string ModelExtension = Data.ModelFile.Extension;

    /// <summary>Example metadata file suffixes, in lookup order.</summary>
    public static readonly IReadOnlyList<string> MetadataSuffixes = [".examples.csv", ".examples.tsv", ".examples.parquet"];

    private readonly ConcurrentDictionary<string, CacheSlot> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Listed> _listed = new(StringComparer.Ordinal);

    /// <summary>Opens the store at <paramref name="directory"/>.</summary>
    public ModelStore(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
    }

    /// <summary>The store folder (absolute).</summary>
    public string Directory { get; }

    /// <summary><paramref name="text"/> with the store's absolute path removed, so messages name files relative to the
    /// store and never reveal where it lives on the server.</summary>
    public string Relative(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace(Directory + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal).Replace(Directory, ".", StringComparison.Ordinal);
    }

    /// <summary>What a model name may look like: a letter or digit, then up to 63 letters, digits, '.', '_' or '-'; never "..".</summary>
    public const string NamePattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

    [GeneratedRegex(NamePattern, RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();

    /// <summary>True when <paramref name="name"/> is a valid model name.</summary>
    public static bool IsValidName(string? name) => name is not null && NameRegex().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>Throws a 400 unless <paramref name="name"/> is a valid model name.</summary>
    /// <exception cref="ApiException">The name is not valid.</exception>
    public static void CheckName(string? name)
    {
        if (!IsValidName(name))
        {
            throw ApiException.BadRequest($"'{Application.Echo.Printable(name)}' is not a valid model name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..' (names cannot contain paths).");
        }
    }

    /// <summary>The model file of a (valid) name, checked to lie directly inside the store.</summary>
    /// <exception cref="ApiException">The name is invalid or would leave the store.</exception>
    public string ModelPath(string name) => Inside(name, ModelExtension);

    /// <summary>The path of <c>NAME + suffix</c> inside the store.</summary>
    /// <exception cref="ApiException">The name is invalid or would leave the store.</exception>
    public string Inside(string name, string suffix)
    {
        CheckName(name);
        var full = Path.GetFullPath(Path.Combine(Directory, name + suffix));
        if (!string.Equals(Path.GetDirectoryName(full), Directory, StringComparison.Ordinal))
        {
            throw ApiException.BadRequest($"'{Application.Echo.Printable(name)}' is not a valid model name: it would leave the store.");
        }

        return full;
    }

    /// <summary>The names of every model file in the store, sorted.</summary>
    /// <exception cref="ApiException">The store folder no longer exists (503).</exception>
    public IReadOnlyList<string> Names()
    {
        try
        {
            return [.. System.IO.Directory.EnumerateFiles(Directory, "*" + ModelExtension)
                .Select(p => Path.GetFileNameWithoutExtension(p))
                .Where(IsValidName)
                .Order(StringComparer.Ordinal)];
        }
        catch (DirectoryNotFoundException)
        {
            throw ApiException.StoreMissing();
        }
    }

    /// <summary>The metadata file of a model, if one exists.</summary>
    public string? MetadataPath(string name) => MetadataSuffixes.Select(s => Inside(name, s)).FirstOrDefault(File.Exists);

    /// <summary>The model called <paramref name="name"/>, loaded or from the cache.</summary>
    /// <exception cref="ApiException">The name is invalid (400) or there is no such model (404).</exception>
    /// <exception cref="ForgettingDataException">The file is not a valid model file.</exception>
    public StoredModel Get(string name)
    {
        var (path, info) = Existing(name);
        var slot = _cache.GetOrAdd(name, static _ => new CacheSlot());
        return slot.Get(name, path, info, this);
    }

    // The model file of `name` and what the file system says of it; a missing one is forgotten (cached model and description)
    // and a 404 naming the models there are.
    private (string Path, FileInfo Info) Existing(string name)
    {
        var path = ModelPath(name);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            Invalidate(name);
            var names = Names();
            throw ApiException.NotFound($"No model '{name}' in the store{(names.Count == 0 ? "; models: none yet." : Suggestion.AndList(name, names, "models"))}");
        }

        return (path, info);
    }

    /// <summary>Forgets the cached copy of a model (the next request reloads it).</summary>
    public void Invalidate(string name)
    {
        _cache.TryRemove(name, out _);
        _listed.TryRemove(name, out _);
    }

    /// <summary>
    /// The wire description of the model called <paramref name="name"/>, for the listing: the cached model's when it is loaded;
    /// otherwise the file is loaded for the moment and not kept (a listing, which the page asks for on every visit, never
    /// holds every model of a large store in memory), and the description is kept until the model or its metadata file changes.
    /// </summary>
    /// <exception cref="ApiException">The name is invalid (400) or there is no such model (404).</exception>
    /// <exception cref="ForgettingDataException">The file is not a valid model file, or its metadata is malformed.</exception>
    public ModelInfoDto Describe(string name)
    {
        var (path, info) = Existing(name);
        var stamp = FileStamp.Of(info, path);
        if (_cache.TryGetValue(name, out var slot) && slot.Current is { } current && current.Stamp == stamp)
        {
            return current.Info();
        }

        var metadata = MetadataStamp(name);
        if (_listed.TryGetValue(name, out var listed) && listed.Model == stamp && listed.Metadata == metadata)
        {
            return listed.Info;
        }

        var (loaded, loadedStamp) = CacheSlot.Load(name, path, this);
        var described = new StoredModel(name, path, loadedStamp, loaded, this).Info();
        _listed[name] = new Listed(loadedStamp, metadata, described);
        return described;
    }

    /// <summary>How many models are loaded and cached (queries load them; listings do not).</summary>
    internal int CachedModels => _cache.Values.Count(slot => slot.Current is not null);

    /// <summary>Forgets the cached models and descriptions of names that are no longer in the store (<paramref name="names"/>).</summary>
    public void Prune(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var present = new HashSet<string>(names, StringComparer.Ordinal);
        foreach (var name in _cache.Keys.Concat(_listed.Keys).Where(n => !present.Contains(n)).ToArray())
        {
            Invalidate(name);
        }
    }

    // Which metadata file a model has and its length and time, or null.
    private (string Path, FileStamp Stamp)? MetadataStamp(string name) =>
        MetadataPath(name) is { } path && new FileInfo(path) is { Exists: true } file ? (path, new FileStamp(file.Length, file.LastWriteTimeUtc.Ticks)) : null;

    // A model's description as the listing last made it, with the stamps of the files it was made from.
    private sealed record Listed(FileStamp Model, (string Path, FileStamp Stamp)? Metadata, ModelInfoDto Info);

    // One model's cache entry; loads happen under its lock so concurrent requests load a file once.
    private sealed class CacheSlot
    {
        // How recently a model file that fails to load may have been written and still count as being written (copied over in
        // place by cp or tar: half-written for as long as the copy takes) rather than damaged.
        private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(2);

        private readonly Lock _lock = new();
        private StoredModel? _current;
        private (FileStamp Stamp, ForgettingDataException Error)? _damaged;

        public StoredModel? Current => Volatile.Read(ref _current);

        public StoredModel Get(string name, string path, FileInfo info, ModelStore store)
        {
            // Length and time alone miss a file replaced by another of the same size and time (cp -p, rsync -a, tar): the
            // model's own checksum tells them apart, read from the file's last 32 bytes.
            var stamp = FileStamp.Of(info, path);
            var current = Volatile.Read(ref _current);
            if (current is not null && current.Stamp == stamp)
            {
                return current;
            }

            lock (_lock)
            {
                current = _current;
                if (current is not null && current.Stamp == stamp)
                {
                    return current;
                }

                // A file that failed to load and has not changed since fails again at once (it is not read again).
                if (_damaged is { } damaged && damaged.Stamp == stamp)
                {
                    throw damaged.Error;
                }

                var (bytes, loadedStamp) = ReadFile(name, path, store);
                try
                {
                    current = new StoredModel(name, path, loadedStamp, ModelFile.Read(bytes, path), store);
                }
                catch (ForgettingDataException e)
                {
                    var failure = Failure(name, path, loadedStamp, e);
                    _damaged = failure is ApiException ? null : (loadedStamp, e);
                    throw failure;
                }

                _damaged = null;
                Volatile.Write(ref _current, current);
                return current;
            }
        }

        // The model and its stamp come from one open handle (ReadFile), so the version an answer carries is that of the bytes it
        // was computed from, even when the file is replaced (renamed over) meanwhile; a file deleted since the caller looked is a
        // 404. A file that fails to load and was written moments ago, or has changed since it was read (a copy in place still
        // running), is a 503 to retry; one that has sat unchanged is a damaged model, the operator's to fix (and is remembered
        // as such until it changes). Nothing waits: a request never sleeps under the model's lock.
        // An empty file is never judged by its time: a copy in place starts by truncating the file (open with O_TRUNC), and the
        // file system publishes the new size before the new time (ext4 sets i_size, frees the blocks, then stamps mtime), so for
        // a few milliseconds the file reads as 0 bytes with the OLD time, to the read and to the re-check alike.
        private static Exception Failure(string name, string path, FileStamp stamp, ForgettingDataException error) =>
            stamp.Length == 0
                ? Retry($"Model '{name}' has an empty file: a copy over it has just started (retry in a moment), or one failed (then replace the file).")
            : DateTime.UtcNow.Ticks - stamp.Ticks < s_settle.Ticks || Changed(path, stamp)
                ? Retry($"Model '{name}' is being replaced (its file is being written and does not load yet); retry in a moment.")
                : error;

        // A 503 to retry, with the advice that avoids it.
        private static ApiException Retry(string why) => new(StatusCodes.Status503ServiceUnavailable,
            $"{why} To replace a model without this, write the new file beside it and rename it over the old one (mv), which is atomic.");

        private static bool Changed(string path, FileStamp read)
        {
            var now = new FileInfo(path);
            return !now.Exists || FileStamp.Of(now, path) != read;
        }

        /// <summary>The model and its stamp read through one open handle (for the listing, which does not cache the model).</summary>
        public static (LoadedModel Model, FileStamp Stamp) Load(string name, string path, ModelStore store)
        {
            var (bytes, stamp) = ReadFile(name, path, store);
            try
            {
                return (ModelFile.Read(bytes, path), stamp);
            }
            catch (ForgettingDataException e)
            {
                throw Failure(name, path, stamp, e);
            }
        }

        private static (byte[] Bytes, FileStamp Stamp) ReadFile(string name, string path, ModelStore store)
        {
            byte[] bytes;
            long ticks;
            try
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                ticks = File.GetLastWriteTimeUtc(handle).Ticks;
                var length = RandomAccess.GetLength(handle);
                if (length > Array.MaxLength)
                {
                    throw new ForgettingDataException(path, "is larger than any model file this server can load (2 GB).");
                }

                bytes = new byte[length];
                var done = 0;
                while (done < bytes.Length)
                {
                    var read = RandomAccess.Read(handle, bytes.AsSpan(done), done);
                    if (read == 0)
                    {
                        break;
                    }

                    done += read;
                }

                bytes = done == bytes.Length ? bytes : bytes[..done];
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                var names = store.Names();
                throw ApiException.NotFound($"No model '{name}' in the store (its file was removed just now); models: {(names.Count == 0 ? "none yet" : string.Join(", ", names))}.");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ForgettingDataException(path, $"cannot open the model file: {e.Message}", innerException: e);
            }

            return (bytes, new FileStamp(bytes.Length, ticks, ModelFile.ChecksumOf(bytes)));
        }

    }
}

/// <summary>A file's identity for cache checks: length, last write time and, for a model file, the checksum of its contents.</summary>
/// <param name="Length">Bytes.</param>
/// <param name="Ticks">Last write time (UTC ticks).</param>
/// <param name="Checksum">The SHA-256 the model file records (lower-case hex), or null when unknown (metadata files).</param>
public readonly record struct FileStamp(long Length, long Ticks, string? Checksum = null)
{
    /// <summary>A model file's stamp: its length and write time, and the checksum it records (read from its last 32 bytes).</summary>
    public static FileStamp Of(FileInfo info, string path)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new(info.Length, info.LastWriteTimeUtc.Ticks, ModelFile.ReadChecksum(path));
    }

    /// <summary>A short version string that changes when the file does (with the first 16 hex digits of the checksum when known).</summary>
    public string Version => Checksum is { Length: >= 16 }
        ? string.Create(CultureInfo.InvariantCulture, $"{Ticks:x}-{Length:x}-{Checksum[..16]}")
        : string.Create(CultureInfo.InvariantCulture, $"{Ticks:x}-{Length:x}");
}

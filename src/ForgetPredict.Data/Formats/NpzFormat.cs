using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>One array in an .npz archive, as its .npy header describes it.</summary>
/// <param name="Name">The array's name (the entry name without ".npy"), as <c>np.load(path)[name]</c> takes it.</param>
/// <param name="Descr">The numpy dtype string, e.g. "&lt;f4" or "&lt;U8".</param>
/// <param name="Shape">The array's shape.</param>
public sealed record NpzArray(string Name, string Descr, IReadOnlyList<long> Shape)
{
    /// <summary>The dtype as numpy names it: float32, int64, bool... for numeric types, else the dtype string (e.g. "&lt;U8").</summary>
    public string DTypeName => NpzFormat.DTypeName(Descr);

    /// <summary>The shape as Python writes a tuple: "(47, 2400)" or "(2400,)".</summary>
    public string ShapeText => Shape.Count == 1
        ? string.Create(CultureInfo.InvariantCulture, $"({Shape[0]},)")
        : "(" + string.Join(", ", Shape.Select(x => x.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>"z (47, 2400) float32".</summary>
    public override string ToString() => $"{Name} {ShapeText} {DTypeName}";
}

/// <summary>
/// Reads and writes NumPy .npz archives (what <c>np.savez</c> and <c>np.savez_compressed</c> write: a zip of .npy
/// entries, stored or deflated).
/// </summary>
/// <remarks>
/// <para><b>Which array.</b> <see cref="MatrixReadOptions.Array"/> names the matrix; without it the archive's one 2-D
/// array (float, integer or bool) is read, beside any 1-D arrays, and an archive of several 2-D arrays is refused, listing
/// them, since which is the matrix cannot be told. Errors list every array: "no array 'x'; arrays: z (47, 2400) float32,
/// example_ids (2400,) &lt;U8".</para>
/// <para><b>Id convention.</b> 1-D arrays named <c>task_ids</c> (or <c>tasks</c>) and <c>example_ids</c> (or
/// <c>examples</c>) are the matrix's row and column ids when their length matches: numpy strings (<c>&lt;U</c>,
/// <c>|S</c>) or integers. Write them with e.g. <c>np.savez(path, z=z, task_ids=np.asarray(tasks, dtype=str),
/// example_ids=np.asarray(examples, dtype=str))</c>. Object arrays (pickled, e.g. <c>df.columns.values</c>) are refused
/// with that fix, never unpickled. Without id arrays the ids are "0".."M-1" and "0".."N-1".</para>
/// <para><b>Sizes.</b> Every entry's sizes are checked against the archive before anything is read: its compressed
/// size must fit in the archive and its declared size may be at most 1,100 times the compressed size (deflate's best is
/// about 1,032:1). That refuses a damaged or crafted directory record claiming more than its compressed bytes can hold; it
/// does not stop an honest deflate of a huge array, which is legitimate data (2 MB of zeros inflate to a 2 GB float64
/// array, read as a 1 GB float32 matrix). Whoever reads archives from untrusted sources caps the declared total before
/// reading (<c>forgetpredict serve</c> refuses an upload beyond <c>--max-matrix-mb</c>). Each entry is read by
/// <see cref="NpyFormat"/>, which checks the .npy header against the entry's size and converts the data in 16 MB chunks
/// straight into the float32 matrix (a float64 entry is never held whole), and every entry read is checked against the
/// CRC-32 the archive records for it (as numpy does).</para>
/// </remarks>
public static class NpzFormat
{
    /// <summary>Array names taken as task (row) ids, in order of preference.</summary>
    public static IReadOnlyList<string> TaskIdArrayNames { get; } = ["task_ids", "tasks"];

    /// <summary>Array names taken as example (column) ids, in order of preference.</summary>
    public static IReadOnlyList<string> ExampleIdArrayNames { get; } = ["example_ids", "examples"];

    /// <summary>The name under which <see cref="Write"/> stores the matrix.</summary>
    public const string MatrixArrayName = "z";

    // A plausibility bound on directory records (deflate cannot exceed about 1,032:1), not a defence against large data.
    private const long MaxCompressionRatio = 1100;
    private static readonly DateTimeOffset s_entryTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Reads the matrix (and its ids, see the remarks) from an .npz file.</summary>
    /// <exception cref="ForgettingDataException">The file is not a valid archive, has no suitable array, or an entry is malformed.</exception>
    public static ForgettingMatrix Read(string path, MatrixReadOptions? options = null)
    {
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path, options);
    }

    /// <summary>Reads the matrix from an .npz archive in <paramref name="stream"/> (left open; seekable streams are read in place, others are buffered by <see cref="ZipArchive"/>).</summary>
    /// <exception cref="ForgettingDataException">See <see cref="Read(string, MatrixReadOptions?)"/>.</exception>
    public static ForgettingMatrix Read(Stream stream, string sourceName, MatrixReadOptions? options = null)
    {
        options?.Validate();
        return ReadWithIds(stream, sourceName, options?.Array, options?.MaxCells, arrays => OptionMessage.Of(
            $"and which is the forgetting matrix cannot be told: name it with {new OptionReference(DataOptionNames.Array)} (e.g. {Echo.Quote(arrays[0].Info!.Name)}), or save the matrix alone with its ids (np.savez(path, z=z, task_ids=task_ids, example_ids=example_ids))."),
            (arrays, matrix, name) =>
            (FindIds(arrays, TaskIdArrayNames, matrix.TaskCount, "task", "rows", name, sourceName),
             FindIds(arrays, ExampleIdArrayNames, matrix.ExampleCount, "example", "columns", name, sourceName)),
            "Fix the id arrays (task_ids, example_ids) so each id appears once.");
    }

    /// <summary>The names of an embedding's row-id array: one id per row, whatever the rows describe.</summary>
    public static IReadOnlyList<string> RowIdArrayNames { get; } = ["ids", .. TaskIdArrayNames, .. ExampleIdArrayNames];

    /// <summary>
    /// Reads an embedding (one row per entity) from an .npz archive, with the ids of its rows when the archive has a 1-D array
    /// of them (<see cref="RowIdArrayNames"/>: <c>ids</c>, <c>task_ids</c> or <c>example_ids</c>, one per row); the rows are
    /// returned as a matrix's tasks, their ids as its task ids (implicit when the archive has none).
    /// </summary>
    /// <exception cref="ForgettingDataException">As <see cref="Read(Stream, string, MatrixReadOptions?)"/>, or an id array does not
    /// have one id per row or repeats one.</exception>
    public static (ForgettingMatrix Rows, bool HasIds) ReadEmbedding(Stream stream, string sourceName)
    {
        var hasIds = false;
        // No option names an embedding's array: an archive of several 2-D arrays is refused with the fix of saving it alone.
        var rows = ReadWithIds(stream, sourceName, null, null,
            _ => OptionMessage.Plain("and an embedding file holds one, with its rows' ids if it has them; save the embedding alone (np.savez(path, emb=emb, ids=ids))."),
            (arrays, matrix, name) =>
        {
            var ids = FindIds(arrays, RowIdArrayNames, matrix.TaskCount, "row", "rows", name, sourceName);
            hasIds = ids is not null;
            return (ids, null);
        }, "Fix the id array so each row's id appears once.");
        return (rows, hasIds);
    }

    // The archive's matrix (the array `wanted`, else its only 2-D numeric one) with the ids `findIds` finds beside it; `several`
    // ends the refusal of an archive with several 2-D arrays and none wanted (given them), `fix` the message when the ids repeat.
    private static ForgettingMatrix ReadWithIds(Stream stream, string sourceName, string? wanted, long? maxCells,
        Func<List<(ZipArchiveEntry Entry, NpzArray? Info)>, OptionMessage> several,
        Func<List<(ZipArchiveEntry Entry, NpzArray? Info)>, ForgettingMatrix, string, (string[]? Tasks, string[]? Examples)> findIds, string fix)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        return Guard(sourceName, null, () =>
        {
            using var archive = Open(stream, sourceName);
            var archiveLength = stream.CanSeek ? stream.Length : long.MaxValue;
            var arrays = Entries(archive, sourceName, archiveLength).Select(e => (Entry: e, Info: Describe(e, sourceName))).ToList();
            var chosen = Choose(arrays, wanted, sourceName, several);
            var name = chosen.Info!.Name;
            var matrix = Guard(sourceName, name, () => ReadVerified(chosen.Entry, sourceName, content => NpyFormat.Read(content, sourceName, chosen.Entry.Length, maxCells)));
            var (taskIds, exampleIds) = findIds(arrays, matrix, name);
            if (taskIds is null && exampleIds is null)
            {
                return matrix;
            }

            try
            {
                return matrix.WithIds(taskIds, exampleIds);
            }
            catch (ArgumentException e)
            {
                throw new ForgettingDataException(sourceName, $"{ExceptionText.Sentence(e)} {fix}", location: "ids", innerException: e);
            }
        });
    }

    /// <summary>Lists the arrays in an .npz file (name, dtype, shape), in archive order.</summary>
    /// <exception cref="ForgettingDataException">The file is not a valid .npz archive.</exception>
    public static IReadOnlyList<NpzArray> ListArrays(string path)
    {
        using var stream = InputFile.OpenRead(path);
        return Guard(path, null, () =>
        {
            using var archive = Open(stream, path);
            return Entries(archive, path, stream.Length).Select(e => Describe(e, path)).OfType<NpzArray>().ToList();
        });
    }

    /// <summary>
    /// Writes <paramref name="matrix"/> in np.savez's layout: the float32 matrix as <c>z.npy</c>, and, when the ids are
    /// explicit, <c>task_ids.npy</c> and <c>example_ids.npy</c> as numpy unicode (<c>&lt;U</c>) arrays. Entries are
    /// stored, or deflated when <paramref name="compress"/> (np.savez_compressed). <paramref name="stream"/> is left open.
    /// </summary>
    public static void Write(ForgettingMatrix matrix, Stream stream, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(stream);
        var level = compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        WriteEntry(archive, MatrixArrayName, level, s => NpyFormat.Write(matrix, s));
        if (!matrix.TaskIds.IsImplicit)
        {
            WriteEntry(archive, TaskIdArrayNames[0], level, s => WriteStrings(s, matrix.TaskIds));
        }

        if (!matrix.ExampleIds.IsImplicit)
        {
            WriteEntry(archive, ExampleIdArrayNames[0], level, s => WriteStrings(s, matrix.ExampleIds));
        }
    }

    /// <summary>Writes a 1-D numpy unicode array (<c>&lt;U{n}</c>, UTF-32LE, n = the longest string in code points).</summary>
    public static void WriteStrings(Stream stream, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(values);
        var width = 1;
        foreach (var v in values)
        {
            width = Math.Max(width, Encoding.UTF32.GetByteCount(v) / 4);
        }

        WriteHeader(stream, string.Create(CultureInfo.InvariantCulture, $"<U{width}"), string.Create(CultureInfo.InvariantCulture, $"({values.Count},)"));
        var item = new byte[width * 4];
        foreach (var v in values)
        {
            Array.Clear(item);
            Encoding.UTF32.GetBytes(v, item);
            stream.Write(item);
        }
    }

    /// <summary>The numpy name of a dtype string: "&lt;f4" is float32, "|b1" bool; other dtypes are returned unchanged.</summary>
    public static string DTypeName(string descr)
    {
        ArgumentNullException.ThrowIfNull(descr);
        if (descr.Length < 3 || descr[0] is not ('<' or '>' or '|' or '='))
        {
            return descr;
        }

        return descr[1..] switch
        {
            "f2" => "float16",
            "f4" => "float32",
            "f8" => "float64",
            "i1" => "int8",
            "i2" => "int16",
            "i4" => "int32",
            "i8" => "int64",
            "u1" => "uint8",
            "u2" => "uint16",
            "u4" => "uint32",
            "u8" => "uint64",
            "b1" => "bool",
            _ => descr,
        };
    }

    private static ZipArchive Open(Stream stream, string sourceName)
    {
        // An .npy or Parquet file read with --format npz is said to be one, not "not a valid zip archive".
        InputFile.RefuseOtherBinaryFormat(stream, sourceName, "npz");
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new ForgettingDataException(sourceName, $"not a valid .npz (zip) archive: {e.Message} Save it with np.savez or np.savez_compressed.", innerException: e);
        }
    }

    private static List<ZipArchiveEntry> Entries(ZipArchive archive, string sourceName, long archiveLength)
    {
        var entries = new List<ZipArchiveEntry>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in archive.Entries)
        {
            if (entry.FullName.EndsWith('/'))
            {
                continue;
            }

            // Two entries of one name (or 'm' beside 'm.npy'): numpy reads the last, a reader going first to last the first.
            var name = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
            if (!names.TryAdd(name, entry.FullName))
            {
                throw new ForgettingDataException(sourceName, $"the archive holds entry {Echo.Quote(names[name])} and then {Echo.Quote(entry.FullName)}, two copies of array {Echo.Quote(name)} (numpy reads the last, other readers the first); the archive was appended to or crafted. Save it again with np.savez, which writes each array once.",
                    location: $"entry '{entry.FullName}'");
            }

            if (entry.CompressedLength < 0 || entry.CompressedLength > archiveLength || entry.Length < 0 || entry.Length > (entry.CompressedLength * MaxCompressionRatio) + 4096)
            {
                throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                    $"entry '{entry.FullName}' claims {entry.Length} bytes from {entry.CompressedLength} compressed bytes in a {archiveLength}-byte archive; the archive is damaged or crafted. Save it again with np.savez."),
                    location: $"entry '{entry.FullName}'");
            }

            entries.Add(entry);
        }

        return entries;
    }

    // The entry's array name and .npy header, or null when the entry is not a readable .npy.
    private static NpzArray? Describe(ZipArchiveEntry entry, string sourceName)
    {
        var name = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
        try
        {
            using var content = entry.Open();
            var header = NpyFormat.ReadHeader(content, sourceName, entry.Length);
            return new NpzArray(name, header.Descr, header.Shape);
        }
        catch (InvalidDataException e) when (e.Message.Contains("compressed using", StringComparison.OrdinalIgnoreCase))
        {
            // Python's zipfile can write bzip2 or LZMA entries that np.load reads; numpy's own savez never does.
            throw new ForgettingDataException(sourceName, $"entry {Echo.Quote(entry.FullName)} is compressed with a method this reader does not support (bzip2, LZMA or another; np.savez stores entries and np.savez_compressed deflates them). Save the arrays again with np.savez or np.savez_compressed.",
                location: $"entry '{entry.FullName}'", innerException: e);
        }
        catch (Exception e) when (e is ForgettingDataException or InvalidDataException or IOException or NotSupportedException)
        {
            return null;
        }
    }

    // The array named `wanted`, else the archive's one 2-D numeric array. One rule for a matrix and an embedding: several 2-D
    // arrays and none named do not say which is meant (the first had been read without a word), so they are refused, listed,
    // with `several`'s ending (how to name one, or to save one alone).
    private static (ZipArchiveEntry Entry, NpzArray? Info) Choose(List<(ZipArchiveEntry Entry, NpzArray? Info)> arrays, string? wanted, string sourceName,
        Func<List<(ZipArchiveEntry Entry, NpzArray? Info)>, OptionMessage> several)
    {
        if (wanted is not null)
        {
            var name = wanted.EndsWith(".npy", StringComparison.Ordinal) ? wanted[..^4] : wanted;
            foreach (var a in arrays)
            {
                if (a.Info is not null && a.Info.Name == name)
                {
                    return a;
                }
            }

            var unreadable = arrays.FirstOrDefault(a => a.Info is null && (a.Entry.FullName == wanted || a.Entry.FullName == name + ".npy"));
            if (unreadable.Entry is not null)
            {
                // Read it anyway: NpyFormat names what is wrong with it.
                return (unreadable.Entry, new NpzArray(name, "?", []));
            }

            throw new ForgettingDataException(sourceName, OptionMessage.Of($"no array '{name}'{Core.Models.Suggestion.AndList(name, arrays.Where(a => a.Info is not null).Select(a => a.Info!.Name), "arrays", List(arrays))} Pass one of them with {new OptionReference(DataOptionNames.Array)}."));
        }

        var matrices = arrays.Where(a => a.Info is { Shape.Count: 2 } info && info.Descr.Length >= 2 && "fiub".Contains(info.Descr[1], StringComparison.Ordinal)).ToList();
        if (matrices.Count > 1)
        {
            throw new ForgettingDataException(sourceName, OptionMessage.Plain($"the archive holds {matrices.Count} 2-D arrays ({List(matrices)}),").Then(several(matrices)));
        }

        foreach (var kind in new[] { "f", "iub" })
        {
            foreach (var a in arrays)
            {
                if (a.Info is { Shape.Count: 2 } info && info.Descr.Length >= 2 && kind.Contains(info.Descr[1], StringComparison.Ordinal))
                {
                    return a;
                }
            }
        }

        throw new ForgettingDataException(sourceName, OptionMessage.Of($"no 2-D numeric array to read as the forgetting matrix; arrays: {List(arrays)}. Save the matrix as a 2-D float array (np.savez(path, z=z.astype(np.float32))), or name one with {new OptionReference(DataOptionNames.Array)}."));
    }

    private static string List(List<(ZipArchiveEntry Entry, NpzArray? Info)> arrays) =>
        arrays.Count == 0 ? "none (the archive is empty)" : string.Join(", ", arrays.Select(a => a.Info?.ToString() ?? $"{a.Entry.FullName} (not a readable .npy)"));

    private static string[]? FindIds(List<(ZipArchiveEntry Entry, NpzArray? Info)> arrays, IReadOnlyList<string> names, int count, string what, string axis, string matrixName, string sourceName)
    {
        foreach (var name in names)
        {
            if (name == matrixName)
            {
                continue;
            }

            var found = arrays.FirstOrDefault(a => a.Info?.Name == name);
            if (found.Info is null)
            {
                continue;
            }

            var info = found.Info;
            if (info.Shape.Count != 1)
            {
                throw new ForgettingDataException(sourceName, $"array '{name}' has shape {info.ShapeText}; {what} ids must be a 1-D array with one id per {(axis == "rows" ? "row" : "column")} of '{matrixName}'. Rename the array if it is not meant as ids.", location: $"array '{name}'");
            }

            if (info.Shape[0] != count)
            {
                throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                    $"array '{name}' has {info.Shape[0]} {what} ids but '{matrixName}' has {count} {axis}; give one id per {(axis == "rows" ? "row" : "column")}, or rename the array if it is not meant as ids."), location: $"array '{name}'");
            }

            return Guard(sourceName, name, () => ReadVerified(found.Entry, sourceName, content => ReadIdArray(content, found.Entry.Length, count, name, sourceName)));
        }

        // One id per row (or column) under a name one letter off ('task_id', 'TASK_IDS') would be left unread, the ids numbered;
        // so would a matrix's 'ids' (an embedding's name for its rows' ids), 'rows' or 'cols'.
        string[] aliases = names.Contains("ids") ? [] : axis == "rows" ? ["ids", "rows"] : ["ids", "cols", "columns"];
        var nearMiss = arrays.Select(a => a.Info).FirstOrDefault(info => info is { Shape.Count: 1 } && info.Shape[0] == count && info.Name != matrixName
            && info.Descr.Length >= 2 && info.Descr[1] is 'U' or 'S' or 'i' or 'u'
            && ((!RowIdArrayNames.Contains(info.Name) && names.Any(n => Core.Models.Suggestion.Distance(info.Name.ToLowerInvariant(), n) <= 1))
                || aliases.Contains(info.Name)));
        if (nearMiss is not null)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                $"array '{nearMiss.Name}' holds {count} values, one per {(axis == "rows" ? "row" : "column")} of '{matrixName}', but {what} ids are read only from an array named {string.Join(" or ", names.Select(n => $"'{n}'"))}. Rename it ({(axis == "rows" ? "np.savez(path, z=z, task_ids=ids)" : "np.savez(path, z=z, example_ids=ids)")}) to read it as the ids, or to a name unlike those if it is not meant as ids."),
                location: $"array '{nearMiss.Name}'");
        }

        return null;
    }

    // Reads an entry and then checks its CRC-32 against the archive's record, as numpy's zipfile does: a flipped bit
    // in a stored entry is refused rather than read as a different number.
    private static T ReadVerified<T>(ZipArchiveEntry entry, string sourceName, Func<Stream, T> read)
    {
        using var content = new CrcCheckedStream(entry.Open());
        var result = read(content);
        content.Verify(entry.Crc32, entry.Length, sourceName, entry.FullName);
        return result;
    }

    private static string[] ReadIdArray(Stream content, long length, int count, string name, string sourceName)
    {
        var header = NpyFormat.ReadHeader(content, sourceName, length);
        var descr = header.Descr;
        var location = $"array '{name}'";
        if (descr.Length >= 2 && descr[1] == 'O')
        {
            throw new ForgettingDataException(sourceName, $"array '{name}' is an object array (pickled Python objects), which ForgetPredict never unpickles. Save the ids as a string array: np.asarray(ids, dtype=str).", location: location);
        }

        if (descr.Length < 3 || descr[0] is not ('<' or '>' or '|' or '=') || !int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size < 1)
        {
            throw Unsupported();
        }

        var kind = descr[1];

        var itemSize = kind switch
        {
            'U' => (long)size * 4,
            'S' => size,
            'i' or 'u' when size is 1 or 2 or 4 or 8 => size,
            _ => throw Unsupported(),
        };
        var expected = itemSize * count;
        if (length - header.DataOffset != expected)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                $"array '{name}' says ({count},) of '{descr}' ({expected} bytes) but the entry has {length - header.DataOffset} bytes of data; it is truncated or damaged."), location: location);
        }

        var big = descr[0] == '>';
        var ids = new string[count];
        var item = new byte[itemSize];
        var utf32 = new UTF32Encoding(bigEndian: big, byteOrderMark: false, throwOnInvalidCharacters: false);
        for (var i = 0; i < count; i++)
        {
            if (!NpyFormat.TryReadExactly(content, item))
            {
                throw new ForgettingDataException(sourceName, $"array '{name}' ended early; it is truncated.", location: location);
            }

            ids[i] = kind switch
            {
                'U' => utf32.GetString(TrimZeros(item, 4)),
                'S' => Utf8Text.TryDecode(TrimZeros(item, 1), out var invalid) ?? throw new ForgettingDataException(sourceName,
                    $"array '{name}' entry {i} is not UTF-8 text: its {invalid}; store ids as str (numpy dtype 'U') or UTF-8 bytes.", location: location),
                'i' => Integer(item, size, big, signed: true),
                _ => Integer(item, size, big, signed: false),
            };
        }

        // An empty string is no id; said here, naming the array and entry (the matrix's check would say "appears once").
        var empty = Array.FindIndex(ids, id => id.Length == 0);
        if (empty >= 0)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                $"array '{name}' entry {empty} is an empty string; every id must be non-empty: give it one (e.g. ids[{empty}] = '...'), or save the ids with np.asarray(ids, dtype=str) from values without blanks."), location: location);
        }

        return ids;

        ForgettingDataException Unsupported() =>
            new(sourceName, $"array '{name}' has dtype '{descr}'; ids must be strings or integers. Save them with np.asarray(ids, dtype=str).", location: location);
    }

    private static ReadOnlySpan<byte> TrimZeros(byte[] item, int unit)
    {
        var length = item.Length;
        while (length >= unit && item.AsSpan(length - unit, unit).IndexOfAnyExcept((byte)0) < 0)
        {
            length -= unit;
        }

        return item.AsSpan(0, length);
    }

    private static string Integer(byte[] e, int size, bool big, bool signed) => (size, signed) switch
    {
        (1, true) => ((sbyte)e[0]).ToString(CultureInfo.InvariantCulture),
        (1, false) => e[0].ToString(CultureInfo.InvariantCulture),
        (2, true) => (big ? BinaryPrimitives.ReadInt16BigEndian(e) : BinaryPrimitives.ReadInt16LittleEndian(e)).ToString(CultureInfo.InvariantCulture),
        (2, false) => (big ? BinaryPrimitives.ReadUInt16BigEndian(e) : BinaryPrimitives.ReadUInt16LittleEndian(e)).ToString(CultureInfo.InvariantCulture),
        (4, true) => (big ? BinaryPrimitives.ReadInt32BigEndian(e) : BinaryPrimitives.ReadInt32LittleEndian(e)).ToString(CultureInfo.InvariantCulture),
        (4, false) => (big ? BinaryPrimitives.ReadUInt32BigEndian(e) : BinaryPrimitives.ReadUInt32LittleEndian(e)).ToString(CultureInfo.InvariantCulture),
        (_, true) => (big ? BinaryPrimitives.ReadInt64BigEndian(e) : BinaryPrimitives.ReadInt64LittleEndian(e)).ToString(CultureInfo.InvariantCulture),
        _ => (big ? BinaryPrimitives.ReadUInt64BigEndian(e) : BinaryPrimitives.ReadUInt64LittleEndian(e)).ToString(CultureInfo.InvariantCulture),
    };

    private static void WriteEntry(ZipArchive archive, string name, CompressionLevel level, Action<Stream> write)
    {
        var entry = archive.CreateEntry(name + ".npy", level);
        entry.LastWriteTime = s_entryTime;
        using var content = entry.Open();
        write(content);
    }

    private static void WriteHeader(Stream stream, string descr, string shape)
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        var total = 10 + dict.Length + 1;
        var padded = (total + 63) / 64 * 64;
        var header = dict + new string(' ', padded - total) + "\n";
        Span<byte> prefix = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0, 0];
        BinaryPrimitives.WriteUInt16LittleEndian(prefix[8..], checked((ushort)header.Length));
        stream.Write(prefix);
        stream.Write(Encoding.ASCII.GetBytes(header));
    }

    // Turns the zip library's own exceptions (damaged deflate data, unsupported methods, CRC errors) into data errors
    // naming the entry; data errors from the .npy reader get the entry as their location.
    private static T Guard<T>(string sourceName, string? arrayName, Func<T> read)
    {
        var location = arrayName is null ? null : $"array '{arrayName}'";
        try
        {
            return read();
        }
        catch (ForgettingDataException e) when (location is not null && e.Location is null)
        {
            throw new ForgettingDataException(sourceName, e.Detail, e.Line, e.Column, location, e);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException)
        {
            throw new ForgettingDataException(sourceName, $"the archive is damaged or uses an unsupported zip feature ({e.Message}). Save it again with np.savez or np.savez_compressed.", location: location, innerException: e);
        }
    }
}

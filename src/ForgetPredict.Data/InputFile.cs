using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using ForgetPredict.Core;
using ForgetPredict.Data.Formats;

namespace ForgetPredict.Data;

/// <summary>
/// Opens the files the readers read, with one message for what commonly goes wrong (a folder, a missing file), and the one
/// rule for gzip-compressed input: text (CSV, TSV, JSON, whitespace-separated) is read through it, as numpy and pandas read
/// what they write to <c>z.csv.gz</c>; a binary format (.npy, .npz, Parquet), which is never written gzipped, is refused.
/// </summary>
internal static class InputFile
{
    /// <summary>Opens <paramref name="path"/> for reading; a file holding gzip-compressed data is refused (see <see cref="RefuseGzip"/>).</summary>
    /// <exception cref="ForgettingDataException">The path is a folder, the file cannot be opened, or it is gzip-compressed; the message names the path.</exception>
    public static FileStream OpenRead(string path, int bufferSize = 1 << 16, FileOptions options = FileOptions.SequentialScan)
    {
        var stream = Open(path, bufferSize, options);
        try
        {
            RefuseGzip(stream, path);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a text file (CSV, TSV, JSON, whitespace-separated) for reading: its bytes, or, when they are gzip-compressed
    /// (by name or by content), the text they decompress to, checked against the gzip trailer (see <see cref="Decompressing"/>).
    /// </summary>
    /// <exception cref="ForgettingDataException">The path is a folder or the file cannot be opened; the message names the path.</exception>
    public static Stream OpenText(string path)
    {
        var stream = Open(path, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return Decompressing(stream, path, leaveOpen: false) ?? stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static FileStream Open(string path, int bufferSize, FileOptions options)
    {
        // Opening a folder fails with "Access to the path is denied", which sends a user to check permissions.
        InputPath.RefuseFolder(path);

        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ForgettingDataException(path, $"cannot open the file: {e.Message}", innerException: e);
        }
    }

    /// <summary>
    /// The extension that picks a reader for <paramref name="path"/>, lower case: its last one, or for a gzip-compressed
    /// name the one before the <c>.gz</c> (<c>z.csv.gz</c> is read as <c>.csv</c>).
    /// </summary>
    public static string ReaderExtension(string path) => Path.GetExtension(WithoutGz(path).Name).ToLowerInvariant();

    /// <summary>The one test of a gzip-compressed name: it ends in <c>.gz</c> (any case).</summary>
    public static bool IsGzipName(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary><paramref name="path"/> without a final <c>.gz</c>, and that <c>.gz</c> as written (empty when there is none).</summary>
    public static (string Name, string Gz) WithoutGz(string path) => IsGzipName(path) ? (path[..^3], path[^3..]) : (path, string.Empty);

    /// <summary>Whether a file is gzip-compressed: by its name (<paramref name="name"/>, else the path) or its first bytes 1F 8B.</summary>
    /// <exception cref="ForgettingDataException">The file cannot be opened.</exception>
    public static bool IsGzip(string path, string? name = null)
    {
        if (IsGzipName(name ?? path))
        {
            return true;
        }

        using var stream = Open(path, 1, FileOptions.None);
        return StartsWithGzip(stream);
    }

    /// <summary>
    /// When <paramref name="stream"/> starts with gzip's bytes 1F 8B, a stream of the text they decompress to; otherwise null
    /// (the stream is read as it is). That stream checks, when its reader reaches the end, that the text has the length and CRC-32 the
    /// gzip trailer records, so a truncated or damaged file (which .NET's <see cref="GZipStream"/> decompresses as far as it
    /// goes, without a word) is refused rather than read short. Several gzip files joined into one are refused alike. A
    /// stream that cannot seek is never peeked at, so it is read as it is (its trailer could not be read first either).
    /// </summary>
    /// <param name="stream">The stream, at the start of the data.</param>
    /// <param name="sourceName">The name messages give.</param>
    /// <param name="leaveOpen">Whether disposing the returned stream leaves <paramref name="stream"/> open.</param>
    /// <exception cref="ForgettingDataException">The stream is too short to be gzip.</exception>
    public static Stream? Decompressing(Stream stream, string sourceName, bool leaveOpen)
    {
        RefuseBinaryFormat(stream, sourceName);
        if (!StartsWithGzip(stream))
        {
            return null;
        }

        return VerifiedGzip(stream, sourceName, leaveOpen);
    }

    /// <summary>
    /// Refuses gzip-compressed data where a binary format is read (.npy with 93 'NUMPY', .npz with 'PK', Parquet with
    /// 'PAR1'): a file whose first bytes are gzip's 1F 8B, before a reader takes them for a damaged header. A stream that
    /// cannot seek is left unread; a seekable one is left where it was.
    /// </summary>
    /// <exception cref="ForgettingDataException">The stream holds gzip-compressed data.</exception>
    public static void RefuseGzip(Stream stream, string sourceName)
    {
        if (StartsWithGzip(stream))
        {
            throw new ForgettingDataException(sourceName, GzipFix(sourceName, "it starts with gzip's bytes 1F 8B"));
        }
    }

    /// <summary>Refuses a gzip-compressed name (<c>.gz</c>) where a binary format is read, with <see cref="GzipFix"/>.</summary>
    /// <exception cref="ForgettingDataException">The name ends in .gz.</exception>
    public static void RefuseGzipName(string path)
    {
        if (IsGzipName(path))
        {
            throw new ForgettingDataException(path, GzipFix(path, "its name ends in '.gz'"));
        }
    }

    /// <summary>
    /// Refuses an output name ending in .gz: outputs are written uncompressed, and a writer picks its format from the
    /// extension before it (the message names the plain name; every reader here, numpy's and pandas' too, reads a gzipped
    /// text file).
    /// </summary>
    /// <exception cref="ForgettingDataException">The name ends in .gz.</exception>
    public static void RefuseGzipOutput(string path)
    {
        if (IsGzipName(path))
        {
            var plain = WithoutGz(Path.GetFileName(path)).Name;
            throw new ForgettingDataException(path, $"outputs are written uncompressed; name the file {(plain.Length > 0 ? plain : "out.csv")} instead (gzip it afterwards if you need to: 'gzip {(plain.Length > 0 ? plain : "out.csv")}').");
        }
    }

    // A binary format given to a text reader (an .npy saved under a .csv name) had been reported as text that is not UTF-8.
    // A seekable stream's first bytes are compared with the formats' magic (Parquet's at both ends, since a CSV header could
    // start with 'PAR1'); the stream is left where it was.
    internal static void RefuseBinaryFormat(Stream stream, string sourceName)
    {
        if (!stream.CanSeek || stream.Length - stream.Position < 8)
        {
            return;
        }

        var (head, tail) = Peek(stream);
        if (head.AsSpan().SequenceEqual(ModelFile.Magic[..head.Length]))
        {
            // A model file given where a table or matrix is read (predict --observed past.fpm) had been taken for text in
            // another encoding ("probably Latin-1").
            throw new ForgettingDataException(sourceName, "is a ForgetPredict model file (it starts with 'FPMODEL', as fit writes them), not text: a model is read by --model (predict, replay, design) or the service's store; here give the table or matrix the option asks for.");
        }

        if (OtherFormat(sourceName, head, tail, "text") is { } error)
        {
            throw error;
        }
    }

    // A binary reader's first check (an .npz's, a Parquet file's; format is a key of MatrixFile.Formats): a file whose bytes are
    // another known binary format is refused as that format, not as a damaged one of its own ("not a valid zip archive" for an
    // .npy read with --format npz). A seekable stream only; it is left where it was.
    internal static void RefuseOtherBinaryFormat(Stream stream, string sourceName, string format)
    {
        if (stream.CanSeek && stream.Length - stream.Position >= 8 && Peek(stream) is var (head, tail) && OtherFormat(sourceName, head, tail, format) is { } error)
        {
            throw error;
        }
    }

    // The error for a file whose first six and last four bytes show a binary format other than the one it is read as (format:
    // npy, npz, parquet, or any text format, for which every binary one is other); null when they show none or that one.
    // Named for what it is, the file was read as another by an explicit format: a setting's fault (ContradictsOption).
    internal static ForgettingDataException? OtherFormat(string sourceName, ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, string format)
    {
        var (extension, readAs) = format switch
        {
            "npy" => (".npy", "a .npy"),
            "npz" => (".npz", "an .npz"),
            "parquet" => (".parquet", "Parquet"),
            _ => ((string?)null, "text"),
        };
        return BinaryFormat(head, tail) is { } other && other.Extension != extension
            ? new ForgettingDataException(sourceName, ReadAsOther(sourceName, other, readAs)) { ContradictsOption = NamedAs(sourceName, other) }
            : null;
    }

    // A seekable stream's first six and last four bytes (it has at least eight from where it is); it is left where it was.
    private static (byte[] Head, byte[] Tail) Peek(Stream stream)
    {
        var start = stream.Position;
        var head = new byte[6];
        var tail = new byte[4];
        stream.ReadExactly(head);
        stream.Position = stream.Length - 4;
        stream.ReadExactly(tail);
        stream.Position = start;
        return (head, tail);
    }

    // The binary format a file's first six and last four bytes show, as "a .npy (it starts with ...)" and its extension.
    internal static (string What, string Extension)? BinaryFormat(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail) =>
        head.Length >= 6 && head[..6].SequenceEqual(Formats.NpyFormat.Magic) ? (".npy (it starts with numpy's bytes 93 'NUMPY')", ".npy")
        : head.Length >= 4 && head[..4].SequenceEqual(ZipMagic) ? ("zip archive, as .npz is (it starts with the bytes 'PK' 03 04)", ".npz")
        : head.Length >= 4 && head[..4].SequenceEqual(Parquet.ParquetReader.Magic) && tail.SequenceEqual(Parquet.ParquetReader.Magic) ? ("Parquet file (it starts and ends with 'PAR1')", ".parquet")
        : null;

    // True when the file's name says what its bytes are, so only an explicit format made it be read as another: a setting's fault.
    internal static bool NamedAs(string sourceName, (string What, string Extension) format) =>
        WithoutGz(Path.GetFileName(sourceName)).Name.EndsWith(format.Extension, StringComparison.OrdinalIgnoreCase);

    // "is a .npy (...), not text": when the name already says what the file is, only an explicit format can have made it read
    // as another (metadata and feature readers refuse an extension they do not read before they open the file), so the fix
    // is to drop that format; otherwise, to name the file for what it is.
    internal static OptionMessage ReadAsOther(string sourceName, (string What, string Extension) format, string readAs)
    {
        var name = WithoutGz(Path.GetFileName(sourceName)).Name;
        return name.EndsWith(format.Extension, StringComparison.OrdinalIgnoreCase)
            ? OptionMessage.Of($"is a {format.What} and named as one, so not {readAs}: drop {new OptionReference(DataOptionNames.Format)} so that it is read as its extension says.")
            : OptionMessage.Of($"is a {format.What}, not {readAs}: name it {Path.GetFileNameWithoutExtension(name)}{format.Extension} so that it is read as one.");
    }

    // A zip archive's local file header, as an .npz starts.
    private static ReadOnlySpan<byte> ZipMagic => [(byte)'P', (byte)'K', 3, 4];

    // Whether a seekable stream's next two bytes are gzip's magic; it is left where it was. A stream that cannot seek is
    // never peeked at (its bytes could not be given back).
    private static bool StartsWithGzip(Stream stream)
    {
        if (!stream.CanSeek || stream.Length - stream.Position < 2)
        {
            return false;
        }

        var start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        stream.ReadExactly(magic);
        stream.Position = start;
        return magic[0] == 0x1F && magic[1] == 0x8B;
    }

    /// <summary>The message for gzip-compressed data where it is not read: what shows it, and the fix. Ends with a period.</summary>
    private static string GzipFix(string sourceName, string evidence)
    {
        return $"is gzip-compressed ({evidence}), which is read only for text formats (CSV, TSV, JSON, .txt): gunzip it first ({Gunzip(sourceName)}).";
    }

    // The command that decompresses a file to a plain one beside it: z.npy.gz to z.npy, else (a gzip named z.csv, or .gz
    // alone) to a name with -plain added.
    private static string Gunzip(string sourceName)
    {
        var name = Path.GetFileName(sourceName);
        var gz = IsGzipName(name);
        var inner = gz ? WithoutGz(name).Name : string.Empty;
        if (inner.Length == 0 || inner.StartsWith('-'))
        {
            var stem = Path.GetFileNameWithoutExtension(name);
            inner = $"{(stem.Length > 0 && !stem.StartsWith('-') ? stem : "file")}-plain{(gz ? string.Empty : Path.GetExtension(name))}";
        }

        return $"gzip -dc {name} > {inner}";
    }

    // Decompresses a gzip stream and, at its end, checks the text against the trailer's CRC-32 and length (the last 8 bytes
    // of the stream, read before decompressing).
    private static CrcCheckedStream VerifiedGzip(Stream compressed, string sourceName, bool leaveOpen)
    {
        const int MinimumGzipLength = 18;   // a 10-byte header and an 8-byte trailer around the deflate data
        var start = compressed.Position;
        if (compressed.Length - start < MinimumGzipLength)
        {
            throw new ForgettingDataException(sourceName, Damaged("it is shorter than a gzip file's header and trailer"));
        }

        Span<byte> trailer = stackalloc byte[8];
        compressed.Position = compressed.Length - 8;
        compressed.ReadExactly(trailer);
        compressed.Position = start;
        var expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        var expectedLength = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        // The trailer records the text's length modulo 2^32. Deflate expands at most about 1,032-fold, so below 4 MB compressed
        // that is the length itself: text past it (a second member, as 'cat a.gz a.gz' makes) is refused before the reader
        // parses it, where its header line would otherwise be reported as a bad row.
        const long MaxDeflateRatio = 1033;
        long? exactLength = (compressed.Length - start) * MaxDeflateRatio < 1L << 32 ? expectedLength : null;
        return new CrcCheckedStream(
            new GZipStream(compressed, CompressionMode.Decompress, leaveOpen),
            atEnd: (crc, length) =>
            {
                if (crc != expectedCrc || (uint)length != expectedLength)
                {
                    throw new ForgettingDataException(sourceName, Damaged("its text does not match the length and checksum its last 8 bytes record as gzip's trailer: the file is cut short or damaged, or has bytes after its end (padding), or joins several gzip files, which are not read here"));
                }
            },
            damaged: e => new ForgettingDataException(sourceName, Damaged("its compressed data is damaged or fails its checksum"), innerException: e),
            limit: exactLength,
            pastLimit: () => new ForgettingDataException(sourceName, Damaged(string.Create(CultureInfo.InvariantCulture,
                $"its text runs past the {expectedLength:N0} bytes its last 8 bytes record as gzip's trailer: it joins several gzip files (which are not read here), or is damaged"))));

        string Damaged(string why) =>
            $"is gzip-compressed, but {why}; decompress it ({Gunzip(sourceName)}) and read that, or write it again.";
    }
}

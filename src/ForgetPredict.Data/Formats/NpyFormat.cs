using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>The header of a NumPy .npy array: element type, memory order and shape.</summary>
/// <param name="Descr">The dtype string, e.g. "&lt;f4".</param>
/// <param name="FortranOrder">True when the data are column-major.</param>
/// <param name="Shape">The array's shape.</param>
/// <param name="DataOffset">Byte offset of the data from the start of the .npy content.</param>
public sealed record NpyHeader(string Descr, bool FortranOrder, long[] Shape, int DataOffset)
{
    /// <summary>Number of elements (product of the shape).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => checked(a * b));
}

/// <summary>
/// Reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0): 2-D arrays of float16/32/64, signed and
/// unsigned integers and booleans, little- or big-endian, C or Fortran order. Object (pickled) arrays and
/// structured dtypes are refused, never unpickled.
/// </summary>
/// <remarks>
/// <para>Every size is checked before anything is allocated: the header's shape times the element size must equal
/// the bytes that follow the header. Data are read in bulk (little-endian float32 goes straight into the matrix
/// buffer with no conversion).</para>
/// <para>Binary format (NumPy's): magic "\x93NUMPY", major and minor version bytes, header length (uint16 LE for
/// 1.0, uint32 LE for 2.0/3.0), an ASCII (3.0: UTF-8) Python dict literal
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (M, N), }</c> padded with spaces and a newline so the data start
/// on a 64-byte boundary, then the raw elements.</para>
/// </remarks>
public static class NpyFormat
{
    private static readonly byte[] s_magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The bytes every .npy file starts with: 93 'NUMPY'.</summary>
    internal static ReadOnlySpan<byte> Magic => s_magic;
    private const int MaxHeaderLength = 1 << 20;
    private const int ChunkBytes = 1 << 24;

    /// <summary>Reads a 2-D array from an .npy file into a matrix (rows are tasks).</summary>
    /// <exception cref="ForgettingDataException">The file is not a valid, supported .npy array (the message says what and how to fix it).</exception>
    public static ForgettingMatrix Read(string path) => Read(path, maxCells: null);

    internal static ForgettingMatrix Read(string path, long? maxCells)
    {
        using var stream = InputFile.OpenRead(path);
        return Read(stream, path, stream.Length, maxCells);
    }

    /// <summary>Reads a 2-D array from <paramref name="stream"/>, whose content is exactly <paramref name="length"/> bytes long.</summary>
    /// <exception cref="ForgettingDataException">The content is not a valid, supported .npy array.</exception>
    public static ForgettingMatrix Read(Stream stream, string sourceName, long length) => Read(stream, sourceName, length, maxCells: null);

    /// <summary>As <see cref="Read(Stream, string, long)"/>, refusing a header whose shape has more than <paramref name="maxCells"/>
    /// cells (<see cref="MatrixReadOptions.MaxCells"/>; null: no limit) before anything is allocated.</summary>
    internal static ForgettingMatrix Read(Stream stream, string sourceName, long length, long? maxCells)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = ReadHeader(stream, sourceName, length);
        var (m, n) = MatrixShape(header, sourceName);
        MatrixReadOptions.CheckCells(maxCells, sourceName, m, n);
        var type = ElementType.Parse(header.Descr, sourceName);
        var count = (long)m * n;
        var expected = (Int128)count * type.Size; // up to (2^31)^2 x 8: beyond long, so compare without overflow
        var available = length - header.DataOffset;
        if (available != expected)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                $"header says shape ({m}, {n}) of '{header.Descr}' ({expected} bytes of data) but {available} bytes follow the header; the file is truncated or its header is wrong. Re-save it with numpy.save."));
        }

        if (count > Array.MaxLength)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                $"shape ({m}, {n}) has {count} cells; at most {Array.MaxLength} fit in one matrix. Split the examples into several files."));
        }

        var values = new float[count];
        var (overflow, original, underflow) = ReadValues(stream, sourceName, type, values);
        if (underflow && Array.TrueForAll(values, v => v == 0 || float.IsNaN(v)))
        {
            // Every value that is not 0 became 0 in single precision: refused as that, not later as a constant matrix of 0s.
            throw new ForgettingDataException(sourceName,
                "every value is 0 in single precision, in which matrices are held: the file's nonzero values are below about 1.4e-45 in magnitude, which float32 reads as 0. Rescale the values (e.g. multiply by 1e40 or more); predictions scale with the data.");
        }

        if (overflow >= 0)
        {
            // A finite float64 beyond float32's range would become infinite: say so, as CSV does, naming the cell.
            var (task, example) = header.FortranOrder ? (overflow % m, overflow / m) : (overflow / n, overflow % n);
            // (the cell rides along as the inner exception, so a reader of another kind of array, an embedding, can say it in its terms)
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture,
                $"cell (task {task}, example {example}) is {original:R}, beyond float32's range (about ±3.4e38); forgetting values must be finite float32 numbers. Rescale the values, or store NaN for a missing cell."),
                innerException: new CellBeyondFloat32Exception((int)task, (int)example, original));
        }

        if (header.FortranOrder && m > 1 && n > 1)
        {
            values = Transpose(values, n, m);
        }

        try
        {
            return ForgettingMatrix.Wrap(values, m, n);
        }
        catch (ArgumentException e)
        {
            throw new ForgettingDataException(sourceName, e.Message.Split(" (Parameter", 2)[0], innerException: e);
        }
    }

    /// <summary>Parses the header of an .npy stream of <paramref name="length"/> bytes, leaving the stream at the first data byte.</summary>
    /// <exception cref="ForgettingDataException">The header is missing, truncated or malformed.</exception>
    public static NpyHeader ReadHeader(Stream stream, string sourceName, long length)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> prefix = stackalloc byte[12];
        if (length < 10 || !TryReadExactly(stream, prefix[..10]))
        {
            throw new ForgettingDataException(sourceName, "file is too short to be a .npy array (fewer than 10 bytes). Save the array with numpy.save.");
        }

        if (!prefix[..6].SequenceEqual(s_magic) && InputFile.OtherFormat(sourceName, prefix[..6], stream.CanSeek ? Tail(stream, length) : [], "npy") is { } other)
        {
            throw other;
        }

        if (!prefix[..6].SequenceEqual(s_magic))
        {
            throw new ForgettingDataException(sourceName, OptionMessage.Of($"not a .npy file: it does not start with the \\x93NUMPY magic. Save the array with numpy.save (or use a .csv/.parquet file with {new OptionReference(DataOptionNames.Format)})."));
        }

        int major = prefix[6], minor = prefix[7];
        int headerLength, prefixLength;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..10]);
                prefixLength = 10;
                break;
            case 2 or 3:
                if (length < 12 || !TryReadExactly(stream, prefix[10..12]))
                {
                    throw new ForgettingDataException(sourceName, "the .npy header is truncated.");
                }

                var len = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..12]);
                if (len > MaxHeaderLength)
                {
                    throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture, $"the .npy header claims {len} bytes; headers over {MaxHeaderLength} bytes are refused."));
                }

                headerLength = (int)len;
                prefixLength = 12;
                break;
            default:
                throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture, $".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are). Re-save with numpy.save."));
        }

        if (prefixLength + (long)headerLength > length)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture, $"the .npy header claims {headerLength} bytes but the file has only {length - prefixLength} after the prefix; the file is truncated."));
        }

        var headerBytes = new byte[headerLength];
        if (!TryReadExactly(stream, headerBytes))
        {
            throw new ForgettingDataException(sourceName, "the .npy header is truncated.");
        }

        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var dict = HeaderParser.Parse(text, sourceName);
        var descr = dict.TryGetValue("descr", out var d) && d is string ds ? ds
            : d is List<object> ? throw new ForgettingDataException(sourceName, "structured (record) arrays are not supported; save a plain 2-D float array, e.g. np.save(path, arr.astype(np.float32)).")
            : throw new ForgettingDataException(sourceName, "the .npy header has no 'descr' (dtype) entry.");
        var fortran = dict.TryGetValue("fortran_order", out var f) && f is bool fb ? fb
            : throw new ForgettingDataException(sourceName, "the .npy header has no boolean 'fortran_order' entry.");
        var shape = dict.TryGetValue("shape", out var s) && s is List<object> list && list.All(x => x is long)
            ? list.Cast<long>().ToArray()
            : throw new ForgettingDataException(sourceName, "the .npy header has no 'shape' tuple of integers.");
        return new NpyHeader(descr, fortran, shape, prefixLength + headerLength);
    }

    /// <summary>Writes <paramref name="matrix"/> as a C-order little-endian float32 .npy (format 1.0).</summary>
    public static void Write(ForgettingMatrix matrix, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        WriteArray(stream, matrix.Values, [matrix.TaskCount, matrix.ExampleCount]);
    }

    /// <summary>Writes float32 values of the given shape (C order) as an .npy array.</summary>
    public static void WriteArray(Stream stream, ReadOnlySpan<float> values, ReadOnlySpan<long> shape)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var dims = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape.ToArray().Select(x => x.ToString(CultureInfo.InvariantCulture)))})";
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}";
        var total = 10 + dict.Length + 1;
        var padded = (total + 63) / 64 * 64;
        var header = dict + new string(' ', padded - total) + "\n";
        var prefix = new byte[10];
        s_magic.CopyTo(prefix, 0);
        prefix[6] = 1;
        prefix[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix.AsSpan(8), checked((ushort)header.Length));
        stream.Write(prefix);
        stream.Write(Encoding.ASCII.GetBytes(header));
        if (BitConverter.IsLittleEndian)
        {
            for (long offset = 0; offset < values.Length; offset += ChunkBytes / 4)
            {
                var count = (int)Math.Min(ChunkBytes / 4, values.Length - offset);
                stream.Write(MemoryMarshal.AsBytes(values.Slice((int)offset, count)));
            }
        }
        else
        {
            var buffer = new byte[4];
            foreach (var v in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer, v);
                stream.Write(buffer);
            }
        }
    }

    private static (int M, int N) MatrixShape(NpyHeader header, string sourceName)
    {
        var shape = header.Shape;
        if (shape.Length != 2)
        {
            var text = "(" + string.Join(", ", shape.Select(x => x.ToString(CultureInfo.InvariantCulture))) + (shape.Length == 1 ? ",)" : ")");
            throw new ForgettingDataException(sourceName, $"array has shape {text}; a forgetting matrix is 2-D (tasks x examples). {(shape.Length < 2 ? "Reshape it, e.g. arr.reshape(1, -1) for a single task." : "Save one 2-D matrix per file (e.g. arr[0], or arr.reshape(arr.shape[0], -1) if the trailing axes index the examples).")}");
        }

        if (shape[0] < 0 || shape[1] < 0 || shape[0] > int.MaxValue || shape[1] > int.MaxValue)
        {
            throw new ForgettingDataException(sourceName, string.Create(CultureInfo.InvariantCulture, $"shape ({shape[0]}, {shape[1]}) is out of range."));
        }

        return ((int)shape[0], (int)shape[1]);
    }

    // The first finite element beyond float32's range (its index in file order, -1 if none, and its value), and whether a
    // nonzero float64 became 0.
    private static (long Overflow, double Original, bool Underflow) ReadValues(Stream stream, string sourceName, ElementType type, float[] values)
    {
        if (type.IsNativeFloat32 && stream is FileStream { CanSeek: true } file && values.LongLength * 4 >= 2L * ChunkBytes)
        {
            ReadInParallel(file, sourceName, values);
            return (-1, 0, false);
        }

        if (type.IsNativeFloat32)
        {
            for (long offset = 0; offset < values.LongLength; offset += ChunkBytes / 4)
            {
                var count = (int)Math.Min(ChunkBytes / 4, values.LongLength - offset);
                if (!TryReadExactly(stream, MemoryMarshal.AsBytes(values.AsSpan((int)offset, count))))
                {
                    throw Truncated(sourceName);
                }
            }

            return (-1, 0, false);
        }

        var buffer = new byte[Math.Min(ChunkBytes, Math.Max(values.LongLength * type.Size, 1))];
        var perChunk = buffer.Length / type.Size;
        long first = -1;
        double original = 0;
        var underflow = false;
        for (long offset = 0; offset < values.LongLength; offset += perChunk)
        {
            var count = (int)Math.Min(perChunk, values.LongLength - offset);
            var bytes = buffer.AsSpan(0, count * type.Size);
            if (!TryReadExactly(stream, bytes))
            {
                throw Truncated(sourceName);
            }

            var overflow = type.Convert(bytes, values.AsSpan((int)offset, count), ref underflow);
            if (overflow >= 0 && first < 0)
            {
                first = offset + overflow;
                original = type.ReadDouble(bytes.Slice(overflow * type.Size, type.Size));
            }
        }

        return (first, original, underflow);
    }

    // A large float32 file straight into the matrix's memory by positioned reads of its parts on several threads: the
    // kernel's copies and the first touches of the fresh pages run side by side. The stream stays at the end of the data.
    private static void ReadInParallel(FileStream file, string sourceName, float[] values)
    {
        const int PerPart = ChunkBytes / sizeof(float);
        // Taking the handle syncs the stream's buffered position with the file's: once, before the threads share it.
        var handle = file.SafeFileHandle;
        var start = file.Position;
        var parts = (int)((values.LongLength + PerPart - 1) / PerPart);
        var complete = new bool[parts];
        var errors = new Exception?[parts];
        Parallel.For(0, parts, part =>
        {
            try
            {
                var first = (long)part * PerPart;
                var target = MemoryMarshal.AsBytes(values.AsSpan((int)first, (int)Math.Min(PerPart, values.LongLength - first)));
                var done = 0;
                while (done < target.Length)
                {
                    var read = RandomAccess.Read(handle, target[done..], start + (first * sizeof(float)) + done);
                    if (read == 0)
                    {
                        return;
                    }

                    done += read;
                }

                complete[part] = true;
            }
            catch (Exception e)
            {
                // Kept, not thrown: every part runs, and the first part's error is the one reported.
                errors[part] = e;
            }
        });

        // The first failed part's error, whichever thread failed first (the order of an AggregateException is the scheduler's).
        if (Array.Find(errors, e => e is not null) is { } error)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
        }

        if (Array.IndexOf(complete, false) >= 0)
        {
            throw Truncated(sourceName);
        }

        file.Position = start + (values.LongLength * sizeof(float));
    }

    private static ForgettingDataException Truncated(string sourceName) =>
        new(sourceName, "the .npy data ended early; the file is truncated. Re-save it with numpy.save.");

    // Fortran order stores the M x N array as N runs of M (column-major): transpose blockwise into row-major.
    private static float[] Transpose(float[] columnMajor, int columns, int rows)
    {
        var result = new float[columnMajor.LongLength];
        const int Block = 64;
        for (var j0 = 0; j0 < columns; j0 += Block)
        {
            for (var i0 = 0; i0 < rows; i0 += Block)
            {
                for (var j = j0; j < Math.Min(columns, j0 + Block); j++)
                {
                    for (var i = i0; i < Math.Min(rows, i0 + Block); i++)
                    {
                        result[((long)i * columns) + j] = columnMajor[((long)j * rows) + i];
                    }
                }
            }
        }

        return result;
    }

    // A seekable stream's last four bytes (Parquet's closing magic), the stream left where it was; empty when it cannot seek.
    private static byte[] Tail(Stream stream, long length)
    {
        if (!stream.CanSeek || length < 8 || stream.Length < 4)
        {
            return [];
        }

        var at = stream.Position;
        var tail = new byte[4];
        stream.Position = stream.Length - 4;
        stream.ReadExactly(tail);
        stream.Position = at;
        return tail;
    }

    internal static bool TryReadExactly(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = stream.Read(buffer[total..]);
            if (read == 0)
            {
                return false;
            }

            total += read;
        }

        return true;
    }

    /// <summary>An .npy element type and its conversion to float32.</summary>
    private sealed class ElementType
    {
        private ElementType(char kind, int size, bool bigEndian)
        {
            Kind = kind;
            Size = size;
            BigEndian = bigEndian;
        }

        public char Kind { get; }

        public int Size { get; }

        public bool BigEndian { get; }

        public bool IsNativeFloat32 => Kind == 'f' && Size == 4 && BigEndian != BitConverter.IsLittleEndian;

        public static ElementType Parse(string descr, string sourceName)
        {
            if (descr.Length >= 2 && descr[0] is '<' or '>' or '|' or '=')
            {
                var order = descr[0];
                var kind = descr[1];
                if (kind == 'O')
                {
                    throw new ForgettingDataException(sourceName, "dtype 'O' is an object array (pickled Python objects); ForgetPredict never unpickles. Save a numeric array: np.save(path, arr.astype(np.float32)).");
                }

                if (int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                {
                    var big = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
                    var ok = kind switch
                    {
                        'f' => size is 2 or 4 or 8,
                        'i' or 'u' => size is 1 or 2 or 4 or 8,
                        'b' => size == 1,
                        _ => false,
                    };
                    if (ok)
                    {
                        return new ElementType(kind, size, big);
                    }
                }
            }

            throw new ForgettingDataException(sourceName, $"dtype '{descr}' is not supported; use float16/32/64, an integer or bool array (np.save(path, arr.astype(np.float32)) always works).");
        }

        /// <summary>Converts the elements; returns the index of the first finite float64 that float32 cannot hold (it
        /// became infinite), or -1, and sets <paramref name="underflow"/> when a nonzero float64 became 0.</summary>
        public int Convert(ReadOnlySpan<byte> bytes, Span<float> destination, ref bool underflow)
        {
            var overflow = -1;
            for (var t = 0; t < destination.Length; t++)
            {
                var e = bytes.Slice(t * Size, Size);
                destination[t] = (Kind, Size) switch
                {
                    ('f', 2) => (float)(BigEndian ? BinaryPrimitives.ReadHalfBigEndian(e) : BinaryPrimitives.ReadHalfLittleEndian(e)),
                    ('f', 4) => BigEndian ? BinaryPrimitives.ReadSingleBigEndian(e) : BinaryPrimitives.ReadSingleLittleEndian(e),
                    ('f', 8) => (float)(BigEndian ? BinaryPrimitives.ReadDoubleBigEndian(e) : BinaryPrimitives.ReadDoubleLittleEndian(e)),
                    ('b', 1) => e[0] == 0 ? 0f : 1f,
                    ('i', 1) => (sbyte)e[0],
                    ('u', 1) => e[0],
                    ('i', 2) => BigEndian ? BinaryPrimitives.ReadInt16BigEndian(e) : BinaryPrimitives.ReadInt16LittleEndian(e),
                    ('u', 2) => BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(e) : BinaryPrimitives.ReadUInt16LittleEndian(e),
                    ('i', 4) => BigEndian ? BinaryPrimitives.ReadInt32BigEndian(e) : BinaryPrimitives.ReadInt32LittleEndian(e),
                    ('u', 4) => BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(e) : BinaryPrimitives.ReadUInt32LittleEndian(e),
                    ('i', 8) => BigEndian ? BinaryPrimitives.ReadInt64BigEndian(e) : BinaryPrimitives.ReadInt64LittleEndian(e),
                    _ => BigEndian ? BinaryPrimitives.ReadUInt64BigEndian(e) : BinaryPrimitives.ReadUInt64LittleEndian(e),
                };
                if (Kind == 'f' && Size == 8)
                {
                    if (overflow < 0 && float.IsInfinity(destination[t]) && double.IsFinite(ReadDouble(e)))
                    {
                        overflow = t;
                    }

                    underflow |= destination[t] == 0 && ReadDouble(e) != 0;
                }
            }

            return overflow;
        }

        /// <summary>One float64 element as stored (only for Kind 'f', Size 8).</summary>
        public double ReadDouble(ReadOnlySpan<byte> element) =>
            BigEndian ? BinaryPrimitives.ReadDoubleBigEndian(element) : BinaryPrimitives.ReadDoubleLittleEndian(element);
    }

    /// <summary>Parser for the Python dict literal of an .npy header (strings, booleans, integers, tuples, lists).</summary>
    private ref struct HeaderParser
    {
        private readonly ReadOnlySpan<char> _text;
        private readonly string _source;
        private int _pos;

        private HeaderParser(ReadOnlySpan<char> text, string source)
        {
            _text = text;
            _source = source;
            _pos = 0;
        }

        public static Dictionary<string, object> Parse(string text, string source)
        {
            var parser = new HeaderParser(text, source);
            parser.SkipSpace();
            var value = parser.ParseValue(0);
            parser.SkipSpace();
            if (parser._pos != text.Length || value is not Dictionary<string, object> dict)
            {
                throw parser.Fail("the header is not a single Python dict literal");
            }

            return dict;
        }

        private object ParseValue(int depth)
        {
            if (depth > 16)
            {
                throw Fail("the header nests too deeply");
            }

            SkipSpace();
            if (_pos >= _text.Length)
            {
                throw Fail("the header ends early");
            }

            var c = _text[_pos];
            switch (c)
            {
                case '{':
                {
                    _pos++;
                    var dict = new Dictionary<string, object>(StringComparer.Ordinal);
                    while (true)
                    {
                        SkipSpace();
                        if (Peek('}'))
                        {
                            _pos++;
                            return dict;
                        }

                        if (ParseValue(depth + 1) is not string key)
                        {
                            throw Fail("dict keys must be strings");
                        }

                        SkipSpace();
                        Expect(':');
                        dict[key] = ParseValue(depth + 1);
                        SkipSpace();
                        if (Peek(','))
                        {
                            _pos++;
                        }
                        else if (!Peek('}'))
                        {
                            throw Fail("expected ',' or '}'");
                        }
                    }
                }

                case '(' or '[':
                {
                    var close = c == '(' ? ')' : ']';
                    _pos++;
                    var list = new List<object>();
                    while (true)
                    {
                        SkipSpace();
                        if (Peek(close))
                        {
                            _pos++;
                            return list;
                        }

                        list.Add(ParseValue(depth + 1));
                        if (list.Count > 64)
                        {
                            throw Fail("the header has too many dimensions or fields");
                        }

                        SkipSpace();
                        if (Peek(','))
                        {
                            _pos++;
                        }
                        else if (!Peek(close))
                        {
                            throw Fail($"expected ',' or '{close}'");
                        }
                    }
                }

                case '\'' or '"':
                {
                    var end = _text[(_pos + 1)..].IndexOf(c);
                    if (end < 0)
                    {
                        throw Fail("unterminated string");
                    }

                    var s = _text.Slice(_pos + 1, end).ToString();
                    _pos += end + 2;
                    return s;
                }

                default:
                {
                    var start = _pos;
                    while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '-' or '_'))
                    {
                        _pos++;
                    }

                    var token = _text[start.._pos];
                    if (token.SequenceEqual("True"))
                    {
                        return true;
                    }

                    if (token.SequenceEqual("False"))
                    {
                        return false;
                    }

                    if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                    {
                        return number;
                    }

                    throw Fail($"unexpected token '{token.ToString()}'");
                }
            }
        }

        private readonly bool Peek(char c) => _pos < _text.Length && _text[_pos] == c;

        private void Expect(char c)
        {
            if (!Peek(c))
            {
                throw Fail($"expected '{c}'");
            }

            _pos++;
        }

        private void SkipSpace()
        {
            while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
            {
                _pos++;
            }
        }

        private readonly ForgettingDataException Fail(string what) =>
            new(_source, string.Create(CultureInfo.InvariantCulture, $"malformed .npy header at character {_pos}: {what}. Re-save the array with numpy.save."));
    }
}

/// <summary>A finite float64 cell beyond float32's range, in which arrays are held: its row, column and value.</summary>
internal sealed class CellBeyondFloat32Exception(int row, int column, double value)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"Cell ({row}, {column}) is {value:R}, beyond float32's range."))
{
    /// <summary>The cell's row (task).</summary>
    public int Row { get; } = row;

    /// <summary>The cell's column (example).</summary>
    public int Column { get; } = column;

    /// <summary>The value as stored.</summary>
    public double Value { get; } = value;
}

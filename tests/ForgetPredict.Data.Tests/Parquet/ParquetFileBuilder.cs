using System.Buffers.Binary;
using ForgetPredict.Data.Parquet;

namespace ForgetPredict.Data.Tests.Parquet;

/// <summary>Builds small Parquet files byte by byte (with our Thrift writer) so tests can put any header value,
/// codec, encoding or schema shape into a file, including the malformed and unsupported ones.</summary>
internal static class ParquetFileBuilder
{
    /// <summary>A schema element after the root: a leaf (Type set) or a group (NumChildren &gt; 0); Scale and
    /// Precision are the legacy DECIMAL fields of SchemaElement (no LogicalType is written).</summary>
    internal sealed record Element(string Name, int? Type, int Repetition = 0, int? Converted = null, int NumChildren = 0, int? Scale = null, int? Precision = null);

    /// <summary>One column chunk: its page bytes and what its metadata claims.</summary>
    internal sealed record Chunk(byte[] Pages, int Codec = 0, long? NumValues = null, bool HasDictionary = false, long? DataPageOffsetDelta = null, long? TotalCompressedSize = null, int? Type = null);

    public static byte[] DataPageV1(int numValues, int encoding, byte[] payload, int? uncompressedSize = null, int? compressedSize = null, int definitionLevelEncoding = 3)
    {
        var w = new ThriftCompactWriter();
        short id = 0;
        w.WriteI32Field(ref id, 1, 0);
        w.WriteI32Field(ref id, 2, uncompressedSize ?? payload.Length);
        w.WriteI32Field(ref id, 3, compressedSize ?? payload.Length);
        w.WriteStructFieldHeader(ref id, 5);
        short inner = 0;
        w.WriteI32Field(ref inner, 1, numValues);
        w.WriteI32Field(ref inner, 2, encoding);
        w.WriteI32Field(ref inner, 3, definitionLevelEncoding);
        w.WriteI32Field(ref inner, 4, 3);
        w.WriteStop();
        w.WriteStop();
        return [.. w.WrittenSpan, .. payload];
    }

    public static byte[] DictionaryPage(int numValues, byte[] payload)
    {
        var w = new ThriftCompactWriter();
        short id = 0;
        w.WriteI32Field(ref id, 1, 2);
        w.WriteI32Field(ref id, 2, payload.Length);
        w.WriteI32Field(ref id, 3, payload.Length);
        w.WriteStructFieldHeader(ref id, 7);
        short inner = 0;
        w.WriteI32Field(ref inner, 1, numValues);
        w.WriteI32Field(ref inner, 2, 0);
        w.WriteStop();
        w.WriteStop();
        return [.. w.WrittenSpan, .. payload];
    }

    public static byte[] Int32s(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    /// <summary>A file with one row group of <paramref name="rows"/> rows; leaves of <paramref name="schema"/> take the chunks in order.</summary>
    public static byte[] Build(Element[] schema, Chunk[] chunks, long rows, int? rootChildren = null)
    {
        using var file = new MemoryStream();
        file.Write("PAR1"u8);
        var offsets = new long[chunks.Length];
        for (var c = 0; c < chunks.Length; c++)
        {
            offsets[c] = file.Position;
            file.Write(chunks[c].Pages);
        }

        var w = new ThriftCompactWriter();
        short id = 0;
        w.WriteI32Field(ref id, 1, 1);
        w.WriteListFieldHeader(ref id, 2, ThriftType.Struct, schema.Length + 1);
        short s = 0;
        w.WriteStringField(ref s, 4, "schema");
        w.WriteI32Field(ref s, 5, rootChildren ?? schema.Length);
        w.WriteStop();
        var leaves = new List<Element>();
        foreach (var element in schema)
        {
            s = 0;
            if (element.Type is { } type)
            {
                w.WriteI32Field(ref s, 1, type);
                leaves.Add(element);
            }

            w.WriteI32Field(ref s, 3, element.Repetition);
            w.WriteStringField(ref s, 4, element.Name);
            if (element.NumChildren > 0)
            {
                w.WriteI32Field(ref s, 5, element.NumChildren);
            }

            if (element.Converted is { } converted)
            {
                w.WriteI32Field(ref s, 6, converted);
            }

            if (element.Scale is { } scale)
            {
                w.WriteI32Field(ref s, 7, scale);
            }

            if (element.Precision is { } precision)
            {
                w.WriteI32Field(ref s, 8, precision);
            }

            w.WriteStop();
        }

        w.WriteI64Field(ref id, 3, rows);
        w.WriteListFieldHeader(ref id, 4, ThriftType.Struct, 1);
        short g = 0;
        w.WriteListFieldHeader(ref g, 1, ThriftType.Struct, chunks.Length);
        for (var c = 0; c < chunks.Length; c++)
        {
            var chunk = chunks[c];
            var leaf = c < leaves.Count ? leaves[c] : new Element("?", 1);
            short cc = 0;
            w.WriteI64Field(ref cc, 2, offsets[c]);
            w.WriteStructFieldHeader(ref cc, 3);
            short m = 0;
            w.WriteI32Field(ref m, 1, chunk.Type ?? leaf.Type ?? 1);
            w.WriteListFieldHeader(ref m, 2, ThriftType.I32, 1);
            w.WriteI32(0);
            w.WriteListFieldHeader(ref m, 3, ThriftType.Binary, 1);
            w.WriteString(leaf.Name);
            w.WriteI32Field(ref m, 4, chunk.Codec);
            w.WriteI64Field(ref m, 5, chunk.NumValues ?? rows);
            w.WriteI64Field(ref m, 6, chunk.Pages.Length);
            w.WriteI64Field(ref m, 7, chunk.TotalCompressedSize ?? chunk.Pages.Length);
            w.WriteI64Field(ref m, 9, offsets[c] + (chunk.DataPageOffsetDelta ?? 0));
            if (chunk.HasDictionary)
            {
                w.WriteI64Field(ref m, 11, offsets[c]);
            }

            w.WriteStop();
            w.WriteStop();
        }

        w.WriteI64Field(ref g, 2, 0);
        w.WriteI64Field(ref g, 3, rows);
        w.WriteStop();
        w.WriteStop();
        file.Write(w.WrittenSpan);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, w.WrittenSpan.Length);
        file.Write(length);
        file.Write("PAR1"u8);
        return file.ToArray();
    }

    /// <summary>A valid one-column INT32 file: values 1, 2, 3, PLAIN, uncompressed.</summary>
    public static byte[] ValidInt32File() =>
        Build([new Element("x", 1)], [new Chunk(DataPageV1(3, 0, Int32s(1, 2, 3)))], 3);
}

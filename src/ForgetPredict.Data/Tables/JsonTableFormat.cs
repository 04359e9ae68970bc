using System.Text.Encodings.Web;
using System.Text.Json;

namespace ForgetPredict.Data.Tables;

/// <summary>
/// JSON in pandas' records orient: <c>[{"example": "a", "predicted": 0.1}, ...]</c>, one object per row with every
/// column. Doubles are shortest round-trip numbers, a whole one with ".0" as pandas writes floats; nulls, NaN and infinities are <c>null</c>, as
/// <c>pd.read_json</c> and <c>json.load</c> expect.
/// </summary>
public sealed class JsonTableFormat : TableFormat
{
    private JsonTableFormat()
    {
    }

    /// <summary>The records orient (.json).</summary>
    public static JsonTableFormat Records { get; } = new();

    /// <inheritdoc />
    public override string Name => "json";

    /// <inheritdoc />
    public override IReadOnlyList<string> Extensions { get; } = [".json"];

    /// <inheritdoc />
    public override void Write(OutputTable table, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var names = table.Columns.Select(c => JsonEncodedText.Encode(c.Name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)).ToArray();
        writer.WriteStartArray();
        for (var r = 0; r < table.RowCount; r++)
        {
            writer.WriteStartObject();
            for (var c = 0; c < names.Length; c++)
            {
                var column = table.Columns[c];
                writer.WritePropertyName(names[c]);
                switch (column)
                {
                    case StringColumn s when s[r] is { } text:
                        writer.WriteStringValue(text);
                        break;
                    case DoubleColumn d:
                        JsonFloat.WriteValue(writer, d[r]);
                        break;
                    case Int64Column l when l[r] is { } integer:
                        writer.WriteNumberValue(integer);
                        break;
                    case BooleanColumn b when b[r] is { } flag:
                        writer.WriteBooleanValue(flag);
                        break;
                    default:
                        writer.WriteNullValue();
                        break;
                }
            }

            writer.WriteEndObject();
            if (writer.BytesPending > 1 << 16)
            {
                writer.Flush();
            }
        }

        writer.WriteEndArray();
    }
}

using System.Globalization;
using System.Text.Json;

namespace ForgetPredict.Data.Tables;

/// <summary>
/// Writes a floating-point value into JSON as numpy, pandas and polars read a float back: a whole number with its ".0"
/// (<c>1.0</c>, <c>-0.0</c>), since <c>1</c> reads back as an integer (Python's json, polars' and pandas' type inference: a
/// field that is whole in one run and not in the next changes type, and frames of several runs no longer concatenate), and
/// NaN or an infinity as <c>null</c>, the missing value JSON has.
/// </summary>
public static class JsonFloat
{
    /// <summary>Writes <paramref name="value"/> as an array element or a property's value.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value: finite as a JSON number (whole ones with ".0"), otherwise null.</param>
    public static void WriteValue(Utf8JsonWriter writer, double value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (!double.IsFinite(value))
        {
            writer.WriteNullValue();
        }
        else if (value == Math.Round(value))
        {
            var whole = value.ToString("R", CultureInfo.InvariantCulture);
            writer.WriteRawValue(whole.AsSpan().IndexOfAny(".Ee") < 0 ? whole + ".0" : whole, skipInputValidation: true);
        }
        else
        {
            writer.WriteNumberValue(value);
        }
    }

    /// <summary>Writes the property <paramref name="name"/> with <paramref name="value"/> as <see cref="WriteValue"/> does.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="name">The property's name.</param>
    /// <param name="value">The value.</param>
    public static void Write(Utf8JsonWriter writer, string name, double value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(name);
        WriteValue(writer, value);
    }
}

/// <summary>
/// A <see cref="System.Text.Json.Serialization.JsonConverter{T}"/> for <see cref="double"/> that writes as
/// <see cref="JsonFloat.WriteValue"/> does (whole values with ".0", NaN and infinities as null) and reads JSON numbers as the
/// default converter does, for serialized records whose floats users read back with json, pandas or polars.
/// </summary>
public sealed class JsonFloatConverter : System.Text.Json.Serialization.JsonConverter<double>
{
    /// <inheritdoc/>
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => JsonFloat.WriteValue(writer, value);
}

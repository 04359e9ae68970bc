using System.Globalization;

namespace ForgetPredict.Data.Tables;

/// <summary>
/// The one rule by which every output writes a column of task or example ids: as 64-bit integers (Parquet INT64, JSON
/// numbers) when every id of the column is a canonical integer, else as text. A canonical integer is the form that
/// round-trips exactly through a 64-bit integer: an optional '-', digits without leading zeros, no '+', no "-0", within
/// the range of a long ("0", "17", "-3"; not "007", "+1", "1.0" or "a1"). A CSV of such ids reads as int64 in pandas, so
/// the Parquet and JSON outputs now read alike and merge with the same frames.
/// </summary>
public static class IdColumns
{
    /// <summary>True when <paramref name="id"/> is a canonical integer (see <see cref="IdColumns"/>), with its value.</summary>
    public static bool TryParseCanonical(string? id, out long value)
    {
        value = 0;
        return id is { Length: > 0 and <= 20 }
            && long.TryParse(id, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
            && string.Equals(id, value.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>The ids as integers when every one is a canonical integer (nulls stay null), else null; a column with no
    /// non-null id is text (null).</summary>
    public static long?[]? AsIntegers(IReadOnlyList<string?> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var values = new long?[ids.Count];
        var any = false;
        for (var i = 0; i < values.Length; i++)
        {
            if (ids[i] is not { } id)
            {
                continue;
            }

            if (!TryParseCanonical(id, out var value))
            {
                return null;
            }

            values[i] = value;
            any = true;
        }

        return any ? values : null;
    }

    /// <summary>As <see cref="AsIntegers"/> for ids without nulls (a matrix's <see cref="Core.IdList"/>), as a plain array.</summary>
    public static long[]? AsIntegerArray(IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return null;
        }

        var values = new long[ids.Count];
        for (var i = 0; i < values.Length; i++)
        {
            if (!TryParseCanonical(ids[i], out values[i]))
            {
                return null;
            }
        }

        return values;
    }

    /// <summary>A column of ids under the rule: integers when every id is a canonical integer, else text.</summary>
    public static TableColumn Column(string name, IReadOnlyList<string?> ids) =>
        AsIntegers(ids) is { } integers ? TableColumn.Int64s(name, integers) : TableColumn.Strings(name, ids);
}

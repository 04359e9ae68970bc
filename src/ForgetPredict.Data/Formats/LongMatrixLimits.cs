using ForgetPredict.Core;

namespace ForgetPredict.Data.Formats;

/// <summary>
/// How large a matrix a long-layout file (one row per cell) may imply: at most <see cref="CsvMatrixFormat.MaxCellsPerLongRow"/>
/// cells per row of the file (but always <see cref="CsvMatrixFormat.MinLongCellAllowance"/>), and never more than one array
/// holds, nor more than the reader's <see cref="MatrixReadOptions.MaxCells"/>. Checked before the matrix is allocated, so a
/// small file with many distinct ids cannot ask for terabytes.
/// </summary>
internal static class LongMatrixLimits
{
    /// <summary>Allocates the NaN-filled M x N matrix, or refuses it naming the shape, the rows and the column options to check.</summary>
    /// <exception cref="ForgettingDataException">The file has no rows or implies too large a matrix.</exception>
    public static float[] Allocate(string source, long line, int m, int n, long rows, MatrixReadOptions options)
    {
        options.CheckCells(source, m, n);
        if (rows == 0)
        {
            throw new ForgettingDataException(source, "the file has a header but no data rows.", line);
        }

        var cellCount = (long)m * n;
        var allowance = Math.Max(CsvMatrixFormat.MinLongCellAllowance, rows * CsvMatrixFormat.MaxCellsPerLongRow);
        if (cellCount > Array.MaxLength || cellCount > allowance)
        {
            throw new ForgettingDataException(source, OptionMessage.Of(
                $"the ids imply a {m} x {n} matrix ({cellCount} cells) but the file has only {rows} rows; at most {Math.Min(allowance, Array.MaxLength)} cells are accepted ({CsvMatrixFormat.MaxCellsPerLongRow} per row, at most {Array.MaxLength}). Check that the task and example columns are the right ones ({new OptionReference(DataOptionNames.Columns)}), or split the file into smaller matrices."));
        }

        var values = new float[cellCount];
        values.AsSpan().Fill(float.NaN);
        return values;
    }
}

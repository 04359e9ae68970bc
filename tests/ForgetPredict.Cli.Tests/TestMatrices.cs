namespace ForgetPredict.Cli.Tests;

// Matrices the tests write for the command line: a slice of a bundled one, or values from a function.
internal static class TestMatrices
{
    // Writes the rows x columns matrix of value(i, j) to dir/name (its format from the extension) and returns the path.
    public static string Write(string dir, string name, int rows, int columns, Func<int, int, float> value)
    {
        var values = new float[rows * columns];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                values[(i * columns) + j] = value(i, j);
            }
        }

        var path = Path.Combine(dir, name);
        ForgetPredict.Data.MatrixFile.Write(Core.ForgettingMatrix.Create(values, rows, columns), path);
        return path;
    }

    // The first rows x columns of m, written to dir/name.
    public static string Slice(string dir, Core.ForgettingMatrix m, int rows, int columns, string name) => Write(dir, name, rows, columns, (i, j) => m[i, j]);
}

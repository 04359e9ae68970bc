namespace ForgetPredict.Frames;

/// <summary>How a forgetting matrix is laid out in a table.</summary>
public enum FrameLayout
{
    /// <summary>One row per task: a <c>task</c> id column, then one numeric column per example named by its id (null = missing).</summary>
    Wide,

    /// <summary>One row per cell, task by task: <c>task</c>, <c>example</c>, <c>value</c> (null = missing). Reading also accepts tables that leave missing cells out.</summary>
    Cells,
}

/// <summary>The column names of a long table (task, example, value) and of a measured-cells table (example, value).</summary>
/// <remarks>Each name must hold more than white space; the names a table uses must differ (checked where they are used: example
/// and value for measured cells, all three for a long table).</remarks>
public sealed record FrameColumns
{
    /// <summary>The task id column (wide and long tables).</summary>
    /// <exception cref="ArgumentException">The name is null, empty or white space.</exception>
    public string Task { get; init => field = Named(value, nameof(Task)); } = "task";

    /// <summary>The example id column (long tables and measured cells).</summary>
    /// <exception cref="ArgumentException">The name is null, empty or white space.</exception>
    public string Example { get; init => field = Named(value, nameof(Example)); } = "example";

    /// <summary>The value column (long tables and measured cells).</summary>
    /// <exception cref="ArgumentException">The name is null, empty or white space.</exception>
    public string Value { get; init => field = Named(value, nameof(Value)); } = "value";

    /// <summary>The default names: task, example, value.</summary>
    public static FrameColumns Default { get; } = new();

    /// <summary><paramref name="columns"/>, or the defaults when null, once the names a table uses are known to differ: the
    /// example and value columns, and the task column too when <paramref name="withTask"/> (a long table; a table of measured
    /// cells has no task column, a wide one no example or value column).</summary>
    /// <exception cref="ArgumentException">Two of the names used are the same.</exception>
    internal static FrameColumns Checked(FrameColumns? columns, bool withTask)
    {
        var names = columns ?? Default;
        if (names.Example == names.Value || (withTask && (names.Task == names.Example || names.Task == names.Value)))
        {
            throw new ArgumentException($"FrameColumns names a column twice (task '{names.Task}', example '{names.Example}', value '{names.Value}'); give each its own name.", nameof(columns));
        }

        return names;
    }

    private static string Named(string value, string property) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"FrameColumns.{property} must name a column (it is {(value is null ? "null" : value.Length == 0 ? "empty" : "white space")}).", property) : value;
}

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
public sealed record FrameColumns
{
    /// <summary>The task id column (wide and long tables).</summary>
    public string Task { get; init; } = "task";

    /// <summary>The example id column (long tables and measured cells).</summary>
    public string Example { get; init; } = "example";

    /// <summary>The value column (long tables and measured cells).</summary>
    public string Value { get; init; } = "value";

    /// <summary>The default names: task, example, value.</summary>
    public static FrameColumns Default { get; } = new();
}

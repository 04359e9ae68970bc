namespace ForgetPredict.Data.Formats;

/// <summary>
/// The row and column order of a matrix read from a long-layout file (one row per cell), which names cells by id and so
/// leaves the order open. Ids are taken in order of first appearance, except that an axis whose ids are all canonical
/// integers ("0", "17", "-3": no sign '+', no leading zeros; <see cref="Tables.IdColumns"/>) is put in numeric order
/// unless the file keeps another order of its own: it lists two of them against numeric order somewhere (within a task,
/// its examples; within an example, its tasks) but never against their order of first appearance. A matrix without ids
/// (.npy, ids "0".."N-1") written long and read back therefore keeps its order exactly even when missing cells make some
/// examples first appear late, and so does a matrix whose whole-number ids are in another order (<c>5, 3, 9</c>): its long
/// file lists them in that order everywhere, so they are not sorted. A shuffled file (against both orders) is sorted.
/// </summary>
/// <remarks>Feed every cell in file order to <see cref="Note"/>, then call <see cref="Apply"/>.</remarks>
internal sealed class LongIdOrder
{
    private readonly long[]? _taskNumbers;
    private readonly long[]? _exampleNumbers;
    private readonly int[]? _lastExampleOfTask;
    private readonly int[]? _lastTaskOfExample;
    private bool _examplesAgainstNumbers;
    private bool _examplesAgainstFirst;
    private bool _tasksAgainstNumbers;
    private bool _tasksAgainstFirst;

    /// <summary>Starts for the ids in first-appearance order (every id is known: cells are noted in a second pass).</summary>
    public LongIdOrder(IReadOnlyList<string> taskIds, IReadOnlyList<string> exampleIds)
    {
        _taskNumbers = UnsortedNumbers(taskIds);
        _exampleNumbers = UnsortedNumbers(exampleIds);
        if (_exampleNumbers is not null)
        {
            _lastExampleOfTask = new int[taskIds.Count];
            Array.Fill(_lastExampleOfTask, -1);
        }

        if (_taskNumbers is not null)
        {
            _lastTaskOfExample = new int[exampleIds.Count];
            Array.Fill(_lastTaskOfExample, -1);
        }
    }

    /// <summary>Notes the file's next cell (its task and example in first-appearance positions).</summary>
    public void Note(int task, int example)
    {
        if (_lastExampleOfTask is { } lastExample && !_examplesAgainstFirst)
        {
            var previous = lastExample[task];
            if (previous >= 0)
            {
                _examplesAgainstNumbers |= _exampleNumbers![example] < _exampleNumbers[previous];
                _examplesAgainstFirst = example < previous;
            }

            lastExample[task] = example;
        }

        if (_lastTaskOfExample is { } lastTask && !_tasksAgainstFirst)
        {
            var previous = lastTask[example];
            if (previous >= 0)
            {
                _tasksAgainstNumbers |= _taskNumbers![task] < _taskNumbers[previous];
                _tasksAgainstFirst = task < previous;
            }

            lastTask[example] = task;
        }
    }

    /// <summary>The values and ids in the documented order; the inputs themselves when no axis needs reordering.</summary>
    public (float[] Values, List<string> TaskIds, List<string> ExampleIds) Apply(float[] values, int m, int n, List<string> taskIds, List<string> exampleIds)
    {
        // First appearance stands for an axis the file lists against numeric order but always in its own order.
        var taskOrder = _tasksAgainstNumbers && !_tasksAgainstFirst ? null : NumericOrder(_taskNumbers);
        var exampleOrder = _examplesAgainstNumbers && !_examplesAgainstFirst ? null : NumericOrder(_exampleNumbers);
        if (taskOrder is null && exampleOrder is null)
        {
            return (values, taskIds, exampleIds);
        }

        var reordered = new float[values.Length];
        for (var i = 0; i < m; i++)
        {
            var from = values.AsSpan((taskOrder?[i] ?? i) * n, n);
            var to = reordered.AsSpan(i * n, n);
            if (exampleOrder is null)
            {
                from.CopyTo(to);
                continue;
            }

            for (var j = 0; j < n; j++)
            {
                to[j] = from[exampleOrder[j]];
            }
        }

        return (reordered, Permute(taskIds, taskOrder), Permute(exampleIds, exampleOrder));
    }

    // The ids' values when all are canonical integers and not already in increasing order; else null (first appearance stands).
    private static long[]? UnsortedNumbers(IReadOnlyList<string> ids)
    {
        var numbers = Tables.IdColumns.AsIntegerArray(ids);
        if (numbers is null)
        {
            return null;
        }

        for (var i = 1; i < numbers.Length; i++)
        {
            if (numbers[i - 1] > numbers[i])
            {
                return numbers;
            }
        }

        return null;
    }

    private static int[]? NumericOrder(long[]? numbers)
    {
        if (numbers is null)
        {
            return null;
        }

        var keys = (long[])numbers.Clone();
        var order = new int[keys.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(keys, order);
        return order;
    }

    private static List<string> Permute(List<string> ids, int[]? order) => order is null ? ids : [.. order.Select(i => ids[i])];
}

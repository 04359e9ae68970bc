namespace ForgetPredict.Core;

/// <summary>
/// A matrix cell holds an infinity (<see cref="ForgettingMatrix.Create(ReadOnlySpan{float}, int, int, IEnumerable{string}?, IEnumerable{string}?)"/>
/// refuses it): the cell's row and column, so a reader of another kind of matrix (a feature embedding) can say it in its own terms.
/// </summary>
public sealed class NonFiniteCellException : ArgumentException
{
    /// <summary>Creates the exception for the cell at <paramref name="task"/>, <paramref name="example"/>.</summary>
    /// <param name="message">What is wrong and the fix.</param>
    /// <param name="paramName">The argument that held the cell.</param>
    /// <param name="task">The cell's row.</param>
    /// <param name="example">The cell's column.</param>
    public NonFiniteCellException(string message, string paramName, int task, int example)
        : base(message, paramName)
    {
        Task = task;
        Example = example;
    }

    /// <summary>Creates the exception.</summary>
    public NonFiniteCellException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public NonFiniteCellException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NonFiniteCellException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The cell's row (task index).</summary>
    public int Task { get; }

    /// <summary>The cell's column (example index).</summary>
    public int Example { get; }
}

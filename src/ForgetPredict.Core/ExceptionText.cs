namespace ForgetPredict.Core;

/// <summary>What an exception says, in words for the user.</summary>
public static class ExceptionText
{
    /// <summary>
    /// The exception's message without the " (Parameter 'x')" that <see cref="ArgumentException"/> appends: the sentence says
    /// what is wrong; the name of a .NET parameter means nothing to the user.
    /// </summary>
    public static string Sentence(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var message = exception.Message;
        var cut = exception is ArgumentException ? message.LastIndexOf(" (Parameter '", StringComparison.Ordinal) : -1;
        return cut > 0 ? message[..cut] : message;
    }

    /// <summary>
    /// <see cref="Sentence"/> to follow a file's name and a colon ("z.csv: the matrix has 0 tasks ..."), as the readers' own
    /// messages do: its first letter in lower case when it begins a plain word ("The", "Every"); a word in capitals (NaN,
    /// RMSE) or a quoted name keeps its case.
    /// </summary>
    public static string Clause(Exception exception)
    {
        var sentence = Sentence(exception);
        return sentence.Length > 1 && char.IsUpper(sentence[0]) && char.IsLower(sentence[1]) ? char.ToLowerInvariant(sentence[0]) + sentence[1..] : sentence;
    }
}

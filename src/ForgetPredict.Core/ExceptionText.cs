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
}

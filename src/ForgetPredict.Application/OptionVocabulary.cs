using ForgetPredict.Core;

namespace ForgetPredict.Application;

/// <summary>
/// A front end's words for the library's options: messages from Core and Data name options (<c>MatrixReadOptions.Array</c>);
/// a front end words them as its users set them (<c>--array</c> on the command line, a field of a request).
/// </summary>
/// <remarks><threadsafety>Immutable; safe for concurrent use.</threadsafety></remarks>
public sealed class OptionVocabulary
{
    private readonly Dictionary<string, string> _names;
    private readonly Func<string, string?, string> _word;

    /// <summary>Creates the vocabulary.</summary>
    /// <param name="names">The front end's name of each option it has (<see cref="OptionReference.Name"/> to flag or field).</param>
    /// <param name="word">Words a named option with the value a message suggests (null: none), e.g. <c>--layout wide</c>.</param>
    public OptionVocabulary(IReadOnlyDictionary<string, string> names, Func<string, string?, string> word)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(word);
        _names = new Dictionary<string, string>(names, StringComparer.Ordinal);
        _word = word;
    }

    /// <summary>The front end's words for <paramref name="option"/>; the library's own when the front end has no such option.</summary>
    public string Word(OptionReference option) => _names.TryGetValue(option.Name, out var name) ? _word(name, option.Value) : option.ToString();

    /// <summary>The message in this vocabulary: each option it names worded as the front end's.</summary>
    public string Describe(OptionMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Format(Word);
    }

    /// <summary>
    /// The exception's message in this vocabulary (the message itself when it names no option), without the
    /// " (Parameter 'x')" that <see cref="ArgumentException"/> appends: users need the sentence, not the parameter name.
    /// </summary>
    public string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is IOptionMessageException named ? named.Describe(Word) : ExceptionText.Sentence(exception);
    }
}

using System.Globalization;

namespace ForgetPredict.Core;

/// <summary>
/// A library option named in a message: the option's type and property (<c>MatrixReadOptions.Array</c>), and the value a
/// fix would give it, if the message suggests one.
/// </summary>
/// <param name="Name">The option, as <c>Type.Property</c>.</param>
/// <param name="Value">A value to give it, or null.</param>
public readonly record struct OptionReference(string Name, string? Value = null)
{
    /// <summary>The library's wording: <c>MatrixReadOptions.Layout</c>, or <c>MatrixReadOptions.Layout = wide</c>.</summary>
    public override string ToString() => Value is null ? Name : $"{Name} = {Value}";
}

/// <summary>
/// A message that names library options: a composite format template (<c>{0}</c>, <c>{1}</c>...) and the options it names,
/// so each front end can word them its own way (a command-line flag, a request field) while the library's own wording
/// names the option (<see cref="OptionReference.ToString"/>).
/// </summary>
/// <remarks><threadsafety>Immutable; safe for concurrent use.</threadsafety></remarks>
public sealed class OptionMessage
{
    private readonly OptionReference[] _options;

    /// <summary>Creates the message.</summary>
    /// <param name="template">The text, with <c>{i}</c> where option i is named (braces otherwise doubled, as for <see cref="string.Format(IFormatProvider, string, object[])"/>).</param>
    /// <param name="options">The options named.</param>
    public OptionMessage(string template, params OptionReference[] options)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(options);
        Template = template;
        _options = options;
    }

    /// <summary>
    /// The message of an interpolated string: each <see cref="OptionReference"/> hole names an option, every other hole is
    /// formatted (invariant culture) into the text.
    /// </summary>
    public static OptionMessage Of(FormattableString text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var options = new List<OptionReference>();
        var holes = text.GetArguments().Select(a => (object)(a is OptionReference o ? new Hole(null, AddOption(o)) : new Hole(a, -1))).ToArray();
        // string.Format turns the text's literal braces ({{ and }}) into single ones, but the result is a template again:
        // double them first so they stay escaped there, as the holes' values are.
        return new OptionMessage(string.Format(CultureInfo.InvariantCulture, KeepLiteralBraces(text.Format), holes), [.. options]);

        int AddOption(OptionReference option)
        {
            options.Add(option);
            return options.Count - 1;
        }
    }

    /// <summary>The text with <c>{i}</c> placeholders.</summary>
    public string Template { get; }

    /// <summary>The options the message names, in placeholder order.</summary>
    public IReadOnlyList<OptionReference> Options => _options;

    /// <summary>The message with each option worded by <paramref name="word"/>.</summary>
    public string Format(Func<OptionReference, string> word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return string.Format(CultureInfo.InvariantCulture, Template, [.. _options.Select(o => (object)word(o))]);
    }

    /// <summary>The message in the library's wording.</summary>
    public override string ToString() => Format(static o => o.ToString());

    /// <summary>A message that names no option.</summary>
    public static OptionMessage Plain(string text) => new(Escape(text ?? string.Empty));

    /// <summary>This message followed by <paramref name="next"/> (after a space), each naming its own options.</summary>
    public OptionMessage Then(OptionMessage next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var template = new System.Text.StringBuilder(Template).Append(' ');
        var text = next.Template;
        for (var i = 0; i < text.Length; i++)
        {
            // Doubled braces are text; {k} is next's option k, now option k + this message's count.
            if ((text[i] is '{' or '}') && i + 1 < text.Length && text[i + 1] == text[i])
            {
                template.Append(text[i]).Append(text[i]);
                i++;
            }
            else if (text[i] == '{' && text.IndexOf('}', i) is var close and > 0)
            {
                template.Append('{').Append(int.Parse(text.AsSpan(i + 1, close - i - 1), CultureInfo.InvariantCulture) + _options.Length).Append('}');
                i = close;
            }
            else
            {
                template.Append(text[i]);
            }
        }

        return new OptionMessage(template.ToString(), [.. _options, .. next._options]);
    }

    // A composite format with each literal brace pair ({{, }}) doubled again; the holes ({0}, {1:N0}) are copied as they are.
    private static string KeepLiteralBraces(string format)
    {
        var kept = new System.Text.StringBuilder(format.Length + 8);
        for (var i = 0; i < format.Length; i++)
        {
            if ((format[i] is '{' or '}') && i + 1 < format.Length && format[i + 1] == format[i])
            {
                kept.Append(format[i], 4);
                i++;
            }
            else if (format[i] == '{' && format.IndexOf('}', i) is var close and > 0)
            {
                kept.Append(format, i, close - i + 1);
                i = close;
            }
            else
            {
                kept.Append(format[i]);
            }
        }

        return kept.ToString();
    }

    private static string Escape(string text) => text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);

    // A hole of an interpolated message: an option's placeholder, or a value formatted as the hole asks and escaped.
    private sealed class Hole(object? value, int option) : IFormattable
    {
        public string ToString(string? format, IFormatProvider? formatProvider) =>
            option >= 0 ? $"{{{option}}}" : Escape(value is IFormattable f ? f.ToString(format, formatProvider) : value?.ToString() ?? string.Empty);

        public override string ToString() => ToString(null, CultureInfo.InvariantCulture);
    }
}

/// <summary>An exception whose message names library options, for front ends to reword in their own vocabulary.</summary>
public interface IOptionMessageException
{
    /// <summary>The options the message names (empty when it names none).</summary>
    IReadOnlyList<OptionReference> Options { get; }

    /// <summary>The whole message with each option worded by <paramref name="word"/> (a flag, a request field).</summary>
    string Describe(Func<OptionReference, string> word);
}

/// <summary>A setting of an options record (or a request) that cannot be used; the message names the option, not a front end's flag.</summary>
/// <remarks>Options records refuse an invalid setting with an <see cref="ArgumentException"/>: this one where the message names
/// options a front end words its own way (a flag, a request field), otherwise <see cref="ArgumentOutOfRangeException"/> or
/// <see cref="ArgumentException"/> naming the property. A host that wants every invalid setting catches
/// <see cref="ArgumentException"/>, which this is.</remarks>
public sealed class OptionException : ArgumentException, IOptionMessageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the option(s).</param>
    public OptionException(OptionMessage message)
        : base((message ?? throw new ArgumentNullException(nameof(message))).ToString())
    {
        OptionMessage = message;
    }

    /// <summary>Creates the exception.</summary>
    public OptionException()
        : this(new OptionMessage("An option is not valid."))
    {
    }

    /// <summary>Creates the exception with a plain message (it names no option).</summary>
    public OptionException(string message)
        : base(message)
    {
        OptionMessage = OptionMessage.Plain(message);
    }

    /// <summary>Creates the exception with a plain message (it names no option).</summary>
    public OptionException(string message, Exception innerException)
        : base(message, innerException)
    {
        OptionMessage = OptionMessage.Plain(message);
    }

    /// <summary>The message's template and the options it names.</summary>
    public OptionMessage OptionMessage { get; }

    /// <summary>The first option the message names, or null.</summary>
    public string? OptionName => OptionMessage.Options.Count > 0 ? OptionMessage.Options[0].Name : null;

    /// <inheritdoc />
    public IReadOnlyList<OptionReference> Options => OptionMessage.Options;

    /// <inheritdoc />
    public string Describe(Func<OptionReference, string> word) => OptionMessage.Format(word);
}

using System.Globalization;
using ForgetPredict.Core.Evaluation;
using ForgetPredict.Core.Models;
using ForgetPredict.Core.Replay;
using ForgetPredict.Data;

namespace ForgetPredict.Application;

/// <summary>
/// The names of an enumeration's values as users type them (<c>empirical</c>, <c>topk</c>, <c>wide</c>): one table
/// serves parsing, printing, help texts and "did you mean" suggestions in every front end.
/// </summary>
/// <typeparam name="T">The enumeration.</typeparam>
/// <remarks><threadsafety>Immutable; safe for concurrent use.</threadsafety></remarks>
public sealed class NamedChoice<T>
    where T : struct, Enum
{
    private readonly (string Name, T Value)[] _entries;

    /// <summary>Creates the table; the first entry is the default.</summary>
    /// <param name="kind">What a value is, singular (<c>prior</c>).</param>
    /// <param name="plural">The plural (<c>priors</c>).</param>
    /// <param name="entries">Every name with its value, the default first.</param>
    public NamedChoice(string kind, string plural, params (string Name, T Value)[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfZero(entries.Length);
        Kind = kind;
        Plural = plural;
        _entries = entries;
        Names = [.. entries.Select(e => e.Name)];
    }

    /// <summary>What a value is (<c>prior</c>).</summary>
    public string Kind { get; }

    /// <summary>The plural of <see cref="Kind"/>.</summary>
    public string Plural { get; }

    /// <summary>Every name, the default first.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The value a missing name stands for.</summary>
    public T Default => _entries[0].Value;

    /// <summary>The name of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value has no name.</exception>
    public string NameOf(T value)
    {
        foreach (var (name, v) in _entries)
        {
            if (EqualityComparer<T>.Default.Equals(v, value))
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, $"No {Kind} name for {value}.");
    }

    /// <summary>The value named <paramref name="name"/> (exact, case-sensitive), or false.</summary>
    public bool TryParse(string? name, out T value)
    {
        foreach (var (n, v) in _entries)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                value = v;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The value named <paramref name="name"/>; <see cref="Default"/> when it is null.</summary>
    /// <exception cref="UnknownNameException">The name is not one of <see cref="Names"/>.</exception>
    public T Parse(string? name) =>
        name is null ? Default : TryParse(name, out var value) ? value : throw new UnknownNameException(Kind, name, UnknownMessage(name));

    /// <summary>
    /// The choice restricted to <paramref name="values"/> (in this table's order; the first kept is the default): what a use case
    /// that accepts only some of the values lists and suggests.
    /// </summary>
    /// <exception cref="ArgumentException">A value has no name here, or none is given.</exception>
    public NamedChoice<T> Only(IEnumerable<T> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var kept = values.ToHashSet();
        var unnamed = kept.Where(v => !_entries.Any(e => EqualityComparer<T>.Default.Equals(e.Value, v))).ToArray();
        if (unnamed.Length > 0 || kept.Count == 0)
        {
            throw new ArgumentException($"Every value kept must have a {Kind} name ({string.Join(", ", unnamed)} has none), and one must be kept.", nameof(values));
        }

        return new NamedChoice<T>(Kind, Plural, [.. _entries.Where(e => kept.Contains(e.Value))]);
    }

    /// <summary>"Unknown prior 'x'; did you mean 'y'? Priors: a, b." (the name as <see cref="Echo.Printable"/> repeats it).</summary>
    public string UnknownMessage(string name) =>
        string.Create(CultureInfo.InvariantCulture, $"Unknown {Kind} '{Echo.Printable(name)}'{Suggestion.AndList(name, Names, Plural)}");
}

/// <summary>A name that is not one of the known names of a choice (a prior, a strategy, a layout).</summary>
public sealed class UnknownNameException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">What the name should have named (<c>prior</c>).</param>
    /// <param name="name">The name given.</param>
    /// <param name="message">The message, listing the known names.</param>
    public UnknownNameException(string kind, string name, string message)
        : base(message)
    {
        Kind = kind;
        Name = name;
    }

    /// <summary>Creates the exception.</summary>
    public UnknownNameException()
        : this("value", string.Empty, "Unknown name.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnknownNameException(string message)
        : this("value", string.Empty, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnknownNameException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = "value";
        Name = string.Empty;
    }

    /// <summary>What the name should have named (<c>prior</c>).</summary>
    public string Kind { get; }

    /// <summary>The name given.</summary>
    public string Name { get; }
}

/// <summary>The user-facing names of the engine's choices, for every front end.</summary>
public static class Choices
{
    /// <summary>Fold-in priors: <c>empirical</c> (default) and <c>ridge</c>.</summary>
    public static NamedChoice<FoldInPrior> Prior { get; } = new("prior", "priors", ("empirical", FoldInPrior.Empirical), ("ridge", FoldInPrior.Ridge));

    /// <summary>Replay strategies: <c>softmax</c> (default), <c>topk</c>, <c>stratified</c>, <c>random</c>.</summary>
    public static NamedChoice<ReplayStrategy> Strategy { get; } = new("strategy", "strategies",
        ("softmax", ReplayStrategy.Softmax), ("topk", ReplayStrategy.TopK), ("stratified", ReplayStrategy.Stratified), ("random", ReplayStrategy.Random));

    /// <summary>
    /// Active-measurement design criteria: <c>v-optimal</c> (default), <c>d-optimal</c>, <c>group-means</c>, <c>neighbours</c>
    /// (adaptive: it needs each measured value before the next choice).
    /// </summary>
    public static NamedChoice<ActiveCriterion> Criterion { get; } = new("criterion", "criteria",
        ("v-optimal", ActiveCriterion.VOptimal), ("d-optimal", ActiveCriterion.DOptimal), ("group-means", ActiveCriterion.GroupMeans), ("neighbours", ActiveCriterion.Neighbours));

    /// <summary>How the protocol chooses the cells it reveals: <c>random</c> (default, the reference) and <c>active</c> (a design).</summary>
    public static NamedChoice<RevealStrategy> Reveal { get; } = new("reveal", "reveal strategies", ("random", RevealStrategy.Random), ("active", RevealStrategy.Active));

    /// <summary>Whose random draws the protocol makes: <c>own</c> (default) and <c>numpy</c> (the reference pipeline's).</summary>
    public static NamedChoice<RevealRandom> RevealRng { get; } = new("reveal generator", "reveal generators", ("own", RevealRandom.Own), ("numpy", RevealRandom.Numpy));

    /// <summary>Matrix layouts of tables: <c>auto</c> (default), <c>wide</c>, <c>long</c>.</summary>
    public static NamedChoice<MatrixLayout> Layout { get; } = new("layout", "layouts", ("auto", MatrixLayout.Auto), ("wide", MatrixLayout.Wide), ("long", MatrixLayout.Long));
}

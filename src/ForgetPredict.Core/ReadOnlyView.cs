using System.Collections.ObjectModel;

namespace ForgetPredict.Core;

/// <summary>Lists a result hands out as read-only views, so that a caller cannot change a shared result by casting them back.</summary>
internal static class ReadOnlyView
{
    /// <summary>A read-only view of <paramref name="items"/> (no copy of a list or array).</summary>
    public static IReadOnlyList<T> Of<T>(IReadOnlyList<T> items) => items switch
    {
        ReadOnlyCollection<T> view => view,
        IList<T> list => new ReadOnlyCollection<T>(list),
        _ => items,
    };
}

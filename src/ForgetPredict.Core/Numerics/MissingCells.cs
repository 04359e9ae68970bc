namespace ForgetPredict.Core.Numerics;

/// <summary>Whether a kernel body reads missing (NaN) cells as zero: a struct per choice, so the JIT compiles one copy of the
/// body for each and drops the test the copy does not need.</summary>
internal interface IMissingCells
{
    /// <summary>True: a NaN cell's y is +0, so it adds nothing to any sum. False: the cells are all observed.</summary>
    static abstract bool AsZero { get; }
}

/// <summary>Every cell is observed: no test.</summary>
internal readonly struct AllObserved : IMissingCells
{
    /// <inheritdoc/>
    public static bool AsZero => false;
}

/// <summary>Missing cells read as zero.</summary>
internal readonly struct MissingAsZero : IMissingCells
{
    /// <inheritdoc/>
    public static bool AsZero => true;
}

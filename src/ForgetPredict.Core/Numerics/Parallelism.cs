namespace ForgetPredict.Core.Numerics;

/// <summary>The one meaning of a <c>MaxThreads</c> setting: -1 for all cores, else at least 1.</summary>
internal static class Parallelism
{
    /// <summary>Throws unless <paramref name="maxThreads"/> is -1 or at least 1.</summary>
    /// <param name="maxThreads">The setting.</param>
    /// <param name="name">The setting's name, for the message (MaxThreads).</param>
    /// <exception cref="ArgumentOutOfRangeException">It is 0 or below -1.</exception>
    public static void Validate(int maxThreads, string name)
    {
        if (maxThreads is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(name, maxThreads, $"{name} must be -1 (all cores) or at least 1.");
        }
    }

    /// <summary>Parallel-loop options for <paramref name="maxThreads"/> (-1 or 0: all cores) that stop the loop when
    /// <paramref name="cancellationToken"/> is cancelled.</summary>
    public static ParallelOptions Options(int maxThreads, CancellationToken cancellationToken = default) =>
        new() { MaxDegreeOfParallelism = maxThreads > 0 ? maxThreads : Environment.ProcessorCount, CancellationToken = cancellationToken };
}

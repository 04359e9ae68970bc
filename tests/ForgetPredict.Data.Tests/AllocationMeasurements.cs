namespace ForgetPredict.Data.Tests;

/// <summary>Tests that measure process-wide allocations run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(AllocationMeasurements), DisableParallelization = true)]
public sealed class AllocationMeasurements;

namespace ForgetPredict.Core.Models;

/// <summary>How a fit went: iterations, convergence and the final objective.</summary>
/// <param name="Iterations">Sweeps (or passes) the solver ran.</param>
/// <param name="Converged">True when the relative change of the objective fell below the tolerance before the iteration limit.</param>
/// <param name="Objective">Final objective: residual sum of squares (or negative log-likelihood) plus penalties, on observed cells.</param>
/// <param name="ResidualVariance">Mean squared training residual over observed cells (the fold-in's noise variance for Gaussian models).</param>
public sealed record FitReport(int Iterations, bool Converged, double Objective, double ResidualVariance);

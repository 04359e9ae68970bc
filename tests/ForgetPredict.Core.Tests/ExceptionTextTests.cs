namespace ForgetPredict.Core.Tests;

/// <summary>The one rule every front end and reader uses to say an exception's sentence without .NET's parameter name.</summary>
public class ExceptionTextTests
{
    [Fact]
    public void Sentence_DropsTheParameterSuffix_OfArgumentExceptionsOnly()
    {
        Assert.Equal("Residual factors contain a non-finite value.", ExceptionText.Sentence(new ArgumentException("Residual factors contain a non-finite value.", "parameters")));
        Assert.Equal("No parameter here.", ExceptionText.Sentence(new ArgumentException("No parameter here.")));
        Assert.Equal("Out of range.", ExceptionText.Sentence(new ArgumentOutOfRangeException("count", "Out of range.")));
        Assert.Equal("Kept (Parameter 'x')", ExceptionText.Sentence(new InvalidOperationException("Kept (Parameter 'x')")));
    }
}

using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests.Models;

/// <summary>QA: logistic and logistic-additive fitted an all-ones or all-zeros matrix ("training R^2 1.0000") that every other
/// method refuses; a long table holding only the flips (value 1) is such a matrix.</summary>
public class LogisticConstantMatrixTests
{
    [Theory]
    [InlineData("logistic", 1f)]
    [InlineData("logistic", 0f)]
    [InlineData("logistic-additive", 1f)]
    [InlineData("logistic-additive", 0f)]
    public void AConstantBinaryMatrix_IsRefusedAsByEveryOtherMethod(string method, float value)
    {
        var values = Enumerable.Repeat(value, 6 * 20).ToArray();
        values[7] = float.NaN;
        var matrix = ForgettingMatrix.Wrap(values, 6, 20);
        var refused = Assert.Throws<ArgumentException>(() => ModelCatalog.CreateFitter(method).Fit(matrix));
        var additive = Assert.Throws<ArgumentException>(() => ModelCatalog.CreateFitter("additive").Fit(matrix));
        Assert.Equal(additive.Message, refused.Message);
        Assert.Contains($"Every observed cell of the 6 x 20 matrix is {value}: a constant matrix", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABinaryMatrixWithBothValues_IsStillFitted()
    {
        var values = Enumerable.Repeat(0f, 6 * 20).ToArray();
        values[3] = 1;
        Assert.NotNull(ModelCatalog.CreateFitter("logistic").Fit(ForgettingMatrix.Wrap(values, 6, 20)));
    }
}

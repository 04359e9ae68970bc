using System.Reflection;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Core.Tests;

/// <summary>Reflection meta-tests that keep the public design honest (NodaTime's idea).</summary>
public class DesignTests
{
    private static readonly Type[] s_publicTypes = typeof(ForgettingMatrix).Assembly.GetExportedTypes();

    [Fact]
    public void EveryPublicClass_IsSealedStaticOrAbstract()
    {
        var offenders = s_publicTypes.Where(t => t.IsClass && !t.IsSealed && !t.IsAbstract).Select(t => t.FullName).ToArray();
        Assert.Empty(offenders);
    }

    [Fact]
    public void EveryOptionsType_IsASealedRecord()
    {
        var options = s_publicTypes.Where(t => t.Name.EndsWith("Options", StringComparison.Ordinal) && !t.IsAbstract).ToArray();
        Assert.NotEmpty(options);
        foreach (var t in options)
        {
            Assert.True(t.IsSealed, $"{t.Name} is not sealed");
            Assert.NotNull(t.GetMethod("<Clone>$"));
        }
    }

    [Fact]
    public void EveryFitter_ValidatesItsOptions()
    {
        var fitters = s_publicTypes.Where(t => typeof(IForgettingFitter).IsAssignableFrom(t) && t.IsClass).ToArray();
        Assert.Equal(11, fitters.Length);
        foreach (var fitter in fitters)
        {
            var ctor = fitter.GetConstructors().Single();
            var optionsType = ctor.GetParameters().Single().ParameterType;
            var invalid = Activator.CreateInstance(optionsType)!;
            optionsType.GetProperty(nameof(FitOptions.MaxThreads))!.SetValue(invalid, 0);
            var e = Assert.Throws<TargetInvocationException>(() => ctor.Invoke([invalid]));
            Assert.IsType<ArgumentOutOfRangeException>(e.InnerException);
            Assert.NotNull(ctor.Invoke([null]));
        }
    }

    [Fact]
    public void OptionValidation_NamesTheSettingAndItsRange()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LowRankFitter(new LowRankOptions { Rank = 0 }));
        Assert.Equal("Rank", e.ParamName);
        Assert.Contains("1..1024", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LowRankFitter(new LowRankOptions { Lambda = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KnnFitter(new KnnOptions { Neighbors = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogisticFitter(new LogisticOptions { Tolerance = 0 }));
    }
}

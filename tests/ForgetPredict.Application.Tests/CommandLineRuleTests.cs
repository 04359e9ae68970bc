using ForgetPredict.Core;
using ForgetPredict.Core.Models;

namespace ForgetPredict.Application.Tests;

/// <summary>The rules every front end applies alike: which failure is a setting's, the least value of each setting, a shape's words.</summary>
public class CommandLineRuleTests
{
    // The command line had exited 1 for 'fit --rank 0' and 2 for 'evaluate --known -1': one rule decides now.
    [Fact]
    public void IsInvalidSetting_TellsARefusedSettingFromBadData()
    {
        Assert.True(Failures.IsInvalidSetting(new OptionException(OptionMessage.Of($"{new OptionReference(ModelOptionNames.Rank)} must be between 1 and 1024 (got 0)."))));
        Assert.True(Failures.IsInvalidSetting(new ArgumentOutOfRangeException("Rank", 0, "Rank must be in 1..1024.")));
        Assert.True(Failures.IsInvalidSetting(new UnknownNameException("prior", "ridgee", "Unknown prior 'ridgee'.")));
        var refused = Assert.ThrowsAny<ArgumentException>(() => ModelCatalog.CreateFitter("mf", new ModelSettings { Rank = 0 }));
        Assert.True(Failures.IsInvalidSetting(refused));
        var lambda = Assert.ThrowsAny<ArgumentException>(() => ModelCatalog.CreateFitter("mf", new ModelSettings { Lambda = -1 }));
        Assert.True(Failures.IsInvalidSetting(lambda));

        // What is wrong with the matrix itself is data, whatever exception type says it.
        Assert.False(Failures.IsInvalidSetting(new ArgumentOutOfRangeException("matrix", "The matrix has no tasks.")));
        Assert.False(Failures.IsInvalidSetting(new ArgumentException("The matrix is constant.", "matrix")));
        Assert.False(Failures.IsInvalidSetting(new Data.ForgettingDataException("z.npy", "is not an .npy file.")));
        Assert.False(Failures.IsInvalidSetting(new InvalidOperationException("other")));
    }

    // An overlarge --rank had been said to take "a whole number from -2,147,483,648": only replay's options knew their least value.
    [Fact]
    public void OptionRanges_SayEachSettingsLeastValue_FromTheLibrarysOwnBounds()
    {
        Assert.Equal($"a whole number from {ModelCatalog.LeastRank} to {ModelCatalog.MaxRank:N0}", OptionRanges.WholeNumber(ModelOptionNames.Rank));
        Assert.Equal("a whole number from 1 to 1,024", OptionRanges.WholeNumber(ModelOptionNames.Rank));
        Assert.Equal("a whole number from 0 to 2,147,483,647", OptionRanges.WholeNumber(ModelOptionNames.Known));
        Assert.Equal("a whole number from 1 to 2,147,483,647", OptionRanges.WholeNumber(DesignOptionNames.Count));
        Assert.Equal("a whole number from -2,147,483,648 to 2,147,483,647", OptionRanges.WholeNumber(ModelOptionNames.Seed));
        Assert.Equal("a whole number from 0 to 100,000", OptionRanges.WholeNumber(0, 100_000));

        // The least value said is the one the validation refuses below.
        Assert.ThrowsAny<ArgumentException>(() => ModelCatalog.CreateFitter("mf", new ModelSettings { Rank = ModelCatalog.LeastRank - 1 }));
        ModelCatalog.CreateFitter("mf", new ModelSettings { Rank = ModelCatalog.LeastRank });
        Assert.ThrowsAny<ArgumentException>(() => ModelCatalog.CreateFitter("mf", new ModelSettings { Rank = ModelCatalog.MaxRank + 1 }));
        ModelCatalog.CreateFitter("mf", new ModelSettings { Rank = ModelCatalog.MaxRank });
        Assert.ThrowsAny<ArgumentException>(() => ModelCatalog.CreateFitter("auto", new ModelSettings { Known = ModelCatalog.LeastKnown - 1 }));
        ModelCatalog.CreateFitter("auto", new ModelSettings { Known = ModelCatalog.LeastKnown });
    }

    // analyze wrote "47 tasks x 2,400 examples" by hand while fit and convert wrote "47 tasks x 2400 examples" through Echo.Shape.
    [Fact]
    public void Shape_HasThousandsSeparators_AndSingulars()
    {
        Assert.Equal("47 tasks x 2,400 examples", Echo.Shape(47, 2400));
        Assert.Equal("1 task x 1 example", Echo.Shape(1, 1));
        Assert.Equal("1,200 tasks x 141,816 examples", Echo.Shape(1200, 141_816));
    }
}

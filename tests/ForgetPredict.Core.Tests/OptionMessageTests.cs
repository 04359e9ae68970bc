namespace ForgetPredict.Core.Tests;

public sealed class OptionMessageTests
{
    [Fact]
    public void Then_JoinsTwoMessages_EachNamingItsOwnOptions_AndKeepsLiteralBraces()
    {
        var first = OptionMessage.Of($"{new OptionReference("A.Family")} 'x' has no task.").Then(OptionMessage.Plain("{in braces}"));
        var second = OptionMessage.Of($"{new OptionReference("A.Tasks")} matched 3 of 4; see {new OptionReference("A.Columns")}.");

        var joined = first.Then(second);

        Assert.Equal(["A.Family", "A.Tasks", "A.Columns"], joined.Options.Select(o => o.Name));
        Assert.Equal("--family 'x' has no task. {in braces} --tasks matched 3 of 4; see --columns.", joined.Format(o => "--" + o.Name[2..].ToLowerInvariant()));
        Assert.Equal("A.Family 'x' has no task. {in braces}", first.ToString());
    }
}

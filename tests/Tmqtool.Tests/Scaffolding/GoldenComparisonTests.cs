using Tmqtool.Tests.Support;

namespace Tmqtool.Tests.Scaffolding;

public sealed class GoldenComparisonTests
{
    [Fact]
    public void FirstDifference_ChangedLine_NamesTheLineAndBothTexts()
    {
        var difference = Golden.FirstDifference("a\nb\nc\n", "a\nB\nc\n");

        Assert.Equal("2: expected\n    b\n  but was\n    B", difference);
    }

    [Fact]
    public void FirstDifference_ShorterOutput_SaysEndOfFile() =>
        Assert.Contains("but was\n    <end of file>", Golden.FirstDifference("a\nb", "a"), StringComparison.Ordinal);

    [Fact]
    public void FirstDifference_Equal_IsNull() => Assert.Null(Golden.FirstDifference("a\n", "a\n"));
}

using System.Text.RegularExpressions;
using Tmqtool.Tests.Support;
using Tmqtool.Validation;

namespace Tmqtool.Tests.Validation;

public sealed class ValidationTests
{
    [Theory]
    [InlineData("shop.orders.consumer", "Shop.Orders.Consumer")]
    [InlineData("shop.orders_v2.consumer", "Shop.OrdersV2.Consumer")]
    [InlineData("a.b", "A.B")]
    [InlineData("shop.orders__x_.c", "Shop.OrdersX.C")]
    public void ToProjectName_Psm_IsPascalCase(string psm, string expected) => Assert.Equal(expected, Psm.ToProjectName(psm));

    [Theory]
    [InlineData("a.b")]
    [InlineData("shop.orders.consumer")]
    [InlineData("s1.o_2.c3.d4")]
    public void Psm_Valid_IsAccepted(string psm) => Assert.Equal(psm, Psm.Validate(psm));

    [Fact]
    public void Psm_AtTheLengthLimit_IsAcceptedAndOneMoreIsNot()
    {
        var psm = "a." + new string('b', Psm.MaxLength - 2);
        Assert.Equal(psm, Psm.Validate(psm));
        Assert.Throws<InputException>(() => Psm.Validate(psm + "b"));
    }

    [Theory]
    [InlineData("orders")]
    [InlineData("orders#ephemeral")]
    [InlineData("a.b-c_d")]
    public void NsqTopic_Valid_IsAccepted(string topic) => Assert.Equal(topic, NsqNames.ValidateTopic(topic));

    [Fact]
    public void NsqTopic_EphemeralAtTheLimit_IsAccepted()
    {
        var topic = new string('t', NsqNames.MaxLength - NsqNames.EphemeralSuffix.Length) + NsqNames.EphemeralSuffix;
        Assert.Equal(topic, NsqNames.ValidateTopic(topic));
    }

    [Fact]
    public void KafkaTopic_AtTheLimit_IsAccepted() =>
        Assert.Equal(new string('t', KafkaNames.MaxTopicLength), KafkaNames.ValidateTopic(new string('t', KafkaNames.MaxTopicLength)));

    [Theory]
    [InlineData("Shop.Orders.Consumer")]
    [InlineData("A")]
    [InlineData("Shop.Class")]
    [InlineData("Shop.orders_v2")]
    public void ProjectName_Valid_IsAccepted(string name) => Assert.Equal(name, ProjectName.Validate(name));

    [Theory]
    [InlineData("shop.task.worker", "Task")]
    [InlineData("shop.assert.worker", "Assert")]
    [InlineData("host.orders", "Host")]
    public void ProjectName_FromPsmWithASegmentTheGeneratedCodeNames_IsRefused(string psm, string segment)
    {
        var error = Assert.Throws<InputException>(() => ProjectName.Validate(Psm.ToProjectName(psm), derivedFrom: psm));
        Assert.Contains($"'{segment}' would hide", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A project-name segment equal to a simple name that the generated C# looks up breaks the build
    /// (inside namespace Shop.Task.Worker, Task is the namespace Shop.Task). Every such name in the
    /// golden files must be reserved, so that a template change that names a new type is caught here.
    /// </summary>
    [Fact]
    public void ProjectName_Reserved_CoversEverySimpleNameInTheGeneratedCode()
    {
        // Names that are found before any namespace: members of the generated classes.
        string[] classMembers = ["Timeout"];
        var files = Directory.GetFiles(RepositoryPaths.Golden, "*.cs.golden", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var projectSegments = Path.GetFileName(Path.GetDirectoryName(file)!).Split('.');
            foreach (var name in SimpleNames(File.ReadAllText(file)))
            {
                if (!ProjectName.Reserved.Contains(name) && !projectSegments.Contains(name) && !classMembers.Contains(name))
                {
                    missing.Add(name);
                }
            }
        }

        Assert.Empty(missing);
    }

    /// <summary>
    /// Capitalised identifiers that C# resolves by simple-name lookup: not after a '.', not a named
    /// argument, initialiser or declaration (Name = ..., Name => ...), not a method call by name
    /// (except after new or '['), outside comments and string literals (but inside interpolation holes).
    /// </summary>
    private static IEnumerable<string> SimpleNames(string code)
    {
        code = Regex.Replace(code, "\"\"\"[\\s\\S]*?\"\"\"", "\"\"");

        // A string literal goes; an interpolated one leaves the code in its holes (up to a format or alignment).
        code = Regex.Replace(code, "\\$?\"(?:[^\"\\\\\\n]|\\\\.)*\"", literal => literal.Value.StartsWith('$')
            ? " " + string.Join(" ", Regex.Matches(literal.Value, @"(?<!\{)\{([^{}:,]*)").Select(hole => hole.Groups[1].Value)) + " "
            : "\"\"");
        code = Regex.Replace(code, "//.*", string.Empty);
        foreach (Match match in Regex.Matches(code, @"(?<![\w.])[A-Z]\w*"))
        {
            var after = code.AsSpan(match.Index + match.Length);
            var trimmed = after.TrimStart();
            if (trimmed.StartsWith("=") && !trimmed.StartsWith("=="))
            {
                continue;
            }

            var before = code[..match.Index].TrimEnd();
            if (trimmed.StartsWith("(") && !before.EndsWith("new", StringComparison.Ordinal) && !before.EndsWith('['))
            {
                continue;
            }

            yield return match.Value;
        }
    }

    [Theory]
    [InlineData("shop\u200B.orders", "U+200B")]
    [InlineData("\u0455hop.orders", "U+0455")]
    public void Display_InvisibleAndLookAlikeCharacters_AreNamed(string value, string expected) =>
        Assert.Contains(expected, Display.FirstNonAscii(value), StringComparison.Ordinal);

    [Fact]
    public void Display_LongValue_IsShortened()
    {
        var shown = Display.Quote(new string('x', 500));
        Assert.Contains("(500 characters)", shown, StringComparison.Ordinal);
        Assert.True(shown.Length < 120);
    }
}

using System.Text.Json;
using System.Xml.Linq;
using Tmqtool.Templates;

namespace Tmqtool.Tests.Templates;

/// <summary>Each escaper on its own, with values validation would never let through.</summary>
public sealed class EscapeTests
{
    public static TheoryData<string> Hostile => new()
    {
        "plain",
        "quote \" and ' and \\ backslash",
        "line\nbreak\r\nand\ttab",
        "</Project><Target Name=\"x\">",
        "{{ name }} {% if x %}",
        "\"},{\"evil\":1,",
        "../../etc/passwd",
        "Cyrillic \u0430 and emoji \U0001F600",
        "esc \u001B[31m bell \u0007",
        "$(rm -rf /) `id` ${HOME}",
        "",
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Json_AnyValue_RoundTrips(string value)
    {
        var json = Escape.Json(value);

        Assert.Equal(value, JsonSerializer.Deserialize<string>(json));
        Assert.DoesNotContain('\n', json);
        Assert.DoesNotContain('<', json);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Xml_ValueWithoutControlCharacters_RoundTripsInAnAttribute(string value)
    {
        if (value.Any(c => c < ' ' && c is not ('\n' or '\r' or '\t')))
        {
            Assert.Throws<TemplateValueException>(() => Escape.Xml(value));
            return;
        }

        var element = XElement.Parse($"<a v=\"{Escape.Xml(value)}\">{Escape.Xml(value)}</a>");

        Assert.Equal(value, element.Attribute("v")!.Value);
        Assert.Equal(value, element.Value);
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void CSharpString_AnyValue_IsOneLineLiteralWithoutRawQuotes(string value)
    {
        var literal = Escape.CSharpString(value);

        Assert.StartsWith("\"", literal, StringComparison.Ordinal);
        Assert.EndsWith("\"", literal, StringComparison.Ordinal);
        var inner = literal[1..^1];
        Assert.DoesNotContain('\n', inner);
        Assert.True(inner.All(c => c is >= ' ' and <= '~'));
        Assert.Equal(value, Unescape(inner));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Yaml_AnyValue_IsOneDoubleQuotedLine(string value)
    {
        var yaml = Escape.Yaml(value);

        Assert.StartsWith("\"", yaml, StringComparison.Ordinal);
        Assert.EndsWith("\"", yaml, StringComparison.Ordinal);
        Assert.True(yaml.All(c => c is >= ' ' and <= '~'));
        Assert.Equal(value, Unescape(yaml[1..^1]));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void PromQl_AnyValue_IsOneQuotedString(string value)
    {
        var promql = Escape.PromQl(value);

        Assert.Equal(value, Unescape(promql[1..^1]));
        Assert.DoesNotContain('\n', promql);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("two words", "'two words'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("$(id)", "'$(id)'")]
    [InlineData("", "''")]
    [InlineData("src/Shop.Orders/", "src/Shop.Orders/")]
    public void Shell_Value_IsOneWord(string value, string expected) => Assert.Equal(expected, Escape.Shell(value));

    [Theory]
    [InlineData("Shop_Orders", "Shop\\_Orders")]
    [InlineData("a *b* [c](d) <e> #f", "a \\*b\\* \\[c\\]\\(d\\) \\<e\\> \\#f")]
    [InlineData("line\nbreak", "line break")]
    public void Markdown_Value_HasNoMarkup(string value, string expected) => Assert.Equal(expected, Escape.Markdown(value));

    [Theory]
    [InlineData("orders", "`orders`")]
    [InlineData("a`b", "``a`b``")]
    [InlineData("`x", "`` `x ``")]
    [InlineData("a|b", "`a\\|b`")]
    [InlineData("a\nb", "`a b`")]
    public void MarkdownCode_Value_IsOneCodeSpan(string value, string expected) => Assert.Equal(expected, Escape.MarkdownCode(value));

    [Theory]
    [InlineData("Shop.Orders")]
    [InlineData("A_b.C1")]
    public void CSharpNamespace_Valid_IsUnchanged(string value) => Assert.Equal(value, Escape.CSharpNamespace(value));

    [Theory]
    [InlineData("Shop.class")]
    [InlineData("Shop;System.Evil")]
    [InlineData("Shop\n.Orders")]
    [InlineData("")]
    public void CSharpNamespace_Invalid_Throws(string value) => Assert.Throws<TemplateValueException>(() => Escape.CSharpNamespace(value));

    /// <summary>Undoes the backslash escapes the C#, YAML and PromQL escapers use.</summary>
    private static string Unescape(string escaped)
    {
        var result = new System.Text.StringBuilder();
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != '\\')
            {
                result.Append(escaped[i]);
                continue;
            }

            var next = escaped[++i];
            switch (next)
            {
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 't': result.Append('\t'); break;
                case 'u':
                    result.Append((char)Convert.ToInt32(escaped.Substring(i + 1, 4), 16));
                    i += 4;
                    break;
                default: result.Append(next); break;
            }
        }

        return result.ToString();
    }
}

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

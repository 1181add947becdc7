namespace Tmq.Kafka.Tests.Producer;

public sealed class KafkaConfigRedactionTests
{
    [Theory]
    [InlineData("sasl.password", true)]
    [InlineData("ssl.key.password", true)]
    [InlineData("ssl.keystore.password", true)]
    [InlineData("ssl.key.pem", true)]
    [InlineData("sasl.oauthbearer.client.secret", true)]
    [InlineData("sasl.oauthbearer.config", true)]
    [InlineData("bootstrap.servers", false)]
    [InlineData("sasl.username", false)]
    [InlineData("ssl.certificate.location", false)]
    public void IsSecret_KnownKeys_Classified(string key, bool secret) =>
        Assert.Equal(secret, KafkaConfigRedaction.IsSecret(key));

    [Fact]
    public void Scrub_MessageQuotingASecret_MasksIt()
    {
        var settings = new Dictionary<string, string> { ["sasl.password"] = "s3cr3t", ["sasl.username"] = "bob" };

        var scrubbed = KafkaConfigRedaction.Scrub("Invalid value \"s3cr3t\" for user bob", settings);

        Assert.Equal("Invalid value \"***\" for user bob", scrubbed);
    }
}

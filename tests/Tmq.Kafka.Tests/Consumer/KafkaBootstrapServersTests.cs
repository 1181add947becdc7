namespace Tmq.Kafka.Tests.Consumer;

public sealed class KafkaBootstrapServersTests
{
    [Theory]
    [InlineData("localhost:9092")]
    [InlineData("kafka-1:9092, kafka-2:9093")]
    [InlineData("kafka-1")]
    [InlineData("SASL_SSL://kafka-1.example.com:9094")]
    [InlineData("[::1]:9092")]
    [InlineData("::1")]
    [InlineData("127.0.0.1:19092")]
    public void Problem_BrokerList_IsNone(string servers) => Assert.Null(KafkaBootstrapServers.Problem(servers));

    [Theory]
    [InlineData("broker:xx")]
    [InlineData("broker:0")]
    [InlineData("broker:-1")]
    [InlineData("[::1]:port")]
    [InlineData("a:1,")]
    [InlineData("my broker:9092")]
    public void Problem_NotABrokerList_IsNamed(string servers) => Assert.NotNull(KafkaBootstrapServers.Problem(servers));
}

using System.Text;
using System.Text.Json;

namespace Tmq.Tests.Messages;

public sealed class JsonPayloadTests
{
    public sealed record Payment(string Id, decimal Amount, string? Note = null, int Retries = 0);

    [Fact]
    public void ValueAsJson_CompletePayload_Deserializes()
    {
        var payment = Message("{\"id\":\"p-1\",\"amount\":12.5}").ValueAsJson<Payment>();

        Assert.Equal(new Payment("p-1", 12.5m), payment);
    }

    [Theory]
    [InlineData("{}", "'id'")]
    [InlineData("{\"id\":\"p-1\"}", "'amount'")]
    [InlineData("{\"id\":null,\"amount\":1}", "id")]
    public void ValueAsJson_PayloadMissingWhatTheContractRequires_IsAPermanentFailure(string json, string named)
    {
        var failure = Assert.Throws<PermanentFailureException>(() => Message(json).ValueAsJson<Payment>());

        Assert.Contains("is not valid JSON for Payment", failure.Message, StringComparison.Ordinal);
        Assert.Contains(named, failure.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ValueAsJson_OptionalMembersLeftOut_TakeTheirDefaults()
    {
        var payment = Message("{\"id\":\"p-1\",\"amount\":1,\"note\":null}").ValueAsJson<Payment>();

        Assert.Null(payment.Note);
        Assert.Equal(0, payment.Retries);
    }

    [Fact]
    public void ValueAsJson_CallersOptions_ReplaceTheStrictDefaults()
    {
        var lenient = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        var payment = Message("{}").ValueAsJson<Payment>(lenient);

        Assert.Null(payment.Id);
    }

    [Fact]
    public async Task JsonMessageHandler_IncompletePayload_NeverReachesTheHandler()
    {
        var calls = 0;
        var handler = new JsonMessageHandler<Payment>(new Typed(() => calls++));

        await Assert.ThrowsAsync<PermanentFailureException>(() => handler.HandleAsync(Message("{\"amount\":3}"), CancellationToken.None));
        await handler.HandleAsync(Message("{\"id\":\"p-2\",\"amount\":3}"), CancellationToken.None);

        Assert.Equal(1, calls);
    }

    private static TmqMessage Message(string json) => new("payments", ReadOnlyMemory<byte>.Empty, Encoding.UTF8.GetBytes(json)) { Partition = 0, Offset = 7 };

    private sealed class Typed(Action called) : IMessageHandler<Payment>
    {
        public Task HandleAsync(Payment payload, TmqMessage message, CancellationToken cancellationToken)
        {
            called();
            return Task.CompletedTask;
        }
    }
}

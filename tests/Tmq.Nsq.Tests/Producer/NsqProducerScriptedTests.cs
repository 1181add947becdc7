using System.Diagnostics;
using System.Text;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Producer;

/// <summary>The producer against scripted nsqd: a send succeeds only on OK, and fails over without losing anything silently.</summary>
public sealed class NsqProducerScriptedTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SendAsync_CompletesOnlyOnNsqdsOk()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        nsqd.Script = async (_, command) =>
        {
            if (command.Name == "PUB")
            {
                await answer.Task;
            }

            return false;
        };
        await using var producer = Producer(nsqd);

        var send = producer.SendAsync("orders", "k", "v");
        await nsqd.WaitUntilAsync(() => nsqd.ConnectionsAccepted == 1, Wait, "the producer connected");
        Assert.False(send.IsCompleted);
        answer.SetResult();

        var result = await send.Within(Wait);
        Assert.Equal("orders", result.Topic);
        Assert.Equal("PUB orders", (await nsqd.WaitForCommandAsync("PUB", Wait)).Line);
    }

    [Fact]
    public async Task SendAsync_FirstNsqdUnreachable_FailsOverAndStaysWithTheNext()
    {
        await using var down = ScriptedNsqd.Start();
        await using var up = ScriptedNsqd.Start();
        await down.StopListeningAsync();
        await using var producer = Producer(down, up);

        await producer.SendAsync("orders", null, "one").Within(Wait);
        await producer.SendAsync("orders", null, "two").Within(Wait);

        await up.WaitUntilAsync(() => up.Commands.Count(c => c.Name == "PUB") == 2, Wait, "both recorded");
        Assert.Equal(["one", "two"], up.Commands.Where(c => c.Name == "PUB").Select(c => c.BodyText));
    }

    [Fact]
    public async Task SendAsync_NsqdAnswersPubFailed_TriesTheNext()
    {
        await using var failing = ScriptedNsqd.Start();
        failing.Script = async (connection, command) =>
        {
            if (command.Name != "PUB")
            {
                return false;
            }

            await connection.SendErrorAsync("E_PUB_FAILED PUB failed exiting");
            return true;
        };
        await using var up = ScriptedNsqd.Start();
        await using var producer = Producer(failing, up);

        await producer.SendAsync("orders", null, "m").Within(Wait);

        await up.WaitForCommandAsync("PUB", Wait);
    }

    [Fact]
    public async Task SendAsync_NoNsqdAccepts_ThrowsTransientNamingEachFailure()
    {
        await using var a = ScriptedNsqd.Start();
        await using var b = ScriptedNsqd.Start();
        await a.StopListeningAsync();
        await b.StopListeningAsync();
        await using var producer = Producer(a, b);

        var error = await Assert.ThrowsAsync<TmqProduceException>(() => producer.SendAsync("orders", null, "m"));

        Assert.True(error.IsTransient);
        Assert.Contains($"127.0.0.1:{a.EndPoint.Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{b.EndPoint.Port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_NoAnswerInTime_ClosesThatConnectionFailsOverAndSaysItMayHaveBeenWritten()
    {
        await using var silent = ScriptedNsqd.Start();
        var never = new TaskCompletionSource();
        silent.Script = async (_, command) =>
        {
            if (command.Name == "PUB")
            {
                await never.Task;
            }

            return false;
        };
        await using var producer = Producer(silent, publishTimeout: TimeSpan.FromMilliseconds(500));

        var error = await Assert.ThrowsAsync<TmqProduceException>(() => producer.SendAsync("orders", null, "m"));

        Assert.True(error.MayHaveBeenWritten);

        // The fake's read loop waits in the script; once let go it reads the end of the stream the producer closed.
        never.SetResult();
        await silent.Connections[0].Closed.Within(Wait);
    }

    [Fact]
    public async Task SendAsync_ConnectionDropsBeforeTheAnswer_SaysItMayHaveBeenWrittenAndTheNextSendUsesAFreshConnection()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var first = true;
        nsqd.Script = (connection, command) =>
        {
            if (command.Name == "PUB" && first)
            {
                first = false;
                connection.Abort();
                return Task.FromResult(true);
            }

            return Task.FromResult(false);
        };
        await using var producer = Producer(nsqd);

        var error = await Assert.ThrowsAsync<TmqProduceException>(() => producer.SendAsync("orders", null, "lost?"));
        await producer.SendAsync("orders", null, "second").Within(Wait);

        Assert.True(error.MayHaveBeenWritten);
        Assert.Equal(2, nsqd.ConnectionsAccepted);
        await nsqd.WaitForCommandAsync("PUB", Wait, c => c.BodyText == "second");
    }

    [Theory]
    [InlineData("bad topic!", "m", "E_BAD_TOPIC")]
    [InlineData("orders", "", "E_BAD_MESSAGE")]
    public async Task SendAsync_InvalidTopicOrEmptyBody_ThrowsWithoutSending(string topic, string body, string code)
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var producer = Producer(nsqd);

        var error = await Assert.ThrowsAsync<TmqProduceException>(() => producer.SendAsync(topic, null, body));

        Assert.Equal(code, error.Code);
        Assert.False(error.IsTransient);
        Assert.Equal(0, nsqd.ConnectionsAccepted);
    }

    [Fact]
    public async Task SendAsync_EnvelopeOn_CarriesKeyHeadersAndTraceContext()
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var producer = Producer(nsqd, envelope: true);
        using var activity = new Activity("handler").SetIdFormat(ActivityIdFormat.W3C).Start();

        await producer.SendAsync("orders", "order-7", "{}", new TmqHeaders().Add("h", "1")).Within(Wait);

        var pub = await nsqd.WaitForCommandAsync("PUB", Wait);
        Assert.True(TmqEnvelope.TryUnwrap(pub.Body, out var key, out var headers, out var body));
        Assert.Equal("order-7", Encoding.UTF8.GetString(key.Span));
        Assert.Equal("{}", Encoding.UTF8.GetString(body.Span));
        Assert.Equal("1", headers.GetString("h"));
        Assert.Contains(activity.TraceId.ToString(), headers.GetString("traceparent"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_EnvelopeOff_SendsTheBodyAlone()
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var producer = Producer(nsqd);

        await producer.SendAsync("orders", "order-7", "{}", new TmqHeaders().Add("h", "1")).Within(Wait);

        Assert.Equal("{}", (await nsqd.WaitForCommandAsync("PUB", Wait)).BodyText);
    }

    [Fact]
    public async Task PublishAsync_DeferAndBatch_SendDpubAndMpub()
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var producer = Producer(nsqd);

        await producer.PublishAsync("orders", "later"u8.ToArray(), TimeSpan.FromSeconds(2)).Within(Wait);
        await producer.PublishAsync("orders", ["a"u8.ToArray(), "bc"u8.ToArray()]).Within(Wait);

        // The fake records a command once it has answered it, which may be just after the client saw the answer.
        Assert.Equal("DPUB orders 2000", (await nsqd.WaitForCommandAsync("DPUB", Wait)).Line);
        var mpub = await nsqd.WaitForCommandAsync("MPUB", Wait);
        Assert.Equal(["a", "bc"], mpub.MpubBodies().Select(b => Encoding.UTF8.GetString(b)));
    }

    private static NsqProducer Producer(ScriptedNsqd first, ScriptedNsqd? second = null, bool envelope = false, TimeSpan? publishTimeout = null)
    {
        var options = new NsqProducerOptions { Envelope = envelope, PublishTimeout = publishTimeout ?? TimeSpan.FromSeconds(5), ConnectTimeout = TimeSpan.FromSeconds(5) };
        options.Nsqd.Add($"127.0.0.1:{first.EndPoint.Port}");
        if (second is not null)
        {
            options.Nsqd.Add($"127.0.0.1:{second.EndPoint.Port}");
        }

        return new NsqProducer(options, "test-producer", null, null);
    }
}

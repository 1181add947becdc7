using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Tmq.Nsq.Envelope;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Consumer;

/// <summary>The consumer against a scripted nsqd: what it sends, and when.</summary>
public sealed class NsqConsumerScriptedTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Start_Identify_SendsPsmAndFeatureNegotiationThenSubscribes()
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var host = await NsqTestHost.StartAsync(Settings(nsqd), static (_, _) => Task.CompletedTask);

        var identify = await nsqd.WaitForCommandAsync("IDENTIFY", Wait);
        using var json = JsonDocument.Parse(identify.Body);
        var root = json.RootElement;
        Assert.Equal("shop.orders.consumer", root.GetProperty("client_id").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("hostname").GetString()));
        Assert.StartsWith("tmq-nsq/", root.GetProperty("user_agent").GetString(), StringComparison.Ordinal);
        Assert.True(root.GetProperty("feature_negotiation").GetBoolean());
        Assert.Equal(30000, root.GetProperty("heartbeat_interval").GetInt32());
        var sub = await nsqd.WaitForCommandAsync("SUB", Wait);
        Assert.Equal("SUB orders shop.orders.consumer", sub.Line);
        var rdy = await nsqd.WaitForCommandAsync("RDY", Wait);
        Assert.Equal("RDY 200", rdy.Line);
        Assert.True(nsqd.Commands.ToList().FindIndex(c => c.Name == "SUB") < nsqd.Commands.ToList().FindIndex(c => c.Name == "RDY"), "RDY must follow SUB's OK");
    }

    [Fact]
    public async Task Ready_NsqdMaxRdyCountBelowMaxInFlight_IsCappedAtIt()
    {
        await using var nsqd = ScriptedNsqd.Start();
        nsqd.IdentifyResponse = ScriptedNsqd.DefaultIdentifyResponse.Replace("\"max_rdy_count\":2500", "\"max_rdy_count\":5", StringComparison.Ordinal);
        await using var host = await NsqTestHost.StartAsync(Settings(nsqd), static (_, _) => Task.CompletedTask);

        var rdy = await nsqd.WaitForCommandAsync("RDY", Wait);

        Assert.Equal("RDY 5", rdy.Line);
    }

    [Fact]
    public async Task Ready_ThreeNsqd_SplitMaxInFlightAndHandOutTheRemainder()
    {
        await using var a = ScriptedNsqd.Start();
        await using var b = ScriptedNsqd.Start();
        await using var c = ScriptedNsqd.Start();
        var settings = Settings(a, b, c);
        settings["Consumers:main:Nsq:MaxInFlight"] = "10";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask);

        ScriptedNsqd[] all = [a, b, c];
        await Eventually.TrueAsync(() => all.Sum(LastReady) == 10 && all.All(n => LastReady(n) > 0), "the three RDY add up to 10");

        Assert.Equal([3, 3, 4], all.Select(LastReady).Order());
    }

    [Fact]
    public async Task Ready_TwoConnectionsPerNsqd_SplitMaxInFlightOverBoth()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var settings = Settings(nsqd);
        settings["Consumers:main:Nsq:MaxInFlight"] = "10";
        settings["Consumers:main:Nsq:ConnectionsPerNsqd"] = "2";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask);

        await nsqd.WaitUntilAsync(() => nsqd.Commands.Count(c => c.Line == "RDY 5") == 2, Wait, "each of the two connections has RDY 5");

        Assert.Equal(2, nsqd.ConnectionsAccepted);
        Assert.Equal(2, nsqd.Commands.Count(c => c.Name == "SUB"));
    }

    [Fact]
    public async Task Ready_MaxInFlightBelowConnections_RotatesSoThatNoNsqdStarves()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));
        await using var a = ScriptedNsqd.Start();
        await using var b = ScriptedNsqd.Start();
        await using var c = ScriptedNsqd.Start();
        var settings = Settings(a, b, c);
        settings["Consumers:main:Nsq:MaxInFlight"] = "1";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => Task.CompletedTask, time);
        ScriptedNsqd[] all = [a, b, c];
        await Eventually.TrueAsync(() => all.All(n => n.Commands.Any(x => x.Name == "SUB")) && all.Sum(LastReady) == 1, "all three subscribed, one with RDY 1");

        var served = new HashSet<ScriptedNsqd>();
        for (var round = 0; round < 6 && served.Count < 3; round++)
        {
            Assert.Equal(1, all.Sum(LastReady));
            served.Add(all.Single(n => LastReady(n) == 1));
            var before = all.Sum(n => n.Commands.Count(x => x.Name == "RDY"));
            time.Advance(TimeSpan.FromSeconds(5));
            await Eventually.TrueAsync(() => all.Sum(n => n.Commands.Count(x => x.Name == "RDY")) >= before + 2, "RDY moved to another nsqd");
        }

        Assert.Equal(3, served.Count);
    }

    [Fact]
    public async Task Heartbeat_FromNsqd_IsAnsweredWithNop()
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var host = await NsqTestHost.StartAsync(Settings(nsqd), static (_, _) => Task.CompletedTask);
        await nsqd.WaitForCommandAsync("RDY", Wait);

        await nsqd.Connections[0].SendHeartbeatAsync();

        await nsqd.WaitForCommandAsync("NOP", Wait);
    }

    [Fact]
    public async Task Failure_MessageWithoutKey_IsRequeuedWithTheRetryDelay()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var settings = Settings(nsqd);
        settings["Consumers:main:Retry:InitialDelay"] = "00:00:00.250";
        settings["Consumers:main:Retry:Jitter"] = "0";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => throw new InvalidOperationException("down"));
        await nsqd.WaitForCommandAsync("RDY", Wait);

        await nsqd.Connections[0].SendMessageAsync("0000000000000001", "plain"u8.ToArray(), attempts: 1);

        var req = await nsqd.WaitForCommandAsync("REQ", Wait);
        Assert.Equal("REQ 0000000000000001 250", req.Line);
        Assert.DoesNotContain(nsqd.Commands, c => c.Name == "FIN");
    }

    [Fact]
    public async Task Failure_KeyedMessageUnderKeyOrdering_RetriesInPlaceWithoutRequeue()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var settings = Settings(nsqd);
        settings["Consumers:main:Retry:InitialDelay"] = "00:00:00.010";
        var attempts = new ConcurrentQueue<int>();
        await using var host = await NsqTestHost.StartAsync(settings, (message, _) =>
        {
            attempts.Enqueue(message.Attempt);
            return message.Attempt < 3 ? throw new InvalidOperationException("not yet") : Task.CompletedTask;
        });
        await nsqd.WaitForCommandAsync("RDY", Wait);

        await nsqd.Connections[0].SendMessageAsync("0000000000000001", TmqEnvelope.Wrap("order-1"u8, null, "v"u8), attempts: 1);

        var fin = await nsqd.WaitForCommandAsync("FIN", Wait);
        Assert.Equal("FIN 0000000000000001", fin.Line);
        Assert.Equal([1, 2, 3], attempts);
        Assert.DoesNotContain(nsqd.Commands, c => c.Name == "REQ");
    }

    [Fact]
    public async Task Envelope_KeyAndHeaders_AreUnwrappedForTheHandler()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var handled = new TaskCompletionSource<TmqMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await NsqTestHost.StartAsync(Settings(nsqd), (message, _) =>
        {
            handled.TrySetResult(message);
            return Task.CompletedTask;
        });
        await nsqd.WaitForCommandAsync("RDY", Wait);

        await nsqd.Connections[0].SendMessageAsync("00000000000000ab", TmqEnvelope.Wrap("k1"u8, new TmqHeaders().Add("h", "v"), """{"id":1}"""u8), attempts: 2);

        var message = await handled.Task.Within(Wait);
        Assert.Equal("k1", message.KeyAsString());
        Assert.Equal("v", message.Headers.GetString("h"));
        Assert.Equal("""{"id":1}""", message.ValueAsString());
        Assert.Equal("00000000000000ab", message.MessageId);
        Assert.Equal(2, message.Attempt);
    }

    [Fact]
    public async Task LongHandler_IsTouchedBeforeMsgTimeout_AndCancelledAtMaxMsgTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));
        await using var nsqd = ScriptedNsqd.Start();
        nsqd.IdentifyResponse = ScriptedNsqd.DefaultIdentifyResponse
            .Replace("\"msg_timeout\":60000", "\"msg_timeout\":3000", StringComparison.Ordinal)
            .Replace("\"max_msg_timeout\":900000", "\"max_msg_timeout\":9000", StringComparison.Ordinal);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Ends the handler if an assertion fails first: with a fake clock the shutdown's drain would wait for it forever.
        using var abandon = new CancellationTokenSource();
        var host = await NsqTestHost.StartAsync(Settings(nsqd), async (_, token) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token).WaitAsync(abandon.Token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                cancelled.TrySetResult();
                throw;
            }
        }, time);
        try
        {
            await nsqd.WaitForCommandAsync("RDY", Wait);
            await nsqd.Connections[0].SendMessageAsync("0000000000000001", "slow"u8.ToArray());
            await started.Task.Within(Wait);

            // nsqd would time the message out 3 s after delivery: it is TOUCHed every second.
            for (var second = 1; second <= 4; second++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await nsqd.WaitUntilAsync(() => nsqd.Commands.Count(c => c.Line == "TOUCH 0000000000000001") >= second, Wait, $"a TOUCH by second {second}");
            }

            Assert.False(cancelled.Task.IsCompleted, "the handler still runs within max_msg_timeout");
            time.Advance(TimeSpan.FromSeconds(5));
            await cancelled.Task.Within(Wait);
        }
        finally
        {
            await abandon.CancelAsync();
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Shutdown_BufferedMessagesRequeuedAtOnce_RunningOneFinishedThenClosed()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var settings = Settings(nsqd);
        settings["Consumers:main:Concurrency"] = "1";
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = await NsqTestHost.StartAsync(settings, async (message, _) =>
        {
            if (message.MessageId == "0000000000000001")
            {
                started.TrySetResult();
                await release.Task;
            }
        });
        await using (host)
        {
            await nsqd.WaitForCommandAsync("RDY", Wait);
            var connection = nsqd.Connections[0];
            await connection.SendMessageAsync("0000000000000001", "a"u8.ToArray());
            await started.Task.Within(Wait);
            await connection.SendMessageAsync("0000000000000002", "b"u8.ToArray());
            await connection.SendMessageAsync("0000000000000003", "c"u8.ToArray());

            var stopping = host.StopAsync();

            await nsqd.WaitForCommandAsync("CLS", Wait);
            await nsqd.WaitForCommandAsync("REQ", Wait, c => c.Line == "REQ 0000000000000002 0");
            await nsqd.WaitForCommandAsync("REQ", Wait, c => c.Line == "REQ 0000000000000003 0");
            Assert.Contains(nsqd.Commands, c => c.Line == "RDY 0");
            Assert.DoesNotContain(nsqd.Commands, c => c.Name == "FIN");
            release.TrySetResult();
            await nsqd.WaitForCommandAsync("FIN", Wait, c => c.Line == "FIN 0000000000000001");
            await stopping.Within(Wait);
            await connection.Closed.Within(Wait);
        }
    }

    [Fact]
    public async Task MaxAttempts_DeadLetterEnvelopePublished_ThenOriginalFinished()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var acknowledge = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        nsqd.Script = async (connection, command) =>
        {
            if (command.Name != "PUB")
            {
                return false;
            }

            await acknowledge.Task;
            return false;
        };
        var settings = Settings(nsqd);
        settings["Consumers:main:Retry:MaxAttempts"] = "3";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => throw new InvalidOperationException("poison"));
        await nsqd.WaitForCommandAsync("RDY", Wait);

        await nsqd.Connections[0].SendMessageAsync("0000000000000009", TmqEnvelope.Wrap("k"u8, new TmqHeaders().Add("h", "1"), "body"u8), attempts: 3);
        await Eventually.TrueAsync(() => host.Logs.Contains("dead-lettering to orders.dlq"), "the dead letter is being written");

        Assert.DoesNotContain(nsqd.Commands, c => c.Name == "FIN");
        acknowledge.TrySetResult();
        var fin = await nsqd.WaitForCommandAsync("FIN", Wait);
        Assert.Equal("FIN 0000000000000009", fin.Line);
        var pub = await nsqd.WaitForCommandAsync("PUB", Wait);
        Assert.Single(nsqd.Commands, c => c.Name == "PUB");
        Assert.Equal("PUB orders.dlq", pub.Line);
        Assert.True(TmqEnvelope.TryUnwrap(pub.Body, out var key, out var headers, out var body));
        Assert.Equal("k", Encoding.UTF8.GetString(key.Span));
        Assert.Equal("body", Encoding.UTF8.GetString(body.Span));
        Assert.Equal("1", headers.GetString("h"));
        Assert.Equal("orders", headers.GetString(DeadLetterHeaders.OriginalTopic));
        Assert.Equal("0000000000000009", headers.GetString(DeadLetterHeaders.OriginalOffset));
        Assert.Null(headers.GetString(DeadLetterHeaders.OriginalPartition));
        Assert.Equal("3", headers.GetString(DeadLetterHeaders.Attempts));
        Assert.Equal("shop.orders.consumer", headers.GetString(DeadLetterHeaders.Group));
        Assert.Equal(typeof(InvalidOperationException).FullName, headers.GetString(DeadLetterHeaders.ExceptionType));
        Assert.Equal("poison", headers.GetString(DeadLetterHeaders.ExceptionMessage));
    }

    [Fact]
    public async Task MaxAttempts_DeadLetterOverMaxMessageBytes_DropsTheStackAndMessageButKeepsWhereItCameFrom()
    {
        await using var nsqd = ScriptedNsqd.Start();
        var settings = Settings(nsqd);
        settings["Consumers:main:Retry:MaxAttempts"] = "1";
        settings["Consumers:main:Nsq:MaxMessageBytes"] = "1500";
        await using var host = await NsqTestHost.StartAsync(settings, static (_, _) => throw new InvalidOperationException(new string('x', 1000)));
        await nsqd.WaitForCommandAsync("RDY", Wait);

        await nsqd.Connections[0].SendMessageAsync("0000000000000009", new byte[1000]);

        var pub = await nsqd.WaitForCommandAsync("PUB", Wait);
        await nsqd.WaitForCommandAsync("FIN", Wait);
        Assert.True(pub.Body!.Length <= 1500);
        Assert.True(TmqEnvelope.TryUnwrap(pub.Body, out _, out var headers, out var body));
        Assert.Equal(1000, body.Length);
        Assert.Equal("0000000000000009", headers.GetString(DeadLetterHeaders.OriginalOffset));
        Assert.Null(headers.GetString(DeadLetterHeaders.Stack));
    }

    [Fact]
    public async Task Reconnect_NsqdGoneAndBack_SubscribesAgain()
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var host = await NsqTestHost.StartAsync(Settings(nsqd), static (_, _) => Task.CompletedTask);
        await nsqd.WaitForCommandAsync("RDY", Wait);

        await nsqd.StopListeningAsync();
        nsqd.AbortConnections();
        await Eventually.TrueAsync(() => host.Logs.Contains("connection to nsqd"), "the consumer noticed");
        nsqd.StartListening();

        await nsqd.WaitUntilAsync(() => nsqd.Commands.Count(c => c.Name == "SUB") == 2 && nsqd.Commands.Count(c => c.Name == "RDY") >= 2, Wait, "the consumer subscribed again");
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 8, 0, 0, 0, 9, 1, 2, 3, 4 }, "unknown type 9")]
    [InlineData(new byte[] { 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 2 }, "over the limit")]
    [InlineData(new byte[] { 0, 0, 0, 2, 0, 0, 0, 0 }, "is at least 4")]
    public async Task MalformedFrame_ClosesThatConnectionSaysWhatArrivedAndReconnects(byte[] bytes, string said)
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var host = await NsqTestHost.StartAsync(Settings(nsqd), static (_, _) => Task.CompletedTask);
        await nsqd.WaitForCommandAsync("RDY", Wait);

        await nsqd.Connections[0].SendAsync(bytes);

        await nsqd.Connections[0].Closed.Within(Wait);
        await Eventually.TrueAsync(() => host.Logs.Contains(said), $"the log says \"{said}\"\n{host.Logs}");
        await nsqd.WaitUntilAsync(() => nsqd.Commands.Count(c => c.Name == "SUB") == 2, Wait, "the consumer reconnected");
    }

    [Fact]
    public async Task FatalErrorFrame_ClosesTheConnection_NonFatalOneDoesNot()
    {
        await using var nsqd = ScriptedNsqd.Start();
        await using var host = await NsqTestHost.StartAsync(Settings(nsqd), static (_, _) => Task.CompletedTask);
        await nsqd.WaitForCommandAsync("RDY", Wait);
        var connection = nsqd.Connections[0];

        await connection.SendErrorAsync("E_FIN_FAILED FIN 0000000000000001 failed ID not in flight");
        await connection.SendHeartbeatAsync();
        await nsqd.WaitForCommandAsync("NOP", Wait);
        Assert.False(connection.IsClosed);

        await connection.SendErrorAsync("E_INVALID cannot do that");
        await connection.Closed.Within(Wait);
        await Eventually.TrueAsync(() => host.Logs.Contains("E_INVALID cannot do that"), "the fatal error is logged");
    }

    private static long LastReady(ScriptedNsqd nsqd) =>
        nsqd.Commands.LastOrDefault(c => c.Name == "RDY") is { } rdy ? long.Parse(rdy.Parameters[0], System.Globalization.CultureInfo.InvariantCulture) : 0;

    private static Dictionary<string, string?> Settings(params ScriptedNsqd[] nsqd)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < nsqd.Length; i++)
        {
            settings[$"Consumers:main:Nsq:Nsqd:{i}"] = $"127.0.0.1:{nsqd[i].EndPoint.Port}";
        }

        return settings;
    }
}

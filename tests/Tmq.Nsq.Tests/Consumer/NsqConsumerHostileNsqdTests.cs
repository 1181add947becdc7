using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Tmq.Nsq.Tests.Fakes;
using Xunit.Abstractions;

namespace Tmq.Nsq.Tests.Consumer;

/// <summary>
/// An nsqd (or something pretending to be one) that answers IDENTIFY with values no nsqd sends:
/// the consumer refuses that connection saying what arrived, keeps retrying without piling
/// anything up, and works once the answer is sane; the host still stops promptly. Random frames
/// after SUB end that connection at worst.
/// </summary>
public sealed class NsqConsumerHostileNsqdTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public static TheoryData<string, string> Answers => new()
    {
        { "negative msg_timeout", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"msg_timeout\":60000", "\"msg_timeout\":-5000", StringComparison.Ordinal) },
        { "zero msg_timeout", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"msg_timeout\":60000", "\"msg_timeout\":0", StringComparison.Ordinal) },
        { "negative max_msg_timeout", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"max_msg_timeout\":900000", "\"max_msg_timeout\":-1", StringComparison.Ordinal) },
        { "zero max_rdy_count", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"max_rdy_count\":2500", "\"max_rdy_count\":0", StringComparison.Ordinal) },
        { "negative max_rdy_count", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"max_rdy_count\":2500", "\"max_rdy_count\":-3", StringComparison.Ordinal) },
        { "version an unpaired surrogate", ScriptedNsqd.DefaultIdentifyResponse.Replace("\"version\":\"1.3.0\"", "\"version\":\"\\ud800\"", StringComparison.Ordinal) },
        { "JSON nested too deep", new string('[', 5000) },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Identify_AnswerNoNsqdSends_RefusedSayingSoThenWorksOnceSane(string scenario, string answer)
    {
        await using var nsqd = ScriptedNsqd.Start();
        nsqd.IdentifyResponse = answer;
        var handled = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?> { ["Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{nsqd.EndPoint.Port}" },
            (message, _) =>
            {
                handled.TrySetResult(message.ValueAsString());
                return Task.CompletedTask;
            });
        try
        {
            await nsqd.WaitUntilAsync(() => nsqd.ConnectionsAccepted >= 3, Wait, $"{scenario}: the consumer should keep retrying");
            Assert.DoesNotContain(nsqd.Commands, c => c.Name == "RDY" && c.Line != "RDY 0");
            Assert.True(host.Logs.Contains("nsqd answered IDENTIFY with"), host.Logs.ToString());

            nsqd.IdentifyResponse = ScriptedNsqd.DefaultIdentifyResponse;
            var rdy = await nsqd.WaitForCommandAsync("RDY", Wait, c => c.Line != "RDY 0");
            await nsqd.Connections[rdy.Connection].SendMessageAsync(NsqFrames.MessageId(1), Encoding.UTF8.GetBytes("after " + scenario));
            Assert.Equal("after " + scenario, await handled.Task.WaitAsync(Wait));
        }
        finally
        {
            await host.StopAsync().WaitAsync(Wait);
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task RandomFramesAfterSub_AtWorstEndThatConnection_ConsumerReconnectsAndWorks()
    {
        const int Rounds = 20;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TMQ_FUZZ_SEED"), out var chosen) ? chosen : 14_0006;
        output.WriteLine($"seed {seed} (set TMQ_FUZZ_SEED to repeat another run)");
        var random = new Random(seed);
        await using var nsqd = ScriptedNsqd.Start();
        var handled = new ConcurrentQueue<string>();
        var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?> { ["Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{nsqd.EndPoint.Port}" },
            (message, _) =>
            {
                handled.Enqueue(message.ValueAsString());
                return Task.CompletedTask;
            });
        try
        {
            var previous = -1;
            for (var round = 0; round < Rounds; round++)
            {
                var rdy = await nsqd.WaitForCommandAsync("RDY", Wait, c => c.Connection > previous);
                previous = rdy.Connection;
                var connection = nsqd.Connections[previous];
                var bytes = HostileFrames(random);
                output.WriteLine($"round {round}: {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 64)))}{(bytes.Length > 64 ? "..." : "")} ({bytes.Length} bytes)");
                await connection.SendAsync(bytes);

                // Whatever the client made of them (a protocol error, messages, a partial frame that
                // its heartbeat watch would end after two intervals), the connection ends here and
                // the next round starts on a new one.
                connection.Close();
                await connection.Closed.WaitAsync(Wait);
            }

            var last = await nsqd.WaitForCommandAsync("RDY", Wait, c => c.Connection > previous);
            await nsqd.Connections[last.Connection].SendMessageAsync(NsqFrames.MessageId(7), "sane"u8.ToArray());
            await nsqd.WaitUntilAsync(() => handled.Contains("sane"), Wait, $"the message after the hostile rounds is handled (seed {seed})");
        }
        finally
        {
            await host.StopAsync().WaitAsync(Wait);
            await host.DisposeAsync();
        }
    }

    /// <summary>Valid frames (messages, heartbeats, non-fatal errors) mixed with corrupted, truncated and oversized ones.</summary>
    private static byte[] HostileFrames(Random random)
    {
        var bytes = new List<byte>();
        for (var n = random.Next(1, 6); n > 0; n--)
        {
            var body = new byte[random.Next(0, 64)];
            random.NextBytes(body);
            bytes.AddRange(random.Next(7) switch
            {
                0 => NsqFrames.Heartbeat(),
                1 => NsqFrames.Message(NsqFrames.MessageId(random.Next(1000, 2000)), body, random.Next(1, 5)),
                2 => NsqFrames.Frame(NsqFrames.MessageType, body), // too short for a message, or an id of random bytes
                3 => NsqFrames.Error("E_FIN_FAILED " + Convert.ToHexString(body)),
                4 => NsqFrames.Frame(random.Next(3, int.MaxValue), body),
                5 => NsqFrames.Header(random.Next(2) == 0 ? int.MaxValue : random.Next(-100, 4), random.Next(0, 3)),
                _ => body,
            });
        }

        var stream = bytes.ToArray();
        if (stream.Length >= 4 && random.Next(3) == 0)
        {
            BinaryPrimitives.WriteInt32BigEndian(stream.AsSpan(random.Next(stream.Length - 3)), random.Next(int.MinValue, int.MaxValue));
        }

        return random.Next(4) == 0 ? stream[..random.Next(stream.Length + 1)] : stream;
    }
}

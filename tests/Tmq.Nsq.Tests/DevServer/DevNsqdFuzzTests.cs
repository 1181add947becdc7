using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;
using Xunit.Abstractions;

namespace Tmq.Nsq.Tests.DevServer;

/// <summary>
/// Random, truncated and oversized input to the development nsqd over real TCP. Each hostile
/// connection sends the magic (or a broken one), a fuzzed stream of commands, then enough
/// newlines to finish whatever the server was reading (any body within the limits, any line):
/// the server must answer each connection with a fatal error frame and close it on its own, keep
/// serving a healthy subscriber meanwhile, and allocate nothing near what the input claims.
/// </summary>
/// <remarks>
/// A connection that the server closes without an error frame is a failure: it means a command
/// threw something other than its protocol error (the connection loop swallows it) and the client
/// is left to guess. Upgrades (TLS, snappy, deflate) are off so that every byte is read as a
/// command; a corrupt compressed stream is not fuzzed here.
/// Reproduce a failure with <c>TMQ_FUZZ_SEED</c>; the seed is printed either way.
/// </remarks>
public sealed class DevNsqdFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 240;
    private const int Parallel = 4;
    private const int MaxMsgSize = 1024;
    private const int MaxBodySize = 4096;
    private const int LineLimit = 16 * 1024;

    /// <summary>Finishes any body (MPUB's or IDENTIFY's at most <see cref="MaxBodySize"/>) and ends with empty lines, which are fatal.</summary>
    private static readonly byte[] Padding = Enumerable.Repeat((byte)'\n', MaxBodySize + 64).ToArray();

    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);

    private static readonly string[] NonFatal = ["E_FIN_FAILED", "E_REQ_FAILED", "E_TOUCH_FAILED"];

    [Fact]
    public async Task HostileConnections_EachEndsWithAFatalErrorFrame_ServerKeepsServingWithinBoundedMemory()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TMQ_FUZZ_SEED"), out var chosen) ? chosen : 14_0006;
        output.WriteLine($"seed {seed} (set TMQ_FUZZ_SEED to repeat another run)");
        var random = new Random(seed);
        var cases = Enumerable.Range(0, Cases).Select(i => Hostile(random, i)).ToArray();

        await using var nsqd = await DevNsqd.StartAsync(new DevNsqdOptions { MaxMsgSize = MaxMsgSize, MaxBodySize = MaxBodySize, Snappy = false, Deflate = false });
        await using var healthy = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await healthy.SubscribeAsync("fuzz-check", "healthy", ready: 100);
        await using var publisher = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        foreach (var batch in cases.Chunk(Parallel))
        {
            await Task.WhenAll(batch.Select(c => RunAsync(nsqd.TcpEndPoint, c, seed)));
            if (batch[0].Index % 40 == 0)
            {
                await publisher.PublishAsync("fuzz-check", $"after case {batch[0].Index}");
                var message = await healthy.ReadMessageAsync();
                Assert.Equal($"after case {batch[0].Index}", Encoding.UTF8.GetString(message.Body.Span));
                var id = message.Id.ToArray();
                await healthy.SendAsync(w => Command.Fin(w, id));
            }
        }

        await publisher.PublishAsync("fuzz-check", "last");
        Assert.Equal("last", Encoding.UTF8.GetString((await healthy.ReadMessageAsync()).Body.Span));

        // The cases claim bodies and messages of up to 2 GiB, many times over: a server that
        // allocated what was claimed would pass this by gigabytes. Other tests allocate meanwhile.
        var claimed = cases.Sum(c => c.Claimed);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        output.WriteLine($"{Cases} connections; sizes claimed {claimed / (1 << 20):N0} MiB; allocated by the process meanwhile {allocated / (1 << 20):N0} MiB");
        Assert.True(claimed > 8L << 30, $"the cases should claim more than 8 GiB, claimed {claimed}");
        Assert.True(allocated < 1L << 30, $"{allocated} bytes allocated while the cases claimed {claimed} (seed {seed})");
    }

    private async Task RunAsync(IPEndPoint endPoint, HostileCase hostile, int seed)
    {
        var frames = new List<Frame>();
        var because = $"case {hostile.Index} ({hostile.Kind}, seed {seed}): sent {Printable(hostile.Bytes)}";
        await using (var client = await RawNsqClient.ConnectAsync(endPoint, sendMagic: false))
        {
            var sending = SendAsync(client, hostile);
            try
            {
                while (await client.ReadFrameAsync(CaseTimeout) is { } frame)
                {
                    if (!frame.IsHeartbeat)
                    {
                        frames.Add(frame);
                    }
                }
            }
            catch (TimeoutException)
            {
                Assert.Fail($"The server neither answered nor closed within {CaseTimeout}: {because}; frames {Describe(frames)}");
            }
            catch (NsqProtocolException e)
            {
                Assert.Fail($"The server sent a malformed frame ({e.Message}): {because}");
            }

            await sending;
        }

        Assert.True(frames.Count > 0 && frames[^1].Type == FrameType.Error, $"The server closed the connection without an error frame: {because}; frames {Describe(frames)}");
        var last = frames[^1];
        var code = last.Text.Split(' ')[0];
        Assert.True(code.StartsWith("E_", StringComparison.Ordinal) && !NonFatal.Contains(code), $"The last frame {last.Text} is not a fatal error: {because}");
        Assert.DoesNotContain(frames[..^1], f => f.Type == FrameType.Error && !NonFatal.Contains(f.Text.Split(' ')[0]));
        if (hostile.Expected is { } expected)
        {
            Assert.True(last.Text.StartsWith(expected, StringComparison.Ordinal), $"Expected an error starting \"{expected}\", got \"{last.Text}\": {because}");
        }

        output.WriteLine($"case {hostile.Index} {hostile.Kind}: {last.Text[..Math.Min(last.Text.Length, 100)]}");
    }

    /// <summary>The case in random pieces, then the padding; a server that closes first may reset the rest.</summary>
    private static async Task SendAsync(RawNsqClient client, HostileCase hostile)
    {
        try
        {
            var at = 0;
            foreach (var cut in hostile.Cuts.Append(hostile.Bytes.Length))
            {
                await client.SendRawAsync(hostile.Bytes.AsMemory(at, cut - at));
                at = cut;
            }

            await client.SendRawAsync(Padding);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The server closed after a fatal error while bytes were still going out.
        }
    }

    private static HostileCase Hostile(Random random, int index)
    {
        var kind = random.Next(10);
        var (name, bytes, expected, claimed) = kind switch
        {
            0 => ("junk", Junk(random, random.Next(1, 2048)), null, 0L),
            1 => EndlessLine(random),
            2 => Oversized(random),
            3 => ("bad magic", [.. Junk(random, 4).Select(b => b == (byte)' ' ? (byte)'x' : b), .. Junk(random, random.Next(0, 64))], "E_BAD_PROTOCOL", 0L),
            _ => ("mutated", Mutate(random, Commands(random)), null, 0L),
        };
        byte[] stream = kind == 3 ? bytes : [.. NsqWire.MagicV2, .. bytes];
        var cuts = Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(stream.Length + 1)).Order().ToArray();
        return new HostileCase(index, name, stream, cuts, expected, claimed + ClaimedSizes(stream));
    }

    /// <summary>A line longer than nsqd's 16 KiB read buffer, without a newline until the padding.</summary>
    private static (string, byte[], string?, long) EndlessLine(Random random)
    {
        var line = Junk(random, LineLimit + random.Next(1, 3 * LineLimit)).Select(b => b == (byte)'\n' ? (byte)'x' : b);
        return ("endless line", [.. "PUB "u8, .. line], $"E_INVALID a line longer than {LineLimit} bytes", 0L);
    }

    /// <summary>A body size far beyond the limits (up to int.MaxValue), with a few bytes of it or none.</summary>
    private static (string, byte[], string?, long) Oversized(Random random)
    {
        var size = random.Next(2) == 0 ? int.MaxValue : random.Next(MaxBodySize + 1, int.MaxValue);
        (byte[] Bytes, string Error) start = random.Next(4) switch
        {
            0 => ("PUB t\n"u8.ToArray(), "E_BAD_MESSAGE PUB message too big"),
            1 => ("DPUB t 10\n"u8.ToArray(), "E_BAD_MESSAGE DPUB message too big"),
            2 => ("MPUB t\n"u8.ToArray(), "E_BAD_BODY MPUB body too big"),
            _ => ("IDENTIFY\n"u8.ToArray(), "E_BAD_BODY IDENTIFY body too big"),
        };
        return ("oversized", [.. start.Bytes, .. Int(size), .. Junk(random, random.Next(0, 256))], start.Error, size);
    }

    /// <summary>A plausible session, valid or nearly so: a publisher's or a subscriber's commands in their order, each with its body.</summary>
    private static byte[] Commands(Random random)
    {
        var bytes = new List<byte>();
        if (random.Next(2) == 0)
        {
            bytes.AddRange(Identify(random));
        }

        var subscriber = random.Next(2) == 0;
        if (subscriber)
        {
            bytes.AddRange(random.Next(2) == 0 ? "SUB t c\n"u8 : "SUB t#ephemeral c#ephemeral\n"u8);
        }

        for (var n = random.Next(1, 6); n > 0; n--)
        {
            var id = NsqFrames.MessageId(random.Next(0, 50));
            var body = Junk(random, random.Next(1, 64));
            bytes.AddRange((subscriber ? random.Next(6) : 6 + random.Next(5)) switch
            {
                0 => Encoding.ASCII.GetBytes($"RDY {random.Next(0, 3000)}\n"),
                1 => Encoding.ASCII.GetBytes($"FIN {id}\n"),
                2 => Encoding.ASCII.GetBytes($"REQ {id} {random.Next(0, 5000)}\n"),
                3 => Encoding.ASCII.GetBytes($"TOUCH {id}\n"),
                4 => "CLS\n"u8.ToArray(),
                5 or 6 => "NOP\n"u8.ToArray(),
                7 => [.. "PUB t\n"u8, .. Int(body.Length), .. body],
                8 => [.. "DPUB t 50\n"u8, .. Int(body.Length), .. body],
                9 => [.. "MPUB t\n"u8, .. Int(4 + 4 + body.Length + 4 + 1), .. Int(2), .. Int(body.Length), .. body, .. Int(1), (byte)'x'],
                _ => Body("AUTH", "letmein"),
            });
        }

        return [.. bytes];
    }

    /// <summary>IDENTIFY with a valid body, a body of the wrong shape or types, or strings that are not UTF-8.</summary>
    private static byte[] Identify(Random random) => random.Next(5) switch
    {
        0 => Body("IDENTIFY", """{"feature_negotiation":true,"client_id":"fuzz","msg_timeout":60000,"sample_rate":0}"""),
        1 => Body("IDENTIFY", """{"heartbeat_interval":-1}"""),
        2 => Body("IDENTIFY", random.Next(2) == 0 ? "[1,2]" : """{"output_buffer_size":"big","deflate_level":1e400}"""),
        3 => Body("IDENTIFY", [.. "{\"client_id\":\""u8, 0xc3, 0x28, 0xff, .. "\",\""u8, 0xed, 0xa0, 0x80, .. "\":1}"u8]),
        _ => Body("IDENTIFY", [.. "{\"user_agent\":\"\\ud800\",\"hostname\":\""u8, .. Junk(random, 8).Select(b => b is (byte)'"' or (byte)'\\' ? (byte)'a' : b), .. "\"}"u8]),
    };

    /// <summary>Cuts, flips bytes, overwrites a size with a hostile one, or inserts junk.</summary>
    private static byte[] Mutate(Random random, byte[] bytes)
    {
        for (var n = random.Next(0, 4); n > 0 && bytes.Length > 0; n--)
        {
            var at = random.Next(bytes.Length);
            switch (random.Next(4))
            {
                case 0:
                    bytes = bytes[..at];
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2 when at + 4 <= bytes.Length:
                    BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at), random.Next(3) switch { 0 => int.MaxValue, 1 => -random.Next(), _ => random.Next() });
                    break;
                default:
                    bytes = [.. bytes[..at], .. Junk(random, random.Next(1, 32)), .. bytes[at..]];
                    break;
            }
        }

        return bytes;
    }

    /// <summary>The largest number any four bytes of the stream make: the most a server reading them as a size and trusting it would allocate.</summary>
    private static long ClaimedSizes(byte[] stream)
    {
        var claimed = 0L;
        for (var i = 0; i + 4 <= stream.Length; i++)
        {
            claimed = Math.Max(claimed, BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(i)));
        }

        return claimed;
    }

    private static byte[] Junk(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Body(string command, string body) => Body(command, Encoding.UTF8.GetBytes(body));

    private static byte[] Body(string command, byte[] body) => [.. Encoding.ASCII.GetBytes(command + "\n"), .. Int(body.Length), .. body];

    private static byte[] Int(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static string Printable(byte[] bytes) =>
        bytes.Length <= 300 ? Convert.ToHexString(bytes) : $"{Convert.ToHexString(bytes.AsSpan(0, 300))}... ({bytes.Length} bytes)";

    private static string Describe(List<Frame> frames) => frames.Count == 0 ? "none" : string.Join(" | ", frames.Select(f => $"{f.Type} {f.Text}"));

    private sealed record HostileCase(int Index, string Kind, byte[] Bytes, int[] Cuts, string? Expected, long Claimed);
}

using System.Net.Sockets;
using System.Text;
using Tmq.Nsq.Protocol;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.Protocol;

/// <summary>The fake itself: it records what a client sent and answers as nsqd does, so tests built on it mean something.</summary>
public sealed class ScriptedNsqdTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Commands_RawClientSession_RecordsEveryCommandWithParametersAndBody()
    {
        await using var server = ScriptedNsqd.Start();
        await using var client = await RawNsqClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(o => Command.Identify(o, "{\"feature_negotiation\":true}"u8));
        await client.ExpectResponseAsync(ScriptedNsqd.DefaultIdentifyResponse);
        await client.SendAsync(o => Command.Sub(o, "orders", "workers"));
        await client.ExpectResponseAsync("OK");
        await client.SendAsync(o => Command.Mpub(o, "orders", ["a"u8.ToArray(), "bc"u8.ToArray()]));
        await client.ExpectResponseAsync("OK");
        await client.SendAsync(o => Command.Rdy(o, 3));
        await server.WaitForCommandAsync("RDY", Timeout);
        await server.Connections[0].SendMessageAsync(NsqFrames.MessageId(7), "hello"u8.ToArray(), attempts: 2);
        var message = NsqMessageFrame.Parse((await client.ReadFrameAsync())!.Value.Data);
        await client.SendAsync(o => Command.Fin(o, message.Id));
        var fin = await server.WaitForCommandAsync("FIN", Timeout);

        Assert.Equal(["IDENTIFY", "SUB orders workers", "MPUB orders", "RDY 3", $"FIN {NsqFrames.MessageId(7)}"], server.Commands.Select(c => c.Line));
        Assert.Equal("{\"feature_negotiation\":true}", server.Commands[0].BodyText);
        Assert.Equal(["a", "bc"], server.Commands[2].MpubBodies().Select(b => Encoding.UTF8.GetString(b)));
        Assert.Equal(0, fin.Connection);
        Assert.Equal("  V2"u8.ToArray(), server.Connections[0].Magic);
        Assert.Equal((2, "hello"), (message.Attempts, Encoding.UTF8.GetString(message.Body.Span)));
    }

    [Fact]
    public async Task Script_AnswersSubWithAnError_ReplacesTheDefaultAnswer()
    {
        await using var server = ScriptedNsqd.Start();
        server.Script = async (connection, command) =>
        {
            if (command.Name != "SUB")
            {
                return false;
            }

            await connection.SendErrorAsync("E_BAD_TOPIC SUB topic name is not valid");
            connection.Close();
            return true;
        };
        await using var client = await RawNsqClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(o => Command.Sub(o, "orders", "workers"));

        var frame = await client.ReadFrameAsync();
        Assert.Equal(FrameType.Error, frame?.Type);
        Assert.Equal("E_BAD_TOPIC", NsqErrorFrame.Parse(frame!.Value.Data).Code);
        Assert.Null(await client.ReadFrameAsync());
        await server.Connections[0].Closed.WaitAsync(Timeout);
    }

    [Fact]
    public async Task DefaultReply_EmptyPubBody_AnswersBadMessageAndClosesAsNsqdDoes()
    {
        await using var server = ScriptedNsqd.Start();
        await using var client = await RawNsqClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(o => Command.Pub(o, "orders", []));

        var frame = await client.ReadFrameAsync();
        Assert.Equal("E_BAD_MESSAGE", NsqErrorFrame.Parse(frame!.Value.Data).Code);
        Assert.Null(await client.ReadFrameAsync());
    }

    [Fact]
    public async Task StartListening_AfterStopAndAbort_AcceptsAgainOnTheSamePort()
    {
        await using var server = ScriptedNsqd.Start();
        var endPoint = server.EndPoint;
        await using (var first = await RawNsqClient.ConnectAsync(endPoint))
        {
            var accepted = await server.WaitForConnectionAsync(0, Timeout);
            await server.StopListeningAsync();
            server.AbortConnections();

            await accepted.Closed.WaitAsync(Timeout);
            var refused = await Assert.ThrowsAsync<SocketException>(() => RawNsqClient.ConnectAsync(endPoint));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        server.StartListening();
        await using var second = await RawNsqClient.ConnectAsync(endPoint);
        await second.SendAsync(Command.Nop);
        await server.WaitForCommandAsync("NOP", Timeout);

        Assert.Equal(endPoint, server.EndPoint);
        Assert.Equal(2, server.ConnectionsAccepted);
        Assert.Equal(1, server.Commands.Single().Connection);
    }
}

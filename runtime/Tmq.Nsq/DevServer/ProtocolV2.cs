using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// The commands of protocol V2 on one connection, with nsqd 1.3's checks, error codes and texts
/// (nsqd/protocol_v2.go). This file holds the dispatch, SUB, RDY and CLS; FIN, REQ and TOUCH are in
/// <see cref="MessageCommands"/>, publishing in <see cref="PublishCommands"/>, IDENTIFY and AUTH in
/// <see cref="IdentifyCommand"/>.
/// </summary>
/// <remarks>
/// A command returns the data of its response frame, or null for none (RDY, FIN, REQ, TOUCH, NOP
/// answer nothing), and throws <see cref="ClientErrorException"/> for an error frame.
/// </remarks>
internal static class ProtocolV2
{
    public static ValueTask<byte[]?> ExecuteAsync(ClientConnection connection, string[] parameters) => parameters[0] switch
    {
        "IDENTIFY" => IdentifyCommand.IdentifyAsync(connection),
        "AUTH" => IdentifyCommand.AuthAsync(connection, parameters),
        "FIN" => new(MessageCommands.Fin(connection, parameters)),
        "RDY" => new(Rdy(connection, parameters)),
        "REQ" => new(MessageCommands.Req(connection, parameters)),
        "PUB" => PublishCommands.PubAsync(connection, parameters, deferred: false),
        "MPUB" => PublishCommands.MpubAsync(connection, parameters),
        "DPUB" => PublishCommands.PubAsync(connection, parameters, deferred: true),
        "NOP" => new((byte[]?)null),
        "TOUCH" => new(MessageCommands.Touch(connection, parameters)),
        "SUB" => new(Sub(connection, parameters)),
        "CLS" => new(Cls(connection)),
        _ => throw Fatal("E_INVALID", $"invalid command {Printable.Of(parameters[0])}"),
    };

    public static ClientErrorException Fatal(string code, string description) => new(code, description, fatal: true);

    /// <summary>Reads a body's size; the stream ending first is the error <paramref name="code"/>: <paramref name="description"/>.</summary>
    public static async ValueTask<int> ReadSizeAsync(BufferedInput input, string code, string description)
    {
        try
        {
            return await input.ReadInt32Async();
        }
        catch (EndOfStreamException)
        {
            throw Fatal(code, description);
        }
    }

    /// <summary>Reads a body whose size the caller has checked against its limit.</summary>
    public static async ValueTask<byte[]> ReadBodyAsync(BufferedInput input, int size, string code, string description)
    {
        try
        {
            return await input.ReadBytesAsync(size);
        }
        catch (EndOfStreamException)
        {
            throw Fatal(code, description);
        }
    }

    /// <summary>With AUTH configured, a client must have authenticated before SUB and PUB.</summary>
    public static void CheckAuth(ClientConnection connection, string command)
    {
        if (connection.Broker.AuthEnabled && !connection.Client.Authed)
        {
            throw Fatal("E_AUTH_FIRST", $"AUTH required before {command}");
        }
    }

    private static byte[]? Sub(ClientConnection connection, string[] parameters)
    {
        var client = connection.Client;
        lock (connection.Broker.Gate)
        {
            if (client.State != ClientState.Init)
            {
                throw Fatal("E_INVALID", "cannot SUB in current state");
            }

            if (client.HeartbeatInterval <= TimeSpan.Zero)
            {
                throw Fatal("E_INVALID", "cannot SUB with heartbeats disabled");
            }
        }

        if (parameters.Length < 3)
        {
            throw Fatal("E_INVALID", "SUB insufficient number of parameters");
        }

        if (!NsqNames.IsValid(parameters[1]))
        {
            throw Fatal("E_BAD_TOPIC", $"SUB topic name {Printable.Quoted(parameters[1])} is not valid");
        }

        if (!NsqNames.IsValid(parameters[2]))
        {
            throw Fatal("E_BAD_CHANNEL", $"SUB channel name {Printable.Quoted(parameters[2])} is not valid");
        }

        CheckAuth(connection, "SUB");
        lock (connection.Broker.Gate)
        {
            connection.Broker.Subscribe(client, parameters[1], parameters[2]);
        }

        return FrameOutput.Ok;
    }

    private static byte[]? Rdy(ClientConnection connection, string[] parameters)
    {
        var client = connection.Client;
        lock (connection.Broker.Gate)
        {
            if (client.State == ClientState.Closing)
            {
                return null; // nsqd ignores RDY after CLS
            }

            if (client.State != ClientState.Subscribed)
            {
                throw Fatal("E_INVALID", "cannot RDY in current state");
            }

            ulong count = 1;
            if (parameters.Length > 1 && !NsqSyntax.TryParseBase10(parameters[1], out count))
            {
                throw Fatal("E_INVALID", $"RDY could not parse count {Printable.Of(parameters[1])}");
            }

            var max = connection.Broker.Options.MaxRdyCount;
            if (count > (ulong)max)
            {
                // Fatal, as in nsqd: otherwise client and server would disagree on the count.
                throw Fatal("E_INVALID", $"RDY count {count} out of range 0-{max}");
            }

            client.ReadyCount = (long)count;
            client.Channel?.Pump();
        }

        return null;
    }

    private static byte[]? Cls(ClientConnection connection)
    {
        var client = connection.Client;
        lock (connection.Broker.Gate)
        {
            if (client.State != ClientState.Subscribed)
            {
                throw Fatal("E_INVALID", "cannot CLS in current state");
            }

            client.ReadyCount = 0;
            client.State = ClientState.Closing;
        }

        return FrameOutput.CloseWait;
    }
}

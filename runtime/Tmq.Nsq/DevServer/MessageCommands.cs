using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// FIN, REQ and TOUCH: a subscribed (or closing) client acting on one of its deliveries. An id
/// that is not in flight for this client is the non-fatal E_FIN_FAILED, E_REQ_FAILED or
/// E_TOUCH_FAILED; a malformed command is fatal, as in nsqd.
/// </summary>
internal static class MessageCommands
{
    public static byte[]? Fin(ClientConnection connection, string[] parameters)
    {
        var (client, id) = InFlightCommand(connection, parameters, "FIN", 2);
        lock (connection.Broker.Gate)
        {
            var error = client.Channel!.Finish(client, id);
            return error is null ? null : throw new ClientErrorException("E_FIN_FAILED", $"FIN {Printable.Of(id)} failed {error}", fatal: false);
        }
    }

    public static byte[]? Req(ClientConnection connection, string[] parameters)
    {
        var (client, id) = InFlightCommand(connection, parameters, "REQ", 3);
        if (!NsqSyntax.TryParseBase10(parameters[2], out var milliseconds))
        {
            throw ProtocolV2.Fatal("E_INVALID", $"REQ could not parse timeout {Printable.Of(parameters[2])}");
        }

        // nsqd 1.3 cuts a delay past --max-req-timeout to it (and logs); it does not refuse it.
        var max = connection.Broker.Options.MaxReqTimeout;
        var delay = milliseconds >= (ulong)max.TotalMilliseconds ? max : TimeSpan.FromMilliseconds(milliseconds);
        lock (connection.Broker.Gate)
        {
            var error = client.Channel!.Requeue(client, id, delay);
            return error is null ? null : throw new ClientErrorException("E_REQ_FAILED", $"REQ {Printable.Of(id)} failed {error}", fatal: false);
        }
    }

    public static byte[]? Touch(ClientConnection connection, string[] parameters)
    {
        var (client, id) = InFlightCommand(connection, parameters, "TOUCH", 2);
        lock (connection.Broker.Gate)
        {
            var error = client.Channel!.Touch(client, id);
            return error is null ? null : throw new ClientErrorException("E_TOUCH_FAILED", $"TOUCH {Printable.Of(id)} failed {error}", fatal: false);
        }
    }

    /// <summary>The checks FIN, REQ and TOUCH share: state, parameter count, a 16-byte id.</summary>
    private static (DevClient Client, string Id) InFlightCommand(ClientConnection connection, string[] parameters, string command, int count)
    {
        var client = connection.Client;
        lock (connection.Broker.Gate)
        {
            if (client.State is not (ClientState.Subscribed or ClientState.Closing))
            {
                throw ProtocolV2.Fatal("E_INVALID", $"cannot {command} in current state");
            }
        }

        if (parameters.Length < count)
        {
            throw ProtocolV2.Fatal("E_INVALID", $"{command} insufficient number of params");
        }

        if (parameters[1].Length != NsqWire.MessageIdBytes)
        {
            throw ProtocolV2.Fatal("E_INVALID", "invalid message ID");
        }

        return (client, parameters[1]);
    }
}

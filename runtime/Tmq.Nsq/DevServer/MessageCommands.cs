using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// FIN, REQ and TOUCH: a subscribed (or closing) client acting on one of its deliveries. An id
/// that is not in flight for this client is the non-fatal E_FIN_FAILED, E_REQ_FAILED or
/// E_TOUCH_FAILED; a malformed command is fatal, as in nsqd.
/// </summary>
internal static class MessageCommands
{
    public static byte[]? Fin(ClientConnection connection, string[] parameters) =>
        Act(connection, parameters, "FIN", 2, "E_FIN_FAILED", static (client, id, _) => client.Channel!.Finish(client, id));

    public static byte[]? Req(ClientConnection connection, string[] parameters)
    {
        var max = connection.Broker.Options.MaxReqTimeout;
        return Act(connection, parameters, "REQ", 3, "E_REQ_FAILED", (client, id, parameters) =>
        {
            if (!NsqSyntax.TryParseBase10(parameters[2], out var milliseconds))
            {
                throw ProtocolV2.Fatal("E_INVALID", $"REQ could not parse timeout {Printable.Of(parameters[2])}");
            }

            // nsqd 1.3 cuts a delay past --max-req-timeout to it (and logs); it does not refuse it.
            var delay = milliseconds >= (ulong)max.TotalMilliseconds ? max : TimeSpan.FromMilliseconds(milliseconds);
            return client.Channel!.Requeue(client, id, delay);
        });
    }

    public static byte[]? Touch(ClientConnection connection, string[] parameters) =>
        Act(connection, parameters, "TOUCH", 2, "E_TOUCH_FAILED", static (client, id, _) => client.Channel!.Touch(client, id));

    /// <summary>
    /// The checks FIN, REQ and TOUCH share (state, parameter count, a 16-byte id, in nsqd's order),
    /// then <paramref name="act"/>, all under one take of the broker's gate; a refusal from
    /// <paramref name="act"/> is the non-fatal <paramref name="failure"/>.
    /// </summary>
    private static byte[]? Act(ClientConnection connection, string[] parameters, string command, int count, string failure, Func<DevClient, string, string[], string?> act)
    {
        var client = connection.Client;
        lock (connection.Broker.Gate)
        {
            if (client.State is not (ClientState.Subscribed or ClientState.Closing))
            {
                throw ProtocolV2.Fatal("E_INVALID", $"cannot {command} in current state");
            }

            if (parameters.Length < count)
            {
                throw ProtocolV2.Fatal("E_INVALID", $"{command} insufficient number of params");
            }

            if (parameters[1].Length != NsqWire.MessageIdBytes)
            {
                throw ProtocolV2.Fatal("E_INVALID", "invalid message ID");
            }

            var id = parameters[1];
            var error = act(client, id, parameters);
            return error is null ? null : throw new ClientErrorException(failure, $"{command} {Printable.Of(id)} failed {error}", fatal: false);
        }
    }
}

using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.DevServer;

/// <summary>PUB, DPUB and MPUB, with nsqd 1.3's checks in nsqd's order: every size is checked before anything is allocated for it.</summary>
internal static class PublishCommands
{
    public static async ValueTask<byte[]?> PubAsync(ClientConnection connection, string[] parameters, bool deferred)
    {
        var command = deferred ? "DPUB" : "PUB";
        var options = connection.Broker.Options;
        if (parameters.Length < (deferred ? 3 : 2))
        {
            throw ProtocolV2.Fatal("E_INVALID", $"{command} insufficient number of parameters");
        }

        var topic = parameters[1];
        if (!NsqNames.IsValid(topic))
        {
            throw ProtocolV2.Fatal("E_BAD_TOPIC", $"{command} topic name {Printable.Quoted(topic)} is not valid");
        }

        var defer = TimeSpan.Zero;
        if (deferred)
        {
            if (!NsqSyntax.TryParseBase10(parameters[2], out var milliseconds))
            {
                throw ProtocolV2.Fatal("E_INVALID", $"DPUB could not parse timeout {Printable.Of(parameters[2])}");
            }

            var max = (ulong)options.MaxReqTimeout.TotalMilliseconds;
            if (milliseconds > max)
            {
                throw ProtocolV2.Fatal("E_INVALID", $"DPUB timeout {milliseconds} out of range 0-{max}");
            }

            defer = TimeSpan.FromMilliseconds(milliseconds);
        }

        var size = await ProtocolV2.ReadSizeAsync(connection.Input, "E_BAD_MESSAGE", $"{command} failed to read message body size");
        if (size <= 0)
        {
            throw ProtocolV2.Fatal("E_BAD_MESSAGE", $"{command} invalid message body size {size}");
        }

        if (size > options.MaxMsgSize)
        {
            throw ProtocolV2.Fatal("E_BAD_MESSAGE", $"{command} message too big {size} > {options.MaxMsgSize}");
        }

        var body = await ProtocolV2.ReadBodyAsync(connection.Input, size, "E_BAD_MESSAGE", $"{command} failed to read message body");
        ProtocolV2.CheckAuth(connection, command);
        Publish(connection, topic, [body], defer);
        return FrameOutput.Ok;
    }

    public static async ValueTask<byte[]?> MpubAsync(ClientConnection connection, string[] parameters)
    {
        var options = connection.Broker.Options;
        if (parameters.Length < 2)
        {
            throw ProtocolV2.Fatal("E_INVALID", "MPUB insufficient number of parameters");
        }

        var topic = parameters[1];
        if (!NsqNames.IsValid(topic))
        {
            // nsqd repeats the code in the description here.
            throw ProtocolV2.Fatal("E_BAD_TOPIC", $"E_BAD_TOPIC MPUB topic name {Printable.Quoted(topic)} is not valid");
        }

        ProtocolV2.CheckAuth(connection, "MPUB");
        lock (connection.Broker.Gate)
        {
            connection.Broker.GetOrCreateTopic(topic); // nsqd creates the topic before reading the body
        }

        var size = await ProtocolV2.ReadSizeAsync(connection.Input, "E_BAD_BODY", "MPUB failed to read body size");
        if (size <= 0)
        {
            throw ProtocolV2.Fatal("E_BAD_BODY", $"MPUB invalid body size {size}");
        }

        if (size > options.MaxBodySize)
        {
            throw ProtocolV2.Fatal("E_BAD_BODY", $"MPUB body too big {size} > {options.MaxBodySize}");
        }

        var bodies = await ReadMessagesAsync(connection.Input, options, size);
        Publish(connection, topic, bodies, TimeSpan.Zero);
        return FrameOutput.Ok;
    }

    /// <summary>
    /// MPUB's messages: a count, then a size and a body each. Shared with HTTP <c>/mpub?binary=true</c>,
    /// whose body has no total size in front (<paramref name="declaredSize"/> null).
    /// </summary>
    /// <remarks>
    /// nsqd does not hold the messages to the declared body size; this server does, so that one
    /// MPUB can never hold more than <see cref="DevNsqdOptions.MaxBodySize"/> in memory.
    /// </remarks>
    public static async ValueTask<List<byte[]>> ReadMessagesAsync(BufferedInput input, DevNsqdOptions options, long? declaredSize)
    {
        var count = await ProtocolV2.ReadSizeAsync(input, "E_BAD_BODY", "MPUB failed to read message count");
        var maxMessages = (options.MaxBodySize - 4) / 5; // 4: the count; 5: a size and at least one byte
        if (count <= 0 || count > maxMessages)
        {
            throw ProtocolV2.Fatal("E_BAD_BODY", $"MPUB invalid message count {count}");
        }

        var messages = new List<byte[]>(Math.Min(count, 1024));
        var used = 4L;
        for (var i = 0; i < count; i++)
        {
            var size = await ProtocolV2.ReadSizeAsync(input, "E_BAD_MESSAGE", $"MPUB failed to read message({i}) body size");
            if (size <= 0)
            {
                throw ProtocolV2.Fatal("E_BAD_MESSAGE", $"MPUB invalid message({i}) body size {size}");
            }

            if (size > options.MaxMsgSize)
            {
                throw ProtocolV2.Fatal("E_BAD_MESSAGE", $"MPUB message too big {size} > {options.MaxMsgSize}");
            }

            used += 4L + size;
            if (used > declaredSize)
            {
                throw ProtocolV2.Fatal("E_BAD_BODY", $"MPUB body size {declaredSize} is too small for message({i}) of {size} bytes: the messages so far need {used}");
            }

            messages.Add(await ProtocolV2.ReadBodyAsync(input, size, "E_BAD_MESSAGE", "MPUB failed to read message body"));
        }

        return messages;
    }

    private static void Publish(ClientConnection connection, string topic, List<byte[]> bodies, TimeSpan defer)
    {
        connection.Broker.Publish(topic, bodies, defer, connection.Client);
    }
}

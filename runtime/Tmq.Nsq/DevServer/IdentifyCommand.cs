using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.DevServer;

/// <summary>
/// IDENTIFY (settings, feature negotiation, then the TLS, snappy and deflate upgrades, each
/// acknowledged by an OK frame sent through the upgraded stream, as nsqd does) and AUTH.
/// </summary>
internal static class IdentifyCommand
{
    /// <summary>The nsqd version this server imitates, as IDENTIFY, <c>/info</c> and <c>/stats</c> report it.</summary>
    public const string Version = "1.3.0";

    private const int DefaultDeflateLevel = 6;

    public static async ValueTask<byte[]?> IdentifyAsync(ClientConnection connection)
    {
        var (broker, client, options) = (connection.Broker, connection.Client, connection.Broker.Options);
        lock (broker.Gate)
        {
            if (client.State != ClientState.Init)
            {
                throw ProtocolV2.Fatal("E_INVALID", "cannot IDENTIFY in current state");
            }
        }

        var body = await ReadBodyAsync(connection, "IDENTIFY");
        IdentifyRequest request;
        try
        {
            request = IdentifyRequest.Parse(body);
        }
        catch (JsonException)
        {
            throw ProtocolV2.Fatal("E_BAD_BODY", "IDENTIFY failed to decode JSON body");
        }

        var error = IdentifySettings.Apply(broker, client, request);
        if (error is not null)
        {
            throw ProtocolV2.Fatal("E_BAD_BODY", "IDENTIFY " + error);
        }

        connection.Clocks.SetHeartbeat(client.HeartbeatInterval);
        connection.Clocks.ExpectCommand(); // with the new interval, before the answer leaves
        if (!request.FeatureNegotiation)
        {
            return FrameOutput.Ok;
        }

        var tls = options.TlsCertificate is not null && request.TlsV1;
        var deflate = options.Deflate && request.Deflate;
        var level = Math.Min(deflate && request.DeflateLevel > 0 ? request.DeflateLevel : DefaultDeflateLevel, options.MaxDeflateLevel);
        var snappy = options.Snappy && request.Snappy;
        if (deflate && snappy)
        {
            throw ProtocolV2.Fatal("E_IDENTIFY_FAILED", "cannot enable both deflate and snappy compression");
        }

        if ((tls || snappy || deflate) && connection.Input.Buffered > 0)
        {
            throw ProtocolV2.Fatal("E_IDENTIFY_FAILED", $"IDENTIFY failed: {connection.Input.Buffered} bytes arrived after IDENTIFY, before the connection upgrade; a client must wait for IDENTIFY's response before it upgrades");
        }

        connection.Output.Send(FrameType.Response, IdentifySettings.Response(broker, client, tls, deflate, level, snappy));
        if (tls)
        {
            await UpgradeAsync(connection, async () =>
            {
                var negotiated = await connection.Streams.UpgradeTlsAsync(options.TlsCertificate!, options.TimeProvider);
                lock (broker.Gate)
                {
                    client.Tls = negotiated;
                }
            });
        }

        if (snappy)
        {
            await UpgradeAsync(connection, () =>
            {
                connection.Streams.UpgradeSnappy();
                lock (broker.Gate)
                {
                    client.Snappy = true;
                }

                return ValueTask.CompletedTask;
            });
        }

        if (deflate)
        {
            await UpgradeAsync(connection, () =>
            {
                connection.Streams.UpgradeDeflate(level);
                lock (broker.Gate)
                {
                    client.Deflate = true;
                }

                return ValueTask.CompletedTask;
            });
        }

        return null;
    }

    public static async ValueTask<byte[]?> AuthAsync(ClientConnection connection, string[] parameters)
    {
        var (broker, client) = (connection.Broker, connection.Client);
        lock (broker.Gate)
        {
            if (client.State != ClientState.Init)
            {
                throw ProtocolV2.Fatal("E_INVALID", "cannot AUTH in current state");
            }
        }

        if (parameters.Length != 1)
        {
            throw ProtocolV2.Fatal("E_INVALID", "AUTH invalid number of parameters");
        }

        var secret = await ReadBodyAsync(connection, "AUTH");
        lock (broker.Gate)
        {
            if (client.Authed)
            {
                throw ProtocolV2.Fatal("E_INVALID", "AUTH already set");
            }

            if (broker.Options.AuthSecret is not { } expected)
            {
                throw ProtocolV2.Fatal("E_AUTH_DISABLED", "AUTH disabled");
            }

            if (!CryptographicOperations.FixedTimeEquals(secret, Encoding.UTF8.GetBytes(expected)))
            {
                throw ProtocolV2.Fatal("E_AUTH_FAILED", "AUTH failed");
            }

            client.Authed = true;
        }

        return JsonBytes.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("identity", IdentifySettings.AuthIdentity);
            w.WriteString("identity_url", string.Empty);
            w.WriteNumber("permission_count", 1);
            w.WriteEndObject();
        });
    }

    /// <summary>IDENTIFY's and AUTH's body: size checked against <see cref="DevNsqdOptions.MaxBodySize"/>, then read.</summary>
    private static async ValueTask<byte[]> ReadBodyAsync(ClientConnection connection, string command)
    {
        var max = connection.Broker.Options.MaxBodySize;
        var size = await ProtocolV2.ReadSizeAsync(connection.Input, "E_BAD_BODY", $"{command} failed to read body size");
        if (size > max)
        {
            throw ProtocolV2.Fatal("E_BAD_BODY", $"{command} body too big {size} > {max}");
        }

        if (size <= 0)
        {
            throw ProtocolV2.Fatal("E_BAD_BODY", $"{command} invalid body size {size}");
        }

        return await ProtocolV2.ReadBodyAsync(connection.Input, size, "E_BAD_BODY", $"{command} failed to read body");
    }

    private static async Task UpgradeAsync(ClientConnection connection, Func<ValueTask> upgrade)
    {
        try
        {
            await connection.UpgradeAsync(upgrade);
        }
        catch (Exception e) when (e is not ClientErrorException)
        {
            throw ProtocolV2.Fatal("E_IDENTIFY_FAILED", "IDENTIFY failed " + e.Message);
        }

        connection.Output.Send(FrameType.Response, FrameOutput.Ok);
    }
}

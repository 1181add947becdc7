using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.Json;
using Snappier;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq.Connection;

/// <summary>
/// One TCP connection to one nsqd: the handshake (magic, IDENTIFY with feature negotiation, TLS,
/// snappy or deflate, AUTH), then one read loop and one write loop.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> Commands may be sent from any thread: they are appended to a buffer under a
/// short lock and the write loop writes whatever has gathered, so concurrent FINs go out in one
/// write. Frames are read by the read loop alone, which calls <see cref="INsqConnectionHandler"/>.</para>
/// <para><b>Failure.</b> Any I/O error, protocol violation, fatal error frame, or silence for two
/// heartbeat intervals closes the connection and calls <see cref="INsqConnectionHandler.OnClosed"/>
/// once, with the reason. Reconnecting is the owner's decision.</para>
/// </remarks>
internal sealed partial class NsqConnection : IAsyncDisposable
{
    private readonly NsqConnectionSettings _settings;
    private readonly INsqConnectionHandler _handler;
    private readonly Socket _socket;
    private readonly Lock _sendGate = new();
    private readonly SemaphoreSlim _writeSignal = new(0, 1);
    private readonly CancellationTokenSource _closing = new();
    private ArrayBufferWriter<byte> _pending = new(4096);
    private ArrayBufferWriter<byte> _writing = new(4096);
    private Stream _input;
    private Stream _output;
    private Task _loops = Task.CompletedTask;
    private ITimer? _heartbeatCheck;
    private TaskCompletionSource? _drained;
    private long _lastRead;
    private int _closed;

    private NsqConnection(string address, Socket socket, Stream stream, NsqConnectionSettings settings, INsqConnectionHandler handler)
    {
        Address = address;
        _socket = socket;
        _input = stream;
        _output = stream;
        _settings = settings;
        _handler = handler;
    }

    /// <summary>host:port of the nsqd.</summary>
    public string Address { get; }

    /// <summary>What nsqd answered to IDENTIFY.</summary>
    public IdentifyResponse Negotiated { get; private set; } = IdentifyResponse.Defaults;


    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Connects, completes the handshake and starts the loops.</summary>
    /// <exception cref="NsqException">nsqd refused IDENTIFY or AUTH, or needs AUTH and no secret is configured.</exception>
    /// <exception cref="IOException">The connection failed or nsqd broke the protocol.</exception>
    /// <exception cref="SocketException">nsqd could not be reached.</exception>
    public static async Task<NsqConnection> ConnectAsync(string host, int port, NsqConnectionSettings settings, INsqConnectionHandler handler, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        NsqConnection? connection = null;
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            connection = new NsqConnection($"{host}:{port}", socket, new NetworkStream(socket, ownsSocket: false), settings, handler);
            await connection.HandshakeAsync(host, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Release(connection, socket);
            throw new TimeoutException($"nsqd at {host}:{port} did not complete the connection and handshake within {settings.ConnectTimeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            Release(connection, socket);
            throw;
        }

        connection.Start();
        return connection;
    }

    private static void Release(NsqConnection? connection, Socket socket)
    {
        if (connection is not null)
        {
            connection._input.Dispose();
            connection._output.Dispose();
        }

        socket.Dispose();
    }

    private async Task HandshakeAsync(string host, CancellationToken cancellationToken)
    {
        var hello = new ArrayBufferWriter<byte>(512);
        hello.Write(NsqWire.MagicV2);
        Command.Identify(hello, IdentifyBody());
        await _output.WriteAsync(hello.WrittenMemory, cancellationToken).ConfigureAwait(false);
        var answer = await ReadHandshakeFrameAsync("IDENTIFY", cancellationToken).ConfigureAwait(false);
        Negotiated = IdentifyResponse.Parse(answer);
        if (_settings.Tls && !Negotiated.Tls)
        {
            throw new NsqException("E_TLS_REFUSED", $"TLS is configured but nsqd at {Address} did not agree to tls_v1 (start it with --tls-cert and --tls-key).");
        }

        if (Negotiated.Tls)
        {
            var tls = new SslStream(_input, leaveInnerStreamOpen: false);
            // A copy per connection: the configured options are shared by every nsqd, each with its own host name.
            var configured = _settings.TlsOptions;
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = configured?.TargetHost ?? host,
                ClientCertificates = configured?.ClientCertificates,
                CertificateChainPolicy = configured?.CertificateChainPolicy,
                RemoteCertificateValidationCallback = configured?.RemoteCertificateValidationCallback,
            };
            try
            {
                await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (System.Security.Authentication.AuthenticationException ex)
            {
                throw new NsqException("E_TLS_FAILED", $"TLS with nsqd at {Address} failed: {ex.Message}. If nsqd's certificate is signed by a private authority, set Nsq:TlsCaFile to that authority's PEM file.");
            }

            _input = _output = tls;
            await ExpectOkAsync("the TLS upgrade", cancellationToken).ConfigureAwait(false);
        }

        if (Negotiated.Snappy)
        {
            var inner = _input;
            _input = new SnappyStream(inner, CompressionMode.Decompress, leaveOpen: true);
            _output = new SnappyStream(inner, CompressionMode.Compress, leaveOpen: true);
            await ExpectOkAsync("the snappy upgrade", cancellationToken).ConfigureAwait(false);
        }
        else if (Negotiated.Deflate)
        {
            var inner = _input;
            _input = new DeflateStream(inner, CompressionMode.Decompress, leaveOpen: true);
            _output = new DeflateStream(inner, DeflateLevel(Negotiated.DeflateLevel), leaveOpen: true);
            await ExpectOkAsync("the deflate upgrade", cancellationToken).ConfigureAwait(false);
        }

        if (Negotiated.AuthRequired)
        {
            await AuthenticateAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AuthenticateAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(_settings.AuthSecret))
        {
            throw new NsqException("E_AUTH_REQUIRED", $"nsqd at {Address} requires AUTH (it runs with --auth-http-address) and no secret is configured: set Nsq:AuthSecret.");
        }

        var command = new ArrayBufferWriter<byte>(64);
        Command.Auth(command, System.Text.Encoding.UTF8.GetBytes(_settings.AuthSecret));
        await _output.WriteAsync(command.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        var answer = await ReadHandshakeFrameAsync("AUTH", cancellationToken).ConfigureAwait(false);
        NsqLog.Authenticated(_settings.Logger, Address, System.Text.Encoding.UTF8.GetString(answer));
    }

    private async Task ExpectOkAsync(string step, CancellationToken cancellationToken)
    {
        var answer = await ReadHandshakeFrameAsync(step, cancellationToken).ConfigureAwait(false);
        if (!answer.AsSpan().SequenceEqual(NsqWire.Ok))
        {
            throw new NsqProtocolException($"nsqd at {Address} answered {step} with \"{System.Text.Encoding.UTF8.GetString(answer)}\" instead of OK.");
        }
    }

    /// <summary>Reads exactly one frame during the handshake, so that nothing past it is buffered before the stream is upgraded.</summary>
    private async Task<byte[]> ReadHandshakeFrameAsync(string step, CancellationToken cancellationToken)
    {
        var header = new byte[NsqWire.FrameHeaderBytes];
        await _input.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var size = BinaryPrimitives.ReadInt32BigEndian(header);
        var type = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        if (size < 4 || size > NsqWire.MinFrameLimit || type is < 0 or > 1)
        {
            throw new NsqProtocolException($"nsqd at {Address} answered {step} with a frame header {Convert.ToHexString(header)} (size {size}, type {type}); expected a response of at most {NsqWire.MinFrameLimit} bytes. Is this an nsqd TCP port?");
        }

        var data = new byte[size - 4];
        await _input.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
        if (type == (int)FrameType.Error)
        {
            var error = NsqErrorFrame.Parse(data);
            throw new NsqException(error.Code, $"nsqd at {Address} refused {step}: {error}.");
        }

        return data;
    }

    private byte[] IdentifyBody()
    {
        var body = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("client_id", _settings.ClientId);
            json.WriteString("hostname", _settings.Hostname);
            json.WriteString("user_agent", _settings.UserAgent);
            json.WriteBoolean("feature_negotiation", true);
            json.WriteNumber("heartbeat_interval", (long)_settings.HeartbeatInterval.TotalMilliseconds);
            if (_settings.MsgTimeout is { } msgTimeout)
            {
                json.WriteNumber("msg_timeout", (long)msgTimeout.TotalMilliseconds);
            }

            json.WriteBoolean("tls_v1", _settings.Tls);
            json.WriteBoolean("snappy", _settings.Snappy);
            json.WriteBoolean("deflate", _settings.Deflate);
            if (_settings.Deflate)
            {
                json.WriteNumber("deflate_level", _settings.DeflateLevel);
            }

            foreach (var (name, value) in _settings.Identify)
            {
                json.WritePropertyName(name);
                WriteLiteral(json, value);
            }

            json.WriteEndObject();
        }

        return body.WrittenSpan.ToArray();
    }

    /// <summary>A configured IDENTIFY value: true/false and numbers as JSON literals, anything else as a string.</summary>
    private static void WriteLiteral(Utf8JsonWriter json, string value)
    {
        if (bool.TryParse(value, out var flag))
        {
            json.WriteBooleanValue(flag);
        }
        else if (long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            json.WriteNumberValue(number);
        }
        else
        {
            json.WriteStringValue(value);
        }
    }

    private static CompressionLevel DeflateLevel(int level) => level switch
    {
        <= 0 => CompressionLevel.NoCompression,
        <= 3 => CompressionLevel.Fastest,
        >= 9 => CompressionLevel.SmallestSize,
        _ => CompressionLevel.Optimal,
    };
}

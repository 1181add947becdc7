using System.Buffers;
using System.Net.Sockets;
using Tmq.Nsq.Producer;
using Tmq.Nsq.Protocol;

namespace Tmq.Nsq;

// Sending one command to the first nsqd that accepts it.
public sealed partial class NsqProducer
{
    /// <summary>
    /// Sends one command to the first nsqd that accepts it. <paramref name="http"/> makes the HTTP
    /// path and body, only in HTTP mode (an MPUB's HTTP body is a copy of every message).
    /// </summary>
    private async Task SendAsync(NsqAddress? preferred, string topic, int count, Action<IBufferWriter<byte>> write, Func<(string Path, ReadOnlyMemory<byte> Body)> http, CancellationToken cancellationToken)
    {
        var tcp = _options.Mode == NsqPublishMode.Tcp;
        var candidates = tcp ? Candidates(preferred) : null;
        var targets = candidates?.Count ?? _http.Length;
        if (targets == 0)
        {
            throw new TmqProduceException($"No nsqd to publish {topic} to: set Tmq:Producer:{(tcp ? "Nsqd" : "Http")}.", topic, "E_NO_NSQD", isTransient: false, mayHaveBeenWritten: false, null);
        }

        var request = tcp ? default : http();
        List<string>? failures = null;
        var mayHaveBeenWritten = false;
        Exception? last = null;
        var start = Volatile.Read(ref _current);
        for (var i = 0; i < targets; i++)
        {
            string Target() => tcp ? candidates![i].ToString() : _http[(start + i) % _http.Length].ToString();
            string failure;
            try
            {
                var error = tcp
                    ? await SendTcpAsync(candidates![i], write, cancellationToken).ConfigureAwait(false)
                    : await SendHttpAsync(_http[(start + i) % _http.Length], request.Path, request.Body, cancellationToken).ConfigureAwait(false);
                if (error is null)
                {
                    Succeeded(topic, count, i, preferred is null);
                    return;
                }

                if (error.Value.Code is "E_BAD_TOPIC" or "E_BAD_MESSAGE" or "E_BAD_BODY" or "E_UNAUTHORIZED")
                {
                    // Another nsqd would refuse it just the same.
                    throw new TmqProduceException($"nsqd {Target()} refused the message to {topic}: {error}.", topic, error.Value.Code, isTransient: false, mayHaveBeenWritten: false, null);
                }

                failure = $"{Target()}: {error}";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or NsqException or HttpRequestException or TaskCanceledException)
            {
                mayHaveBeenWritten |= ex is TimeoutException or TaskCanceledException or Producer.AnswerLostException;
                last = ex;
                failure = $"{Target()}: {ex.Message}";
            }

            (failures ??= []).Add(failure);
            if (i + 1 < targets)
            {
                NsqProducerLog.FailingOver(_logger, topic, Target(), failure);
            }
        }

        throw new TmqProduceException(
            $"No nsqd accepted the message to {topic}: {string.Join("; ", failures!)}.",
            topic,
            "E_ALL_NSQD_FAILED",
            isTransient: true,
            mayHaveBeenWritten,
            last);
    }

    private List<NsqAddress> Candidates(NsqAddress? preferred)
    {
        var start = Volatile.Read(ref _current);
        var order = new List<NsqAddress>(_addresses.Length + 1);
        if (preferred is { } first)
        {
            order.Add(first);
        }

        for (var i = 0; i < _addresses.Length; i++)
        {
            var address = _addresses[(start + i) % _addresses.Length];
            if (!order.Contains(address))
            {
                order.Add(address);
            }
        }

        return order;
    }

    private void Succeeded(string topic, int count, int index, bool sticky)
    {
        if (sticky && index > 0)
        {
            var targets = _options.Mode == NsqPublishMode.Tcp ? _addresses.Length : _http.Length;
            Volatile.Write(ref _current, (Volatile.Read(ref _current) + index) % Math.Max(1, targets));
        }

        if (_metrics is { Sent.Enabled: true })
        {
            _metrics.Sent.Add(count, new KeyValuePair<string, object?>("messaging.destination.name", topic), new KeyValuePair<string, object?>("messaging.system", "nsq"));
        }
    }

    /// <summary>Returns null on OK, or nsqd's error.</summary>
    private async Task<NsqErrorFrame?> SendTcpAsync(NsqAddress address, Action<IBufferWriter<byte>> write, CancellationToken cancellationToken)
    {
        ProducerConnection[] connections;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (!_connections.TryGetValue(address, out connections!))
            {
                connections = [.. Enumerable.Range(0, _options.ConnectionsPerNsqd).Select(_ => new ProducerConnection(address, _connection))];
                _connections[address] = connections;
            }
        }

        var connection = connections.Length == 1 ? connections[0] : connections[(int)((uint)Interlocked.Increment(ref _spread) % (uint)connections.Length)];

        var answer = await connection.SendAsync(write, _options.PublishTimeout, cancellationToken).ConfigureAwait(false);
        return answer.IsOk ? null
            : answer.Type == FrameType.Error ? NsqErrorFrame.Parse(answer.Data)
            : new NsqErrorFrame("E_UNEXPECTED", $"answered \"{answer.Text}\" instead of OK");
    }

    private async Task<NsqErrorFrame?> SendHttpAsync(Uri nsqd, string path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(body);
        using var response = await _httpClient!.PostAsync(new Uri(nsqd, path), content, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return null;
        }

        // nsqd's HTTP errors are {"message":"E_..."} or a bare code.
        var code = text.Contains("E_", StringComparison.Ordinal) ? text[text.IndexOf("E_", StringComparison.Ordinal)..].Split('"', ' ', '}')[0] : $"HTTP_{(int)response.StatusCode}";
        return (int)response.StatusCode is >= 400 and < 500
            ? new NsqErrorFrame(code.StartsWith("E_", StringComparison.Ordinal) ? code : "E_BAD_MESSAGE", text)
            : new NsqErrorFrame(code, text);
    }
}

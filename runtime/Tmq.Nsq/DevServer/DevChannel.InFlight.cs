namespace Tmq.Nsq.DevServer;

/// <summary>
/// The in-flight side of a channel: FIN, REQ and TOUCH of a client's deliveries, and the scan that
/// requeues timed-out deliveries and releases deferred messages.
/// </summary>
/// <remarks>
/// Times come from the broker's time provider; <see cref="Scan"/> runs every 100 ms, as nsqd's
/// queue scan does, so a timeout or deferral is late by up to that much, as in nsqd.
/// </remarks>
internal sealed partial class DevChannel
{
    /// <summary>FIN: the message is done.</summary>
    public string? Finish(DevClient client, string id)
    {
        var error = TakeInFlight(client, id, out _);
        if (error is null)
        {
            client.FinishCount++;
            client.InFlightCount--;
            Pump();
        }

        return error;
    }

    /// <summary>REQ: back to the queue at once, or deferred by <paramref name="delay"/>.</summary>
    public string? Requeue(DevClient client, string id, TimeSpan delay)
    {
        var error = TakeInFlight(client, id, out var message);
        if (error is null)
        {
            RequeueCount++;
            client.RequeueCount++;
            client.InFlightCount--;
            if (delay > TimeSpan.Zero)
            {
                _deferred.Enqueue(message!, _broker.Now + delay);
            }
            else
            {
                Enqueue(message!);
            }

            Pump();
        }

        return error;
    }

    /// <summary>TOUCH: the deadline moves to now plus the client's msg_timeout, never past delivery plus max_msg_timeout.</summary>
    public string? Touch(DevClient client, string id)
    {
        var error = Owned(client, id, out var message);
        if (error is not null)
        {
            return error;
        }

        var deadline = _broker.Now + client.MsgTimeout;
        var limit = message!.DeliveredAt + _broker.Options.MaxMsgTimeout;
        message.Deadline = deadline >= limit ? limit : deadline;
        return null;
    }

    /// <summary>Requeues timed-out deliveries and queues deferred messages whose time came.</summary>
    public void Scan(DateTimeOffset now)
    {
        List<DevMessage>? expired = null;
        foreach (var message in _inFlight.Values)
        {
            if (message.Deadline <= now)
            {
                (expired ??= []).Add(message);
            }
        }

        foreach (var message in expired ?? [])
        {
            _inFlight.Remove(message.Id);
            TimeoutCount++;
            var owner = _clients.Find(c => c.Id == message.ClientId);
            if (owner is not null)
            {
                owner.InFlightCount--;
            }

            Enqueue(message);
        }

        while (_deferred.TryPeek(out var message, out var due) && due <= now)
        {
            _deferred.Dequeue();
            Enqueue(message);
        }

        Pump();
    }

    private string? TakeInFlight(DevClient client, string id, out DevMessage? message)
    {
        var error = Owned(client, id, out message);
        if (error is null)
        {
            _inFlight.Remove(id);
        }

        return error;
    }

    /// <summary>nsqd's error texts: the id must be in flight, delivered to this client.</summary>
    private string? Owned(DevClient client, string id, out DevMessage? message) =>
        !_inFlight.TryGetValue(id, out message) ? "ID not in flight"
        : message.ClientId != client.Id ? "client does not own message"
        : null;
}

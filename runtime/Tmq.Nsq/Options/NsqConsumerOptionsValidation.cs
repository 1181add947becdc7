namespace Tmq.Nsq;

/// <summary>The NSQ consumer's own checks, in the runtime's message style.</summary>
internal static class NsqConsumerOptionsValidation
{
    public static void Validate(NsqConsumerOptions options, string path, List<string> errors)
    {
        void Fail(string setting, string problem) => errors.Add(ConsumerOptionsValidator.Problem($"{path}:{setting}", problem));

        if (!string.IsNullOrWhiteSpace(options.Group))
        {
            Fail("Group", $"is \"{options.Group}\", but NSQ has channels, not consumer groups; rename Group to Channel");
        }

        if (!string.IsNullOrWhiteSpace(options.Topic) && !NsqNames.IsValid(options.Topic))
        {
            Fail("Topic", $"is \"{options.Topic}\"; an NSQ topic name is {NsqNames.Rule}");
        }
        else if (!string.IsNullOrWhiteSpace(options.Topic) && options.DeadLetter is not null &&
                 (options.Retry?.OnExhausted != ExhaustedPolicy.Stop || !string.IsNullOrWhiteSpace(options.DeadLetter.Topic)) &&
                 options.DeadLetter.ResolveTopic(options.Topic) is var deadLetters && !NsqNames.IsValid(deadLetters))
        {
            Fail("DeadLetter:Topic", string.IsNullOrWhiteSpace(options.DeadLetter.Topic)
                ? $"is not set, so it is the topic plus \".dlq\" (\"{deadLetters}\"), which is not an NSQ topic name ({NsqNames.Rule}); set a shorter one"
                : $"is \"{options.DeadLetter.Topic}\"; an NSQ topic name is {NsqNames.Rule}");
        }

        if (options.Channel is { Length: > 0 } channel && !NsqNames.IsValid(channel))
        {
            Fail("Channel", $"is \"{channel}\"; an NSQ channel name is {NsqNames.Rule}");
        }

        var nsq = options.Nsq;
        if (nsq is null)
        {
            Fail("Nsq", "is empty; set Nsq:Lookupd (nsqlookupd HTTP addresses) or Nsq:Nsqd (nsqd TCP addresses)");
            return;
        }

        var lookupd = nsq.Lookupd ?? [];
        var nsqd = nsq.Nsqd ?? [];
        if (lookupd.Count == 0 && nsqd.Count == 0)
        {
            Fail("Nsq:Lookupd", "is empty and so is Nsq:Nsqd; the consumer needs nsqlookupd HTTP addresses (e.g. [\"http://127.0.0.1:4161\"]) or nsqd TCP addresses (e.g. [\"127.0.0.1:4150\"])");
        }

        foreach (var address in lookupd.Where(a => !NsqAddress.TryParseLookupd(a, out _)))
        {
            Fail("Nsq:Lookupd", $"holds \"{address}\"; an nsqlookupd address is its HTTP address, e.g. \"http://127.0.0.1:4161\"");
        }

        foreach (var address in nsqd.Where(a => !NsqAddress.TryParse(a, out _)))
        {
            Fail("Nsq:Nsqd", $"holds \"{address}\"; an nsqd address is {NsqAddress.Rule}");
        }

        if (nsq.MaxInFlight is < 1 or > 1_000_000)
        {
            Fail("Nsq:MaxInFlight", $"is {nsq.MaxInFlight}; it must be between 1 and 1,000,000");
        }

        if (nsq.LookupdPollInterval < TimeSpan.FromSeconds(1))
        {
            Fail("Nsq:LookupdPollInterval", $"is {nsq.LookupdPollInterval}; it must be at least 1 second, e.g. \"00:01:00\"");
        }

        if (nsq.DepthPollInterval != TimeSpan.Zero && nsq.DepthPollInterval < TimeSpan.FromSeconds(1))
        {
            Fail("Nsq:DepthPollInterval", $"is {nsq.DepthPollInterval}; it must be 0 (off) or at least 1 second, e.g. \"00:00:30\"");
        }

        if (nsq.MsgTimeout is { } msgTimeout && msgTimeout < TimeSpan.FromSeconds(1))
        {
            Fail("Nsq:MsgTimeout", $"is {msgTimeout}; nsqd needs at least 1 second (remove it to use nsqd's --msg-timeout)");
        }

        if (nsq.ReconnectDelay <= TimeSpan.Zero || nsq.MaxReconnectDelay < nsq.ReconnectDelay)
        {
            Fail("Nsq:ReconnectDelay", $"is {nsq.ReconnectDelay} with MaxReconnectDelay {nsq.MaxReconnectDelay}; it must be positive and at most MaxReconnectDelay");
        }

        if (nsq.MaxRequeueDelay < TimeSpan.Zero)
        {
            Fail("Nsq:MaxRequeueDelay", $"is {nsq.MaxRequeueDelay}; it must not be negative (nsqd's --max-req-timeout, 01:00:00 by default)");
        }

        ValidateClient(nsq, $"{path}:Nsq", errors);
    }

    /// <summary>Checks shared by the consumer's Nsq block and the producer's section.</summary>
    public static void ValidateClient(NsqClientSettings settings, string path, List<string> errors)
    {
        void Fail(string setting, string problem) => errors.Add(ConsumerOptionsValidator.Problem($"{path}:{setting}", problem));

        if (settings.HeartbeatInterval < TimeSpan.FromSeconds(1) || settings.HeartbeatInterval > TimeSpan.FromMinutes(1))
        {
            Fail("HeartbeatInterval", $"is {settings.HeartbeatInterval}; nsqd accepts 1 second to 1 minute (its --max-heartbeat-interval)");
        }

        if (settings.DeflateLevel is < 1 or > 9)
        {
            Fail("DeflateLevel", $"is {settings.DeflateLevel}; it must be between 1 and 9");
        }

        if (settings.MaxMessageBytes < 1)
        {
            Fail("MaxMessageBytes", $"is {settings.MaxMessageBytes}; it must be positive (nsqd's --max-msg-size, 1048576 by default)");
        }

        if (settings.ConnectionsPerNsqd is < 1 or > 16)
        {
            Fail("ConnectionsPerNsqd", $"is {settings.ConnectionsPerNsqd}; it must be between 1 and 16");
        }

        if (settings.ConnectTimeout <= TimeSpan.Zero)
        {
            Fail("ConnectTimeout", $"is {settings.ConnectTimeout}; it must be positive, e.g. \"00:00:05\"");
        }

        foreach (var (setting, file) in new[] { ("TlsCaFile", settings.TlsCaFile), ("TlsCertFile", settings.TlsCertFile), ("TlsKeyFile", settings.TlsKeyFile) })
        {
            if (!string.IsNullOrWhiteSpace(file) && !File.Exists(file))
            {
                Fail(setting, $"is \"{file}\", which does not exist");
            }
        }

        if (string.IsNullOrWhiteSpace(settings.TlsCertFile) != string.IsNullOrWhiteSpace(settings.TlsKeyFile))
        {
            Fail("TlsCertFile", "and TlsKeyFile go together: set both (a client certificate and its key) or neither");
        }
    }
}

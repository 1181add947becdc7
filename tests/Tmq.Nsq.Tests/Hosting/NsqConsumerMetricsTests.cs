using System.Diagnostics.Metrics;
using System.Text;
using Tmq.Nsq.Tests.Fakes;
using Tmq.Tests.Shared;

namespace Tmq.Nsq.Tests.Hosting;

public sealed class NsqConsumerMetricsTests
{
    [Fact]
    public async Task Start_BeforeAnyMessage_EveryCounterSeriesIsThereAtZero()
    {
        await using var nsqd = ScriptedNsqd.Start();
        using var counters = new CounterRecorder("metrics-zero");

        await using var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["Consumers:main:Channel"] = "metrics-zero",
                ["Consumers:main:Nsq:Nsqd:0"] = $"127.0.0.1:{nsqd.EndPoint.Port}",
            },
            static (_, _) => Task.CompletedTask);

        // A retry may be a REQ, so requeue is there too; rebalances are not: NSQ has no consumer groups to rebalance.
        string[] expected =
        [
            "messaging.client.consumed.messages", "tmq.dead_letter.write_failures",
            "tmq.consumer.outcomes{success}", "tmq.consumer.outcomes{retry}", "tmq.consumer.outcomes{requeue}",
            "tmq.consumer.outcomes{dead_letter}", "tmq.consumer.outcomes{stopped}", "tmq.consumer.outcomes{cancelled}",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), counters.Series.Order(StringComparer.Ordinal));
        Assert.All(expected, series => Assert.Equal(0, counters.Total(series)));
    }

    [Theory]
    [MemberData(nameof(TestBroker.KindsWithLookupd), MemberType = typeof(TestBroker))]
    public async Task Depth_PausedConsumerOverABacklog_ReportsTheChannelDepthOfItsNsqd(string kind)
    {
        await using var broker = await TestBroker.StartAsync(kind);
        await broker.CreateChannelAsync("depth", "depth-ch");
        for (var i = 0; i < 5; i++)
        {
            await broker.PublishAsync("depth", Encoding.ASCII.GetBytes($"m{i}"));
        }

        using var depth = new DepthReader("depth-ch");
        await using var host = await NsqTestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["Consumers:main:Topic"] = "depth",
                ["Consumers:main:Channel"] = "depth-ch",
                ["Consumers:main:Paused"] = "true",
                ["Consumers:main:Nsq:Lookupd:0"] = broker.LookupdHttpAddress!.ToString(),
                ["Consumers:main:Nsq:DepthPollInterval"] = "00:00:01",
            },
            static (_, _) => Task.CompletedTask);

        // Paused takes nothing (RDY 0): all five wait, on the nsqd lookupd named, asked at the HTTP port lookupd gave.
        await Eventually.TrueAsync(
            () => depth.Read() is [var only] && only.Server.EndsWith($":{broker.TcpEndPoint.Port}", StringComparison.Ordinal) && only.Depth == 5,
            $"tmq.consumer.depth never reported 5 for nsqd {broker.TcpAddress}: {string.Join(", ", depth.Read())}");
    }

    /// <summary>Reads the tmq.consumer.depth gauge of one channel on demand.</summary>
    private sealed class DepthReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Server, long Depth)> _read = [];

        public DepthReader(string channel)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Tmq" && instrument.Name == "tmq.consumer.depth")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? server = null;
                var ours = false;
                foreach (var tag in tags)
                {
                    server = tag.Key == "server.address" ? tag.Value as string : server;
                    ours |= tag.Key == "messaging.consumer.group.name" && Equals(tag.Value, channel);
                }

                if (ours && server is not null)
                {
                    _read.Add((server, value));
                }
            });
            _listener.Start();
        }

        public List<(string Server, long Depth)> Read()
        {
            lock (_read)
            {
                _read.Clear();
                _listener.RecordObservableInstruments();
                return [.. _read];
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Tmq.Nsq.Tests.Fakes;

namespace Tmq.Nsq.Tests.DevServer;

public sealed class DevNsqdHttpTests
{
    [Fact]
    public async Task Pub_Http_DeliveredToSubscriber()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        using var http = new HttpClient { BaseAddress = nsqd.HttpAddress };
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SubscribeAsync("orders", "audit", ready: 1);

        using var response = await http.PostAsync(new Uri("pub?topic=orders", UriKind.Relative), new ByteArrayContent("over http"u8.ToArray()));

        Assert.Equal((HttpStatusCode.OK, "OK"), (response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.Equal("over http", Encoding.UTF8.GetString((await client.ReadMessageAsync()).Body.Span));
    }

    [Fact]
    public async Task Pub_EmptyBody_400MsgEmpty()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        using var http = new HttpClient { BaseAddress = nsqd.HttpAddress };

        using var response = await http.PostAsync(new Uri("pub?topic=orders", UriKind.Relative), new ByteArrayContent([]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("{\"message\":\"MSG_EMPTY\"}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Mpub_TextAndBinary_PublishesEachMessage()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        using var http = new HttpClient { BaseAddress = nsqd.HttpAddress };

        using var text = await http.PostAsync(new Uri("mpub?topic=orders", UriKind.Relative), new StringContent("a\nb\n\nc"));
        using var binary = await http.PostAsync(new Uri("mpub?topic=orders&binary=true", UriKind.Relative), new ByteArrayContent([0, 0, 0, 2, 0, 0, 0, 1, (byte)'d', 0, 0, 0, 1, (byte)'e']));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (text.StatusCode, binary.StatusCode));
        Assert.Equal(5, nsqd.GetTopicStats("orders")!.MessageCount);
    }

    [Fact]
    public async Task Stats_Json_HasNsqdFields()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        using var http = new HttpClient { BaseAddress = nsqd.HttpAddress };
        await using var client = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await using var producer = await RawNsqClient.ConnectAsync(nsqd.TcpEndPoint);
        await client.SubscribeAsync("orders", "audit", ready: 1);
        await producer.PublishAsync("orders", "one");
        await producer.PublishAsync("orders", "two");
        await client.ReadMessageAsync();

        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri("stats?format=json", UriKind.Relative)));

        var root = json.RootElement;
        Assert.Equal(["version", "health", "start_time", "topics", "memory", "producers"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("1.3.0", "OK"), (root.GetProperty("version").GetString(), root.GetProperty("health").GetString()));
        var topic = root.GetProperty("topics").EnumerateArray().Single(t => t.GetProperty("topic_name").GetString() == "orders");
        Assert.Equal(
            ["topic_name", "channels", "depth", "backend_depth", "message_count", "message_bytes", "paused", "e2e_processing_latency"],
            topic.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, topic.GetProperty("message_count").GetInt64());
        var channel = topic.GetProperty("channels").EnumerateArray().Single();
        Assert.Equal(
            ["channel_name", "depth", "backend_depth", "in_flight_count", "deferred_count", "message_count", "requeue_count", "timeout_count", "client_count", "clients", "paused", "e2e_processing_latency"],
            channel.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("audit", 1, 1, 2, 1), (
            channel.GetProperty("channel_name").GetString(),
            channel.GetProperty("depth").GetInt32(),
            channel.GetProperty("in_flight_count").GetInt32(),
            channel.GetProperty("message_count").GetInt32(),
            channel.GetProperty("client_count").GetInt32()));
        var consumer = channel.GetProperty("clients").EnumerateArray().Single();
        Assert.Equal((3, 1, 1), (consumer.GetProperty("state").GetInt32(), consumer.GetProperty("ready_count").GetInt32(), consumer.GetProperty("in_flight_count").GetInt32()));
        var pubCount = root.GetProperty("producers").EnumerateArray().Single().GetProperty("pub_counts").EnumerateArray().Single(p => p.GetProperty("topic").GetString() == "orders");
        Assert.Equal(2, pubCount.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Lookup_KnownTopic_AnswersChannelsAndThisNsqd()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        using var http = new HttpClient();
        using (await http.PostAsync(new Uri(nsqd.HttpAddress, "topic/create?topic=orders"), null))
        {
        }

        using (await http.PostAsync(new Uri(nsqd.HttpAddress, "channel/create?topic=orders&channel=audit"), null))
        {
        }

        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri(nsqd.LookupdHttpAddress, "lookup?topic=orders")));

        Assert.Equal(["audit"], json.RootElement.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
        var producer = json.RootElement.GetProperty("producers").EnumerateArray().Single();
        Assert.Equal(["remote_address", "hostname", "broadcast_address", "tcp_port", "http_port", "version"], producer.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("127.0.0.1", nsqd.TcpEndPoint.Port, nsqd.HttpAddress.Port), (
            producer.GetProperty("broadcast_address").GetString(),
            producer.GetProperty("tcp_port").GetInt32(),
            producer.GetProperty("http_port").GetInt32()));
    }

    [Fact]
    public async Task Lookup_UnknownTopic_404TopicNotFound()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(nsqd.LookupdHttpAddress, "lookup?topic=nothing"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("{\"message\":\"TOPIC_NOT_FOUND\"}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Nodes_OneTopic_ListsThisNsqdWithIt()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await nsqd.PublishAsync("orders", "x"u8.ToArray());
        using var http = new HttpClient();

        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri(nsqd.LookupdHttpAddress, "nodes")));

        var node = json.RootElement.GetProperty("producers").EnumerateArray().Single();
        Assert.Equal(["orders"], node.GetProperty("topics").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([false], node.GetProperty("tombstones").EnumerateArray().Select(t => t.GetBoolean()));
    }

    [Fact]
    public async Task Request_Malformed_400AndServerKeepsServing()
    {
        await using var nsqd = await DevNsqd.StartAsync();
        await using (var raw = await RawNsqClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, nsqd.HttpAddress.Port), sendMagic: false))
        {
            await raw.SendRawAsync("NOT HTTP AT ALL\r\n\r\n"u8.ToArray());
            var answer = new byte[12];
            await raw.Network.ReadExactlyAsync(answer);
            Assert.Equal("HTTP/1.1 400", Encoding.ASCII.GetString(answer));
        }

        using var http = new HttpClient();
        Assert.Equal("OK", await http.GetStringAsync(new Uri(nsqd.HttpAddress, "ping")));
    }
}

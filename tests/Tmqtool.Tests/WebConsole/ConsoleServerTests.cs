using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tmq.Control;
using Tmqtool.WebConsole;

namespace Tmqtool.Tests.WebConsole;

/// <summary>The console's HTTP surface over real TCP, with a broker that records what the buttons ask.</summary>
public sealed class ConsoleServerTests
{
    private const string Token = "0123456789abcdef0123";

    [Fact]
    public async Task Get_PageAndState_ServedWithoutInlineScriptAllowed()
    {
        await using var console = await TestConsole.StartAsync(token: null);

        using var page = await console.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<script src=\"/console.js\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        var state = JsonNode.Parse(await console.Client.GetStringAsync("/api/state"))!;
        Assert.Equal("Recording broker", state["broker"]!.GetValue<string>());
        Assert.Equal("shop.orders.consumer", state["services"]![0]!["service"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_ForeignHostOnLoopback_IsRefused()
    {
        await using var console = await TestConsole.StartAsync(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/state");
        request.Headers.Host = "attacker.example";

        using var response = await console.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Post_WithoutTheConsoleHeader_IsRefusedAndNothingIsSent()
    {
        await using var console = await TestConsole.StartAsync(token: null);

        using var response = await console.Client.PostAsync("/api/pause", new StringContent("{\"service\":\"shop.orders.consumer\",\"consumer\":\"main\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(console.Broker.Calls);
    }

    [Fact]
    public async Task Post_PauseAndResume_ReachTheBrokerForThatConsumer()
    {
        await using var console = await TestConsole.StartAsync(token: null);

        var paused = await console.ActAsync("/api/pause", new JsonObject { ["service"] = "shop.orders.consumer", ["consumer"] = "main" });
        var resumed = await console.ActAsync("/api/resume", new JsonObject { ["service"] = "shop.orders.consumer", ["consumer"] = "main" });

        Assert.True(paused["ok"]!.GetValue<bool>());
        Assert.True(resumed["ok"]!.GetValue<bool>());
        Assert.Equal(["pause shop.orders.consumer/main True", "pause shop.orders.consumer/main False"], console.Broker.Calls);
        var notes = JsonNode.Parse(await console.Client.GetStringAsync("/api/state"))!["notes"]!.AsArray().Select(n => n!["text"]!.GetValue<string>()).ToList();
        Assert.Contains("pause shop.orders.consumer, consumer main: done. sent", notes);
    }

    [Theory]
    [InlineData("/api/pause", "{\"service\":\"Not A Psm\",\"consumer\":\"main\"}")]
    [InlineData("/api/pause", "{\"service\":\"shop.orders.consumer\",\"consumer\":\"bad name!\"}")]
    [InlineData("/api/resume", "{\"service\":\"shop.orders.consumer\"}")]
    [InlineData("/api/replay", "{\"topic\":\"orders\"}")]
    [InlineData("/api/replay", "not json")]
    public async Task Post_InvalidOrUnknownTarget_IsABadRequestAndNothingIsSent(string path, string body)
    {
        await using var console = await TestConsole.StartAsync(token: null);

        using var response = await console.PostAsync(path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(console.Broker.Calls);
    }

    [Fact]
    public async Task Post_ReplayOfAReportedDeadLetterTopic_ReachesTheBroker()
    {
        await using var console = await TestConsole.StartAsync(token: null);

        var answer = await console.ActAsync("/api/replay", new JsonObject { ["topic"] = "orders.dlq" });

        Assert.True(answer["ok"]!.GetValue<bool>());
        Assert.Equal(["replay orders.dlq"], console.Broker.Calls);
    }

    [Fact]
    public async Task Token_MissingOrWrong_IsRefused()
    {
        await using var console = await TestConsole.StartAsync(Token);

        using var none = await console.Client.GetAsync("/api/state");
        using var wrongLink = await console.Client.GetAsync("/?token=" + Token.ToUpperInvariant());
        using var wrongBearer = new HttpRequestMessage(HttpMethod.Get, "/api/state");
        wrongBearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "nope-nope-nope-nope");
        using var wrong = await console.Client.SendAsync(wrongBearer);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongLink.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task Token_PrintedAddress_SetsACookieThatOpensThePageAndTheApi()
    {
        await using var console = await TestConsole.StartAsync(Token);
        Assert.EndsWith("?token=" + Token, console.Server.OpenAddress, StringComparison.Ordinal);

        using var link = await console.Client.GetAsync("/?token=" + Token);
        Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        var cookie = link.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        using var withCookie = new HttpRequestMessage(HttpMethod.Get, "/api/state");
        withCookie.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var state = await console.Client.SendAsync(withCookie);
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);

        using var withBearer = new HttpRequestMessage(HttpMethod.Get, "/api/state");
        withBearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var bearer = await console.Client.SendAsync(withBearer);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
    }

    [Fact]
    public async Task Get_AnyLoopbackAddressAsHost_IsServed()
    {
        await using var console = await TestConsole.StartAsync(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/state");
        request.Headers.Host = "127.0.0.2";

        using var response = await console.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_PauseOfAConsumerNoInstanceReports_IsABadRequestAndNothingIsSent()
    {
        await using var console = await TestConsole.StartAsync(token: null);

        using var response = await console.PostAsync("/api/pause", "{\"service\":\"shop.orders.consumer\",\"consumer\":\"other\"}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("no live instance of shop.orders.consumer reports a consumer other", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(console.Broker.Calls);
    }

    [Fact]
    public async Task Post_ActionThatThrows_AnswersFailedAndTheLogSaysWhy()
    {
        await using var console = await TestConsole.StartAsync(token: null);
        console.Broker.Failure = new IOException("nsqd refused the topic");

        var answer = await console.ActAsync("/api/replay", new JsonObject { ["topic"] = "orders.dlq" });

        Assert.False(answer["ok"]!.GetValue<bool>());
        var notes = JsonNode.Parse(await console.Client.GetStringAsync("/api/state"))!["notes"]!.AsArray().Select(n => n!["text"]!.GetValue<string>()).ToList();
        Assert.Contains("replay orders.dlq: failed. IOException: nsqd refused the topic", notes);
    }

    [Fact]
    public async Task Post_PauseWhileAReplayRuns_DoesNotWaitForIt()
    {
        await using var console = await TestConsole.StartAsync(token: null);
        console.Broker.ReplayGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var replay = console.ActAsync("/api/replay", new JsonObject { ["topic"] = "orders.dlq" });

        var paused = await console.ActAsync("/api/pause", new JsonObject { ["service"] = "shop.orders.consumer", ["consumer"] = "main" });

        Assert.True(paused["ok"]!.GetValue<bool>());
        Assert.False(replay.IsCompleted);
        console.Broker.ReplayGate.SetResult();
        Assert.True((await replay)["ok"]!.GetValue<bool>());
    }

    private sealed class RecordingBroker : IConsoleBroker
    {
        public List<string> Calls { get; } = [];

        public Exception? Failure { get; set; }

        public TaskCompletionSource? ReplayGate { get; set; }

        public string Describe => "Recording broker";

        public Task FollowAsync(ConsoleState state, CancellationToken stop) => Task.CompletedTask;

        public Task<ConsoleActionResult> PauseAsync(string service, string consumer, bool paused, CancellationToken stop)
        {
            lock (Calls)
            {
                Calls.Add($"pause {service}/{consumer} {paused}");
            }

            return Task.FromResult(new ConsoleActionResult(true, "sent"));
        }

        public async Task<ConsoleActionResult> ReplayAsync(string deadLetterTopic, CancellationToken stop)
        {
            lock (Calls)
            {
                Calls.Add("replay " + deadLetterTopic);
            }

            if (Failure is { } failure)
            {
                throw failure;
            }

            if (ReplayGate is { } gate)
            {
                await gate.Task;
            }

            return new ConsoleActionResult(true, "replayed");
        }
    }

    private sealed class TestConsole : IAsyncDisposable
    {
        private TestConsole(ConsoleServer server, RecordingBroker broker)
        {
            Server = server;
            Broker = broker;
            Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server.Address };
        }

        public ConsoleServer Server { get; }

        public RecordingBroker Broker { get; }

        public HttpClient Client { get; }

        public static async Task<TestConsole> StartAsync(string? token)
        {
            var state = new ConsoleState(TimeProvider.System, TimeSpan.FromMinutes(10));
            state.Report(new InstanceStatus
            {
                Service = "shop.orders.consumer",
                Instance = "host/1/abc",
                Host = "host",
                StartedAt = DateTimeOffset.UtcNow,
                SentAt = DateTimeOffset.UtcNow,
                Interval = TimeSpan.FromSeconds(5),
                Consumers = [new ConsumerStatusReport { Name = "main", System = "kafka", Topic = "orders", DeadLetterTopic = "orders.dlq" }],
            });
            var broker = new RecordingBroker();
            var settings = new ConsoleSettings(IPAddress.Loopback, 0, token, "tmq.status", "tmq.control", TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(5));
            return new TestConsole(await ConsoleServer.StartAsync(settings, broker, state, CancellationToken.None), broker);
        }

        public Task<HttpResponseMessage> PostAsync(string path, string body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add(ConsoleServer.ActionHeader, "1");
            return Client.SendAsync(request);
        }

        public async Task<JsonNode> ActAsync(string path, JsonObject body)
        {
            using var response = await PostAsync(path, body.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Server.DisposeAsync();
        }
    }
}

using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tmqtool.Commands;
using Tmqtool.Validation;

namespace Tmqtool.WebConsole;

/// <summary>
/// The web console: one page (<c>/</c>, with <c>/console.js</c> and <c>/console.css</c>, embedded)
/// that polls <c>/api/state</c>, and three actions: <c>POST /api/pause</c>, <c>/api/resume</c>
/// (<c>{"service","consumer"}</c>) and <c>/api/replay</c> (<c>{"topic"}</c>, a dead-letter topic a
/// report names). Pause and resume run one at a time, and so does replay.
/// </summary>
/// <remarks>
/// Guarded as a local tool that can pause production should be: with a token, every request
/// carries it (the cookie <c>/?token=</c> sets, or <c>Authorization: Bearer</c>); on loopback
/// without one, only a loopback Host is served (a web page cannot rebind a name of its own to
/// 127.0.0.1 and drive the console); an action needs the <c>X-Tmq-Console</c> header and a JSON
/// body, which no other site's form or image can send; the page runs no inline script.
/// </remarks>
internal sealed class ConsoleServer : IAsyncDisposable
{
    internal const string TokenCookie = "tmq_console";
    internal const string ActionHeader = "X-Tmq-Console";
    private const string Security = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'";

    private readonly WebApplication _app;
    private readonly ConsoleSettings _settings;
    private readonly IConsoleBroker _broker;
    private readonly ConsoleState _state;
    // One control action and one replay at a time; a pause never waits behind a long replay.
    private readonly SemaphoreSlim _oneControl = new(1, 1);
    private readonly SemaphoreSlim _oneReplay = new(1, 1);

    private ConsoleServer(WebApplication app, ConsoleSettings settings, IConsoleBroker broker, ConsoleState state)
    {
        _app = app;
        _settings = settings;
        _broker = broker;
        _state = state;
    }

    /// <summary>Where the page is, as bound (the port 0 asked for resolved), without the token.</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Binds and starts serving; throws <see cref="IOException"/> when the address is taken.</summary>
    public static async Task<ConsoleServer> StartAsync(ConsoleSettings settings, IConsoleBroker broker, ConsoleState state, CancellationToken cancellationToken)
    {
        // The empty builder reads no appsettings.json and no ASPNETCORE_* variable: the user's own
        // service folder, where the console is often started, cannot move it to another address.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            kestrel.Listen(settings.Listen, settings.Port);
        });
        builder.Services.AddRoutingCore();

        // The tool's own StopSignal handles Ctrl+C and SIGTERM (a second one ends the process); the
        // host's console lifetime would take them too.
        builder.Services.AddSingleton<IHostLifetime, ToolLifetime>();
        var app = builder.Build();
        var server = new ConsoleServer(app, settings, broker, state);
        server.Map();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reports no address.");
        server.Address = new Uri(bound.EndsWith('/') ? bound : bound + "/");
        return server;
    }

    /// <summary>
    /// The address to open, with the token when there is one: on every interface (0.0.0.0 or ::),
    /// this machine's name, which other machines can reach, rather than the wildcard.
    /// </summary>
    public string OpenAddress
    {
        get
        {
            var address = _settings.Listen.Equals(IPAddress.Any) || _settings.Listen.Equals(IPAddress.IPv6Any)
                ? new UriBuilder(Address) { Host = Dns.GetHostName() }.Uri
                : Address;
            return _settings.Token is { } token ? $"{address}?token={Uri.EscapeDataString(token)}" : address.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _oneControl.Dispose();
        _oneReplay.Dispose();
    }

    private void Map()
    {
        _app.Use(Guard);
        _app.MapGet("/", () => Asset("console.html", "text/html; charset=utf-8"));
        _app.MapGet("/console.js", () => Asset("console.js", "text/javascript; charset=utf-8"));
        _app.MapGet("/console.css", () => Asset("console.css", "text/css; charset=utf-8"));
        _app.MapGet("/api/state", () => Results.Text(_state.Snapshot(_broker.Describe).ToJsonString(), "application/json"));
        _app.MapPost("/api/pause", (Delegate)((HttpContext context) => PauseAsync(context, paused: true)));
        _app.MapPost("/api/resume", (Delegate)((HttpContext context) => PauseAsync(context, paused: false)));
        _app.MapPost("/api/replay", (Delegate)ReplayAsync);
        _app.MapFallback(() => Results.NotFound());
    }

    private async Task Guard(HttpContext context, RequestDelegate next)
    {
        var response = context.Response;
        response.Headers.ContentSecurityPolicy = Security;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";
        var request = context.Request;
        if (IPAddress.IsLoopback(_settings.Listen) && !IsLoopbackHost(request.Host.Host))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, $"This console serves only 127.0.0.1 and localhost, not {request.Host.Host}.").ConfigureAwait(false);
            return;
        }

        if (_settings.Token is { } token)
        {
            if (request.Method == HttpMethods.Get && request.Path == "/" && request.Query["token"] is { Count: 1 } given)
            {
                if (!Same(given[0] ?? "", token))
                {
                    await Refuse(context, StatusCodes.Status401Unauthorized, "That is not this console's token.").ConfigureAwait(false);
                    return;
                }

                response.Cookies.Append(TokenCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true });
                response.Redirect("/");
                return;
            }

            var carried = request.Cookies[TokenCookie]
                ?? (request.Headers.Authorization.ToString() is { } authorization && authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : null);
            if (carried is null || !Same(carried, token))
            {
                await Refuse(context, StatusCodes.Status401Unauthorized, "This console needs its token: open the address tmqtool console printed, which carries it.").ConfigureAwait(false);
                return;
            }
        }

        if (request.Method != HttpMethods.Get &&
            (request.Headers[ActionHeader] != "1" || request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)))
        {
            await Refuse(context, StatusCodes.Status403Forbidden, $"An action needs the {ActionHeader} header and a JSON body: the console's own page sends them.").ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);

        static bool IsLoopbackHost(string host) =>
            host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) ||
            (IPAddress.TryParse(host.Trim('[', ']'), out var literal) && IPAddress.IsLoopback(literal));

        static bool Same(string given, string token) =>
            CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));

        static Task Refuse(HttpContext context, int status, string message)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync(message + "\n");
        }
    }

    private async Task<IResult> PauseAsync(HttpContext context, bool paused)
    {
        var body = await ReadAsync(context).ConfigureAwait(false);
        var service = body?["service"] is JsonValue s && s.TryGetValue<string>(out var sv) ? sv : null;
        var consumer = body?["consumer"] is JsonValue c && c.TryGetValue<string>(out var cv) ? cv : null;
        try
        {
            service = Psm.Validate(service, "service");
        }
        catch (InputException e)
        {
            return Results.BadRequest(new { ok = false, message = e.Message });
        }

        if (consumer is null || !ControlCommand.IsConsumerName(consumer))
        {
            return Results.BadRequest(new { ok = false, message = $"consumer must be {ControlCommand.ConsumerRule}." });
        }

        if (!_state.IsConsumer(service, consumer))
        {
            return Results.BadRequest(new { ok = false, message = $"no live instance of {service} reports a consumer {consumer}; tmqtool {(paused ? "pause" : "resume")} --consumer reaches any." });
        }

        var verb = paused ? "pause" : "resume";
        return await ActAsync($"{verb} {service}, consumer {consumer}", _oneControl, stop => _broker.PauseAsync(service, consumer, paused, stop), context.RequestAborted).ConfigureAwait(false);
    }

    private async Task<IResult> ReplayAsync(HttpContext context)
    {
        var body = await ReadAsync(context).ConfigureAwait(false);
        var topic = body?["topic"] is JsonValue t && t.TryGetValue<string>(out var tv) ? tv : null;
        if (topic is null || !_state.IsDeadLetterTopic(topic))
        {
            return Results.BadRequest(new { ok = false, message = "topic must be a dead-letter topic a running consumer reports." });
        }

        return await ActAsync($"replay {topic}", _oneReplay, stop => _broker.ReplayAsync(topic, stop), context.RequestAborted).ConfigureAwait(false);
    }

    private async Task<IResult> ActAsync(string what, SemaphoreSlim one, Func<CancellationToken, Task<ConsoleActionResult>> action, CancellationToken aborted)
    {
        // The action goes on if the page is closed meanwhile: a half-sent control message helps nobody.
        await one.WaitAsync(aborted).ConfigureAwait(false);
        try
        {
            _state.Note($"{what}: started");
            ConsoleActionResult result;
            try
            {
                result = await action(_app.Lifetime.ApplicationStopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !_app.Lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Whatever went wrong is said on the page, not as a bare HTTP 500.
                result = new ConsoleActionResult(false, $"{e.GetType().Name}: {e.Message}");
            }

            _state.Note($"{what}: {(result.Ok ? "done" : "failed")}. {result.Message}");
            return Results.Json(new { ok = result.Ok, message = result.Message });
        }
        finally
        {
            one.Release();
        }
    }

    /// <summary>Leaves Ctrl+C and SIGTERM to the tool (see <see cref="StopSignal"/>).</summary>
    private sealed class ToolLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static async Task<JsonObject?> ReadAsync(HttpContext context)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<JsonObject>(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult Asset(string name, string contentType)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("console/" + name)
            ?? throw new InvalidOperationException($"The tool was built without its embedded console/{name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Results.Text(reader.ReadToEnd(), contentType);
    }
}

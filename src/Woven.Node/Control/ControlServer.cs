using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Woven.Dht;
using Woven.Platform.State;

namespace Woven.Node.Control;

/// <summary>
/// The node's local control API: HTTP+JSON on a unix socket in the state directory (mode 0600, so only the owner
/// of the node can talk to it), and optionally on a loopback TCP port with a bearer token. Versioned under /v1.
/// </summary>
public sealed partial class ControlServer : IAsyncDisposable
{
    private readonly string _socketPath;
    private readonly WovenNode _node;
    private readonly ILoggerFactory _loggers;
    private WebApplication? _app;

    public ControlServer(string socketPath, WovenNode node, ILoggerFactory loggers)
    {
        _socketPath = socketPath;
        _node = node;
        _loggers = loggers;
    }

    /// <summary>Fails when another node answers on the socket; removes a stale socket left by a killed node.</summary>
    public async Task CheckNotRunningAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_socketPath)) return;
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), cancellationToken);
        }
        catch (SocketException)
        {
            File.Delete(_socketPath);
            return;
        }
        throw new StateException($"a node is already running with this state directory (control socket {_socketPath} answers); stop it first or use another --state-dir");
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        // Request bodies use the same snake_case names as the answers (ttl_s, not ttlS).
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenUnixSocket(_socketPath);
            ListenTcp(k);
        });
        var app = builder.Build();
        RequireTokenOnTcp(app);
        app.MapGet("/v1/status", () =>
        {
            var overlay = _node.Overlay!;
            var status = StatusDocument.From(overlay.Snapshot(), overlay.Identity.PublicKey, _node.TransportStatus())
                with
                {
                    Domain = (_node.Membership as Woven.Overlay.DomainMembership)?.Domain.Name,
                    Vnet = _node.Vnet is { } v ? overlay.Invoke(() => VnetDocument.From(v, _node.Claim, _node.TunName, _node.TunMtu)) : null,
                    Dht = _node.Dht is { } d ? overlay.Invoke(() => DhtDocument.From(d)) : null,
                };
            return Results.Json(status, ControlJson.Options);
        });
        app.MapPost("/v1/links/{address}", (string address) =>
        {
            if (!Woven.Addressing.RingAddress.TryParse(address, out var peer))
                return Results.Json(new { error = "address: expected 40 hex digits (a ring address, as woven status shows)" }, ControlJson.Options, statusCode: 400);
            _node.Overlay!.RequestLink(peer);
            return Results.Json(new { requested = peer.ToString() }, ControlJson.Options, statusCode: 202);
        });
        MapDht(app);
        MapPeers(app);
        MapMessaging(app);
        app.MapPost("/v1/ping", async (HttpRequest http) =>
        {
            PingRequest? request;
            try
            {
                request = await System.Text.Json.JsonSerializer.DeserializeAsync<PingRequest>(http.Body, ControlJson.Options);
            }
            catch (System.Text.Json.JsonException e)
            {
                return Error(400, $"body: not a JSON object of target and count ({e.Message})");
            }
            if (request is null || string.IsNullOrWhiteSpace(request.Target)) return Error(400, "target: give a name, a virtual address or a ring address");
            int count = request.Count ?? 4;
            if (count is < 1 or > 100) return Error(400, $"count: {count} is outside 1 to 100");
            var (address, vip, error) = await _node.ResolveAsync(request.Target.Trim());
            if (address is not { } peer) return Error(404, $"target: {error}");
            var rtts = new List<double?>();
            for (int i = 0; i < count; i++)
            {
                if (i > 0) await Task.Delay(200);
                var rtt = await _node.Echo!.PingAsync(peer, TimeSpan.FromSeconds(3));
                rtts.Add(rtt is { } r ? Math.Round(r.TotalMilliseconds, 3) : null);
            }
            var link = _node.Overlay!.Snapshot().Peers.FirstOrDefault(p => p.Address == peer);
            string path = link is null ? "none" : link.Relayed ? "relayed" : "direct";
            var received = rtts.Where(r => r is not null).Select(r => r!.Value).ToList();
            var doc = new PingDocument(request.Target, peer.ToString(), vip, path,
                link?.Via is { } via ? (via == peer ? "ring" : via.ToString()) : null,
                link is { Relayed: false } ? link.Endpoint?.ToString() : null,
                link is { Relayed: false } ? (link.Endpoint is Woven.Transport.TcpEndPoint ? "tcp" : "udp") : null,
                count, received.Count, rtts, received.Count > 0 ? Math.Round(received.Average(), 3) : null);
            return Results.Json(doc, ControlJson.Options, statusCode: received.Count > 0 ? 200 : 504);
        });
        app.MapFallback(() => Results.Json(new { error = "unknown endpoint; this node serves GET /v1/status, GET /v1/peers, POST /v1/links/ADDRESS, GET /v1/dht?key=NAME, POST /v1/dht/put|create|remove, POST /v1/ping, POST /v1/msg/send|request|bench, GET /v1/msg/listen|status and GET /v1/presence" }, ControlJson.Options, statusCode: 404));
        await app.StartAsync(cancellationToken);
        File.SetUnixFileMode(_socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _app = app;
    }

    /// <summary>The DHT: records written here are owned (signed) by this node's key. See docs/api.md.</summary>
    private void MapDht(WebApplication app)
    {
        app.MapGet("/v1/dht", async (string? key) =>
        {
            if (string.IsNullOrEmpty(key)) return Error(400, "key: give the record name, e.g. /v1/dht?key=service/printer");
            var result = await _node.Dht!.GetAsync(Woven.Dht.DhtRecord.KeyOf(key));
            return Answer(key, result);
        });
        app.MapPost("/v1/dht/{op}", async (string op, HttpRequest http) =>
        {
            if (op is not ("put" or "create" or "remove")) return Error(404, $"unknown DHT operation {op}: use put, create or remove");
            DhtWriteRequest? request;
            try
            {
                request = await System.Text.Json.JsonSerializer.DeserializeAsync<DhtWriteRequest>(http.Body, ControlJson.Options);
            }
            catch (System.Text.Json.JsonException e)
            {
                return Error(400, $"body: not a JSON object of key, value and ttl_s ({e.Message})");
            }
            if (request is null || string.IsNullOrEmpty(request.Key)) return Error(400, "key: the body must be JSON with a key, e.g. {\"key\": \"service/printer\", \"value\": \"10.0.0.7:631\", \"ttl_s\": 600}");
            var key = Woven.Dht.DhtRecord.KeyOf(request.Key);
            byte[]? value = request.Value is null ? null : System.Text.Encoding.UTF8.GetBytes(request.Value);
            var dht = _node.Dht!;
            try
            {
                if (op == "remove") return Answer(request.Key, await dht.RemoveOwnedAsync(key, value));
                if (value is null) return Error(400, $"value: {op} needs a value");
                var lease = TimeSpan.FromSeconds(request.TtlS ?? 3600);
                var result = op == "put" ? await dht.PutAsync(key, value, lease) : await dht.CreateAsync(key, value, lease);
                return Answer(request.Key, result);
            }
            catch (ArgumentException e)
            {
                return Error(400, e.Message.Replace(" (Parameter 'value')", "", StringComparison.Ordinal).Replace(" (Parameter 'lease')", "", StringComparison.Ordinal).Replace("lease:", "ttl_s:", StringComparison.Ordinal));
            }
        });
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, ControlJson.Options, statusCode: status);

    /// <summary>200 ok, 409 conflict (the holder's record comes with it), 503 unavailable or timeout, 400 invalid.</summary>
    private static IResult Answer(string name, Woven.Dht.DhtResult result)
    {
        int code = result.Status switch
        {
            Woven.Dht.DhtStatus.Ok or Woven.Dht.DhtStatus.Stale => 200,
            Woven.Dht.DhtStatus.Conflict => 409,
            Woven.Dht.DhtStatus.Invalid => 400,
            _ => 503,
        };
        return Results.Json(DhtResultDocument.From(name, result), ControlJson.Options, statusCode: code);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
        if (File.Exists(_socketPath)) File.Delete(_socketPath);
        if (Tcp is not null && File.Exists(TokenFile)) File.Delete(TokenFile);
    }
}

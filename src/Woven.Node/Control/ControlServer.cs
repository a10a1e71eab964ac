using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Woven.Platform.State;

namespace Woven.Node.Control;

/// <summary>
/// The node's local control API: HTTP+JSON on a unix socket in the state directory (mode 0600, so only the owner
/// of the node can talk to it). Versioned under /v1.
/// </summary>
public sealed class ControlServer : IAsyncDisposable
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
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(_socketPath));
        var app = builder.Build();
        app.MapGet("/v1/status", () =>
        {
            var overlay = _node.Overlay!;
            var status = StatusDocument.From(overlay.Snapshot(), overlay.Identity.PublicKey, _node.TransportStatus())
                with { Domain = (_node.Membership as Woven.Overlay.DomainMembership)?.Domain.Name };
            return Results.Json(status, ControlJson.Options);
        });
        app.MapPost("/v1/links/{address}", (string address) =>
        {
            if (!Woven.Addressing.RingAddress.TryParse(address, out var peer))
                return Results.Json(new { error = "address: expected 40 hex digits (a ring address, as woven status shows)" }, ControlJson.Options, statusCode: 400);
            _node.Overlay!.RequestLink(peer);
            return Results.Json(new { requested = peer.ToString() }, ControlJson.Options, statusCode: 202);
        });
        app.MapFallback(() => Results.Json(new { error = "unknown endpoint; this node serves GET /v1/status and POST /v1/links/ADDRESS" }, ControlJson.Options, statusCode: 404));
        await app.StartAsync(cancellationToken);
        File.SetUnixFileMode(_socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
        if (File.Exists(_socketPath)) File.Delete(_socketPath);
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Woven.Vnet;

namespace Woven.Node.Control;

public sealed partial class ControlServer
{
    private static readonly TimeSpan LookupPatience = TimeSpan.FromSeconds(3);

    private PeerDirectory? _directory;
    private bool _directoryHasDht;

    /// <summary>GET /v1/peers: the connection table with names, virtual addresses and traffic per link. See docs/api.md.</summary>
    private void MapPeers(WebApplication app)
    {
        app.MapGet("/v1/peers", async (CancellationToken ct) =>
        {
            var overlay = _node.Overlay!;
            var snapshot = overlay.Snapshot();
            var status = StatusDocument.From(snapshot, overlay.Identity.PublicKey, _node.TransportStatus());
            var directory = Identities();
            // The table must not wait for a slow DHT: what is not found within 3 s is shown as unknown this time.
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
            patience.CancelAfter(LookupPatience);
            var identities = await Task.WhenAll(snapshot.Peers.Select(p => directory.LookupAsync(p.Address, p.Certificate, patience.Token)));
            var entries = snapshot.Peers.Select((p, i) =>
            {
                var shown = status.Peers[i];
                var who = identities[i];
                return new PeerEntryDocument(shown.Address, who.Name, who.Vip?.ToString(), who.Source, shown.Path, shown.Via, shown.Transport,
                    p.Relayed ? null : shown.Endpoint, shown.RttMs, p.Traffic.BytesIn, p.Traffic.BytesOut, p.Traffic.PacketsIn, p.Traffic.PacketsOut,
                    shown.Roles, shown.AgeS, shown.SilentS, who.Vip6?.ToString());
            }).ToList();
            return Results.Json(new PeersDocument(StatusDocument.CurrentApiVersion, status.Address, entries), ControlJson.Options);
        });
    }

    /// <summary>Asks the DHT only once the node is in the virtual network (before that, certificates only).</summary>
    private PeerDirectory Identities()
    {
        bool inVnet = _node.Vnet is not null;
        if (_directory is null || _directoryHasDht != inVnet)
        {
            _directory = new PeerDirectory(inVnet ? _node.Dht : null, _node.Vnet?.Range ?? NodeOptions.DefaultVnetRange, TimeProvider.System, _node.Vnet?.Ipv6Prefix);
            _directoryHasDht = inVnet;
        }
        return _directory;
    }
}

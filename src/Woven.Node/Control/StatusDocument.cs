using System.Net;
using Woven.Overlay;
using Woven.Wire;

namespace Woven.Node.Control;

/// <summary>GET /v1/status: what a node is and whom it is linked to. Field names are part of the control API.</summary>
public sealed record StatusDocument(
    int ApiVersion,
    string Address,
    string PublicKey,
    IReadOnlyList<string> Endpoints,
    double NetworkSizeEstimate,
    int TargetFarLinks,
    IReadOnlyList<string> Successors,
    IReadOnlyList<string> Predecessors,
    IReadOnlyList<PeerDocument> Peers,
    CountersDocument Counters,
    TransportDocument Transport,
    string? Domain = null,
    VnetDocument? Vnet = null,
    DhtDocument? Dht = null)
{
    public const int CurrentApiVersion = 1;

    public static StatusDocument From(OverlaySnapshot s, byte[] publicKey, TransportDocument transport) => new(
        CurrentApiVersion,
        s.Address.ToString(),
        Convert.ToBase64String(publicKey),
        s.Endpoints.Select(Format).ToList(),
        Math.Round(s.NetworkSizeEstimate, 1),
        s.TargetFarLinks,
        s.Successors.Select(a => a.ToString()).ToList(),
        s.Predecessors.Select(a => a.ToString()).ToList(),
        s.Peers.Select(p => new PeerDocument(
            p.Address.ToString(),
            Format(p.Endpoint),
            p.Relayed ? "relayed" : "direct",
            p.Via is null ? null : p.Via == p.Address ? "ring" : p.Via.ToString(),
            p.RelayOptions.Count > 0 ? p.RelayOptions.Select(a => a.ToString()).ToList() : null,
            p.Relayed ? null : p.Endpoint is Woven.Transport.TcpEndPoint ? "tcp" : "udp",
            RoleNames(p),
            p.SuccessorRank,
            p.PredecessorRank,
            p.RttMs < 0 ? null : Math.Round(p.RttMs, 3),
            p.SetupMs < 0 ? null : Math.Round(p.SetupMs, 1),
            Math.Round(p.SilentSeconds, 1),
            Math.Round(p.AgeSeconds, 1))).ToList(),
        new CountersDocument(
            s.Counters.DatagramsIn,
            s.Counters.DatagramsOut,
            s.Counters.BytesIn,
            s.Counters.BytesOut,
            s.Counters.RoutedForwarded,
            s.Counters.RoutedDelivered,
            s.Counters.LinksFailed,
            s.Counters.StunAnswered,
            s.Counters.HandshakesCompleted,
            s.Counters.HandshakesRefused,
            s.Counters.CookiesSent,
            s.Counters.DroppedTotal,
            s.Counters.DropsByReason()),
        transport);

    public static string Format(IPEndPoint ep) => ep is Woven.Transport.TcpEndPoint ? new IPEndPoint(ep.Address, ep.Port).ToString() : ep.ToString();

    private static List<string> RoleNames(PeerInfo p)
    {
        var roles = new List<string>();
        if (p.Near) roles.Add("near");
        if ((p.Roles & LinkRoles.FarOut) != 0) roles.Add("far_out");
        if ((p.Roles & LinkRoles.FarIn) != 0) roles.Add("far_in");
        if ((p.Roles & LinkRoles.Leaf) != 0) roles.Add("leaf");
        if ((p.Roles & LinkRoles.Shortcut) != 0) roles.Add("shortcut");
        return roles;
    }
}

/// <summary>
/// One linked peer. <c>path</c> is <c>direct</c> or <c>relayed</c>; <c>via</c> names the relay of a relayed link;
/// <c>transport</c> is <c>udp</c> or <c>tcp</c> for a direct link; <c>setup_ms</c> is the time from the first attempt to
/// link to the link being up (absent when the peer opened it unasked).
/// </summary>
public sealed record PeerDocument(
    string Address,
    string Endpoint,
    string Path,
    string? Via,
    IReadOnlyList<string>? Relays,
    string? Transport,
    IReadOnlyList<string> Roles,
    int SuccessorRank,
    int PredecessorRank,
    double? RttMs,
    double? SetupMs,
    double SilentS,
    double AgeS);

public sealed record CountersDocument(
    long DatagramsIn,
    long DatagramsOut,
    long BytesIn,
    long BytesOut,
    long RoutedForwarded,
    long RoutedDelivered,
    long LinksFailed,
    long StunAnswered,
    long HandshakesCompleted,
    long HandshakesRefused,
    long CookiesSent,
    long DroppedTotal,
    IReadOnlyDictionary<string, long> Dropped);

/// <summary>Faults below the protocol: exceptions that escaped a handler (always 0 unless there is a bug), refused sends.</summary>
public sealed record TransportDocument(long HandlerFaults, long SendErrors, long TcpFramesIn, long TcpFramesOut);

/// <summary>
/// The node in the virtual network: its address (null while it is being claimed), name and packet counters;
/// <c>address6</c> and <c>ipv6_prefix</c> when it has IPv6 (null otherwise).
/// </summary>
public sealed record VnetDocument(
    string Range,
    string? Address,
    string? Name,
    bool NameRegistered,
    string? Interface,
    int Mtu,
    long PacketsOut,
    long PacketsIn,
    long BytesOut,
    long BytesIn,
    long DroppedNoRoute,
    long DroppedSpoofed,
    long DroppedNotForUs,
    long DroppedMalformed,
    long DroppedQueueFull,
    long DroppedIncomplete,
    long TooBigForPath,
    string? Address6 = null,
    string? Ipv6Prefix = null)
{
    public static VnetDocument From(Woven.Vnet.VirtualNetwork v, Woven.Vnet.AddressClaim? claim, string? tun, int mtu)
    {
        var c = v.Counters;
        return new VnetDocument(v.Range.ToString(), v.Address?.ToString(), claim?.Fqdn, claim?.HoldsName ?? false, tun, mtu,
            c.PacketsOut, c.PacketsIn, c.BytesOut, c.BytesIn, c.DroppedNoRoute, c.DroppedSpoofed, c.DroppedNotForUs, c.DroppedMalformed, c.DroppedQueueFull, c.DroppedIncomplete, c.TooBigForPath,
            v.Address6?.ToString(), v.Ipv6Prefix?.ToString());
    }
}

/// <summary>The node's part of the DHT: records it holds as a replica and what it refused.</summary>
public sealed record DhtDocument(int Records, long Coordinated, long Rejected, long BadSignatures, long Malformed, long MessagesSent)
{
    public static DhtDocument From(Woven.Dht.DhtNode dht)
    {
        var c = dht.Counters;
        return new DhtDocument(dht.StoredCount, c.Coordinated, c.Rejected, c.BadSignatures, c.Malformed, c.MessagesSent);
    }
}

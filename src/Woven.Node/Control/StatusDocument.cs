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
    TransportDocument Transport)
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
            RoleNames(p),
            p.SuccessorRank,
            p.PredecessorRank,
            p.RttMs < 0 ? null : Math.Round(p.RttMs, 3),
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
            s.Counters.DroppedTotal,
            s.Counters.DropsByReason()),
        transport);

    public static string Format(IPEndPoint ep) => ep.ToString();

    private static List<string> RoleNames(PeerInfo p)
    {
        var roles = new List<string>();
        if (p.Near) roles.Add("near");
        if ((p.Roles & LinkRoles.FarOut) != 0) roles.Add("far_out");
        if ((p.Roles & LinkRoles.FarIn) != 0) roles.Add("far_in");
        if ((p.Roles & LinkRoles.Leaf) != 0) roles.Add("leaf");
        return roles;
    }
}

public sealed record PeerDocument(
    string Address,
    string Endpoint,
    IReadOnlyList<string> Roles,
    int SuccessorRank,
    int PredecessorRank,
    double? RttMs,
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
    long DroppedTotal,
    IReadOnlyDictionary<string, long> Dropped);

/// <summary>Faults below the protocol: exceptions that escaped a handler (always 0 unless there is a bug), refused sends.</summary>
public sealed record TransportDocument(long HandlerFaults, long SendErrors, long TcpFramesIn, long TcpFramesOut);

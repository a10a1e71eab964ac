using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

/// <summary>One peer as the connection table shows it; <c>Certificate</c> is the member certificate its handshake presented (encoded).</summary>
public sealed record PeerInfo(
    RingAddress Address,
    IPEndPoint Endpoint,
    LinkRoles Roles,
    bool Near,
    int SuccessorRank,
    int PredecessorRank,
    double RttMs,
    double SilentSeconds,
    double AgeSeconds,
    bool Relayed,
    RingAddress? Via,
    double SetupMs,
    IReadOnlyList<RingAddress> RelayOptions,
    LinkTraffic Traffic = default,
    byte[]? Certificate = null);

/// <summary>A consistent copy of a node's state, taken under its lock.</summary>
public sealed record OverlaySnapshot(
    RingAddress Address,
    IReadOnlyList<IPEndPoint> Endpoints,
    IReadOnlyList<PeerInfo> Peers,
    IReadOnlyList<RingAddress> Successors,
    IReadOnlyList<RingAddress> Predecessors,
    double NetworkSizeEstimate,
    int TargetFarLinks,
    OverlayCounters Counters);

public sealed partial class OverlayNode
{
    public OverlaySnapshot Snapshot()
    {
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            var peers = _table.Values
                .OrderBy(c => RingAddress.Clockwise(Address, c.Address))
                .Select(c => new PeerInfo(c.Address, c.Endpoint, c.Roles, c.IsNear, c.SuccessorRank, c.PredecessorRank, c.RttMs,
                    (now - c.LastHeard) / (double)_frequency, (now - c.EstablishedAt) / (double)_frequency,
                    c.IsRelayed, c.IsRelayed ? c.Relay : null, c.SetupMs, c.RelayOptions?.ToList() ?? [],
                    c.Traffic, c.Certificate))
                .ToList();
            var succ = _successors.Take(Math.Min(_successorCount, _options.NearPerSide)).Select(c => c!.Address).ToList();
            var pred = _predecessors.Take(Math.Min(_predecessorCount, _options.NearPerSide)).Select(c => c!.Address).ToList();
            return new OverlaySnapshot(Address, [.. _endpoints], peers, succ, pred, SizeEstimateLocked(), TargetFarLinksLocked(), _counters.Snapshot());
        }
    }

    /// <summary>Immediate successor (null when alone). Cheap: used by the simulator's ring check.</summary>
    public RingAddress? Successor
    {
        get
        {
            lock (_gate) return _successorCount > 0 ? _successors[0]!.Address : null;
        }
    }

    public RingAddress? Predecessor
    {
        get
        {
            lock (_gate) return _predecessorCount > 0 ? _predecessors[0]!.Address : null;
        }
    }

    public int ConnectionCount
    {
        get
        {
            lock (_gate) return _table.Count;
        }
    }

    /// <summary>Live counters; read only from the thread that drives the node (the simulator) or use <see cref="Snapshot"/>.</summary>
    public OverlayCounters Counters => _counters;
}

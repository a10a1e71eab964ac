using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

/// <summary>
/// Healing a partition. When the network splits, each side repairs itself into a ring of its own, and once the split
/// ends nothing in ordinary maintenance would bring the two rings back together: every route stays within its own
/// ring. So a node remembers the peers whose links died (not those that left gracefully) for an hour, and about every
/// 30 s tries to link to one of them that is not in its table again. A crashed peer does not answer and costs a few
/// datagrams; a peer on the other side of a healed partition answers, and this node then joins through it (see
/// <see cref="AfterLinked"/>), which merges the rings.
/// </summary>
public sealed partial class OverlayNode
{
    private const int MaxLost = 32;
    private readonly List<LostPeer> _lost = [];
    private long _nextRejoin;

    private sealed record LostPeer(RingAddress Address, IPEndPoint[] Endpoints, long LostAt);

    /// <summary>Peers remembered for a rejoin attempt (for tests and status).</summary>
    public int LostPeerCount
    {
        get
        {
            lock (_gate) return _lost.Count;
        }
    }

    private void RememberLost(Connection c, long now)
    {
        var endpoints = c.Candidates.Prepend(c.Endpoint).OfType<IPEndPoint>().Distinct(Transport.EndpointComparer.Instance).Take(EndpointList.MaxCount).ToArray();
        if (endpoints.Length == 0) return;
        ForgetLost(c.Address);
        if (_lost.Count >= MaxLost) _lost.RemoveAt(0);
        _lost.Add(new LostPeer(c.Address, endpoints, now));
    }

    private void ForgetLost(RingAddress address) => _lost.RemoveAll(l => l.Address == address);

    private void Rejoin(long now)
    {
        if (!IsJoined || now < _nextRejoin) return;
        _nextRejoin = now + (long)(_rejoinInterval * (0.5 + _random.NextDouble()));
        _lost.RemoveAll(l => now - l.LostAt > _rejoinMemory);
        if (_lost.Count == 0) return;
        var peer = _lost[_random.Next(_lost.Count)];
        if (_table.ContainsKey(peer.Address) || IsLinking(peer.Address)) return;
        var pending = StartLink(peer.Address, peer.Endpoints, LinkRoles.Leaf, NewToken(), directOnly: true);
        if (pending is not null) pending.Rejoin = true;
    }
}

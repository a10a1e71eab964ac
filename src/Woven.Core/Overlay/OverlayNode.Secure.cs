using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

public sealed partial class OverlayNode
{
    private const int SecureQueuePerPeer = 64;
    private const int SecureQueuePeers = 256;

    private readonly Dictionary<RingAddress, Queue<(RoutedPayloadType Type, byte[] Payload, long Queued)>> _secureQueue = [];

    /// <summary>
    /// Sends a payload to a node over this node's own link with it, so that routers and relays on the way can neither
    /// read nor forge it (a direct link's session, or a relayed link whose tunnels carry data sealed for the peer).
    /// Without a link yet, opens one (a shortcut) and queues the payload, at most <c>64</c> per peer for 10 s.
    /// Returns false when the payload is too large or the queue is full.
    /// </summary>
    public bool SendSecure(RingAddress destination, RoutedPayloadType type, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            if (_stopped || payload.Length > Tunnel.MaxInner - Routed.SizeWith(0) - Sealed.HeaderSize - Sealed.TagSize) return false;
            if (_table.TryGetValue(destination, out var c) && c.Session is not null)
            {
                SendOverLink(c, type, payload);
                return true;
            }
            if (!_secureQueue.TryGetValue(destination, out var queue))
            {
                if (_secureQueue.Count >= SecureQueuePeers) return false;
                _secureQueue[destination] = queue = new();
            }
            if (queue.Count >= SecureQueuePerPeer) return false;
            queue.Enqueue((type, payload.ToArray(), _time.GetTimestamp()));
            if (!_table.ContainsKey(destination) && !IsLinking(destination)) StartLink(destination, [], LinkRoles.Shortcut, NewToken());
            return true;
        }
    }

    private void SendOverLink(Connection c, RoutedPayloadType type, ReadOnlySpan<byte> payload)
    {
        var header = new Routed(Address, c.Address, RoutingMode.Exact, RoutedFlags.None, 0, _options.HopLimit, type, 0, payload.Length);
        if (header.TryWrite(_innerBuffer, payload, out int n)) SendTo(c, _innerBuffer.AsSpan(0, n), maintenance: false);
    }

    /// <summary>Delivers what waited for a link; drops what waited too long.</summary>
    private void FlushSecureQueue(long now)
    {
        if (_secureQueue.Count == 0) return;
        long ttl = ToTimestamp(TimeSpan.FromSeconds(10));
        List<RingAddress>? done = null;
        foreach (var (peer, queue) in _secureQueue)
        {
            if (_table.TryGetValue(peer, out var c) && c.Session is not null)
            {
                while (queue.Count > 0)
                {
                    var (type, payload, _) = queue.Dequeue();
                    SendOverLink(c, type, payload);
                }
            }
            while (queue.Count > 0 && now - queue.Peek().Queued > ttl)
            {
                queue.Dequeue();
                _counters.Drop(DropReason.Unreachable);
            }
            if (queue.Count == 0) (done ??= []).Add(peer);
        }
        if (done is null) return;
        foreach (var peer in done) _secureQueue.Remove(peer);
    }
}

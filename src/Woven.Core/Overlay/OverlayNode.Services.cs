using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

/// <summary>
/// Services built on the overlay (the DHT) attach here. Everything a service does runs under the node's one lock: its
/// messages are delivered, its tick hook runs, and <see cref="Invoke"/> runs its callers' work under that lock, so a
/// service keeps no lock of its own and cannot take locks in the opposite order.
/// </summary>
public sealed partial class OverlayNode
{
    private readonly Dictionary<RoutedPayloadType, RoutedDeliveryHandler> _services = [];
    private readonly List<Action<long>> _tickHooks = [];

    /// <summary>Routed messages of <paramref name="type"/> delivered to this node go to <paramref name="handler"/> (under the node's lock).</summary>
    public void AttachService(RoutedPayloadType type, RoutedDeliveryHandler handler, Action<long>? tick = null)
    {
        lock (_gate)
        {
            if (type is RoutedPayloadType.ConnectToMe or RoutedPayloadType.LinkIntent or RoutedPayloadType.Tunnel)
                throw new ArgumentException($"payload type {type} belongs to the overlay itself", nameof(type));
            if (!_services.TryAdd(type, handler)) throw new InvalidOperationException($"a service is already attached for {type}");
            if (tick is not null) _tickHooks.Add(tick);
        }
    }

    private readonly List<IPNetwork> _excluded = [];

    /// <summary>
    /// Addresses in <paramref name="range"/> are never used as endpoints: nothing is sent to them and nothing from them
    /// is taken. The virtual network excludes its own range, so that the overlay never carries itself.
    /// </summary>
    public void ExcludeEndpoints(IPNetwork range)
    {
        lock (_gate)
        {
            if (!_excluded.Contains(range)) _excluded.Add(range);
        }
    }

    private bool IsExcluded(IPEndPoint endpoint)
    {
        if (_excluded.Count == 0) return false;
        var address = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        foreach (var range in _excluded)
        {
            if (range.Contains(address)) return true;
        }
        return false;
    }

    /// <summary>Runs <paramref name="action"/> under the node's lock.</summary>
    public void Invoke(Action action)
    {
        lock (_gate) action();
    }

    /// <summary>Runs <paramref name="action"/> under the node's lock with a span of the caller's (no copy, and no closure with a static lambda).</summary>
    public void Invoke<TState>(ReadOnlySpan<byte> data, TState state, System.Buffers.ReadOnlySpanAction<byte, TState> action)
    {
        lock (_gate) action(data, state);
    }

    /// <summary>Runs <paramref name="function"/> under the node's lock.</summary>
    public T Invoke<T>(Func<T> function)
    {
        lock (_gate) return function();
    }

    /// <summary>
    /// This node and the routable peers it believes nearest to <paramref name="key"/> (ring distance, both directions),
    /// nearest first, at most <paramref name="count"/>. Peers that missed a ping are left out, as routing leaves them out.
    /// </summary>
    public List<RingAddress> NearestKnown(RingAddress key, int count)
    {
        lock (_gate)
        {
            long suspectAfter = _time.GetTimestamp() - (_pingInterval + _pingRetry);
            var candidates = new List<(RingAddress Distance, RingAddress Address)>(_table.Count + 1) { (RingAddress.Distance(Address, key), Address) };
            foreach (var c in _table.Values)
            {
                if (!c.IsRoutable || c.LastHeard < suspectAfter) continue;
                candidates.Add((RingAddress.Distance(c.Address, key), c.Address));
            }
            candidates.Sort((a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Address.CompareTo(b.Address));
            var result = new List<RingAddress>(Math.Min(count, candidates.Count));
            for (int i = 0; i < candidates.Count && result.Count < count; i++) result.Add(candidates[i].Address);
            return result;
        }
    }

    /// <summary>The addresses of this node's current ring neighbours (successors and predecessors).</summary>
    public HashSet<RingAddress> NeighbourAddresses()
    {
        lock (_gate)
        {
            var set = new HashSet<RingAddress>();
            foreach (var c in _successors) if (c is not null) set.Add(c.Address);
            foreach (var c in _predecessors) if (c is not null) set.Add(c.Address);
            return set;
        }
    }

    /// <summary>Fills <paramref name="into"/> (cleared first) with the addresses of every linked peer; no allocation once it is large enough.</summary>
    public void CopyPeerAddresses(List<RingAddress> into)
    {
        into.Clear();
        lock (_gate)
        {
            foreach (var address in _table.Keys) into.Add(address);
        }
    }

    /// <summary>Whether this node's link with <paramref name="peer"/> goes through a relay (null: no link).</summary>
    public bool? LinkIsRelayed(RingAddress peer)
    {
        lock (_gate) return _table.TryGetValue(peer, out var c) ? c.IsRelayed : null;
    }

    /// <summary>Whether this node has joined a ring (it answers for its part of the key space).</summary>
    public bool Joined
    {
        get
        {
            lock (_gate) return IsJoined;
        }
    }
}

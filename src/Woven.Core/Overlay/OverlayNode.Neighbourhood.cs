using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

public sealed partial class OverlayNode
{
    // Closest successors and predecessors, nearest first; KeepPerSide = NearPerSide + 1 so that the
    // one just beyond the neighbourhood is kept as slack instead of being trimmed and re-linked.
    private Connection?[] _successors = [];
    private Connection?[] _predecessors = [];
    private int _successorCount;
    private int _predecessorCount;
    private bool _neighbourhoodDirty;

    private int KeepPerSide => _options.NearPerSide + 1;

    /// <summary>Would a node at this address be among our nearest successors or predecessors?</summary>
    private bool WouldBeNear(RingAddress candidate)
    {
        int k = _options.NearPerSide;
        if (_successorCount < k || _predecessorCount < k) return true;
        var cw = RingAddress.Clockwise(Address, candidate);
        if (cw < RingAddress.Clockwise(Address, _successors[k - 1]!.Address)) return true;
        var ccw = RingAddress.Clockwise(candidate, Address);
        return ccw < RingAddress.Clockwise(_predecessors[k - 1]!.Address, Address);
    }

    private void RecomputeNeighbourhood()
    {
        int keep = KeepPerSide;
        if (_successors.Length != keep)
        {
            _successors = new Connection?[keep];
            _predecessors = new Connection?[keep];
        }
        Span<RingAddress> sd = stackalloc RingAddress[keep];
        Span<RingAddress> pd = stackalloc RingAddress[keep];
        var newSucc = new Connection?[keep];
        var newPred = new Connection?[keep];
        int ns = 0, np = 0;
        foreach (var c in _table.Values)
        {
            if (!c.IsRoutable) continue;
            ns = Insert(newSucc, sd, ns, c, RingAddress.Clockwise(Address, c.Address));
            np = Insert(newPred, pd, np, c, RingAddress.Clockwise(c.Address, Address));
        }
        bool changed = ns != _successorCount || np != _predecessorCount;
        for (int i = 0; !changed && i < _options.NearPerSide; i++)
        {
            changed = !ReferenceEquals(newSucc[i], _successors[i]) || !ReferenceEquals(newPred[i], _predecessors[i]);
        }
        foreach (var c in _table.Values)
        {
            c.SuccessorRank = 0;
            c.PredecessorRank = 0;
        }
        for (int i = 0; i < ns; i++) newSucc[i]!.SuccessorRank = i + 1;
        for (int i = 0; i < np; i++) newPred[i]!.PredecessorRank = i + 1;
        int k = _options.NearPerSide;
        foreach (var c in _table.Values)
        {
            c.IsNear = c.SuccessorRank is > 0 && c.SuccessorRank <= k || c.PredecessorRank is > 0 && c.PredecessorRank <= k;
        }
        _successors = newSucc;
        _predecessors = newPred;
        _successorCount = ns;
        _predecessorCount = np;
        if (changed) _neighbourhoodDirty = true;
        _sizeEstimate = -1;
    }

    private static int Insert(Connection?[] list, Span<RingAddress> distances, int count, Connection c, RingAddress d)
    {
        int capacity = list.Length;
        if (count == capacity && d >= distances[count - 1]) return count;
        int i = count < capacity ? count : capacity - 1;
        while (i > 0 && distances[i - 1] > d)
        {
            list[i] = list[i - 1];
            distances[i] = distances[i - 1];
            i--;
        }
        list[i] = c;
        distances[i] = d;
        return count < capacity ? count + 1 : count;
    }

    /// <summary>Pushes this node's neighbourhood to its near links when it changed since the last push.</summary>
    private void FlushNeighbourhood()
    {
        if (!_neighbourhoodDirty || _stopped) return;
        _neighbourhoodDirty = false;
        PushNeighbourhood();
    }

    private void PushNeighbourhood()
    {
        foreach (var c in _table.Values)
        {
            if (c.IsNear) SendNeighbors(c, NeighborsFlags.None);
        }
    }

    private void SendNeighbors(Connection to, NeighborsFlags flags)
    {
        var entries = new List<NeighborEntry>(2 * KeepPerSide);
        for (int i = 0; i < _successorCount; i++) AddEntry(entries, _successors[i]!, to);
        for (int i = 0; i < _predecessorCount; i++) AddEntry(entries, _predecessors[i]!, to);
        var message = new Neighbors(Address, flags, [.. entries.Take(Wire.Neighbors.MaxEntries)]);
        if (message.TryWrite(_sendBuffer, out int n)) SendTo(to, _sendBuffer.AsSpan(0, n), maintenance: true);
    }

    private static void AddEntry(List<NeighborEntry> entries, Connection c, Connection to)
    {
        if (ReferenceEquals(c, to)) return;
        foreach (var e in entries)
        {
            if (e.Address == c.Address) return;
        }
        entries.Add(new NeighborEntry(c.Address, c.Endpoint));
    }

    private double _sizeEstimate = -1;

    /// <summary>
    /// Network size estimated from the density of the neighbourhood: the kept successors and predecessors
    /// span a known fraction of the ring with a known number of gaps.
    /// </summary>
    public double EstimateNetworkSize()
    {
        lock (_gate)
        {
            return SizeEstimateLocked();
        }
    }

    private double SizeEstimateLocked()
    {
        if (_sizeEstimate > 0) return _sizeEstimate;
        if (_successorCount == 0 && _predecessorCount == 0) return _sizeEstimate = 1;
        var distinct = new HashSet<RingAddress>();
        for (int i = 0; i < _successorCount; i++) distinct.Add(_successors[i]!.Address);
        for (int i = 0; i < _predecessorCount; i++) distinct.Add(_predecessors[i]!.Address);
        if (distinct.Count < _successorCount + _predecessorCount) return _sizeEstimate = distinct.Count + 1;
        var far = _successors[_successorCount - 1]!.Address;
        var back = _predecessors[_predecessorCount - 1]!.Address;
        double span = RingAddress.Clockwise(back, far).ToFraction();
        int gaps = _successorCount + _predecessorCount;
        return _sizeEstimate = span <= 0 ? gaps + 1 : Math.Max(gaps + 1, gaps / span);
    }
}

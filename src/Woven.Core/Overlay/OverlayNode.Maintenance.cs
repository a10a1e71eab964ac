using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

public sealed partial class OverlayNode
{
    /// <summary>A far connect-to-me in flight, matched by token when its target links back.</summary>
    private readonly Dictionary<ulong, long> _pendingFar = [];

    private long _pingInterval, _pingRetry, _deadAfter, _stabilizeInterval, _repairInterval, _ringCheckInterval;
    private long _leafLifetime, _trimGrace, _linkRetry, _farTimeout, _relayPing, _upgradeInterval;
    private long _nextStabilize, _lastRepair, _rejoinInterval, _rejoinMemory, _directQuiet;

    private void InitTiming()
    {
        _pingInterval = ToTimestamp(_options.PingInterval);
        _pingRetry = ToTimestamp(_options.PingRetry);
        _deadAfter = ToTimestamp(_options.DeadAfter);
        _stabilizeInterval = ToTimestamp(_options.StabilizeInterval);
        _repairInterval = ToTimestamp(_options.RepairInterval);
        _ringCheckInterval = ToTimestamp(_options.RingCheckInterval);
        _leafLifetime = ToTimestamp(_options.LeafLifetime);
        _trimGrace = ToTimestamp(_options.TrimGrace);
        _linkRetry = ToTimestamp(_options.LinkRetry);
        _farTimeout = ToTimestamp(_options.FarRequestTimeout);
        _relayPing = ToTimestamp(_options.RelayPingInterval);
        _upgradeInterval = ToTimestamp(_options.UpgradeInterval);
        _rejoinInterval = ToTimestamp(_options.RejoinInterval);
        _directQuiet = ToTimestamp(TimeSpan.FromSeconds(1));
        _rejoinMemory = ToTimestamp(_options.RejoinMemory);
        _nextRejoin = _time.GetTimestamp() + (long)(_random.NextDouble() * _rejoinInterval);
        _lastRepair = _time.GetTimestamp() - (long)(_random.NextDouble() * _ringCheckInterval);
    }

    private long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * _frequency);

    private readonly List<Connection> _scratch = [];

    /// <summary>Periodic maintenance: retries, failure detection, trimming, stabilization, repair, far links.</summary>
    private void Tick()
    {
        lock (_gate)
        {
            if (_stopped) return;
            long now = _time.GetTimestamp();
            RetryPendingLinks(now);
            MaintainSessions(now);
            FlushSecureQueue(now);
            DetectFailures(now);
            Trim(now);
            if (now >= _nextStabilize)
            {
                _nextStabilize = now + _stabilizeInterval + (long)(_random.NextDouble() * _stabilizeInterval / 4);
                _neighbourhoodDirty = false;
                PushNeighbourhood();
            }
            FlushNeighbourhood();
            Repair(now);
            MaintainFarLinks(now);
            if (!IsJoined && _pendingLinks.Count == 0 && !HasBootstrapLink()) JoinThroughBootstraps();
            Rejoin(now);
            foreach (var hook in _tickHooks) hook(now);
        }
    }

    private bool HasBootstrapLink()
    {
        foreach (var c in _table.Values)
        {
            if (c.IsBootstrap) return true;
        }
        return false;
    }

    private void RetryPendingLinks(long now)
    {
        if (_pendingLinks.Count == 0) return;
        List<ulong>? expired = null;
        foreach (var p in _pendingLinks.Values)
        {
            if (now < p.NextAttempt) continue;
            int limit = p.Relays.Count > 0 && !p.DirectOnly ? _options.LinkAttempts + 4 : _options.LinkAttempts;
            if (p.Attempts >= limit) (expired ??= []).Add(p.Token);
            else SendLinkAttempt(p);
        }
        if (expired is null) return;
        foreach (var t in expired)
        {
            if (!_pendingLinks.Remove(t, out var p)) continue;
            p.Handshake?.Dispose();
            if (p.Expected is { } peer && !IsLinking(peer)) _linkStarted.Remove(peer);
        }
    }

    private void DetectFailures(long now)
    {
        _scratch.Clear();
        foreach (var c in _table.Values)
        {
            long silent = now - c.LastHeard;
            if (silent > _deadAfter)
            {
                _scratch.Add(c);
                continue;
            }
            if (c.IsRelayed)
            {
                MaintainRelayedPath(c, now, silent);
                continue;
            }
            if (silent > _pingInterval && now - c.LastPingSent > _pingRetry)
            {
                c.LastPingSent = now;
                SendAddressed(MessageType.Ping, (ulong)now, c, maintenance: true);
            }
            // Two pings unanswered: the path may have died (a NAT forgot its mapping, the peer moved). Punch again,
            // with a relay as fallback, before the link is declared dead.
            if (silent > _pingInterval + _pingRetry && now - c.LastRepair > _deadAfter && !IsLinking(c.Address)) Repunch(c, now);
        }
        foreach (var c in _scratch)
        {
            _counters.LinksFailed++;
            RememberLost(c, now);
            RemoveConnection(c, notify: false);
        }
    }

    /// <summary>Punches a link's path again, with a relay as fallback (its direct path may have died).</summary>
    private void Repunch(Connection c, long now, bool relayAtOnce = false)
    {
        // The intent must not take the dead path: through a shared relay, or else over the ring around it.
        c.LastRepair = now;
        var candidates = c.Candidates.Append(c.Endpoint).OfType<System.Net.IPEndPoint>().Distinct(Transport.EndpointComparer.Instance).Take(EndpointList.MaxCount).ToArray();
        var relay = c.RelayOptions is { Count: > 0 } options ? options[0] : c.Address;
        var pending = StartLink(c.Address, candidates, c.Roles & ~LinkRoles.Leaf, NewToken(), intentVia: relay, relays: (c.RelayOptions ?? []).Append(c.Address));
        if (pending is not null && relayAtOnce)
        {
            // Relays this node is linked to directly (the public ones it reaches from anywhere) join the candidates.
            foreach (var other in _table.Values)
            {
                if (!other.IsRelayed && other.Address != c.Address && !pending.Relays.Contains(other.Address)) pending.Relays.Add(other.Address);
            }
            pending.RelayAtOnce = true;
            SendLinkAttempt(pending);
        }
    }

    /// <summary>
    /// The host's addresses changed (it moved to another network, a lease was renewed with a new address): the
    /// endpoints this node advertises are replaced, every peer is pinged at once (a peer that can reach us anywhere
    /// moves the link to our new endpoint on the first authenticated datagram), and every direct link is punched again
    /// with a relay as fallback, so that peers behind NATs, which filter our new address, are reached within a round
    /// trip or two rather than after the failure detector's 6.5 s.
    /// </summary>
    public void NetworkChanged(IReadOnlyList<IPEndPoint> hostEndpoints)
    {
        lock (_gate)
        {
            if (_stopped) return;
            _endpoints.Clear();
            _endpoints.AddRange(hostEndpoints.Take(EndpointList.MaxCount / 2));
            if (_endpoints.Count == 0) _endpoints.Add(_socket.LocalEndPoint);
            _hostEndpoints = _endpoints.Count;
            long now = _time.GetTimestamp();
            _counters.NetworkChanges++;
            foreach (var c in _table.Values.ToList())
            {
                c.LastHeardDirect = 0; // our direct paths are unproven until something comes back on them
                c.LastPingSent = now;
                SendAddressed(MessageType.Ping, (ulong)now, c, maintenance: true);
                if (!c.IsRelayed && !IsLinking(c.Address)) Repunch(c, now, relayAtOnce: true);
            }
        }
    }

    /// <summary>
    /// A relayed link is pinged every second when silent; after three silent seconds it moves to another relay that
    /// both ends are linked to (the relay may have died), and every <see cref="OverlayOptions.UpgradeInterval"/> it
    /// tries to open a direct path, which replaces the relay as soon as a check gets through.
    /// </summary>
    private void MaintainRelayedPath(Connection c, long now, long silent)
    {
        if (silent > _relayPing && now - c.LastPingSent > _relayPing)
        {
            c.LastPingSent = now;
            SendAddressed(MessageType.Ping, (ulong)now, c, maintenance: true);
        }
        if (silent > 3 * _relayPing && now - c.LastRepair > 2 * _relayPing)
        {
            // Next relay in the list that is still linked directly; after the last one, the ring itself.
            c.LastRepair = now;
            var options = c.RelayOptions ?? [];
            int at = options.IndexOf(c.Relay);
            var next = c.Address;
            for (int i = at + 1; i < options.Count; i++)
            {
                if (options[i] != c.Relay && _table.TryGetValue(options[i], out var r) && !r.IsRelayed)
                {
                    next = options[i];
                    break;
                }
            }
            if (next == c.Relay && options.Count > 0) next = options[0];
            c.Relay = next;
            SendAddressed(MessageType.Ping, (ulong)now, c, maintenance: true);
        }
        if (now - c.LastUpgrade > _upgradeInterval && !IsLinking(c.Address) && c.Candidates.Length > 0)
        {
            c.LastUpgrade = now;
            StartLink(c.Address, c.Candidates, c.Roles & ~LinkRoles.Leaf, NewToken(), directOnly: true);
        }
    }

    /// <summary>Drops links that no longer have a reason to exist, telling the peer so it does not wait for a timeout.</summary>
    private void Trim(long now)
    {
        _scratch.Clear();
        foreach (var c in _table.Values)
        {
            if ((c.Roles & LinkRoles.Leaf) != 0 && now > c.LeafExpires)
            {
                // The link a node joins through stays until it has joined.
                if (c.IsBootstrap && !IsJoined) c.LeafExpires = now + _leafLifetime;
                else
                {
                    c.Roles &= ~LinkRoles.Leaf;
                    c.IsBootstrap = false;
                }
            }
            if ((c.Roles & (LinkRoles.Leaf | LinkRoles.FarOut | LinkRoles.FarIn | LinkRoles.Shortcut)) != 0 || c.SuccessorRank > 0 || c.PredecessorRank > 0) continue;
            if (now - c.EstablishedAt < _trimGrace) continue;
            _scratch.Add(c);
        }
        foreach (var c in _scratch) RemoveConnection(c, notify: true);
    }

    /// <summary>
    /// A node short of neighbours on either side asks the ring for them by routing a connect-to-me to its own
    /// address (the origin excluded), which reaches the nodes it sits between. Now and then a node with a full
    /// neighbourhood checks it the same way, which also merges rings that formed apart.
    /// </summary>
    private void Repair(long now)
    {
        if (_table.Count == 0) return;
        int k = _options.NearPerSide;
        bool short_ = (_successorCount < k || _predecessorCount < k) && _table.Count < 2 * k;
        bool missing = _successorCount < k || _predecessorCount < k;
        long interval = missing && !short_ ? _repairInterval : missing ? 2 * _repairInterval : _ringCheckInterval;
        if (now - _lastRepair < interval) return;
        _lastRepair = now - (long)(_random.NextDouble() * interval / 4);
        // The periodic check starts at a random far link: routed greedily from there it can end in a ring
        // that formed apart from ours, whose nearest node then links to us and the two rings merge.
        SendConnectToMe(Address, LinkRoles.Near, NewToken(), missing ? null : RandomFarLink());
    }

    private Connection? RandomFarLink()
    {
        int n = CountRole(LinkRoles.FarOut | LinkRoles.FarIn);
        if (n == 0) return null;
        int pick = _random.Next(n);
        foreach (var c in _table.Values)
        {
            if ((c.Roles & (LinkRoles.FarOut | LinkRoles.FarIn)) != 0 && pick-- == 0) return c;
        }
        return null;
    }

    /// <summary>Symphony's k = FarPerLog2 · log2(N̂) far links, N̂ estimated from the neighbourhood.</summary>
    public int TargetFarLinks()
    {
        lock (_gate)
        {
            return TargetFarLinksLocked();
        }
    }

    private int TargetFarLinksLocked()
    {
        double n = SizeEstimateLocked();
        if (n <= 2 * _options.NearPerSide + 1) return 0;
        int k = (int)Math.Round(_options.FarPerLog2 * Math.Log2(n));
        return Math.Clamp(k, 1, _options.MaxFarOut);
    }

    private void MaintainFarLinks(long now)
    {
        if (_pendingFar.Count > 0)
        {
            List<ulong>? expired = null;
            foreach (var (token, sent) in _pendingFar)
            {
                if (now - sent > _farTimeout) (expired ??= []).Add(token);
            }
            if (expired is not null)
            {
                foreach (var t in expired) _pendingFar.Remove(t);
            }
        }
        if (!HasRoutable()) return;
        int target = TargetFarLinksLocked();
        int have = CountRole(LinkRoles.FarOut);
        if (have + _pendingFar.Count < target && _pendingFar.Count < 3)
        {
            ulong token = NewToken();
            _pendingFar[token] = now;
            SendConnectToMe(HarmonicTarget(), LinkRoles.FarOut, token);
        }
        else if (have > target + 1)
        {
            foreach (var c in _table.Values)
            {
                if ((c.Roles & LinkRoles.FarOut) == 0) continue;
                c.Roles &= ~LinkRoles.FarOut;
                break;
            }
        }
    }

    /// <summary>
    /// A far-link target drawn from Symphony's harmonic distribution: the ring distance d (as a fraction of the
    /// ring) has density ∝ 1/d on [1/N̂, 1/2], in either direction.
    /// </summary>
    private RingAddress HarmonicTarget()
    {
        double n = Math.Max(2, SizeEstimateLocked());
        double min = Math.Log(1.0 / n), max = Math.Log(0.5);
        double fraction = Math.Exp(min + _random.NextDouble() * (max - min));
        var offset = RingAddress.FromFraction(fraction, _random);
        return _random.Next(2) == 0 ? Address.Add(offset) : Address.Subtract(offset);
    }
}

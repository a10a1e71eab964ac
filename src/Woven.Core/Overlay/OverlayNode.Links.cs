using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

public sealed partial class OverlayNode
{
    /// <summary>A link request sent and not yet answered.</summary>
    private sealed class PendingLink
    {
        public required ulong Token { get; init; }
        public required IPEndPoint[] Endpoints { get; init; }
        public required LinkRoles Roles { get; init; }
        public RingAddress? Expected { get; init; }
        public int Attempts { get; set; }
        public long NextAttempt { get; set; }
    }

    private readonly Dictionary<ulong, PendingLink> _pendingLinks = [];

    private ulong NewToken() => (ulong)_random.NextInt64() ^ ((ulong)_random.Next() << 62);

    private void JoinThroughBootstraps()
    {
        if (_bootstraps.Count == 0) return;
        StartLink(null, [.. _bootstraps], LinkRoles.Leaf, NewToken());
    }

    /// <summary>Sends a link request to every candidate endpoint and keeps retrying until one answers.</summary>
    private void StartLink(RingAddress? expected, IPEndPoint[] endpoints, LinkRoles roles, ulong token)
    {
        if (endpoints.Length == 0 || _pendingLinks.ContainsKey(token)) return;
        if (expected is { } e && e == Address) return;
        var pending = new PendingLink { Token = token, Endpoints = endpoints, Roles = roles, Expected = expected };
        _pendingLinks[token] = pending;
        SendLinkRequest(pending);
    }

    private bool IsLinking(RingAddress address)
    {
        foreach (var p in _pendingLinks.Values)
        {
            if (p.Expected == address) return true;
        }
        return false;
    }

    private void SendLinkRequest(PendingLink pending)
    {
        pending.Attempts++;
        pending.NextAttempt = _time.GetTimestamp() + _linkRetry;
        var request = new LinkRequest(_identity.PublicKey, pending.Roles, pending.Token, AdvertisedEndpoints());
        if (!request.TryWrite(_sendBuffer, out int n)) return;
        foreach (var ep in pending.Endpoints) SendRaw(ep, _sendBuffer.AsSpan(0, n), maintenance: true);
    }

    private IPEndPoint[] AdvertisedEndpoints() => [.. _endpoints];

    private DropReason OnLinkRequest(IPEndPoint from, LinkRequest request)
    {
        var peer = RingAddress.FromPublicKey(request.PublicKey);
        if (peer == Address) return DropReason.SelfAddressed;
        var roles = request.Roles.Mirror();
        // An outgoing far link exists only because this node asked for one: the token must match.
        if ((roles & LinkRoles.FarOut) != 0 && !_pendingFar.Remove(request.Token)) roles &= ~LinkRoles.FarOut;
        if ((roles & LinkRoles.FarIn) != 0 && CountRole(LinkRoles.FarIn) >= _options.MaxFarIn && !HasRole(peer, LinkRoles.FarIn))
            roles &= ~LinkRoles.FarIn;
        var connection = Upsert(peer, from, roles);
        if (connection is null) return DropReason.TableFull;
        var accept = new LinkAccept(_identity.PublicKey, roles, request.Token, from, AdvertisedEndpoints());
        if (accept.TryWrite(_sendBuffer, out int n)) SendRaw(from, _sendBuffer.AsSpan(0, n), maintenance: true);
        return DropReason.None;
    }

    private DropReason OnLinkAccept(IPEndPoint from, LinkAccept accept)
    {
        if (!_pendingLinks.Remove(accept.Token, out var pending)) return DropReason.UnknownPeer;
        var peer = RingAddress.FromPublicKey(accept.PublicKey);
        if (peer == Address) return DropReason.SelfAddressed;
        var roles = accept.Roles.Mirror() & pending.Roles;
        LearnObservedEndpoint(accept.Observed);
        var connection = Upsert(peer, from, roles);
        if (connection is null) return DropReason.TableFull;
        if ((pending.Roles & LinkRoles.Leaf) != 0)
        {
            connection.IsBootstrap = true;
            SendConnectToMe(Address, LinkRoles.Near, NewToken());
        }
        return DropReason.None;
    }

    /// <summary>
    /// A peer's reply tells us how it sees us. Endpoints a peer observed are kept (a few) so that peers learn
    /// a reachable address even when this node bound a wildcard address.
    /// </summary>
    private void LearnObservedEndpoint(IPEndPoint observed)
    {
        if (observed.Address.Equals(IPAddress.Any) || observed.Address.Equals(IPAddress.IPv6Any)) return;
        if (_endpoints.Contains(observed) || _endpoints.Count >= EndpointList.MaxCount) return;
        _endpoints.Add(observed);
    }

    private int CountRole(LinkRoles role)
    {
        int n = 0;
        foreach (var c in _table.Values)
        {
            if ((c.Roles & role) != 0) n++;
        }
        return n;
    }

    private bool HasRole(RingAddress peer, LinkRoles role) =>
        _table.TryGetValue(peer, out var c) && (c.Roles & role) != 0;

    /// <summary>Adds or refreshes a connection. Returns null when the table is full and the peer is not a neighbour.</summary>
    private Connection? Upsert(RingAddress peer, IPEndPoint endpoint, LinkRoles roles)
    {
        long now = _time.GetTimestamp();
        if (_table.TryGetValue(peer, out var c))
        {
            if (!c.Endpoint.Equals(endpoint))
            {
                _byEndpoint.Remove(c.Endpoint);
                c.Endpoint = endpoint;
                _byEndpoint[endpoint] = c;
            }
        }
        else
        {
            if (_table.Count >= _options.MaxConnections && !WouldBeNear(peer)) return null;
            c = new Connection(peer, endpoint, now);
            _table[peer] = c;
            if (_byEndpoint.TryGetValue(endpoint, out var stale) && stale.Address != peer) RemoveConnection(stale, notify: false);
            _byEndpoint[endpoint] = c;
        }
        c.LastHeard = now;
        c.Roles |= roles;
        if ((roles & LinkRoles.Leaf) != 0) c.LeafExpires = now + _leafLifetime;
        RecomputeNeighbourhood();
        return c;
    }

    private void RemoveConnection(Connection c, bool notify)
    {
        if (!_table.Remove(c.Address)) return;
        if (_byEndpoint.TryGetValue(c.Endpoint, out var e) && ReferenceEquals(e, c)) _byEndpoint.Remove(c.Endpoint);
        if (notify) SendAddressed(MessageType.Close, 0, c.Endpoint, maintenance: true);
        RecomputeNeighbourhood();
    }

    private DropReason OnAddressed(IPEndPoint from, AddressedMessage message)
    {
        var c = KnownSender(message.Sender, from);
        // Nothing is answered to a stranger: no reflection, no amplification, no state.
        if (c is null) return DropReason.UnknownPeer;
        long now = _time.GetTimestamp();
        c.LastHeard = now;
        switch (message.Type)
        {
            case MessageType.Ping:
                SendAddressed(MessageType.Pong, message.Nonce, from, maintenance: true);
                break;
            case MessageType.Pong:
                long sent = (long)message.Nonce;
                if (sent > 0 && sent <= now) c.RttMs = (now - sent) * 1000.0 / _frequency;
                break;
            case MessageType.Leave:
            case MessageType.Close:
                RemoveConnection(c, notify: false);
                break;
        }
        return DropReason.None;
    }

    private DropReason OnNeighbors(IPEndPoint from, Neighbors message)
    {
        var c = KnownSender(message.Sender, from);
        if (c is null) return DropReason.UnknownPeer;
        c.LastHeard = _time.GetTimestamp();
        foreach (var entry in message.Entries)
        {
            if (entry.Address == Address || _table.ContainsKey(entry.Address) || IsLinking(entry.Address)) continue;
            if (WouldBeNear(entry.Address)) StartLink(entry.Address, [entry.Endpoint], LinkRoles.Near, NewToken());
        }
        // The sender takes us for a neighbour but we know closer nodes: tell it who they are, so that a node
        // whose view is stale walks towards its true neighbours (Chord's notify, in effect).
        if (!c.IsNear && (message.Flags & NeighborsFlags.Reply) == 0) SendNeighbors(c, NeighborsFlags.Reply);
        return DropReason.None;
    }
}

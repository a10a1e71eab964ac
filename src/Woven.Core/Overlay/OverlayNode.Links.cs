using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

public sealed partial class OverlayNode
{
    /// <summary>Where an incoming datagram came from: straight from an endpoint, or through a relay on behalf of a node.</summary>
    /// <summary>
    /// Where an incoming datagram came from: straight from an endpoint, or through a relay on behalf of a node; and, for
    /// what was inside a sealed datagram, the link that authenticated it.
    /// </summary>
    private readonly record struct PacketSource(IPEndPoint? Endpoint, RingAddress RelayedFrom, RingAddress Via, Connection? Peer = null)
    {
        public bool IsRelayed => Endpoint is null;

        public static PacketSource Direct(IPEndPoint endpoint) => new(endpoint, default, default);

        public static PacketSource Relayed(RingAddress from, RingAddress via) => new(null, from, via);
    }

    /// <summary>
    /// A link being opened: connectivity checks (link requests) go to every candidate endpoint on each attempt; after
    /// <see cref="OverlayOptions.LinkAttempts"/> direct attempts the request goes through a relay if one is known.
    /// </summary>
    private sealed class PendingLink
    {
        public required ulong Token { get; init; }
        public required IPEndPoint[] Endpoints { get; set; }
        public required LinkRoles Roles { get; init; }
        public RingAddress? Expected { get; init; }
        /// <summary>Where to send the intent so the peer punches too: a node linked to the peer (null: route to the peer).</summary>
        public RingAddress? IntentVia { get; init; }
        public List<RingAddress> Relays { get; } = [];
        public bool IntentSent { get; set; }
        /// <summary>The peer answered our intent (or sent its own): its candidates and relays are known.</summary>
        public bool IntentAnswered { get; set; }
        public bool DirectOnly { get; init; }
        /// <summary>A link to a peer lost earlier, tried again in case the network had split: once up, this node joins through it.</summary>
        public bool Rejoin { get; set; }
        /// <summary>Try a relay from the first attempt on, beside the direct candidates (this node just moved: its direct paths are likely dead).</summary>
        public bool RelayAtOnce { get; set; }
        public int Attempts { get; set; }
        public long NextAttempt { get; set; }
        public long LastSent { get; set; }
        /// <summary>The initiator's handshake, begun with the first check; the same hello goes to every candidate.</summary>
        public LinkHandshakeState? Handshake { get; set; }
        public uint LocalIndex { get; set; }
        public byte[]? Hello { get; set; }
        public byte[]? Cookie { get; set; }
        public IPEndPoint? CookieFrom { get; set; }
    }

    private readonly Dictionary<ulong, PendingLink> _pendingLinks = [];

    /// <summary>When linking to a peer began, for the set-up time of the link (cleared when it is up or given up).</summary>
    private readonly Dictionary<RingAddress, long> _linkStarted = [];

    /// <summary>
    /// Asks for a direct link to a node known only by its address (a shortcut): an intent routed to it carries our
    /// candidates and relays, its answer carries its own, and both sides check at once. Kept until trimmed as unused.
    /// </summary>
    public void RequestLink(RingAddress peer)
    {
        lock (_gate)
        {
            if (_stopped || peer == Address) return;
            if (_table.TryGetValue(peer, out var existing))
            {
                existing.Roles |= LinkRoles.Shortcut;
                return;
            }
            if (IsLinking(peer)) return;
            StartLink(peer, [], LinkRoles.Shortcut, NewToken());
        }
    }

    private ulong NewToken() => (ulong)_random.NextInt64() ^ ((ulong)_random.Next() << 62);

    private void JoinThroughBootstraps()
    {
        if (_bootstraps.Count == 0) return;
        var candidates = _options.TcpFallback ? _bootstraps.Concat(_bootstraps.Select(b => (IPEndPoint)Transport.TcpEndPoint.From(b))) : _bootstraps;
        StartLink(null, [.. candidates], LinkRoles.Leaf, NewToken());
    }

    /// <summary>
    /// Opens a link: checks to every candidate now; if the peer's address is known, an intent through the overlay
    /// (or through <paramref name="intentVia"/>) asks it to check towards us at the same time, which is what opens
    /// both NATs. Relays are the fallback when no direct path forms.
    /// </summary>
    private PendingLink? StartLink(RingAddress? expected, IPEndPoint[] endpoints, LinkRoles roles, ulong token,
        RingAddress? intentVia = null, IEnumerable<RingAddress>? relays = null, bool directOnly = false)
    {
        if (_pendingLinks.ContainsKey(token)) return null;
        if (expected is { } e && e == Address) return null;
        if (endpoints.Length == 0 && expected is null) return null;
        var pending = new PendingLink { Token = token, Endpoints = endpoints, Roles = roles, Expected = expected, IntentVia = intentVia, DirectOnly = directOnly };
        if (expected is { } peerAddress) _linkStarted.TryAdd(peerAddress, _time.GetTimestamp());
        if (relays is not null) AddRelays(pending, relays);
        if (intentVia is { } v) AddRelays(pending, [v]);
        _pendingLinks[token] = pending;
        SendLinkAttempt(pending);
        return pending;
    }

    private void AddRelays(PendingLink pending, IEnumerable<RingAddress> relays)
    {
        foreach (var r in relays)
        {
            // A relay equal to the peer itself stands for "over the ring": the last resort.
            if (r != Address && !pending.Relays.Contains(r)) pending.Relays.Add(r);
        }
    }

    private bool IsLinking(RingAddress address)
    {
        foreach (var p in _pendingLinks.Values)
        {
            if (p.Expected == address) return true;
        }
        return false;
    }

    private void SendLinkAttempt(PendingLink pending)
    {
        pending.Attempts++;
        long now = _time.GetTimestamp();
        pending.LastSent = now;
        // The first retry comes soon: it is when the intent goes out if the plain request was not answered.
        pending.NextAttempt = now + (pending.Attempts == 1 ? _linkRetry / 2 : _linkRetry);
        if (!EnsureHello(pending)) return;
        var hello = new LinkHello(pending.Token, pending.Roles, pending.LocalIndex, ReadOnlyMemory<byte>.Empty, pending.Hello);
        if (!hello.TryWrite(_sendBuffer, out int n)) return;
        if (pending.Attempts <= _options.LinkAttempts || pending.Relays.Count == 0 || pending.DirectOnly)
        {
            foreach (var ep in pending.Endpoints)
            {
                if (pending.Cookie is not null && Transport.EndpointComparer.Instance.Equals(ep, pending.CookieFrom)) SendHelloWithCookie(pending, ep);
                else SendRaw(ep, _sendBuffer.AsSpan(0, n), maintenance: true);
            }
            // The intent goes with the first retry (a public peer answers the plain request before that), or at
            // once when there is nothing to check yet.
            if ((pending.Attempts == 2 || pending.Endpoints.Length == 0 || pending.RelayAtOnce) && pending.Expected is { } peer && !pending.IntentSent)
            {
                pending.IntentSent = true;
                SendIntent(peer, pending.Roles, pending.Token, LinkIntentFlags.None, pending.IntentVia);
            }
            else if (pending.IntentSent && !pending.IntentAnswered && pending.Attempts % 2 == 0 && pending.Expected is { } again)
            {
                // Routed messages are not retransmitted hop by hop: an intent or its answer lost on the way (a ring
                // still settling, a path being re-punched) would leave a peer behind a strict NAT with nothing to check
                // towards and no relay to fall back on. Ask again until it answers; the peer treats a repeat as the same link.
                SendIntent(again, pending.Roles, pending.Token, LinkIntentFlags.None, pending.IntentVia);
            }
            if (!pending.RelayAtOnce || pending.Relays.Count == 0 || pending.DirectOnly) return;
            // Just moved: the same hello through the three best relays at once, so that one that is linked to the peer
            // carries it without waiting for the rotation of later attempts.
            var target = pending.Expected!.Value;
            var helloBytes = _sendBuffer.AsSpan(0, n).ToArray(); // sending overwrites the send buffer
            var tried = new HashSet<RingAddress>();
            for (int i = 0; i < 3; i++)
            {
                if (ChooseRelay(pending.Relays, target, i) is { } via && tried.Add(via)) SendTunneled(via, target, helloBytes, maintenance: true);
            }
            return;
        }
        // No direct path: the same request through a relay linked to both of us, the best one first.
        var peerAddress = pending.Expected!.Value;
        var relay = ChooseRelay(pending.Relays, peerAddress, Math.Max(0, pending.Attempts - _options.LinkAttempts - 1));
        if (relay is { } r) SendTunneled(r, peerAddress, _sendBuffer.AsSpan(0, n), maintenance: true);
    }

    /// <summary>
    /// Of the relay candidates, those this node is linked to directly, fastest first, then the ring itself if it is a
    /// candidate (given as the peer's own address); rotates with <paramref name="attempt"/>.
    /// </summary>
    private RingAddress? ChooseRelay(List<RingAddress> candidates, RingAddress peer, int attempt)
    {
        var usable = candidates
            .Where(a => a != peer && _table.TryGetValue(a, out var c) && !c.IsRelayed)
            .OrderBy(a => _table[a].RttMs < 0 ? double.MaxValue : _table[a].RttMs)
            .ToList();
        if (candidates.Contains(peer)) usable.Add(peer);
        if (usable.Count == 0) return candidates.Count > 0 ? candidates[attempt % candidates.Count] : null;
        return usable[attempt % usable.Count];
    }

    /// <summary>
    /// Our candidates: host endpoints, server-reflexive ones peers reported, and with the TCP fallback the TCP twin of
    /// each reflexive one (a full-cone NAT or a forwarded port may let TCP in there too).
    /// </summary>
    private IPEndPoint[] AdvertisedEndpoints()
    {
        if (!_options.TcpFallback || _endpoints.Count == _hostEndpoints) return [.. _endpoints];
        var list = new List<IPEndPoint>(_endpoints);
        for (int i = _hostEndpoints; i < _endpoints.Count && list.Count < EndpointList.MaxCount; i++)
        {
            if (_endpoints[i] is not Transport.TcpEndPoint) list.Add(Transport.TcpEndPoint.From(_endpoints[i]));
        }
        return [.. list.Take(EndpointList.MaxCount)];
    }

    /// <summary>Addresses of peers linked directly: the relays this node can offer for a link.</summary>
    private RingAddress[] OfferedRelays()
    {
        var list = new List<RingAddress>(LinkIntent.MaxRelays);
        foreach (var c in _table.Values.Where(c => !c.IsRelayed).OrderBy(c => c.RttMs < 0 ? double.MaxValue : c.RttMs))
        {
            if (list.Count == LinkIntent.MaxRelays) break;
            list.Add(c.Address);
        }
        return [.. list];
    }

    private void SendIntent(RingAddress peer, LinkRoles roles, ulong token, LinkIntentFlags flags, RingAddress? via)
    {
        var intent = new LinkIntent(_identity.PublicKey, roles, flags, token, AdvertisedEndpoints(), OfferedRelays());
        if (!intent.TryWrite(_payloadBuffer, out int n)) return;
        SendRoutedTo(peer, via, RoutedPayloadType.LinkIntent, _payloadBuffer.AsSpan(0, n));
    }

    private void AfterLinked(Connection connection, PendingLink pending)
    {
        if (pending.Rejoin)
        {
            // The peer may be in a ring of its own after a partition: a connect-to-me for our own address sent through
            // it reaches the nodes of that ring nearest us, which link back; neighbour pushes then merge the rings.
            ForgetLost(connection.Address);
            SendConnectToMe(Address, LinkRoles.Near, NewToken(), connection);
            return;
        }
        if (pending.Relays.Count > 0)
        {
            connection.RelayOptions ??= [];
            foreach (var r in pending.Relays)
            {
                if (r != connection.Address && !connection.RelayOptions.Contains(r)) connection.RelayOptions.Add(r);
            }
        }
        if ((pending.Roles & LinkRoles.Leaf) != 0 && !connection.IsRelayed)
        {
            connection.IsBootstrap = true;
            SendConnectToMe(Address, LinkRoles.Near, NewToken());
        }
    }

    /// <summary>
    /// A peer's reply tells us how it sees us: a server-reflexive candidate, learned without a STUN server. A few are
    /// kept, the newest replacing the oldest, so that a symmetric NAT's many mappings do not crowd out the rest.
    /// </summary>
    private void LearnObservedEndpoint(IPEndPoint observed)
    {
        if (observed.Address.Equals(IPAddress.Any) || observed.Address.Equals(IPAddress.IPv6Any)) return;
        if (_endpoints.Contains(observed)) return;
        if (observed is Transport.TcpEndPoint) return;
        if (_endpoints.Count >= _hostEndpoints + 3) _endpoints.RemoveAt(_hostEndpoints);
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

    /// <summary>
    /// Adds or refreshes a connection. A direct source makes (or upgrades) the link direct; a relayed one makes it
    /// relayed unless a direct path is alive. Returns null when the table is full and the peer is not a neighbour.
    /// </summary>
    private Connection? Upsert(RingAddress peer, in PacketSource src, LinkRoles roles, IPEndPoint[]? candidates = null)
    {
        long now = _time.GetTimestamp();
        if (!_table.TryGetValue(peer, out var c))
        {
            if (_table.Count >= _options.MaxConnections && !WouldBeNear(peer)) return null;
            var endpoint = src.Endpoint ?? (candidates is { Length: > 0 } ? candidates[0] : new IPEndPoint(IPAddress.Any, 1));
            c = new Connection(peer, endpoint, now);
            _table[peer] = c;
            if (!src.IsRelayed) c.LastHeardDirect = now;
            if (src.IsRelayed)
            {
                c.IsRelayed = true;
                c.Relay = src.Via;
                // The first attempt to go direct (which also refreshes the shared relays) comes soon.
                c.LastUpgrade = now - _upgradeInterval + 4 * _relayPing;
            }
        }
        else if (!src.IsRelayed)
        {
            SetDirect(c, src.Endpoint!);
            c.LastHeardDirect = now;
        }
        else if (c.IsRelayed || now - c.LastHeardDirect > _directQuiet)
        {
            SetRelayed(c, src.Via);
        }
        if (candidates is { Length: > 0 }) c.Candidates = candidates;
        c.LastHeard = now;
        c.Roles |= roles;
        if ((roles & LinkRoles.Leaf) != 0) c.LeafExpires = now + _leafLifetime;
        if (_linkStarted.Remove(peer, out long started) && c.SetupMs < 0) c.SetupMs = (now - started) * 1000.0 / _frequency;
        RecomputeNeighbourhood();
        return c;
    }

    private void SetDirect(Connection c, IPEndPoint endpoint)
    {
        if (!c.IsRelayed && Transport.EndpointComparer.Instance.Equals(c.Endpoint, endpoint)) return;
        // UDP is preferred: a TCP path replaces a UDP one only once the UDP one has gone quiet.
        if (!c.IsRelayed && endpoint is Transport.TcpEndPoint && c.Endpoint is not Transport.TcpEndPoint
            && _time.GetTimestamp() - c.LastHeard < _pingInterval) return;
        c.IsRelayed = false;
        c.Endpoint = endpoint;
    }

    private void SetRelayed(Connection c, RingAddress via)
    {
        if (!c.IsRelayed) c.LastUpgrade = _time.GetTimestamp() - _upgradeInterval + 4 * _relayPing;
        c.IsRelayed = true;
        c.Relay = via;
    }

    private void RemoveConnection(Connection c, bool notify)
    {
        if (!_table.Remove(c.Address)) return;
        if (notify) SendAddressed(MessageType.Close, 0, c, maintenance: true);
        DropSessions(c);
        RecomputeNeighbourhood();
    }

    /// <summary>The link that sent an addressed message: only what a link's session authenticated counts, and the
    /// claim inside must name that link.</summary>
    private static Connection? KnownSender(RingAddress claimed, in PacketSource src) =>
        src.Peer is { } peer && peer.Address == claimed ? peer : null;

    private DropReason OnAddressed(in PacketSource src, AddressedMessage message)
    {
        var c = KnownSender(message.Sender, src);
        // Nothing is answered to a stranger: no reflection, no amplification, no state.
        if (c is null) return DropReason.UnknownPeer;
        long now = _time.GetTimestamp();
        c.LastHeard = now;
        switch (message.Type)
        {
            case MessageType.Ping:
                SendAddressed(MessageType.Pong, message.Nonce, c, maintenance: true);
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

    private DropReason OnNeighbors(in PacketSource src, Neighbors message)
    {
        var c = KnownSender(message.Sender, src);
        if (c is null) return DropReason.UnknownPeer;
        c.LastHeard = _time.GetTimestamp();
        foreach (var entry in message.Entries)
        {
            if (entry.Address == Address || _table.ContainsKey(entry.Address) || IsLinking(entry.Address)) continue;
            // The sender is linked to the entry: it carries our intent, and can relay the link if punching fails.
            if (WouldBeNear(entry.Address)) StartLink(entry.Address, [entry.Endpoint], LinkRoles.Near, NewToken(), intentVia: c.Address);
        }
        // The sender takes us for a neighbour but we know closer nodes: tell it who they are, so that a node
        // whose view is stale walks towards its true neighbours (Chord's notify, in effect).
        if (!c.IsNear && (message.Flags & NeighborsFlags.Reply) == 0) SendNeighbors(c, NeighborsFlags.Reply);
        return DropReason.None;
    }

    /// <summary>
    /// A peer wants a link and is checking towards our candidates: check towards its candidates now, so both NATs
    /// open; answer once with our own candidates and relays so that it can fall back to a relay we share.
    /// </summary>
    private void OnLinkIntent(in Routed header, LinkIntent intent, RingAddress? arrivedVia)
    {
        var peer = RingAddress.FromPublicKey(intent.PublicKey);
        if (peer != header.Source || peer == Address)
        {
            _counters.Drop(DropReason.Malformed);
            return;
        }
        bool reply = (intent.Flags & LinkIntentFlags.Reply) != 0;
        if (_table.TryGetValue(peer, out var linked))
        {
            // Linked already (an upgrade attempt, a re-punch): keep the list of relays we share up to date.
            foreach (var r in intent.Relays)
            {
                if (r == peer || !_table.TryGetValue(r, out var rc) || rc.IsRelayed) continue;
                linked.RelayOptions ??= [];
                if (!linked.RelayOptions.Contains(r)) linked.RelayOptions.Add(r);
            }
        }
        else
        {
            _linkStarted.TryAdd(peer, _time.GetTimestamp());
        }
        foreach (var p in _pendingLinks.Values)
        {
            if (p.Expected != peer) continue;
            // We are opening this link already: learn the peer's candidates and relays for our checks and fallback.
            p.IntentAnswered = true;
            p.Endpoints = [.. p.Endpoints.Union(intent.Candidates).Take(EndpointList.MaxCount * 2)];
            AddRelays(p, intent.Relays.Where(r => _table.TryGetValue(r, out var rc) && !rc.IsRelayed));
        }
        if (reply) return;
        var relays = intent.Relays.Where(r => _table.TryGetValue(r, out var rc) && !rc.IsRelayed).ToList();
        if (arrivedVia is { } v) relays.Insert(0, v);
        if (!_pendingLinks.ContainsKey(intent.Token)
            && StartLink(peer, intent.Candidates, intent.Roles.Mirror(), intent.Token, intentVia: arrivedVia, relays: relays) is { } started)
        {
            started.IntentSent = true;
            started.IntentAnswered = true;
        }
        SendIntent(peer, intent.Roles.Mirror(), intent.Token, LinkIntentFlags.Reply, arrivedVia);
    }
}

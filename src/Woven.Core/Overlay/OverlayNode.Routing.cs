using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

public sealed partial class OverlayNode
{
    /// <summary>Sends a message that starts at this node.</summary>
    private bool Originate(Routed header, ReadOnlySpan<byte> payload, Connection? firstHop = null, bool? maintenance = null)
    {
        if (header.Mode == RoutingMode.Exact && header.Destination == Address)
        {
            Deliver(header, payload, null);
            return true;
        }
        var next = firstHop ?? NextHop(header, origin: true);
        if (next is null)
        {
            if (header.Mode == RoutingMode.Nearest && IsJoined && (header.Flags & RoutedFlags.ExcludeOrigin) == 0)
            {
                Deliver(header, payload, null);
                return true;
            }
            _counters.Drop(DropReason.Unreachable);
            return false;
        }
        if (!header.TryWrite(_sendBuffer, payload, out int n)) return false;
        SendTo(next, _sendBuffer.AsSpan(0, n), maintenance ?? IsMaintenance(header.PayloadType));
        return true;
    }

    private static bool IsMaintenance(RoutedPayloadType type) =>
        type is RoutedPayloadType.ConnectToMe or RoutedPayloadType.LinkIntent or RoutedPayloadType.Tunnel;

    private DropReason OnRouted(in PacketSource src, Routed header, ReadOnlySpan<byte> datagram)
    {
        // Routed traffic is only taken from linked peers: a stranger cannot inject into the overlay. Through a
        // tunnel, the relay that handed it over is the previous hop.
        var previous = src.Peer;
        if (previous is null) return DropReason.Unauthenticated;
        previous.LastHeard = _time.GetTimestamp();
        var payload = datagram.Slice(Envelope.HeaderSize + header.PayloadOffset, header.PayloadLength);
        if (header.PayloadType == RoutedPayloadType.Tunnel && header.Destination == Address)
            return OnTunnel(src, header, payload, previous);
        if (header.Mode == RoutingMode.Exact && header.Destination == Address)
        {
            Deliver(header, payload, src.IsRelayed ? src.Via : null, previous);
            return DropReason.None;
        }
        var next = NextHop(header, origin: false);
        if (next is null)
        {
            if (header.Mode == RoutingMode.Nearest && IsJoined && !(header.Source == Address && (header.Flags & RoutedFlags.ExcludeOrigin) != 0))
            {
                Deliver(header, payload, src.IsRelayed ? src.Via : null);
                return DropReason.None;
            }
            return DropReason.Unreachable;
        }
        if (header.Hops + 1 >= header.HopLimit) return DropReason.HopLimit;
        datagram.CopyTo(_sendBuffer);
        _sendBuffer[Routed.HopsOffsetInDatagram] = (byte)(header.Hops + 1);
        _counters.RoutedForwarded++;
        SendTo(next, _sendBuffer.AsSpan(0, datagram.Length), IsMaintenance(header.PayloadType));
        return DropReason.None;
    }

    /// <summary>
    /// A tunnel addressed to this node: either this node is the relay (hand the inner datagram on to the final node
    /// over a direct link) or the final node (process the inner datagram as coming from the tunnel's source).
    /// </summary>
    private DropReason OnTunnel(in PacketSource src, in Routed header, ReadOnlySpan<byte> payload, Connection previous)
    {
        if (src.IsRelayed || !Tunnel.TryRead(payload, out var final, out var inner)) return DropReason.Malformed;
        if (final == Address)
        {
            if (previous.IsRelayed) return DropReason.Malformed;
            // Over the ring there is no fixed relay: answers go back over the ring too (relay = the sender itself).
            var via = (header.Flags & RoutedFlags.ViaRing) != 0 ? header.Source : previous.Address;
            // Sealed data and handshakes inside a tunnel stand on their own. A routed message inside one (an intent
            // carried to a node that is not in the ring yet) is as trustworthy as any routed message: every hop of the
            // way was a sealed link, the last one from the relay.
            bool routed = inner.Length > 1 && inner[1] == (byte)MessageType.Routed;
            return Dispatch(PacketSource.Relayed(header.Source, via) with { Peer = routed ? previous : null }, inner);
        }
        if (!_table.TryGetValue(final, out var target) || target.IsRelayed) return DropReason.Unreachable;
        if (header.Hops + 1 >= header.HopLimit) return DropReason.HopLimit;
        var onward = header with { Destination = final, Hops = (byte)(header.Hops + 1) };
        if (!onward.TryWrite(_sendBuffer, payload, out int n)) return DropReason.Malformed;
        _counters.RoutedForwarded++;
        SendTo(target, _sendBuffer.AsSpan(0, n), maintenance: true);
        return DropReason.None;
    }

    /// <summary>
    /// Greedy next hop: the routable link strictly closer to the destination than this node, or null when this
    /// node is the closest it knows (a local minimum). Strict progress makes loops impossible; the hop limit
    /// guards against a ring that is still forming.
    /// </summary>
    private Connection? NextHop(in Routed header, bool origin)
    {
        var dst = header.Destination;
        if (header.Mode == RoutingMode.Exact && _table.TryGetValue(dst, out var direct)) return direct;
        // A node that has not joined yet must not answer for any part of the ring, or joiners that meet
        // first would form a ring of their own: it hands everything to the member it joins through.
        if (!IsJoined) return BootstrapLink(dst);
        bool excludeOrigin = (header.Flags & RoutedFlags.ExcludeOrigin) != 0;
        bool selfEligible = !(excludeOrigin && header.Source == Address);
        var best = selfEligible ? RingAddress.Distance(Address, dst) : RingAddress.Half;
        Connection? bestConnection = null;
        // A link that missed a ping is suspect: greedy routing goes around it until it answers or is declared dead.
        long suspectAfter = _time.GetTimestamp() - (_pingInterval + _pingRetry);
        foreach (var c in _table.Values)
        {
            if (!c.IsRoutable || (excludeOrigin && c.Address == header.Source) || c.LastHeard < suspectAfter) continue;
            var d = RingAddress.Distance(c.Address, dst);
            if (d < best || (!selfEligible && bestConnection is null && d <= best))
            {
                best = d;
                bestConnection = c;
            }
        }
        return bestConnection;
    }

    private Connection? BootstrapLink(RingAddress dst)
    {
        Connection? best = null;
        var bestDistance = RingAddress.Half;
        foreach (var c in _table.Values)
        {
            if (!c.IsBootstrap) continue;
            var d = RingAddress.Distance(c.Address, dst);
            if (best is null || d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    /// <summary>
    /// Part of the ring: a node that was started without bootstraps (it founds a ring), or one that holds a
    /// near or far link, which only a ring member gives.
    /// </summary>
    private bool IsJoined => _bootstraps.Count == 0 || HasRoutable();

    /// <summary>While joining, the member this node joins through: others reach it through that member.</summary>
    private RingAddress JoinVia()
    {
        if (IsJoined && _bootstraps.Count > 0) return RingAddress.Zero;
        foreach (var c in _table.Values)
        {
            if (c.IsBootstrap) return c.Address;
        }
        return RingAddress.Zero;
    }

    private bool HasRoutable()
    {
        foreach (var c in _table.Values)
        {
            if (c.IsRoutable) return true;
        }
        return false;
    }

    private void Deliver(in Routed header, ReadOnlySpan<byte> payload, RingAddress? arrivedVia, Connection? previous = null)
    {
        _counters.RoutedDelivered++;
        switch (header.PayloadType)
        {
            case RoutedPayloadType.ConnectToMe:
                if (ConnectToMe.TryRead(payload, out var ctm)) OnConnectToMe(header, ctm!);
                else _counters.Drop(DropReason.Malformed);
                break;
            case RoutedPayloadType.LinkIntent:
                if (LinkIntent.TryRead(payload, out var intent)) OnLinkIntent(header, intent!, arrivedVia);
                else _counters.Drop(DropReason.Malformed);
                break;
            case RoutedPayloadType.Tunnel:
                _counters.Drop(DropReason.Malformed); // a tunnel only ends at its destination, handled before delivery
                break;
            default:
                bool fromSource = previous is not null && previous.Address == header.Source;
                if (_services.TryGetValue(header.PayloadType, out var service)) service(header, payload, fromSource);
                else Delivered?.Invoke(header, payload, fromSource);
                break;
        }
    }

    /// <summary>Routes a connect-to-me towards <paramref name="target"/>; whoever it reaches links back.</summary>
    private void SendConnectToMe(RingAddress target, LinkRoles roles, ulong token, Connection? firstHop = null)
    {
        var ctm = new ConnectToMe(_identity.PublicKey, roles, ConnectToMeFlags.None, token, JoinVia(), AdvertisedEndpoints());
        if (!ctm.TryWrite(_payloadBuffer, out int n)) return;
        var flags = target == Address ? RoutedFlags.ExcludeOrigin : RoutedFlags.None;
        var header = new Routed(Address, target, RoutingMode.Nearest, flags, 0, _options.HopLimit, RoutedPayloadType.ConnectToMe, 0, n);
        Originate(header, _payloadBuffer.AsSpan(0, n), firstHop);
    }

    private void OnConnectToMe(in Routed header, ConnectToMe ctm)
    {
        var origin = RingAddress.FromPublicKey(ctm.PublicKey);
        // The key must be the source's: nobody asks others to link to an address it does not own.
        if (origin != header.Source)
        {
            _counters.Drop(DropReason.Malformed);
            return;
        }
        if (origin == Address) return;
        LinkRoles mine = LinkRoles.None;
        if ((ctm.Roles & LinkRoles.Near) != 0) mine |= LinkRoles.Near;
        if ((ctm.Roles & LinkRoles.FarOut) != 0 && CountRole(LinkRoles.FarIn) < _options.MaxFarIn) mine |= LinkRoles.FarIn;
        RingAddress? via = ctm.Via == RingAddress.Zero ? null : ctm.Via;
        if (mine != LinkRoles.None) StartLink(origin, ctm.Endpoints, mine, ctm.Token, intentVia: via);
        if ((ctm.Roles & LinkRoles.Near) != 0 && (ctm.Flags & ConnectToMeFlags.Forwarded) == 0) ForwardToOtherSide(origin, ctm);
    }

    /// <summary>
    /// The nearest node hands a neighbour request on to its own neighbour on the far side of the origin, so that
    /// a joiner links to both of the nodes it falls between in one pass.
    /// </summary>
    private void ForwardToOtherSide(RingAddress origin, ConnectToMe ctm)
    {
        var list = RingAddress.IsClockwiseCloser(Address, origin) ? _successors : _predecessors;
        int count = ReferenceEquals(list, _successors) ? _successorCount : _predecessorCount;
        Connection? other = null;
        for (int i = 0; i < count; i++)
        {
            if (list[i]!.Address != origin)
            {
                other = list[i];
                break;
            }
        }
        if (other is null) return;
        var forwarded = ctm with { Flags = ConnectToMeFlags.Forwarded };
        if (!forwarded.TryWrite(_payloadBuffer, out int n)) return;
        var header = new Routed(origin, other.Address, RoutingMode.Exact, RoutedFlags.None, 1, _options.HopLimit, RoutedPayloadType.ConnectToMe, 0, n);
        if (header.TryWrite(_sendBuffer, _payloadBuffer.AsSpan(0, n), out int len))
            SendTo(other, _sendBuffer.AsSpan(0, len), maintenance: true);
    }
}

using System.Net;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Transport;
using Woven.Wire;

namespace Woven.Overlay;

/// <summary>
/// A routed message that reached this node: its header and its payload (valid during the call only).
/// <paramref name="fromSource"/> is true when it arrived over this node's own link with the source (sent with
/// <see cref="OverlayNode.SendSecure"/>): then the source is authenticated end to end, and no router read or changed it.
/// </summary>
public delegate void RoutedDeliveryHandler(in Routed header, ReadOnlySpan<byte> payload, bool fromSource);

/// <summary>
/// One member of the ring overlay (Brunet/Symphony in modern form): it keeps near links to its ring
/// neighbours and Symphony far links, routes greedily, joins through any member and repairs the ring.
/// The same code runs over real sockets and in the simulator: all I/O goes through
/// <see cref="IDatagramSocket"/>, all time through <see cref="TimeProvider"/>, all choices through the
/// injected <see cref="Random"/>. Every entry point takes one lock, so protocol state is single-threaded.
/// </summary>
public sealed partial class OverlayNode : IDisposable
{
    private readonly OverlayOptions _options;
    private readonly NodeIdentity _identity;
    private readonly IDatagramSocket _socket;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly Dictionary<RingAddress, Connection> _table = [];
    private readonly List<IPEndPoint> _endpoints = [];
    private readonly List<IPEndPoint> _bootstraps = [];
    private readonly byte[] _sendBuffer;
    private readonly byte[] _payloadBuffer;
    private readonly byte[] _innerBuffer;
    private readonly byte[] _sealBuffer;
    private readonly LinkCrypto _crypto;
    private readonly WireBuffers _buffers;
    private readonly Membership _membership;
    private int _hostEndpoints;
    private readonly OverlayCounters _counters = new();
    private readonly long _frequency;
    private ITimer? _timer;
    private bool _started;
    private bool _stopped;

    /// <param name="buffers">Encoding scratch space; share one only among nodes driven by the same thread.</param>
    /// <param name="crypto">The link cipher suite; by default Noise with the identity's key (which then needs its private half).</param>
    /// <param name="membership">Who may link; by default anyone who proves a key (no domain).</param>
    public OverlayNode(OverlayOptions options, NodeIdentity identity, IDatagramSocket socket, TimeProvider time, Random random,
        IEnumerable<IPEndPoint>? advertisedEndpoints = null, WireBuffers? buffers = null, LinkCrypto? crypto = null, Membership? membership = null)
    {
        buffers ??= new WireBuffers();
        _buffers = buffers;
        _crypto = crypto ?? new NoiseLinkCrypto(Crypto.Noise.X25519KeyPair.FromPrivateKey(identity.StaticDhPrivateKey()));
        _membership = membership ?? new OpenMembership();
        _sealBuffer = buffers.Seal;
        _sendBuffer = buffers.Datagram;
        _payloadBuffer = buffers.Payload;
        _innerBuffer = buffers.Inner;
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _options = options;
        _identity = identity;
        _socket = socket;
        _time = time;
        _random = random;
        _frequency = time.TimestampFrequency;
        if (advertisedEndpoints is not null) _endpoints.AddRange(advertisedEndpoints.Take(EndpointList.MaxCount / 2));
        if (_endpoints.Count == 0) _endpoints.Add(socket.LocalEndPoint);
        _hostEndpoints = _endpoints.Count;
        InitTiming();
    }

    public RingAddress Address => _identity.Address;

    public NodeIdentity Identity => _identity;

    /// <summary>Called for every Probe or Data message delivered to this node.</summary>
    public RoutedDeliveryHandler? Delivered { get; set; }

    /// <summary>Starts receiving and joins through the given members (none: this node starts a new ring).</summary>
    public void Start(IEnumerable<IPEndPoint> bootstraps)
    {
        lock (_gate)
        {
            if (_started) throw new InvalidOperationException("already started");
            _started = true;
            foreach (var b in bootstraps)
            {
                if (!b.Equals(_socket.LocalEndPoint) && !_endpoints.Contains(b)) _bootstraps.Add(b);
            }
            _socket.Start(OnDatagram);
            // Spread the ticks of nodes that start together over one interval.
            var first = TimeSpan.FromTicks((long)(_options.TickInterval.Ticks * _random.NextDouble()));
            _timer = _time.CreateTimer(static s => ((OverlayNode)s!).Tick(), this, first, _options.TickInterval);
            JoinThroughBootstraps();
        }
    }

    /// <summary>Graceful leave: tells every linked peer, then stops.</summary>
    public void Leave()
    {
        lock (_gate)
        {
            if (_stopped) return;
            foreach (var c in _table.Values) SendAddressed(MessageType.Leave, 0, c, maintenance: true);
            StopLocked();
        }
    }

    /// <summary>Stops without telling anyone (what a crash looks like to the others).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            StopLocked();
        }
    }

    private void StopLocked()
    {
        if (_stopped) return;
        _stopped = true;
        _timer?.Dispose();
        _socket.Dispose();
        foreach (var c in _table.Values) DropSessions(c);
        foreach (var h in _halfOpen.Values) h.State.Dispose();
        foreach (var p in _pendingLinks.Values) p.Handshake?.Dispose();
    }

    /// <summary>Routes a payload to a destination. Returns false when it cannot leave this node.</summary>
    public bool Send(RingAddress destination, RoutingMode mode, RoutedPayloadType type, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            if (_stopped || payload.Length > Routed.MaxPayload) return false;
            var header = new Routed(Address, destination, mode, RoutedFlags.None, 0, _options.HopLimit, type, 0, payload.Length);
            return Originate(header, payload);
        }
    }

    private void OnDatagram(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        lock (_gate)
        {
            if (_stopped) return;
            _counters.DatagramsIn++;
            _counters.BytesIn += datagram.Length;
            if (IsExcluded(from))
            {
                _counters.Drop(DropReason.Excluded);
                return;
            }
            // STUN shares the port: its first byte is 0x00-0x03 (RFC 7983), the overlay's 0xD0-0xDF.
            var reason = datagram.Length > 0 && (datagram[0] & 0xC0) == 0 ? AnswerStun(from, datagram) : Dispatch(PacketSource.Direct(from), datagram);
            if (reason != DropReason.None) _counters.Drop(reason);
            FlushNeighbourhood();
        }
    }

    private static readonly Nat.StunResponder Stun = new();

    /// <summary>Answers a STUN Binding request with the sender's reflexive address; anything else STUN-like is dropped.</summary>
    private DropReason AnswerStun(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (!Stun.TryRespond(datagram, from, _sendBuffer, out int n)) return DropReason.NotStunRequest;
        _counters.StunAnswered++;
        SendRaw(from, _sendBuffer.AsSpan(0, n), maintenance: false);
        return DropReason.None;
    }

    private DropReason Dispatch(in PacketSource src, ReadOnlySpan<byte> datagram)
    {
        var reason = Envelope.Classify(datagram, out var type);
        if (reason != DropReason.None) return reason;
        var body = datagram[Envelope.HeaderSize..];
        // Handshake messages and sealed data travel in the clear; everything else only inside a link's sealed data.
        bool sealedInside = src.Peer is not null;
        return type switch
        {
            MessageType.LinkRequest => sealedInside ? DropReason.Malformed : OnHello(src, body),
            MessageType.LinkAccept => sealedInside ? DropReason.Malformed : OnAccept(src, body),
            MessageType.LinkConfirm => sealedInside ? DropReason.Malformed : OnConfirm(src, body),
            MessageType.CookieReply => sealedInside ? DropReason.Malformed : OnCookieReply(src, body),
            MessageType.Sealed => OnSealed(src, datagram),
            _ when !sealedInside => DropReason.Unauthenticated,
            MessageType.Revocations => OnRevocations(src, body),
            MessageType.Neighbors => Wire.Neighbors.TryRead(body, out var nb) ? OnNeighbors(src, nb!) : DropReason.Malformed,
            MessageType.Routed => Routed.TryRead(body, out var routed) ? OnRouted(src, routed, datagram) : DropReason.Malformed,
            _ => AddressedMessage.TryRead(type, body, out var m) ? OnAddressed(src, m) : DropReason.Malformed,
        };
    }

    private void SendRaw(IPEndPoint to, ReadOnlySpan<byte> datagram, bool maintenance)
    {
        if (IsExcluded(to))
        {
            _counters.Drop(DropReason.Excluded);
            return;
        }
        _counters.DatagramsOut++;
        _counters.BytesOut += datagram.Length;
        if (maintenance) _counters.MaintenanceSent++;
        if (_batchDepth > 0) Batch(to, datagram);
        else _socket.Send(to, datagram);
    }

    private void SendAddressed(MessageType type, ulong nonce, Connection to, bool maintenance)
    {
        var m = new AddressedMessage(type, Address, nonce);
        if (m.TryWrite(_sendBuffer, out int n)) SendTo(to, _sendBuffer.AsSpan(0, n), maintenance);
    }

    /// <summary>Sends a datagram over a link: straight to its endpoint, or through its relay.</summary>
    private void SendTo(Connection to, ReadOnlySpan<byte> datagram, bool maintenance) => SendSealed(to, datagram, maintenance);

    /// <summary>
    /// Wraps a datagram for <paramref name="final"/> and routes it to <paramref name="relay"/>, which hands it on. A relay
    /// equal to the final node means "over the ring": the tunnel is routed greedily to the final node itself, leaving
    /// through a direct link other than the (relayed) one to it.
    /// </summary>
    private void SendTunneled(RingAddress relay, RingAddress final, ReadOnlySpan<byte> datagram, bool maintenance)
    {
        datagram.CopyTo(_innerBuffer);
        if (!Tunnel.TryWrite(_payloadBuffer, final, _innerBuffer.AsSpan(0, datagram.Length), out int n))
        {
            _counters.Drop(DropReason.TooBig);
            return;
        }
        bool viaRing = relay == final;
        var header = new Routed(Address, relay, RoutingMode.Exact, viaRing ? RoutedFlags.ViaRing : RoutedFlags.None, 0, _options.HopLimit, RoutedPayloadType.Tunnel, 0, n);
        Connection? firstHop = null;
        if (viaRing)
        {
            var best = RingAddress.Half;
            foreach (var c in _table.Values)
            {
                if (c.IsRelayed || c.Address == final || !c.IsRoutable) continue;
                var d = RingAddress.Distance(c.Address, final);
                if (firstHop is null || d < best)
                {
                    best = d;
                    firstHop = c;
                }
            }
            if (firstHop is null)
            {
                _counters.Drop(DropReason.Unreachable);
                return;
            }
        }
        Originate(header, _payloadBuffer.AsSpan(0, n), firstHop, maintenance);
    }

    /// <summary>Routes a payload to a peer: through <paramref name="via"/> (a node linked to it) when given, else over the ring.</summary>
    private void SendRoutedTo(RingAddress peer, RingAddress? via, RoutedPayloadType type, ReadOnlySpan<byte> payload)
    {
        // Through a relay (or, when the relay is the peer itself, over the ring around our own link to it, which may be
        // the dead path being repaired).
        if (via is { } v)
        {
            var inner = new Routed(Address, peer, RoutingMode.Exact, RoutedFlags.None, 0, _options.HopLimit, type, 0, payload.Length);
            if (inner.TryWrite(_sendBuffer, payload, out int n)) SendTunneled(v, peer, _sendBuffer.AsSpan(0, n), maintenance: true);
            return;
        }
        var header = new Routed(Address, peer, RoutingMode.Exact, RoutedFlags.None, 0, _options.HopLimit, type, 0, payload.Length);
        Originate(header, payload, maintenance: true);
    }
}

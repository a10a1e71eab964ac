using System.Buffers.Binary;
using System.Net;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Crypto.Noise;
using Woven.Nat;
using Woven.Overlay;
using Woven.Sim.Engine;
using Woven.Sim.Network;
using Woven.Transport;
using Woven.Wire;

namespace Woven.Sim.Fuzzing;

/// <summary>
/// The whole receive path of a live <see cref="OverlayNode"/>: a node in a small simulated ring (two more members)
/// gets every input as a datagram from a stranger's socket on the <see cref="SimNetwork"/>. The stranger is a scripted
/// peer: it really links with the node (so sealed data reaches the node's inner dispatch), answers the node's own
/// handshakes when asked to, and captures cookies. Inputs are either raw datagrams (hellos, confirms, accepts, cookie
/// replies, sealed data, STUN, unsealed overlay messages, all mutated as they stand) or overlay messages mutated
/// inside and then sealed properly on the stranger's link, so that they pass authentication and reach Neighbors,
/// Routed (ConnectToMe, LinkIntent, Tunnel, Probe, Data), Ping, Leave and the rest.
/// <para>
/// Checked per datagram: nothing escapes as an exception (from the node, from the other members it forwards to, or
/// from its timers), every datagram the stranger sends is delivered once, and the node's DatagramsIn grows by exactly
/// one per datagram it is handed. A datagram counts as refused when the node counted a drop while handling it.
/// </para>
/// </summary>
internal sealed class LiveNodeTarget : FuzzTarget
{
    public const int Port = 7000;
    public const int MaxInput = Envelope.MaxDatagramSize + 64;

    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan RelinkAfter = TimeSpan.FromSeconds(100);
    private static readonly LinkRoles[] HelloRoles = [LinkRoles.Near, LinkRoles.Leaf, LinkRoles.FarOut, LinkRoles.Shortcut, LinkRoles.None, LinkRoles.Near | LinkRoles.FarIn];

    private enum Kind
    {
        SealedInner,
        Hello,
        Confirm,
        Accept,
        CookieReply,
        Sealed,
        Stun,
        Unsealed,
    }

    private readonly bool _noise;
    private readonly int _seed;
    private readonly Dictionary<string, long> _details = new(StringComparer.Ordinal);
    private readonly long[] _kindInputs = new long[Enum.GetValues<Kind>().Length];
    private readonly long[] _kindAccepted = new long[Enum.GetValues<Kind>().Length];
    private readonly byte[] _scratch = new byte[4096];
    private readonly byte[] _scratch2 = new byte[4096];
    private int _generation;
    private bool _retired;

    // The simulated world, rebuilt by Reset.
    private SimLoop _loop = null!;
    private SimNetwork _network = null!;
    private OverlayNode _target = null!;
    private readonly List<OverlayNode> _members = [];
    private IPEndPoint _targetEndpoint = null!;
    private IPEndPoint _strangerEndpoint = null!;
    private IDatagramSocket _strangerSocket = null!;
    private LinkCrypto _strangerCrypto = null!;
    private byte[] _strangerKey = null!;
    private RingAddress _strangerAddress;
    private Random _worldRandom = null!;

    // The stranger's view.
    private Link? _link;
    private Handshake? _handshake;
    private (ulong Token, uint Index, byte[] Cookie)? _cookie;
    private (ulong Token, LinkRoles Roles, uint Index, byte[] Noise)? _targetHello;
    private byte[] _helloNoise = [];
    private int _helloNoiseUses;
    private List<byte[]> _innerSeeds = [];
    private List<byte[]> _stunSeeds = [];
    private bool _linkConfirmed;

    // The input in flight.
    private bool _inFlight;
    private int _deliveredNow;
    private bool _droppedNow;
    private bool _answeredNow;
    private string? _violation;
    private Kind _lastKind;
    private byte[]? _lastInner;
    private long _inputsSinceCheck;

    // Totals over rebuilt worlds.
    private long _sentByStranger;
    private long _deliveredFromStranger;
    private long _deliveredToTarget;
    private readonly Dictionary<string, long> _retiredCounters = new(StringComparer.Ordinal);

    public LiveNodeTarget(bool noise, int seed)
        : base(noise ? "node.noise" : "node.clear", "node")
    {
        _noise = noise;
        _seed = seed;
        foreach (var key in new[] { "dropped", "answered", "absorbed", "relinks", "relink_failures", "handshakes_completed", "replies_to_stranger" }) _details[key] = 0;
        Build();
    }

    public override string Description => _noise
        ? "OverlayNode receive path (Noise XX links, real ChaCha20-Poly1305) on SimNetwork, datagrams from a stranger"
        : "OverlayNode receive path (the simulator's clear link suite) on SimNetwork, datagrams from a stranger";

    private sealed class Link(uint sendIndex, uint receiveIndex, LinkSession session, long created)
    {
        public uint SendIndex { get; } = sendIndex;
        public uint ReceiveIndex { get; } = receiveIndex;
        public LinkSession Session { get; } = session;
        public long Created { get; } = created;
    }

    private sealed class Handshake(ulong token, uint index, LinkRoles roles, LinkHandshakeState state)
    {
        public ulong Token { get; } = token;
        public uint Index { get; } = index;
        public LinkRoles Roles { get; } = roles;
        public LinkHandshakeState State { get; } = state;
        public byte[] Hello { get; set; } = [];
        public byte[]? Cookie { get; set; }
        public byte[]? Confirm { get; set; }
        public uint ResponderIndex { get; set; }
    }

    // ---- the world ------------------------------------------------------------------------------------------------

    private void Build()
    {
        _worldRandom = new Random(_seed ^ (_generation * 0x3C6EF372) ^ (_noise ? 0x5BD1E995 : 0));
        _retired = false;
        _loop = new SimLoop();
        var net = new SimNetworkOptions { LatencyMin = TimeSpan.FromMilliseconds(1), LatencyMax = TimeSpan.FromMilliseconds(1), Jitter = TimeSpan.Zero };
        _network = new SimNetwork(_loop, net, _worldRandom.Next());
        _members.Clear();
        var options = new OverlayOptions();
        for (int i = 0; i < 3; i++)
        {
            var (identity, crypto) = NewIdentity();
            var endpoint = new IPEndPoint(SimNetwork.HostAddress(i), Port);
            IDatagramSocket socket = _network.Bind(endpoint);
            if (i == 0)
            {
                socket = new CountingSocket(socket, this);
                _targetEndpoint = endpoint;
            }
            // Noise members use the node's default suite (Noise with the identity's key); the clear ones the simulator's.
            var node = new OverlayNode(options, identity, socket, _loop, new Random(_worldRandom.Next()), crypto: _noise ? null : crypto);
            _members.Add(node);
        }
        _target = _members[0];
        _target.Start([]);
        _loop.RunFor(TimeSpan.FromMilliseconds(100));
        for (int i = 1; i < _members.Count; i++) _members[i].Start([_targetEndpoint]);
        _loop.RunFor(TimeSpan.FromSeconds(20));

        var (strangerIdentity, strangerCrypto) = NewIdentity();
        _strangerKey = strangerIdentity.PublicKey;
        _strangerAddress = strangerIdentity.Address;
        _strangerCrypto = strangerCrypto;
        _strangerEndpoint = new IPEndPoint(SimNetwork.HostAddress(50), Port);
        _strangerSocket = _network.Bind(_strangerEndpoint);
        _strangerSocket.Start(OnStrangerReceive);
        _link = null;
        _handshake = null;
        _cookie = null;
        _targetHello = null;
        _helloNoiseUses = int.MaxValue;
        _innerSeeds = BuildInnerSeeds();
        _stunSeeds = BuildStunSeeds();
        Relink();
    }

    private (NodeIdentity Identity, LinkCrypto Crypto) NewIdentity()
    {
        var key = new byte[NodeIdentity.KeySize];
        if (_noise)
        {
            _worldRandom.NextBytes(key);
            var identity = NodeIdentity.FromPrivateKey(key);
            return (identity, new NoiseLinkCrypto(X25519KeyPair.FromPrivateKey(identity.StaticDhPrivateKey())));
        }
        // As the simulator does: a seeded public key with an X25519 twin, and the clear suite.
        var seeded = ClearLinkCrypto.SeededIdentity(_worldRandom, out var clear);
        return (seeded, clear);
    }

    public override void Reset()
    {
        RetireWorld();
        _generation++;
        Build();
    }

    private void RetireWorld()
    {
        if (_retired) return;
        _retired = true;
        foreach (var (key, value) in CurrentCounters()) _retiredCounters[key] = _retiredCounters.GetValueOrDefault(key) + value;
        foreach (var node in _members) node.Dispose();
        _strangerSocket.Dispose();
        _link?.Session.Dispose();
        _link = null;
        _handshake?.State.Dispose();
        _handshake = null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) RetireWorld();
        base.Dispose(disposing);
    }

    /// <summary>The target node's socket, counting what it is handed and checking the node's own count.</summary>
    private sealed class CountingSocket(IDatagramSocket inner, LiveNodeTarget owner) : IDatagramSocket
    {
        public IPEndPoint LocalEndPoint => inner.LocalEndPoint;

        public void Start(DatagramHandler handler) => inner.Start((from, datagram) => owner.OnTargetReceive(handler, from, datagram));

        public void Send(IPEndPoint to, ReadOnlySpan<byte> datagram) => inner.Send(to, datagram);

        public void Dispose() => inner.Dispose();
    }

    private void OnTargetReceive(DatagramHandler handler, IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        var counters = _target.Counters;
        long inBefore = counters.DatagramsIn, dropsBefore = counters.DroppedTotal, outBefore = counters.DatagramsOut;
        bool fromStranger = from.Equals(_strangerEndpoint);
        _deliveredToTarget++;
        if (fromStranger) _deliveredFromStranger++;
        handler(from, datagram);
        if (counters.DatagramsIn != inBefore + 1)
            _violation ??= $"DatagramsIn went from {inBefore} to {counters.DatagramsIn} for one datagram from {from}: {Convert.ToHexStringLower(datagram)}";
        if (fromStranger && _inFlight)
        {
            _deliveredNow++;
            _droppedNow |= counters.DroppedTotal > dropsBefore;
            _answeredNow |= counters.DatagramsOut > outBefore;
        }
    }

    // ---- the stranger ---------------------------------------------------------------------------------------------

    private void OnStrangerReceive(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (!from.Equals(_targetEndpoint)) return; // the other members' hellos: not answered
        Count("replies_to_stranger");
        if (Envelope.Classify(datagram, out var type) != DropReason.None) return;
        var body = datagram[Envelope.HeaderSize..];
        switch (type)
        {
            case MessageType.LinkAccept:
                OnAccept(from, body);
                break;
            case MessageType.CookieReply:
                if (!CookieReply.TryRead(body, out var reply)) return;
                _cookie = (reply.Token, reply.ReceiverIndex, reply.Cookie);
                if (_handshake is { } h && h.Token == reply.Token && h.Index == reply.ReceiverIndex) h.Cookie = reply.Cookie;
                break;
            case MessageType.LinkRequest:
                if (LinkHello.TryRead(body, out ulong token, out var roles, out uint index, out _, out var noise))
                    _targetHello = (token, roles, index, noise.ToArray());
                break;
            case MessageType.Sealed:
                OnSealed(datagram);
                break;
        }
    }

    private void OnAccept(IPEndPoint from, ReadOnlySpan<byte> body)
    {
        if (_handshake is not { Confirm: null } h) return;
        if (!LinkHandshake.TryRead(body, out ulong token, out uint responderIndex, out uint receiverIndex, out var noise)) return;
        if (token != h.Token || receiverIndex != h.Index) return;
        if (!h.State.TryRead(noise, _scratch, out _)) return;
        var payload = new LinkPayload(_strangerKey, h.Roles, from, [_strangerEndpoint], [], 0);
        if (!payload.TryWrite(_scratch, out int p) || !h.State.TryWrite(_scratch.AsSpan(0, p), _scratch2, out int m)) return;
        var confirm = new byte[Envelope.MaxDatagramSize];
        if (!LinkHandshake.TryWrite(confirm, MessageType.LinkConfirm, token, h.Index, responderIndex, _scratch2.AsSpan(0, m), out int n)) return;
        h.Confirm = confirm[..n];
        h.ResponderIndex = responderIndex;
    }

    private void OnSealed(ReadOnlySpan<byte> datagram)
    {
        if (_link is not { } link) return;
        if (!Sealed.TryRead(datagram[Envelope.HeaderSize..], out uint index, out ulong counter, out var ciphertext) || index != link.ReceiveIndex) return;
        if (!link.Session.TryOpen(counter, ciphertext, datagram[..Sealed.AssociatedSize], _scratch, out int length)) return;
        _linkConfirmed = true;
        // The node closed the link: the stranger links again before it next needs it.
        if (length >= Envelope.HeaderSize && _scratch[1] is (byte)MessageType.Close or (byte)MessageType.Leave) DropLink();
    }

    private void DropLink()
    {
        _link?.Session.Dispose();
        _link = null;
    }

    private ulong NewToken() => (ulong)_worldRandom.NextInt64() ^ ((ulong)_worldRandom.Next() << 62);

    private uint NewIndex() => (uint)_worldRandom.Next(1, int.MaxValue) ^ ((uint)_worldRandom.Next(2) << 31);

    private byte[] HelloDatagram(Handshake h, byte[]? cookie)
    {
        var hello = new LinkHello(h.Token, h.Roles, h.Index, cookie, h.Hello);
        var buffer = new byte[hello.Size];
        if (!hello.TryWrite(buffer, out _)) throw new InvalidOperationException("the stranger's hello did not encode");
        return buffer;
    }

    private void SendFromStranger(ReadOnlySpan<byte> datagram)
    {
        _sentByStranger++;
        _strangerSocket.Send(_targetEndpoint, datagram);
    }

    /// <summary>A hello answered by the node and the confirm that completes it, not yet sent; null when the node would not answer.</summary>
    private Handshake? PrepareHandshake(LinkRoles roles)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var h = new Handshake(NewToken(), NewIndex(), roles, _strangerCrypto.Begin(initiator: true));
            if (!h.State.TryWrite([], _scratch, out int m)) throw new InvalidOperationException("the stranger's message 1 did not write");
            h.Hello = _scratch[..m];
            _handshake = h;
            SendFromStranger(HelloDatagram(h, null));
            _loop.RunFor(TimeSpan.FromMilliseconds(5));
            if (h.Confirm is null && h.Cookie is not null)
            {
                // Under load the node wants proof of our address first.
                SendFromStranger(HelloDatagram(h, h.Cookie));
                _loop.RunFor(TimeSpan.FromMilliseconds(5));
            }
            _handshake = null;
            if (h.Confirm is not null) return h;
            h.State.Dispose();
            // Refused (the handshake budget of this second is spent, or the half-open table is churning): wait a little.
            _loop.RunFor(TimeSpan.FromMilliseconds(1100));
        }
        return null;
    }

    /// <summary>Links the stranger with the node (again), so that sealed data reaches the node's inner dispatch.</summary>
    private bool Relink()
    {
        DropLink();
        Count("relinks");
        var h = PrepareHandshake(LinkRoles.Near);
        if (h is null)
        {
            Count("relink_failures");
            return false;
        }
        _link = new Link(h.ResponderIndex, h.Index, h.State.CreateSession(_loop), _loop.Now);
        h.State.Dispose();
        _linkConfirmed = false;
        SendFromStranger(h.Confirm!);
        _loop.RunFor(TimeSpan.FromMilliseconds(5));
        // The node answers a confirm with a sealed ping on the new link.
        if (_linkConfirmed) return true;
        Count("relink_failures");
        DropLink();
        return false;
    }

    private bool StrangerLinked()
    {
        foreach (var peer in _target.Snapshot().Peers)
        {
            if (peer.Address == _strangerAddress) return true;
        }
        return false;
    }

    private byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        var link = _link!;
        var datagram = new byte[Sealed.HeaderSize + plaintext.Length + Sealed.TagSize];
        Sealed.WriteHeader(datagram, link.SendIndex, 0);
        if (!link.Session.TrySeal(plaintext, datagram.AsSpan(0, Sealed.AssociatedSize), datagram.AsSpan(Sealed.HeaderSize), out ulong counter, out _))
            throw new InvalidOperationException("the stranger's session refused to seal");
        BinaryPrimitives.WriteUInt64BigEndian(datagram.AsSpan(Sealed.AssociatedSize), counter);
        return datagram;
    }

    // ---- seeds ----------------------------------------------------------------------------------------------------

    private List<byte[]> BuildInnerSeeds()
    {
        var r = _worldRandom;
        var seeds = new List<byte[]>();
        var h1 = _members[1];
        var h2 = _members[2];
        var h1Endpoint = new IPEndPoint(SimNetwork.HostAddress(1), Port);
        var nowhere = new IPEndPoint(SimNetwork.HostAddress(200), Port);
        var self = _strangerAddress;
        byte[] Write(Func<byte[], (bool Ok, int N)> write)
        {
            var buffer = new byte[Envelope.MaxDatagramSize];
            var (ok, n) = write(buffer);
            if (!ok) throw new InvalidOperationException("an inner seed did not encode");
            return buffer[..n];
        }
        byte[] Addressed(MessageType type, ulong nonce) => Write(b => (new AddressedMessage(type, self, nonce).TryWrite(b, out int n), n));
        byte[] RoutedTo(RingAddress destination, RoutingMode mode, RoutedFlags flags, RoutedPayloadType type, byte[] payload, RingAddress? source = null) =>
            Write(b => (new Routed(source ?? self, destination, mode, flags, 0, Routed.DefaultHopLimit, type, 0, payload.Length).TryWrite(b, payload, out int n), n));
        byte[] Payload(Func<byte[], (bool Ok, int N)> write) => Write(write);

        var ping = Addressed(MessageType.Ping, 12345);
        // Leave and Close end the link when they get through; the stranger then links again before its next sealed input.
        seeds.Add(ping);
        seeds.Add(Addressed(MessageType.Pong, 1));
        seeds.Add(Addressed(MessageType.Pong, 2_000_000));
        seeds.Add(Addressed(MessageType.Leave, 0));
        seeds.Add(Addressed(MessageType.Close, 0));
        seeds.Add(Write(b => (new Neighbors(self, NeighborsFlags.None, []).TryWrite(b, out int n), n)));
        seeds.Add(Write(b => (new Neighbors(self, NeighborsFlags.Reply, [new(h1.Address, h1Endpoint)]).TryWrite(b, out int n), n)));
        seeds.Add(Write(b => (new Neighbors(self, NeighborsFlags.None,
        [
            new(h1.Address, h1Endpoint), new(RingAddress.Random(r), _strangerEndpoint), new(RingAddress.Random(r), nowhere),
            new(_target.Address, _targetEndpoint), new(RingAddress.Random(r), new IPEndPoint(IPAddress.Parse("fd00::9"), 9)),
            new(RingAddress.Random(r), new TcpEndPoint(_strangerEndpoint.Address, Port)),
        ]).TryWrite(b, out int n), n)));

        var probe = Payload(b => { bool ok = new Probe(77, 1).TryWrite(b); return (ok, Probe.Size); });
        seeds.Add(RoutedTo(_target.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Probe, probe));
        seeds.Add(RoutedTo(_target.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Data, Bytes(r, 64)));
        seeds.Add(RoutedTo(h1.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Probe, probe));
        seeds.Add(RoutedTo(RingAddress.Random(r), RoutingMode.Nearest, RoutedFlags.None, RoutedPayloadType.Data, Bytes(r, 300)));
        seeds.Add(RoutedTo(h2.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Data, Bytes(r, 16), source: RingAddress.Random(r)));

        var ctmNear = Payload(b => (new ConnectToMe(_strangerKey, LinkRoles.Near, ConnectToMeFlags.None, NewToken(), RingAddress.Zero, [_strangerEndpoint]).TryWrite(b, out int n), n));
        var ctmFar = Payload(b => (new ConnectToMe(_strangerKey, LinkRoles.FarOut, ConnectToMeFlags.Forwarded, NewToken(), h1.Address, [_strangerEndpoint, nowhere]).TryWrite(b, out int n), n));
        seeds.Add(RoutedTo(self, RoutingMode.Nearest, RoutedFlags.ExcludeOrigin, RoutedPayloadType.ConnectToMe, ctmNear));
        seeds.Add(RoutedTo(_target.Address, RoutingMode.Nearest, RoutedFlags.None, RoutedPayloadType.ConnectToMe, ctmFar));

        var intent = Payload(b => (new LinkIntent(_strangerKey, LinkRoles.Shortcut, LinkIntentFlags.None, NewToken(), [_strangerEndpoint], [h1.Address, _target.Address]).TryWrite(b, out int n), n));
        var intentReply = Payload(b => (new LinkIntent(_strangerKey, LinkRoles.Near, LinkIntentFlags.Reply, NewToken(), [nowhere], [h2.Address]).TryWrite(b, out int n), n));
        seeds.Add(RoutedTo(_target.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.LinkIntent, intent));
        seeds.Add(RoutedTo(_target.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.LinkIntent, intentReply));

        // Tunnels: ending here (a hello, or a routed message, carried for the stranger), and handed on to a member.
        var hello = new LinkHello(NewToken(), LinkRoles.Near, NewIndex(), null, new byte[32]);
        var helloBytes = Write(b => (hello.TryWrite(b, out int n), n));
        var innerRouted = RoutedTo(_target.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Probe, probe);
        seeds.Add(RoutedTo(_target.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Tunnel, Payload(b => (Tunnel.TryWrite(b, _target.Address, helloBytes, out int n), n))));
        seeds.Add(RoutedTo(_target.Address, RoutingMode.Exact, RoutedFlags.ViaRing, RoutedPayloadType.Tunnel, Payload(b => (Tunnel.TryWrite(b, _target.Address, innerRouted, out int n), n))));
        seeds.Add(RoutedTo(_target.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Tunnel, Payload(b => (Tunnel.TryWrite(b, h1.Address, ping, out int n), n))));
        seeds.Add(RoutedTo(h2.Address, RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Tunnel, Payload(b => (Tunnel.TryWrite(b, h2.Address, helloBytes, out int n), n))));

        // What never comes sealed: revocations in an open ring, a sealed datagram inside, a hello inside.
        seeds.Add([Envelope.FirstByte, (byte)MessageType.Revocations, .. Bytes(r, 90)]);
        var nested = new byte[Sealed.HeaderSize + 20 + Sealed.TagSize];
        Sealed.WriteHeader(nested, 42, 7);
        seeds.Add(nested);
        seeds.Add(helloBytes);
        return seeds;
    }

    private List<byte[]> BuildStunSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (bool fingerprint in new[] { false, true })
        {
            seeds.Add(new StunMessage { Class = StunClass.Request, TransactionId = StunTransactionId.NewFrom(_worldRandom), Fingerprint = fingerprint }.ToArray());
            seeds.Add(new StunMessage
            {
                Class = StunClass.Request, TransactionId = StunTransactionId.NewFrom(_worldRandom), Fingerprint = fingerprint,
                ChangeRequest = StunChangeRequest.ChangePort, Software = "probe",
            }.ToArray());
        }
        seeds.Add(new StunMessage
        {
            Class = StunClass.SuccessResponse, TransactionId = StunTransactionId.NewFrom(_worldRandom),
            XorMappedAddress = _strangerEndpoint, Fingerprint = true,
        }.ToArray());
        return seeds;
    }

    private static byte[] Bytes(Random r, int n)
    {
        var b = new byte[n];
        r.NextBytes(b);
        return b;
    }

    // ---- inputs ---------------------------------------------------------------------------------------------------

    public override byte[] NextInput(Random rng, Mutator mutator)
    {
        _lastInner = null;
        EnsureLink();
        int roll = rng.Next(100);
        var kind = roll switch
        {
            < 40 => Kind.SealedInner,
            < 50 => Kind.Hello,
            < 56 => Kind.Confirm,
            < 62 => Kind.Accept,
            < 66 => Kind.CookieReply,
            < 80 => Kind.Sealed,
            < 88 => Kind.Stun,
            _ => Kind.Unsealed,
        };
        if (_link is null && kind is Kind.SealedInner or Kind.Sealed) kind = Kind.Unsealed;
        if (kind == Kind.Accept && _targetHello is null) kind = Kind.CookieReply;
        if (kind == Kind.CookieReply && _targetHello is null) kind = Kind.Hello;
        _lastKind = kind;
        _kindInputs[(int)kind]++;

        if (kind == Kind.SealedInner)
        {
            // Mutated inside, then sealed as the link wants: the node authenticates it and dispatches what is inside.
            var inner = mutator.Mutate(rng, _innerSeeds, Sealed.MaxPlaintext);
            _lastInner = inner;
            return Seal(inner);
        }
        var seed = kind switch
        {
            Kind.Hello => HelloSeed(rng),
            Kind.Confirm => ConfirmSeed(),
            Kind.Accept => AcceptSeed(),
            Kind.CookieReply => CookieReplySeed(rng),
            Kind.Sealed => Seal(_innerSeeds[rng.Next(_innerSeeds.Count)]),
            Kind.Stun => _stunSeeds[rng.Next(_stunSeeds.Count)],
            _ => _innerSeeds[rng.Next(_innerSeeds.Count)],
        };
        // Splices mix in the other kinds of datagram the node receives.
        List<byte[]> pool = [seed, _stunSeeds[0], _innerSeeds[0], _innerSeeds[rng.Next(_innerSeeds.Count)]];
        return mutator.Mutate(rng, seed, pool, MaxInput);
    }

    private void EnsureLink()
    {
        if (_link is { } link && _loop.Now - link.Created > RelinkAfter.Ticks) DropLink();
        if (++_inputsSinceCheck >= 1000)
        {
            _inputsSinceCheck = 0;
            if (_link is not null && !StrangerLinked()) DropLink();
        }
        if (_link is null) Relink();
    }

    private byte[] HelloSeed(Random rng)
    {
        if (_helloNoiseUses++ >= 256)
        {
            using var state = _strangerCrypto.Begin(initiator: true);
            if (!state.TryWrite([], _scratch, out int m)) throw new InvalidOperationException("message 1 did not write");
            _helloNoise = _scratch[..m];
            _helloNoiseUses = 0;
        }
        var roles = HelloRoles[rng.Next(HelloRoles.Length)];
        int c = rng.Next(10);
        LinkHello hello;
        if (c < 3 && _cookie is { } cookie) hello = new LinkHello(cookie.Token, roles, cookie.Index, cookie.Cookie, _helloNoise);
        else if (c < 5) hello = new LinkHello(NewToken(), roles, NewIndex(), Bytes(rng, LinkHandshake.CookieSize), _helloNoise);
        else hello = new LinkHello(NewToken(), roles, NewIndex(), null, _helloNoise);
        var buffer = new byte[hello.Size];
        if (!hello.TryWrite(buffer, out _)) throw new InvalidOperationException("a hello did not encode");
        return buffer;
    }

    /// <summary>Message 3 of a handshake the node has answered (a half-open one waiting for exactly this).</summary>
    private byte[] ConfirmSeed()
    {
        var h = PrepareHandshake(LinkRoles.Near);
        if (h is null) return _innerSeeds[0];
        h.State.Dispose();
        return h.Confirm!;
    }

    /// <summary>Message 2 answering the node's latest hello to the stranger (the node opens links to it when asked to).</summary>
    private byte[] AcceptSeed()
    {
        var (token, roles, index, noise) = _targetHello!.Value;
        _targetHello = null;
        using var state = _strangerCrypto.Begin(initiator: false);
        if (!state.TryRead(noise, _scratch, out _)) return CookieReplyFor(token, index);
        var payload = new LinkPayload(_strangerKey, roles.Mirror(), _targetEndpoint, [_strangerEndpoint], [], 0);
        if (!payload.TryWrite(_scratch, out int p) || !state.TryWrite(_scratch.AsSpan(0, p), _scratch2, out int m))
            throw new InvalidOperationException("the stranger's message 2 did not write");
        var accept = new byte[Envelope.MaxDatagramSize];
        if (!LinkHandshake.TryWrite(accept, MessageType.LinkAccept, token, NewIndex(), index, _scratch2.AsSpan(0, m), out int n))
            throw new InvalidOperationException("the stranger's accept did not encode");
        return accept[..n];
    }

    /// <summary>When the node's hello cannot be answered (it should always can be): a cookie reply for it instead.</summary>
    private static byte[] CookieReplyFor(ulong token, uint index)
    {
        var reply = new CookieReply(token, index, new byte[LinkHandshake.CookieSize]);
        var buffer = new byte[CookieReply.Size];
        reply.TryWrite(buffer, out _);
        return buffer;
    }

    private byte[] CookieReplySeed(Random rng)
    {
        var (token, _, index, _) = _targetHello!.Value;
        var reply = new CookieReply(token, index, Bytes(rng, LinkHandshake.CookieSize));
        var buffer = new byte[CookieReply.Size];
        if (!reply.TryWrite(buffer, out _)) throw new InvalidOperationException("a cookie reply did not encode");
        return buffer;
    }

    public override bool Execute(byte[] input)
    {
        var counters = _target.Counters;
        long handshakes = counters.HandshakesCompleted;
        long unknownPeer = counters.Dropped(DropReason.UnknownPeer);
        long unauthentic = counters.Dropped(DropReason.Unauthentic);
        _inFlight = true;
        _deliveredNow = 0;
        _droppedNow = false;
        _answeredNow = false;
        try
        {
            SendFromStranger(input);
            _loop.RunFor(Step);
        }
        finally
        {
            _inFlight = false;
        }
        if (_violation is { } v)
        {
            _violation = null;
            throw new FuzzViolationException(v);
        }
        if (_deliveredNow != 1) throw new FuzzViolationException($"the stranger's datagram reached the node {_deliveredNow} times instead of once");

        // A handshake that completed may have replaced the link's session on the node: link again when next needed.
        if (counters.HandshakesCompleted > handshakes)
        {
            Count("handshakes_completed");
            DropLink();
        }
        else if (_lastKind == Kind.SealedInner && counters.Dropped(DropReason.Unauthentic) > unauthentic)
        {
            // Sealed properly, yet not authentic: the link's window was moved by a forged counter (the clear suite
            // does not authenticate counters) or its session is gone. Link again.
            DropLink();
        }
        else if (_lastKind == Kind.SealedInner && counters.Dropped(DropReason.UnknownPeer) > unknownPeer && _link is not null && !StrangerLinked())
        {
            DropLink();
        }
        if (_lastInner is { Length: >= 2 } inner && inner[0] == Envelope.FirstByte && inner[1] is (byte)MessageType.Leave or (byte)MessageType.Close && !_droppedNow)
            DropLink();

        Count(_droppedNow ? "dropped" : _answeredNow ? "answered" : "absorbed");
        if (!_droppedNow) _kindAccepted[(int)_lastKind]++;
        return !_droppedNow;
    }

    public override string? DescribeLastInput() => _lastInner is { } inner
        ? $"sealed on the stranger's link; plaintext ({inner.Length} bytes): {Convert.ToHexStringLower(inner)}"
        : $"raw datagram ({_lastKind})";

    private void Count(string key) => _details[key] = _details.GetValueOrDefault(key) + 1;

    private IEnumerable<KeyValuePair<string, long>> CurrentCounters()
    {
        var c = _target.Counters;
        yield return new("node_datagrams_in", c.DatagramsIn);
        yield return new("node_datagrams_out", c.DatagramsOut);
        yield return new("node_handshakes_completed", c.HandshakesCompleted);
        yield return new("node_cookies_sent", c.CookiesSent);
        yield return new("node_stun_answered", c.StunAnswered);
        yield return new("node_routed_delivered", c.RoutedDelivered);
        yield return new("node_routed_forwarded", c.RoutedForwarded);
        foreach (var (reason, count) in c.DropsByReason())
        {
            if (count > 0) yield return new("node_drop_" + reason, count);
        }
    }

    public override IReadOnlyDictionary<string, long> Details
    {
        get
        {
            var d = new SortedDictionary<string, long>(_details, StringComparer.Ordinal)
            {
                ["sent_by_stranger"] = _sentByStranger,
                ["delivered_from_stranger"] = _deliveredFromStranger,
                ["delivered_to_node"] = _deliveredToTarget,
            };
            foreach (var kind in Enum.GetValues<Kind>())
            {
                string name = "kind_" + kind.ToString().ToLowerInvariant();
                d[name] = _kindInputs[(int)kind];
                d[name + "_accepted"] = _kindAccepted[(int)kind];
            }
            foreach (var (key, value) in _retiredCounters) d[key] = value;
            if (!_retired)
            {
                foreach (var (key, value) in CurrentCounters()) d[key] = d.GetValueOrDefault(key) + value;
            }
            return d;
        }
    }
}

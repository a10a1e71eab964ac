using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Wire;

namespace Woven.Overlay;

/// <summary>
/// The link handshake (Noise XX in three messages: hello, accept, confirm) and the sealed transport that follows.
/// A responder spends nothing on a hello it cannot afford: under load it answers with a cookie only (WireGuard's
/// defence), the number of half-open handshakes is capped, and Diffie-Hellman work per second is bounded.
/// </summary>
public sealed partial class OverlayNode
{
    /// <summary>A handshake this node answered (message 2 sent) and that waits for message 3.</summary>
    private sealed class HalfOpen
    {
        public required LinkHandshakeState State { get; init; }
        public required PacketSource Source { get; init; }
        public required ulong Token { get; init; }
        public required LinkRoles Roles { get; init; }
        public required uint InitiatorIndex { get; init; }
        public required uint LocalIndex { get; init; }
        public required long Created { get; init; }
        public required byte[] Reply { get; init; }
    }

    private readonly Dictionary<uint, HalfOpen> _halfOpen = [];
    private readonly Dictionary<(uint, ulong), uint> _halfOpenByInitiator = [];
    private readonly Dictionary<uint, Connection> _sessions = [];
    private readonly byte[] _cookieSecret = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _previousCookieSecret = RandomNumberGenerator.GetBytes(32);
    private long _cookieRotated;
    private long _handshakeSecond;
    private int _handshakesThisSecond;

    /// <summary>Half-open handshakes now (bounded by <see cref="OverlayOptions.MaxHalfOpen"/>).</summary>
    public int HalfOpenCount
    {
        get
        {
            lock (_gate) return _halfOpen.Count;
        }
    }

    private uint NewIndex()
    {
        while (true)
        {
            uint index = (uint)_random.Next() ^ ((uint)_random.Next() << 1);
            if (index != 0 && !_sessions.ContainsKey(index) && !_halfOpen.ContainsKey(index) && !_pendingLinks.Values.Any(p => p.LocalIndex == index))
                return index;
        }
    }

    private bool EnsureHello(PendingLink pending)
    {
        if (pending.Hello is not null) return true;
        pending.Handshake = _crypto.Begin(initiator: true);
        pending.LocalIndex = NewIndex();
        Span<byte> message = stackalloc byte[LinkHandshake.MaxNoiseMessage];
        if (!pending.Handshake.TryWrite([], message, out int n)) return false;
        pending.Hello = message[..n].ToArray();
        return true;
    }

    private void SendHelloWithCookie(PendingLink pending, IPEndPoint to)
    {
        var hello = new LinkHello(pending.Token, pending.Roles, pending.LocalIndex, pending.Cookie, pending.Hello);
        Span<byte> buffer = stackalloc byte[Envelope.MaxDatagramSize];
        if (hello.TryWrite(buffer, out int n)) SendRaw(to, buffer[..n], maintenance: true);
    }

    /// <summary>Forgets a pending link's handshake (after a failure) so that its next attempt starts a fresh one.</summary>
    private static void ResetHandshake(PendingLink pending)
    {
        pending.Handshake?.Dispose();
        pending.Handshake = null;
        pending.Hello = null;
    }

    // ---- message 1: hello -------------------------------------------------------------------------------------

    private DropReason OnHello(in PacketSource src, ReadOnlySpan<byte> body)
    {
        if (!LinkHello.TryRead(body, out ulong token, out var roles, out uint initiatorIndex, out var cookie, out var noise)) return DropReason.Malformed;
        long now = _time.GetTimestamp();
        if (!src.IsRelayed)
        {
            if (UnderLoad(now) && !CookieValid(cookie, src.Endpoint!, token, now))
            {
                SendCookie(src.Endpoint!, token, initiatorIndex, now);
                return DropReason.None;
            }
        }
        if (_halfOpenByInitiator.TryGetValue((initiatorIndex, token), out uint existing) && _halfOpen.TryGetValue(existing, out var again))
        {
            SendHandshakeTo(src, again.Reply); // our answer was lost, or the hello reached us by two paths
            return DropReason.None;
        }
        if (!SpendHandshake(now)) return DropReason.RateLimited;
        if (_halfOpen.Count >= _options.MaxHalfOpen) EvictOldestHalfOpen();
        var state = _crypto.Begin(initiator: false);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(LinkHandshake.MaxNoiseMessage);
        try
        {
            if (!state.TryRead(noise, scratch, out _))
            {
                state.Dispose();
                return DropReason.Malformed;
            }
            uint localIndex = NewIndex();
            var payload = new LinkPayload(_identity.PublicKey, roles.Mirror(), src.Endpoint, AdvertisedEndpoints(), _membership.OwnCertificate, _membership.RevocationSequence);
            if (!payload.TryWrite(_payloadBuffer, out int p) || !state.TryWrite(_payloadBuffer.AsSpan(0, p), scratch, out int m)
                || !LinkHandshake.TryWrite(_sendBuffer, MessageType.LinkAccept, token, localIndex, initiatorIndex, scratch.AsSpan(0, m), out int n))
            {
                state.Dispose();
                return DropReason.TooBig;
            }
            var reply = _sendBuffer.AsSpan(0, n).ToArray();
            _halfOpen[localIndex] = new HalfOpen
            {
                State = state, Source = src, Token = token, Roles = roles, InitiatorIndex = initiatorIndex, LocalIndex = localIndex, Created = now, Reply = reply,
            };
            _halfOpenByInitiator[(initiatorIndex, token)] = localIndex;
            SendHandshakeTo(src, reply);
            return DropReason.None;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private void SendHandshakeTo(in PacketSource to, ReadOnlySpan<byte> datagram)
    {
        if (!to.IsRelayed) SendRaw(to.Endpoint!, datagram, maintenance: true);
        else SendTunneled(to.Via, to.RelayedFrom, datagram, maintenance: true);
    }

    private void EvictOldestHalfOpen()
    {
        HalfOpen? oldest = null;
        foreach (var h in _halfOpen.Values)
        {
            if (oldest is null || h.Created < oldest.Created) oldest = h;
        }
        if (oldest is not null) ForgetHalfOpen(oldest);
    }

    private void ForgetHalfOpen(HalfOpen h)
    {
        _halfOpen.Remove(h.LocalIndex);
        _halfOpenByInitiator.Remove((h.InitiatorIndex, h.Token));
        h.State.Dispose();
    }

    private void ExpireHalfOpen(long now)
    {
        if (_halfOpen.Count == 0) return;
        long limit = ToTimestamp(_options.HandshakeTimeout);
        foreach (var h in _halfOpen.Values.Where(h => now - h.Created > limit).ToList()) ForgetHalfOpen(h);
    }

    // ---- cookies and the handshake budget ---------------------------------------------------------------------

    private bool UnderLoad(long now)
    {
        if (now - _handshakeSecond >= _frequency) return _halfOpen.Count >= _options.CookieThreshold;
        return _halfOpen.Count >= _options.CookieThreshold || _handshakesThisSecond >= _options.MaxHandshakesPerSecond / 2;
    }

    private bool SpendHandshake(long now)
    {
        if (now - _handshakeSecond >= _frequency)
        {
            _handshakeSecond = now;
            _handshakesThisSecond = 0;
        }
        if (_handshakesThisSecond >= _options.MaxHandshakesPerSecond) return false;
        _handshakesThisSecond++;
        return true;
    }

    private void RotateCookieSecret(long now)
    {
        if (now - _cookieRotated < ToTimestamp(TimeSpan.FromMinutes(2))) return;
        _cookieRotated = now;
        _cookieSecret.CopyTo(_previousCookieSecret, 0);
        RandomNumberGenerator.Fill(_cookieSecret);
    }

    private static void ComputeCookie(byte[] secret, IPEndPoint from, ulong token, Span<byte> cookie)
    {
        Span<byte> input = stackalloc byte[16 + 2 + 8];
        from.Address.TryWriteBytes(input, out int a);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(input[a..], (ushort)from.Port);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(input[(a + 2)..], token);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(secret, input[..(a + 10)], mac);
        mac[..LinkHandshake.CookieSize].CopyTo(cookie);
    }

    private bool CookieValid(ReadOnlySpan<byte> cookie, IPEndPoint from, ulong token, long now)
    {
        if (cookie.Length != LinkHandshake.CookieSize) return false;
        RotateCookieSecret(now);
        Span<byte> expected = stackalloc byte[LinkHandshake.CookieSize];
        ComputeCookie(_cookieSecret, from, token, expected);
        if (CryptographicOperations.FixedTimeEquals(expected, cookie)) return true;
        ComputeCookie(_previousCookieSecret, from, token, expected);
        return CryptographicOperations.FixedTimeEquals(expected, cookie);
    }

    private void SendCookie(IPEndPoint to, ulong token, uint initiatorIndex, long now)
    {
        RotateCookieSecret(now);
        var cookie = new byte[LinkHandshake.CookieSize];
        ComputeCookie(_cookieSecret, to, token, cookie);
        var reply = new CookieReply(token, initiatorIndex, cookie);
        if (reply.TryWrite(_sendBuffer, out int n))
        {
            _counters.CookiesSent++;
            SendRaw(to, _sendBuffer.AsSpan(0, n), maintenance: true);
        }
    }

    private DropReason OnCookieReply(in PacketSource src, ReadOnlySpan<byte> body)
    {
        if (src.IsRelayed || !CookieReply.TryRead(body, out var reply)) return DropReason.Malformed;
        if (!_pendingLinks.TryGetValue(reply.Token, out var pending) || pending.LocalIndex != reply.ReceiverIndex || pending.Hello is null)
            return DropReason.UnknownPeer;
        pending.Cookie = reply.Cookie;
        pending.CookieFrom = src.Endpoint;
        SendHelloWithCookie(pending, src.Endpoint!);
        return DropReason.None;
    }

    // ---- message 2: accept (the initiator learns and checks who answered) ----------------------------------------

    private DropReason OnAccept(in PacketSource src, ReadOnlySpan<byte> body)
    {
        if (!LinkHandshake.TryRead(body, out ulong token, out uint responderIndex, out uint receiverIndex, out var noise)) return DropReason.Malformed;
        if (!_pendingLinks.TryGetValue(token, out var pending) || pending.Handshake is null || pending.LocalIndex != receiverIndex)
            return DropReason.UnknownPeer;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(LinkHandshake.MaxNoiseMessage);
        try
        {
            if (!pending.Handshake.TryRead(noise, scratch, out int length))
            {
                ResetHandshake(pending);
                return DropReason.Unauthentic;
            }
            var reason = CheckPeer(pending.Handshake, scratch.AsSpan(0, length), src, out var payload, out var peer);
            if (reason != DropReason.None)
            {
                ResetHandshake(pending);
                return reason;
            }
            if (pending.Expected is { } expected && expected != peer)
            {
                ResetHandshake(pending); // another node answers at that candidate: not the one we want
                return DropReason.UnknownPeer;
            }
            var mine = new LinkPayload(_identity.PublicKey, pending.Roles, src.Endpoint, AdvertisedEndpoints(), _membership.OwnCertificate, _membership.RevocationSequence);
            if (!mine.TryWrite(_payloadBuffer, out int p) || !pending.Handshake.TryWrite(_payloadBuffer.AsSpan(0, p), scratch, out int m)
                || !LinkHandshake.TryWrite(_sendBuffer, MessageType.LinkConfirm, token, pending.LocalIndex, responderIndex, scratch.AsSpan(0, m), out int n))
            {
                ResetHandshake(pending);
                return DropReason.TooBig;
            }
            var confirm = _sendBuffer.AsSpan(0, n).ToArray();
            var session = pending.Handshake.CreateSession(_time);
            ResetHandshake(pending);
            _pendingLinks.Remove(token);
            if (!src.IsRelayed && payload!.Observed is { } observed) LearnObservedEndpoint(observed);
            var roles = payload!.Roles.Mirror() & pending.Roles;
            var connection = Upsert(peer, src, roles, payload.Endpoints);
            if (connection is null)
            {
                session.Dispose();
                return DropReason.TableFull;
            }
            AttachSession(connection, session, pending.LocalIndex, responderIndex, payload, confirm);
            SendHandshakeTo(src, confirm);
            if (connection.RttMs < 0 && pending.LastSent > 0) connection.RttMs = (_time.GetTimestamp() - pending.LastSent) * 1000.0 / _frequency;
            AfterLinked(connection, pending);
            return DropReason.None;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    // ---- message 3: confirm (the responder learns and checks who asked) ------------------------------------------

    private DropReason OnConfirm(in PacketSource src, ReadOnlySpan<byte> body)
    {
        if (!LinkHandshake.TryRead(body, out ulong token, out uint initiatorIndex, out uint localIndex, out var noise)) return DropReason.Malformed;
        if (!_halfOpen.TryGetValue(localIndex, out var h))
        {
            // A confirm we completed already (the initiator repeats it until it hears from us): answer on the link.
            if (_sessions.TryGetValue(localIndex, out var done) && done.RemoteIndex == initiatorIndex)
            {
                SendAddressed(MessageType.Ping, (ulong)_time.GetTimestamp(), done, maintenance: true);
                return DropReason.None;
            }
            return DropReason.UnknownPeer;
        }
        if (h.InitiatorIndex != initiatorIndex || h.Token != token) return DropReason.Malformed;
        _halfOpen.Remove(h.LocalIndex);
        _halfOpenByInitiator.Remove((h.InitiatorIndex, h.Token));
        byte[] scratch = ArrayPool<byte>.Shared.Rent(LinkHandshake.MaxNoiseMessage);
        var state = h.State;
        try
        {
            if (!state.TryRead(noise, scratch, out int length)) return DropReason.Unauthentic;
            var reason = CheckPeer(state, scratch.AsSpan(0, length), src, out var payload, out var peer);
            if (reason != DropReason.None) return reason;
            LinkRoles roles;
            if (_pendingLinks.Remove(token, out var mine))
            {
                roles = mine.Roles; // both sides started this link (a punch): it is the one we asked for
                ResetHandshake(mine);
            }
            else
            {
                roles = h.Roles.Mirror();
                // An outgoing far link exists only because this node asked for one: the token must match.
                if ((roles & LinkRoles.FarOut) != 0 && !_pendingFar.Remove(token)) roles &= ~LinkRoles.FarOut;
                if ((roles & LinkRoles.FarIn) != 0 && CountRole(LinkRoles.FarIn) >= _options.MaxFarIn && !HasRole(peer, LinkRoles.FarIn))
                    roles &= ~LinkRoles.FarIn;
            }
            var session = state.CreateSession(_time);
            var connection = Upsert(peer, src, roles, payload!.Endpoints);
            if (connection is null)
            {
                session.Dispose();
                return DropReason.TableFull;
            }
            AttachSession(connection, session, localIndex, initiatorIndex, payload, confirm: null);
            if (mine is not null) AfterLinked(connection, mine);
            // The first sealed message tells the initiator its confirm arrived, and measures the round trip.
            connection.LastPingSent = _time.GetTimestamp();
            SendAddressed(MessageType.Ping, (ulong)connection.LastPingSent, connection, maintenance: true);
            return DropReason.None;
        }
        finally
        {
            state.Dispose();
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Who the handshake proved, and may it link: the payload decodes, the Noise static key is the X25519 twin of the
    /// node key (so the node holds that key's secret), the node key is not ours, a relayed source is that node, and the
    /// domain admits its certificate.
    /// </summary>
    private DropReason CheckPeer(LinkHandshakeState state, ReadOnlySpan<byte> payloadBytes, in PacketSource src, out LinkPayload? payload, out RingAddress peer)
    {
        peer = default;
        if (!LinkPayload.TryRead(payloadBytes, out payload)) return DropReason.Malformed;
        var expectedStatic = _buffers.StaticKeyOf(payload!.NodeKey);
        if (expectedStatic is null || !state.RemoteStatic.SequenceEqual(expectedStatic)) return DropReason.Unauthentic;
        peer = RingAddress.FromPublicKey(payload.NodeKey);
        if (peer == Address) return DropReason.SelfAddressed;
        if (src.IsRelayed && src.RelayedFrom != peer) return DropReason.Malformed;
        var refusal = _membership.Check(payload.NodeKey, payload.Certificate, _time.GetUtcNow());
        if (refusal is not null)
        {
            _counters.HandshakesRefused++;
            return DropReason.NotMember;
        }
        return DropReason.None;
    }

    private void AttachSession(Connection c, LinkSession session, uint localIndex, uint remoteIndex, LinkPayload payload, byte[]? confirm)
    {
        if (c.Session is not null)
        {
            // A new handshake with a linked peer (a rekey, a re-punch): the old session still opens what is in flight.
            if (c.PreviousSession is not null)
            {
                _sessions.Remove(c.PreviousIndex);
                c.PreviousSession.Dispose();
            }
            c.PreviousSession = c.Session;
            c.PreviousIndex = c.LocalIndex;
        }
        c.Session = session;
        c.LocalIndex = localIndex;
        c.RemoteIndex = remoteIndex;
        c.SessionStarted = _time.GetTimestamp();
        c.Confirm = confirm;
        c.Confirmed = confirm is null;
        c.NodeKey = payload.NodeKey;
        c.Certificate = payload.Certificate;
        _sessions[localIndex] = c;
        _counters.HandshakesCompleted++;
        if (_secureQueue.ContainsKey(c.Address)) FlushSecureQueue(_time.GetTimestamp());
        if (payload.RevocationSequence < _membership.RevocationSequence) SendRevocations(c);
    }

    private void DropSessions(Connection c)
    {
        if (c.Session is not null && _sessions.TryGetValue(c.LocalIndex, out var s) && ReferenceEquals(s, c)) _sessions.Remove(c.LocalIndex);
        if (c.PreviousSession is not null && _sessions.TryGetValue(c.PreviousIndex, out var p) && ReferenceEquals(p, c)) _sessions.Remove(c.PreviousIndex);
        c.Session?.Dispose();
        c.PreviousSession?.Dispose();
        c.Session = null;
        c.PreviousSession = null;
    }

    // ---- sealed transport ------------------------------------------------------------------------------------------

    /// <summary>Seals an overlay datagram for a link and sends it down the link's path.</summary>
    private void SendSealed(Connection to, ReadOnlySpan<byte> datagram, bool maintenance)
    {
        var session = to.Session;
        if (session is null || datagram.Length > Sealed.MaxPlaintext)
        {
            _counters.Drop(datagram.Length > Sealed.MaxPlaintext ? DropReason.TooBig : DropReason.UnknownPeer);
            return;
        }
        Sealed.WriteHeader(_sealBuffer, to.RemoteIndex, 0);
        if (!session.TrySeal(datagram, _sealBuffer.AsSpan(0, Sealed.AssociatedSize), _sealBuffer.AsSpan(Sealed.HeaderSize), out ulong counter, out int written))
        {
            _counters.Drop(DropReason.Unauthentic);
            return;
        }
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(_sealBuffer.AsSpan(Sealed.AssociatedSize), counter);
        var sealedBytes = _sealBuffer.AsSpan(0, Sealed.HeaderSize + written);
        to.Traffic.Sent(sealedBytes.Length);
        if (!to.IsRelayed) SendRaw(to.Endpoint, sealedBytes, maintenance);
        else SendTunneled(to.Relay, to.Address, sealedBytes, maintenance);
    }

    private DropReason OnSealed(in PacketSource src, ReadOnlySpan<byte> datagram)
    {
        if (src.Peer is not null) return DropReason.Malformed; // sealed inside sealed: never sent
        if (!Sealed.TryRead(datagram[Envelope.HeaderSize..], out uint index, out ulong counter, out var ciphertext)) return DropReason.Malformed;
        if (!_sessions.TryGetValue(index, out var c)) return DropReason.UnknownPeer;
        var session = index == c.LocalIndex ? c.Session : index == c.PreviousIndex ? c.PreviousSession : null;
        if (session is null) return DropReason.UnknownPeer;
        byte[] plaintext = ArrayPool<byte>.Shared.Rent(Envelope.MaxDatagramSize);
        try
        {
            if (!session.TryOpen(counter, ciphertext, datagram[..Sealed.AssociatedSize], plaintext, out int length)) return DropReason.Unauthentic;
            long now = _time.GetTimestamp();
            c.Traffic.Received(datagram.Length);
            c.LastHeard = now;
            c.Confirmed = true;
            c.Confirm = null;
            FollowPath(c, src, now);
            return Dispatch(src with { Peer = c }, plaintext.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plaintext);
        }
    }

    /// <summary>
    /// An authenticated datagram shows where the peer is now: from a new endpoint (it roamed, or a punch went through)
    /// the link moves there; through a relay, a relayed link follows the relay the peer uses.
    /// </summary>
    private void FollowPath(Connection c, in PacketSource src, long now)
    {
        if (!src.IsRelayed)
        {
            if (c.IsRelayed || !Transport.EndpointComparer.Instance.Equals(c.Endpoint, src.Endpoint)) SetDirect(c, src.Endpoint!);
            if (!c.IsRelayed) c.LastHeardDirect = now;
        }
        else if (c.IsRelayed)
        {
            c.Relay = src.Via;
        }
        else if (now - c.LastHeardDirect > _directQuiet)
        {
            // The peer sends through a relay and nothing has come the direct way for a while: it lost the direct path
            // (one of us moved), so follow it onto the relay rather than send into the void until the link times out.
            SetRelayed(c, src.Via);
        }
    }

    /// <summary>Until the responder answers on the link, the initiator repeats its confirm; old sessions are renewed.</summary>
    private void MaintainSessions(long now)
    {
        ExpireHalfOpen(now);
        List<Connection>? expired = null;
        foreach (var c in _table.Values)
        {
            if (c.Confirm is not null && !c.Confirmed && now - c.LastConfirmSent > _linkRetry)
            {
                c.LastConfirmSent = now;
                if (!c.IsRelayed) SendRaw(c.Endpoint, c.Confirm, maintenance: true);
                else SendTunneled(c.Relay, c.Address, c.Confirm, maintenance: true);
            }
            var session = c.Session;
            if (session is null) continue;
            if (session.IsExpired) (expired ??= []).Add(c);
            // The node with the lower address renews, so that two handshakes do not cross.
            else if (session.NeedsRekey() && Address < c.Address && !IsLinking(c.Address))
                StartLink(c.Address, c.IsRelayed ? c.Candidates : [c.Endpoint], c.Roles & ~LinkRoles.Leaf, NewToken(), relays: c.IsRelayed ? [c.Relay] : null);
        }
        if (expired is null) return;
        foreach (var c in expired) RemoveConnection(c, notify: false);
    }

    // ---- revocation lists -------------------------------------------------------------------------------------------

    private void SendRevocations(Connection to)
    {
        var list = _membership.RevocationListBytes;
        if (list is null || list.Length + Envelope.HeaderSize > Sealed.MaxPlaintext) return;
        var buffer = ArrayPool<byte>.Shared.Rent(Envelope.MaxDatagramSize);
        try
        {
            buffer[0] = Envelope.FirstByte;
            buffer[1] = (byte)MessageType.Revocations;
            list.CopyTo(buffer, Envelope.HeaderSize);
            SendSealed(to, buffer.AsSpan(0, Envelope.HeaderSize + list.Length), maintenance: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Takes a revocation list (from the administrator, through the node): if it is this domain's, validly signed and
    /// newer, the links it revokes are closed and it is passed on to every peer. True if it was taken.
    /// </summary>
    public bool OfferRevocations(ReadOnlySpan<byte> encoded)
    {
        lock (_gate)
        {
            if (_stopped || !_membership.OfferRevocations(encoded)) return false;
            ApplyRevocations();
            return true;
        }
    }

    /// <summary>A newer revocation list from a peer: keep it, drop links it revokes, pass it on.</summary>
    private DropReason OnRevocations(in PacketSource src, ReadOnlySpan<byte> body)
    {
        if (src.Peer is null) return DropReason.Unauthenticated;
        if (!_membership.OfferRevocations(body)) return DropReason.None;
        ApplyRevocations();
        return DropReason.None;
    }

    private void ApplyRevocations()
    {
        var now = _time.GetUtcNow();
        foreach (var c in _table.Values.ToList())
        {
            if (c.NodeKey is not null && _membership.Check(c.NodeKey, c.Certificate ?? [], now) is not null) RemoveConnection(c, notify: true);
        }
        foreach (var c in _table.Values) SendRevocations(c);
    }
}

using System.Net;
using Woven.Addressing;
using Woven.Transport;
using Woven.Wire;

namespace Woven.Sim.Fuzzing;

/// <summary>
/// The overlay's message decoders (src/Woven.Core/Wire), each fed mutations of valid encodings made with the real
/// encoders. An accepted message must also encode back to exactly the bytes it was read from (a decoder that accepts
/// something its encoder cannot write, or reads it differently, is reported as a violation).
/// </summary>
internal static class WireTargets
{
    /// <summary>A little over the largest datagram, so that "too large" paths run too.</summary>
    public const int MaxInput = Envelope.MaxDatagramSize + 64;

    /// <summary>The largest body (datagram after the envelope) that can arrive.</summary>
    private const int MaxBody = Envelope.MaxDatagramSize - Envelope.HeaderSize;

    public static IEnumerable<FuzzTarget> Create(Random rng)
    {
        var c = new WireCorpus(rng);
        var buffer = new byte[4096];

        yield return new DecoderTarget("wire.envelope", "wire", "Envelope.Classify on whole datagrams of every type", c.AllDatagrams,
            input => Envelope.Classify(input, out _) == DropReason.None, MaxInput);

        yield return new DecoderTarget("wire.addressed", "wire", "AddressedMessage.TryRead (Ping, Pong, Leave, Close) on datagrams", c.AddressedDatagrams,
            input =>
            {
                if (input.Length < Envelope.HeaderSize) return false;
                var type = (MessageType)input[1];
                if (!AddressedMessage.TryRead(type, input.AsSpan(Envelope.HeaderSize), out var m)) return false;
                Check(m.TryWrite(buffer, out int n), buffer, Envelope.HeaderSize, n, input.AsSpan(Envelope.HeaderSize), MaxBody);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.neighbors", "wire", "Neighbors.TryRead (with endpoint entries)", Bodies(c.NeighborsDatagrams),
            input =>
            {
                if (!Neighbors.TryRead(input, out var m)) return false;
                Check(m!.TryWrite(buffer, out int n), buffer, Envelope.HeaderSize, n, input, MaxBody);
                _ = m.Size;
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.routed", "wire", "Routed.TryRead, then the decoder of its payload type", Bodies(c.RoutedDatagrams),
            input =>
            {
                if (!Routed.TryRead(input, out var header)) return false;
                var payload = input.AsSpan(header.PayloadOffset, header.PayloadLength);
                Check(header.TryWrite(buffer, payload, out int n), buffer, Envelope.HeaderSize, n, input, MaxBody);
                // As delivery does: the payload's own decoder (their targets check them on their own).
                _ = header.PayloadType switch
                {
                    RoutedPayloadType.ConnectToMe => ConnectToMe.TryRead(payload, out _),
                    RoutedPayloadType.LinkIntent => LinkIntent.TryRead(payload, out _),
                    RoutedPayloadType.Probe => Probe.TryRead(payload, out _),
                    RoutedPayloadType.Tunnel => Tunnel.TryRead(payload, out _, out _),
                    _ => true,
                };
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.connect-to-me", "wire", "ConnectToMe.TryRead (routed payload, endpoint list)", c.ConnectToMePayloads,
            input =>
            {
                if (!ConnectToMe.TryRead(input, out var m)) return false;
                Check(m!.TryWrite(buffer, out int n), buffer, 0, n, input, Routed.MaxPayload);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.probe", "wire", "Probe.TryRead (routed payload)", c.ProbePayloads,
            input =>
            {
                if (!Probe.TryRead(input, out var m)) return false;
                Check(m.TryWrite(buffer), buffer, 0, Probe.Size, input, Routed.MaxPayload);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.tunnel", "wire", "Tunnel.TryRead (routed payload carrying a datagram)", c.TunnelPayloads,
            input =>
            {
                if (!Tunnel.TryRead(input, out var final, out var inner)) return false;
                Check(Tunnel.TryWrite(buffer, final, inner, out int n), buffer, 0, n, input, Routed.MaxPayload);
                _ = Envelope.Classify(inner, out _);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.link-intent", "wire", "LinkIntent.TryRead (routed payload, candidates and relays)", c.LinkIntentPayloads,
            input =>
            {
                if (!LinkIntent.TryRead(input, out var m)) return false;
                Check(m!.TryWrite(buffer, out int n), buffer, 0, n, input, Routed.MaxPayload);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.link-hello", "wire", "LinkHello.TryRead (handshake message 1 framing, cookie)", Bodies(c.HelloDatagrams),
            input =>
            {
                if (!LinkHello.TryRead(input, out ulong token, out var roles, out uint index, out var cookie, out var noise)) return false;
                var m = new LinkHello(token, roles, index, cookie.ToArray(), noise.ToArray());
                Check(m.TryWrite(buffer, out int n), buffer, Envelope.HeaderSize, n, input, MaxBody);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.link-handshake", "wire", "LinkHandshake.TryRead (handshake messages 2 and 3 framing)", Bodies(c.HandshakeDatagrams),
            input =>
            {
                if (!LinkHandshake.TryRead(input, out ulong token, out uint sender, out uint receiver, out var noise)) return false;
                Check(LinkHandshake.TryWrite(buffer, MessageType.LinkAccept, token, sender, receiver, noise, out int n), buffer, Envelope.HeaderSize, n, input, MaxBody);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.cookie-reply", "wire", "CookieReply.TryRead", Bodies(c.CookieDatagrams),
            input =>
            {
                if (!CookieReply.TryRead(input, out var m)) return false;
                Check(m.TryWrite(buffer, out int n), buffer, Envelope.HeaderSize, n, input, MaxBody);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.sealed", "wire", "Sealed.TryRead (transport data framing)", Bodies(c.SealedDatagrams),
            input =>
            {
                if (!Sealed.TryRead(input, out uint index, out ulong counter, out var ciphertext)) return false;
                Sealed.WriteHeader(buffer, index, counter);
                ciphertext.CopyTo(buffer.AsSpan(Sealed.HeaderSize));
                Check(true, buffer, Envelope.HeaderSize, Sealed.HeaderSize + ciphertext.Length, input, MaxBody);
                return true;
            }, MaxInput);

        yield return new DecoderTarget("wire.link-payload", "wire", "LinkPayload.TryRead (encrypted payload of messages 2 and 3)", c.LinkPayloads,
            input =>
            {
                if (!LinkPayload.TryRead(input, out var m)) return false;
                Check(m!.TryWrite(buffer, out int n), buffer, 0, n, input, LinkHandshake.MaxNoiseMessage);
                return true;
            }, MaxInput);

    }

    private static IEnumerable<byte[]> Bodies(IEnumerable<byte[]> datagrams) => datagrams.Select(d => d[Envelope.HeaderSize..]);

    /// <summary>
    /// An accepted input must encode back to itself: <paramref name="buffer"/>[<paramref name="start"/>..<paramref name="end"/>]
    /// equals it. Encoders refuse what is larger than any datagram can carry; decoders need not (the node never hands
    /// them more), so an input longer than <paramref name="maxArriving"/> that does not encode is not a violation.
    /// </summary>
    private static void Check(bool written, byte[] buffer, int start, int end, ReadOnlySpan<byte> input, int maxArriving)
    {
        if (!written)
        {
            if (input.Length > maxArriving) return;
            throw new FuzzViolationException("an accepted message could not be encoded again");
        }
        var encoded = buffer.AsSpan(start, end - start);
        if (!encoded.SequenceEqual(input))
            throw new FuzzViolationException($"an accepted message encodes to other bytes: {Convert.ToHexStringLower(encoded)}");
    }
}

/// <summary>Valid overlay messages of every kind, made with the real encoders from seeded values.</summary>
internal sealed class WireCorpus
{
    private readonly Random _rng;
    private readonly byte[] _buffer = new byte[8192];

    public WireCorpus(Random rng)
    {
        _rng = rng;
        var v4 = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 7000);
        var v6 = new IPEndPoint(IPAddress.Parse("fd12:3456:789a::1"), 7001);
        var tcp = new TcpEndPoint(IPAddress.Parse("192.0.2.33"), 443);
        var wild = new IPEndPoint(IPAddress.Parse("203.0.113.200"), 65535);
        IPEndPoint[] one = [v4];
        IPEndPoint[] mixed = [v4, v6, tcp];
        IPEndPoint[] full = [.. Enumerable.Range(0, EndpointList.MaxCount).Select(i => i % 2 == 0 ? Ep(i) : (IPEndPoint)new TcpEndPoint(IPAddress.Parse($"fd00::{i + 1}"), 1000 + i))];

        foreach (var type in new[] { MessageType.Ping, MessageType.Pong, MessageType.Leave, MessageType.Close })
            AddressedDatagrams.Add(Write((b, out n) => new AddressedMessage(type, Address(), Nonce()).TryWrite(b, out n)));

        NeighborsDatagrams.Add(Write((b, out n) => new Neighbors(Address(), NeighborsFlags.None, []).TryWrite(b, out n)));
        NeighborsDatagrams.Add(Write((b, out n) => new Neighbors(Address(), NeighborsFlags.Reply, [new(Address(), v4), new(Address(), v6), new(Address(), tcp)]).TryWrite(b, out n)));
        NeighborsDatagrams.Add(Write((b, out n) => new Neighbors(Address(), NeighborsFlags.None,
            [.. Enumerable.Range(0, Neighbors.MaxEntries).Select(i => new NeighborEntry(Address(), i % 3 == 0 ? v6 : Ep(i)))]).TryWrite(b, out n)));

        ConnectToMePayloads.Add(WritePayload((b, out n) => new ConnectToMe(Key(), LinkRoles.Near, ConnectToMeFlags.None, Nonce(), RingAddress.Zero, one).TryWrite(b, out n)));
        ConnectToMePayloads.Add(WritePayload((b, out n) => new ConnectToMe(Key(), LinkRoles.Near | LinkRoles.FarOut, ConnectToMeFlags.Forwarded, Nonce(), Address(), mixed).TryWrite(b, out n)));
        ConnectToMePayloads.Add(WritePayload((b, out n) => new ConnectToMe(Key(), LinkRoles.Leaf, ConnectToMeFlags.None, Nonce(), Address(), full).TryWrite(b, out n)));

        ProbePayloads.Add(WritePayload((b, out n) => { n = Probe.Size; return new Probe(Nonce(), 123_456_789).TryWrite(b); }));
        ProbePayloads.Add(WritePayload((b, out n) => { n = Probe.Size; return new Probe(0, -1).TryWrite(b); }));

        LinkIntentPayloads.Add(WritePayload((b, out n) => new LinkIntent(Key(), LinkRoles.Shortcut, LinkIntentFlags.None, Nonce(), mixed, [Address(), Address()]).TryWrite(b, out n)));
        LinkIntentPayloads.Add(WritePayload((b, out n) => new LinkIntent(Key(), LinkRoles.Near, LinkIntentFlags.Reply, Nonce(), [], []).TryWrite(b, out n)));
        LinkIntentPayloads.Add(WritePayload((b, out n) => new LinkIntent(Key(), LinkRoles.FarIn, LinkIntentFlags.None, Nonce(), full,
            [.. Enumerable.Range(0, LinkIntent.MaxRelays).Select(_ => Address())]).TryWrite(b, out n)));

        var certificate = new byte[180];
        _rng.NextBytes(certificate);
        var bigCertificate = new byte[LinkPayload.MaxCertificate];
        _rng.NextBytes(bigCertificate);
        LinkPayloads.Add(WritePayload((b, out n) => new LinkPayload(Key(), LinkRoles.Near, wild, one, [], 0).TryWrite(b, out n)));
        LinkPayloads.Add(WritePayload((b, out n) => new LinkPayload(Key(), LinkRoles.None, null, [], certificate, 7).TryWrite(b, out n)));
        LinkPayloads.Add(WritePayload((b, out n) => new LinkPayload(Key(), LinkRoles.FarOut | LinkRoles.Shortcut, v6, full, bigCertificate, ulong.MaxValue).TryWrite(b, out n)));

        var noise32 = Bytes(32);
        HelloDatagrams.Add(Write((b, out n) => new LinkHello(Nonce(), LinkRoles.Near, Index(), ReadOnlyMemory<byte>.Empty, noise32).TryWrite(b, out n)));
        HelloDatagrams.Add(Write((b, out n) => new LinkHello(Nonce(), LinkRoles.Leaf, Index(), Bytes(LinkHandshake.CookieSize), Bytes(80)).TryWrite(b, out n)));
        HelloDatagrams.Add(Write((b, out n) => new LinkHello(Nonce(), LinkRoles.FarOut, Index(), Bytes(LinkHandshake.CookieSize), Bytes(LinkHandshake.MaxNoiseMessage)).TryWrite(b, out n)));

        // Messages 2 and 3 as a real Noise handshake makes them, carrying real link payloads.
        var (m2, m3) = NoiseTargets.RealMessages23(_rng, LinkPayloads[0], LinkPayloads[1]);
        HandshakeDatagrams.Add(Write((b, out n) => LinkHandshake.TryWrite(b, MessageType.LinkAccept, Nonce(), Index(), Index(), m2, out n)));
        HandshakeDatagrams.Add(Write((b, out n) => LinkHandshake.TryWrite(b, MessageType.LinkConfirm, Nonce(), Index(), Index(), m3, out n)));
        HandshakeDatagrams.Add(Write((b, out n) => LinkHandshake.TryWrite(b, MessageType.LinkConfirm, Nonce(), Index(), Index(), Bytes(LinkHandshake.MaxNoiseMessage), out n)));

        CookieDatagrams.Add(Write((b, out n) => new CookieReply(Nonce(), Index(), Bytes(LinkHandshake.CookieSize)).TryWrite(b, out n)));

        SealedDatagrams.Add(SealedDatagram(Bytes(Sealed.TagSize)));
        SealedDatagrams.Add(SealedDatagram(Bytes(40 + Sealed.TagSize)));
        SealedDatagrams.Add(SealedDatagram(Bytes(Sealed.MaxPlaintext + Sealed.TagSize)));

        // Routed messages with each payload type and mode.
        RoutedDatagrams.Add(RoutedDatagram(RoutingMode.Nearest, RoutedFlags.ExcludeOrigin, RoutedPayloadType.ConnectToMe, ConnectToMePayloads[0]));
        RoutedDatagrams.Add(RoutedDatagram(RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Probe, ProbePayloads[0]));
        RoutedDatagrams.Add(RoutedDatagram(RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Data, Bytes(200)));
        RoutedDatagrams.Add(RoutedDatagram(RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.LinkIntent, LinkIntentPayloads[0]));
        var innerPing = AddressedDatagrams[0];
        TunnelPayloads.Add(WritePayload((b, out n) => Tunnel.TryWrite(b, Address(), innerPing, out n)));
        TunnelPayloads.Add(WritePayload((b, out n) => Tunnel.TryWrite(b, Address(), HelloDatagrams[0], out n)));
        TunnelPayloads.Add(WritePayload((b, out n) => Tunnel.TryWrite(b, Address(), RoutedDatagrams[1], out n)));
        RoutedDatagrams.Add(RoutedDatagram(RoutingMode.Exact, RoutedFlags.ViaRing, RoutedPayloadType.Tunnel, TunnelPayloads[0]));
        RoutedDatagrams.Add(RoutedDatagram(RoutingMode.Exact, RoutedFlags.None, RoutedPayloadType.Tunnel, TunnelPayloads[1]));
        RoutedDatagrams.Add(RoutedDatagram(RoutingMode.Nearest, RoutedFlags.None, RoutedPayloadType.Data, Bytes(Routed.MaxPayload)));
        TunnelPayloads.Add(WritePayload((b, out n) => Tunnel.TryWrite(b, Address(), RoutedDatagrams[^1].AsSpan(0, Tunnel.MaxInner), out n)));

        // A revocation list body is opaque to the envelope: some bytes with the right header.
        RevocationDatagrams.Add([Envelope.FirstByte, (byte)MessageType.Revocations, .. Bytes(120)]);
    }

    public List<byte[]> AddressedDatagrams { get; } = [];
    public List<byte[]> NeighborsDatagrams { get; } = [];
    public List<byte[]> RoutedDatagrams { get; } = [];
    public List<byte[]> HelloDatagrams { get; } = [];
    public List<byte[]> HandshakeDatagrams { get; } = [];
    public List<byte[]> CookieDatagrams { get; } = [];
    public List<byte[]> SealedDatagrams { get; } = [];
    public List<byte[]> RevocationDatagrams { get; } = [];
    public List<byte[]> ConnectToMePayloads { get; } = [];
    public List<byte[]> ProbePayloads { get; } = [];
    public List<byte[]> TunnelPayloads { get; } = [];
    public List<byte[]> LinkIntentPayloads { get; } = [];
    public List<byte[]> LinkPayloads { get; } = [];

    public IEnumerable<byte[]> AllDatagrams =>
        AddressedDatagrams.Concat(NeighborsDatagrams).Concat(RoutedDatagrams).Concat(HelloDatagrams).Concat(HandshakeDatagrams)
            .Concat(CookieDatagrams).Concat(SealedDatagrams).Concat(RevocationDatagrams);

    public delegate bool Writer(Span<byte> destination, out int written);

    private byte[] Write(Writer writer)
    {
        if (!writer(_buffer, out int n)) throw new InvalidOperationException("a corpus message did not encode");
        return _buffer[..n];
    }

    private byte[] WritePayload(Writer writer) => Write(writer);

    private byte[] RoutedDatagram(RoutingMode mode, RoutedFlags flags, RoutedPayloadType type, byte[] payload) =>
        Write((b, out n) => new Routed(Address(), Address(), mode, flags, (byte)_rng.Next(3), Routed.DefaultHopLimit, type, 0, payload.Length).TryWrite(b, payload, out n));

    private byte[] SealedDatagram(byte[] ciphertext)
    {
        var d = new byte[Sealed.HeaderSize + ciphertext.Length];
        Sealed.WriteHeader(d, Index(), (ulong)_rng.NextInt64(0, 1 << 20));
        ciphertext.CopyTo(d, Sealed.HeaderSize);
        return d;
    }

    private RingAddress Address() => RingAddress.Random(_rng);

    private byte[] Key() => Bytes(LinkPayload.KeySize);

    private ulong Nonce() => (ulong)_rng.NextInt64();

    private uint Index() => (uint)_rng.Next(1, int.MaxValue);

    private byte[] Bytes(int n)
    {
        var b = new byte[n];
        _rng.NextBytes(b);
        return b;
    }

    private IPEndPoint Ep(int i) => new(new IPAddress([10, 0, (byte)(i >> 8), (byte)(i + 1)]), 7000 + i);
}

using System.Buffers.Binary;
using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Core.Tests;

/// <summary>Sample messages and encoding helpers shared by the wire tests.</summary>
internal static class WireSamples
{
    public delegate bool TryWriteFunc(Span<byte> destination, out int written);

    public static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)(i * 7))];

    public static readonly RingAddress AddressA = new(0x0123456789abcdef, 0xfedcba9876543210, 0xdeadbeef);
    public static readonly RingAddress AddressB = new(0xffffffffffffffff, 0, 1);

    public static readonly IPEndPoint V4 = new(IPAddress.Parse("192.0.2.10"), 4500);
    public static readonly IPEndPoint V4Max = new(IPAddress.Parse("255.255.255.255"), 65535);
    public static readonly IPEndPoint V6 = new(IPAddress.Parse("2001:db8::1:2"), 51820);
    public static readonly IPEndPoint V6Loopback = new(IPAddress.IPv6Loopback, 1);
    public static readonly IPEndPoint V4Mapped = new(IPAddress.Parse("::ffff:198.51.100.7"), 443);

    public static readonly IPEndPoint[] EightEndpoints =
        [.. Enumerable.Range(0, 8).Select(i => i % 2 == 0
            ? new IPEndPoint(new IPAddress(new byte[] { 10, 0, 0, (byte)(i + 1) }), 1000 + i)
            : new IPEndPoint(IPAddress.Parse($"fd00::{i + 1}"), 2000 + i))];

    public static readonly IPEndPoint[][] EndpointSets =
    [
        [],
        [V4],
        [V6],
        [V4, V6, V4Mapped, V6Loopback, V4Max],
        EightEndpoints,
    ];

    public static readonly ulong[] Tokens = [0, 1, 0x0102030405060708, ulong.MaxValue];

    public static IEnumerable<LinkRoles> AllRoleCombinations() =>
        Enumerable.Range(0, 16).Select(i => (LinkRoles)i);

    /// <summary>
    /// Encodes with <paramref name="write"/> and checks the encoder against its declared size: a larger
    /// buffer gets exactly <paramref name="size"/> bytes, an exact one suffices, and every shorter one is refused.
    /// </summary>
    public static byte[] Encode(int size, TryWriteFunc write)
    {
        var big = Enumerable.Repeat((byte)0xEE, size + 16).ToArray();
        Assert.True(write(big, out int written));
        Assert.Equal(size, written);
        Assert.All(big.Skip(size), b => Assert.Equal(0xEE, b));

        var exact = new byte[size];
        Assert.True(write(exact, out written));
        Assert.Equal(size, written);
        Assert.Equal(big.AsSpan(0, size).ToArray(), exact);

        for (int shorter = 0; shorter < size; shorter++)
        {
            Assert.False(write(new byte[shorter], out _));
        }
        return exact;
    }

    public static byte[] Encode(LinkHello m) => Encode(m.Size, m.TryWrite);

    /// <summary>A link payload (no envelope: it travels encrypted inside handshake messages 2 and 3).</summary>
    public static byte[] Encode(LinkPayload m) => Encode(m.Size, m.TryWrite);

    public static byte[] Encode(CookieReply m) => Encode(CookieReply.Size, m.TryWrite);

    /// <summary>Handshake message 2 (LinkAccept) or 3 (LinkConfirm).</summary>
    public static byte[] EncodeHandshake(MessageType type, ulong token, uint senderIndex, uint receiverIndex, byte[] noise) =>
        Encode(LinkHandshake.SizeWith(noise.Length), (Span<byte> d, out int n) => LinkHandshake.TryWrite(d, type, token, senderIndex, receiverIndex, noise, out n));

    /// <summary>A sealed datagram: the header as <see cref="Sealed.WriteHeader"/> writes it, then the ciphertext and tag.</summary>
    public static byte[] EncodeSealed(uint receiverIndex, ulong counter, byte[] ciphertext)
    {
        var d = new byte[Sealed.HeaderSize + ciphertext.Length];
        Sealed.WriteHeader(d, receiverIndex, counter);
        ciphertext.CopyTo(d, Sealed.HeaderSize);
        return d;
    }

    public static byte[] Encode(AddressedMessage m) => Encode(m.Size, m.TryWrite);

    public static byte[] Encode(Neighbors m) => Encode(m.Size, m.TryWrite);

    public static byte[] Encode(ConnectToMe m) => Encode(m.Size, m.TryWrite);

    public static byte[] Encode(LinkIntent m) => Encode(m.Size, m.TryWrite);

    /// <summary>A tunnel payload: the final address, then the whole inner datagram.</summary>
    public static byte[] EncodeTunnel(RingAddress final, byte[] inner) =>
        Encode(Tunnel.HeaderSize + inner.Length, (Span<byte> d, out int n) => Tunnel.TryWrite(d, final, inner, out n));

    public static byte[] Encode(Routed header, byte[] payload) =>
        Encode(Routed.SizeWith(payload.Length), (Span<byte> d, out int n) => header.TryWrite(d, payload, out n));

    public static byte[] Encode(Probe p)
    {
        var bytes = new byte[Probe.Size];
        Assert.True(p.TryWrite(bytes));
        for (int shorter = 0; shorter < Probe.Size; shorter++) Assert.False(p.TryWrite(new byte[shorter]));
        return bytes;
    }

    /// <summary>Classifies a datagram, expecting it to pass, and returns its body.</summary>
    public static byte[] Body(byte[] datagram, MessageType expected)
    {
        Assert.Equal(DropReason.None, Envelope.Classify(datagram, out var type));
        Assert.Equal(expected, type);
        Assert.Equal(0xD1, datagram[0]);
        Assert.Equal((byte)expected, datagram[1]);
        return datagram[Envelope.HeaderSize..];
    }

    public static Routed Header(RoutedPayloadType type, int payloadLength, RoutingMode mode = RoutingMode.Nearest, RoutedFlags flags = RoutedFlags.None, byte hops = 3, byte limit = Routed.DefaultHopLimit) =>
        new(AddressA, AddressB, mode, flags, hops, limit, type, 0, payloadLength);

    public static ConnectToMe SampleConnectToMe(IPEndPoint[]? endpoints = null, RingAddress? via = null) =>
        new(Key, LinkRoles.Near | LinkRoles.FarOut, ConnectToMeFlags.Forwarded, 0x1122334455667788, via ?? AddressB, endpoints ?? [V4, V6]);

    /// <summary>Eight distinct relay addresses, the most an intent may carry.</summary>
    public static readonly RingAddress[] EightRelays =
        [.. Enumerable.Range(1, LinkIntent.MaxRelays).Select(i => new RingAddress((ulong)i << 56, (ulong)i, (uint)(0xA0000000 + i)))];

    public static readonly RingAddress[][] RelaySets = [[], [AddressA], [AddressA, AddressB, RingAddress.Zero], EightRelays];

    public static LinkIntent SampleLinkIntent(IPEndPoint[]? candidates = null, RingAddress[]? relays = null, LinkIntentFlags flags = LinkIntentFlags.None) =>
        new(Key, LinkRoles.Near | LinkRoles.FarIn, flags, 0x8877665544332211, candidates ?? [V4, V6], relays ?? [AddressA, AddressB]);

    /// <summary>A routed Data datagram of exactly <paramref name="size"/> bytes (at least the routed header).</summary>
    public static byte[] RoutedDataOfSize(int size)
    {
        var payload = new byte[size - Routed.SizeWith(0)];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)(i * 31 + 7);
        return Encode(Header(RoutedPayloadType.Data, payload.Length, RoutingMode.Exact), payload);
    }

    /// <summary>
    /// Inner datagrams a tunnel carries in practice: the handshake of a relayed link (hello, accept, confirm), the sealed
    /// data of that link, and routed messages in the clear (an intent carried to a node that is not in the ring yet).
    /// </summary>
    public static IEnumerable<(string Name, byte[] Datagram)> TunnelInners()
    {
        yield return ("LinkHello", Encode(SampleHello()));
        yield return ("LinkAccept", EncodeHandshake(MessageType.LinkAccept, 42, 0x0A0B0C0D, 0x01020304, ClearSuiteNoise(SamplePayload())));
        yield return ("LinkConfirm", EncodeHandshake(MessageType.LinkConfirm, 42, 0x01020304, 0x0A0B0C0D, ClearSuiteNoise(SamplePayload(observed: null))));
        yield return ("Sealed/Ping", EncodeSealed(0x0A0B0C0D, 5, Pattern(30 + Sealed.TagSize, 3)));
        yield return ("Sealed/largest", EncodeSealed(0x0A0B0C0D, ulong.MaxValue - 1, Pattern(Tunnel.MaxInner - Sealed.HeaderSize, 4)));
        var intent = Encode(SampleLinkIntent());
        yield return ("Routed/LinkIntent", Encode(Header(RoutedPayloadType.LinkIntent, intent.Length, RoutingMode.Exact, hops: 0), intent));
        yield return ("Routed/largest", RoutedDataOfSize(Tunnel.MaxInner));
    }

    // ---------- link handshake samples ----------

    /// <summary>Deterministic bytes that are not all alike (stand-ins for keys, Noise messages, ciphertexts).</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(i * 29 + seed * 101 + 17);
        return bytes;
    }

    public static readonly byte[] Cookie = [.. Enumerable.Range(0, LinkHandshake.CookieSize).Select(i => (byte)(0xC0 + i))];

    public static readonly IPEndPoint Tcp4 = new Woven.Transport.TcpEndPoint(V4.Address, V4.Port);
    public static readonly IPEndPoint Tcp6 = new Woven.Transport.TcpEndPoint(V6.Address, V6.Port);

    /// <summary>Message 1 as a real initiator sends it: its 32-byte ephemeral key and no payload.</summary>
    public static LinkHello SampleHello(byte[]? cookie = null, int noiseLength = 32) =>
        new(0x0102030405060708, LinkRoles.Near | LinkRoles.FarOut, 0xA1B2C3D4, cookie ?? ReadOnlyMemory<byte>.Empty, Pattern(noiseLength, 1));

    public static LinkPayload SamplePayload(IPEndPoint? observed = null, IPEndPoint[]? endpoints = null, byte[]? certificate = null, ulong sequence = 7,
        LinkRoles roles = LinkRoles.Near) =>
        new(Key, roles, observed, endpoints ?? [V4, V6], certificate ?? Pattern(300, 2), sequence);

    /// <summary>The largest payload: IPv6 observed endpoint, eight IPv6 endpoints, a certificate of the largest size.</summary>
    public static LinkPayload LargestPayload() =>
        new(Key, LinkRolesExtensions.Known, V6,
            [.. Enumerable.Range(1, EndpointList.MaxCount).Select(i => new IPEndPoint(IPAddress.Parse($"2001:db8::{i}"), 40000 + i))],
            Pattern(LinkPayload.MaxCertificate, 5), ulong.MaxValue);

    /// <summary>Link payloads of every shape: with and without an observed endpoint, IPv4, IPv6 and TCP, certificates up to the largest.</summary>
    public static IEnumerable<(string Name, LinkPayload Payload)> LinkPayloads()
    {
        yield return ("no-observed/no-endpoints/no-certificate", new LinkPayload(Key, LinkRoles.None, null, [], [], 0));
        yield return ("observed-v4", SamplePayload(V4));
        yield return ("observed-v6", SamplePayload(V6, [V4]));
        yield return ("observed-v4-mapped", SamplePayload(V4Mapped, [V4Mapped, V6Loopback]));
        yield return ("observed-tcp4", SamplePayload(Tcp4, [V4, Tcp4, Tcp6]));
        yield return ("observed-tcp6", SamplePayload(Tcp6, []));
        yield return ("no-observed/eight", SamplePayload(null, EightEndpoints, [0x42]));
        yield return ("observed-v4max/leaf-shortcut", SamplePayload(V4Max, [V4Max], sequence: 1, roles: LinkRoles.Leaf | LinkRoles.Shortcut));
        yield return ("largest", LargestPayload());
    }

    /// <summary>
    /// A Noise message 2 or 3 as <c>ClearLinkCrypto</c> (the simulator's suite) writes it: the static key (32) and the
    /// payload in the clear. Real Noise encrypts both; the wire codec cannot tell the difference.
    /// </summary>
    public static byte[] ClearSuiteNoise(LinkPayload payload) => [.. Pattern(32, 9), .. Encode(payload)];

    /// <summary>What a node signs, for the revocation samples.</summary>
    public static readonly Woven.Security.DomainAuthority Ca = Woven.Security.DomainAuthority.FromPrivateKey(Pattern(32, 11));

    public static readonly Woven.Security.DomainSettings Domain =
        new("lab", IPNetwork.Parse("10.77.0.0/16"), null, "lab.woven", Ca.PublicKey);

    /// <summary>A Revocations datagram (0x0C): the envelope, then a signed revocation list.</summary>
    public static byte[] RevocationsDatagram(params ulong[] serials)
    {
        var list = Woven.Security.RevocationList.Issue(Ca, Domain, 3, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), serials).ToBytes();
        return [Envelope.FirstByte, (byte)MessageType.Revocations, .. list];
    }

    /// <summary>
    /// Handshake messages and sealed data end in a field that runs to the end of the datagram (the Noise message, the
    /// ciphertext): the codec takes any length in range, and the Noise handshake or the AEAD decides whether those are
    /// the bytes that were sent. For such a datagram, gives where that field starts and its smallest and largest length.
    /// </summary>
    public static bool TryOpaqueTail(ReadOnlySpan<byte> datagram, out int start, out int min, out int max)
    {
        start = min = max = 0;
        if (datagram.Length < Envelope.HeaderSize) return false;
        switch ((MessageType)datagram[1])
        {
            case MessageType.LinkRequest:
                if (datagram.Length <= LinkHelloCookieLengthOffset) return false;
                start = LinkHelloCookieLengthOffset + 1 + datagram[LinkHelloCookieLengthOffset];
                (min, max) = (1, LinkHandshake.MaxNoiseMessage);
                return true;
            case MessageType.LinkAccept or MessageType.LinkConfirm:
                (start, min, max) = (LinkHandshake.HeaderSize, 1, LinkHandshake.MaxNoiseMessage);
                return true;
            case MessageType.Sealed:
                (start, min, max) = (Sealed.HeaderSize, Sealed.TagSize, Envelope.MaxDatagramSize - Sealed.HeaderSize);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Datagram offset of a LinkHello's cookie length byte (envelope 2, token 8, roles 1, index 4).</summary>
    public const int LinkHelloCookieLengthOffset = Envelope.HeaderSize + 8 + 1 + 4;

    public static IEnumerable<NeighborEntry[]> EntrySets()
    {
        yield return [];
        yield return [new NeighborEntry(AddressA, V4)];
        yield return [new NeighborEntry(AddressA, V6), new NeighborEntry(AddressB, V4Mapped)];
        var random = new Random(21);
        yield return [.. Enumerable.Range(0, Neighbors.MaxEntries).Select(i =>
            new NeighborEntry(RingAddress.Random(random), i % 3 == 0 ? V6 : new IPEndPoint(new IPAddress(new byte[] { 203, 0, 113, (byte)i }), 30000 + i)))];
    }

    /// <summary>One valid datagram of every kind, with a name for messages.</summary>
    public static IEnumerable<(string Name, byte[] Datagram)> ValidDatagrams()
    {
        yield return ("LinkHello", Encode(SampleHello()));
        yield return ("LinkHello/cookie", Encode(SampleHello(Cookie)));
        yield return ("LinkHello/1-byte", Encode(new LinkHello(0, LinkRoles.None, 0, ReadOnlyMemory<byte>.Empty, new byte[] { 0x5A })));
        yield return ("LinkHello/largest", Encode(new LinkHello(ulong.MaxValue, LinkRolesExtensions.Known, uint.MaxValue, Cookie, Pattern(LinkHandshake.MaxNoiseMessage, 6))));
        foreach (var (name, payload) in LinkPayloads())
        {
            yield return ($"LinkAccept/{name}", EncodeHandshake(MessageType.LinkAccept, 43, 0x11111111, 0x22222222, ClearSuiteNoise(payload)));
            yield return ($"LinkConfirm/{name}", EncodeHandshake(MessageType.LinkConfirm, 43, 0x22222222, 0x11111111, ClearSuiteNoise(payload)));
        }
        yield return ("LinkAccept/noise-96", EncodeHandshake(MessageType.LinkAccept, 1, 2, 3, Pattern(96, 7)));
        yield return ("LinkConfirm/1-byte", EncodeHandshake(MessageType.LinkConfirm, 0, 0, 0, [0x5A]));
        yield return ("LinkConfirm/largest", EncodeHandshake(MessageType.LinkConfirm, ulong.MaxValue, uint.MaxValue, uint.MaxValue, Pattern(LinkHandshake.MaxNoiseMessage, 8)));
        yield return ("CookieReply", Encode(new CookieReply(0x0102030405060708, 0xA1B2C3D4, Cookie)));
        yield return ("Sealed/empty", EncodeSealed(1, 0, new byte[Sealed.TagSize]));
        yield return ("Sealed/Ping", EncodeSealed(0x0A0B0C0D, 0x0102030405060708, Pattern(30 + Sealed.TagSize, 3)));
        yield return ("Sealed/largest", EncodeSealed(uint.MaxValue, ulong.MaxValue, Pattern(Sealed.MaxPlaintext + Sealed.TagSize, 4)));
        yield return ("Revocations/0", RevocationsDatagram());
        yield return ("Revocations/3", RevocationsDatagram(0x1003, 0x9000, 0x9001));
        foreach (var type in new[] { MessageType.Ping, MessageType.Pong, MessageType.Leave, MessageType.Close })
        {
            yield return (type.ToString(), Encode(new AddressedMessage(type, AddressA, AddressedMessage.HasNonce(type) ? 0x0A0B0C0D0E0F1011UL : 0)));
        }
        foreach (var entries in EntrySets())
        {
            yield return ($"Neighbors/{entries.Length}", Encode(new Neighbors(AddressA, NeighborsFlags.None, entries)));
            yield return ($"Neighbors/{entries.Length}/reply", Encode(new Neighbors(AddressB, NeighborsFlags.Reply, entries)));
        }
        foreach (var (name, payload, type) in ValidPayloads())
        {
            yield return ($"Routed/{name}", Encode(Header(type, payload.Length), payload));
        }
        yield return ("Routed/exact-exclude", Encode(Header(RoutedPayloadType.Data, 0, RoutingMode.Exact, RoutedFlags.ExcludeOrigin, 0, 8), []));
    }

    /// <summary>Valid routed payloads with the type that carries them.</summary>
    public static IEnumerable<(string Name, byte[] Payload, RoutedPayloadType Type)> ValidPayloads()
    {
        yield return ("ConnectToMe/1", Encode(SampleConnectToMe([V4])), RoutedPayloadType.ConnectToMe);
        yield return ("ConnectToMe/2", Encode(SampleConnectToMe()), RoutedPayloadType.ConnectToMe);
        yield return ("ConnectToMe/8", Encode(SampleConnectToMe(EightEndpoints)), RoutedPayloadType.ConnectToMe);
        yield return ("ConnectToMe/no-via", Encode(SampleConnectToMe([V4], RingAddress.Zero)), RoutedPayloadType.ConnectToMe);
        yield return ("Probe", Encode(new Probe(0x0102030405060708, -5)), RoutedPayloadType.Probe);
        foreach (var candidates in EndpointSets)
        {
            yield return ($"LinkIntent/{candidates.Length}", Encode(SampleLinkIntent(candidates)), RoutedPayloadType.LinkIntent);
        }
        foreach (var relays in RelaySets)
        {
            yield return ($"LinkIntent/relays-{relays.Length}", Encode(SampleLinkIntent([V4], relays)), RoutedPayloadType.LinkIntent);
        }
        yield return ("LinkIntent/reply-8-8", Encode(SampleLinkIntent(EightEndpoints, EightRelays, LinkIntentFlags.Reply)), RoutedPayloadType.LinkIntent);
        yield return ("LinkIntent/empty", Encode(new LinkIntent(Key, LinkRoles.None, LinkIntentFlags.Reply, 0, [], [])), RoutedPayloadType.LinkIntent);
        foreach (var (name, inner) in TunnelInners())
        {
            yield return ($"Tunnel/{name}", EncodeTunnel(AddressB, inner), RoutedPayloadType.Tunnel);
        }
        yield return ("Data/0", [], RoutedPayloadType.Data);
        yield return ("Data/5", [1, 2, 3, 4, 5], RoutedPayloadType.Data);
    }
}

public class WireRoundTripTests
{
    private static void AssertEndpoints(IPEndPoint[] expected, IPEndPoint[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
            Assert.Equal(expected[i].AddressFamily, actual[i].AddressFamily);
        }
    }

    [Fact]
    public void LinkPayload_round_trips_with_and_without_an_observed_endpoint()
    {
        byte[][] certificates = [[], [0x01], WireSamples.Pattern(300, 1), WireSamples.Pattern(LinkPayload.MaxCertificate, 2)];
        foreach (var observed in new[] { null, WireSamples.V4, WireSamples.V6, WireSamples.V4Mapped, WireSamples.V4Max, WireSamples.Tcp4, WireSamples.Tcp6 })
        {
            foreach (var eps in WireSamples.EndpointSets)
            {
                foreach (var (certificate, sequence) in certificates.Zip(WireSamples.Tokens))
                {
                    foreach (var roles in new[] { LinkRoles.None, LinkRoles.Leaf, LinkRoles.Near | LinkRoles.FarIn, LinkRolesExtensions.Known })
                    {
                        var m = new LinkPayload(WireSamples.Key, roles, observed, eps, certificate, sequence);
                        var bytes = WireSamples.Encode(m);
                        Assert.Equal(LinkPayload.KeySize + 1 + 1 + (observed is null ? 0 : SpanWriter.EndpointSize(observed)) + EndpointList.Size(eps) + 2 + certificate.Length + 8, bytes.Length);
                        Assert.True(LinkPayload.TryRead(bytes, out var decoded));
                        Assert.NotNull(decoded);
                        Assert.Equal(WireSamples.Key, decoded.NodeKey);
                        Assert.Equal(roles, decoded.Roles);
                        Assert.Equal(observed, decoded.Observed);
                        Assert.Equal(observed?.GetType(), decoded.Observed?.GetType());
                        Assert.Equal(observed?.AddressFamily, decoded.Observed?.AddressFamily);
                        AssertEndpoints(eps, decoded.Endpoints);
                        Assert.Equal(certificate, decoded.Certificate);
                        Assert.Equal(sequence, decoded.RevocationSequence);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(MessageType.Ping, 30)]
    [InlineData(MessageType.Pong, 30)]
    [InlineData(MessageType.Leave, 22)]
    [InlineData(MessageType.Close, 22)]
    public void AddressedMessage_round_trips(MessageType type, int expectedSize)
    {
        bool nonce = type is MessageType.Ping or MessageType.Pong;
        Assert.Equal(nonce, AddressedMessage.HasNonce(type));
        var random = new Random(31);
        foreach (var sender in new[] { RingAddress.Zero, WireSamples.AddressA, WireSamples.AddressB, RingAddress.Random(random) })
        {
            foreach (var n in WireSamples.Tokens)
            {
                var m = new AddressedMessage(type, sender, nonce ? n : 0);
                var datagram = WireSamples.Encode(m);
                Assert.Equal(expectedSize, datagram.Length);
                var body = WireSamples.Body(datagram, type);
                Assert.True(AddressedMessage.TryRead(type, body, out var decoded));
                Assert.Equal(m, decoded);
                Assert.Equal(type, decoded.Type);
                Assert.Equal(sender, decoded.Sender);
                Assert.Equal(nonce ? n : 0, decoded.Nonce);
            }
        }
    }

    [Fact]
    public void AddressedMessage_without_nonce_does_not_write_one()
    {
        var m = new AddressedMessage(MessageType.Leave, WireSamples.AddressA, 12345);
        var datagram = WireSamples.Encode(m);
        Assert.Equal(22, datagram.Length);
        Assert.True(AddressedMessage.TryRead(MessageType.Leave, datagram.AsSpan(2), out var decoded));
        Assert.Equal(0UL, decoded.Nonce);
    }

    [Fact]
    public void Neighbors_round_trip_with_and_without_reply_flag()
    {
        foreach (var entries in WireSamples.EntrySets())
        {
            foreach (var flags in new[] { NeighborsFlags.None, NeighborsFlags.Reply })
            {
                var m = new Neighbors(WireSamples.AddressA, flags, entries);
                var body = WireSamples.Body(WireSamples.Encode(m), MessageType.Neighbors);
                Assert.True(Neighbors.TryRead(body, out var decoded));
                Assert.NotNull(decoded);
                Assert.Equal(WireSamples.AddressA, decoded.Sender);
                Assert.Equal(flags, decoded.Flags);
                Assert.Equal(entries.Length, decoded.Entries.Length);
                for (int i = 0; i < entries.Length; i++)
                {
                    Assert.Equal(entries[i].Address, decoded.Entries[i].Address);
                    Assert.Equal(entries[i].Endpoint, decoded.Entries[i].Endpoint);
                    Assert.Equal(entries[i], decoded.Entries[i]);
                }
            }
        }
    }

    [Fact]
    public void Routed_round_trips_header_and_payload()
    {
        var random = new Random(41);
        int[] lengths = [0, 1, 16, 300, Routed.MaxPayload];
        foreach (var mode in new[] { RoutingMode.Exact, RoutingMode.Nearest })
        {
            foreach (var flags in new[] { RoutedFlags.None, RoutedFlags.ExcludeOrigin })
            {
                foreach (var type in Enum.GetValues<RoutedPayloadType>())
                {
                    foreach (var (hops, limit) in new (byte, byte)[] { (0, 64), (63, 64), (64, 64), (0, 0), (200, 255) })
                    {
                        foreach (int length in lengths)
                        {
                            var payload = new byte[length];
                            random.NextBytes(payload);
                            var src = RingAddress.Random(random);
                            var dst = RingAddress.Random(random);
                            var header = new Routed(src, dst, mode, flags, hops, limit, type, 0, length);
                            var datagram = WireSamples.Encode(header, payload);
                            Assert.Equal(Routed.SizeWith(length), datagram.Length);
                            Assert.Equal(hops, datagram[Routed.HopsOffsetInDatagram]);
                            var body = WireSamples.Body(datagram, MessageType.Routed);
                            Assert.True(Routed.TryRead(body, out var decoded));
                            Assert.Equal(src, decoded.Source);
                            Assert.Equal(dst, decoded.Destination);
                            Assert.Equal(mode, decoded.Mode);
                            Assert.Equal(flags, decoded.Flags);
                            Assert.Equal(hops, decoded.Hops);
                            Assert.Equal(limit, decoded.HopLimit);
                            Assert.Equal(type, decoded.PayloadType);
                            Assert.Equal(Routed.HeaderSize, decoded.PayloadOffset);
                            Assert.Equal(length, decoded.PayloadLength);
                            Assert.Equal(payload, body.AsSpan(decoded.PayloadOffset, decoded.PayloadLength).ToArray());
                            // The same slice taken the way the node does it, from the whole datagram.
                            Assert.Equal(payload, datagram.AsSpan(Envelope.HeaderSize + decoded.PayloadOffset, decoded.PayloadLength).ToArray());
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Routed_with_the_largest_payload_fills_exactly_one_datagram()
    {
        Assert.Equal(Envelope.MaxDatagramSize, Routed.SizeWith(Routed.MaxPayload));
        Assert.Equal(47, Routed.HeaderSize);
        Assert.Equal(1423, Routed.MaxPayload);
        var header = WireSamples.Header(RoutedPayloadType.Data, Routed.MaxPayload + 1);
        var big = new byte[4096];
        Assert.False(header.TryWrite(big, new byte[Routed.MaxPayload + 1], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Routed_hop_count_can_be_patched_in_place()
    {
        var payload = new byte[] { 9, 8, 7 };
        var datagram = WireSamples.Encode(WireSamples.Header(RoutedPayloadType.Data, 3, hops: 4, limit: 10), payload);
        datagram[Routed.HopsOffsetInDatagram] = 5;
        Assert.True(Routed.TryRead(datagram.AsSpan(Envelope.HeaderSize), out var decoded));
        Assert.Equal(5, decoded.Hops);
        Assert.Equal(10, decoded.HopLimit);
        Assert.Equal(WireSamples.AddressA, decoded.Source);
        Assert.Equal(WireSamples.AddressB, decoded.Destination);
    }

    [Fact]
    public void ConnectToMe_round_trips_inside_a_routed_message()
    {
        foreach (var eps in WireSamples.EndpointSets.Where(e => e.Length > 0))
        {
            foreach (var roles in WireSamples.AllRoleCombinations())
            {
                foreach (var flags in new[] { ConnectToMeFlags.None, ConnectToMeFlags.Forwarded })
                {
                    foreach (var (token, via) in WireSamples.Tokens.Zip(new[] { RingAddress.Zero, WireSamples.AddressA, WireSamples.AddressB, RingAddress.Half }))
                    {
                        var ctm = new ConnectToMe(WireSamples.Key, roles, flags, token, via, eps);
                        var payload = WireSamples.Encode(ctm);
                        var datagram = WireSamples.Encode(WireSamples.Header(RoutedPayloadType.ConnectToMe, payload.Length, flags: RoutedFlags.ExcludeOrigin), payload);
                        var body = WireSamples.Body(datagram, MessageType.Routed);
                        Assert.True(Routed.TryRead(body, out var header));
                        Assert.Equal(RoutedPayloadType.ConnectToMe, header.PayloadType);
                        Assert.Equal(RoutedFlags.ExcludeOrigin, header.Flags);
                        var slice = body.AsSpan(header.PayloadOffset, header.PayloadLength);
                        Assert.True(ConnectToMe.TryRead(slice, out var decoded));
                        Assert.NotNull(decoded);
                        Assert.Equal(ctm.PublicKey, decoded.PublicKey);
                        Assert.Equal(roles, decoded.Roles);
                        Assert.Equal(flags, decoded.Flags);
                        Assert.Equal(token, decoded.Token);
                        Assert.Equal(via, decoded.Via);
                        AssertEndpoints(eps, decoded.Endpoints);
                        Assert.Equal(LinkPayload.KeySize + 1 + 1 + 8 + RingAddress.Size + EndpointList.Size(eps), payload.Length);
                    }
                }
            }
        }
    }

    [Fact]
    public void ConnectToMe_via_sits_between_the_token_and_the_endpoints_and_zero_means_none()
    {
        var none = WireSamples.Encode(WireSamples.SampleConnectToMe([WireSamples.V4], RingAddress.Zero));
        var via = WireSamples.Encode(WireSamples.SampleConnectToMe([WireSamples.V4], WireSamples.AddressA));
        Assert.Equal(none.Length, via.Length);
        const int viaOffset = LinkPayload.KeySize + 1 + 1 + 8;
        Assert.All(none.AsSpan(viaOffset, RingAddress.Size).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal("0123456789ABCDEFFEDCBA9876543210DEADBEEF", Convert.ToHexString(via, viaOffset, RingAddress.Size));
        // Only the via bytes differ.
        Assert.Equal(none.AsSpan(0, viaOffset).ToArray(), via.AsSpan(0, viaOffset).ToArray());
        Assert.Equal(none.AsSpan(viaOffset + RingAddress.Size).ToArray(), via.AsSpan(viaOffset + RingAddress.Size).ToArray());
        Assert.True(ConnectToMe.TryRead(none, out var decoded));
        Assert.Equal(RingAddress.Zero, decoded!.Via);
    }

    [Fact]
    public void Probe_round_trips_inside_a_routed_message()
    {
        var probes = new[]
        {
            new Probe(0, 0),
            new Probe(1, 1),
            new Probe(ulong.MaxValue, long.MaxValue),
            new Probe(0x8000000000000000, long.MinValue),
            new Probe(0x0102030405060708, -1),
        };
        foreach (var p in probes)
        {
            var payload = WireSamples.Encode(p);
            Assert.Equal(Probe.Size, payload.Length);
            var datagram = WireSamples.Encode(WireSamples.Header(RoutedPayloadType.Probe, payload.Length, RoutingMode.Exact), payload);
            var body = WireSamples.Body(datagram, MessageType.Routed);
            Assert.True(Routed.TryRead(body, out var header));
            Assert.Equal(RoutedPayloadType.Probe, header.PayloadType);
            Assert.Equal(Probe.Size, header.PayloadLength);
            Assert.True(Probe.TryRead(body.AsSpan(header.PayloadOffset, header.PayloadLength), out var decoded));
            Assert.Equal(p, decoded);
            Assert.Equal(p.Id, decoded.Id);
            Assert.Equal(p.SentTimestamp, decoded.SentTimestamp);
        }
    }

    [Fact]
    public void EndpointList_with_IPv4_and_IPv6_round_trips_through_every_message_that_carries_one()
    {
        IPEndPoint[] mixed =
        [
            new(IPAddress.Parse("0.0.0.1"), 1),
            new(IPAddress.Parse("100.64.0.1"), 65535),
            new(IPAddress.Parse("::1"), 7),
            new(IPAddress.Parse("fe80::1234:5678:9abc:def0"), 5000),
            new(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 65535),
            new(IPAddress.Parse("::ffff:10.1.2.3"), 80),
        ];
        var lp = new LinkPayload(WireSamples.Key, LinkRoles.None, mixed[3], mixed, [], 1);
        Assert.True(LinkPayload.TryRead(WireSamples.Encode(lp), out var p));
        AssertEndpoints(mixed, p!.Endpoints);
        Assert.Equal(mixed[3], p.Observed);
        var ctm = new ConnectToMe(WireSamples.Key, LinkRoles.Near, ConnectToMeFlags.None, 1, WireSamples.AddressA, mixed);
        Assert.True(ConnectToMe.TryRead(WireSamples.Encode(ctm), out var c));
        AssertEndpoints(mixed, c!.Endpoints);
        var intent = new LinkIntent(WireSamples.Key, LinkRoles.Near, LinkIntentFlags.None, 1, mixed, [WireSamples.AddressB]);
        Assert.True(LinkIntent.TryRead(WireSamples.Encode(intent), out var i));
        AssertEndpoints(mixed, i!.Candidates);
        Assert.Equal(1 + 2 * 7 + 4 * 19, EndpointList.Size(mixed));
    }

    [Fact]
    public void Tcp_endpoints_carry_the_0x80_family_bit_and_stay_apart_from_udp_ones()
    {
        var tcp4 = new Woven.Transport.TcpEndPoint(WireSamples.V4.Address, WireSamples.V4.Port);
        var tcp6 = new Woven.Transport.TcpEndPoint(WireSamples.V6.Address, WireSamples.V6.Port);
        var payload = new LinkPayload(new byte[32], LinkRoles.None, tcp6, [WireSamples.V4, tcp4, tcp6], [], 0);
        var d = WireSamples.Encode(payload);
        // Observed flag and endpoint, then the list.
        Assert.Equal("01" + "86" + "20010DB8000000000000000000010002" + "CA6C", Convert.ToHexString(d, 33, 1 + 19));
        Assert.Equal("03" + "04C000020A1194" + "84C000020A1194" + "86" + "20010DB8000000000000000000010002" + "CA6C", Convert.ToHexString(d, 53, 1 + 7 + 7 + 19));
        Assert.True(LinkPayload.TryRead(d, out var decoded));
        Assert.IsType<Woven.Transport.TcpEndPoint>(decoded!.Observed);
        Assert.Equal(tcp6, decoded.Observed);
        Assert.IsNotType<Woven.Transport.TcpEndPoint>(decoded.Endpoints[0]);
        Assert.IsType<Woven.Transport.TcpEndPoint>(decoded.Endpoints[1]);
        Assert.IsType<Woven.Transport.TcpEndPoint>(decoded.Endpoints[2]);
        Assert.Equal(tcp4, decoded.Endpoints[1]);
        Assert.Equal(tcp6, decoded.Endpoints[2]);
        // Hash-based collections keep the two transports apart. (IPEndPoint.Equals itself does not look at the type,
        // so only the TCP side's Equals says they differ.)
        Assert.False(decoded.Endpoints[1].Equals(decoded.Endpoints[0]));
        Assert.NotEqual(decoded.Endpoints[0].GetHashCode(), decoded.Endpoints[1].GetHashCode());
        var byEndpoint = new Dictionary<IPEndPoint, int> { [decoded.Endpoints[0]] = 1 };
        Assert.False(byEndpoint.ContainsKey(decoded.Endpoints[1]));
        Assert.Equal(2, new HashSet<IPEndPoint>(decoded.Endpoints.Take(2)).Count);
    }

    [Fact]
    public void Golden_bytes_match_the_documented_layout()
    {
        // Endpoint encoding: family, address, port, big-endian (here in a link payload without an observed endpoint).
        var lp = new LinkPayload(new byte[32], LinkRoles.Leaf, null, [WireSamples.V4, new IPEndPoint(IPAddress.Parse("2001:db8::1"), 0x1234)], [], 0x0102030405060708);
        var d = WireSamples.Encode(lp);
        Assert.Equal(32 + 1 + 1 + 1 + 7 + 19 + 2 + 8, d.Length);
        Assert.All(d.Take(32), b => Assert.Equal(0, b));
        Assert.Equal(0x01, d[32]);
        Assert.Equal(0x00, d[33]);
        Assert.Equal(2, d[34]);
        Assert.Equal("04C000020A1194", Convert.ToHexString(d, 35, 7));
        Assert.Equal("0620010DB8000000000000000000000001" + "1234", Convert.ToHexString(d, 42, 19));
        Assert.Equal("0000" + "0102030405060708", Convert.ToHexString(d, 61, 10));

        var ping = WireSamples.Encode(new AddressedMessage(MessageType.Ping, WireSamples.AddressA, 0x1122334455667788));
        Assert.Equal("D103" + "0123456789ABCDEFFEDCBA9876543210DEADBEEF" + "1122334455667788", Convert.ToHexString(ping));

        var close = WireSamples.Encode(new AddressedMessage(MessageType.Close, WireSamples.AddressB, 0));
        Assert.Equal("D107" + "FFFFFFFFFFFFFFFF0000000000000000" + "00000001", Convert.ToHexString(close));

        var nb = WireSamples.Encode(new Neighbors(WireSamples.AddressB, NeighborsFlags.Reply, [new NeighborEntry(WireSamples.AddressA, WireSamples.V4)]));
        Assert.Equal("D105" + "FFFFFFFFFFFFFFFF000000000000000000000001" + "01" + "01" + "0123456789ABCDEFFEDCBA9876543210DEADBEEF" + "04C000020A1194", Convert.ToHexString(nb));

        var routed = WireSamples.Encode(new Routed(WireSamples.AddressA, WireSamples.AddressB, RoutingMode.Nearest, RoutedFlags.ExcludeOrigin, 2, 64, RoutedPayloadType.Data, 0, 3), [0xAA, 0xBB, 0xCC]);
        Assert.Equal("D108" + "0123456789ABCDEFFEDCBA9876543210DEADBEEF" + "FFFFFFFFFFFFFFFF000000000000000000000001" + "02" + "01" + "02" + "40" + "03" + "0003" + "AABBCC", Convert.ToHexString(routed));
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(routed.AsSpan(Envelope.HeaderSize + Routed.HeaderSize - 2)));

        var probe = WireSamples.Encode(new Probe(1, -2));
        Assert.Equal("0000000000000001" + "FFFFFFFFFFFFFFFE", Convert.ToHexString(probe));

        // ConnectToMe: key, roles, flags, token, via (20), endpoint list.
        var key = Enumerable.Repeat((byte)0x5A, 32).ToArray();
        var ctm = WireSamples.Encode(new ConnectToMe(key, LinkRoles.Near | LinkRoles.FarOut, ConnectToMeFlags.Forwarded, 0x0102030405060708, WireSamples.AddressA, [WireSamples.V4]));
        Assert.Equal(string.Concat(Enumerable.Repeat("5A", 32)) + "06" + "01" + "0102030405060708" + "0123456789ABCDEFFEDCBA9876543210DEADBEEF" + "01" + "04C000020A1194", Convert.ToHexString(ctm));
        Assert.Equal(32 + 1 + 1 + 8 + 20 + 1 + 7, ctm.Length);
        var ctmNoVia = WireSamples.Encode(new ConnectToMe(key, LinkRoles.Near, ConnectToMeFlags.None, 1, RingAddress.Zero, [WireSamples.V4]));
        Assert.Equal(string.Concat(Enumerable.Repeat("5A", 32)) + "02" + "00" + "0000000000000001" + new string('0', 40) + "01" + "04C000020A1194", Convert.ToHexString(ctmNoVia));
    }

    [Fact]
    public void Every_sample_datagram_fits_the_size_limit_and_classifies()
    {
        foreach (var (name, datagram) in WireSamples.ValidDatagrams())
        {
            Assert.True(datagram.Length <= Envelope.MaxDatagramSize, name);
            Assert.Equal(DropReason.None, Envelope.Classify(datagram, out _));
        }
    }

    [Fact]
    public void Role_mirroring_swaps_far_out_and_far_in_and_keeps_leaf_and_near()
    {
        Assert.Equal(LinkRoles.None, LinkRoles.None.Mirror());
        Assert.Equal(LinkRoles.Leaf, LinkRoles.Leaf.Mirror());
        Assert.Equal(LinkRoles.Near, LinkRoles.Near.Mirror());
        Assert.Equal(LinkRoles.FarIn, LinkRoles.FarOut.Mirror());
        Assert.Equal(LinkRoles.FarOut, LinkRoles.FarIn.Mirror());
        foreach (var roles in WireSamples.AllRoleCombinations())
        {
            Assert.Equal(roles, roles.Mirror().Mirror());
            Assert.Equal(roles & (LinkRoles.Leaf | LinkRoles.Near), roles.Mirror() & (LinkRoles.Leaf | LinkRoles.Near));
        }
        Assert.Equal(LinkRoles.Near | LinkRoles.FarIn, ((LinkRoles)0xE0 | LinkRoles.Near | LinkRoles.FarOut).Mirror());
    }
}

using System.Buffers.Binary;
using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Core.Tests;

public partial class WireMalformedTests
{
    // Body offsets (after the 2-byte envelope header) of the fixed fields.
    private const int HelloRolesOffset = 8;                                // after the token
    private const int PayloadRolesOffset = LinkPayload.KeySize;            // 32 (link payload offsets)
    private const int PayloadObservedOffset = LinkPayload.KeySize + 1;     // 33: observed flag, then the endpoint when 1
    private const int NeighborsFlagsOffset = RingAddress.Size;             // 20
    private const int NeighborsCountOffset = RingAddress.Size + 1;         // 21
    private const int RoutedModeOffset = 2 * RingAddress.Size;             // 40
    private const int RoutedFlagsOffset = RoutedModeOffset + 1;            // 41
    private const int RoutedHopsOffset = RoutedModeOffset + 2;             // 42
    private const int RoutedLimitOffset = RoutedModeOffset + 3;            // 43
    private const int RoutedTypeOffset = RoutedModeOffset + 4;             // 44
    private const int RoutedLengthOffset = RoutedModeOffset + 5;           // 45
    private const int CtmRolesOffset = LinkPayload.KeySize;                // 32 (payload offsets)
    private const int CtmFlagsOffset = LinkPayload.KeySize + 1;            // 33
    private const int CtmViaOffset = LinkPayload.KeySize + 1 + 1 + 8;      // 42
    private const int CtmEndpointsOffset = CtmViaOffset + RingAddress.Size; // 62

    /// <summary>Decodes a body the way the overlay node does for the given type (a sealed datagram up to its decryption).</summary>
    private static bool DecodesBody(MessageType type, ReadOnlySpan<byte> body) => type switch
    {
        MessageType.LinkRequest => LinkHello.TryRead(body, out _, out _, out _, out _, out _),
        MessageType.LinkAccept or MessageType.LinkConfirm => LinkHandshake.TryRead(body, out _, out _, out _, out _),
        MessageType.CookieReply => CookieReply.TryRead(body, out _),
        MessageType.Sealed => Sealed.TryRead(body, out _, out _, out _),
        MessageType.Revocations => Woven.Security.RevocationList.TryRead(body, out _),
        MessageType.Neighbors => Neighbors.TryRead(body, out _),
        MessageType.Routed => Routed.TryRead(body, out _),
        _ => AddressedMessage.TryRead(type, body, out _),
    };

    /// <summary>
    /// Whether a valid datagram cut or extended to <paramref name="length"/> bytes must still decode: only one whose last
    /// field runs to the end (a Noise message, a ciphertext) and is still within that field's range; the handshake or the
    /// AEAD then rejects the changed bytes (see <see cref="LinkHandshakeWireTests"/>).
    /// </summary>
    internal static bool StillDecodes(ReadOnlySpan<byte> valid, int length) =>
        length <= Envelope.MaxDatagramSize && WireSamples.TryOpaqueTail(valid, out int start, out int min, out int max)
        && length - start >= min && length - start <= max;

    /// <summary>
    /// Decodes a payload the way the node that it is delivered to does. A tunnel is decoded as its final node
    /// does: the tunnel header, then the whole inner datagram.
    /// </summary>
    internal static bool DecodesPayload(RoutedPayloadType type, ReadOnlySpan<byte> payload) => type switch
    {
        RoutedPayloadType.ConnectToMe => ConnectToMe.TryRead(payload, out _),
        RoutedPayloadType.Probe => Probe.TryRead(payload, out _),
        RoutedPayloadType.LinkIntent => LinkIntent.TryRead(payload, out _),
        RoutedPayloadType.Tunnel => Tunnel.TryRead(payload, out _, out var inner) && Decodes(inner),
        _ => true,
    };

    /// <summary>Classifies and decodes a whole datagram; true only when both pass.</summary>
    internal static bool Decodes(ReadOnlySpan<byte> datagram)
    {
        if (Envelope.Classify(datagram, out var type) != DropReason.None) return false;
        return DecodesBody(type, datagram[Envelope.HeaderSize..]);
    }

    internal static byte[] With(byte[] bytes, int index, byte value)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }

    private static byte[] Body(byte[] datagram) => datagram[Envelope.HeaderSize..];

    internal static byte[] EndpointBytes(IPEndPoint ep)
    {
        // The endpoint encoding as a link payload produces it: its observed endpoint.
        var d = WireSamples.Encode(new LinkPayload(WireSamples.Key, LinkRoles.None, ep, [], [], 0));
        return d[(PayloadObservedOffset + 1)..^(1 + 2 + 8)];
    }

    // ---------- truncation and trailing bytes ----------

    [Fact]
    public void Every_truncation_of_every_message_fails_to_decode_or_only_shortens_its_noise_or_ciphertext()
    {
        foreach (var (name, datagram) in WireSamples.ValidDatagrams())
        {
            Assert.True(Decodes(datagram), name);
            Envelope.Classify(datagram, out var type);
            for (int length = 0; length < datagram.Length; length++)
            {
                var prefix = datagram.AsSpan(0, length);
                var reason = Envelope.Classify(prefix, out var prefixType);
                if (length < Envelope.HeaderSize)
                {
                    Assert.Equal(DropReason.TooShort, reason);
                    continue;
                }
                Assert.Equal(DropReason.None, reason);
                Assert.Equal(type, prefixType);
                Assert.Equal(StillDecodes(datagram, length), DecodesBody(type, prefix[Envelope.HeaderSize..]));
            }
        }
    }

    [Fact]
    public void Every_truncation_of_every_routed_payload_fails_to_decode()
    {
        foreach (var (name, payload, type) in WireSamples.ValidPayloads())
        {
            Assert.True(DecodesPayload(type, payload), name);
            if (type == RoutedPayloadType.Data) continue;
            for (int length = 0; length < payload.Length; length++)
            {
                // A tunnel ends where its inner datagram ends: cutting it cuts the inner datagram.
                bool expected = type == RoutedPayloadType.Tunnel && StillDecodes(payload.AsSpan(Tunnel.HeaderSize), length - Tunnel.HeaderSize);
                Assert.Equal(expected, DecodesPayload(type, payload.AsSpan(0, length)));
            }
        }
    }

    [Fact]
    public void Trailing_bytes_after_any_message_fail_to_decode_or_join_its_noise_or_ciphertext()
    {
        var random = new Random(51);
        foreach (var (name, datagram) in WireSamples.ValidDatagrams())
        {
            foreach (int extra in new[] { 1, 2, 7, 19, 27, 100 })
            {
                foreach (bool zeros in new[] { true, false })
                {
                    var tail = new byte[extra];
                    if (!zeros) random.NextBytes(tail);
                    var longer = datagram.Concat(tail).ToArray();
                    var reason = Envelope.Classify(longer, out var type);
                    if (reason == DropReason.Oversize) continue;
                    Assert.Equal(DropReason.None, reason);
                    Assert.Equal(StillDecodes(datagram, longer.Length), DecodesBody(type, longer.AsSpan(Envelope.HeaderSize)));
                }
            }
        }
    }

    [Fact]
    public void Trailing_bytes_after_a_routed_payload_fail_to_decode()
    {
        foreach (var (name, payload, type) in WireSamples.ValidPayloads())
        {
            if (type == RoutedPayloadType.Data) continue;
            foreach (int extra in new[] { 1, 7, 19 })
            {
                bool expected = type == RoutedPayloadType.Tunnel && StillDecodes(payload.AsSpan(Tunnel.HeaderSize), payload.Length + extra - Tunnel.HeaderSize);
                Assert.Equal(expected, DecodesPayload(type, payload.Concat(new byte[extra]).ToArray()));
            }
        }
    }

    [Fact]
    public void Every_truncation_of_every_link_payload_fails_to_decode_and_so_do_trailing_bytes()
    {
        foreach (var (name, payload) in WireSamples.LinkPayloads())
        {
            var bytes = WireSamples.Encode(payload);
            Assert.True(LinkPayload.TryRead(bytes, out _), name);
            for (int length = 0; length < bytes.Length; length++)
            {
                Assert.False(LinkPayload.TryRead(bytes.AsSpan(0, length), out var m), $"{name} truncated to {length}");
                Assert.Null(m);
            }
            foreach (int extra in new[] { 1, 2, 7, 8, 19 })
            {
                Assert.False(LinkPayload.TryRead(bytes.Concat(new byte[extra]).ToArray(), out var m), $"{name} + {extra} bytes");
                Assert.Null(m);
            }
        }
    }

    [Fact]
    public void Addressed_messages_must_have_exactly_their_own_length()
    {
        var ping = Body(WireSamples.Encode(new AddressedMessage(MessageType.Ping, WireSamples.AddressA, 5)));
        var leave = Body(WireSamples.Encode(new AddressedMessage(MessageType.Leave, WireSamples.AddressA, 0)));
        Assert.False(AddressedMessage.TryRead(MessageType.Ping, leave, out _));
        Assert.False(AddressedMessage.TryRead(MessageType.Pong, leave, out _));
        Assert.False(AddressedMessage.TryRead(MessageType.Leave, ping, out _));
        Assert.False(AddressedMessage.TryRead(MessageType.Close, ping, out _));
        Assert.False(AddressedMessage.TryRead(MessageType.Ping, [], out _));
    }

    // ---------- bad enum and flag values ----------

    [Fact]
    public void Link_messages_reject_unknown_role_bits()
    {
        var hello = WireSamples.Encode(WireSamples.SampleHello(WireSamples.Cookie));
        var payload = WireSamples.Encode(WireSamples.SamplePayload(WireSamples.V6, [WireSamples.V4]));
        for (int value = 0; value <= 255; value++)
        {
            bool known = (value & ~(int)LinkRolesExtensions.Known) == 0;
            var h = With(hello, Envelope.HeaderSize + HelloRolesOffset, (byte)value);
            Assert.Equal(known, LinkHello.TryRead(Body(h), out _, out var roles, out _, out _, out _));
            if (known) Assert.Equal((LinkRoles)value, roles);
            Assert.Equal(known, LinkPayload.TryRead(With(payload, PayloadRolesOffset, (byte)value), out var p));
            Assert.Equal(known, p is not null);
        }
    }

    [Fact]
    public void Neighbors_rejects_unknown_flags()
    {
        var datagram = WireSamples.Encode(new Neighbors(WireSamples.AddressA, NeighborsFlags.None, [new NeighborEntry(WireSamples.AddressB, WireSamples.V4)]));
        for (int value = 0; value <= 255; value++)
        {
            var d = With(datagram, Envelope.HeaderSize + NeighborsFlagsOffset, (byte)value);
            Assert.Equal(value <= 1, Neighbors.TryRead(Body(d), out var m));
            Assert.Equal(value <= 1, m is not null);
        }
    }

    [Fact]
    public void Routed_rejects_unknown_mode_flags_and_payload_type()
    {
        var datagram = WireSamples.Encode(WireSamples.Header(RoutedPayloadType.Data, 4), [1, 2, 3, 4]);
        // Every flag bit the enum defines is accepted (ExcludeOrigin = 0x01 at least); any other bit is malformed; so is
        // a payload type the enum does not define (1 to 10 today).
        Assert.Equal(Enumerable.Range(1, 10), Enum.GetValues<RoutedPayloadType>().Select(t => (int)t));
        int knownFlags = Enum.GetValues<RoutedFlags>().Aggregate(0, (all, f) => all | (int)f);
        Assert.Equal(0x01, knownFlags & 0x01);
        for (int value = 0; value <= 255; value++)
        {
            Assert.Equal(value is 1 or 2, Routed.TryRead(Body(With(datagram, Envelope.HeaderSize + RoutedModeOffset, (byte)value)), out _));
            Assert.Equal((value & ~knownFlags) == 0, Routed.TryRead(Body(With(datagram, Envelope.HeaderSize + RoutedFlagsOffset, (byte)value)), out _));
            Assert.Equal(Enum.IsDefined((RoutedPayloadType)value), Routed.TryRead(Body(With(datagram, Envelope.HeaderSize + RoutedTypeOffset, (byte)value)), out _));
        }
    }

    [Fact]
    public void ConnectToMe_rejects_unknown_roles_and_flags()
    {
        var payload = WireSamples.Encode(new ConnectToMe(WireSamples.Key, LinkRoles.None, ConnectToMeFlags.None, 9, WireSamples.AddressA, [WireSamples.V4]));
        for (int value = 0; value <= 255; value++)
        {
            bool knownRoles = (value & ~(int)LinkRolesExtensions.Known) == 0;
            Assert.Equal(knownRoles, ConnectToMe.TryRead(With(payload, CtmRolesOffset, (byte)value), out var a));
            Assert.Equal(knownRoles, a is not null);
            Assert.Equal(value <= 1, ConnectToMe.TryRead(With(payload, CtmFlagsOffset, (byte)value), out var b));
            Assert.Equal(value <= 1, b is not null);
        }
    }

    [Fact]
    public void ConnectToMe_takes_any_via_address()
    {
        // Via is an address, not a checked field: every value decodes and comes back unchanged.
        var payload = WireSamples.Encode(WireSamples.SampleConnectToMe([WireSamples.V4], RingAddress.Zero));
        var random = new Random(61);
        for (int i = 0; i < 200; i++)
        {
            var via = RingAddress.Random(random);
            var d = (byte[])payload.Clone();
            via.Write(d.AsSpan(CtmViaOffset));
            Assert.True(ConnectToMe.TryRead(d, out var m));
            Assert.Equal(via, m!.Via);
        }
    }

    [Fact]
    public void ConnectToMe_without_the_via_field_is_rejected()
    {
        // A payload in the old layout (no via) is 20 bytes short: it must not decode with endpoints read as via.
        var payload = WireSamples.Encode(WireSamples.SampleConnectToMe([WireSamples.V4], WireSamples.AddressA));
        var old = payload[..CtmViaOffset].Concat(payload[CtmEndpointsOffset..]).ToArray();
        Assert.False(ConnectToMe.TryRead(old, out var m));
        Assert.Null(m);
    }

    [Fact]
    public void ConnectToMe_without_endpoints_is_rejected()
    {
        var payload = WireSamples.Encode(new ConnectToMe(WireSamples.Key, LinkRoles.Near, ConnectToMeFlags.None, 9, WireSamples.AddressA, []));
        Assert.Equal(LinkPayload.KeySize + 1 + 1 + 8 + RingAddress.Size + 1, payload.Length);
        Assert.False(ConnectToMe.TryRead(payload, out var m));
        Assert.Null(m);
    }

    // ---------- counts ----------

    [Fact]
    public void Endpoint_lists_longer_than_eight_are_rejected()
    {
        var ninth = EndpointBytes(WireSamples.V4);
        var eight = WireSamples.EightEndpoints;

        var unobserved = WireSamples.Encode(WireSamples.SamplePayload(null, eight));
        int unobservedCount = PayloadObservedOffset + 1;
        Assert.Equal(8, unobserved[unobservedCount]);
        AssertCountsRejected(unobserved, unobservedCount, ninth, d => LinkPayload.TryRead(d, out _));

        var observed = WireSamples.Encode(WireSamples.SamplePayload(WireSamples.V4, eight));
        int observedCount = PayloadObservedOffset + 1 + 7; // after the IPv4 observed endpoint
        Assert.Equal(8, observed[observedCount]);
        AssertCountsRejected(observed, observedCount, ninth, d => LinkPayload.TryRead(d, out _));

        var ctm = WireSamples.Encode(new ConnectToMe(WireSamples.Key, LinkRoles.Near, ConnectToMeFlags.None, 1, WireSamples.AddressB, eight));
        Assert.Equal(8, ctm[CtmEndpointsOffset]);
        AssertCountsRejected(ctm, CtmEndpointsOffset, ninth, d => ConnectToMe.TryRead(d, out _));
    }

    [Fact]
    public void Neighbor_lists_longer_than_sixteen_are_rejected()
    {
        var entries = WireSamples.EntrySets().Last();
        Assert.Equal(Neighbors.MaxEntries, entries.Length);
        var datagram = WireSamples.Encode(new Neighbors(WireSamples.AddressA, NeighborsFlags.None, entries));
        int countOffset = Envelope.HeaderSize + NeighborsCountOffset;
        Assert.Equal(16, datagram[countOffset]);
        var extraEntry = new byte[RingAddress.Size].Concat(EndpointBytes(WireSamples.V6)).ToArray();
        AssertCountsRejected(datagram, countOffset, extraEntry, d => Neighbors.TryRead(Body(d), out _));

        // The writer refuses to produce what the reader would refuse.
        var tooMany = new Neighbors(WireSamples.AddressA, NeighborsFlags.None, [.. entries, entries[0]]);
        Assert.Throws<InvalidOperationException>(() => tooMany.TryWrite(new byte[2000], out _));
    }

    [Fact]
    public void Endpoint_list_writer_refuses_more_than_eight()
    {
        var nine = WireSamples.EightEndpoints.Append(WireSamples.V4).ToArray();
        var m = WireSamples.SamplePayload(WireSamples.V4, nine);
        Assert.Throws<ArgumentException>(() => m.TryWrite(new byte[2000], out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Encoders_refuse_public_keys_that_are_not_32_bytes(int length)
    {
        // Otherwise the bytes written would not match Size, and every receiver would drop the message as malformed.
        var key = new byte[length];
        var buffer = new byte[2000];
        Assert.False(new LinkPayload(key, LinkRoles.Near, WireSamples.V4, [WireSamples.V4], [], 1).TryWrite(buffer, out _));
        Assert.False(new ConnectToMe(key, LinkRoles.Near, ConnectToMeFlags.None, 1, WireSamples.AddressA, [WireSamples.V4]).TryWrite(buffer, out _));
        Assert.False(new LinkIntent(key, LinkRoles.Near, LinkIntentFlags.None, 1, [WireSamples.V4], [WireSamples.AddressA]).TryWrite(buffer, out _));
    }

    /// <summary>
    /// A list at its maximum with one more item appended and the count raised is rejected; so are counts that
    /// claim more or fewer items than follow, and the largest count byte.
    /// </summary>
    internal static void AssertCountsRejected(byte[] full, int countOffset, byte[] extraItem, Func<byte[], bool> decode)
    {
        Assert.True(decode(full));
        int max = full[countOffset];
        var overfull = With(full, countOffset, (byte)(max + 1)).Concat(extraItem).ToArray();
        Assert.False(decode(overfull));
        Assert.False(decode(With(full, countOffset, (byte)(max + 1))));
        Assert.False(decode(With(full, countOffset, (byte)(max - 1))));
        Assert.False(decode(With(full, countOffset, 0)));
        Assert.False(decode(With(full, countOffset, 255)));
        Assert.False(decode(With(overfull, countOffset, 255)));
    }

    // ---------- endpoints ----------

    /// <summary>Datagram or payload bytes with the byte offsets of their endpoints' family bytes.</summary>
    private static IEnumerable<(string Name, byte[] Bytes, int[] Families, Func<byte[], bool> Decode)> EndpointCarriers()
    {
        var unobserved = WireSamples.Encode(WireSamples.SamplePayload(null, [WireSamples.V4, WireSamples.V6]));
        int first = PayloadObservedOffset + 1 + 1;
        yield return ("LinkPayload", unobserved, [first, first + 7], d => LinkPayload.TryRead(d, out _));

        var observed = WireSamples.Encode(WireSamples.SamplePayload(WireSamples.V6, [WireSamples.V4]));
        int observedAt = PayloadObservedOffset + 1;
        yield return ("LinkPayload/observed", observed, [observedAt, observedAt + 19 + 1], d => LinkPayload.TryRead(d, out _));

        var nb = WireSamples.Encode(new Neighbors(WireSamples.AddressA, NeighborsFlags.None,
            [new NeighborEntry(WireSamples.AddressB, WireSamples.V4), new NeighborEntry(WireSamples.AddressA, WireSamples.V6)]));
        int nbFirst = Envelope.HeaderSize + NeighborsCountOffset + 1 + RingAddress.Size;
        yield return ("Neighbors", nb, [nbFirst, nbFirst + 7 + RingAddress.Size], d => Neighbors.TryRead(Body(d), out _));

        var ctm = WireSamples.Encode(new ConnectToMe(WireSamples.Key, LinkRoles.Near, ConnectToMeFlags.None, 1, WireSamples.AddressA, [WireSamples.V6, WireSamples.V4]));
        yield return ("ConnectToMe", ctm, [CtmEndpointsOffset + 1, CtmEndpointsOffset + 1 + 19], d => ConnectToMe.TryRead(d, out _));

        var intent = WireSamples.Encode(WireSamples.SampleLinkIntent([WireSamples.V4, WireSamples.V6], [WireSamples.AddressA]));
        int intentFirst = TunnelAndIntentTests.IntentCandidatesOffset + 1;
        yield return ("LinkIntent", intent, [intentFirst, intentFirst + 7], d => LinkIntent.TryRead(d, out _));
    }

    [Fact]
    public void Endpoint_families_other_than_4_and_6_with_or_without_the_TCP_bit_are_rejected()
    {
        foreach (var (name, bytes, families, decode) in EndpointCarriers())
        {
            Assert.True(decode(bytes), name);
            foreach (int at in families)
            {
                Assert.True(bytes[at] is 4 or 6, $"{name}: offset {at} is not a family byte");
                // The TCP bit (0x80) on the same family is another valid endpoint.
                Assert.True(decode(With(bytes, at, (byte)(bytes[at] | 0x80))), $"{name}: TCP family at {at}");
                for (int value = 0; value <= 255; value++)
                {
                    if (value is 4 or 6 or 0x84 or 0x86) continue;
                    Assert.False(decode(With(bytes, at, (byte)value)), $"{name}: family {value} at {at}");
                }
            }
        }
    }

    [Fact]
    public void Endpoint_port_zero_is_rejected()
    {
        foreach (var (name, bytes, families, decode) in EndpointCarriers())
        {
            foreach (int at in families)
            {
                int portAt = at + 1 + (bytes[at] == 4 ? 4 : 16);
                Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(portAt)));
                var zeroed = (byte[])bytes.Clone();
                zeroed[portAt] = 0;
                zeroed[portAt + 1] = 0;
                Assert.False(decode(zeroed), $"{name}: port 0 at {portAt}");
                // Either byte alone non-zero is a real port.
                Assert.True(decode(With(zeroed, portAt + 1, 1)), $"{name}: port 1 at {portAt}");
                Assert.True(decode(With(zeroed, portAt, 1)), $"{name}: port 256 at {portAt}");
            }
        }
    }

    [Fact]
    public void A_family_byte_that_does_not_match_the_address_length_is_rejected()
    {
        // A single IPv4 endpoint relabelled IPv6 runs out of bytes or misreads the rest; a single IPv6 endpoint relabelled
        // IPv4 leaves bytes over (here: the last endpoint of a list, and an observed endpoint).
        var v4 = WireSamples.Encode(new LinkPayload(WireSamples.Key, LinkRoles.Near, null, [WireSamples.V4], [], 1));
        var v6 = WireSamples.Encode(new LinkPayload(WireSamples.Key, LinkRoles.Near, null, [WireSamples.V6], [], 1));
        int family = PayloadObservedOffset + 1 + 1;
        Assert.False(LinkPayload.TryRead(With(v4, family, 6), out _));
        Assert.False(LinkPayload.TryRead(With(v6, family, 4), out _));
        var o4 = WireSamples.Encode(new LinkPayload(WireSamples.Key, LinkRoles.Near, WireSamples.V4, [], [], 1));
        var o6 = WireSamples.Encode(new LinkPayload(WireSamples.Key, LinkRoles.Near, WireSamples.V6, [], [], 1));
        Assert.False(LinkPayload.TryRead(With(o4, PayloadObservedOffset + 1, 6), out _));
        Assert.False(LinkPayload.TryRead(With(o6, PayloadObservedOffset + 1, 4), out _));
    }

    // ---------- routed ----------

    [Fact]
    public void Routed_payload_length_must_match_the_remaining_bytes()
    {
        foreach (var (name, payload, type) in WireSamples.ValidPayloads())
        {
            var datagram = WireSamples.Encode(WireSamples.Header(type, payload.Length), payload);
            int at = Envelope.HeaderSize + RoutedLengthOffset;
            Assert.Equal(payload.Length, BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(at)));
            Assert.True(Routed.TryRead(Body(datagram), out _), name);
            foreach (int wrong in new[] { payload.Length - 1, payload.Length + 1, payload.Length + 256, 0, ushort.MaxValue, Routed.MaxPayload })
            {
                if (wrong < 0 || wrong == payload.Length) continue;
                var d = (byte[])datagram.Clone();
                BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(at), (ushort)wrong);
                Assert.False(Routed.TryRead(Body(d), out var m), $"{name}: length {wrong} for {payload.Length} bytes");
                Assert.Equal(default, m);
            }
        }
    }

    [Fact]
    public void Routed_hops_above_the_hop_limit_are_rejected()
    {
        foreach (var (hops, limit, ok) in new (byte, byte, bool)[]
        {
            (0, 0, true), (1, 0, false), (64, 64, true), (65, 64, false), (255, 254, false), (255, 255, true), (9, 8, false), (255, 0, false),
        })
        {
            var datagram = WireSamples.Encode(WireSamples.Header(RoutedPayloadType.Data, 1, hops: 0, limit: 0), [7]);
            datagram[Envelope.HeaderSize + RoutedHopsOffset] = hops;
            datagram[Envelope.HeaderSize + RoutedLimitOffset] = limit;
            Assert.Equal(ok, Routed.TryRead(Body(datagram), out var m));
            if (ok)
            {
                Assert.Equal(hops, m.Hops);
                Assert.Equal(limit, m.HopLimit);
            }
        }
    }

    // ---------- envelope ----------

    [Fact]
    public void Classify_rejects_datagrams_too_short_for_the_header()
    {
        Assert.Equal(DropReason.TooShort, Envelope.Classify([], out _));
        Assert.Equal(DropReason.TooShort, Envelope.Classify([0xD1], out _));
        Assert.Equal(DropReason.TooShort, Envelope.Classify([0x00], out _));
        Assert.Equal(DropReason.None, Envelope.Classify([0xD1, 0x06], out var type));
        Assert.Equal(MessageType.Leave, type);
    }

    [Fact]
    public void Classify_rejects_oversize_datagrams_before_looking_at_them()
    {
        var ok = new byte[Envelope.MaxDatagramSize];
        ok[0] = Envelope.FirstByte;
        ok[1] = (byte)MessageType.Routed;
        Assert.Equal(DropReason.None, Envelope.Classify(ok, out _));
        var over = new byte[Envelope.MaxDatagramSize + 1];
        over[0] = Envelope.FirstByte;
        over[1] = (byte)MessageType.Routed;
        Assert.Equal(DropReason.Oversize, Envelope.Classify(over, out _));
        Assert.Equal(DropReason.Oversize, Envelope.Classify(new byte[Envelope.MaxDatagramSize + 1], out _));
        Assert.Equal(DropReason.Oversize, Envelope.Classify(new byte[65507], out _));
        Assert.Equal(1472, Envelope.MaxDatagramSize);
    }

    [Fact]
    public void Classify_checks_magic_nibble_then_version_for_every_first_byte()
    {
        for (int first = 0; first <= 255; first++)
        {
            var reason = Envelope.Classify([(byte)first, (byte)MessageType.Ping], out var type);
            DropReason expected = (first & 0xF0) != 0xD0 ? DropReason.BadMagic
                : (first & 0x0F) != 1 ? DropReason.WrongVersion
                : DropReason.None;
            Assert.Equal(expected, reason);
            if (expected == DropReason.None) Assert.Equal(MessageType.Ping, type);
        }
        Assert.Equal(0xD1, Envelope.FirstByte);
    }

    [Fact]
    public void Classify_tells_stun_apart()
    {
        // RFC 7983: STUN messages start with 0x00-0x03 (the two top bits of a STUN header are zero).
        var stunBindingRequest = Convert.FromHexString("000100002112A442" + "0102030405060708090A0B0C");
        Assert.Equal(DropReason.BadMagic, Envelope.Classify(stunBindingRequest, out _));
        for (int first = 0; first <= 3; first++) Assert.Equal(DropReason.BadMagic, Envelope.Classify([(byte)first, 1, 0, 0], out _));
    }

    [Fact]
    public void Classify_rejects_unknown_message_types()
    {
        for (int t = 0; t <= 255; t++)
        {
            var reason = Envelope.Classify([Envelope.FirstByte, (byte)t, 0, 0], out var type);
            if (t is >= 1 and <= 12)
            {
                Assert.Equal(DropReason.None, reason);
                Assert.Equal((MessageType)t, type);
            }
            else
            {
                Assert.Equal(DropReason.UnknownType, reason);
            }
        }
    }
}

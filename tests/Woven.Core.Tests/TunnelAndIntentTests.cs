using System.Buffers.Binary;
using System.Net;
using Woven.Addressing;
using Woven.Overlay;
using Woven.Wire;

namespace Woven.Core.Tests;

/// <summary>
/// The NAT-traversal payloads: <see cref="LinkIntent"/> (routed payload type 5) and <see cref="Tunnel"/> (type 4).
/// Round trips, golden bytes and malformed input; the seeded mutation test in <see cref="WireMalformedTests"/>
/// covers both as well.
/// </summary>
public class TunnelAndIntentTests
{
    // Payload offsets of the LinkIntent fields.
    internal const int IntentRolesOffset = LinkPayload.KeySize;                 // 32
    internal const int IntentFlagsOffset = LinkPayload.KeySize + 1;             // 33
    internal const int IntentTokenOffset = LinkPayload.KeySize + 2;             // 34
    internal const int IntentCandidatesOffset = LinkPayload.KeySize + 1 + 1 + 8; // 42: candidate count byte

    private static readonly RingAddress Final = new(0x1111111111111111, 0x2222222222222222, 0x33333333);

    private static void AssertEndpoints(IPEndPoint[] expected, IPEndPoint[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
            Assert.Equal(expected[i].AddressFamily, actual[i].AddressFamily);
        }
    }

    /// <summary>Offset of the relay count byte in an encoded intent.</summary>
    private static int RelayCountOffset(LinkIntent m) => IntentCandidatesOffset + EndpointList.Size(m.Candidates);

    // ---------- constants ----------

    [Fact]
    public void Payload_type_values_and_limits_are_fixed()
    {
        Assert.Equal(4, (int)RoutedPayloadType.Tunnel);
        Assert.Equal(5, (int)RoutedPayloadType.LinkIntent);
        Assert.Equal(0x01, (int)LinkIntentFlags.Reply);
        Assert.Equal(8, LinkIntent.MaxRelays);
        Assert.Equal(20, Tunnel.HeaderSize);
        Assert.Equal(1403, Tunnel.MaxInner);
        Assert.Equal(Routed.MaxPayload, Tunnel.HeaderSize + Tunnel.MaxInner);
    }

    [Fact]
    public void TooBig_is_a_drop_reason_with_its_own_counter()
    {
        Assert.True(Enum.IsDefined(DropReason.TooBig));
        var drops = new OverlayCounters().DropsByReason();
        Assert.Equal(0, drops["too_big"]);
        Assert.Equal(Enum.GetValues<DropReason>().Length - 1, drops.Count);
    }

    // ---------- LinkIntent round trips ----------

    [Fact]
    public void LinkIntent_round_trips()
    {
        foreach (var candidates in WireSamples.EndpointSets)
        {
            foreach (var relays in WireSamples.RelaySets)
            {
                foreach (var roles in WireSamples.AllRoleCombinations())
                {
                    foreach (var flags in new[] { LinkIntentFlags.None, LinkIntentFlags.Reply })
                    {
                        foreach (var token in WireSamples.Tokens)
                        {
                            var m = new LinkIntent(WireSamples.Key, roles, flags, token, candidates, relays);
                            var payload = WireSamples.Encode(m);
                            Assert.Equal(LinkPayload.KeySize + 1 + 1 + 8 + EndpointList.Size(candidates) + 1 + RingAddress.Size * relays.Length, payload.Length);
                            Assert.True(LinkIntent.TryRead(payload, out var decoded));
                            Assert.NotNull(decoded);
                            Assert.Equal(m.PublicKey, decoded.PublicKey);
                            Assert.Equal(roles, decoded.Roles);
                            Assert.Equal(flags, decoded.Flags);
                            Assert.Equal(token, decoded.Token);
                            AssertEndpoints(candidates, decoded.Candidates);
                            Assert.Equal(relays, decoded.Relays);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void LinkIntent_round_trips_inside_a_routed_message()
    {
        var intent = WireSamples.SampleLinkIntent(WireSamples.EightEndpoints, WireSamples.EightRelays, LinkIntentFlags.Reply);
        var payload = WireSamples.Encode(intent);
        var datagram = WireSamples.Encode(WireSamples.Header(RoutedPayloadType.LinkIntent, payload.Length, RoutingMode.Exact, hops: 0), payload);
        Assert.True(datagram.Length <= Envelope.MaxDatagramSize);
        var body = WireSamples.Body(datagram, MessageType.Routed);
        Assert.True(Routed.TryRead(body, out var header));
        Assert.Equal(RoutedPayloadType.LinkIntent, header.PayloadType);
        Assert.True(LinkIntent.TryRead(body.AsSpan(header.PayloadOffset, header.PayloadLength), out var decoded));
        AssertEndpoints(intent.Candidates, decoded!.Candidates);
        Assert.Equal(intent.Relays, decoded.Relays);
        Assert.Equal(LinkIntentFlags.Reply, decoded.Flags);
    }

    [Fact]
    public void The_largest_intent_fits_a_datagram_even_inside_a_tunnel()
    {
        // Eight IPv6 candidates and eight relays: what a reply can carry at most.
        IPEndPoint[] v6 = [.. Enumerable.Range(1, EndpointList.MaxCount).Select(i => new IPEndPoint(IPAddress.Parse($"2001:db8::{i}"), 40000 + i))];
        var intent = new LinkIntent(WireSamples.Key, LinkRoles.Near, LinkIntentFlags.Reply, 1, v6, WireSamples.EightRelays);
        Assert.Equal(32 + 1 + 1 + 8 + 1 + 8 * 19 + 1 + 8 * 20, intent.Size);
        var payload = WireSamples.Encode(intent);
        var inner = WireSamples.Encode(WireSamples.Header(RoutedPayloadType.LinkIntent, payload.Length, RoutingMode.Exact, hops: 0), payload);
        Assert.True(inner.Length <= Tunnel.MaxInner);
        var tunnel = WireSamples.EncodeTunnel(Final, inner);
        Assert.True(Routed.SizeWith(tunnel.Length) <= Envelope.MaxDatagramSize);
    }

    // ---------- Tunnel round trips ----------

    [Fact]
    public void Tunnel_round_trips_every_inner_datagram_byte_for_byte()
    {
        var random = new Random(71);
        foreach (var (name, inner) in WireSamples.TunnelInners())
        {
            foreach (var final in new[] { RingAddress.Zero, Final, WireSamples.AddressB, RingAddress.Random(random) })
            {
                var payload = WireSamples.EncodeTunnel(final, inner);
                Assert.Equal(Tunnel.HeaderSize + inner.Length, payload.Length);
                Assert.True(Tunnel.TryRead(payload, out var decodedFinal, out var decodedInner), name);
                Assert.Equal(final, decodedFinal);
                Assert.Equal(inner, decodedInner.ToArray());
                // The inner datagram is a slice of the payload, not a copy.
                Assert.True(decodedInner.Overlaps(payload.AsSpan(Tunnel.HeaderSize), out int offset));
                Assert.Equal(0, offset);
                // What the final node does with it: an ordinary datagram, dispatched on its own header.
                Assert.True(WireMalformedTests.Decodes(decodedInner), name);
            }
        }
    }

    [Fact]
    public void Tunnel_round_trips_inside_a_routed_message()
    {
        foreach (var (name, inner) in WireSamples.TunnelInners())
        {
            var payload = WireSamples.EncodeTunnel(Final, inner);
            // Sender to relay: Exact mode, destination = the relay; the relay rewrites the destination to the final node.
            var toRelay = new Routed(WireSamples.AddressA, WireSamples.AddressB, RoutingMode.Exact, RoutedFlags.None, 0, 64, RoutedPayloadType.Tunnel, 0, payload.Length);
            var datagram = WireSamples.Encode(toRelay, payload);
            Assert.True(datagram.Length <= Envelope.MaxDatagramSize, name);
            var body = WireSamples.Body(datagram, MessageType.Routed);
            Assert.True(Routed.TryRead(body, out var header), name);
            Assert.Equal(RoutedPayloadType.Tunnel, header.PayloadType);
            var slice = datagram.AsSpan(Envelope.HeaderSize + header.PayloadOffset, header.PayloadLength);
            Assert.True(Tunnel.TryRead(slice, out var final, out var decodedInner));
            Assert.Equal(Final, final);
            Assert.Equal(inner, decodedInner.ToArray());

            var onward = header with { Destination = final, Hops = (byte)(header.Hops + 1) };
            var handedOn = WireSamples.Encode(onward, slice.ToArray());
            Assert.Equal(datagram.Length, handedOn.Length);
            Assert.Equal("0123456789ABCDEFFEDCBA9876543210DEADBEEF" + "1111111111111111222222222222222233333333",
                Convert.ToHexString(handedOn, Envelope.HeaderSize, 2 * RingAddress.Size));
            Assert.Equal(1, handedOn[Routed.HopsOffsetInDatagram]);
            Assert.Equal(datagram.AsSpan(Envelope.HeaderSize + 2 * RingAddress.Size + 3).ToArray(),
                handedOn.AsSpan(Envelope.HeaderSize + 2 * RingAddress.Size + 3).ToArray());
        }
    }

    [Fact]
    public void Tunnel_carries_at_most_1403_bytes_so_a_full_tunnel_is_one_datagram()
    {
        var largest = WireSamples.RoutedDataOfSize(Tunnel.MaxInner);
        var payload = WireSamples.EncodeTunnel(Final, largest);
        Assert.Equal(Routed.MaxPayload, payload.Length);
        var datagram = WireSamples.Encode(WireSamples.Header(RoutedPayloadType.Tunnel, payload.Length, RoutingMode.Exact), payload);
        Assert.Equal(Envelope.MaxDatagramSize, datagram.Length);
        Assert.Equal(DropReason.None, Envelope.Classify(datagram, out _));

        // One byte more cannot be tunnelled, whatever the buffer (the node counts this as TooBig).
        var tooBig = WireSamples.RoutedDataOfSize(Tunnel.MaxInner + 1);
        var big = new byte[4096];
        Assert.False(Tunnel.TryWrite(big, Final, tooBig, out int written));
        Assert.Equal(0, written);
        Assert.False(Tunnel.TryWrite(big, Final, new byte[Envelope.MaxDatagramSize], out written));
        Assert.Equal(0, written);
    }

    // ---------- golden bytes ----------

    [Fact]
    public void Golden_bytes_match_the_documented_layout()
    {
        var key = Enumerable.Repeat((byte)0x5A, 32).ToArray();
        string keyHex = string.Concat(Enumerable.Repeat("5A", 32));
        const string a = "0123456789ABCDEFFEDCBA9876543210DEADBEEF";
        const string b = "FFFFFFFFFFFFFFFF000000000000000000000001";
        const string final = "1111111111111111222222222222222233333333";

        // LinkIntent: key 32, roles 1, flags 1, token 8, candidate list, relay count 1, relays 20 each.
        var intent = WireSamples.Encode(new LinkIntent(key, LinkRoles.Near | LinkRoles.FarIn, LinkIntentFlags.Reply, 0x0102030405060708,
            [WireSamples.V4], [WireSamples.AddressA, WireSamples.AddressB]));
        Assert.Equal(keyHex + "0A" + "01" + "0102030405060708" + "01" + "04C000020A1194" + "02" + a + b, Convert.ToHexString(intent));
        Assert.Equal(91, intent.Length);

        var empty = WireSamples.Encode(new LinkIntent(key, LinkRoles.None, LinkIntentFlags.None, 0, [], []));
        Assert.Equal(keyHex + "00" + "00" + "0000000000000000" + "00" + "00", Convert.ToHexString(empty));
        Assert.Equal(44, empty.Length);

        // Tunnel: final address 20, then the inner datagram (here A's sealed data for the final node: receiver index
        // 0x01020304, counter 5, a 16-byte ciphertext and tag), carried in a Routed message to the relay.
        var sealedInner = WireSamples.EncodeSealed(0x01020304, 5, Enumerable.Repeat((byte)0xAA, 16).ToArray());
        const string sealedHex = "D10B" + "01020304" + "0000000000000005" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        var tunnel = WireSamples.EncodeTunnel(Final, sealedInner);
        Assert.Equal(final + sealedHex, Convert.ToHexString(tunnel));
        var routed = WireSamples.Encode(new Routed(WireSamples.AddressA, WireSamples.AddressB, RoutingMode.Exact, RoutedFlags.None, 0, 64, RoutedPayloadType.Tunnel, 0, tunnel.Length), tunnel);
        Assert.Equal("D108" + a + b + "01" + "00" + "00" + "40" + "04" + "0032" + final + sealedHex, Convert.ToHexString(routed));

        // Over the ring: the Routed destination is the final node itself and the ViaRing flag (0x02) is set.
        var viaRing = WireSamples.Encode(new Routed(WireSamples.AddressA, Final, RoutingMode.Exact, RoutedFlags.ViaRing, 0, 64, RoutedPayloadType.Tunnel, 0, tunnel.Length), tunnel);
        Assert.Equal("D108" + a + final + "01" + "02" + "00" + "40" + "04" + "0032" + final + sealedHex, Convert.ToHexString(viaRing));
        Assert.True(Routed.TryRead(viaRing.AsSpan(Envelope.HeaderSize), out var viaRingHeader));
        Assert.Equal(RoutedFlags.ViaRing, viaRingHeader.Flags);

        var routedIntent = WireSamples.Encode(new Routed(WireSamples.AddressA, WireSamples.AddressB, RoutingMode.Exact, RoutedFlags.None, 0, 64, RoutedPayloadType.LinkIntent, 0, empty.Length), empty);
        Assert.Equal("D108" + a + b + "01" + "00" + "00" + "40" + "05" + "002C" + Convert.ToHexString(empty), Convert.ToHexString(routedIntent));
    }

    // ---------- LinkIntent: malformed ----------

    [Fact]
    public void LinkIntent_every_truncation_and_every_extension_is_rejected()
    {
        foreach (var candidates in WireSamples.EndpointSets)
        {
            foreach (var relays in WireSamples.RelaySets)
            {
                var payload = WireSamples.Encode(WireSamples.SampleLinkIntent(candidates, relays));
                for (int length = 0; length < payload.Length; length++)
                {
                    Assert.False(LinkIntent.TryRead(payload.AsSpan(0, length), out var m), $"{candidates.Length}/{relays.Length} truncated to {length}");
                    Assert.Null(m);
                }
                foreach (int extra in new[] { 1, 7, 19, 20, 21 })
                {
                    Assert.False(LinkIntent.TryRead(payload.Concat(new byte[extra]).ToArray(), out var m), $"{candidates.Length}/{relays.Length} + {extra}");
                    Assert.Null(m);
                }
            }
        }
    }

    [Fact]
    public void LinkIntent_rejects_unknown_roles_and_flags()
    {
        var payload = WireSamples.Encode(WireSamples.SampleLinkIntent([WireSamples.V4], [WireSamples.AddressA]));
        for (int value = 0; value <= 255; value++)
        {
            bool knownRoles = (value & ~(int)LinkRolesExtensions.Known) == 0;
            Assert.Equal(knownRoles, LinkIntent.TryRead(WireMalformedTests.With(payload, IntentRolesOffset, (byte)value), out var a));
            Assert.Equal(knownRoles, a is not null);
            Assert.Equal(value <= 1, LinkIntent.TryRead(WireMalformedTests.With(payload, IntentFlagsOffset, (byte)value), out var f));
            Assert.Equal(value <= 1, f is not null);
            if (f is not null) Assert.Equal((LinkIntentFlags)value, f.Flags);
        }
    }

    [Fact]
    public void LinkIntent_takes_any_token_and_no_candidates()
    {
        var payload = WireSamples.Encode(new LinkIntent(WireSamples.Key, LinkRoles.Near, LinkIntentFlags.None, 0, [], [WireSamples.AddressA]));
        Assert.True(LinkIntent.TryRead(payload, out var m));
        Assert.Empty(m!.Candidates);
        foreach (ulong token in WireSamples.Tokens)
        {
            var d = (byte[])payload.Clone();
            BinaryPrimitives.WriteUInt64BigEndian(d.AsSpan(IntentTokenOffset), token);
            Assert.True(LinkIntent.TryRead(d, out var t));
            Assert.Equal(token, t!.Token);
        }
    }

    [Fact]
    public void LinkIntent_relay_lists_longer_than_eight_are_rejected()
    {
        var full = WireSamples.SampleLinkIntent([WireSamples.V4, WireSamples.V6], WireSamples.EightRelays);
        var payload = WireSamples.Encode(full);
        int countAt = RelayCountOffset(full);
        Assert.Equal(8, payload[countAt]);
        Assert.Equal(payload.Length - 1 - 8 * RingAddress.Size, countAt);
        WireMalformedTests.AssertCountsRejected(payload, countAt, new byte[RingAddress.Size], d => LinkIntent.TryRead(d, out _));

        // Any count from 9 up is refused, even with exactly that many addresses after it.
        var head = payload[..countAt];
        foreach (int count in new[] { 9, 10, 16, 100, 255 })
        {
            var d = head.Append((byte)count).Concat(new byte[count * RingAddress.Size]).ToArray();
            Assert.False(LinkIntent.TryRead(d, out var m), $"{count} relays");
            Assert.Null(m);
        }
        // And every count up to 8 with matching addresses is taken.
        for (int count = 0; count <= LinkIntent.MaxRelays; count++)
        {
            var d = head.Append((byte)count).Concat(new byte[count * RingAddress.Size]).ToArray();
            Assert.True(LinkIntent.TryRead(d, out var m), $"{count} relays");
            Assert.Equal(count, m!.Relays.Length);
        }
    }

    [Fact]
    public void LinkIntent_relay_count_must_match_the_addresses_that_follow()
    {
        var full = WireSamples.SampleLinkIntent([WireSamples.V4], [WireSamples.AddressA, WireSamples.AddressB, Final]);
        var payload = WireSamples.Encode(full);
        int countAt = RelayCountOffset(full);
        Assert.Equal(3, payload[countAt]);
        for (int count = 0; count <= 255; count++)
        {
            Assert.Equal(count == 3, LinkIntent.TryRead(WireMalformedTests.With(payload, countAt, (byte)count), out _));
        }
        // Part of an address is not an address.
        for (int cut = 1; cut < RingAddress.Size; cut++)
        {
            Assert.False(LinkIntent.TryRead(payload.AsSpan(0, payload.Length - cut), out _));
        }
    }

    [Fact]
    public void LinkIntent_candidate_lists_longer_than_eight_are_rejected()
    {
        var full = WireSamples.SampleLinkIntent(WireSamples.EightEndpoints, [WireSamples.AddressA]);
        var payload = WireSamples.Encode(full);
        Assert.Equal(8, payload[IntentCandidatesOffset]);
        WireMalformedTests.AssertCountsRejected(payload, IntentCandidatesOffset, WireMalformedTests.EndpointBytes(WireSamples.V4), d => LinkIntent.TryRead(d, out _));
    }

    [Fact]
    public void LinkIntent_writer_refuses_what_the_reader_would_refuse()
    {
        var buffer = new byte[4096];
        var nineRelays = WireSamples.SampleLinkIntent([WireSamples.V4], [.. WireSamples.EightRelays, WireSamples.AddressA]);
        Assert.False(nineRelays.TryWrite(buffer, out int written));
        Assert.Equal(0, written);
        var nineCandidates = WireSamples.SampleLinkIntent([.. WireSamples.EightEndpoints, WireSamples.V4], [WireSamples.AddressA]);
        Assert.Throws<ArgumentException>(() => nineCandidates.TryWrite(buffer, out _));
        Assert.False(new LinkIntent(new byte[31], LinkRoles.Near, LinkIntentFlags.None, 1, [WireSamples.V4], []).TryWrite(buffer, out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void LinkIntent_candidates_with_bad_family_or_port_are_rejected()
    {
        var payload = WireSamples.Encode(WireSamples.SampleLinkIntent([WireSamples.V6], []));
        int family = IntentCandidatesOffset + 1;
        Assert.Equal(6, payload[family]);
        foreach (byte bad in new byte[] { 0, 1, 2, 3, 5, 7, 0x40, 0xFF })
        {
            Assert.False(LinkIntent.TryRead(WireMalformedTests.With(payload, family, bad), out _), $"family {bad}");
        }
        // IPv6 relabelled IPv4 leaves bytes over.
        Assert.False(LinkIntent.TryRead(WireMalformedTests.With(payload, family, 4), out _));
        var zeroPort = (byte[])payload.Clone();
        zeroPort[family + 17] = 0;
        zeroPort[family + 18] = 0;
        Assert.False(LinkIntent.TryRead(zeroPort, out _));
    }

    // ---------- Tunnel: malformed ----------

    [Fact]
    public void Tunnel_payloads_shorter_than_the_final_address_and_an_envelope_are_rejected()
    {
        var payload = WireSamples.EncodeTunnel(Final, WireSamples.Encode(new AddressedMessage(MessageType.Ping, WireSamples.AddressA, 1)));
        for (int length = 0; length < Tunnel.HeaderSize + Envelope.HeaderSize; length++)
        {
            Assert.False(Tunnel.TryRead(payload.AsSpan(0, length), out var final, out var inner), $"{length} bytes");
            Assert.Equal(default, final);
            Assert.True(inner.IsEmpty);
        }
        // 20 + 2 is the shortest a tunnel can be: the codec takes it, and the inner datagram is left to the dispatcher.
        Assert.True(Tunnel.TryRead(payload.AsSpan(0, Tunnel.HeaderSize + Envelope.HeaderSize), out var f, out var i));
        Assert.Equal(Final, f);
        Assert.Equal("D103", Convert.ToHexString(i));
        Assert.False(WireMalformedTests.Decodes(i));
    }

    [Fact]
    public void Tunnel_codec_does_not_judge_the_inner_datagram_but_the_dispatcher_does()
    {
        var stun = Convert.FromHexString("000100002112A442" + "0102030405060708090A0B0C");
        var noise = new byte[] { 0xD1, 0x42, 1, 2, 3 };
        var wrongVersion = new byte[] { 0xD2, 0x03, 0, 0 };
        foreach (var (inner, reason) in new[] { (stun, DropReason.BadMagic), (noise, DropReason.UnknownType), (wrongVersion, DropReason.WrongVersion) })
        {
            Assert.True(Tunnel.TryRead(WireSamples.EncodeTunnel(Final, inner), out _, out var decoded));
            Assert.Equal(reason, Envelope.Classify(decoded, out _));
        }
    }

    [Fact]
    public void A_routed_tunnel_with_a_short_payload_decodes_as_routed_but_not_as_a_tunnel()
    {
        // The routed header is checked by every hop; the tunnel header only where the tunnel ends (Malformed there).
        foreach (int length in new[] { 0, 1, Tunnel.HeaderSize, Tunnel.HeaderSize + 1 })
        {
            var payload = new byte[length];
            var datagram = WireSamples.Encode(WireSamples.Header(RoutedPayloadType.Tunnel, length, RoutingMode.Exact), payload);
            Assert.True(Routed.TryRead(datagram.AsSpan(Envelope.HeaderSize), out var header));
            Assert.Equal(RoutedPayloadType.Tunnel, header.PayloadType);
            Assert.False(Tunnel.TryRead(datagram.AsSpan(Envelope.HeaderSize + header.PayloadOffset, header.PayloadLength), out _, out _));
        }
    }

    [Fact]
    public void Truncating_or_extending_a_tunnel_breaks_the_inner_datagram_or_changes_its_noise_or_ciphertext()
    {
        foreach (var (name, inner) in WireSamples.TunnelInners())
        {
            var payload = WireSamples.EncodeTunnel(Final, inner);
            Assert.True(WireMalformedTests.DecodesPayload(RoutedPayloadType.Tunnel, payload), name);
            // A routed inner datagram has a length field and breaks; a handshake message or sealed data ends in a field that
            // runs to the end, which then only gets shorter or longer: its Noise handshake or AEAD rejects it.
            bool opaque = WireSamples.TryOpaqueTail(inner, out _, out _, out _);
            Assert.Equal(inner[1] != (byte)MessageType.Routed, opaque);
            for (int length = 0; length < payload.Length; length++)
            {
                Assert.Equal(WireMalformedTests.StillDecodes(inner, length - Tunnel.HeaderSize),
                    WireMalformedTests.DecodesPayload(RoutedPayloadType.Tunnel, payload.AsSpan(0, length)));
            }
            foreach (int extra in new[] { 1, 2, 20 })
            {
                var longer = payload.Concat(new byte[extra]).ToArray();
                Assert.Equal(opaque && WireMalformedTests.StillDecodes(inner, inner.Length + extra),
                    WireMalformedTests.DecodesPayload(RoutedPayloadType.Tunnel, longer));
            }
        }
    }

    [Fact]
    public void Tunnel_writer_refuses_short_buffers_and_oversize_inner_datagrams()
    {
        var inner = WireSamples.Encode(new AddressedMessage(MessageType.Pong, WireSamples.AddressB, 9));
        for (int size = 0; size < Tunnel.HeaderSize + inner.Length; size++)
        {
            Assert.False(Tunnel.TryWrite(new byte[size], Final, inner, out int written), $"{size}-byte buffer");
            Assert.Equal(0, written);
        }
        Assert.True(Tunnel.TryWrite(new byte[Tunnel.HeaderSize + inner.Length], Final, inner, out int n));
        Assert.Equal(Tunnel.HeaderSize + inner.Length, n);
    }
}

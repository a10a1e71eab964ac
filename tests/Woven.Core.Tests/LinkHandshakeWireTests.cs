using System.Buffers.Binary;
using System.Security.Cryptography;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Crypto.Noise;
using Woven.Overlay;
using Woven.Wire;

namespace Woven.Core.Tests;

/// <summary>
/// The link handshake and sealed transport on the wire: <see cref="LinkHello"/> (message 1), <see cref="LinkHandshake"/>
/// (messages 2 and 3: LinkAccept and LinkConfirm), <see cref="CookieReply"/>, <see cref="Sealed"/> and the
/// <see cref="LinkPayload"/> that messages 2 and 3 carry encrypted. Round trips, golden bytes (the layouts in
/// docs/protocol.md), malformed input, and a real Noise XX handshake carried in these messages. Truncations, trailing
/// bytes and the seeded mutation test over these messages are in <see cref="WireMalformedTests"/>.
/// </summary>
public class LinkHandshakeWireTests
{
    private static byte[] Body(byte[] datagram) => datagram[Envelope.HeaderSize..];

    private static string Hex(byte value, int count) => string.Concat(Enumerable.Repeat(value.ToString("X2"), count));

    private const string CookieHex = "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF";

    // ---------- constants ----------

    [Fact]
    public void Message_type_values_and_sizes_are_fixed()
    {
        var expected = new (MessageType Type, byte Value)[]
        {
            (MessageType.LinkRequest, 0x01), (MessageType.LinkAccept, 0x02), (MessageType.Ping, 0x03), (MessageType.Pong, 0x04),
            (MessageType.Neighbors, 0x05), (MessageType.Leave, 0x06), (MessageType.Close, 0x07), (MessageType.Routed, 0x08),
            (MessageType.LinkConfirm, 0x09), (MessageType.CookieReply, 0x0A), (MessageType.Sealed, 0x0B), (MessageType.Revocations, 0x0C),
        };
        Assert.Equal(expected.Length, Enum.GetValues<MessageType>().Length);
        foreach (var (type, value) in expected) Assert.Equal(value, (byte)type);

        Assert.Equal(32, LinkPayload.KeySize);
        Assert.Equal(1024, LinkPayload.MaxCertificate);
        Assert.Equal(16, LinkHandshake.CookieSize);
        Assert.Equal(1400, LinkHandshake.MaxNoiseMessage);
        Assert.Equal(18, LinkHandshake.HeaderSize);
        Assert.Equal(15, WireSamples.LinkHelloCookieLengthOffset);
        Assert.Equal(30, CookieReply.Size);
        Assert.Equal(14, Sealed.HeaderSize);
        Assert.Equal(6, Sealed.AssociatedSize);
        Assert.Equal(16, Sealed.TagSize);
        Assert.Equal(1442, Sealed.MaxPlaintext);
        Assert.Equal(Envelope.MaxDatagramSize, Sealed.SizeWith(Sealed.MaxPlaintext));
        Assert.Equal(Sealed.TagSize, LinkSession.TagSize);
        Assert.Equal(Sealed.TagSize, TransportSession.TagSize);
        // The largest handshake datagram fits a datagram, and every real Noise message 2 or 3 fits the limit.
        Assert.True(LinkHandshake.SizeWith(LinkHandshake.MaxNoiseMessage) <= Envelope.MaxDatagramSize);
        Assert.True(NoiseHandshake.Message2Overhead + WireSamples.LargestPayload().Size <= LinkHandshake.MaxNoiseMessage);
    }

    // ---------- LinkHello ----------

    [Fact]
    public void LinkHello_round_trips_with_and_without_a_cookie()
    {
        uint[] indices = [0, 1, 0xDEADBEEF, uint.MaxValue];
        foreach (var token in WireSamples.Tokens)
        {
            foreach (var roles in Enumerable.Range(0, 32).Select(i => (LinkRoles)i))
            {
                foreach (uint index in indices)
                {
                    foreach (var cookie in new[] { Array.Empty<byte>(), WireSamples.Cookie })
                    {
                        foreach (int noiseLength in new[] { 1, 32 })
                        {
                            var noise = WireSamples.Pattern(noiseLength, (int)index);
                            var m = new LinkHello(token, roles, index, cookie, noise);
                            var datagram = WireSamples.Encode(m);
                            Assert.Equal(Envelope.HeaderSize + 8 + 1 + 4 + 1 + cookie.Length + noiseLength, datagram.Length);
                            var body = WireSamples.Body(datagram, MessageType.LinkRequest);
                            Assert.True(LinkHello.TryRead(body, out ulong t, out var r, out uint i, out var c, out var n));
                            Assert.Equal(token, t);
                            Assert.Equal(roles, r);
                            Assert.Equal(index, i);
                            Assert.Equal(cookie, c.ToArray());
                            Assert.Equal(noise, n.ToArray());
                        }
                    }
                }
            }
        }
        // The largest: a cookie and a Noise message of 1400 bytes.
        var largest = new LinkHello(ulong.MaxValue, LinkRolesExtensions.Known, uint.MaxValue, WireSamples.Cookie, WireSamples.Pattern(LinkHandshake.MaxNoiseMessage, 3));
        var bytes = WireSamples.Encode(largest);
        Assert.Equal(1432, bytes.Length);
        Assert.True(LinkHello.TryRead(Body(bytes), out _, out _, out _, out var lc, out var ln));
        Assert.Equal(WireSamples.Cookie, lc.ToArray());
        Assert.Equal(LinkHandshake.MaxNoiseMessage, ln.Length);
    }

    [Fact]
    public void LinkHello_golden_bytes_without_and_with_a_cookie()
    {
        var noise = Enumerable.Repeat((byte)0xEE, 32).ToArray();
        var plain = WireSamples.Encode(new LinkHello(0x0102030405060708, LinkRoles.Near | LinkRoles.FarOut, 0xA1B2C3D4, ReadOnlyMemory<byte>.Empty, noise));
        Assert.Equal("D101" + "0102030405060708" + "06" + "A1B2C3D4" + "00" + Hex(0xEE, 32), Convert.ToHexString(plain));
        Assert.Equal(48, plain.Length);

        var withCookie = WireSamples.Encode(new LinkHello(0x0102030405060708, LinkRoles.Leaf, 0xA1B2C3D4, WireSamples.Cookie, noise));
        Assert.Equal("D101" + "0102030405060708" + "01" + "A1B2C3D4" + "10" + CookieHex + Hex(0xEE, 32), Convert.ToHexString(withCookie));
        Assert.Equal(64, withCookie.Length);
    }

    [Fact]
    public void LinkHello_cookie_length_must_be_0_or_16_and_decides_where_the_noise_starts()
    {
        var plain = WireSamples.Encode(WireSamples.SampleHello());
        var withCookie = WireSamples.Encode(WireSamples.SampleHello(WireSamples.Cookie));
        int at = WireSamples.LinkHelloCookieLengthOffset;
        for (int value = 0; value <= 255; value++)
        {
            if (value is 0 or LinkHandshake.CookieSize) continue;
            Assert.False(LinkHello.TryRead(Body(WireMalformedTests.With(plain, at, (byte)value)), out _, out _, out _, out var c1, out var n1), $"length {value}");
            Assert.False(LinkHello.TryRead(Body(WireMalformedTests.With(withCookie, at, (byte)value)), out _, out _, out _, out var c2, out var n2), $"length {value}");
            Assert.True(c1.IsEmpty && n1.IsEmpty && c2.IsEmpty && n2.IsEmpty);
        }
        // The length byte alone tells the cookie from the Noise message: 16 over a plain hello takes its first 16 bytes as
        // a cookie, 0 over a hello with a cookie takes the cookie as the start of the Noise message. (Neither then passes:
        // the cookie check or the handshake fails.)
        Assert.True(LinkHello.TryRead(Body(WireMalformedTests.With(plain, at, 16)), out _, out _, out _, out var cookie, out var noise));
        Assert.Equal(WireSamples.Pattern(32, 1)[..16], cookie.ToArray());
        Assert.Equal(16, noise.Length);
        Assert.True(LinkHello.TryRead(Body(WireMalformedTests.With(withCookie, at, 0)), out _, out _, out _, out cookie, out noise));
        Assert.True(cookie.IsEmpty);
        Assert.Equal(48, noise.Length);
        // A cookie length with fewer bytes than it announces.
        Assert.False(LinkHello.TryRead(Body(WireMalformedTests.With(plain, at, 16)).AsSpan(0, 8 + 1 + 4 + 1 + 10), out _, out _, out _, out _, out _));
    }

    [Fact]
    public void LinkHello_noise_must_be_1_to_1400_bytes()
    {
        foreach (var cookie in new[] { Array.Empty<byte>(), WireSamples.Cookie })
        {
            var header = Body(WireSamples.Encode(new LinkHello(7, LinkRoles.Near, 9, cookie, new byte[] { 1 })))[..^1];
            Assert.False(LinkHello.TryRead(header, out _, out _, out _, out _, out _));
            foreach (int length in new[] { 1, 2, 32, 1399, 1400 })
            {
                Assert.True(LinkHello.TryRead([.. header, .. new byte[length]], out _, out _, out _, out _, out var noise));
                Assert.Equal(length, noise.Length);
            }
            foreach (int length in new[] { 1401, 1402, 1500 })
            {
                Assert.False(LinkHello.TryRead([.. header, .. new byte[length]], out _, out _, out _, out var c, out var noise));
                Assert.True(c.IsEmpty && noise.IsEmpty);
            }
        }
    }

    [Fact]
    public void LinkHello_writer_refuses_what_the_reader_would_refuse()
    {
        var buffer = new byte[4096];
        foreach (int cookieLength in new[] { 1, 8, 15, 17, 32 })
        {
            Assert.False(new LinkHello(1, LinkRoles.Near, 1, new byte[cookieLength], new byte[32]).TryWrite(buffer, out int written), $"cookie {cookieLength}");
            Assert.Equal(0, written);
        }
        Assert.False(new LinkHello(1, LinkRoles.Near, 1, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty).TryWrite(buffer, out int w0));
        Assert.Equal(0, w0);
        Assert.False(new LinkHello(1, LinkRoles.Near, 1, WireSamples.Cookie, new byte[LinkHandshake.MaxNoiseMessage + 1]).TryWrite(buffer, out int w1));
        Assert.Equal(0, w1);
    }

    // ---------- LinkAccept and LinkConfirm ----------

    [Fact]
    public void LinkHandshake_round_trips_for_accept_and_confirm()
    {
        uint[] indices = [0, 1, 0xDEADBEEF, uint.MaxValue];
        foreach (var type in new[] { MessageType.LinkAccept, MessageType.LinkConfirm })
        {
            foreach (var token in WireSamples.Tokens)
            {
                foreach (uint sender in indices)
                {
                    foreach (uint receiver in indices)
                    {
                        foreach (int noiseLength in new[] { 1, 64, 96 })
                        {
                            var noise = WireSamples.Pattern(noiseLength, (int)(sender ^ receiver));
                            var datagram = WireSamples.EncodeHandshake(type, token, sender, receiver, noise);
                            Assert.Equal(LinkHandshake.SizeWith(noiseLength), datagram.Length);
                            var body = WireSamples.Body(datagram, type);
                            Assert.True(LinkHandshake.TryRead(body, out ulong t, out uint s, out uint r, out var n));
                            Assert.Equal(token, t);
                            Assert.Equal(sender, s);
                            Assert.Equal(receiver, r);
                            Assert.Equal(noise, n.ToArray());
                        }
                    }
                }
            }
            var largest = WireSamples.EncodeHandshake(type, 1, 2, 3, WireSamples.Pattern(LinkHandshake.MaxNoiseMessage, 4));
            Assert.Equal(1418, largest.Length);
            Assert.True(LinkHandshake.TryRead(Body(largest), out _, out _, out _, out var ln));
            Assert.Equal(LinkHandshake.MaxNoiseMessage, ln.Length);
        }
    }

    [Fact]
    public void LinkHandshake_golden_bytes()
    {
        var noise = Enumerable.Repeat((byte)0xEE, 96).ToArray();
        var accept = WireSamples.EncodeHandshake(MessageType.LinkAccept, 0x0102030405060708, 0x0A0B0C0D, 0xA1B2C3D4, noise);
        Assert.Equal("D102" + "0102030405060708" + "0A0B0C0D" + "A1B2C3D4" + Hex(0xEE, 96), Convert.ToHexString(accept));
        var confirm = WireSamples.EncodeHandshake(MessageType.LinkConfirm, 0x0102030405060708, 0xA1B2C3D4, 0x0A0B0C0D, noise[..64]);
        Assert.Equal("D109" + "0102030405060708" + "A1B2C3D4" + "0A0B0C0D" + Hex(0xEE, 64), Convert.ToHexString(confirm));
    }

    [Fact]
    public void LinkHandshake_writer_refuses_other_types_and_noise_out_of_range()
    {
        var buffer = new byte[4096];
        foreach (var type in Enum.GetValues<MessageType>())
        {
            bool ok = type is MessageType.LinkAccept or MessageType.LinkConfirm;
            Assert.Equal(ok, LinkHandshake.TryWrite(buffer, type, 1, 2, 3, new byte[32], out int written));
            Assert.Equal(ok ? LinkHandshake.SizeWith(32) : 0, written);
        }
        Assert.False(LinkHandshake.TryWrite(buffer, MessageType.LinkAccept, 1, 2, 3, [], out int w0));
        Assert.Equal(0, w0);
        Assert.False(LinkHandshake.TryWrite(buffer, MessageType.LinkConfirm, 1, 2, 3, new byte[LinkHandshake.MaxNoiseMessage + 1], out int w1));
        Assert.Equal(0, w1);
    }

    [Fact]
    public void LinkHandshake_noise_must_be_1_to_1400_bytes()
    {
        var header = Body(WireSamples.EncodeHandshake(MessageType.LinkAccept, 7, 8, 9, [1]))[..^1];
        Assert.Equal(16, header.Length);
        Assert.False(LinkHandshake.TryRead(header, out _, out _, out _, out _));
        for (int cut = 0; cut < header.Length; cut++) Assert.False(LinkHandshake.TryRead(header.AsSpan(0, cut), out _, out _, out _, out _));
        foreach (int length in new[] { 1, 1400 })
        {
            Assert.True(LinkHandshake.TryRead([.. header, .. new byte[length]], out _, out _, out _, out var noise));
            Assert.Equal(length, noise.Length);
        }
        Assert.False(LinkHandshake.TryRead([.. header, .. new byte[1401]], out _, out _, out _, out var none));
        Assert.True(none.IsEmpty);
    }

    // ---------- CookieReply ----------

    [Fact]
    public void CookieReply_round_trips_and_matches_its_golden_bytes()
    {
        foreach (var token in WireSamples.Tokens)
        {
            foreach (uint index in new uint[] { 0, 0xA1B2C3D4, uint.MaxValue })
            {
                var m = new CookieReply(token, index, WireSamples.Pattern(16, (int)index));
                var datagram = WireSamples.Encode(m);
                Assert.Equal(30, datagram.Length);
                Assert.True(CookieReply.TryRead(WireSamples.Body(datagram, MessageType.CookieReply), out var decoded));
                Assert.Equal(token, decoded.Token);
                Assert.Equal(index, decoded.ReceiverIndex);
                Assert.Equal(m.Cookie, decoded.Cookie);
            }
        }
        var golden = WireSamples.Encode(new CookieReply(0x0102030405060708, 0xA1B2C3D4, WireSamples.Cookie));
        Assert.Equal("D10A" + "0102030405060708" + "A1B2C3D4" + CookieHex, Convert.ToHexString(golden));
    }

    [Fact]
    public void CookieReply_is_exactly_28_bytes_of_body()
    {
        var body = Body(WireSamples.Encode(new CookieReply(1, 2, WireSamples.Cookie)));
        Assert.Equal(28, body.Length);
        for (int length = 0; length < body.Length; length++) Assert.False(CookieReply.TryRead(body.AsSpan(0, length), out _));
        foreach (int extra in new[] { 1, 16, 100 }) Assert.False(CookieReply.TryRead([.. body, .. new byte[extra]], out _));
    }

    [Fact]
    public void CookieReply_writer_refuses_a_cookie_that_is_not_16_bytes()
    {
        foreach (int length in new[] { 0, 1, 15, 17, 32 })
        {
            Assert.False(new CookieReply(1, 2, new byte[length]).TryWrite(new byte[100], out int written), $"{length}");
            Assert.Equal(0, written);
        }
    }

    // ---------- Sealed ----------

    [Fact]
    public void Sealed_header_golden_bytes_and_round_trip()
    {
        var header = new byte[Sealed.HeaderSize];
        Sealed.WriteHeader(header, 0xA1B2C3D4, 0x0102030405060708);
        Assert.Equal("D10B" + "A1B2C3D4" + "0102030405060708", Convert.ToHexString(header));

        foreach (uint index in new uint[] { 0, 1, 0xA1B2C3D4, uint.MaxValue })
        {
            foreach (ulong counter in WireSamples.Tokens)
            {
                foreach (int length in new[] { Sealed.TagSize, Sealed.TagSize + 30, Sealed.MaxPlaintext + Sealed.TagSize })
                {
                    var ciphertext = WireSamples.Pattern(length, (int)counter);
                    var datagram = WireSamples.EncodeSealed(index, counter, ciphertext);
                    Assert.Equal(Sealed.HeaderSize + length, datagram.Length);
                    Assert.True(Sealed.TryRead(WireSamples.Body(datagram, MessageType.Sealed), out uint i, out ulong c, out var ct));
                    Assert.Equal(index, i);
                    Assert.Equal(counter, c);
                    Assert.Equal(ciphertext, ct.ToArray());
                }
            }
        }
    }

    [Fact]
    public void Sealed_needs_at_least_a_tag_after_its_header()
    {
        var body = Body(WireSamples.EncodeSealed(1, 2, new byte[Sealed.TagSize]));
        for (int length = 0; length < body.Length; length++)
        {
            Assert.False(Sealed.TryRead(body.AsSpan(0, length), out _, out _, out var ct), $"{length}");
            Assert.True(ct.IsEmpty);
        }
        Assert.True(Sealed.TryRead(body, out _, out _, out var tagOnly));
        Assert.Equal(Sealed.TagSize, tagOnly.Length);
    }

    // ---------- LinkPayload ----------

    [Fact]
    public void LinkPayload_golden_bytes_without_and_with_an_observed_endpoint()
    {
        var key = Enumerable.Repeat((byte)0x5A, 32).ToArray();
        string keyHex = Hex(0x5A, 32);
        var without = WireSamples.Encode(new LinkPayload(key, LinkRoles.Near, null, [WireSamples.V4], [0xAA, 0xBB, 0xCC], 7));
        Assert.Equal(keyHex + "02" + "00" + "01" + "04C000020A1194" + "0003" + "AABBCC" + "0000000000000007", Convert.ToHexString(without));
        Assert.Equal(32 + 1 + 1 + 8 + 2 + 3 + 8, without.Length);

        var with = WireSamples.Encode(new LinkPayload(key, LinkRoles.Near | LinkRoles.FarOut, WireSamples.V6, [], [], ulong.MaxValue));
        Assert.Equal(keyHex + "06" + "01" + "06" + "20010DB8000000000000000000010002" + "CA6C" + "00" + "0000" + "FFFFFFFFFFFFFFFF", Convert.ToHexString(with));
        Assert.Equal(32 + 1 + 1 + 19 + 1 + 2 + 8, with.Length);

        var tcp = WireSamples.Encode(new LinkPayload(key, LinkRoles.None, WireSamples.Tcp4, [], [], 0));
        Assert.Equal(keyHex + "00" + "01" + "84C000020A1194" + "00" + "0000" + "0000000000000000", Convert.ToHexString(tcp));
    }

    [Fact]
    public void LinkPayload_observed_flag_must_be_0_or_1()
    {
        var without = WireSamples.Encode(WireSamples.SamplePayload(null));
        var with = WireSamples.Encode(WireSamples.SamplePayload(WireSamples.V4));
        const int at = LinkPayload.KeySize + 1;
        for (int value = 2; value <= 255; value++)
        {
            Assert.False(LinkPayload.TryRead(WireMalformedTests.With(without, at, (byte)value), out var a));
            Assert.False(LinkPayload.TryRead(WireMalformedTests.With(with, at, (byte)value), out var b));
            Assert.Null(a);
            Assert.Null(b);
        }
        // Switching the flag makes the endpoint bytes misread as the rest: never a valid payload here.
        Assert.False(LinkPayload.TryRead(WireMalformedTests.With(without, at, 1), out _));
        Assert.False(LinkPayload.TryRead(WireMalformedTests.With(with, at, 0), out _));
    }

    [Fact]
    public void LinkPayload_certificate_is_at_most_1024_bytes_and_its_length_must_match()
    {
        var random = new Random(91);
        foreach (int length in new[] { 0, 1, 1023, 1024 })
        {
            var certificate = new byte[length];
            random.NextBytes(certificate);
            var bytes = WireSamples.Encode(WireSamples.SamplePayload(WireSamples.V4, [WireSamples.V6], certificate));
            Assert.True(LinkPayload.TryRead(bytes, out var m));
            Assert.Equal(certificate, m!.Certificate);
            int lengthAt = bytes.Length - 8 - length - 2;
            Assert.Equal(length, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(lengthAt)));
            foreach (int wrong in new[] { length - 1, length + 1, length + 8, 0xFFFF })
            {
                if (wrong < 0 || wrong == length) continue;
                var d = (byte[])bytes.Clone();
                BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(lengthAt), (ushort)wrong);
                Assert.False(LinkPayload.TryRead(d, out var bad), $"{wrong} for {length}");
                Assert.Null(bad);
            }
        }
        // 1025 bytes are refused even when all of them follow.
        var head = WireSamples.Encode(WireSamples.SamplePayload(null, [], []))[..^(2 + 8)];
        byte[] over = [.. head, 0x04, 0x01, .. new byte[1025], .. new byte[8]];
        Assert.False(LinkPayload.TryRead(over, out _));
        byte[] max = [.. head, 0x04, 0x00, .. new byte[1024], .. new byte[8]];
        Assert.True(LinkPayload.TryRead(max, out _));
    }

    [Fact]
    public void LinkPayload_takes_any_revocation_sequence()
    {
        var bytes = WireSamples.Encode(WireSamples.SamplePayload(WireSamples.V4));
        foreach (ulong sequence in WireSamples.Tokens)
        {
            var d = (byte[])bytes.Clone();
            BinaryPrimitives.WriteUInt64BigEndian(d.AsSpan(d.Length - 8), sequence);
            Assert.True(LinkPayload.TryRead(d, out var m));
            Assert.Equal(sequence, m!.RevocationSequence);
        }
    }

    [Fact]
    public void LinkPayload_writer_refuses_a_bad_key_or_an_oversize_certificate()
    {
        var buffer = new byte[4096];
        foreach (int length in new[] { 0, 31, 33, 64 })
        {
            Assert.False(new LinkPayload(new byte[length], LinkRoles.Near, null, [], [], 1).TryWrite(buffer, out int written));
            Assert.Equal(0, written);
        }
        Assert.False(WireSamples.SamplePayload(certificate: new byte[LinkPayload.MaxCertificate + 1]).TryWrite(buffer, out int w));
        Assert.Equal(0, w);
        Assert.True(WireSamples.SamplePayload(certificate: new byte[LinkPayload.MaxCertificate]).TryWrite(buffer, out w));
    }

    [Fact]
    public void The_largest_payload_fits_message_2_and_message_2_fits_a_tunnel()
    {
        var largest = WireSamples.LargestPayload();
        Assert.Equal(32 + 1 + 1 + 19 + 1 + 8 * 19 + 2 + 1024 + 8, largest.Size);
        Assert.Equal(1240, largest.Size);
        var bytes = WireSamples.Encode(largest);
        int message2 = NoiseHandshake.Message2Overhead + bytes.Length;
        Assert.Equal(1336, message2);
        Assert.True(message2 <= LinkHandshake.MaxNoiseMessage);
        Assert.True(LinkHandshake.SizeWith(message2) <= Tunnel.MaxInner);
        Assert.True(LinkHandshake.SizeWith(NoiseHandshake.Message3Overhead + bytes.Length) <= Tunnel.MaxInner);
    }

    // ---------- a real handshake through the codecs ----------

    private static NodeIdentity Node(int seed) => NodeIdentity.FromPrivateKey(WireSamples.Pattern(32, seed));

    /// <summary>
    /// What both ends of a link do, step by step, with the real cipher suite: every message goes through its encoder and
    /// decoder, and each side checks what <c>OverlayNode.CheckPeer</c> checks (the Noise static key is the X25519 twin
    /// of the node key in the payload, so the ring address derived from that key is proven).
    /// </summary>
    [Fact]
    public void A_Noise_XX_handshake_travels_in_these_messages_and_proves_each_node_key()
    {
        var a = Node(21);
        var b = Node(22);
        var c = Node(23);
        using var aStatic = X25519KeyPair.FromPrivateKey(a.StaticDhPrivateKey());
        using var bStatic = X25519KeyPair.FromPrivateKey(b.StaticDhPrivateKey());
        using var initiator = new NoiseLinkCrypto(aStatic).Begin(initiator: true);
        using var responder = new NoiseLinkCrypto(bStatic).Begin(initiator: false);
        var noise = new byte[LinkHandshake.MaxNoiseMessage];
        var payloadBuffer = new byte[LinkHandshake.MaxNoiseMessage];
        const ulong token = 0x0102030405060708;
        const uint aIndex = 0x11111111, bIndex = 0x22222222;

        // Message 1: e, no payload.
        Assert.True(initiator.TryWrite([], noise, out int m1));
        Assert.Equal(NoiseHandshake.Message1Overhead, m1);
        var hello = WireSamples.Encode(new LinkHello(token, LinkRoles.Near, aIndex, ReadOnlyMemory<byte>.Empty, noise.AsMemory(0, m1)));
        Assert.Equal(2 + 8 + 1 + 4 + 1 + 32, hello.Length);
        Assert.True(LinkHello.TryRead(WireSamples.Body(hello, MessageType.LinkRequest), out ulong helloToken, out var roles, out uint initiatorIndex, out _, out var noise1));
        Assert.True(responder.TryRead(noise1, payloadBuffer, out int p1));
        Assert.Equal(0, p1);

        // Message 2: e, ee, s, es and the responder's payload, encrypted.
        var bPayload = new LinkPayload(b.PublicKey, roles.Mirror(), WireSamples.V4, [WireSamples.V6], WireSamples.Pattern(200, 1), 3);
        var bPayloadBytes = WireSamples.Encode(bPayload);
        Assert.True(responder.TryWrite(bPayloadBytes, noise, out int m2));
        Assert.Equal(NoiseHandshake.Message2Overhead + bPayloadBytes.Length, m2);
        Assert.Equal(-1, new ReadOnlySpan<byte>(noise, 0, m2).IndexOf(new ReadOnlySpan<byte>(b.PublicKey))); // the node key does not travel in the clear
        var accept = WireSamples.EncodeHandshake(MessageType.LinkAccept, helloToken, bIndex, initiatorIndex, noise[..m2]);
        Assert.True(LinkHandshake.TryRead(WireSamples.Body(accept, MessageType.LinkAccept), out ulong acceptToken, out uint responderIndex, out uint receiverIndex, out var noise2));
        Assert.Equal((token, bIndex, aIndex), (acceptToken, responderIndex, receiverIndex));
        Assert.True(initiator.TryRead(noise2, payloadBuffer, out int p2));
        Assert.True(LinkPayload.TryRead(payloadBuffer.AsSpan(0, p2), out var seenByA));
        Assert.Equal(bPayloadBytes, WireSamples.Encode(seenByA!));
        // The proof: the static key the handshake authenticated is the twin of the node key the payload names.
        Assert.Equal(NodeIdentity.StaticDhPublicKey(seenByA!.NodeKey), initiator.RemoteStatic.ToArray());
        Assert.Equal(b.Address, RingAddress.FromPublicKey(seenByA.NodeKey));
        // A payload naming another node's key would not match the key that was proven.
        Assert.NotEqual(NodeIdentity.StaticDhPublicKey(c.PublicKey), initiator.RemoteStatic.ToArray());

        // Message 3: s, se and the initiator's payload.
        var aPayload = new LinkPayload(a.PublicKey, LinkRoles.Near, WireSamples.V6, [WireSamples.V4, WireSamples.Tcp4], [], 0);
        var aPayloadBytes = WireSamples.Encode(aPayload);
        Assert.True(initiator.TryWrite(aPayloadBytes, noise, out int m3));
        Assert.Equal(NoiseHandshake.Message3Overhead + aPayloadBytes.Length, m3);
        Assert.True(initiator.IsComplete);
        var confirm = WireSamples.EncodeHandshake(MessageType.LinkConfirm, token, aIndex, bIndex, noise[..m3]);
        Assert.True(LinkHandshake.TryRead(WireSamples.Body(confirm, MessageType.LinkConfirm), out _, out uint confirmSender, out uint confirmReceiver, out var noise3));
        Assert.Equal((aIndex, bIndex), (confirmSender, confirmReceiver));
        // A Noise message that lost or gained a byte on the way (which the codec cannot see) does not authenticate, and
        // leaves the handshake as it was.
        Assert.False(responder.TryRead(noise3[..^1], payloadBuffer, out _));
        Assert.False(responder.TryRead([.. noise3, 0], payloadBuffer, out _));
        Assert.True(responder.TryRead(noise3, payloadBuffer, out int p3));
        Assert.True(responder.IsComplete);
        Assert.True(LinkPayload.TryRead(payloadBuffer.AsSpan(0, p3), out var seenByB));
        Assert.Equal(NodeIdentity.StaticDhPublicKey(seenByB!.NodeKey), responder.RemoteStatic.ToArray());
        Assert.Equal(a.Address, RingAddress.FromPublicKey(seenByB.NodeKey));

        // Sealed transport in both directions, each to the other's index.
        using var aSession = initiator.CreateSession(TimeProvider.System);
        using var bSession = responder.CreateSession(TimeProvider.System);
        var ping = WireSamples.Encode(new AddressedMessage(MessageType.Ping, a.Address, 42));
        var toB = Seal(aSession, bIndex, ping);
        Assert.Equal(Sealed.SizeWith(ping.Length), toB.Length);
        Assert.Equal(ping, Open(bSession, toB, bIndex));
        var pong = WireSamples.Encode(new AddressedMessage(MessageType.Pong, b.Address, 42));
        Assert.Equal(pong, Open(aSession, Seal(bSession, aIndex, pong), aIndex));
    }

    /// <summary>Seals a datagram the way <c>OverlayNode.SendSealed</c> does: header with counter 0, seal, then the counter.</summary>
    private static byte[] Seal(LinkSession session, uint receiverIndex, byte[] datagram)
    {
        var sealedBytes = new byte[Sealed.SizeWith(datagram.Length)];
        Sealed.WriteHeader(sealedBytes, receiverIndex, 0);
        Assert.True(session.TrySeal(datagram, sealedBytes.AsSpan(0, Sealed.AssociatedSize), sealedBytes.AsSpan(Sealed.HeaderSize), out ulong counter, out int written));
        Assert.Equal(datagram.Length + Sealed.TagSize, written);
        BinaryPrimitives.WriteUInt64BigEndian(sealedBytes.AsSpan(Sealed.AssociatedSize), counter);
        return sealedBytes;
    }

    /// <summary>Opens a sealed datagram the way <c>OverlayNode.OnSealed</c> does; null when it does not authenticate.</summary>
    private static byte[]? Open(LinkSession session, byte[] sealedBytes, uint expectedIndex)
    {
        if (!Sealed.TryRead(sealedBytes.AsSpan(Envelope.HeaderSize), out uint index, out ulong counter, out var ciphertext)) return null;
        Assert.Equal(expectedIndex, index);
        var plaintext = new byte[Envelope.MaxDatagramSize];
        return session.TryOpen(counter, ciphertext, sealedBytes.AsSpan(0, Sealed.AssociatedSize), plaintext, out int n) ? plaintext[..n] : null;
    }

    [Fact]
    public void Sealed_data_authenticates_envelope_index_counter_and_every_ciphertext_byte()
    {
        var key1 = WireSamples.Pattern(32, 31);
        var key2 = WireSamples.Pattern(32, 32);
        using var sender = new TransportSession(key1, key2, TimeProvider.System);
        using var receiver = new TransportSession(key2, key1, TimeProvider.System);
        var datagram = WireSamples.Encode(new AddressedMessage(MessageType.Ping, WireSamples.AddressA, 7));
        var first = SealWith(sender, 0xA1B2C3D4, datagram);
        var second = SealWith(sender, 0xA1B2C3D4, datagram);
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64BigEndian(second.AsSpan(Sealed.AssociatedSize)));

        // The layout: ChaCha20-Poly1305 with the nonce 4 zero bytes + the counter little-endian, the envelope and receiver
        // index as associated data, ciphertext then tag.
        using (var aead = new ChaCha20Poly1305(key1))
        {
            var nonce = new byte[12];
            BinaryPrimitives.WriteUInt64LittleEndian(nonce.AsSpan(4), 1);
            var plaintext = new byte[datagram.Length];
            aead.Decrypt(nonce, second.AsSpan(Sealed.HeaderSize, datagram.Length), second.AsSpan(second.Length - Sealed.TagSize), plaintext, second.AsSpan(0, Sealed.AssociatedSize));
            Assert.Equal(datagram, plaintext);
        }

        // Every single-byte change, and every cut or extension that the codec still takes, fails to open.
        for (int i = 0; i < first.Length; i++)
        {
            Assert.Null(OpenWith(receiver, WireMalformedTests.With(first, i, (byte)(first[i] ^ 0x01))));
        }
        for (int length = Sealed.HeaderSize + Sealed.TagSize; length < first.Length; length++) Assert.Null(OpenWith(receiver, first[..length]));
        Assert.Null(OpenWith(receiver, [.. first, 0]));
        // A different receiver index is associated data: the same bytes under another index do not open.
        var otherIndex = (byte[])first.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(otherIndex.AsSpan(Envelope.HeaderSize), 0xA1B2C3D5);
        Assert.Null(OpenWith(receiver, otherIndex));

        // The genuine datagrams open once each, in any order; a replay does not.
        Assert.Equal(datagram, OpenWith(receiver, second));
        Assert.Equal(datagram, OpenWith(receiver, first));
        Assert.Null(OpenWith(receiver, first));
        Assert.Null(OpenWith(receiver, second));
    }

    private static byte[] SealWith(TransportSession session, uint receiverIndex, byte[] datagram)
    {
        var sealedBytes = new byte[Sealed.SizeWith(datagram.Length)];
        Sealed.WriteHeader(sealedBytes, receiverIndex, 0);
        Assert.True(session.TrySeal(datagram, sealedBytes.AsSpan(0, Sealed.AssociatedSize), sealedBytes.AsSpan(Sealed.HeaderSize), out ulong counter, out _));
        BinaryPrimitives.WriteUInt64BigEndian(sealedBytes.AsSpan(Sealed.AssociatedSize), counter);
        return sealedBytes;
    }

    private static byte[]? OpenWith(TransportSession session, byte[] sealedBytes)
    {
        if (Envelope.Classify(sealedBytes, out var type) != DropReason.None || type != MessageType.Sealed) return null;
        if (!Sealed.TryRead(sealedBytes.AsSpan(Envelope.HeaderSize), out _, out ulong counter, out var ciphertext)) return null;
        var plaintext = new byte[Envelope.MaxDatagramSize];
        return session.TryOpen(counter, ciphertext, sealedBytes.AsSpan(0, Sealed.AssociatedSize), plaintext, out int n) ? plaintext[..n] : null;
    }

    [Fact]
    public void The_simulators_clear_suite_sends_the_same_messages_without_the_cryptography()
    {
        var a = Node(24);
        var b = Node(25);
        var aStatic = NodeIdentity.StaticDhPublicKey(a.PublicKey)!;
        var bStatic = NodeIdentity.StaticDhPublicKey(b.PublicKey)!;
        using var initiator = new ClearLinkCrypto(aStatic).Begin(initiator: true);
        using var responder = new ClearLinkCrypto(bStatic).Begin(initiator: false);
        var noise = new byte[LinkHandshake.MaxNoiseMessage];
        var payload = new byte[LinkHandshake.MaxNoiseMessage];

        Assert.True(initiator.TryWrite([], noise, out int m1));
        Assert.Equal(32, m1);
        Assert.All(noise[..m1], x => Assert.Equal(0, x)); // stands in for the ephemeral key
        var hello = WireSamples.Encode(new LinkHello(1, LinkRoles.Near, 5, ReadOnlyMemory<byte>.Empty, noise.AsMemory(0, m1)));
        Assert.True(LinkHello.TryRead(Body(hello), out _, out _, out _, out _, out var n1));
        Assert.True(responder.TryRead(n1, payload, out _));

        var bPayload = WireSamples.Encode(new LinkPayload(b.PublicKey, LinkRoles.Near, WireSamples.V4, [], [], 0));
        Assert.True(responder.TryWrite(bPayload, noise, out int m2));
        Assert.Equal(bStatic.Concat(bPayload).ToArray(), noise[..m2]); // static key and payload in the clear
        var accept = WireSamples.EncodeHandshake(MessageType.LinkAccept, 1, 6, 5, noise[..m2]);
        Assert.True(LinkHandshake.TryRead(Body(accept), out _, out _, out _, out var n2));
        Assert.True(initiator.TryRead(n2, payload, out int p2));
        Assert.True(LinkPayload.TryRead(payload.AsSpan(0, p2), out var seen));
        // The same check as with Noise, though here nothing proves that the sender holds the key.
        Assert.Equal(NodeIdentity.StaticDhPublicKey(seen!.NodeKey), initiator.RemoteStatic.ToArray());

        Assert.True(initiator.TryWrite(WireSamples.Encode(new LinkPayload(a.PublicKey, LinkRoles.Near, null, [], [], 0)), noise, out int m3));
        Assert.True(responder.TryRead(noise.AsSpan(0, m3), payload, out _));
        Assert.Equal(aStatic, responder.RemoteStatic.ToArray());

        using var aSession = initiator.CreateSession(TimeProvider.System);
        using var bSession = responder.CreateSession(TimeProvider.System);
        var ping = WireSamples.Encode(new AddressedMessage(MessageType.Ping, a.Address, 1));
        var sealedPing = Seal(aSession, 6, ping);
        Assert.Equal(ping, sealedPing.AsSpan(Sealed.HeaderSize, ping.Length).ToArray()); // the plaintext, and a zero tag
        Assert.All(sealedPing[^Sealed.TagSize..], x => Assert.Equal(0, x));
        Assert.Equal(ping, Open(bSession, sealedPing, 6));
        Assert.Null(Open(bSession, sealedPing, 6)); // the same replay window
    }

    [Fact]
    public void Payloads_of_every_shape_fit_their_handshake_messages_and_round_trip_inside_them()
    {
        foreach (var (name, payload) in WireSamples.LinkPayloads())
        {
            var noise = WireSamples.ClearSuiteNoise(payload);
            foreach (var type in new[] { MessageType.LinkAccept, MessageType.LinkConfirm })
            {
                var datagram = WireSamples.EncodeHandshake(type, 3, 4, 5, noise);
                Assert.True(LinkHandshake.TryRead(WireSamples.Body(datagram, type), out _, out _, out _, out var n), name);
                Assert.True(LinkPayload.TryRead(n[32..], out var decoded), name);
                Assert.Equal(WireSamples.Encode(payload), WireSamples.Encode(decoded!));
                Assert.Equal(payload.Observed, decoded!.Observed);
            }
        }
    }

    [Fact]
    public void Handshake_messages_in_a_tunnel_keep_their_bytes()
    {
        var final = new RingAddress(0x1111111111111111, 0x2222222222222222, 0x33333333);
        foreach (var (name, inner) in WireSamples.TunnelInners().Where(t => t.Datagram[1] != (byte)MessageType.Routed))
        {
            var tunnel = WireSamples.EncodeTunnel(final, inner);
            Assert.True(Tunnel.TryRead(tunnel, out var f, out var decoded), name);
            Assert.Equal(final, f);
            Assert.Equal(inner, decoded.ToArray());
            Assert.True(WireMalformedTests.Decodes(decoded), name);
            Assert.True(inner.Length <= Tunnel.MaxInner);
        }
    }
}

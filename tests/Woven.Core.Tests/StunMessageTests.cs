using System.Buffers.Binary;
using System.Net;
using System.Text;
using Woven.Nat;
using Woven.Wire;

namespace Woven.Core.Tests;

/// <summary>RFC 5769 test vectors, byte for byte as published (§2.1–2.4).</summary>
internal static class Rfc5769
{
    public static readonly byte[] TransactionIdBytes = Convert.FromHexString("b7e7a701bc34d686fa87dfae");

    /// <summary>§2.1 Sample Request: SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT.</summary>
    public static readonly byte[] Request = Convert.FromHexString(
        "00010058" + "2112a442" + "b7e7a701bc34d686fa87dfae" +
        "80220010" + "5354554e207465737420636c69656e74" +
        "00240004" + "6e0001ff" +
        "80290008" + "932ff9b151263b36" +
        "00060009" + "6576746a3a68367659202020" +
        "00080014" + "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2" +
        "80280004" + "e57a3bcf");

    /// <summary>§2.2 Sample IPv4 Response: XOR-MAPPED-ADDRESS 192.0.2.1:32853.</summary>
    public static readonly byte[] ResponseIPv4 = Convert.FromHexString(
        "0101003c" + "2112a442" + "b7e7a701bc34d686fa87dfae" +
        "8022000b" + "7465737420766563746f7220" +
        "00200008" + "0001a147e112a643" +
        "00080014" + "2b91f599fd9e90c38c7489f92af9ba53f06be7d7" +
        "80280004" + "c07d4c96");

    /// <summary>§2.3 Sample IPv6 Response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853.</summary>
    public static readonly byte[] ResponseIPv6 = Convert.FromHexString(
        "01010048" + "2112a442" + "b7e7a701bc34d686fa87dfae" +
        "8022000b" + "7465737420766563746f7220" +
        "00200014" + "0002a1470113a9faa5d3f179bc25f4b5bed2b9d9" +
        "00080014" + "a382954e4be67bf11784c97c8292c275bfe3ed41" +
        "80280004" + "c8fb0b4c");

    /// <summary>§2.4 Sample Request with Long-Term Authentication: USERNAME, NONCE, REALM, MESSAGE-INTEGRITY; no FINGERPRINT.</summary>
    public static readonly byte[] RequestLongTerm = Convert.FromHexString(
        "00010060" + "2112a442" + "78ad3433c6ad72c029da412e" +
        "00060012" + "e3839ee38388e383aae38383e382afe382b90000" +
        "0015001c" + "662f2f3439396b39353464364f4c33346f4c39465354767936347341" +
        "0014000b" + "6578616d706c652e6f726700" +
        "00080014" + "f67024656dd64a3e02b8e0712e85c9a28ca89666");

    public static readonly IPEndPoint MappedIPv4 = new(IPAddress.Parse("192.0.2.1"), 32853);

    public static readonly IPEndPoint MappedIPv6 = new(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853);
}

public class StunMessageTests
{
    private static readonly StunTransactionId Tid = StunTransactionId.Read(Rfc5769.TransactionIdBytes);

    private static StunMessage Decode(byte[] bytes)
    {
        var status = StunMessage.Read(bytes, out var message);
        Assert.Equal(StunReadStatus.Ok, status);
        return message!;
    }

    private static StunMessage RoundTrip(StunMessage m)
    {
        var bytes = m.ToArray();
        Assert.Equal(m.Size, bytes.Length);
        Assert.Equal(0, bytes.Length % 4);
        Assert.True(StunMessage.IsStun(bytes));
        var back = Decode(bytes);
        // Anything that decodes re-encodes to the same bytes.
        Assert.Equal(bytes, back.ToArray());
        return back;
    }

    // ---- RFC 5769 ----

    [Fact]
    public void Rfc5769_sample_request_decodes_and_its_fingerprint_verifies()
    {
        var m = Decode(Rfc5769.Request);
        Assert.Equal(StunMethod.Binding, m.Method);
        Assert.Equal(StunClass.Request, m.Class);
        Assert.Equal(Tid, m.TransactionId);
        Assert.Equal("STUN test client", m.Software);
        Assert.True(m.Fingerprint);
        // PRIORITY (ICE) is comprehension-required and not something Woven knows; USERNAME and
        // MESSAGE-INTEGRITY are RFC 8489 attributes it knows and deliberately ignores (no credentials).
        Assert.Equal(new ushort[] { 0x0024 }, m.UnknownComprehensionRequired);
        Assert.Equal(0xe57a3bcfu, Crc32.Compute(Rfc5769.Request.AsSpan(0, Rfc5769.Request.Length - 8)) ^ 0x5354554Eu);
    }

    [Fact]
    public void Rfc5769_sample_ipv4_response_decodes()
    {
        var m = Decode(Rfc5769.ResponseIPv4);
        Assert.Equal(StunClass.SuccessResponse, m.Class);
        Assert.Equal(Tid, m.TransactionId);
        Assert.Equal(Rfc5769.MappedIPv4, m.XorMappedAddress);
        Assert.Equal("test vector", m.Software);
        Assert.True(m.Fingerprint);
        Assert.Empty(m.UnknownComprehensionRequired);
        Assert.Equal(0xc07d4c96u, Crc32.Compute(Rfc5769.ResponseIPv4.AsSpan(0, 72)) ^ 0x5354554Eu);
    }

    [Fact]
    public void Rfc5769_sample_ipv6_response_decodes()
    {
        var m = Decode(Rfc5769.ResponseIPv6);
        Assert.Equal(StunClass.SuccessResponse, m.Class);
        Assert.Equal(Rfc5769.MappedIPv6, m.XorMappedAddress);
        Assert.Equal("test vector", m.Software);
        Assert.True(m.Fingerprint);
        Assert.Equal(0xc8fb0b4cu, Crc32.Compute(Rfc5769.ResponseIPv6.AsSpan(0, 84)) ^ 0x5354554Eu);
    }

    [Fact]
    public void Rfc5769_long_term_request_decodes_without_unknown_attributes()
    {
        var m = Decode(Rfc5769.RequestLongTerm);
        Assert.Equal(StunClass.Request, m.Class);
        Assert.False(m.Fingerprint);
        Assert.Empty(m.UnknownComprehensionRequired); // USERNAME, NONCE, REALM, MESSAGE-INTEGRITY are known
    }

    /// <summary>The attributes of a message, in order, as (type, whole attribute bytes including padding).</summary>
    private static List<(ushort Type, byte[] Bytes)> Attributes(byte[] message)
    {
        var list = new List<(ushort, byte[])>();
        for (int at = 20; at < message.Length;)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(at));
            int length = 4 + ((BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(at + 2)) + 3) & ~3);
            list.Add((type, message[at..(at + length)]));
            at += length;
        }
        return list;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encoding_the_rfc5769_responses_reproduces_their_attribute_bytes(bool ipv6)
    {
        var vector = ipv6 ? Rfc5769.ResponseIPv6 : Rfc5769.ResponseIPv4;
        var m = new StunMessage
        {
            Class = StunClass.SuccessResponse,
            TransactionId = Tid,
            Software = "test vector",
            XorMappedAddress = ipv6 ? Rfc5769.MappedIPv6 : Rfc5769.MappedIPv4,
        };
        var ours = m.ToArray();
        Assert.Equal(vector[..2], ours[..2]);     // type
        Assert.Equal(vector[4..20], ours[4..20]); // cookie, transaction id
        var theirs = Attributes(vector).ToDictionary(a => a.Type, a => a.Bytes);
        var mine = Attributes(ours);
        Assert.Equal(new[] { StunAttributeType.XorMappedAddress, StunAttributeType.Software }, mine.Select(a => a.Type));
        // XOR-MAPPED-ADDRESS is identical, byte for byte.
        Assert.Equal(Convert.ToHexString(theirs[StunAttributeType.XorMappedAddress]), Convert.ToHexString(mine[0].Bytes));
        // SOFTWARE too, except its padding byte: the vector pads with a space (receivers ignore padding), Woven with zero.
        var software = theirs[StunAttributeType.Software];
        Assert.Equal(0x20, software[^1]);
        software[^1] = 0;
        Assert.Equal(Convert.ToHexString(software), Convert.ToHexString(mine[1].Bytes));
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    // ---- header and types ----

    [Theory]
    [InlineData(StunClass.Request, 0x0001)]
    [InlineData(StunClass.Indication, 0x0011)]
    [InlineData(StunClass.SuccessResponse, 0x0101)]
    [InlineData(StunClass.ErrorResponse, 0x0111)]
    public void Binding_message_types_match_rfc8489(StunClass cls, int type)
    {
        Assert.Equal((ushort)type, StunMessageType.Compose(StunMethod.Binding, cls));
        Assert.Equal(StunMethod.Binding, StunMessageType.Method((ushort)type));
        Assert.Equal(cls, StunMessageType.Class((ushort)type));
    }

    [Fact]
    public void Every_method_and_class_round_trips_through_the_interleaved_type()
    {
        for (int method = 0; method <= 0xFFF; method++)
        {
            foreach (var cls in Enum.GetValues<StunClass>())
            {
                ushort type = StunMessageType.Compose((StunMethod)method, cls);
                Assert.Equal(0, type & 0xC000);
                Assert.Equal((StunMethod)method, StunMessageType.Method(type));
                Assert.Equal(cls, StunMessageType.Class(type));
            }
        }
        // TURN's Allocate (0x003) error response, a well-known value.
        Assert.Equal(0x0113, StunMessageType.Compose((StunMethod)0x003, StunClass.ErrorResponse));
    }

    [Fact]
    public void Transaction_ids_round_trip_and_are_random()
    {
        var id = StunTransactionId.NewRandom();
        Span<byte> b = stackalloc byte[12];
        id.Write(b);
        Assert.Equal(id, StunTransactionId.Read(b));
        Assert.Equal(24, id.ToString().Length);
        var ids = Enumerable.Range(0, 1000).Select(_ => StunTransactionId.NewRandom()).ToHashSet();
        Assert.Equal(1000, ids.Count);
        Assert.Equal(StunTransactionId.NewFrom(new Random(5)), StunTransactionId.NewFrom(new Random(5)));
    }

    [Fact]
    public void IsStun_is_the_demultiplexing_test()
    {
        var request = new StunMessage { Class = StunClass.Request, TransactionId = Tid }.ToArray();
        Assert.True(StunMessage.IsStun(request));
        Assert.True(StunMessage.IsStun(Rfc5769.Request));
        // Trailing bytes still pass the demux test (length ≤ remaining), but not the strict decoder.
        Assert.True(StunMessage.IsStun([.. request, 0, 0, 0, 0]));
        Assert.Equal(StunReadStatus.Malformed, StunMessage.Read([.. request, 0, 0, 0, 0], out _));

        Assert.False(StunMessage.IsStun(request.AsSpan(0, 19)));
        Assert.False(StunMessage.IsStun([]));
        var topBits = (byte[])request.Clone();
        topBits[0] = 0x40;
        Assert.False(StunMessage.IsStun(topBits));
        var cookie = (byte[])request.Clone();
        cookie[7] ^= 1;
        Assert.False(StunMessage.IsStun(cookie));
        var notMultiple = (byte[])Rfc5769.ResponseIPv4.Clone();
        notMultiple[3] = 0x3d;
        Assert.False(StunMessage.IsStun(notMultiple));
        var tooLong = (byte[])request.Clone();
        tooLong[3] = 4;
        Assert.False(StunMessage.IsStun(tooLong));

        // Overlay datagrams start with 0xD1: never STUN, whatever follows.
        var overlay = (byte[])request.Clone();
        overlay[0] = Envelope.FirstByte;
        Assert.False(StunMessage.IsStun(overlay));
        var ping = new AddressedMessage(MessageType.Ping, default, 1);
        var buffer = new byte[64];
        Assert.True(ping.TryWrite(buffer, out int n));
        Assert.False(StunMessage.IsStun(buffer.AsSpan(0, n)));
        // And STUN never passes the overlay's envelope check.
        Assert.Equal(DropReason.BadMagic, Envelope.Classify(request, out _));
    }

    [Fact]
    public void StunHeader_reads_type_length_and_transaction_id()
    {
        Assert.True(StunHeader.TryRead(Rfc5769.ResponseIPv6, out var h));
        Assert.Equal(0x0101, h.Type);
        Assert.Equal(0x48, h.Length);
        Assert.Equal(Tid, h.TransactionId);
        Assert.Equal(StunClass.SuccessResponse, h.Class);
        Assert.False(StunHeader.TryRead(new byte[20], out _));
    }

    // ---- attribute round trips ----

    public static TheoryData<string> Endpoints => new()
    {
        "192.0.2.1:32853", "0.0.0.0:1", "255.255.255.255:65535", "127.0.0.1:3478",
        "[2001:db8:1234:5678:11:2233:4455:6677]:32853", "[::1]:1", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", "[::]:0",
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public void Address_attributes_round_trip(string text)
    {
        var ep = IPEndPoint.Parse(text);
        var m = RoundTrip(new StunMessage
        {
            Class = StunClass.SuccessResponse,
            TransactionId = StunTransactionId.NewRandom(),
            XorMappedAddress = ep,
            MappedAddress = ep,
            ResponseOrigin = ep,
            OtherAddress = ep,
        });
        Assert.Equal(ep, m.XorMappedAddress);
        Assert.Equal(ep, m.MappedAddress);
        Assert.Equal(ep, m.ResponseOrigin);
        Assert.Equal(ep, m.OtherAddress);
    }

    [Fact]
    public void Xor_mapped_address_follows_the_ipv4_and_ipv6_xor_rules()
    {
        var tid = new StunTransactionId(0x01020304, 0x05060708090A0B0C);
        var v4 = new StunMessage { Class = StunClass.SuccessResponse, TransactionId = tid, XorMappedAddress = IPEndPoint.Parse("1.2.3.4:5678") }.ToArray();
        // family 1, port 5678 ^ 0x2112, address ^ magic cookie
        Assert.Equal("00200008" + "0001" + (5678 ^ 0x2112).ToString("X4") + (0x01020304u ^ 0x2112A442u).ToString("X8"),
            Convert.ToHexString(v4, 20, 12));
        var v6 = new StunMessage { Class = StunClass.SuccessResponse, TransactionId = tid, XorMappedAddress = IPEndPoint.Parse("[::]:0") }.ToArray();
        // The all-zero IPv6 address XORs to cookie ‖ transaction id.
        Assert.Equal("00200014" + "0002" + "2112" + "2112A442" + "0102030405060708090A0B0C", Convert.ToHexString(v6, 20, 24));
        // MAPPED-ADDRESS carries the address in the clear.
        var plain = new StunMessage { Class = StunClass.SuccessResponse, TransactionId = tid, MappedAddress = IPEndPoint.Parse("1.2.3.4:5678") }.ToArray();
        Assert.Equal("00010008" + "0001" + "162E" + "01020304", Convert.ToHexString(plain, 20, 12));
    }

    [Fact]
    public void Ipv4_mapped_ipv6_endpoints_are_written_as_ipv4()
    {
        var mapped = new IPEndPoint(IPAddress.Parse("::ffff:198.51.100.7"), 4000);
        var m = RoundTrip(new StunMessage { Class = StunClass.SuccessResponse, TransactionId = Tid, XorMappedAddress = mapped });
        Assert.Equal(IPEndPoint.Parse("198.51.100.7:4000"), m.XorMappedAddress);
    }

    [Theory]
    [InlineData(StunChangeRequest.None)]
    [InlineData(StunChangeRequest.ChangePort)]
    [InlineData(StunChangeRequest.ChangeIp)]
    [InlineData(StunChangeRequest.ChangeIp | StunChangeRequest.ChangePort)]
    public void Change_request_round_trips(StunChangeRequest flags)
    {
        var bytes = new StunMessage { Class = StunClass.Request, TransactionId = Tid, ChangeRequest = flags }.ToArray();
        Assert.Equal("00030004" + ((uint)flags).ToString("X8"), Convert.ToHexString(bytes, 20, 8));
        Assert.Equal(flags, RoundTrip(Decode(bytes)).ChangeRequest);
    }

    [Fact]
    public void Absent_change_request_differs_from_an_empty_one()
    {
        Assert.Null(RoundTrip(new StunMessage { Class = StunClass.Request, TransactionId = Tid }).ChangeRequest);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3478)]
    [InlineData(65535)]
    public void Response_port_round_trips(int port)
    {
        var bytes = new StunMessage { Class = StunClass.Request, TransactionId = Tid, ResponsePort = (ushort)port }.ToArray();
        Assert.Equal("00270004" + port.ToString("X4") + "0000", Convert.ToHexString(bytes, 20, 8));
        Assert.Equal((ushort)port, Decode(bytes).ResponsePort);
    }

    [Theory]
    [InlineData(300, "Try Alternate")]
    [InlineData(400, "Bad Request")]
    [InlineData(420, "Unknown Attribute")]
    [InlineData(438, "Stale Nonce")]
    [InlineData(500, "Server Error")]
    [InlineData(699, "")]
    [InlineData(401, "Unauthenticated: naïve café ☕ 𝄞")]
    public void Error_code_round_trips(int code, string reason)
    {
        var m = RoundTrip(new StunMessage { Class = StunClass.ErrorResponse, TransactionId = Tid, Error = new StunError(code, reason) });
        Assert.Equal(new StunError(code, reason), m.Error);
        var bytes = m.ToArray();
        Assert.Equal(code / 100, bytes[26]);
        Assert.Equal(code % 100, bytes[27]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(32)]
    public void Unknown_attributes_round_trip_with_padding(int count)
    {
        var types = Enumerable.Range(0, count).Select(i => (ushort)(0x7F00 + i)).ToArray();
        var m = RoundTrip(new StunMessage
        {
            Class = StunClass.ErrorResponse,
            TransactionId = Tid,
            Error = new StunError(420, "Unknown Attribute"),
            UnknownAttributes = types,
        });
        Assert.Equal(types, m.UnknownAttributes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("w")]
    [InlineData("wo")]
    [InlineData("wov")]
    [InlineData("wove")]
    [InlineData("woven")]
    [InlineData("woven 0.1 (linux) ✓")]
    public void Software_round_trips_at_every_padding(string software)
    {
        var m = RoundTrip(new StunMessage { Class = StunClass.Request, TransactionId = Tid, Software = software });
        Assert.Equal(software, m.Software);
    }

    [Fact]
    public void Fingerprint_is_last_and_verifies()
    {
        var bytes = new StunMessage { Class = StunClass.Request, TransactionId = Tid, Software = "woven", Fingerprint = true }.ToArray();
        Assert.Equal(20 + 12 + 8, bytes.Length);
        Assert.Equal("80280004", Convert.ToHexString(bytes, bytes.Length - 8, 4));
        uint expected = Crc32.Compute(bytes.AsSpan(0, bytes.Length - 8)) ^ 0x5354554Eu;
        Assert.Equal(expected, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(bytes.Length - 4)));
        Assert.True(Decode(bytes).Fingerprint);
        Assert.False(RoundTrip(new StunMessage { Class = StunClass.Request, TransactionId = Tid }).Fingerprint);
    }

    [Fact]
    public void Everything_at_once_round_trips()
    {
        var m = new StunMessage
        {
            Method = (StunMethod)0xABC,
            Class = StunClass.Indication,
            TransactionId = StunTransactionId.NewRandom(),
            XorMappedAddress = IPEndPoint.Parse("[2001:db8::1]:9"),
            MappedAddress = IPEndPoint.Parse("203.0.113.9:65000"),
            ResponseOrigin = IPEndPoint.Parse("198.51.100.1:3478"),
            OtherAddress = IPEndPoint.Parse("[2001:db8::2]:3479"),
            ChangeRequest = StunChangeRequest.ChangeIp,
            ResponsePort = 1234,
            Error = new StunError(420, "Unknown Attribute"),
            UnknownAttributes = [0x0024, 0x7FFF],
            Software = "woven",
            Fingerprint = true,
        };
        var back = RoundTrip(m);
        Assert.Equal(m.Method, back.Method);
        Assert.Equal(m.Class, back.Class);
        Assert.Equal(m.TransactionId, back.TransactionId);
        Assert.Equal(m.XorMappedAddress, back.XorMappedAddress);
        Assert.Equal(m.MappedAddress, back.MappedAddress);
        Assert.Equal(m.ResponseOrigin, back.ResponseOrigin);
        Assert.Equal(m.OtherAddress, back.OtherAddress);
        Assert.Equal(m.ChangeRequest, back.ChangeRequest);
        Assert.Equal(m.ResponsePort, back.ResponsePort);
        Assert.Equal(m.Error, back.Error);
        Assert.Equal(m.UnknownAttributes, back.UnknownAttributes);
        Assert.Equal(m.Software, back.Software);
        Assert.True(back.Fingerprint);
    }

    // ---- decoding rules ----

    private static byte[] Raw(ushort type, params (ushort Type, byte[] Value)[] attributes)
    {
        var body = new List<byte>();
        foreach (var (t, v) in attributes)
        {
            body.Add((byte)(t >> 8));
            body.Add((byte)t);
            body.Add((byte)(v.Length >> 8));
            body.Add((byte)v.Length);
            body.AddRange(v);
            while (body.Count % 4 != 0) body.Add(0);
        }
        var bytes = new byte[20 + body.Count];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, type);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)body.Count);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), StunMessage.MagicCookie);
        Rfc5769.TransactionIdBytes.CopyTo(bytes, 8);
        body.CopyTo(bytes, 20);
        return bytes;
    }

    [Fact]
    public void Only_the_first_occurrence_of_an_attribute_counts()
    {
        var bytes = Raw(0x0101,
            (StunAttributeType.Software, "first"u8.ToArray()),
            (StunAttributeType.Software, [0xFF, 0xFE]), // invalid UTF-8, but a duplicate: ignored
            (StunAttributeType.MappedAddress, [0, 1, 0, 80, 10, 0, 0, 1]),
            (StunAttributeType.MappedAddress, [0, 1, 0, 81, 10, 0, 0, 2]));
        var m = Decode(bytes);
        Assert.Equal("first", m.Software);
        Assert.Equal(IPEndPoint.Parse("10.0.0.1:80"), m.MappedAddress);
    }

    [Fact]
    public void Unknown_comprehension_optional_attributes_are_skipped_and_required_ones_reported_once()
    {
        var bytes = Raw(0x0001,
            (0x8055, [1, 2, 3]),
            (0x0055, [1]),
            (0x7FFF, []),
            (0x0055, [2]),
            (StunAttributeType.Software, "x"u8.ToArray()));
        var m = Decode(bytes);
        Assert.Equal(new ushort[] { 0x0055, 0x7FFF }, m.UnknownComprehensionRequired);
        Assert.Equal("x", m.Software);
    }

    [Fact]
    public void Attributes_after_message_integrity_are_ignored_except_fingerprint()
    {
        var bytes = Raw(0x0001,
            (StunAttributeType.MessageIntegrity, new byte[20]),
            (0x0055, [1]),                                   // unknown required, but after MESSAGE-INTEGRITY
            (StunAttributeType.Software, [0xFF]));           // invalid, but ignored
        var m = Decode(bytes);
        Assert.Empty(m.UnknownComprehensionRequired);
        Assert.Null(m.Software);
    }

    [Fact]
    public void Padding_bytes_are_ignored_when_reading()
    {
        var bytes = Raw(0x0001, (StunAttributeType.Software, "abcde"u8.ToArray()));
        bytes[^1] = 0xAA;
        bytes[^2] = 0xBB;
        Assert.Equal("abcde", Decode(bytes).Software);
    }

    [Fact]
    public void Change_request_ignores_bits_other_than_A_and_B()
    {
        var bytes = Raw(0x0001, (StunAttributeType.ChangeRequest, [0xFF, 0xFF, 0xFF, 0xF9]));
        Assert.Equal(StunChangeRequest.None, Decode(bytes).ChangeRequest);
    }

    [Fact]
    public void Text_limits_are_enforced_when_writing()
    {
        var ok = new StunMessage { Class = StunClass.Request, TransactionId = Tid, Software = new string('a', 127) };
        Assert.True(ok.TryWrite(new byte[ok.Size], out _));
        var tooManyChars = new StunMessage { Class = StunClass.Request, TransactionId = Tid, Software = new string('a', 128) };
        Assert.False(tooManyChars.TryWrite(new byte[1024], out _));
        // 127 four-byte characters are 508 bytes: under 128 characters, the 509-byte limit cannot be reached.
        var wide = new StunMessage { Class = StunClass.Request, TransactionId = Tid, Software = string.Concat(Enumerable.Repeat("𝄞", 127)) };
        var wideBytes = new byte[1024];
        Assert.True(wide.TryWrite(wideBytes, out int n));
        Assert.True(StunMessage.TryRead(wideBytes.AsSpan(0, n), out var wideBack));
        Assert.Equal(wide.Software, wideBack.Software);
        var wideTooMany = new StunMessage { Class = StunClass.Request, TransactionId = Tid, Software = string.Concat(Enumerable.Repeat("𝄞", 128)) };
        Assert.False(wideTooMany.TryWrite(new byte[1024], out _));
        var badCode = new StunMessage { Class = StunClass.ErrorResponse, TransactionId = Tid, Error = new StunError(299, "x") };
        Assert.False(badCode.TryWrite(new byte[1024], out _));
        var badMethod = new StunMessage { Method = (StunMethod)0x1000, TransactionId = Tid };
        Assert.False(badMethod.TryWrite(new byte[1024], out _));
    }

    [Fact]
    public void TryWrite_reports_a_short_buffer_at_every_size()
    {
        var m = new StunMessage
        {
            Class = StunClass.SuccessResponse,
            TransactionId = Tid,
            XorMappedAddress = Rfc5769.MappedIPv6,
            Software = "woven",
            Fingerprint = true,
        };
        for (int size = 0; size < m.Size; size++)
        {
            Assert.False(m.TryWrite(new byte[size], out int n));
            Assert.Equal(0, n);
        }
        Assert.True(m.TryWrite(new byte[m.Size + 10], out int written));
        Assert.Equal(m.Size, written);
    }

    [Fact]
    public void Decoding_text_accepts_up_to_763_bytes()
    {
        var text = Encoding.UTF8.GetBytes(new string('é', 381)).Concat("x"u8.ToArray()).ToArray(); // 763 bytes
        Assert.Equal(763, text.Length);
        Assert.Equal(StunReadStatus.Ok, StunMessage.Read(Raw(0x0001, (StunAttributeType.Software, text)), out _));
        Assert.Equal(StunReadStatus.BadAttribute, StunMessage.Read(Raw(0x0001, (StunAttributeType.Software, [.. text, (byte)'y'])), out _));
    }
}

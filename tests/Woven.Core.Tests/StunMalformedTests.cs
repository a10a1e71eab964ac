using System.Buffers.Binary;
using System.Net;
using Woven.Nat;
using Xunit.Abstractions;

namespace Woven.Core.Tests;

public class StunMalformedTests(ITestOutputHelper output)
{
    private static readonly StunTransactionId Tid = StunTransactionId.Read(Rfc5769.TransactionIdBytes);

    private static StunReadStatus Status(byte[] bytes) => StunMessage.Read(bytes, out _);

    private static byte[] Full() => new StunMessage
    {
        Class = StunClass.SuccessResponse,
        TransactionId = Tid,
        XorMappedAddress = Rfc5769.MappedIPv6,
        MappedAddress = Rfc5769.MappedIPv4,
        Software = "woven",
        Fingerprint = true,
    }.ToArray();

    /// <summary>A message with the given body, the header length set to <paramref name="headerLength"/> (default: the body's).</summary>
    private static byte[] WithBody(byte[] body, int? headerLength = null, ushort type = 0x0101)
    {
        var bytes = new byte[20 + body.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, type);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)(headerLength ?? body.Length));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), StunMessage.MagicCookie);
        Tid.Write(bytes.AsSpan(8));
        body.CopyTo(bytes, 20);
        return bytes;
    }

    private static byte[] Attr(ushort type, int declaredLength, params byte[] value)
    {
        var a = new byte[4 + value.Length];
        BinaryPrimitives.WriteUInt16BigEndian(a, type);
        BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(2), (ushort)declaredLength);
        value.CopyTo(a, 4);
        return a;
    }

    private static byte[] Refingerprint(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        uint crc = Crc32.Compute(copy.AsSpan(0, copy.Length - 8)) ^ 0x5354554Eu;
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(copy.Length - 4), crc);
        return copy;
    }

    [Fact]
    public void Every_truncation_is_rejected()
    {
        foreach (var valid in new[] { Full(), Rfc5769.Request, Rfc5769.ResponseIPv4, Rfc5769.ResponseIPv6, Rfc5769.RequestLongTerm })
        {
            Assert.Equal(StunReadStatus.Ok, Status(valid));
            for (int n = 0; n < valid.Length; n++) Assert.NotEqual(StunReadStatus.Ok, Status(valid[..n]));
        }
    }

    [Fact]
    public void Truncation_with_the_header_length_adjusted_is_malformed()
    {
        var valid = Full();
        // Attributes start at 20 (XOR-MAPPED-ADDRESS v6), 44 (MAPPED-ADDRESS v4), 56 (SOFTWARE) and 68 (FINGERPRINT);
        // cutting exactly there leaves a shorter valid message, cutting anywhere else must not.
        int[] boundaries = [20, 44, 56, 68];
        for (int n = 24; n < valid.Length; n += 4)
        {
            if (boundaries.Contains(n))
            {
                var whole = valid[..n];
                BinaryPrimitives.WriteUInt16BigEndian(whole.AsSpan(2), (ushort)(n - 20));
                Assert.Equal(StunReadStatus.Ok, Status(whole));
                continue;
            }
            var cut = valid[..n];
            BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(2), (ushort)(n - 20));
            Assert.True(StunMessage.IsStun(cut));
            Assert.NotEqual(StunReadStatus.Ok, Status(cut));
        }
    }

    [Fact]
    public void Bad_header_lengths_are_rejected()
    {
        var valid = Full();
        var longer = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(2), (ushort)(valid.Length - 20 + 4));
        Assert.Equal(StunReadStatus.NotStun, Status(longer));          // claims more than the datagram holds
        var shorter = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(shorter.AsSpan(2), (ushort)(valid.Length - 20 - 4));
        Assert.Equal(StunReadStatus.Malformed, Status(shorter));       // trailing bytes
        var odd = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(odd.AsSpan(2), (ushort)(valid.Length - 20 - 1));
        Assert.Equal(StunReadStatus.NotStun, Status(odd));             // not a multiple of 4
    }

    [Fact]
    public void Attribute_lengths_that_overrun_the_message_are_malformed()
    {
        Assert.Equal(StunReadStatus.Malformed, Status(WithBody(Attr(StunAttributeType.Software, 5, 1, 2, 3, 4))));
        Assert.Equal(StunReadStatus.Malformed, Status(WithBody(Attr(0x8055, 0xFFFF, 0, 0, 0, 0))));
        Assert.Equal(StunReadStatus.Malformed, Status(WithBody([0x80, 0x22, 0x00, 0x00, 0x80, 0x22, 0x00, 0x00, 0x80, 0x22, 0x00, 0x01])));
        // A second attribute whose padded value runs one word past the end.
        Assert.Equal(StunReadStatus.Malformed, Status(WithBody([.. Attr(0x8055, 2, 1, 2), 0, 0, .. Attr(0x8056, 5, 1, 2, 3, 4)])));
    }

    [Fact]
    public void Missing_padding_is_malformed()
    {
        // SOFTWARE of 5 bytes written without its 3 padding bytes, then XOR-MAPPED-ADDRESS: the walker finds the
        // next attribute 3 bytes early and the framing no longer adds up.
        var body = Attr(StunAttributeType.Software, 5, (byte)'w', (byte)'o', (byte)'v', (byte)'e', (byte)'n')
            .Concat(Attr(StunAttributeType.XorMappedAddress, 8, 0, 1, 0, 1, 1, 2, 3, 4)).Concat(new byte[3]).ToArray();
        Assert.Equal(0, body.Length % 4);
        Assert.NotEqual(StunReadStatus.Ok, Status(WithBody(body)));
        // The padded form is fine.
        var padded = Attr(StunAttributeType.Software, 5, (byte)'w', (byte)'o', (byte)'v', (byte)'e', (byte)'n', 0, 0, 0)
            .Concat(Attr(StunAttributeType.XorMappedAddress, 8, 0, 1, 0, 1, 1, 2, 3, 4)).ToArray();
        Assert.Equal(StunReadStatus.Ok, Status(WithBody(padded)));
        // The last attribute must carry its padding too.
        var lastUnpadded = Attr(StunAttributeType.Software, 5, (byte)'w', (byte)'o', (byte)'v', (byte)'e', (byte)'n');
        Assert.NotEqual(StunReadStatus.Ok, Status(WithBody(lastUnpadded, headerLength: 8)));
    }

    [Fact]
    public void Bad_cookie_and_top_bits_are_not_stun()
    {
        var valid = Full();
        for (int i = 4; i < 8; i++)
        {
            var bad = (byte[])valid.Clone();
            bad[i] ^= 0x10;
            Assert.Equal(StunReadStatus.NotStun, Status(bad));
        }
        foreach (byte top in new byte[] { 0x40, 0x80, 0xC0, 0xD1 })
        {
            var bad = (byte[])valid.Clone();
            bad[0] |= top;
            Assert.Equal(StunReadStatus.NotStun, Status(bad));
        }
    }

    [Fact]
    public void Bad_fingerprints_are_rejected()
    {
        var valid = Full();
        var wrongValue = (byte[])valid.Clone();
        wrongValue[^1] ^= 1;
        Assert.Equal(StunReadStatus.BadFingerprint, Status(wrongValue));
        // Any change to the covered bytes breaks it.
        for (int i = 20; i < valid.Length - 8; i++)
        {
            var flipped = (byte[])valid.Clone();
            flipped[i] ^= 0x01;
            Assert.NotEqual(StunReadStatus.Ok, Status(flipped));
        }
        // The CRC covers the header, whose length counts FINGERPRINT itself: a fingerprint computed with the
        // length that excludes it is wrong.
        var m = new StunMessage { Class = StunClass.Request, TransactionId = Tid, Software = "woven" };
        var bytes = m.ToArray();
        uint crc = Crc32.Compute(bytes) ^ 0x5354554Eu;
        var appended = bytes.Concat(Attr(StunAttributeType.Fingerprint, 4, 0, 0, 0, 0)).ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(appended.AsSpan(appended.Length - 4), crc);
        BinaryPrimitives.WriteUInt16BigEndian(appended.AsSpan(2), (ushort)(appended.Length - 20));
        Assert.Equal(StunReadStatus.BadFingerprint, Status(appended));
        Assert.Equal(StunReadStatus.Ok, Status(Refingerprint(appended)));
    }

    [Fact]
    public void Fingerprint_must_be_last_and_four_bytes()
    {
        var valid = Full();
        // FINGERPRINT followed by another attribute.
        var notLast = valid.Concat(Attr(0x8055, 0)).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(notLast.AsSpan(2), (ushort)(notLast.Length - 20));
        var fixedCrc = (byte[])notLast.Clone();
        uint crc = Crc32.Compute(fixedCrc.AsSpan(0, valid.Length - 8)) ^ 0x5354554Eu;
        BinaryPrimitives.WriteUInt32BigEndian(fixedCrc.AsSpan(valid.Length - 4), crc);
        Assert.Equal(StunReadStatus.Malformed, Status(fixedCrc));
        // Wrong length.
        Assert.Equal(StunReadStatus.Malformed, Status(WithBody(Attr(StunAttributeType.Fingerprint, 8, new byte[8]))));
        Assert.Equal(StunReadStatus.Malformed, Status(WithBody(Attr(StunAttributeType.Fingerprint, 0))));
    }

    public static TheoryData<ushort, byte[]> BadValues => new()
    {
        { StunAttributeType.XorMappedAddress, [0, 1, 0, 1, 1, 2, 3] },                   // IPv4 too short
        { StunAttributeType.XorMappedAddress, [0, 2, 0, 1, 1, 2, 3, 4] },                // family 2 with 4 bytes
        { StunAttributeType.MappedAddress, [0, 1, 0, 1, .. new byte[16]] },             // family 1 with 16 bytes
        { StunAttributeType.MappedAddress, [0, 3, 0, 1, 1, 2, 3, 4] },                   // unknown family
        { StunAttributeType.ResponseOrigin, [0, 0, 0, 1, 1, 2, 3, 4] },                  // family 0
        { StunAttributeType.OtherAddress, [] },
        { StunAttributeType.ChangeRequest, [0, 0, 6] },
        { StunAttributeType.ChangeRequest, [0, 0, 0, 6, 0, 0, 0, 0] },
        { StunAttributeType.ResponsePort, [0x0D, 0x96] },
        { StunAttributeType.ErrorCode, [0, 0, 4] },                                      // too short
        { StunAttributeType.ErrorCode, [0, 0, 2, 0] },                                   // class 2
        { StunAttributeType.ErrorCode, [0, 0, 7, 0] },                                   // class 7
        { StunAttributeType.ErrorCode, [0, 0, 4, 100] },                                 // number 100
        { StunAttributeType.ErrorCode, [0, 0, 4, 20, 0xC3, 0x28] },                      // invalid UTF-8 reason
        { StunAttributeType.UnknownAttributes, [0, 1, 0] },                              // odd length
        { StunAttributeType.Software, [0xFF] },                                          // invalid UTF-8
        { StunAttributeType.Software, [0xED, 0xA0, 0x80] },                              // UTF-8-encoded surrogate
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Invalid_values_of_decoded_attributes_are_bad_attributes(ushort type, byte[] value)
    {
        var body = Attr(type, value.Length, value);
        while (body.Length % 4 != 0) body = [.. body, 0];
        Assert.Equal(StunReadStatus.BadAttribute, Status(WithBody(body)));
        Assert.False(StunMessage.TryRead(WithBody(body), out var m));
        Assert.Null(m);
    }

    [Fact]
    public void Framing_errors_win_over_bad_values()
    {
        // A bad value followed by broken framing is malformed (discarded), not a bad attribute (answered with 400).
        var body = Attr(StunAttributeType.Software, 1, 0xFF, 0, 0, 0).Concat(Attr(0x8055, 100)).ToArray();
        Assert.Equal(StunReadStatus.Malformed, Status(WithBody(body)));
    }

    // ---- mutation ----

    private static List<byte[]> Seeds()
    {
        var tid = StunTransactionId.NewFrom(new Random(1));
        return
        [
            new StunMessage { Class = StunClass.Request, TransactionId = tid }.ToArray(),
            new StunMessage { Class = StunClass.Request, TransactionId = tid, Fingerprint = true }.ToArray(),
            new StunMessage { Class = StunClass.Request, TransactionId = tid, ChangeRequest = StunChangeRequest.ChangeIp, ResponsePort = 9, Software = "w" }.ToArray(),
            new StunMessage
            {
                Class = StunClass.SuccessResponse, TransactionId = tid,
                XorMappedAddress = IPEndPoint.Parse("203.0.113.5:40000"), MappedAddress = IPEndPoint.Parse("203.0.113.5:40000"),
                ResponseOrigin = IPEndPoint.Parse("[2001:db8::1]:3478"), OtherAddress = IPEndPoint.Parse("198.51.100.2:3479"),
                Software = "woven",
            }.ToArray(),
            new StunMessage
            {
                Class = StunClass.SuccessResponse, TransactionId = tid,
                XorMappedAddress = IPEndPoint.Parse("[2001:db8::7]:1"), Software = "woven", Fingerprint = true,
            }.ToArray(),
            new StunMessage
            {
                Class = StunClass.ErrorResponse, TransactionId = tid, Error = new StunError(420, "Unknown Attribute"),
                UnknownAttributes = [0x0003, 0x0024, 0x7ABC], Fingerprint = true,
            }.ToArray(),
            new StunMessage { Class = StunClass.ErrorResponse, TransactionId = tid, Error = new StunError(400, "Bad Request") }.ToArray(),
            Rfc5769.Request, Rfc5769.ResponseIPv4, Rfc5769.ResponseIPv6, Rfc5769.RequestLongTerm,
        ];
    }

    private static byte[] Mutate(byte[] seed, Random r)
    {
        var b = new List<byte>(seed);
        int ops = 1 + r.Next(3);
        for (int op = 0; op < ops; op++)
        {
            int i = b.Count == 0 ? 0 : r.Next(b.Count);
            switch (r.Next(11))
            {
                case 0: if (b.Count > 0) b[i] ^= (byte)(1 << r.Next(8)); break;
                case 1: if (b.Count > 0) b[i] = (byte)r.Next(256); break;
                case 2: if (b.Count > 0) b.RemoveRange(r.Next(b.Count), 1); break;
                case 3: b.Insert(i, (byte)r.Next(256)); break;
                case 4: b = b.Take(r.Next(b.Count + 1)).ToList(); break;
                case 5: for (int k = r.Next(1, 9); k > 0; k--) b.Add((byte)r.Next(256)); break;
                case 6:
                    // An attribute's length field (attributes start at 20 and are 4-aligned in a valid seed).
                    if (b.Count >= 24)
                    {
                        int at = 20 + 4 * r.Next((b.Count - 20) / 4);
                        if (at + 3 < b.Count) { b[at + 2] = (byte)r.Next(3); b[at + 3] = (byte)r.Next(256); }
                    }
                    break;
                case 7:
                    // An attribute's type field.
                    if (b.Count >= 24)
                    {
                        int at = 20 + 4 * r.Next((b.Count - 20) / 4);
                        ushort[] types = [0x0001, 0x0003, 0x0009, 0x000A, 0x0020, 0x0027, 0x8022, 0x8028, 0x802B, 0x802C, 0x0008, (ushort)r.Next(65536)];
                        ushort t = types[r.Next(types.Length)];
                        b[at] = (byte)(t >> 8);
                        b[at + 1] = (byte)t;
                    }
                    break;
                case 8:
                    // Duplicate a 4-aligned chunk of attributes.
                    if (b.Count > 24)
                    {
                        int from = 20 + 4 * r.Next((b.Count - 20) / 4);
                        int len = Math.Min(4 * r.Next(1, 6), b.Count - from);
                        b.InsertRange(from, b.GetRange(from, len));
                    }
                    break;
                case 9:
                    // The header length field, near the right value.
                    if (b.Count >= 4)
                    {
                        int len = Math.Max(0, b.Count - 20 + 4 * (r.Next(5) - 2));
                        b[2] = (byte)(len >> 8);
                        b[3] = (byte)len;
                    }
                    break;
                default:
                    // Message type: requests, responses, indications, other methods.
                    if (b.Count >= 2)
                    {
                        ushort t = r.Next(4) switch { 0 => 0x0001, 1 => 0x0101, 2 => 0x0111, _ => (ushort)r.Next(0x4000) };
                        b[0] = (byte)(t >> 8);
                        b[1] = (byte)t;
                    }
                    break;
            }
        }
        // Usually keep the header length consistent and the FINGERPRINT right, so mutations reach the attribute checks.
        if (b.Count >= 20 && r.Next(4) != 0)
        {
            int len = b.Count - 20;
            b[2] = (byte)(len >> 8);
            b[3] = (byte)len;
        }
        var bytes = b.ToArray();
        if (bytes.Length >= 28 && r.Next(4) != 0 && BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(bytes.Length - 8)) == StunAttributeType.Fingerprint)
            bytes = Refingerprint(bytes);
        return bytes;
    }

    [Fact]
    public void Hundred_thousand_mutations_never_throw_and_what_decodes_is_consistent()
    {
        var random = new Random(20260101);
        var seeds = Seeds();
        var responder = new StunResponder();
        var from = IPEndPoint.Parse("198.51.100.77:61000");
        var response = new byte[responder.MaxResponseSize];
        var counts = new Dictionary<StunReadStatus, int>();
        var outcomes = new Dictionary<StunResponderOutcome, int>();
        var seedTid = StunTransactionId.NewFrom(new Random(1));
        var client = new StunClient(IPEndPoint.Parse("127.0.0.1:3478"), transactionId: seedTid);
        client.Start(TimeSpan.Zero);
        int clientResults = 0;

        for (int i = 0; i < 100_000; i++)
        {
            var input = Mutate(seeds[random.Next(seeds.Count)], random);
            var status = StunMessage.Read(input, out var message);
            counts[status] = counts.GetValueOrDefault(status) + 1;
            bool isStun = StunMessage.IsStun(input);
            Assert.Equal(isStun, StunHeader.TryRead(input, out _));
            if (!isStun) Assert.Equal(StunReadStatus.NotStun, status);

            if (status == StunReadStatus.Ok)
            {
                Assert.NotNull(message);
                // What decodes re-encodes (known attributes only), and that re-encoding decodes to the same fields.
                var again = new StunMessage
                {
                    Method = message.Method, Class = message.Class, TransactionId = message.TransactionId,
                    MappedAddress = message.MappedAddress, XorMappedAddress = message.XorMappedAddress,
                    ResponseOrigin = message.ResponseOrigin, OtherAddress = message.OtherAddress,
                    ChangeRequest = message.ChangeRequest, ResponsePort = message.ResponsePort,
                    Error = message.Error, UnknownAttributes = message.UnknownAttributes,
                    Software = message.Software, Fingerprint = true,
                };
                var buffer = new byte[again.Size];
                if (again.TryWrite(buffer, out int n)) // may refuse decoded text that exceeds the encoder's tighter limits
                {
                    Assert.True(StunMessage.TryRead(buffer.AsSpan(0, n), out var back), Convert.ToHexString(input));
                    Assert.Equal(message.Type, back.Type);
                    Assert.Equal(message.TransactionId, back.TransactionId);
                    Assert.Equal(message.MappedAddress, back.MappedAddress);
                    Assert.Equal(message.XorMappedAddress, back.XorMappedAddress);
                    Assert.Equal(message.ResponseOrigin, back.ResponseOrigin);
                    Assert.Equal(message.OtherAddress, back.OtherAddress);
                    Assert.Equal(message.ChangeRequest, back.ChangeRequest);
                    Assert.Equal(message.ResponsePort, back.ResponsePort);
                    Assert.Equal(message.Error, back.Error);
                    Assert.Equal(message.UnknownAttributes, back.UnknownAttributes);
                    Assert.Equal(message.Software, back.Software);
                }
            }

            var outcome = responder.Respond(input, from, response, out int written);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (written > 0)
            {
                Assert.True(StunMessage.TryRead(response.AsSpan(0, written), out var answer));
                Assert.True(answer.Fingerprint);
                Assert.Equal(0x0001, BinaryPrimitives.ReadUInt16BigEndian(input)); // only Binding requests are answered
                Assert.Equal(StunTransactionId.Read(input.AsSpan(8)), answer.TransactionId);
                if (outcome == StunResponderOutcome.Success) Assert.Equal(from, answer.XorMappedAddress);
                else Assert.Equal(StunClass.ErrorResponse, answer.Class);
            }

            if (client.OnDatagram(input, from, TimeSpan.FromMilliseconds(1)) is not null)
            {
                clientResults++;
                client = new StunClient(IPEndPoint.Parse("127.0.0.1:3478"), transactionId: seedTid);
                client.Start(TimeSpan.Zero);
            }
        }

        output.WriteLine("decoder: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        output.WriteLine("responder: " + string.Join(", ", outcomes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        output.WriteLine($"client results: {clientResults}");
        // The mutations reached every verdict, not just the first check.
        foreach (var s in Enum.GetValues<StunReadStatus>()) Assert.True(counts.GetValueOrDefault(s) > 100, $"{s}: {counts.GetValueOrDefault(s)}");
        foreach (var o in new[] { StunResponderOutcome.NotStun, StunResponderOutcome.Ignored, StunResponderOutcome.Malformed,
                     StunResponderOutcome.Success, StunResponderOutcome.UnknownAttribute, StunResponderOutcome.BadRequest })
            Assert.True(outcomes.GetValueOrDefault(o) > 50, $"{o}: {outcomes.GetValueOrDefault(o)}");
        Assert.True(clientResults > 100);
    }
}

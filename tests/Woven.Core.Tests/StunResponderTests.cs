using System.Buffers.Binary;
using System.Net;
using Woven.Nat;
using Woven.Wire;

namespace Woven.Core.Tests;

public class StunResponderTests
{
    private static readonly IPEndPoint From = IPEndPoint.Parse("203.0.113.17:54321");

    private static byte[] Request(Action<List<(ushort, byte[])>>? extra = null, bool fingerprint = false, ushort type = 0x0001)
    {
        var tid = StunTransactionId.NewRandom();
        var attrs = new List<(ushort, byte[])>();
        extra?.Invoke(attrs);
        var body = new List<byte>();
        foreach (var (t, v) in attrs)
        {
            body.AddRange([(byte)(t >> 8), (byte)t, (byte)(v.Length >> 8), (byte)v.Length]);
            body.AddRange(v);
            while (body.Count % 4 != 0) body.Add(0);
        }
        int total = 20 + body.Count + (fingerprint ? 8 : 0);
        var bytes = new byte[total];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, type);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)(total - 20));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), StunMessage.MagicCookie);
        tid.Write(bytes.AsSpan(8));
        body.CopyTo(bytes, 20);
        if (fingerprint)
        {
            int at = 20 + body.Count;
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), 0x80280004);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 4), Crc32.Compute(bytes.AsSpan(0, at)) ^ 0x5354554Eu);
        }
        return bytes;
    }

    private static (StunResponderOutcome Outcome, StunMessage? Response) Answer(byte[] request, IPEndPoint? from = null, StunResponder? responder = null)
    {
        responder ??= new StunResponder();
        var buffer = new byte[responder.MaxResponseSize];
        var outcome = responder.Respond(request, from ?? From, buffer, out int written);
        Assert.Equal(written > 0, responder.TryRespond(request, from ?? From, buffer, out _));
        if (written == 0) return (outcome, null);
        Assert.True(StunMessage.TryRead(buffer.AsSpan(0, written), out var response));
        Assert.Equal(StunTransactionId.Read(request.AsSpan(8)), response.TransactionId);
        Assert.Equal(StunMethod.Binding, response.Method);
        Assert.True(response.Fingerprint);
        Assert.Equal("woven", response.Software);
        return (outcome, response);
    }

    [Fact]
    public void A_binding_request_gets_the_senders_address()
    {
        var (outcome, r) = Answer(Request());
        Assert.Equal(StunResponderOutcome.Success, outcome);
        Assert.Equal(StunClass.SuccessResponse, r!.Class);
        Assert.Equal(From, r.XorMappedAddress);
        Assert.Equal(From, r.MappedAddress);
        Assert.Null(r.ResponseOrigin);
        Assert.Null(r.OtherAddress);
        Assert.Empty(r.UnknownComprehensionRequired);
    }

    [Fact]
    public void Request_with_software_and_fingerprint_is_answered()
    {
        var request = new StunMessage { Class = StunClass.Request, TransactionId = StunTransactionId.NewRandom(), Software = "other", Fingerprint = true }.ToArray();
        Assert.Equal(StunResponderOutcome.Success, Answer(request).Outcome);
    }

    [Fact]
    public void Ipv6_and_ipv4_mapped_senders_are_reported_in_their_own_family()
    {
        var v6 = IPEndPoint.Parse("[2001:db8::42]:7000");
        Assert.Equal(v6, Answer(Request(), v6).Response!.XorMappedAddress);
        var mapped = new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.44"), 7001);
        var r = Answer(Request(), mapped).Response!;
        Assert.Equal(IPEndPoint.Parse("192.0.2.44:7001"), r.XorMappedAddress);
        Assert.Equal(IPEndPoint.Parse("192.0.2.44:7001"), r.MappedAddress);
    }

    [Fact]
    public void Response_origin_is_included_when_configured()
    {
        var origin = IPEndPoint.Parse("198.51.100.1:4500");
        var r = Answer(Request(), responder: new StunResponder(responseOrigin: origin)).Response!;
        Assert.Equal(origin, r.ResponseOrigin);
    }

    [Fact]
    public void Unknown_comprehension_required_attributes_get_420_with_the_list()
    {
        var request = Request(a =>
        {
            a.Add((0x0055, [1, 2, 3, 4]));
            a.Add((0x8055, [1]));             // optional: ignored
            a.Add((0x7FFF, []));
            a.Add((0x0055, [5]));             // listed once
        }, fingerprint: true);
        var (outcome, r) = Answer(request);
        Assert.Equal(StunResponderOutcome.UnknownAttribute, outcome);
        Assert.Equal(StunClass.ErrorResponse, r!.Class);
        Assert.Equal(new StunError(420, "Unknown Attribute"), r.Error);
        Assert.Equal(new ushort[] { 0x0055, 0x7FFF }, r.UnknownAttributes);
        Assert.Null(r.XorMappedAddress);
    }

    [Fact]
    public void Unknown_comprehension_optional_attributes_are_ignored()
    {
        Assert.Equal(StunResponderOutcome.Success, Answer(Request(a => a.Add((0xC001, [9, 9, 9])))).Outcome);
    }

    [Theory]
    [InlineData(StunAttributeType.ChangeRequest, new byte[] { 0, 0, 0, 6 })]
    [InlineData(StunAttributeType.ChangeRequest, new byte[] { 0, 0, 0, 0 })]
    [InlineData(StunAttributeType.ResponsePort, new byte[] { 0x0D, 0x96, 0, 0 })]
    [InlineData(StunAttributeType.Padding, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 })]
    public void Behaviour_discovery_requests_get_420_from_a_single_address_responder(ushort type, byte[] value)
    {
        // RFC 5780 §6: without an alternate address, any CHANGE-REQUEST gets 420; RESPONSE-PORT and PADDING are optional.
        var (outcome, r) = Answer(Request(a => a.Add((type, value))));
        Assert.Equal(StunResponderOutcome.UnknownAttribute, outcome);
        Assert.Equal(new ushort[] { type }, r!.UnknownAttributes);
    }

    [Fact]
    public void The_rfc5769_sample_request_gets_420_for_ice_priority()
    {
        var (outcome, r) = Answer(Rfc5769.Request);
        Assert.Equal(StunResponderOutcome.UnknownAttribute, outcome);
        Assert.Equal(new ushort[] { 0x0024 }, r!.UnknownAttributes);
    }

    [Fact]
    public void The_rfc5769_long_term_request_is_answered_as_unauthenticated()
    {
        var (outcome, r) = Answer(Rfc5769.RequestLongTerm);
        Assert.Equal(StunResponderOutcome.Success, outcome);
        Assert.Equal(From, r!.XorMappedAddress);
    }

    [Theory]
    [InlineData(StunAttributeType.Software, new byte[] { 0xFF })]
    [InlineData(StunAttributeType.XorMappedAddress, new byte[] { 0, 9, 0, 1, 1, 2, 3, 4 })]
    [InlineData(StunAttributeType.ErrorCode, new byte[] { 0, 0, 9, 0 })]
    [InlineData(StunAttributeType.UnknownAttributes, new byte[] { 0 })]
    public void Invalid_attribute_values_get_400(ushort type, byte[] value)
    {
        var (outcome, r) = Answer(Request(a => a.Add((type, value))));
        Assert.Equal(StunResponderOutcome.BadRequest, outcome);
        Assert.Equal(new StunError(400, "Bad Request"), r!.Error);
    }

    [Fact]
    public void Unknown_attributes_are_reported_before_bad_values()
    {
        var (outcome, _) = Answer(Request(a =>
        {
            a.Add((StunAttributeType.Software, [0xFF]));
            a.Add((0x0055, [1]));
        }));
        Assert.Equal(StunResponderOutcome.UnknownAttribute, outcome);
    }

    [Fact]
    public void At_most_32_unknown_attributes_are_listed()
    {
        var (outcome, r) = Answer(Request(a =>
        {
            for (int i = 0; i < 40; i++) a.Add(((ushort)(0x4000 + i), []));
        }));
        Assert.Equal(StunResponderOutcome.UnknownAttribute, outcome);
        Assert.Equal(32, r!.UnknownAttributes!.Length);
    }

    [Fact]
    public void Responses_indications_and_other_methods_get_nothing()
    {
        var success = new StunMessage { Class = StunClass.SuccessResponse, TransactionId = StunTransactionId.NewRandom(), XorMappedAddress = From }.ToArray();
        Assert.Equal(StunResponderOutcome.Ignored, Answer(success).Outcome);
        Assert.Equal(StunResponderOutcome.Ignored, Answer(Rfc5769.ResponseIPv4).Outcome);
        var error = new StunMessage { Class = StunClass.ErrorResponse, TransactionId = StunTransactionId.NewRandom(), Error = new StunError(420, "x") }.ToArray();
        Assert.Equal(StunResponderOutcome.Ignored, Answer(error).Outcome);
        Assert.Equal(StunResponderOutcome.Ignored, Answer(Request(type: 0x0011)).Outcome); // Binding indication (keepalive)
        Assert.Equal(StunResponderOutcome.Ignored, Answer(Request(type: 0x0003)).Outcome); // TURN Allocate request
    }

    [Fact]
    public void Garbage_and_overlay_datagrams_get_nothing()
    {
        Assert.Equal(StunResponderOutcome.NotStun, Answer([]).Outcome);
        Assert.Equal(StunResponderOutcome.NotStun, Answer([0x00, 0x01]).Outcome);
        Assert.Equal(StunResponderOutcome.NotStun, Answer(new byte[20]).Outcome);
        var ping = new byte[64];
        Assert.True(new AddressedMessage(MessageType.Ping, default, 7).TryWrite(ping, out int n));
        Assert.Equal(StunResponderOutcome.NotStun, Answer(ping[..n]).Outcome);
        var random = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            var junk = new byte[random.Next(0, 200)];
            random.NextBytes(junk);
            Assert.Contains(Answer(junk).Outcome, new[] { StunResponderOutcome.NotStun, StunResponderOutcome.Ignored, StunResponderOutcome.Malformed });
        }
    }

    [Fact]
    public void Malformed_requests_and_bad_fingerprints_get_nothing()
    {
        var request = Request(a => a.Add((StunAttributeType.Software, "abc"u8.ToArray())), fingerprint: true);
        var badFingerprint = (byte[])request.Clone();
        badFingerprint[^1] ^= 0xFF;
        Assert.Equal(StunResponderOutcome.Malformed, Answer(badFingerprint).Outcome);
        var overrun = (byte[])request.Clone();
        overrun[23] = 0x40; // SOFTWARE claims 64 bytes
        Assert.Equal(StunResponderOutcome.Malformed, Answer(overrun).Outcome);
        Assert.Equal(StunResponderOutcome.Malformed, Answer([.. request, 0, 0, 0, 0]).Outcome);
    }

    [Fact]
    public void A_short_buffer_is_reported_not_overrun()
    {
        var responder = new StunResponder();
        var request = Request();
        var buffer = new byte[40];
        Assert.Equal(StunResponderOutcome.BufferTooSmall, responder.Respond(request, From, buffer, out int written));
        Assert.Equal(0, written);
        Assert.False(responder.TryRespond(request, From, buffer, out _));
        // The advertised maximum is enough for the largest answers.
        Assert.Equal(136, responder.MaxResponseSize);
        var big = new byte[responder.MaxResponseSize];
        Assert.Equal(StunResponderOutcome.Success, responder.Respond(request, IPEndPoint.Parse("[2001:db8::1]:1"), big, out _));
        var many = Request(a => { for (int i = 0; i < 40; i++) a.Add(((ushort)(0x4000 + i), [])); });
        Assert.Equal(StunResponderOutcome.UnknownAttribute, responder.Respond(many, From, big, out int n));
        Assert.True(n <= responder.MaxResponseSize);
    }

    [Fact]
    public void Software_can_be_omitted_and_is_validated()
    {
        var responder = new StunResponder(software: null);
        var buffer = new byte[responder.MaxResponseSize];
        Assert.Equal(StunResponderOutcome.Success, responder.Respond(Request(), From, buffer, out int n));
        Assert.True(StunMessage.TryRead(buffer.AsSpan(0, n), out var r));
        Assert.Null(r.Software);
        Assert.Throws<ArgumentException>(() => new StunResponder(new string('x', 200)));
    }

    [Fact]
    public void Answering_allocates_nothing()
    {
        var responder = new StunResponder(responseOrigin: IPEndPoint.Parse("192.0.2.1:1"));
        var buffer = new byte[responder.MaxResponseSize];
        var ok = Request(fingerprint: true);
        var unknown = Request(a => a.Add((0x0055, [1])));
        var v6 = IPEndPoint.Parse("[2001:db8::1]:2");
        for (int i = 0; i < 100; i++) // warm up (JIT, statics)
        {
            responder.Respond(ok, From, buffer, out _);
            responder.Respond(unknown, v6, buffer, out _);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            responder.Respond(ok, From, buffer, out _);
            responder.Respond(unknown, v6, buffer, out _);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

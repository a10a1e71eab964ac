using System.Net;
using Woven.Nat;

namespace Woven.Sim.Fuzzing;

/// <summary>
/// STUN (src/Woven.Core/Nat): the strict decoder, and the responder that every node runs on its overlay port. Seeds
/// are requests, responses and indications, with and without FINGERPRINT (a mutation nearly always breaks the CRC,
/// so seeds without it let mutations reach the attributes).
/// </summary>
internal static class StunTargets
{
    public const int MaxInput = 1024;

    public static IEnumerable<FuzzTarget> Create(Random rng)
    {
        var seeds = Seeds(rng);
        yield return new DecoderTarget("stun.read", "stun", "StunMessage.Read (and TryRead) on requests, responses and indications", seeds,
            input => StunMessage.Read(input, out _) == StunReadStatus.Ok, MaxInput);

        var responder = new StunResponder(StunResponder.DefaultSoftware, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 3478));
        var response = new byte[responder.MaxResponseSize];
        var fromV4 = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 40000);
        var fromV6 = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 40001);
        bool v6 = false;
        yield return new DecoderTarget("stun.respond", "stun", "StunResponder.Respond (a node's STUN server), answers checked to decode", seeds,
            input =>
            {
                v6 = !v6;
                var outcome = responder.Respond(input, v6 ? fromV6 : fromV4, response, out int n);
                if (outcome == StunResponderOutcome.BufferTooSmall)
                    throw new FuzzViolationException($"a response did not fit in MaxResponseSize ({responder.MaxResponseSize} bytes)");
                bool answered = outcome is StunResponderOutcome.Success or StunResponderOutcome.UnknownAttribute or StunResponderOutcome.BadRequest;
                if (answered && StunMessage.Read(response.AsSpan(0, n), out _) is var status && status != StunReadStatus.Ok)
                    throw new FuzzViolationException($"the responder wrote a response ({outcome}) that does not decode ({status}): {Convert.ToHexStringLower(response.AsSpan(0, n))}");
                return answered;
            }, MaxInput);
    }

    private static List<byte[]> Seeds(Random rng)
    {
        var seeds = new List<byte[]>();
        var v4 = new IPEndPoint(IPAddress.Parse("203.0.113.9"), 54321);
        var v6 = new IPEndPoint(IPAddress.Parse("2001:db8:1::9"), 3479);
        foreach (bool fingerprint in new[] { false, true })
        {
            seeds.Add(Build(rng, StunClass.Request, fingerprint, (ref StunBuilder b) => { }));
            seeds.Add(Build(rng, StunClass.Request, fingerprint, (ref StunBuilder b) => b.Text(StunAttributeType.Software, "fuzz client 1.0")));
            seeds.Add(Build(rng, StunClass.Request, fingerprint, (ref StunBuilder b) => b.U32(StunAttributeType.ChangeRequest, (uint)(StunChangeRequest.ChangeIp | StunChangeRequest.ChangePort))));
            seeds.Add(Build(rng, StunClass.Request, fingerprint, (ref StunBuilder b) => b.U32(StunAttributeType.ResponsePort, 40002u << 16)));
            // An unknown comprehension-required attribute (420) and an unknown optional one (ignored).
            seeds.Add(Build(rng, StunClass.Request, fingerprint, (ref StunBuilder b) =>
            {
                b.Bytes(0x0024, [0x6E, 0x00, 0x01, 0xFF]);
                b.Bytes(0x8029, [1, 2, 3, 4, 5, 6, 7, 8]);
            }));
            // MESSAGE-INTEGRITY: what follows it (but FINGERPRINT) is ignored.
            seeds.Add(Build(rng, StunClass.Request, fingerprint, (ref StunBuilder b) =>
            {
                b.Bytes(StunAttributeType.Username, "user:fuzz"u8);
                b.Bytes(StunAttributeType.MessageIntegrity, new byte[20]);
                b.Text(StunAttributeType.Software, "after integrity");
            }));
            seeds.Add(Build(rng, StunClass.SuccessResponse, fingerprint, (ref StunBuilder b) =>
            {
                b.Address(StunAttributeType.XorMappedAddress, v4, xor: true);
                b.Address(StunAttributeType.MappedAddress, v4, xor: false);
                b.Text(StunAttributeType.Software, "woven");
            }));
            seeds.Add(Build(rng, StunClass.SuccessResponse, fingerprint, (ref StunBuilder b) =>
            {
                b.Address(StunAttributeType.XorMappedAddress, v6, xor: true);
                b.Address(StunAttributeType.ResponseOrigin, v4, xor: false);
                b.Address(StunAttributeType.OtherAddress, v6, xor: false);
            }));
            seeds.Add(Build(rng, StunClass.ErrorResponse, fingerprint, (ref StunBuilder b) =>
            {
                b.ErrorCode(StunError.UnknownAttribute, "Unknown Attribute");
                b.TypeList(StunAttributeType.UnknownAttributes, [StunAttributeType.ChangeRequest, StunAttributeType.ResponsePort]);
            }));
            seeds.Add(Build(rng, StunClass.ErrorResponse, fingerprint, (ref StunBuilder b) => b.ErrorCode(StunError.BadRequest, "Bad Request ✓")));
            seeds.Add(Build(rng, StunClass.Indication, fingerprint, (ref StunBuilder b) => { }));
        }
        // Encoded by the public encoder too.
        seeds.Add(new StunMessage { Class = StunClass.Request, TransactionId = StunTransactionId.NewFrom(rng), Software = "x", Fingerprint = true }.ToArray());
        return seeds;
    }

    private delegate void Attributes(ref StunBuilder builder);

    private static byte[] Build(Random rng, StunClass cls, bool fingerprint, Attributes attributes)
    {
        var buffer = new byte[512];
        var b = new StunBuilder(buffer, StunMessageType.Compose(StunMethod.Binding, cls), StunTransactionId.NewFrom(rng));
        attributes(ref b);
        if (!b.Finish(fingerprint, out int n)) throw new InvalidOperationException("a STUN seed did not encode");
        return buffer[..n];
    }
}

using Woven.Addressing;
using Woven.Messaging;

namespace Woven.Sim.Fuzzing;

/// <summary>
/// Peer messaging (src/Woven.Core/Messaging): the frame decoders every node runs on routed Message payloads (data,
/// acknowledgement, presence beacon). Accepted input must re-encode to exactly the same bytes.
/// </summary>
internal static class MessagingTargets
{
    public const int MaxInput = MessageFrame.MaxSize + 64;

    public static IEnumerable<FuzzTarget> Create(Random rng)
    {
        var buffer = new byte[MaxInput];
        var data = new byte[300];
        rng.NextBytes(data);
        var valid = new List<byte[]>();
        void Add(bool ok, int n)
        {
            if (!ok) throw new InvalidOperationException("a corpus frame did not encode");
            valid.Add(buffer.AsSpan(0, n).ToArray());
        }
        Add(new DataFrame(11, 0, 0, MessageKind.Message, 0, 0, 1, "chat"u8, data).TryWrite(buffer, out int n1), n1);
        Add(new DataFrame(12, 13, 7, MessageKind.Request, 5, 2, 9, "rpc/échange"u8, data.AsSpan(0, 10)).TryWrite(buffer, out int n2), n2);
        Add(new DataFrame(14, 15, uint.MaxValue, MessageKind.Response, 6, 0, 1, "r"u8, []).TryWrite(buffer, out int n3), n3);
        Add(new AckFrame(16, 17, 100, ((UInt128)0xF0F0UL << 64) | 0x8001UL).TryWrite(buffer, out int n4), n4);
        Add(new PresenceBeacon(18, false, "alpha", [new PresenceGossip(RingAddress.Random(rng), true, 1500, "beta"), new PresenceGossip(RingAddress.Random(rng), false, 90_000, "")]).TryWrite(buffer, out int n5), n5);
        Add(new PresenceBeacon(19, true, "", []).TryWrite(buffer, out int n6), n6);

        yield return new DecoderTarget("msg.frame", "msg", "DataFrame, AckFrame and PresenceBeacon TryRead by kind; accepted input re-encodes to itself", valid,
            input =>
            {
                int n;
                switch (MessageFrame.KindOf(input))
                {
                    case MessageFrameKind.Data:
                        if (!DataFrame.TryRead(input, out var d)) return false;
                        if (!d.TryWrite(buffer, out n)) throw new FuzzViolationException("an accepted data frame does not encode");
                        break;
                    case MessageFrameKind.Ack:
                        if (!AckFrame.TryRead(input, out var a)) return false;
                        if (!a.TryWrite(buffer, out n)) throw new FuzzViolationException("an accepted ack does not encode");
                        break;
                    case MessageFrameKind.Beacon:
                        if (!PresenceBeacon.TryRead(input, out var b)) return false;
                        if (!b!.TryWrite(buffer, out n)) throw new FuzzViolationException("an accepted beacon does not encode");
                        break;
                    default:
                        return false;
                }
                if (!buffer.AsSpan(0, n).SequenceEqual(input)) throw new FuzzViolationException($"an accepted frame does not re-encode to its input: {Convert.ToHexStringLower(input)}");
                return true;
            }, MaxInput);
    }
}

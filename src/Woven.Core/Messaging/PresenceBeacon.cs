using System.Text;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Messaging;

/// <summary>
/// A presence beacon. After the common header (flags: 1 when the sender is leaving; receiver epoch 0): name length
/// (1), the sender's name, gossip count (1), then per entry: ring address (20), state (1: 1 online, 2 offline), age of
/// the sender's last news of that member in milliseconds (4), name length (1), name.
/// </summary>
public sealed record PresenceBeacon(ulong SenderEpoch, bool Leaving, string Name, IReadOnlyList<PresenceGossip> Gossip)
{
    public const byte LeavingFlag = 0x01;
    private const byte Online = 1, Offline = 2;

    public const int FixedSize = MessageFrame.HeaderSize + 1 + 1;

    public static int EntrySize(string name) => RingAddress.Size + 1 + 4 + 1 + Encoding.UTF8.GetByteCount(name);

    public int Size => FixedSize + Encoding.UTF8.GetByteCount(Name) + Gossip.Sum(g => EntrySize(g.Name));

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (Gossip.Count > byte.MaxValue || Size > MessageFrame.MaxSize) return false;
        var w = new SpanWriter(destination);
        MessageFrame.WriteHeader(ref w, MessageFrameKind.Beacon, Leaving ? LeavingFlag : (byte)0, SenderEpoch, 0);
        if (!WriteName(ref w, Name)) return false;
        w.U8((byte)Gossip.Count);
        foreach (var g in Gossip)
        {
            w.Address(g.Address);
            w.U8(g.Online ? Online : Offline);
            w.U32(g.AgeMs);
            if (!WriteName(ref w, g.Name)) return false;
        }
        written = w.Position;
        return w.Ok;
    }

    private static bool WriteName(ref SpanWriter w, string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length > MessageFrame.MaxNameBytes) return false;
        w.U8((byte)bytes.Length);
        w.Bytes(bytes);
        return true;
    }

    public static bool TryRead(ReadOnlySpan<byte> frame, out PresenceBeacon? result)
    {
        result = null;
        if (frame.Length > MessageFrame.MaxSize) return false;
        var r = new SpanReader(frame);
        if (!MessageFrame.ReadHeader(ref r, MessageFrameKind.Beacon, out byte flags, out ulong senderEpoch, out ulong receiverEpoch)) return false;
        if ((flags & ~LeavingFlag) != 0 || receiverEpoch != 0) return false;
        var name = ReadName(ref r);
        int count = r.U8();
        if (name is null || !r.Ok) return false;
        // Checked against what remains before anything is allocated for the entries.
        if (count * (RingAddress.Size + 6) > r.Remaining) return false;
        var gossip = new List<PresenceGossip>(count);
        for (int i = 0; i < count; i++)
        {
            var address = r.Address();
            byte state = r.U8();
            uint age = r.U32();
            var gossipName = ReadName(ref r);
            if (!r.Ok || gossipName is null || state is not (Online or Offline)) return false;
            gossip.Add(new PresenceGossip(address, state == Online, age, gossipName));
        }
        if (!r.AtEnd) return false;
        result = new PresenceBeacon(senderEpoch, (flags & LeavingFlag) != 0, name, gossip);
        return true;
    }

    private static string? ReadName(ref SpanReader r)
    {
        int length = r.U8();
        var bytes = r.Bytes(length);
        if (!r.Ok || length > MessageFrame.MaxNameBytes) return null;
        return MessageFrame.Text(bytes);
    }
}

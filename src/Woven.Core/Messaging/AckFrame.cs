using Woven.Wire;

namespace Woven.Messaging;

/// <summary>
/// Acknowledges data frames. After the common header (flags 0): the next sequence number expected (4; every frame
/// below it arrived), then a 128-bit map (16 bytes): bit i, most significant bit of byte 0 first, set when frame
/// <c>next + 1 + i</c> arrived.
/// </summary>
public readonly record struct AckFrame(ulong SenderEpoch, ulong ReceiverEpoch, uint Next, UInt128 Selective)
{
    public const int Size = MessageFrame.HeaderSize + 4 + 16;

    /// <summary>Frames after the cumulative point that the map covers.</summary>
    public const int MapBits = 128;

    public bool Has(uint sequence)
    {
        uint offset = sequence - Next - 1;
        return offset < MapBits && ((Selective >> (int)offset) & UInt128.One) != UInt128.Zero;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        var w = new SpanWriter(destination);
        MessageFrame.WriteHeader(ref w, MessageFrameKind.Ack, 0, SenderEpoch, ReceiverEpoch);
        w.U32(Next);
        // Bit i of the map is bit i of the integer; on the wire, bit 0 is the top bit of the first byte.
        UInt128 reversed = UInt128.Zero;
        for (int i = 0; i < MapBits; i++)
        {
            if (((Selective >> i) & UInt128.One) != UInt128.Zero) reversed |= UInt128.One << (MapBits - 1 - i);
        }
        w.U64((ulong)(reversed >> 64));
        w.U64((ulong)reversed);
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> frame, out AckFrame result)
    {
        result = default;
        var r = new SpanReader(frame);
        if (!MessageFrame.ReadHeader(ref r, MessageFrameKind.Ack, out byte flags, out ulong senderEpoch, out ulong receiverEpoch)) return false;
        uint next = r.U32();
        ulong hi = r.U64(), lo = r.U64();
        if (!r.AtEnd || flags != 0) return false;
        UInt128 wire = ((UInt128)hi << 64) | lo, map = UInt128.Zero;
        for (int i = 0; i < MapBits; i++)
        {
            if (((wire >> (MapBits - 1 - i)) & UInt128.One) != UInt128.Zero) map |= UInt128.One << i;
        }
        result = new AckFrame(senderEpoch, receiverEpoch, next, map);
        return true;
    }
}

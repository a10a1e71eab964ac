using System.Text;
using Woven.Wire;

namespace Woven.Messaging;

/// <summary>
/// One fragment of a message. After the common header (flags: the <see cref="MessageKind"/> in the low two bits, and
/// 0x80 "acknowledge now", set on the last frame the sender has to send for the moment): sequence number (4),
/// request id (4; 0 for a one-way message), fragment index (2), fragment count (2), topic length (1), topic, data
/// (the rest of the frame). The data is a slice of the frame it was read from.
/// </summary>
public readonly ref struct DataFrame
{
    public const int FixedSize = MessageFrame.HeaderSize + 4 + 4 + 2 + 2 + 1;

    /// <summary>Flag: the sender has nothing more to send now, so the receiver should not delay its acknowledgement.</summary>
    public const byte AckNowFlag = 0x80;

    /// <summary>More fragments than a message of <see cref="MessageService.MaxMessageSize"/> ever needs.</summary>
    public const int MaxFragments = 1024;

    public DataFrame(ulong senderEpoch, ulong receiverEpoch, uint sequence, MessageKind kind, uint requestId, ushort fragmentIndex,
        ushort fragmentCount, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> data, bool ackNow = false)
    {
        AckNow = ackNow;
        SenderEpoch = senderEpoch;
        ReceiverEpoch = receiverEpoch;
        Sequence = sequence;
        Kind = kind;
        RequestId = requestId;
        FragmentIndex = fragmentIndex;
        FragmentCount = fragmentCount;
        Topic = topic;
        Data = data;
    }

    public bool AckNow { get; }
    public ulong SenderEpoch { get; }
    public ulong ReceiverEpoch { get; }
    public uint Sequence { get; }
    public MessageKind Kind { get; }
    public uint RequestId { get; }
    public ushort FragmentIndex { get; }
    public ushort FragmentCount { get; }
    public ReadOnlySpan<byte> Topic { get; }
    public ReadOnlySpan<byte> Data { get; }

    public int Size => FixedSize + Topic.Length + Data.Length;

    /// <summary>The most data a fragment on <paramref name="topicBytes"/> carries.</summary>
    public static int MaxData(int topicBytes) => MessageFrame.MaxSize - FixedSize - topicBytes;

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (Size > MessageFrame.MaxSize || Topic.Length is < 1 or > MessageFrame.MaxTopicBytes) return false;
        var w = new SpanWriter(destination);
        MessageFrame.WriteHeader(ref w, MessageFrameKind.Data, (byte)((byte)Kind | (AckNow ? AckNowFlag : 0)), SenderEpoch, ReceiverEpoch);
        w.U32(Sequence);
        w.U32(RequestId);
        w.U16(FragmentIndex);
        w.U16(FragmentCount);
        w.U8((byte)Topic.Length);
        w.Bytes(Topic);
        w.Bytes(Data);
        written = w.Position;
        return w.Ok;
    }

    /// <summary>Reads and checks a data frame: a known kind, a request id exactly when the kind needs one, an index below a count of at most <see cref="MaxFragments"/>, a valid topic.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out DataFrame result)
    {
        result = default;
        if (frame.Length > MessageFrame.MaxSize) return false;
        var r = new SpanReader(frame);
        if (!MessageFrame.ReadHeader(ref r, MessageFrameKind.Data, out byte flags, out ulong senderEpoch, out ulong receiverEpoch)) return false;
        uint seq = r.U32();
        uint requestId = r.U32();
        ushort index = r.U16();
        ushort count = r.U16();
        int topicLength = r.U8();
        var topic = r.Bytes(topicLength);
        if (!r.Ok) return false;
        var kind = (MessageKind)(flags & ~AckNowFlag);
        if (!Enum.IsDefined(kind) || (kind == MessageKind.Message) != (requestId == 0)) return false;
        if (count is 0 or > MaxFragments || index >= count) return false;
        if (topicLength is < 1 or > MessageFrame.MaxTopicBytes || MessageFrame.Text(topic) is null) return false;
        result = new DataFrame(senderEpoch, receiverEpoch, seq, kind, requestId, index, count, topic, frame[(FixedSize + topicLength)..], (flags & AckNowFlag) != 0);
        return true;
    }

    public string TopicText => Encoding.UTF8.GetString(Topic);
}

using System.Text;
using Woven.Overlay;
using Woven.Wire;

namespace Woven.Messaging;

/// <summary>
/// Sizes and the common header of the messaging frames. Every frame starts with kind (1), flags (1), the sender's
/// epoch (8) and the epoch of the receiver as the sender knows it (8; 0 when it does not know it yet), big-endian.
/// See docs/protocol.md, "Peer messaging".
/// </summary>
public static class MessageFrame
{
    public const int HeaderSize = 18;

    /// <summary>The largest frame: what <see cref="OverlayNode.SendSecure"/> carries in one datagram, relayed links included.</summary>
    public const int MaxSize = Tunnel.MaxInner - Routed.HeaderSize - Envelope.HeaderSize - Sealed.HeaderSize - Sealed.TagSize;

    /// <summary>Topics are 1 to 64 bytes of UTF-8 without control characters.</summary>
    public const int MaxTopicBytes = 64;

    /// <summary>Node names in presence beacons: at most 63 bytes of UTF-8 (a DNS label's length).</summary>
    public const int MaxNameBytes = 63;

    /// <summary>The kind of a frame, or null when it is too short or of no known kind.</summary>
    public static MessageFrameKind? KindOf(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < HeaderSize) return null;
        var kind = (MessageFrameKind)frame[0];
        return Enum.IsDefined(kind) ? kind : null;
    }

    internal static void WriteHeader(ref SpanWriter w, MessageFrameKind kind, byte flags, ulong senderEpoch, ulong receiverEpoch)
    {
        w.U8((byte)kind);
        w.U8(flags);
        w.U64(senderEpoch);
        w.U64(receiverEpoch);
    }

    internal static bool ReadHeader(ref SpanReader r, MessageFrameKind kind, out byte flags, out ulong senderEpoch, out ulong receiverEpoch)
    {
        byte k = r.U8();
        flags = r.U8();
        senderEpoch = r.U64();
        receiverEpoch = r.U64();
        return r.Ok && k == (byte)kind && senderEpoch != 0;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Whether <paramref name="topic"/> may be used: 1 to 64 bytes of UTF-8, no control characters.</summary>
    public static bool IsValidTopic(string topic, out string? error)
    {
        error = null;
        int bytes = Encoding.UTF8.GetByteCount(topic);
        if (bytes is < 1 or > MaxTopicBytes) error = $"a topic is 1 to {MaxTopicBytes} bytes of UTF-8 (got {bytes})";
        else if (topic.Any(char.IsControl)) error = "a topic has no control characters";
        return error is null;
    }

    /// <summary>Decodes text of a frame (a topic or name): valid UTF-8 without control characters, else null.</summary>
    internal static string? Text(ReadOnlySpan<byte> bytes)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        foreach (char c in text)
        {
            if (char.IsControl(c)) return null;
        }
        return text;
    }
}

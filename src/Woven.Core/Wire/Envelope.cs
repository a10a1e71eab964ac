namespace Woven.Wire;

/// <summary>
/// The two-byte header in front of every overlay datagram: <c>0xD0 | version</c>, then the
/// <see cref="MessageType"/>. The high nibble 0xD keeps overlay traffic apart from STUN
/// (first byte 0x00–0x03, RFC 7983) on the same UDP port.
/// </summary>
public static class Envelope
{
    public const byte Magic = 0xD0;
    public const byte Version = 1;
    public const int HeaderSize = 2;

    /// <summary>1500-byte path minus IPv4 (20) and UDP (8) headers.</summary>
    public const int MaxDatagramSize = 1472;

    public static byte FirstByte => Magic | Version;

    public static void WriteHeader(ref SpanWriter writer, MessageType type)
    {
        writer.U8(FirstByte);
        writer.U8((byte)type);
    }

    /// <summary>Classifies the header of a datagram; on success <paramref name="type"/> is a known type.</summary>
    public static DropReason Classify(ReadOnlySpan<byte> datagram, out MessageType type)
    {
        type = default;
        if (datagram.Length > MaxDatagramSize) return DropReason.Oversize;
        if (datagram.Length < HeaderSize) return DropReason.TooShort;
        if ((datagram[0] & 0xF0) != Magic) return DropReason.BadMagic;
        if ((datagram[0] & 0x0F) != Version) return DropReason.WrongVersion;
        type = (MessageType)datagram[1];
        return Enum.IsDefined(type) ? DropReason.None : DropReason.UnknownType;
    }
}

namespace Woven.Nat;

/// <summary>STUN methods (12 bits). Woven uses only Binding.</summary>
public enum StunMethod : ushort
{
    Binding = 0x001,
}

/// <summary>The two class bits of a STUN message type.</summary>
public enum StunClass : byte
{
    Request = 0,
    Indication = 1,
    SuccessResponse = 2,
    ErrorResponse = 3,
}

/// <summary>
/// The 14-bit message type: method bits M0–M11 interleaved with class bits C0 (bit 4) and C1 (bit 8),
/// RFC 8489 §5: <c>M11..M7 C1 M6..M4 C0 M3..M0</c>. Binding request 0x0001, success 0x0101, error 0x0111.
/// </summary>
public static class StunMessageType
{
    public const int MaxMethod = 0xFFF;

    public static ushort Compose(StunMethod method, StunClass cls)
    {
        int m = (int)method & MaxMethod;
        int c = (int)cls & 3;
        return (ushort)((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
    }

    public static StunMethod Method(ushort type) =>
        (StunMethod)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));

    public static StunClass Class(ushort type) => (StunClass)(((type & 0x0010) >> 4) | ((type & 0x0100) >> 7));
}

/// <summary>The flags of RFC 5780's CHANGE-REQUEST attribute (bits A and B of its 32-bit value).</summary>
[Flags]
public enum StunChangeRequest : uint
{
    None = 0,
    ChangePort = 0x2,
    ChangeIp = 0x4,
}

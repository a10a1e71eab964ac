namespace Woven.Nat;

/// <summary>
/// STUN attribute types (IANA "STUN Attributes" registry). Types 0x0000–0x7FFF are comprehension-required:
/// an agent that does not understand one cannot process the message. Types 0x8000–0xFFFF are
/// comprehension-optional and are skipped when not understood.
/// </summary>
public static class StunAttributeType
{
    // RFC 8489
    public const ushort MappedAddress = 0x0001;
    public const ushort Username = 0x0006;
    public const ushort MessageIntegrity = 0x0008;
    public const ushort ErrorCode = 0x0009;
    public const ushort UnknownAttributes = 0x000A;
    public const ushort Realm = 0x0014;
    public const ushort Nonce = 0x0015;
    public const ushort MessageIntegritySha256 = 0x001C;
    public const ushort PasswordAlgorithm = 0x001D;
    public const ushort UserHash = 0x001E;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort PasswordAlgorithms = 0x8002;
    public const ushort AlternateDomain = 0x8003;
    public const ushort Software = 0x8022;
    public const ushort AlternateServer = 0x8023;
    public const ushort Fingerprint = 0x8028;

    // RFC 5780
    public const ushort ChangeRequest = 0x0003;
    public const ushort Padding = 0x0026;
    public const ushort ResponsePort = 0x0027;
    public const ushort CacheTimeout = 0x8027;
    public const ushort ResponseOrigin = 0x802B;
    public const ushort OtherAddress = 0x802C;

    public static bool IsComprehensionRequired(ushort type) => type < 0x8000;

    /// <summary>
    /// Whether the codec knows the type. Only known types are decoded (or deliberately ignored, like the
    /// credential attributes: Woven uses no STUN credential mechanism, so they are processed as in an
    /// unauthenticated usage). An unknown comprehension-required type makes a request fail with 420.
    /// </summary>
    public static bool IsKnown(ushort type) => type switch
    {
        MappedAddress or Username or MessageIntegrity or ErrorCode or UnknownAttributes or Realm or Nonce
            or MessageIntegritySha256 or PasswordAlgorithm or UserHash or XorMappedAddress
            or ChangeRequest or Padding or ResponsePort => true,
        _ => !IsComprehensionRequired(type),
    };
}

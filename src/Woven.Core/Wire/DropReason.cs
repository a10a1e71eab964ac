namespace Woven.Wire;

/// <summary>Why an incoming datagram was dropped. Each reason has its own counter.</summary>
public enum DropReason
{
    None = 0,
    TooShort,
    Oversize,
    BadMagic,
    WrongVersion,
    UnknownType,
    Malformed,
    UnknownPeer,
    SelfAddressed,
    HopLimit,
    Unreachable,
    TableFull,
    /// <summary>Too large to be carried through a relay.</summary>
    TooBig,
    /// <summary>Looked like STUN (first byte 0x00-0x3F) but was not a Binding request this node answers.</summary>
    NotStunRequest,
    /// <summary>Failed authentication: a forged, tampered or replayed sealed datagram, a handshake message that did not decrypt, a key that does not match.</summary>
    Unauthentic,
    /// <summary>A link message that must arrive sealed came in the clear.</summary>
    Unauthenticated,
    /// <summary>The peer proved its key but the domain does not admit it (no, foreign, expired, revoked or mismatched certificate).</summary>
    NotMember,
    /// <summary>More handshakes than the per-second budget.</summary>
    RateLimited,
    /// <summary>To or from an address the overlay must never use as an endpoint: the virtual network's own range (the overlay must not run over itself).</summary>
    Excluded,
}

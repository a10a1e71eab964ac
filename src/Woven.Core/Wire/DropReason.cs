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
}

namespace Woven.Security;

/// <summary>
/// The outcome of checking a member certificate. Anything but <see cref="Valid"/> means: do not link with the node.
/// The checks run in the order of this enum after <see cref="Malformed"/>, and the first failing one is reported.
/// </summary>
public enum CertificateCheck
{
    /// <summary>Signed by the domain's CA, for this node's key, within its validity period, not revoked.</summary>
    Valid = 0,

    /// <summary>The certificate does not decode, or its fields break the format's rules.</summary>
    Malformed,

    /// <summary>Issued for another domain name.</summary>
    WrongDomain,

    /// <summary>The CA signature does not verify with the domain's CA key (a forgery, a change, or another CA).</summary>
    BadSignature,

    /// <summary>Issued for another node key than the one the peer proved it holds.</summary>
    KeyMismatch,

    /// <summary>Its serial is in the domain's revocation list.</summary>
    Revoked,

    /// <summary>Before its not-before time.</summary>
    NotYetValid,

    /// <summary>After its not-after time.</summary>
    Expired,
}

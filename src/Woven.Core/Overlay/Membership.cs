using Woven.Security;

namespace Woven.Overlay;

/// <summary>Who may link with this node: the outcome for a peer's node key and certificate.</summary>
public abstract class Membership
{
    /// <summary>The certificate this node presents (empty when it belongs to no domain).</summary>
    public abstract byte[] OwnCertificate { get; }

    /// <summary>Sequence of the revocation list held (0: none).</summary>
    public abstract ulong RevocationSequence { get; }

    /// <summary>The held revocation list, encoded, to hand to a peer whose list is older (null: none).</summary>
    public abstract byte[]? RevocationListBytes { get; }

    /// <summary>Null when the peer is admitted, else why not (one word, for counters and logs).</summary>
    public abstract string? Check(ReadOnlySpan<byte> nodeKey, ReadOnlySpan<byte> certificate, DateTimeOffset now);

    /// <summary>Takes a revocation list from a peer if it is this domain's, validly signed and newer. True if taken.</summary>
    public abstract bool OfferRevocations(ReadOnlySpan<byte> encoded);
}

/// <summary>No domain: any node that proves its key may link (a public overlay, the simulator, the loopback demo).</summary>
public sealed class OpenMembership : Membership
{
    public override byte[] OwnCertificate => [];

    public override ulong RevocationSequence => 0;

    public override byte[]? RevocationListBytes => null;

    public override string? Check(ReadOnlySpan<byte> nodeKey, ReadOnlySpan<byte> certificate, DateTimeOffset now) => null;

    public override bool OfferRevocations(ReadOnlySpan<byte> encoded) => false;
}

/// <summary>
/// A private domain: a peer must present a certificate of this domain, signed by its CA, valid now, not revoked, for the
/// very node key it proved in the handshake. Revocation lists spread from node to node; the newest valid one wins.
/// </summary>
public sealed class DomainMembership(DomainSettings domain, MemberCertificate own, RevocationList? revocations) : Membership
{
    private readonly Lock _gate = new();
    private readonly byte[] _own = own.ToBytes();

    /// <summary>This node's certificate (its name and any fixed virtual addresses).</summary>
    public MemberCertificate Certificate { get; } = own;

    private RevocationList? _revocations = revocations;
    private byte[]? _revocationBytes = revocations?.ToBytes();

    public DomainSettings Domain => domain;

    /// <summary>Called with a newly taken revocation list (the node persists it).</summary>
    public Action<RevocationList>? RevocationsUpdated { get; set; }

    public override byte[] OwnCertificate => _own;

    public override ulong RevocationSequence
    {
        get
        {
            lock (_gate) return _revocations?.Sequence ?? 0;
        }
    }

    public override byte[]? RevocationListBytes
    {
        get
        {
            lock (_gate) return _revocationBytes;
        }
    }

    public override string? Check(ReadOnlySpan<byte> nodeKey, ReadOnlySpan<byte> certificate, DateTimeOffset now)
    {
        if (certificate.IsEmpty) return "no_certificate";
        RevocationList? list;
        lock (_gate) list = _revocations;
        var check = MemberCertificate.Verify(certificate, domain, nodeKey, now, list, out _);
        return check == CertificateCheck.Valid ? null : check.ToString().ToLowerInvariant();
    }

    public override bool OfferRevocations(ReadOnlySpan<byte> encoded)
    {
        if (!RevocationList.TryRead(encoded, out var received) || received is null) return false;
        RevocationList? taken;
        lock (_gate)
        {
            var merged = RevocationList.Merge(_revocations, received, domain);
            if (merged is null || ReferenceEquals(merged, _revocations)) return false;
            _revocations = merged;
            _revocationBytes = merged.ToBytes();
            taken = merged;
        }
        RevocationsUpdated?.Invoke(taken);
        return true;
    }
}

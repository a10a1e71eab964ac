using Woven.Wire;

namespace Woven.Security;

/// <summary>
/// The serials of a domain's revoked certificates, signed by the domain's CA. Each new list carries a higher
/// <see cref="Sequence"/> and every serial of the list before it that still matters, so a node only ever needs
/// the newest list: see <see cref="Merge"/>.
/// </summary>
/// <remarks>
/// Binary form, big-endian: magic "WVRL" (4), version 1 (1), domain (length 1, ASCII), sequence (8, at least 1),
/// issued-at (8, unix seconds), count (2, at most <see cref="MaxSerials"/>), serials (8 each, strictly ascending,
/// none 0), signature (64): Ed25519 by the CA over "woven-crl-v1" followed by every preceding byte.
/// </remarks>
public sealed class RevocationList
{
    public const byte Version = 1;

    /// <summary>
    /// Most serials one list holds: few enough that the largest list (<see cref="MaxSize"/>, 1,431 bytes) travels in
    /// one sealed link datagram, so a list spreads in one message. The CA drops serials of certificates that expired
    /// long ago, so only revoked certificates that could still be presented take room.
    /// </summary>
    public const int MaxSerials = 160;

    public const int SignatureSize = Ed25519Signatures.SignatureSize;

    public const int MaxSize = SecurityWire.MagicSize + 1 + 64 + 8 + 8 + 2 + MaxSerials * 8 + SignatureSize;

    private readonly ulong[] _serials;

    // The settings object this list last verified against; a benign race at worst verifies twice.
    private DomainSettings? _verifiedFor;

    public RevocationList(string domain, ulong sequence, ulong issuedAt, IReadOnlyList<ulong> serials, byte[] signature)
    {
        Domain = domain;
        Sequence = sequence;
        IssuedAt = issuedAt;
        _serials = serials.ToArray();
        Signature = signature;
    }

    public string Domain { get; }

    /// <summary>Monotonic: the CA gives every new list a higher sequence than any before.</summary>
    public ulong Sequence { get; }

    /// <summary>Unix seconds when the CA signed the list; informational, no clock decides anything with it.</summary>
    public ulong IssuedAt { get; }

    /// <summary>Sorted ascending, without duplicates.</summary>
    public IReadOnlyList<ulong> Serials => _serials;

    public byte[] Signature { get; }

    /// <summary>Signs a list. Serials are sorted and deduplicated; more than <see cref="MaxSerials"/> is an ArgumentException.</summary>
    public static RevocationList Issue(DomainAuthority authority, DomainSettings domain, ulong sequence, DateTimeOffset issuedAt, IEnumerable<ulong> serials)
    {
        if (!authority.PublicKey.AsSpan().SequenceEqual(domain.CaPublicKey)) throw new ArgumentException("this CA key is not the domain's CA key", nameof(authority));
        var sorted = serials.Distinct().Order().ToArray();
        var unsigned = new RevocationList(domain.Name, sequence, SecurityWire.ToUnixSeconds(issuedAt), sorted, new byte[SignatureSize]);
        if (unsigned.Validate() is { } error) throw new ArgumentException(error);
        return new RevocationList(domain.Name, sequence, unsigned.IssuedAt, sorted, authority.Sign(SecurityWire.RevocationsSignaturePrefix, unsigned.SignedBytes()));
    }

    /// <summary>The first rule the list breaks, or null.</summary>
    public string? Validate()
    {
        if (!DomainNames.IsLabel(Domain)) return $"domain '{Domain}' is not {DomainNames.LabelRule}";
        if (Sequence == 0) return "sequence 0 is reserved";
        if (IssuedAt > SecurityWire.MaxUnixSeconds) return "issued-at is beyond the year 9999";
        if (_serials.Length > MaxSerials) return $"more than {MaxSerials} serials; rotate the domain's CA";
        for (int i = 0; i < _serials.Length; i++)
        {
            if (_serials[i] == 0) return "serial 0 is reserved";
            if (i > 0 && _serials[i - 1] >= _serials[i]) return "serials are not sorted and distinct";
        }
        if (Signature is null || Signature.Length != SignatureSize) return "bad signature length";
        return null;
    }

    public bool IsRevoked(ulong serial) => Array.BinarySearch(_serials, serial) >= 0;

    /// <summary>Well formed, for this domain's name, and signed by its CA.</summary>
    public bool IsSignedBy(DomainSettings domain)
    {
        if (ReferenceEquals(Volatile.Read(ref _verifiedFor), domain)) return true;
        bool ok = Validate() is null && Domain == domain.Name
            && Ed25519Signatures.Verify(domain.CaPublicKey, SecurityWire.RevocationsSignaturePrefix, SignedBytes(), Signature);
        if (ok) Volatile.Write(ref _verifiedFor, domain);
        return ok;
    }

    /// <summary>
    /// The list a node keeps after receiving <paramref name="received"/> while holding <paramref name="held"/>
    /// (null: none yet). A received list that is not signed by the domain's CA is ignored. Otherwise the higher
    /// sequence wins. Two different lists with the same sequence (a CA directory restored from a backup) are
    /// ordered by serial count, then by their encodings compared byte by byte, the greater winning, so every node
    /// settles on the same list whatever order they arrive in.
    /// </summary>
    public static RevocationList? Merge(RevocationList? held, RevocationList received, DomainSettings domain)
    {
        if (!received.IsSignedBy(domain)) return held;
        if (held is null || !held.IsSignedBy(domain)) return received;
        if (received.Sequence != held.Sequence) return received.Sequence > held.Sequence ? received : held;
        if (received._serials.Length != held._serials.Length) return received._serials.Length > held._serials.Length ? received : held;
        return received.ToBytes().AsSpan().SequenceCompareTo(held.ToBytes()) > 0 ? received : held;
    }

    private int SignedSize => SecurityWire.MagicSize + 1 + SecurityWire.TextSize(Domain) + 8 + 8 + 2 + 8 * _serials.Length;

    public int Size => SignedSize + SignatureSize;

    private void WriteFields(ref SpanWriter w)
    {
        SecurityWire.Magic(ref w, SecurityWire.RevocationsMagic, Version);
        SecurityWire.Text(ref w, Domain);
        w.U64(Sequence);
        w.U64(IssuedAt);
        w.U16((ushort)_serials.Length);
        foreach (ulong s in _serials) w.U64(s);
    }

    private byte[] SignedBytes()
    {
        var bytes = new byte[SignedSize];
        var w = new SpanWriter(bytes);
        WriteFields(ref w);
        return bytes;
    }

    /// <summary>Writes the binary form; false when the list is malformed or does not fit.</summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (Validate() is not null) return false;
        var w = new SpanWriter(destination);
        WriteFields(ref w);
        w.Bytes(Signature);
        written = w.Position;
        return w.Ok;
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        if (!TryWrite(bytes, out int n) || n != bytes.Length) throw new InvalidOperationException($"malformed revocation list: {Validate()}");
        return bytes;
    }

    /// <summary>Reads exactly one list; false (never an exception) for anything else. Does not verify the signature.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out RevocationList? list)
    {
        list = null;
        var r = new SpanReader(source);
        SecurityWire.Magic(ref r, SecurityWire.RevocationsMagic, Version);
        string domain = SecurityWire.Text(ref r);
        ulong sequence = r.U64();
        ulong issuedAt = r.U64();
        int count = r.U16();
        if (!r.Ok || count > MaxSerials || r.Remaining != count * 8 + SignatureSize) return false;
        var serials = new ulong[count];
        for (int i = 0; i < count; i++) serials[i] = r.U64();
        var signature = r.Bytes(SignatureSize).ToArray();
        if (!r.AtEnd) return false;
        var candidate = new RevocationList(domain, sequence, issuedAt, serials, signature);
        if (candidate.Validate() is not null) return false;
        list = candidate;
        return true;
    }

    public override string ToString() => $"revocation list {Sequence} of {Domain} ({_serials.Length} serials)";
}

using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Security;

/// <summary>
/// A node's membership in a user domain: the domain's CA vouches that the holder of <see cref="NodePublicKey"/>
/// is the member <see cref="NodeName"/>, with these addresses and groups, for this period. A link handshake checks
/// it with <see cref="Verify(DomainSettings, ReadOnlySpan{byte}, DateTimeOffset, RevocationList?)"/> against the
/// key the peer has proved it holds.
/// </summary>
/// <remarks>
/// Binary form, big-endian: magic "WVMC" (4), version 1 (1), domain (length 1, ASCII), serial (8), node public key (32),
/// node name (length 1, ASCII), flags (1; bit 0: IPv4 follows, bit 1: IPv6 follows, other bits zero), [IPv4 (4)],
/// [IPv6 (16)], group count (1, at most 8), groups (length 1, ASCII each, sorted), not-before (8), not-after (8),
/// signature (64): Ed25519 by the CA over "woven-cert-v1" followed by every preceding byte.
/// </remarks>
public sealed class MemberCertificate
{
    public const byte Version = 1;

    public const int SignatureSize = Ed25519Signatures.SignatureSize;

    /// <summary>The largest encoding: 63-character names, both addresses, 8 groups of 32 characters.</summary>
    public const int MaxSize = SecurityWire.MagicSize + 1 + 64 + 8 + 32 + 64 + 1 + 4 + 16 + 1 + CertificateFields.MaxGroups * 33 + 8 + 8 + SignatureSize;

    private const byte HasIpv4 = 0x01;
    private const byte HasIpv6 = 0x02;

    public MemberCertificate(CertificateFields fields, byte[] signature)
    {
        Fields = fields;
        Signature = signature;
    }

    public CertificateFields Fields { get; }

    public byte[] Signature { get; }

    public string Domain => Fields.Domain;

    public ulong Serial => Fields.Serial;

    public byte[] NodePublicKey => Fields.NodePublicKey;

    public string NodeName => Fields.NodeName;

    public IPAddress? Ipv4 => Fields.Ipv4;

    public IPAddress? Ipv6 => Fields.Ipv6;

    public IReadOnlyList<string> Groups => Fields.Groups;

    public ulong NotBefore => Fields.NotBefore;

    public ulong NotAfter => Fields.NotAfter;

    /// <summary>The ring address of the certified key.</summary>
    public RingAddress NodeAddress => RingAddress.FromPublicKey(NodePublicKey);

    /// <summary>The serial as printed and typed: 16 hex digits.</summary>
    public static string FormatSerial(ulong serial) => serial.ToString("x16");

    /// <summary>
    /// Signs the fields with the domain's CA. Refuses (ArgumentException) fields that break the format, another
    /// domain's name or CA, and static addresses outside the domain's ranges.
    /// </summary>
    public static MemberCertificate Issue(DomainAuthority authority, DomainSettings domain, CertificateFields fields)
    {
        if (fields.Validate() is { } error) throw new ArgumentException(error, nameof(fields));
        if (fields.Domain != domain.Name) throw new ArgumentException($"the fields name domain '{fields.Domain}', not '{domain.Name}'", nameof(fields));
        if (!authority.PublicKey.AsSpan().SequenceEqual(domain.CaPublicKey)) throw new ArgumentException("this CA key is not the domain's CA key", nameof(authority));
        if (fields.Ipv4 is { } v4 && domain.MemberAddressError(v4) is { } e4) throw new ArgumentException(e4, nameof(fields));
        if (fields.Ipv6 is { } v6 && domain.MemberAddressError(v6) is { } e6) throw new ArgumentException(e6, nameof(fields));
        return new MemberCertificate(fields, authority.Sign(SecurityWire.CertificateSignaturePrefix, SignedBytes(fields)));
    }

    private static int SignedSize(CertificateFields f) =>
        SecurityWire.MagicSize + 1 + SecurityWire.TextSize(f.Domain) + 8 + DomainAuthority.KeySize + SecurityWire.TextSize(f.NodeName) + 1
        + (f.Ipv4 is null ? 0 : 4) + (f.Ipv6 is null ? 0 : 16) + 1 + f.Groups.Sum(SecurityWire.TextSize) + 8 + 8;

    public int Size => SignedSize(Fields) + SignatureSize;

    private static void WriteFields(ref SpanWriter w, CertificateFields f)
    {
        SecurityWire.Magic(ref w, SecurityWire.CertificateMagic, Version);
        SecurityWire.Text(ref w, f.Domain);
        w.U64(f.Serial);
        w.Bytes(f.NodePublicKey);
        SecurityWire.Text(ref w, f.NodeName);
        w.U8((byte)((f.Ipv4 is null ? 0 : HasIpv4) | (f.Ipv6 is null ? 0 : HasIpv6)));
        if (f.Ipv4 is not null) SecurityWire.Address(ref w, f.Ipv4);
        if (f.Ipv6 is not null) SecurityWire.Address(ref w, f.Ipv6);
        w.U8((byte)f.Groups.Count);
        foreach (var g in f.Groups) SecurityWire.Text(ref w, g);
        w.U64(f.NotBefore);
        w.U64(f.NotAfter);
    }

    /// <summary>The bytes the signature covers (after the prefix).</summary>
    private static byte[] SignedBytes(CertificateFields f)
    {
        var bytes = new byte[SignedSize(f)];
        var w = new SpanWriter(bytes);
        WriteFields(ref w, f);
        return bytes;
    }

    /// <summary>Writes the binary form; false when the certificate is malformed or does not fit.</summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (Fields.Validate() is not null || Signature is null || Signature.Length != SignatureSize) return false;
        var w = new SpanWriter(destination);
        WriteFields(ref w, Fields);
        w.Bytes(Signature);
        written = w.Position;
        return w.Ok;
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        if (!TryWrite(bytes, out int n) || n != bytes.Length) throw new InvalidOperationException($"malformed certificate: {Fields.Validate() ?? "bad signature length"}");
        return bytes;
    }

    /// <summary>Reads exactly one certificate; false (never an exception) for anything else. Does not verify it.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out MemberCertificate? certificate)
    {
        certificate = null;
        var r = new SpanReader(source);
        if (!TryRead(ref r, out var c) || !r.AtEnd) return false;
        certificate = c;
        return true;
    }

    internal static bool TryRead(ref SpanReader r, out MemberCertificate? certificate)
    {
        certificate = null;
        SecurityWire.Magic(ref r, SecurityWire.CertificateMagic, Version);
        string domain = SecurityWire.Text(ref r);
        ulong serial = r.U64();
        var key = r.Bytes(DomainAuthority.KeySize).ToArray();
        string name = SecurityWire.Text(ref r);
        byte flags = r.U8();
        var v4 = (flags & HasIpv4) != 0 ? SecurityWire.Ipv4(ref r) : null;
        var v6 = (flags & HasIpv6) != 0 ? SecurityWire.Ipv6(ref r) : null;
        int count = r.U8();
        if (!r.Ok || count > CertificateFields.MaxGroups || (flags & ~(HasIpv4 | HasIpv6)) != 0) return false;
        var groups = new string[count];
        for (int i = 0; i < count; i++) groups[i] = SecurityWire.Text(ref r);
        ulong notBefore = r.U64();
        ulong notAfter = r.U64();
        var signature = r.Bytes(SignatureSize).ToArray();
        if (!r.Ok) return false;
        var fields = new CertificateFields(domain, serial, key, name, v4, v6, groups, notBefore, notAfter);
        if (fields.Validate() is not null) return false;
        certificate = new MemberCertificate(fields, signature);
        return true;
    }

    /// <summary>
    /// Everything a link handshake needs to decide whether a peer is a member: the certificate is well formed,
    /// names this domain, carries the CA's signature, certifies <paramref name="nodePublicKey"/> (the key the peer
    /// proved it holds), is not revoked and is within its validity period at <paramref name="now"/>.
    /// </summary>
    /// <param name="revocations">The revocation list the node holds (accepted through <see cref="RevocationList.Merge"/>), or null.</param>
    /// <exception cref="ArgumentException">The revocation list belongs to another domain or is not signed by its CA: a caller bug.</exception>
    public CertificateCheck Verify(DomainSettings domain, ReadOnlySpan<byte> nodePublicKey, DateTimeOffset now, RevocationList? revocations)
    {
        if (revocations is not null && !revocations.IsSignedBy(domain))
            throw new ArgumentException("the revocation list is not this domain's; hold only lists accepted by RevocationList.Merge", nameof(revocations));
        if (Fields.Validate() is not null || Signature is null || Signature.Length != SignatureSize) return CertificateCheck.Malformed;
        if (Domain != domain.Name) return CertificateCheck.WrongDomain;
        if (!Ed25519Signatures.Verify(domain.CaPublicKey, SecurityWire.CertificateSignaturePrefix, SignedBytes(Fields), Signature)) return CertificateCheck.BadSignature;
        if (!nodePublicKey.SequenceEqual(NodePublicKey)) return CertificateCheck.KeyMismatch;
        if (revocations is not null && revocations.IsRevoked(Serial)) return CertificateCheck.Revoked;
        ulong t = SecurityWire.ToUnixSeconds(now);
        if (t < NotBefore) return CertificateCheck.NotYetValid;
        if (t > NotAfter) return CertificateCheck.Expired;
        return CertificateCheck.Valid;
    }

    /// <summary>Decodes and verifies a certificate as received; <see cref="CertificateCheck.Malformed"/> when it does not decode.</summary>
    public static CertificateCheck Verify(ReadOnlySpan<byte> encoded, DomainSettings domain, ReadOnlySpan<byte> nodePublicKey, DateTimeOffset now, RevocationList? revocations, out MemberCertificate? certificate)
    {
        if (!TryRead(encoded, out certificate)) return CertificateCheck.Malformed;
        return certificate!.Verify(domain, nodePublicKey, now, revocations);
    }

    public override string ToString() => $"certificate {FormatSerial(Serial)} for {NodeName}.{Domain}";
}

using System.Buffers.Text;
using System.Security.Cryptography;
using Woven.Crypto;
using Woven.Wire;

namespace Woven.Security;

/// <summary>
/// Everything a new member needs, in one string to paste: the domain settings, a node key pair that the CA side
/// generated, and the certificate the CA issued for it. It is a secret (it holds the node's private key) and it is
/// short-lived: <c>woven domain join</c> refuses it after <see cref="RedeemBy"/>. Whoever holds a token can act as
/// that member until the certificate is revoked.
/// </summary>
/// <remarks>
/// Binary form, big-endian: magic "WVJT" (4), version 1 (1), redeem-by (8, unix seconds), settings length (2),
/// domain settings, node private key (32), certificate length (2), member certificate. Text form: "woven-join-v1."
/// followed by the base64url (no padding) of the binary form and the first 4 bytes of its SHA-256, which catches
/// a token damaged by copy and paste.
/// </remarks>
public sealed class JoinToken
{
    public const byte Version = 1;

    public const string TextPrefix = "woven-join-v1.";

    private const int ChecksumSize = 4;

    /// <summary>Longest binary token: the largest settings and certificate.</summary>
    public const int MaxSize = 1024;

    public JoinToken(DomainSettings domain, NodeIdentity node, MemberCertificate certificate, ulong redeemBy)
    {
        Domain = domain;
        Node = node;
        Certificate = certificate;
        RedeemBy = redeemBy;
    }

    public DomainSettings Domain { get; }

    /// <summary>The new member's key pair; its public key is the certificate's.</summary>
    public NodeIdentity Node { get; }

    public MemberCertificate Certificate { get; }

    /// <summary>Unix seconds after which <c>woven domain join</c> refuses the token.</summary>
    public ulong RedeemBy { get; }

    /// <summary>Generates a node key, issues its certificate and packages both with the settings.</summary>
    public static JoinToken Create(DomainAuthority authority, DomainSettings domain, CertificateFields fields, DateTimeOffset redeemBy, NodeIdentity? node = null)
    {
        node ??= NodeIdentity.Generate();
        var certificate = MemberCertificate.Issue(authority, domain, fields with { NodePublicKey = node.PublicKey });
        return new JoinToken(domain, node, certificate, SecurityWire.ToUnixSeconds(redeemBy));
    }

    /// <summary>
    /// Why the token cannot be redeemed at <paramref name="now"/>, or null: it is past its redeem-by time, or its
    /// certificate does not verify against the settings it came with.
    /// </summary>
    public string? RedeemError(DateTimeOffset now)
    {
        if (SecurityWire.ToUnixSeconds(now) > RedeemBy)
            return $"the token expired at {SecurityWire.ToDate(RedeemBy):yyyy-MM-dd HH:mm:ss}Z; ask the domain's CA for a new one";
        var check = Certificate.Verify(Domain, Node.PublicKey, now, null);
        return check == CertificateCheck.Valid ? null : $"the token's certificate is not valid ({check})";
    }

    public int Size => SecurityWire.MagicSize + 1 + 8 + 2 + Domain.Size + NodeIdentity.KeySize + 2 + Certificate.Size;

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (!Node.HasPrivateKey || !Node.PublicKey.AsSpan().SequenceEqual(Certificate.NodePublicKey)) return false;
        var w = new SpanWriter(destination);
        SecurityWire.Magic(ref w, SecurityWire.TokenMagic, Version);
        w.U64(RedeemBy);
        if (Domain.Validate() is not null || Certificate.Fields.Validate() is not null || Certificate.Signature?.Length != MemberCertificate.SignatureSize) return false;
        var settings = Domain.ToBytes();
        var certificate = Certificate.ToBytes();
        w.U16((ushort)settings.Length);
        w.Bytes(settings);
        w.Bytes(Node.ExportPrivateKey());
        w.U16((ushort)certificate.Length);
        w.Bytes(certificate);
        written = w.Position;
        return w.Ok;
    }

    /// <summary>Reads exactly one token; false (never an exception) for anything else. Checks that the parts belong together.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out JoinToken? token)
    {
        token = null;
        var r = new SpanReader(source);
        SecurityWire.Magic(ref r, SecurityWire.TokenMagic, Version);
        ulong redeemBy = r.U64();
        int settingsLength = r.U16();
        var settingsBytes = r.Bytes(settingsLength);
        var key = r.Bytes(NodeIdentity.KeySize);
        int certificateLength = r.U16();
        var certificateBytes = r.Bytes(certificateLength);
        if (!r.AtEnd || redeemBy > SecurityWire.MaxUnixSeconds) return false;
        if (!DomainSettings.TryRead(settingsBytes, out var settings) || !MemberCertificate.TryRead(certificateBytes, out var certificate)) return false;
        var node = NodeIdentity.FromPrivateKey(key);
        if (!node.PublicKey.AsSpan().SequenceEqual(certificate!.NodePublicKey) || certificate.Domain != settings!.Name) return false;
        token = new JoinToken(settings, node, certificate, redeemBy);
        return true;
    }

    /// <summary>The text form. It contains the private key: show it only to the person who asked for it.</summary>
    public string Encode()
    {
        var bytes = new byte[Size + ChecksumSize];
        if (!TryWrite(bytes, out int n) || n != Size) throw new InvalidOperationException("the token's key and certificate do not belong together");
        SHA256.HashData(bytes.AsSpan(0, n))[..ChecksumSize].CopyTo(bytes.AsSpan(n));
        var text = TextPrefix + Base64Url.EncodeToString(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return text;
    }

    /// <summary>Parses the text form (surrounding white space allowed); the error says what is wrong. Never throws.</summary>
    public static bool TryDecode(string text, out JoinToken? token, out string error)
    {
        token = null;
        text = text.Trim();
        if (!text.StartsWith(TextPrefix, StringComparison.Ordinal))
        {
            error = $"a join token starts with '{TextPrefix}'";
            return false;
        }
        var body = text.AsSpan(TextPrefix.Length);
        if (body.Length > (MaxSize + ChecksumSize) * 4 / 3 + 4)
        {
            error = "too long to be a join token";
            return false;
        }
        foreach (char c in body)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_'))
            {
                error = "the token has characters that are not base64url; copy it again, in one piece";
                return false;
            }
        }
        var bytes = new byte[Base64Url.GetMaxDecodedLength(body.Length)];
        int n;
        try
        {
            // A length of 4k+1 characters cannot be base64, and the decoder reports some such inputs by throwing.
            if (body.Length % 4 == 1 || !Base64Url.TryDecodeFromChars(body, bytes, out n)) n = 0;
        }
        catch (FormatException)
        {
            n = 0;
        }
        if (n <= ChecksumSize)
        {
            error = "the token is not base64url; copy it again, in one piece";
            return false;
        }
        try
        {
            int length = n - ChecksumSize;
            if (!SHA256.HashData(bytes.AsSpan(0, length)).AsSpan(0, ChecksumSize).SequenceEqual(bytes.AsSpan(length, ChecksumSize)))
            {
                error = "the token's checksum does not match: it was damaged or cut short; copy it again, in one piece";
                return false;
            }
            if (!TryRead(bytes.AsSpan(0, length), out token))
            {
                error = "the token's content is malformed (made by an incompatible version?)";
                return false;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
        error = "";
        return true;
    }

    public override string ToString() => $"join token for {Certificate.NodeName}.{Domain.Name} (serial {MemberCertificate.FormatSerial(Certificate.Serial)})";
}

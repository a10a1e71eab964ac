using System.Security.Cryptography;
using System.Text;

namespace Woven.Security;

/// <summary>
/// The certificate authority of a user domain: an Ed25519 key pair whose public half is in the domain settings
/// and whose private half signs member certificates and revocation lists. The private key is kept out of
/// <see cref="ToString"/> so that it never reaches a log by accident.
/// </summary>
/// <remarks>
/// Key file: the line <c>woven-domain-ca-key-v1</c>, then the base64 of the 32-byte private key; mode 0600.
/// </remarks>
public sealed class DomainAuthority
{
    public const string KeyFileHeader = "woven-domain-ca-key-v1";

    public const int KeySize = Ed25519Signatures.KeySize;

    private readonly byte[] _privateKey;

    private DomainAuthority(byte[] privateKey)
    {
        _privateKey = privateKey;
        PublicKey = Ed25519Signatures.PublicKeyOf(privateKey);
    }

    public byte[] PublicKey { get; }

    /// <summary>A fresh CA key from the system's cryptographic random source.</summary>
    public static DomainAuthority Generate() => new(RandomNumberGenerator.GetBytes(KeySize));

    public static DomainAuthority FromPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeySize) throw new ArgumentException($"an Ed25519 private key is {KeySize} bytes, got {privateKey.Length}", nameof(privateKey));
        return new DomainAuthority(privateKey.ToArray());
    }

    /// <summary>Signs prefix || message; the prefix says what kind of object this is.</summary>
    internal byte[] Sign(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message) => Ed25519Signatures.Sign(_privateKey, prefix, message);

    public byte[] EncodeKeyFile() => Encoding.ASCII.GetBytes($"{KeyFileHeader}\n{Convert.ToBase64String(_privateKey)}\n");

    public static bool TryDecodeKeyFile(ReadOnlySpan<byte> content, out DomainAuthority? authority, out string error)
    {
        authority = null;
        foreach (byte b in content)
        {
            if (b > 0x7F)
            {
                error = "not ASCII text";
                return false;
            }
        }
        var lines = Encoding.ASCII.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length != 2 || lines[0] != KeyFileHeader)
        {
            error = $"expected the line '{KeyFileHeader}' followed by one base64 line";
            return false;
        }
        Span<byte> key = stackalloc byte[64];
        if (!Convert.TryFromBase64String(lines[1], key, out int n) || n != KeySize)
        {
            error = $"the key line is not base64 of {KeySize} bytes";
            return false;
        }
        authority = FromPrivateKey(key[..n]);
        key.Clear();
        error = "";
        return true;
    }

    public override string ToString() => $"domain CA {Convert.ToBase64String(PublicKey)}";
}

using System.Numerics;
using System.Security.Cryptography;

namespace Woven.Crypto;

/// <summary>
/// The X25519 key pair that belongs to an Ed25519 key pair (the birational map between the Edwards and Montgomery
/// forms of Curve25519, as libsodium's crypto_sign_ed25519_*_to_curve25519). A member certificate names the node's
/// Ed25519 key; the Noise static key a node proves in a link handshake is this X25519 twin, so the certificate binds
/// both without a second key or signature.
/// </summary>
public static class MontgomeryKeys
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;

    /// <summary>X25519 private key: the first 32 bytes of SHA-512(Ed25519 seed); X25519 clamps it on use.</summary>
    public static byte[] PrivateFromEd25519Seed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32) throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        Span<byte> hash = stackalloc byte[64];
        SHA512.HashData(seed, hash);
        var result = hash[..32].ToArray();
        hash.Clear();
        return result;
    }

    /// <summary>
    /// X25519 public key u = (1 + y) / (1 − y) mod p from an Ed25519 public key (y little-endian, top bit the sign of x).
    /// Returns false for a y that has no Montgomery image (y = 1) or is not canonical.
    /// </summary>
    public static bool TryPublicFromEd25519(ReadOnlySpan<byte> edPublic, Span<byte> montgomery)
    {
        if (edPublic.Length != 32 || montgomery.Length < 32) return false;
        Span<byte> yBytes = stackalloc byte[33];
        edPublic.CopyTo(yBytes);
        yBytes[31] &= 0x7F;
        yBytes[32] = 0;
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: false);
        if (y >= P) return false;
        var denominator = (1 - y) % P;
        if (denominator < 0) denominator += P;
        if (denominator.IsZero) return false;
        var u = (1 + y) * BigInteger.ModPow(denominator, P - 2, P) % P;
        montgomery[..32].Clear();
        if (!u.TryWriteBytes(montgomery[..32], out _, isUnsigned: true, isBigEndian: false)) return false;
        return true;
    }
}

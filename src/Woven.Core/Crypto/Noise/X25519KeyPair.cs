using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace Woven.Crypto.Noise;

/// <summary>
/// A Curve25519 Diffie-Hellman key pair (RFC 7748). The private key lives in a pinned array so that the garbage
/// collector never leaves a stray copy behind, and it is zeroed by <see cref="Dispose"/>. A node keeps one pair
/// for its static Noise key and reuses it for every handshake.
/// </summary>
public sealed class X25519KeyPair : IDisposable
{
    public const int KeySize = 32;

    private readonly byte[] _privateKey;
    private readonly byte[] _publicKey;
    private bool _disposed;

    private X25519KeyPair(byte[] privateKey)
    {
        _privateKey = privateKey;
        _publicKey = new byte[KeySize];
        X25519.ScalarMultBase(_privateKey, 0, _publicKey, 0);
    }

    /// <summary>A fresh key pair from the system's cryptographic random source.</summary>
    public static X25519KeyPair Generate()
    {
        var priv = NewSecretBuffer();
        RandomNumberGenerator.Fill(priv);
        return new X25519KeyPair(priv);
    }

    /// <summary>The pair for a 32-byte private key; the key is clamped inside the scalar multiplication, as RFC 7748 says.</summary>
    public static X25519KeyPair FromPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeySize)
            throw new ArgumentException($"an X25519 private key is {KeySize} bytes, got {privateKey.Length}", nameof(privateKey));
        var priv = NewSecretBuffer();
        privateKey.CopyTo(priv);
        return new X25519KeyPair(priv);
    }

    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>The private key, for the key store only.</summary>
    public ReadOnlySpan<byte> ExportPrivateKey()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _privateKey;
    }

    /// <summary>
    /// X25519(private, remotePublic) into <paramref name="sharedSecret"/>. False when the result is all zeros, which
    /// is what a low-order (small-subgroup) public key produces; such a peer contributes nothing to the secret.
    /// </summary>
    public bool TryAgree(ReadOnlySpan<byte> remotePublicKey, Span<byte> sharedSecret)
    {
        if (_disposed || remotePublicKey.Length != KeySize || sharedSecret.Length < KeySize) return false;
        var remote = NewSecretBuffer();
        var shared = NewSecretBuffer();
        remotePublicKey.CopyTo(remote);
        bool ok = TryAgree(_privateKey, remote, shared);
        shared.CopyTo(sharedSecret);
        CryptographicOperations.ZeroMemory(shared);
        return ok;
    }

    /// <summary>
    /// The DH function of the Noise spec over arrays (BouncyCastle takes arrays only): the caller owns the
    /// (pinned) arrays and zeroes them. False, with <paramref name="sharedSecret"/> zeroed, for an all-zero result.
    /// </summary>
    internal static bool TryAgree(byte[] privateKey, byte[] remotePublicKey, byte[] sharedSecret)
    {
        X25519.ScalarMult(privateKey, 0, remotePublicKey, 0, sharedSecret, 0);
        // Constant-time all-zero test: whether the result is zero must not leak through timing either.
        int acc = 0;
        for (int i = 0; i < KeySize; i++) acc |= sharedSecret[i];
        return acc != 0;
    }

    /// <summary>The public key for a private key held in an array.</summary>
    internal static void DerivePublicKey(byte[] privateKey, byte[] publicKey) => X25519.ScalarMultBase(privateKey, 0, publicKey, 0);

    /// <summary>A pinned 32-byte array for key material: compaction never copies it, so zeroing it is final.</summary>
    internal static byte[] NewSecretBuffer() => GC.AllocateArray<byte>(KeySize, pinned: true);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        CryptographicOperations.ZeroMemory(_privateKey);
    }

    public override string ToString() => $"X25519 key {Convert.ToHexStringLower(_publicKey, 0, 4)}…";
}

using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Woven.Addressing;

namespace Woven.Crypto;

/// <summary>
/// A node's Ed25519 key pair and the ring address derived from its public key.
/// The private key is kept out of <see cref="ToString"/> so that it never reaches a log by accident.
/// </summary>
public sealed class NodeIdentity
{
    public const int KeySize = 32;

    private readonly byte[]? _privateKey;

    private NodeIdentity(byte[] publicKey, byte[]? privateKey)
    {
        PublicKey = publicKey;
        _privateKey = privateKey;
        Address = RingAddress.FromPublicKey(publicKey);
    }

    public byte[] PublicKey { get; }

    public RingAddress Address { get; }

    public bool HasPrivateKey => _privateKey is not null;

    /// <summary>A fresh key pair from the system's cryptographic random source.</summary>
    public static NodeIdentity Generate()
    {
        var priv = new Ed25519PrivateKeyParameters(new SecureRandom());
        return FromPrivateKey(priv.GetEncoded());
    }

    public static NodeIdentity FromPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeySize) throw new ArgumentException($"an Ed25519 private key is {KeySize} bytes, got {privateKey.Length}", nameof(privateKey));
        var priv = new Ed25519PrivateKeyParameters(privateKey.ToArray(), 0);
        return new NodeIdentity(priv.GeneratePublicKey().GetEncoded(), privateKey.ToArray());
    }

    /// <summary>
    /// An identity with only a public key. The simulator uses seeded random keys this way so that
    /// runs are reproducible and 100,000 nodes do not pay for key generation.
    /// </summary>
    public static NodeIdentity FromPublicKeyOnly(byte[] publicKey)
    {
        if (publicKey.Length != KeySize) throw new ArgumentException($"a public key is {KeySize} bytes", nameof(publicKey));
        return new NodeIdentity(publicKey, null);
    }

    /// <summary>The X25519 twin of this identity's key, which proves the identity in a Noise link handshake.</summary>
    public byte[] StaticDhPrivateKey() => MontgomeryKeys.PrivateFromEd25519Seed(ExportPrivateKey());

    /// <summary>The X25519 public key that belongs to <paramref name="ed25519PublicKey"/>, or null when there is none.</summary>
    public static byte[]? StaticDhPublicKey(ReadOnlySpan<byte> ed25519PublicKey)
    {
        var u = new byte[32];
        return MontgomeryKeys.TryPublicFromEd25519(ed25519PublicKey, u) ? u : null;
    }

    /// <summary>The private key, for the key store only.</summary>
    public ReadOnlySpan<byte> ExportPrivateKey() =>
        _privateKey ?? throw new InvalidOperationException("this identity has no private key");

    public override string ToString() => $"node {Address.ToShortString()}";
}

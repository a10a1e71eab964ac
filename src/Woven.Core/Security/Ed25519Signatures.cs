using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Woven.Security;

/// <summary>
/// Ed25519 over a domain-separation prefix and a message. The prefix names what is signed ("woven-cert-v1",
/// "woven-crl-v1"), so that a signature made for one kind of object can never be replayed as another.
/// </summary>
internal static class Ed25519Signatures
{
    public const int KeySize = 32;
    public const int SignatureSize = 64;

    public static byte[] Sign(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message)
    {
        var input = Concat(prefix, message);
        var signature = new byte[SignatureSize];
        var key = privateKey.ToArray();
        try
        {
            Ed25519.Sign(key, 0, input, 0, input.Length, signature, 0);
        }
        finally
        {
            Array.Clear(key);
        }
        return signature;
    }

    /// <summary>False for a wrong signature, a key that is not a curve point, or wrong lengths; never throws.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != KeySize || signature.Length != SignatureSize) return false;
        var input = Concat(prefix, message);
        try
        {
            return Ed25519.Verify(signature.ToArray(), 0, publicKey.ToArray(), 0, input, 0, input.Length);
        }
        catch (ArgumentException)
        {
            // Defensive: the library reports bad points by returning false, but a decoder must never throw.
            return false;
        }
    }

    public static byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        var key = privateKey.ToArray();
        var pub = new byte[KeySize];
        try
        {
            Ed25519.GeneratePublicKey(key, 0, pub, 0);
        }
        finally
        {
            Array.Clear(key);
        }
        return pub;
    }

    private static byte[] Concat(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> message)
    {
        var input = new byte[prefix.Length + message.Length];
        prefix.CopyTo(input);
        message.CopyTo(input.AsSpan(prefix.Length));
        return input;
    }
}

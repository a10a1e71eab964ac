using System.Security.Cryptography;

namespace Woven.Crypto;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439) under one key: the AEAD of the links' data phase. One instance is not for concurrent
/// use (pool them, as <c>TransportSession</c> does). <see cref="Create"/> picks OpenSSL's libcrypto through EVP when
/// it is there and passed its check against .NET's implementation at start (it costs about a third less CPU per
/// packet than .NET's wrapper of the same library: fewer calls per operation, and no exception for a forged tag),
/// and .NET's <see cref="ChaCha20Poly1305"/> otherwise. Both produce the same bytes.
/// </summary>
public abstract class AeadCipher : IDisposable
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>A cipher for <paramref name="key"/> (32 bytes): the native one when available, else the managed one.</summary>
    public static AeadCipher Create(ReadOnlySpan<byte> key) =>
        NativeChaCha20Poly1305.IsAvailable ? new NativeChaCha20Poly1305(key) : new ManagedChaCha20Poly1305(key);

    /// <summary>Which implementation <see cref="Create"/> gives: "openssl" or "dotnet".</summary>
    public static string Implementation => NativeChaCha20Poly1305.IsAvailable ? "openssl" : "dotnet";

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (same length; may be the same memory) and writes the tag. False if the implementation refused.</summary>
    public abstract bool TrySeal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData);

    /// <summary>Checks the tag and decrypts; false (and <paramref name="plaintext"/> zeroed) for anything that does not authenticate.</summary>
    public abstract bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);
}

/// <summary>.NET's <see cref="ChaCha20Poly1305"/> (which wraps the platform's library) behind <see cref="AeadCipher"/>.</summary>
public sealed class ManagedChaCha20Poly1305(ReadOnlySpan<byte> key) : AeadCipher
{
    private readonly ChaCha20Poly1305 _aead = new(key);

    public override bool TrySeal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        try
        {
            _aead.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public override bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        try
        {
            _aead.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        catch (CryptographicException)
        {
            return false; // .NET has no non-throwing decrypt; it has zeroed the plaintext
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _aead.Dispose();
    }
}

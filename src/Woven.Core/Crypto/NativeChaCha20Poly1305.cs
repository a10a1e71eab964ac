using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Woven.Crypto;

/// <summary>
/// ChaCha20-Poly1305 straight from OpenSSL 3's libcrypto (<c>libcrypto.so.3</c>) through the EVP interface: one
/// <c>EVP_CIPHER_CTX</c> per instance, keyed once; each operation sets key and nonce, feeds the associated data and
/// the text, and gets or checks the tag (five calls through function pointers, no marshalling). Used only when the
/// library loads and a start-up self-check agrees byte for byte with .NET's <see cref="ChaCha20Poly1305"/> on the
/// RFC 8439 §2.8.2 example and refuses a tampered tag; otherwise <see cref="AeadCipher.Create"/> falls back to .NET's.
/// </summary>
public sealed unsafe class NativeChaCha20Poly1305 : AeadCipher
{
    private const int CtrlAeadGetTag = 0x10;
    private const int CtrlAeadSetTag = 0x11;

    private static readonly Library? Lib = Library.Load();

    /// <summary>Whether libcrypto loaded and passed the self-check (decided once per process).</summary>
    public static bool IsAvailable { get; } = Lib is not null && SelfCheck();

    private readonly byte[] _key = GC.AllocateArray<byte>(KeySize, pinned: true);
    private nint _ctx;

    /// <exception cref="PlatformNotSupportedException">libcrypto could not be loaded.</exception>
    public NativeChaCha20Poly1305(ReadOnlySpan<byte> key)
    {
        if (Lib is null) throw new PlatformNotSupportedException("libcrypto.so.3 (OpenSSL 3) is not available");
        if (key.Length != KeySize) throw new ArgumentException($"a ChaCha20-Poly1305 key is {KeySize} bytes, got {key.Length}", nameof(key));
        key.CopyTo(_key);
        _ctx = Lib.CtxNew();
        if (_ctx == 0) throw new CryptographicException("EVP_CIPHER_CTX_new failed");
        fixed (byte* k = _key)
        {
            if (Lib.CipherInit(_ctx, Lib.Cipher, 0, k, null, 1) != 1)
            {
                Lib.CtxFree(_ctx);
                _ctx = 0;
                throw new CryptographicException("EVP_CipherInit_ex(chacha20-poly1305) failed");
            }
        }
    }

    public override bool TrySeal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        if (_ctx == 0 || nonce.Length != NonceSize || tag.Length < TagSize || ciphertext.Length < plaintext.Length) return false;
        var lib = Lib!;
        fixed (byte* k = _key, n = nonce, p = plaintext, c = ciphertext, t = tag, a = associatedData)
        {
            int written;
            if (lib.CipherInit(_ctx, 0, 0, k, n, 1) != 1) return false;
            if (associatedData.Length > 0 && lib.CipherUpdate(_ctx, null, &written, a, associatedData.Length) != 1) return false;
            int total = 0;
            if (plaintext.Length > 0)
            {
                if (lib.CipherUpdate(_ctx, c, &written, p, plaintext.Length) != 1) return false;
                total = written;
            }
            if (lib.CipherFinal(_ctx, c + total, &written) != 1 || total + written != plaintext.Length) return false;
            return lib.Ctrl(_ctx, CtrlAeadGetTag, TagSize, t) == 1;
        }
    }

    public override bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (_ctx == 0 || nonce.Length != NonceSize || tag.Length != TagSize || plaintext.Length < ciphertext.Length) return false;
        var lib = Lib!;
        bool ok;
        fixed (byte* k = _key, n = nonce, p = plaintext, c = ciphertext, t = tag, a = associatedData)
        {
            ok = Open(lib, k, n, c, ciphertext.Length, t, p, a, associatedData.Length);
        }
        if (!ok) CryptographicOperations.ZeroMemory(plaintext[..ciphertext.Length]);
        return ok;
    }

    private bool Open(Library lib, byte* k, byte* n, byte* c, int length, byte* t, byte* p, byte* a, int associatedLength)
    {
        int written;
        if (lib.CipherInit(_ctx, 0, 0, k, n, 0) != 1) return false;
        if (associatedLength > 0 && lib.CipherUpdate(_ctx, null, &written, a, associatedLength) != 1) return false;
        int total = 0;
        if (length > 0)
        {
            if (lib.CipherUpdate(_ctx, p, &written, c, length) != 1) return false;
            total = written;
        }
        if (lib.Ctrl(_ctx, CtrlAeadSetTag, TagSize, t) != 1) return false;
        return lib.CipherFinal(_ctx, p + total, &written) == 1 && total + written == length;
    }

    ~NativeChaCha20Poly1305() => Dispose(false);

    protected override void Dispose(bool disposing)
    {
        CryptographicOperations.ZeroMemory(_key);
        nint ctx = Interlocked.Exchange(ref _ctx, 0);
        if (ctx != 0) Lib!.CtxFree(ctx); // EVP_CIPHER_CTX_free also clears the key schedule
    }

    /// <summary>
    /// Seals the RFC 8439 §2.8.2 example with both implementations: same ciphertext and tag, the native one opens it,
    /// and refuses it with one bit of the tag flipped.
    /// </summary>
    private static bool SelfCheck()
    {
        try
        {
            var key = new byte[KeySize];
            for (int i = 0; i < key.Length; i++) key[i] = (byte)(0x80 + i);
            byte[] nonce = [0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47];
            byte[] associated = [0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7];
            var plaintext = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."u8.ToArray();
            byte[] expected = new byte[plaintext.Length], expectedTag = new byte[TagSize];
            using (var managed = new ChaCha20Poly1305(key)) managed.Encrypt(nonce, plaintext, expected, expectedTag, associated);
            using var native = new NativeChaCha20Poly1305(key);
            byte[] sealedText = new byte[plaintext.Length], tag = new byte[TagSize], opened = new byte[plaintext.Length];
            if (!native.TrySeal(nonce, plaintext, sealedText, tag, associated)) return false;
            if (!sealedText.AsSpan().SequenceEqual(expected) || !tag.AsSpan().SequenceEqual(expectedTag)) return false;
            if (!native.TryOpen(nonce, sealedText, tag, opened, associated) || !opened.AsSpan().SequenceEqual(plaintext)) return false;
            tag[0] ^= 1;
            return !native.TryOpen(nonce, sealedText, tag, opened, associated);
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The few libcrypto entry points, resolved once.</summary>
    private sealed class Library
    {
        public delegate* unmanaged<nint> CtxNew;
        public delegate* unmanaged<nint, void> CtxFree;
        public delegate* unmanaged<nint, nint, nint, byte*, byte*, int, int> CipherInit;
        public delegate* unmanaged<nint, byte*, int*, byte*, int, int> CipherUpdate;
        public delegate* unmanaged<nint, byte*, int*, int> CipherFinal;
        public delegate* unmanaged<nint, int, int, void*, int> Ctrl;
        public nint Cipher;

        public static Library? Load()
        {
            if (!NativeLibrary.TryLoad("libcrypto.so.3", out nint handle)) return null;
            try
            {
                var lib = new Library
                {
                    CtxNew = (delegate* unmanaged<nint>)NativeLibrary.GetExport(handle, "EVP_CIPHER_CTX_new"),
                    CtxFree = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(handle, "EVP_CIPHER_CTX_free"),
                    CipherInit = (delegate* unmanaged<nint, nint, nint, byte*, byte*, int, int>)NativeLibrary.GetExport(handle, "EVP_CipherInit_ex"),
                    CipherUpdate = (delegate* unmanaged<nint, byte*, int*, byte*, int, int>)NativeLibrary.GetExport(handle, "EVP_CipherUpdate"),
                    CipherFinal = (delegate* unmanaged<nint, byte*, int*, int>)NativeLibrary.GetExport(handle, "EVP_CipherFinal_ex"),
                    Ctrl = (delegate* unmanaged<nint, int, int, void*, int>)NativeLibrary.GetExport(handle, "EVP_CIPHER_CTX_ctrl"),
                };
                lib.Cipher = ((delegate* unmanaged<nint>)NativeLibrary.GetExport(handle, "EVP_chacha20_poly1305"))();
                return lib.Cipher == 0 ? null : lib;
            }
            catch (EntryPointNotFoundException)
            {
                return null;
            }
        }
    }
}

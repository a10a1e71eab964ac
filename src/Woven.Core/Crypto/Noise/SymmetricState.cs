using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Woven.Crypto.Noise;

/// <summary>
/// The SymmetricState of the Noise spec (rev 34, section 5.2) with its CipherState (5.1) folded in, fixed to
/// ChaChaPoly and SHA256: chaining key <c>ck</c>, handshake hash <c>h</c>, cipher key <c>k</c> and nonce <c>n</c>.
/// Not thread-safe; owned by one <see cref="NoiseHandshake"/>.
/// </summary>
internal sealed class SymmetricState : IDisposable
{
    public const int HashLength = 32;
    public const int KeyLength = 32;
    public const int TagLength = 16;
    public const int NonceLength = 12;

    /// <summary>Bytes that <see cref="Save"/> writes: ck, h, k, n, and whether k is set.</summary>
    public const int SnapshotLength = 3 * HashLength + sizeof(ulong) + 1;

    private readonly byte[] _ck = X25519KeyPair.NewSecretBuffer();
    private readonly byte[] _h = new byte[HashLength];
    private readonly byte[] _k = X25519KeyPair.NewSecretBuffer();
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _hasKey;
    private ulong _n;

    /// <summary>InitializeSymmetric(protocol_name), then MixHash(prologue).</summary>
    public SymmetricState(ReadOnlySpan<byte> protocolName, ReadOnlySpan<byte> prologue)
    {
        if (protocolName.Length <= HashLength)
        {
            protocolName.CopyTo(_h); // zero-padded to HASHLEN; the rest of _h is already zero
        }
        else
        {
            SHA256.HashData(protocolName, _h);
        }
        _h.CopyTo(_ck);
        MixHash(prologue);
    }

    public ReadOnlySpan<byte> HandshakeHash => _h;

    public bool HasKey => _hasKey;

    public void MixHash(ReadOnlySpan<byte> data)
    {
        _hash.AppendData(_h);
        _hash.AppendData(data);
        _hash.GetHashAndReset(_h);
    }

    /// <summary>ck, temp_k = HKDF(ck, ikm); InitializeKey(temp_k).</summary>
    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> okm = stackalloc byte[2 * HashLength];
        Hkdf(_ck, inputKeyMaterial, okm);
        okm[..HashLength].CopyTo(_ck);
        okm[HashLength..].CopyTo(_k); // HASHLEN is 32, so temp_k needs no truncation
        CryptographicOperations.ZeroMemory(okm);
        _hasKey = true;
        _n = 0;
    }

    /// <summary>
    /// The HKDF of the Noise spec with two outputs: temp = HMAC(ck, ikm), o1 = HMAC(temp, 0x01),
    /// o2 = HMAC(temp, o1 || 0x02). That is RFC 5869 with salt ck and no info, but written out because the
    /// platform's HKDF (OpenSSL) refuses the empty input key material of Split().
    /// </summary>
    private static void Hkdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output)
    {
        Span<byte> temp = stackalloc byte[HashLength];
        Span<byte> block = stackalloc byte[HashLength + 1];
        HMACSHA256.HashData(chainingKey, inputKeyMaterial, temp);
        block[0] = 0x01;
        HMACSHA256.HashData(temp, block[..1], output[..HashLength]);
        output[..HashLength].CopyTo(block);
        block[HashLength] = 0x02;
        HMACSHA256.HashData(temp, block, output.Slice(HashLength, HashLength));
        CryptographicOperations.ZeroMemory(temp);
        CryptographicOperations.ZeroMemory(block);
    }

    /// <summary>EncryptAndHash: ciphertext (plaintext + tag once a key is set) into <paramref name="output"/>.</summary>
    public bool TryEncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> output, out int written)
    {
        written = 0;
        if (!_hasKey)
        {
            if (output.Length < plaintext.Length) return false;
            plaintext.CopyTo(output);
            written = plaintext.Length;
        }
        else
        {
            int length = plaintext.Length + TagLength;
            if (output.Length < length || _n == ulong.MaxValue) return false; // 2^64-1 is a reserved nonce
            Span<byte> nonce = stackalloc byte[NonceLength];
            WriteNonce(nonce, _n);
            using (var aead = new ChaCha20Poly1305(_k))
            {
                aead.Encrypt(nonce, plaintext, output[..plaintext.Length], output.Slice(plaintext.Length, TagLength), _h);
            }
            _n++;
            written = length;
        }
        MixHash(output[..written]);
        return true;
    }

    /// <summary>
    /// DecryptAndHash: false when the tag does not verify; <paramref name="plaintext"/> is then zeroed. The
    /// plaintext may take the ciphertext's own place (in-place decryption): h is computed over the ciphertext
    /// before it is overwritten.
    /// </summary>
    public bool TryDecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext, out int written)
    {
        written = 0;
        int length = _hasKey ? ciphertext.Length - TagLength : ciphertext.Length;
        if (length < 0 || plaintext.Length < length || _n == ulong.MaxValue) return false;
        Span<byte> nextHash = stackalloc byte[HashLength];
        _hash.AppendData(_h);
        _hash.AppendData(ciphertext);
        _hash.GetHashAndReset(nextHash);
        if (!_hasKey)
        {
            ciphertext.CopyTo(plaintext);
        }
        else
        {
            Span<byte> nonce = stackalloc byte[NonceLength];
            WriteNonce(nonce, _n);
            try
            {
                using var aead = new ChaCha20Poly1305(_k);
                aead.Decrypt(nonce, ciphertext[..length], ciphertext[length..], plaintext[..length], _h);
            }
            catch (CryptographicException)
            {
                CryptographicOperations.ZeroMemory(plaintext[..length]);
                return false;
            }
            _n++;
        }
        nextHash.CopyTo(_h);
        written = length;
        return true;
    }

    /// <summary>Split(): the two transport keys, initiator-to-responder first.</summary>
    public void Split(Span<byte> initiatorToResponder, Span<byte> responderToInitiator)
    {
        Span<byte> okm = stackalloc byte[2 * HashLength];
        Hkdf(_ck, ReadOnlySpan<byte>.Empty, okm);
        okm[..KeyLength].CopyTo(initiatorToResponder);
        okm.Slice(HashLength, KeyLength).CopyTo(responderToInitiator);
        CryptographicOperations.ZeroMemory(okm);
    }

    /// <summary>Copies the whole state so that a failed read can be undone with <see cref="Restore"/>.</summary>
    public void Save(Span<byte> snapshot)
    {
        _ck.CopyTo(snapshot);
        _h.CopyTo(snapshot[HashLength..]);
        _k.CopyTo(snapshot[(2 * HashLength)..]);
        BinaryPrimitives.WriteUInt64LittleEndian(snapshot[(3 * HashLength)..], _n);
        snapshot[SnapshotLength - 1] = _hasKey ? (byte)1 : (byte)0;
    }

    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        snapshot[..HashLength].CopyTo(_ck);
        snapshot.Slice(HashLength, HashLength).CopyTo(_h);
        snapshot.Slice(2 * HashLength, KeyLength).CopyTo(_k);
        _n = BinaryPrimitives.ReadUInt64LittleEndian(snapshot[(3 * HashLength)..]);
        _hasKey = snapshot[SnapshotLength - 1] != 0;
    }

    /// <summary>Forgets ck and k once the handshake is over; h stays readable as the handshake hash.</summary>
    public void WipeKeys()
    {
        CryptographicOperations.ZeroMemory(_ck);
        CryptographicOperations.ZeroMemory(_k);
        _hasKey = false;
        _n = 0;
    }

    /// <summary>The ChaChaPoly nonce of the Noise spec: 32 bits of zeros, then n as 64-bit little-endian.</summary>
    public static void WriteNonce(Span<byte> nonce, ulong n)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], n);
    }

    public void Dispose()
    {
        WipeKeys();
        CryptographicOperations.ZeroMemory(_h);
        _hash.Dispose();
    }
}

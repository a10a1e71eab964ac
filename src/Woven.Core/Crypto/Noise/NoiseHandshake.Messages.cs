using System.Security.Cryptography;

namespace Woven.Crypto.Noise;

/// <summary>The three XX messages, token by token, as section 5.3 of the Noise spec processes them.</summary>
public sealed partial class NoiseHandshake
{
    private const int EncryptedKeySize = KeySize + TagSize;

    // -> e
    private bool WriteMessage1(ReadOnlySpan<byte> payload, Span<byte> output)
    {
        WriteEphemeral(output);
        return _symmetric.TryEncryptAndHash(payload, output[KeySize..], out _);
    }

    private bool ReadMessage1(ReadOnlySpan<byte> message, Span<byte> payloadOut)
    {
        ReadEphemeral(message);
        return _symmetric.TryDecryptAndHash(message[KeySize..], payloadOut, out _);
    }

    // <- e, ee, s, es
    private bool WriteMessage2(ReadOnlySpan<byte> payload, Span<byte> output)
    {
        WriteEphemeral(output);
        return MixDh(_e, _re)
            && _symmetric.TryEncryptAndHash(_sPublic, output.Slice(KeySize, EncryptedKeySize), out _)
            && MixDh(_s, _re)
            && _symmetric.TryEncryptAndHash(payload, output[(KeySize + EncryptedKeySize)..], out _);
    }

    private bool ReadMessage2(ReadOnlySpan<byte> message, Span<byte> payloadOut)
    {
        ReadEphemeral(message);
        if (!MixDh(_e, _re)) return false;
        if (!_symmetric.TryDecryptAndHash(message.Slice(KeySize, EncryptedKeySize), _rs, out _)) return false;
        _hasRs = true;
        return MixDh(_e, _rs)
            && _symmetric.TryDecryptAndHash(message[(KeySize + EncryptedKeySize)..], payloadOut, out _);
    }

    // -> s, se
    private bool WriteMessage3(ReadOnlySpan<byte> payload, Span<byte> output) =>
        _symmetric.TryEncryptAndHash(_sPublic, output[..EncryptedKeySize], out _)
        && MixDh(_s, _re)
        && _symmetric.TryEncryptAndHash(payload, output[EncryptedKeySize..], out _);

    private bool ReadMessage3(ReadOnlySpan<byte> message, Span<byte> payloadOut)
    {
        if (!_symmetric.TryDecryptAndHash(message[..EncryptedKeySize], _rs, out _)) return false;
        _hasRs = true;
        return MixDh(_e, _rs)
            && _symmetric.TryDecryptAndHash(message[EncryptedKeySize..], payloadOut, out _);
    }

    /// <summary>Token e when writing: a fresh ephemeral key unless a test injected one, sent in clear and hashed.</summary>
    private void WriteEphemeral(Span<byte> output)
    {
        if (!_hasE)
        {
            RandomNumberGenerator.Fill(_e);
            X25519KeyPair.DerivePublicKey(_e, _ePublic);
            _hasE = true;
        }
        _ePublic.CopyTo(output);
        _symmetric.MixHash(_ePublic);
    }

    /// <summary>Token e when reading.</summary>
    private void ReadEphemeral(ReadOnlySpan<byte> message)
    {
        message[..KeySize].CopyTo(_re);
        _hasRe = true;
        _symmetric.MixHash(_re);
    }

    /// <summary>Tokens ee, es, se: MixKey(DH(local, remote)); false for an all-zero DH result.</summary>
    private bool MixDh(byte[] localPrivate, byte[] remotePublic)
    {
        bool ok = X25519KeyPair.TryAgree(localPrivate, remotePublic, _dhResult);
        if (ok) _symmetric.MixKey(_dhResult);
        CryptographicOperations.ZeroMemory(_dhResult);
        return ok;
    }
}

using System.Security.Cryptography;

namespace Woven.Crypto.Noise;

/// <summary>
/// One side of a <c>Noise_XX_25519_ChaChaPoly_SHA256</c> handshake (Noise Protocol Framework, revision 34), without
/// I/O: the caller moves the three messages between the peers in whatever framing it likes.
/// <code>
///   XX:
///     -> e                      message 1: e.pub (32) || payload                              (32 + p bytes)
///     &lt;- e, ee, s, es            message 2: e.pub (32) || enc(s.pub) (48) || enc(payload) (p+16) (96 + p bytes)
///     -> s, se                  message 3: enc(s.pub) (48) || enc(payload) (p+16)              (64 + p bytes)
/// </code>
/// The payload of message 1 is sent in clear and unauthenticated; the payload of message 2 is encrypted to an
/// ephemeral key but the initiator is not yet authenticated to the responder; the payload of message 3 has full
/// protection. Every message is at most <see cref="MaxMessageLength"/> bytes.
/// <para>
/// <see cref="TryReadMessage"/> never throws on what arrives: malformed or forged input returns false and leaves the
/// handshake exactly as it was, so a forged packet cannot kill a handshake that a genuine one would complete. A
/// DH result of all zeros (a low-order public key) fails the message the same way. After the third message
/// <see cref="IsComplete"/> is true and <see cref="Split"/> gives the transport keys. Not thread-safe.
/// </para>
/// </summary>
public sealed partial class NoiseHandshake : IDisposable
{
    public const string ProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";
    public const int MaxMessageLength = 65535;
    public const int KeySize = X25519KeyPair.KeySize;
    public const int TagSize = SymmetricState.TagLength;

    /// <summary>Bytes of message 1 besides the payload: e.</summary>
    public const int Message1Overhead = KeySize;

    /// <summary>Bytes of message 2 besides the payload: e, encrypted s, payload tag.</summary>
    public const int Message2Overhead = KeySize + KeySize + TagSize + TagSize;

    /// <summary>Bytes of message 3 besides the payload: encrypted s, payload tag.</summary>
    public const int Message3Overhead = KeySize + TagSize + TagSize;

    private const int Complete = 3;

    private readonly bool _initiator;
    private readonly SymmetricState _symmetric;
    private readonly byte[] _s = X25519KeyPair.NewSecretBuffer();
    private readonly byte[] _sPublic = new byte[KeySize];
    private readonly byte[] _e = X25519KeyPair.NewSecretBuffer();
    private readonly byte[] _ePublic = new byte[KeySize];
    private readonly byte[] _re = new byte[KeySize];
    private readonly byte[] _rs = new byte[KeySize];
    private readonly byte[] _dhResult = X25519KeyPair.NewSecretBuffer();
    private readonly byte[] _sendKey = X25519KeyPair.NewSecretBuffer();
    private readonly byte[] _receiveKey = X25519KeyPair.NewSecretBuffer();
    private bool _hasE;
    private bool _hasRe;
    private bool _hasRs;
    private int _step; // index of the next message, 0..2; Complete after the third
    private bool _failed;
    private bool _disposed;

    private NoiseHandshake(bool initiator, ReadOnlySpan<byte> staticPrivate, ReadOnlySpan<byte> staticPublic,
        ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> ephemeralPrivate)
    {
        if (staticPrivate.Length != KeySize)
            throw new ArgumentException($"an X25519 private key is {KeySize} bytes, got {staticPrivate.Length}", nameof(staticPrivate));
        if (!ephemeralPrivate.IsEmpty && ephemeralPrivate.Length != KeySize)
            throw new ArgumentException($"an X25519 private key is {KeySize} bytes, got {ephemeralPrivate.Length}", nameof(ephemeralPrivate));
        _initiator = initiator;
        staticPrivate.CopyTo(_s);
        if (staticPublic.Length == KeySize) staticPublic.CopyTo(_sPublic);
        else X25519KeyPair.DerivePublicKey(_s, _sPublic);
        if (!ephemeralPrivate.IsEmpty)
        {
            ephemeralPrivate.CopyTo(_e);
            X25519KeyPair.DerivePublicKey(_e, _ePublic);
            _hasE = true;
        }
        // XX has no pre-messages, so the prologue is the last thing mixed in before message 1.
        _symmetric = new SymmetricState("Noise_XX_25519_ChaChaPoly_SHA256"u8, prologue);
    }

    /// <summary>The initiator side, with the static private key as 32 bytes. Both sides must use the same prologue.</summary>
    public static NoiseHandshake CreateInitiator(ReadOnlySpan<byte> staticPrivate, ReadOnlySpan<byte> prologue) =>
        new(true, staticPrivate, ReadOnlySpan<byte>.Empty, prologue, ReadOnlySpan<byte>.Empty);

    /// <summary>The responder side, with the static private key as 32 bytes. Both sides must use the same prologue.</summary>
    public static NoiseHandshake CreateResponder(ReadOnlySpan<byte> staticPrivate, ReadOnlySpan<byte> prologue) =>
        new(false, staticPrivate, ReadOnlySpan<byte>.Empty, prologue, ReadOnlySpan<byte>.Empty);

    /// <summary>The initiator side with a long-lived key pair, which saves deriving its public key again.</summary>
    public static NoiseHandshake CreateInitiator(X25519KeyPair staticKey, ReadOnlySpan<byte> prologue) =>
        new(true, staticKey.ExportPrivateKey(), staticKey.PublicKey, prologue, ReadOnlySpan<byte>.Empty);

    /// <summary>The responder side with a long-lived key pair, which saves deriving its public key again.</summary>
    public static NoiseHandshake CreateResponder(X25519KeyPair staticKey, ReadOnlySpan<byte> prologue) =>
        new(false, staticKey.ExportPrivateKey(), staticKey.PublicKey, prologue, ReadOnlySpan<byte>.Empty);

    /// <summary>Test vectors only: the initiator with a fixed ephemeral private key instead of a random one.</summary>
    internal static NoiseHandshake CreateInitiator(ReadOnlySpan<byte> staticPrivate, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> ephemeralPrivate) =>
        new(true, staticPrivate, ReadOnlySpan<byte>.Empty, prologue, ephemeralPrivate);

    /// <summary>Test vectors only: the responder with a fixed ephemeral private key instead of a random one.</summary>
    internal static NoiseHandshake CreateResponder(ReadOnlySpan<byte> staticPrivate, ReadOnlySpan<byte> prologue, ReadOnlySpan<byte> ephemeralPrivate) =>
        new(false, staticPrivate, ReadOnlySpan<byte>.Empty, prologue, ephemeralPrivate);

    public bool IsInitiator => _initiator;

    /// <summary>True once all three messages have been written or read.</summary>
    public bool IsComplete => _step == Complete && !_disposed;

    /// <summary>True when a DH result was all zeros while writing; the handshake can then go no further.</summary>
    public bool HasFailed => _failed;

    /// <summary>True when the next step is <see cref="TryWriteMessage"/> rather than <see cref="TryReadMessage"/>.</summary>
    public bool IsWriteTurn => _step < Complete && !_failed && !_disposed && (_step % 2 == 0) == _initiator;

    /// <summary>Bytes that the next message adds to its payload, whichever side writes it; 0 once complete.</summary>
    public int NextMessageOverhead => _step switch
    {
        0 => Message1Overhead,
        1 => Message2Overhead,
        2 => Message3Overhead,
        _ => 0,
    };

    public ReadOnlySpan<byte> LocalStaticPublicKey => _sPublic;

    /// <summary>The peer's static public key: empty until the message that carries it has been read.</summary>
    public ReadOnlySpan<byte> RemoteStaticPublicKey => _hasRs ? _rs : ReadOnlySpan<byte>.Empty;

    /// <summary>
    /// h: after the handshake, a unique identifier of this session that both sides share (for channel binding,
    /// e.g. signing it with a long-term identity key).
    /// </summary>
    public ReadOnlySpan<byte> HandshakeHash => _symmetric.HandshakeHash;

    /// <summary>
    /// Writes the next handshake message with <paramref name="payload"/> into <paramref name="output"/>. False,
    /// with nothing changed, when it is not this side's turn, the output is too small or the message would exceed
    /// <see cref="MaxMessageLength"/>; false for good when a DH result is all zeros.
    /// </summary>
    public bool TryWriteMessage(ReadOnlySpan<byte> payload, Span<byte> output, out int written)
    {
        written = 0;
        if (!IsWriteTurn) return false;
        int length = NextMessageOverhead + payload.Length;
        if (length > MaxMessageLength || output.Length < length) return false;

        bool ok = _step switch
        {
            0 => WriteMessage1(payload, output),
            1 => WriteMessage2(payload, output),
            _ => WriteMessage3(payload, output),
        };
        if (!ok)
        {
            _failed = true;
            CryptographicOperations.ZeroMemory(output[..length]);
            return false;
        }
        written = length;
        Advance();
        return true;
    }

    /// <summary>
    /// Reads the next handshake message and writes its payload to <paramref name="payloadOut"/>, which may be the
    /// payload's own place inside the message buffer (decryption in place) but must not otherwise overlap it.
    /// False, with the handshake unchanged, on any malformed, truncated, oversized or forged message, when it is
    /// not this side's turn, or when <paramref name="payloadOut"/> is too small.
    /// </summary>
    public bool TryReadMessage(ReadOnlySpan<byte> message, Span<byte> payloadOut, out int payloadLength)
    {
        payloadLength = 0;
        if (_step >= Complete || _failed || _disposed || IsWriteTurn) return false;
        int overhead = NextMessageOverhead;
        if (message.Length < overhead || message.Length > MaxMessageLength) return false;
        int length = message.Length - overhead;
        if (payloadOut.Length < length) return false;

        Span<byte> snapshot = stackalloc byte[SymmetricState.SnapshotLength];
        _symmetric.Save(snapshot);
        bool hadRe = _hasRe, hadRs = _hasRs;
        bool ok = _step switch
        {
            0 => ReadMessage1(message, payloadOut),
            1 => ReadMessage2(message, payloadOut),
            _ => ReadMessage3(message, payloadOut),
        };
        if (!ok)
        {
            _symmetric.Restore(snapshot);
            _hasRe = hadRe;
            _hasRs = hadRs;
            CryptographicOperations.ZeroMemory(payloadOut[..length]);
        }
        CryptographicOperations.ZeroMemory(snapshot);
        if (!ok) return false;
        payloadLength = length;
        Advance();
        return true;
    }

    /// <summary>
    /// The transport keys from Split(): this side's sending key and receiving key, 32 bytes each. The caller owns
    /// the copies and should zero them once a <see cref="TransportSession"/> holds them.
    /// </summary>
    public void Split(Span<byte> sendingKey, Span<byte> receivingKey)
    {
        if (!IsComplete) throw new InvalidOperationException("the handshake is not complete");
        if (sendingKey.Length < KeySize || receivingKey.Length < KeySize)
            throw new ArgumentException($"each key needs {KeySize} bytes");
        _sendKey.CopyTo(sendingKey);
        _receiveKey.CopyTo(receivingKey);
    }

    /// <summary>A transport session keyed from this handshake; the keys never leave this object and the session.</summary>
    public TransportSession CreateTransportSession(TimeProvider timeProvider, TransportLimits? limits = null)
    {
        if (!IsComplete) throw new InvalidOperationException("the handshake is not complete");
        return new TransportSession(_sendKey, _receiveKey, timeProvider, limits);
    }

    private void Advance()
    {
        _step++;
        if (_step != Complete) return;
        // Initiator sends with the first key of Split(), the responder with the second.
        if (_initiator) _symmetric.Split(_sendKey, _receiveKey);
        else _symmetric.Split(_receiveKey, _sendKey);
        _symmetric.WipeKeys();
        CryptographicOperations.ZeroMemory(_e);
        CryptographicOperations.ZeroMemory(_s);
        CryptographicOperations.ZeroMemory(_dhResult);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _symmetric.Dispose();
        CryptographicOperations.ZeroMemory(_s);
        CryptographicOperations.ZeroMemory(_e);
        CryptographicOperations.ZeroMemory(_dhResult);
        CryptographicOperations.ZeroMemory(_sendKey);
        CryptographicOperations.ZeroMemory(_receiveKey);
        CryptographicOperations.ZeroMemory(_ePublic);
        CryptographicOperations.ZeroMemory(_re);
        CryptographicOperations.ZeroMemory(_rs);
        _hasE = _hasRe = _hasRs = false;
    }

    public override string ToString() =>
        $"Noise XX {(_initiator ? "initiator" : "responder")}, {(_step == Complete ? "complete" : $"next message {_step + 1}")}";
}

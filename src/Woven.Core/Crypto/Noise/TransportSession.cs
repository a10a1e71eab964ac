using System.Security.Cryptography;

namespace Woven.Crypto.Noise;

/// <summary>
/// The data phase after a Noise handshake, in the manner of WireGuard: ChaCha20-Poly1305 with one key per
/// direction and an explicit 64-bit counter per message. The nonce is that of Noise's CipherState, 4 zero bytes
/// then the counter little-endian; a sealed message is the ciphertext followed by a 16-byte tag. The counter is
/// not part of the output: the caller carries it in its packet header (and should authenticate that header as
/// associated data) and hands it to <see cref="TryOpen"/>, which accepts each counter once within a
/// <see cref="ReplayWindow"/>, so messages may arrive out of order.
/// <para>
/// <see cref="TrySeal"/> may run on several threads at once; <see cref="TryOpen"/> too, with a short lock around
/// the window. Neither throws on what arrives, and neither allocates for genuine traffic. The AEAD is
/// <see cref="AeadCipher"/>: OpenSSL's through EVP where it passed its self-check (a forged tag is a plain false),
/// else .NET's (a forged tag costs an exception inside it, caught there). Output may be the plaintext's own buffer. After
/// <see cref="TransportLimits.RejectAfterTime"/> or once the counters are used up, both refuse; well before that
/// <see cref="NeedsRekey"/> turns true so that the owner can run a new handshake.
/// </para>
/// </summary>
public sealed class TransportSession : IDisposable
{
    public const int KeySize = 32;
    public const int TagSize = 16;
    private const int NonceSize = 12;

    private readonly AeadPool _send;
    private readonly AeadPool _receive;
    private readonly ReplayWindow _window = new();
    private readonly Lock _windowLock = new();
    private readonly TimeProvider _time;
    private readonly TransportLimits _limits;
    private readonly long _createdAt;
    private readonly long _rekeyAt;
    private readonly long _rejectAt;
    private ulong _nextSendCounter;
    private ulong _received;
    private ulong _rejected;
    private volatile bool _disposed;

    /// <summary>A session from two 32-byte keys, as <see cref="NoiseHandshake.Split"/> gives them.</summary>
    public TransportSession(ReadOnlySpan<byte> sendingKey, ReadOnlySpan<byte> receivingKey, TimeProvider timeProvider, TransportLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (sendingKey.Length != KeySize) throw new ArgumentException($"a transport key is {KeySize} bytes, got {sendingKey.Length}", nameof(sendingKey));
        if (receivingKey.Length != KeySize) throw new ArgumentException($"a transport key is {KeySize} bytes, got {receivingKey.Length}", nameof(receivingKey));
        _limits = limits ?? TransportLimits.Default;
        _limits.Validate();
        _time = timeProvider;
        _createdAt = timeProvider.GetTimestamp();
        _rekeyAt = _createdAt + ToTimestampTicks(_limits.RekeyAfterTime, timeProvider.TimestampFrequency);
        _rejectAt = _createdAt + ToTimestampTicks(_limits.RejectAfterTime, timeProvider.TimestampFrequency);
        _send = new AeadPool(sendingKey);
        _receive = new AeadPool(receivingKey);
    }

    public TransportLimits Limits => _limits;

    /// <summary>Time since the keys were made.</summary>
    public TimeSpan Age => _time.GetElapsedTime(_createdAt);

    /// <summary>Messages sealed so far (the next send counter).</summary>
    public ulong MessagesSent => Math.Min(Volatile.Read(ref _nextSendCounter), _limits.RejectAfterMessages);

    /// <summary>Messages that authenticated and were not replays.</summary>
    public ulong MessagesReceived => Volatile.Read(ref _received);

    /// <summary>Messages that <see cref="TryOpen"/> turned away: forged, corrupted, replayed, too old or too late.</summary>
    public ulong MessagesRejected => Volatile.Read(ref _rejected);

    /// <summary>True once a new handshake is due: the keys are old, or either direction has used many counters.</summary>
    public bool NeedsRekey()
    {
        if (_disposed || _time.GetTimestamp() >= _rekeyAt) return true;
        if (Volatile.Read(ref _nextSendCounter) >= _limits.RekeyAfterMessages) return true;
        lock (_windowLock)
        {
            return _window.Highest >= _limits.RekeyAfterMessages;
        }
    }

    /// <summary>True once seal and open refuse: too old, send counters used up, or disposed.</summary>
    public bool IsExpired =>
        _disposed || _time.GetTimestamp() >= _rejectAt || Volatile.Read(ref _nextSendCounter) >= _limits.RejectAfterMessages;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="output"/> as ciphertext || tag
    /// (<c>plaintext.Length + 16</c> bytes) under the next counter. False when the output is too small or the
    /// session is expired; a counter is then not used, except when the counters have just run out.
    /// </summary>
    public bool TrySeal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output, out ulong counter, out int written)
    {
        counter = 0;
        written = 0;
        int length = plaintext.Length + TagSize;
        if (output.Length < length || _disposed || _time.GetTimestamp() >= _rejectAt) return false;
        ulong limit = _limits.RejectAfterMessages;
        if (Volatile.Read(ref _nextSendCounter) >= limit) return false;
        ulong c = Interlocked.Increment(ref _nextSendCounter) - 1;
        if (c >= limit) return false;

        var aead = _send.Rent();
        if (aead is null) return false;
        try
        {
            Span<byte> nonce = stackalloc byte[NonceSize];
            SymmetricState.WriteNonce(nonce, c);
            if (!aead.TrySeal(nonce, plaintext, output[..plaintext.Length], output.Slice(plaintext.Length, TagSize), associatedData)) return false;
        }
        finally
        {
            _send.Return(aead);
        }
        counter = c;
        written = length;
        return true;
    }

    /// <summary>
    /// Authenticates and decrypts ciphertext || tag sent under <paramref name="counter"/> into
    /// <paramref name="plaintext"/>. False for a forgery, a replay, a counter too far behind the window or beyond
    /// the limit, an expired session, or a plaintext buffer that is too small. The window moves only for a
    /// message that authenticated.
    /// </summary>
    public bool TryOpen(ulong counter, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext, out int written)
    {
        written = 0;
        int length = ciphertext.Length - TagSize;
        if (length < 0 || plaintext.Length < length || counter >= _limits.RejectAfterMessages
            || _disposed || _time.GetTimestamp() >= _rejectAt)
        {
            return Reject();
        }
        // Cheap check first, so that replays cost no decryption; checked again after it, as another thread
        // may have accepted the same counter meanwhile.
        lock (_windowLock)
        {
            if (!_window.IsAcceptable(counter)) return Reject();
        }

        var aead = _receive.Rent();
        if (aead is null) return Reject();
        try
        {
            Span<byte> nonce = stackalloc byte[NonceSize];
            SymmetricState.WriteNonce(nonce, counter);
            if (!aead.TryOpen(nonce, ciphertext[..length], ciphertext[length..], plaintext[..length], associatedData)) return Reject();
        }
        finally
        {
            _receive.Return(aead);
        }

        lock (_windowLock)
        {
            if (!_window.TryAccept(counter))
            {
                CryptographicOperations.ZeroMemory(plaintext[..length]);
                return Reject();
            }
            _received++;
        }
        written = length;
        return true;
    }

    private bool Reject()
    {
        Interlocked.Increment(ref _rejected);
        return false;
    }

    /// <summary>A span in the time provider's timestamp units, capped far from overflow.</summary>
    private static long ToTimestampTicks(TimeSpan span, long frequency) =>
        (long)Int128.Min((Int128)span.Ticks * frequency / TimeSpan.TicksPerSecond, long.MaxValue / 4);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _send.Dispose();
        _receive.Dispose();
    }

    public override string ToString() => $"transport session, {MessagesSent} sent, {MessagesReceived} received";
}

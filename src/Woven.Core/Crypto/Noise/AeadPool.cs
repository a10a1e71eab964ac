using System.Security.Cryptography;

namespace Woven.Crypto.Noise;

/// <summary>
/// <see cref="AeadCipher"/> instances (ChaCha20-Poly1305) for one key, rented one per operation. An instance is not safe for concurrent use on
/// every platform (OpenSSL keeps a context per instance), so threads that seal at once each get their own; in the
/// steady state renting allocates nothing. Instances beyond the pool's capacity are disposed on return.
/// </summary>
internal sealed class AeadPool : IDisposable
{
    private readonly byte[] _key = X25519KeyPair.NewSecretBuffer();
    private readonly AeadCipher?[] _slots;
    private readonly Lock _gate = new();
    private volatile bool _disposed;

    public AeadPool(ReadOnlySpan<byte> key)
    {
        key.CopyTo(_key);
        _slots = new AeadCipher?[Math.Clamp(Environment.ProcessorCount, 2, 64)];
        _slots[0] = AeadCipher.Create(_key);
    }

    /// <summary>An instance for this key, or null once disposed.</summary>
    public AeadCipher? Rent()
    {
        var slots = _slots;
        int start = Environment.CurrentManagedThreadId;
        for (int i = 0; i < slots.Length; i++)
        {
            var aead = Interlocked.Exchange(ref slots[(start + i) % slots.Length], null);
            if (aead is not null) return aead;
        }
        // The key is read only under the gate, so an instance is never made from a key that Dispose is zeroing.
        lock (_gate)
        {
            return _disposed ? null : AeadCipher.Create(_key);
        }
    }

    public void Return(AeadCipher aead)
    {
        var slots = _slots;
        int start = Environment.CurrentManagedThreadId;
        for (int i = 0; i < slots.Length; i++)
        {
            if (Interlocked.CompareExchange(ref slots[(start + i) % slots.Length], aead, null) is null)
            {
                if (_disposed) Drain(); // lost a race with Dispose: do not leave an instance behind
                return;
            }
        }
        aead.Dispose();
    }

    private void Drain()
    {
        for (int i = 0; i < _slots.Length; i++) Interlocked.Exchange(ref _slots[i], null)?.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            CryptographicOperations.ZeroMemory(_key);
        }
        Drain();
    }
}

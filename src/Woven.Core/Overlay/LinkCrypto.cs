using Woven.Crypto.Noise;

namespace Woven.Overlay;

/// <summary>
/// The cipher suite of link handshakes and transport data. Real nodes use <see cref="NoiseLinkCrypto"/>
/// (Noise_XX_25519_ChaChaPoly_SHA256). The simulator, which runs the same link protocol between up to 100,000 nodes,
/// uses <see cref="ClearLinkCrypto"/>: the same messages, payloads and checks, with the Diffie-Hellman and the AEAD left
/// out (it proves nothing and must never face a real network).
/// </summary>
public abstract class LinkCrypto
{
    /// <summary>The static public key the handshake proves, to be matched with the peer's node key.</summary>
    public abstract ReadOnlySpan<byte> StaticPublicKey { get; }

    public abstract LinkHandshakeState Begin(bool initiator);
}

/// <summary>One side of one handshake.</summary>
public abstract class LinkHandshakeState : IDisposable
{
    public abstract bool TryWrite(ReadOnlySpan<byte> payload, Span<byte> output, out int written);

    public abstract bool TryRead(ReadOnlySpan<byte> message, Span<byte> payload, out int payloadLength);

    /// <summary>The peer's static key, once the message carrying it has been read.</summary>
    public abstract ReadOnlySpan<byte> RemoteStatic { get; }

    public abstract bool IsComplete { get; }

    public abstract LinkSession CreateSession(TimeProvider time);

    public abstract void Dispose();
}

/// <summary>Transport data of one established link: counter-nonce AEAD with a replay window.</summary>
public abstract class LinkSession : IDisposable
{
    public const int TagSize = 16;

    public abstract bool TrySeal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output, out ulong counter, out int written);

    public abstract bool TryOpen(ulong counter, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext, out int written);

    /// <summary>Old enough (by time or count) that a new handshake should replace it.</summary>
    public abstract bool NeedsRekey();

    /// <summary>Past its hard limits: it seals and opens nothing any more.</summary>
    public abstract bool IsExpired { get; }

    public abstract void Dispose();
}

/// <summary>Noise_XX_25519_ChaChaPoly_SHA256 with the prologue "woven-link-v1".</summary>
public sealed class NoiseLinkCrypto(X25519KeyPair staticKey, TransportLimits? limits = null) : LinkCrypto
{
    private static readonly byte[] Prologue = "woven-link-v1"u8.ToArray();

    public override ReadOnlySpan<byte> StaticPublicKey => staticKey.PublicKey;

    public override LinkHandshakeState Begin(bool initiator) =>
        new State(initiator ? NoiseHandshake.CreateInitiator(staticKey, Prologue) : NoiseHandshake.CreateResponder(staticKey, Prologue), limits);

    private sealed class State(NoiseHandshake handshake, TransportLimits? limits) : LinkHandshakeState
    {
        public override bool TryWrite(ReadOnlySpan<byte> payload, Span<byte> output, out int written) => handshake.TryWriteMessage(payload, output, out written);

        public override bool TryRead(ReadOnlySpan<byte> message, Span<byte> payload, out int payloadLength) => handshake.TryReadMessage(message, payload, out payloadLength);

        public override ReadOnlySpan<byte> RemoteStatic => handshake.RemoteStaticPublicKey;

        public override bool IsComplete => handshake.IsComplete;

        public override LinkSession CreateSession(TimeProvider time) => new Session(handshake.CreateTransportSession(time, limits));

        public override void Dispose() => handshake.Dispose();
    }

    private sealed class Session(TransportSession session) : LinkSession
    {
        public override bool TrySeal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output, out ulong counter, out int written) =>
            session.TrySeal(plaintext, associatedData, output, out counter, out written);

        public override bool TryOpen(ulong counter, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext, out int written) =>
            session.TryOpen(counter, ciphertext, associatedData, plaintext, out written);

        public override bool NeedsRekey() => session.NeedsRekey();

        public override bool IsExpired => session.IsExpired;

        public override void Dispose() => session.Dispose();
    }
}

/// <summary>
/// The simulator's suite: handshake messages carry the static key and the payload in the clear; transport data is the
/// plaintext and a zero tag, with the same counters and replay window as the real thing.
/// </summary>
public sealed class ClearLinkCrypto(byte[] staticPublicKey) : LinkCrypto
{
    public override ReadOnlySpan<byte> StaticPublicKey => staticPublicKey;

    public override LinkHandshakeState Begin(bool initiator) => new State(staticPublicKey, initiator);

    /// <summary>
    /// A simulated node's identity: a seeded random public key (no key generation, reproducible) that has an X25519
    /// twin, and the clear suite that claims that twin.
    /// </summary>
    public static Crypto.NodeIdentity SeededIdentity(Random random, out ClearLinkCrypto crypto)
    {
        var key = new byte[Crypto.NodeIdentity.KeySize];
        byte[]? dh;
        do
        {
            random.NextBytes(key);
            dh = Crypto.NodeIdentity.StaticDhPublicKey(key);
        }
        while (dh is null);
        crypto = new ClearLinkCrypto(dh);
        return Crypto.NodeIdentity.FromPublicKeyOnly(key);
    }

    private sealed class State(byte[] own, bool initiator) : LinkHandshakeState
    {
        private byte[]? _remote;
        private int _step;

        public override bool TryWrite(ReadOnlySpan<byte> payload, Span<byte> output, out int written)
        {
            written = 0;
            // Message 1 stands in for the ephemeral key; messages 2 and 3 carry the static key and the payload.
            int header = _step == 0 ? 32 : 32;
            if (output.Length < header + payload.Length || (_step % 2 == 0) != initiator) return false;
            if (_step == 0) output[..32].Clear();
            else own.CopyTo(output);
            payload.CopyTo(output[header..]);
            written = header + payload.Length;
            _step++;
            return true;
        }

        public override bool TryRead(ReadOnlySpan<byte> message, Span<byte> payload, out int payloadLength)
        {
            payloadLength = 0;
            if (message.Length < 32 || (_step % 2 == 0) == initiator || payload.Length < message.Length - 32) return false;
            if (_step > 0) _remote = message[..32].ToArray();
            message[32..].CopyTo(payload);
            payloadLength = message.Length - 32;
            _step++;
            return true;
        }

        public override ReadOnlySpan<byte> RemoteStatic => _remote;

        public override bool IsComplete => _step >= 3;

        public override LinkSession CreateSession(TimeProvider time) => new Session();

        public override void Dispose()
        {
        }
    }

    private sealed class Session : LinkSession
    {
        private ulong _next;
        private ulong _highest;
        private ulong _seen; // bit i: counter _highest - i arrived (a 64-message window is plenty in simulation)

        public override bool TrySeal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> output, out ulong counter, out int written)
        {
            counter = _next++;
            written = plaintext.Length + TagSize;
            if (output.Length < written)
            {
                written = 0;
                return false;
            }
            plaintext.CopyTo(output);
            output.Slice(plaintext.Length, TagSize).Clear();
            return true;
        }

        public override bool TryOpen(ulong counter, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext, out int written)
        {
            written = 0;
            if (ciphertext.Length < TagSize || plaintext.Length < ciphertext.Length - TagSize) return false;
            if (ciphertext[^TagSize..].IndexOfAnyExcept((byte)0) >= 0 || !Accept(counter)) return false;
            ciphertext[..^TagSize].CopyTo(plaintext);
            written = ciphertext.Length - TagSize;
            return true;
        }

        private bool Accept(ulong counter)
        {
            if (counter > _highest || (_highest == 0 && _seen == 0))
            {
                ulong shift = counter - _highest;
                _seen = shift >= 64 ? 1UL : (_seen << (int)shift) | 1UL;
                _highest = counter;
                return true;
            }
            ulong behind = _highest - counter;
            if (behind >= 64 || (_seen & (1UL << (int)behind)) != 0) return false;
            _seen |= 1UL << (int)behind;
            return true;
        }

        public override bool NeedsRekey() => false;

        public override bool IsExpired => false;

        public override void Dispose()
        {
        }
    }
}

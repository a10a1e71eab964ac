using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Woven.Crypto.Noise;

namespace Woven.Bench;

/// <summary>
/// A complete Noise XX handshake, both sides in one thread (three messages with small payloads, two ephemeral
/// key generations and six DH operations), and a single X25519 agreement for scale.
/// </summary>
public class HandshakeBenchmarks : IDisposable
{
    private readonly X25519KeyPair _initiatorKey = X25519KeyPair.Generate();
    private readonly X25519KeyPair _responderKey = X25519KeyPair.Generate();
    private readonly byte[] _prologue = "woven-bench"u8.ToArray();
    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(64);
    private readonly byte[] _message = new byte[NoiseHandshake.Message2Overhead + 64];
    private readonly byte[] _received = new byte[64];
    private readonly byte[] _shared = new byte[32];

    [Benchmark(Description = "XX handshake (both sides)")]
    public bool FullHandshake()
    {
        using var initiator = NoiseHandshake.CreateInitiator(_initiatorKey, _prologue);
        using var responder = NoiseHandshake.CreateResponder(_responderKey, _prologue);
        bool ok = initiator.TryWriteMessage(_payload, _message, out int n)
            && responder.TryReadMessage(_message.AsSpan(0, n), _received, out _)
            && responder.TryWriteMessage(_payload, _message, out n)
            && initiator.TryReadMessage(_message.AsSpan(0, n), _received, out _)
            && initiator.TryWriteMessage(_payload, _message, out n)
            && responder.TryReadMessage(_message.AsSpan(0, n), _received, out _);
        if (!ok || !initiator.IsComplete || !responder.IsComplete) throw new InvalidOperationException("handshake failed");
        return ok;
    }

    [Benchmark(Description = "X25519 agreement")]
    public bool Agreement() => _initiatorKey.TryAgree(_responderKey.PublicKey, _shared);

    public void Dispose()
    {
        _initiatorKey.Dispose();
        _responderKey.Dispose();
        GC.SuppressFinalize(this);
    }
}

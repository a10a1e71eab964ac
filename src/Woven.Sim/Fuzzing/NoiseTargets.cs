using System.Buffers.Binary;
using Woven.Crypto.Noise;
using Woven.Sim.Engine;

namespace Woven.Sim.Fuzzing;

/// <summary>
/// The Noise XX handshake and the transport after it (src/Woven.Core/Crypto/Noise): each message is read by the side
/// that expects it, in the state a genuine peer would have put it in. A refused message leaves the handshake as it was,
/// so one handshake serves many inputs; an accepted one is followed by a fresh handshake. Keys, ephemeral keys
/// included, come from the seed.
/// </summary>
internal static class NoiseTargets
{
    private static readonly byte[] Prologue = "woven-link-v1"u8.ToArray();

    public const int MaxInput = 2048;

    public static IEnumerable<FuzzTarget> Create(Random rng, byte[] payload2, byte[] payload3)
    {
        var initiatorStatic = Key(rng);
        var responderStatic = Key(rng);
        yield return new Message1Target(rng, initiatorStatic, responderStatic);
        yield return new HandshakeTarget("noise.message2", "NoiseHandshake initiator TryReadMessage on message 2 (after writing message 1)", rng,
            initiatorStatic, responderStatic, payload2, payload3, readingMessage3: false);
        yield return new HandshakeTarget("noise.message3", "NoiseHandshake responder TryReadMessage on message 3", rng,
            initiatorStatic, responderStatic, payload2, payload3, readingMessage3: true);
        yield return new TransportTarget(rng);
    }

    /// <summary>Messages 2 and 3 of a genuine handshake carrying the given payloads (for the wire corpus).</summary>
    public static (byte[] Message2, byte[] Message3) RealMessages23(Random rng, byte[] payload2, byte[] payload3)
    {
        using var pair = new Pair(rng, Key(rng), Key(rng), payload2, payload3, throughMessage3: true);
        return (pair.Message2, pair.Message3);
    }

    private static byte[] Key(Random rng)
    {
        var k = new byte[X25519KeyPair.KeySize];
        rng.NextBytes(k);
        return k;
    }

    /// <summary>An initiator and a responder with seeded keys, run up to message 2 or 3.</summary>
    private sealed class Pair : IDisposable
    {
        public Pair(Random rng, byte[] initiatorStatic, byte[] responderStatic, byte[] payload2, byte[] payload3, bool throughMessage3)
        {
            Initiator = NoiseHandshake.CreateInitiator(initiatorStatic, Prologue, Key(rng));
            Responder = NoiseHandshake.CreateResponder(responderStatic, Prologue, Key(rng));
            var buffer = new byte[NoiseHandshake.MaxMessageLength];
            var scratch = new byte[NoiseHandshake.MaxMessageLength];
            Message1 = Step(Initiator, Responder, [], buffer, scratch);
            Message2 = Step(Responder, throughMessage3 ? Initiator : null, payload2, buffer, scratch);
            Message3 = throughMessage3 ? Step(Initiator, null, payload3, buffer, scratch) : [];
        }

        public NoiseHandshake Initiator { get; }
        public NoiseHandshake Responder { get; }
        public byte[] Message1 { get; }
        public byte[] Message2 { get; }
        public byte[] Message3 { get; }

        private static byte[] Step(NoiseHandshake writer, NoiseHandshake? reader, byte[] payload, byte[] buffer, byte[] scratch)
        {
            if (!writer.TryWriteMessage(payload, buffer, out int n)) throw new InvalidOperationException("a genuine handshake message did not write");
            var message = buffer[..n];
            if (reader is not null && !reader.TryReadMessage(message, scratch, out _)) throw new InvalidOperationException("a genuine handshake message did not read");
            return message;
        }

        public void Dispose()
        {
            Initiator.Dispose();
            Responder.Dispose();
        }
    }

    /// <summary>The responder reading message 1 (e and a clear payload).</summary>
    private sealed class Message1Target : FuzzTarget
    {
        private readonly X25519KeyPair _responderKey;
        private readonly byte[][] _seeds;
        private readonly byte[] _payload = new byte[NoiseHandshake.MaxMessageLength];
        private NoiseHandshake _responder;

        public Message1Target(Random rng, byte[] initiatorStatic, byte[] responderStatic)
            : base("noise.message1", "noise")
        {
            _responderKey = X25519KeyPair.FromPrivateKey(responderStatic);
            var seeds = new List<byte[]>();
            var buffer = new byte[NoiseHandshake.MaxMessageLength];
            foreach (int length in new[] { 0, 24, 200 })
            {
                using var initiator = NoiseHandshake.CreateInitiator(initiatorStatic, Prologue, Key(rng));
                var payload = new byte[length];
                rng.NextBytes(payload);
                if (!initiator.TryWriteMessage(payload, buffer, out int n)) throw new InvalidOperationException("message 1 did not write");
                seeds.Add(buffer[..n]);
            }
            _seeds = [.. seeds];
            _responder = NoiseHandshake.CreateResponder(_responderKey, Prologue);
        }

        public override string Description => "NoiseHandshake responder TryReadMessage on message 1";

        public override byte[] NextInput(Random rng, Mutator mutator) => mutator.Mutate(rng, _seeds, MaxInput);

        public override bool Execute(byte[] input)
        {
            if (!_responder.TryReadMessage(input, _payload, out _)) return false;
            Renew();
            return true;
        }

        private void Renew()
        {
            _responder.Dispose();
            _responder = NoiseHandshake.CreateResponder(_responderKey, Prologue);
        }

        public override void Reset() => Renew();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _responder.Dispose();
                _responderKey.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>The initiator reading message 2, or the responder reading message 3, of a genuine handshake.</summary>
    private sealed class HandshakeTarget : FuzzTarget
    {
        private readonly Random _keys;
        private readonly byte[] _initiatorStatic;
        private readonly byte[] _responderStatic;
        private readonly byte[] _payload2;
        private readonly byte[] _payload3;
        private readonly bool _message3;
        private readonly byte[] _payload = new byte[NoiseHandshake.MaxMessageLength];
        private Pair _pair;
        private byte[][] _seeds = [];

        public HandshakeTarget(string name, string description, Random rng, byte[] initiatorStatic, byte[] responderStatic, byte[] payload2, byte[] payload3, bool readingMessage3)
            : base(name, "noise")
        {
            Description = description;
            _keys = new Random(rng.Next());
            _initiatorStatic = initiatorStatic;
            _responderStatic = responderStatic;
            _payload2 = payload2;
            _payload3 = payload3;
            _message3 = readingMessage3;
            _pair = NewPair();
        }

        public override string Description { get; }

        private Pair NewPair()
        {
            var pair = new Pair(_keys, _initiatorStatic, _responderStatic, _payload2, _payload3, throughMessage3: _message3);
            // The expected message first; the others of the same handshake feed splices.
            _seeds = _message3 ? [pair.Message3, pair.Message2, pair.Message1] : [pair.Message2, pair.Message1];
            return pair;
        }

        public override byte[] NextInput(Random rng, Mutator mutator) => mutator.Mutate(rng, _seeds[0], _seeds, MaxInput);

        public override bool Execute(byte[] input)
        {
            var reader = _message3 ? _pair.Responder : _pair.Initiator;
            if (!reader.TryReadMessage(input, _payload, out _)) return false;
            Renew();
            return true;
        }

        private void Renew()
        {
            _pair.Dispose();
            _pair = NewPair();
        }

        public override void Reset() => Renew();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _pair.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// <see cref="TransportSession.TryOpen"/> on input laid out as associated data (6), counter (8, big-endian),
    /// ciphertext and tag. Each seed is freshly sealed by the peer session, so unchanged seeds are accepted once;
    /// older seeds come back as replays or as late but unseen counters inside the window.
    /// </summary>
    private sealed class TransportTarget : FuzzTarget
    {
        private const int AssociatedSize = 6;
        private const int HeaderSize = AssociatedSize + 8;
        private readonly TransportSession _sender;
        private readonly TransportSession _receiver;
        private readonly byte[] _associated = [0xD1, 0x0B, 0x12, 0x34, 0x56, 0x78];
        private readonly byte[] _plaintext = new byte[MaxInput];
        private readonly List<byte[]> _recent = [];

        public TransportTarget(Random rng)
            : base("noise.transport", "noise")
        {
            var a = Key(rng);
            var b = Key(rng);
            var time = new SimLoop(); // never run: the sessions stay young
            _sender = new TransportSession(a, b, time);
            _receiver = new TransportSession(b, a, time);
        }

        public override string Description => "TransportSession.TryOpen with mutated counters, associated data and ciphertexts";

        public override byte[] NextInput(Random rng, Mutator mutator)
        {
            int length = rng.Next(4) == 0 ? rng.Next(0, 1400) : rng.Next(0, 120);
            var plaintext = new byte[length];
            rng.NextBytes(plaintext);
            var sealedMessage = new byte[HeaderSize + length + TransportSession.TagSize];
            _associated.CopyTo(sealedMessage, 0);
            if (!_sender.TrySeal(plaintext, _associated, sealedMessage.AsSpan(HeaderSize), out ulong counter, out _))
                throw new InvalidOperationException("the sending session refused to seal");
            BinaryPrimitives.WriteUInt64BigEndian(sealedMessage.AsSpan(AssociatedSize), counter);
            _recent.Add(sealedMessage);
            if (_recent.Count > 32) _recent.RemoveAt(0);
            var seed = rng.Next(10) < 7 ? sealedMessage : _recent[rng.Next(_recent.Count)];
            return mutator.Mutate(rng, seed, _recent, MaxInput);
        }

        public override bool Execute(byte[] input)
        {
            Span<byte> header = stackalloc byte[HeaderSize];
            header.Clear();
            input.AsSpan(0, Math.Min(HeaderSize, input.Length)).CopyTo(header);
            ulong counter = BinaryPrimitives.ReadUInt64BigEndian(header[AssociatedSize..]);
            var ciphertext = input.Length > HeaderSize ? input.AsSpan(HeaderSize) : [];
            return _receiver.TryOpen(counter, ciphertext, header[..AssociatedSize], _plaintext, out _);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _sender.Dispose();
                _receiver.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

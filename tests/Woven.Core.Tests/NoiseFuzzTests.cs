using Woven.Crypto.Noise;
using Woven.Testing;

namespace Woven.Core.Tests;

/// <summary>
/// Seeded random and mutated inputs against the two decoders that face the network. Neither may throw, and neither
/// may accept anything but the genuine message: the only input that may pass is one equal to what was sent.
/// </summary>
public class NoiseFuzzTests
{
    private const int Inputs = 100_000;

    /// <summary>Random bytes, or the genuine message with flips, truncation, extension, a splice or a new length.</summary>
    private static byte[] Mutate(Random rng, byte[] genuine)
    {
        switch (rng.Next(7))
        {
            case 0:
            {
                var random = new byte[rng.Next(0, 300)];
                rng.NextBytes(random);
                return random;
            }
            case 1:
            {
                var m = (byte[])genuine.Clone();
                if (m.Length > 0) m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8));
                return m;
            }
            case 2:
            {
                var m = (byte[])genuine.Clone();
                int flips = rng.Next(1, 8);
                for (int i = 0; i < flips && m.Length > 0; i++) m[rng.Next(m.Length)] = (byte)rng.Next(256);
                return m;
            }
            case 3:
                return genuine[..rng.Next(0, genuine.Length + 1)];
            case 4:
            {
                var tail = new byte[rng.Next(1, 40)];
                rng.NextBytes(tail);
                return [.. genuine, .. tail];
            }
            case 5:
            {
                // The genuine prefix with a random tail of the same length: a forged payload under a real header.
                var m = (byte[])genuine.Clone();
                int from = rng.Next(m.Length + 1);
                var tail = new byte[m.Length - from];
                rng.NextBytes(tail);
                tail.CopyTo(m, from);
                return m;
            }
            default:
                return (byte[])genuine.Clone(); // the genuine message itself, now and then
        }
    }

    [Fact]
    public void TryReadMessage_never_throws_and_accepts_only_genuine_messages()
    {
        var rng = new Random(20240605);
        var t = NoiseHandshakeTests.RecordTranscript();
        var readers = new NoiseHandshake[3];
        for (int i = 0; i < 3; i++) readers[i] = NoiseHandshakeTests.ReaderOf(i, t);
        var payload = new byte[NoiseHandshake.MaxMessageLength];
        int accepted = 0;
        try
        {
            for (int n = 0; n < Inputs / 2; n++)
            {
                int index = rng.Next(3);
                var input = Mutate(rng, t[index]);
                // A payload buffer that is sometimes too small, to cover that refusal too.
                var output = rng.Next(20) == 0 ? payload.AsSpan(0, rng.Next(0, 40)) : payload;
                if (!readers[index].TryReadMessage(input, output, out int length)) continue;

                accepted++;
                // Message 1 is unauthenticated by design: any 32+ bytes read. Messages 2 and 3 must be genuine.
                if (index > 0)
                {
                    Assert.Equal(t[index], input);
                    Assert.Equal(NoiseHandshakeTests.TranscriptPayloads[index], payload[..length]);
                }
                else
                {
                    Assert.True(input.Length >= NoiseHandshake.Message1Overhead);
                }
                readers[index].Dispose();
                readers[index] = NoiseHandshakeTests.ReaderOf(index, t);
            }
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
        Assert.True(accepted > 0);
    }

    [Fact]
    public void TryOpen_never_throws_and_accepts_only_genuine_messages()
    {
        var rng = new Random(6479);
        var clock = new ManualTimeProvider();
        var keyAB = new byte[32];
        var keyBA = new byte[32];
        rng.NextBytes(keyAB);
        rng.NextBytes(keyBA);
        using var sender = new TransportSession(keyAB, keyBA, clock);
        using var receiver = new TransportSession(keyBA, keyAB, clock);
        byte[] header = [1, 2, 3, 4];
        var plaintext = new byte[1500];
        var opened = new byte[2000];
        int accepted = 0;

        var sent = new List<(ulong Counter, byte[] Sealed)>();
        for (int n = 0; n < Inputs / 2; n++)
        {
            if (sent.Count == 0 || rng.Next(8) == 0)
            {
                var size = rng.Next(0, plaintext.Length);
                var output = new byte[size + TransportSession.TagSize];
                Assert.True(sender.TrySeal(plaintext.AsSpan(0, size), header, output, out ulong c, out _));
                sent.Add((c, output));
            }
            var (counter, genuine) = sent[rng.Next(sent.Count)];
            var input = Mutate(rng, genuine);
            ulong inputCounter = rng.Next(6) switch
            {
                0 => counter + (ulong)rng.Next(1, 10),
                1 => (ulong)rng.NextInt64(),
                2 => ulong.MaxValue - (ulong)rng.Next(0, 3),
                _ => counter,
            };
            var ad = rng.Next(10) == 0 ? new byte[] { 1, 2, 3, 5 } : header;
            if (!receiver.TryOpen(inputCounter, input, ad, opened, out int length)) continue;

            accepted++;
            Assert.Equal(counter, inputCounter);
            Assert.Equal(genuine, input);
            Assert.Same(header, ad);
            Assert.Equal(genuine.Length - TransportSession.TagSize, length);
        }
        Assert.True(accepted > 0);
        Assert.Equal((ulong)accepted, receiver.MessagesReceived);
    }
}

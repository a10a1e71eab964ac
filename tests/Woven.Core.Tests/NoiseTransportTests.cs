using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Woven.Crypto.Noise;
using Woven.Testing;

namespace Woven.Core.Tests;

public class NoiseTransportTests
{
    private static readonly byte[] KeyAB = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] KeyBA = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Header = [0x04, 0, 0, 0, 9, 9, 9, 9];

    private static (TransportSession A, TransportSession B) Pair(TimeProvider clock, TransportLimits? limits = null) =>
        (new TransportSession(KeyAB, KeyBA, clock, limits), new TransportSession(KeyBA, KeyAB, clock, limits));

    private static (ulong Counter, byte[] Sealed) Seal(TransportSession s, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> ad = default)
    {
        var output = new byte[plaintext.Length + TransportSession.TagSize];
        Assert.True(s.TrySeal(plaintext, ad, output, out ulong counter, out int written));
        Assert.Equal(output.Length, written);
        return (counter, output);
    }

    private static bool Opens(TransportSession s, ulong counter, ReadOnlySpan<byte> sealedMessage, ReadOnlySpan<byte> ad = default) =>
        s.TryOpen(counter, sealedMessage, ad, new byte[Math.Max(0, sealedMessage.Length)], out _);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(1400)]
    [InlineData(9000)]
    public void Sealed_messages_open_to_the_same_plaintext(int size)
    {
        var clock = new ManualTimeProvider();
        var (a, b) = Pair(clock);
        using (a)
        using (b)
        {
            var plaintext = new byte[size];
            new Random(size).NextBytes(plaintext);
            var (counter, sealedMessage) = Seal(a, plaintext, Header);
            var opened = new byte[size];
            Assert.True(b.TryOpen(counter, sealedMessage, Header, opened, out int written));
            Assert.Equal(size, written);
            Assert.Equal(plaintext, opened);
            Assert.Equal(1UL, a.MessagesSent);
            Assert.Equal(1UL, b.MessagesReceived);
        }
    }

    [Fact]
    public void Sealing_and_opening_work_in_place()
    {
        var (a, b) = Pair(new ManualTimeProvider());
        using (a)
        using (b)
        {
            var packet = new byte[Header.Length + 1400 + TransportSession.TagSize];
            Header.CopyTo(packet, 0);
            for (int i = 0; i < 1400; i++) packet[Header.Length + i] = (byte)i;
            var body = packet.AsSpan(Header.Length);
            Assert.True(a.TrySeal(body[..1400], Header, body, out ulong counter, out int written));
            Assert.Equal(1416, written);
            Assert.NotEqual((byte)7, body[7]);
            Assert.True(b.TryOpen(counter, body, Header, body, out int opened));
            Assert.Equal(1400, opened);
            for (int i = 0; i < 1400; i++) Assert.Equal((byte)i, body[i]);
        }
    }

    [Fact]
    public void The_nonce_is_four_zero_bytes_and_the_little_endian_counter()
    {
        var (a, b) = Pair(new ManualTimeProvider());
        using (a)
        using (b)
        {
            Seal(a, "skip"u8);
            var (counter, sealedMessage) = Seal(a, "hello"u8, Header);
            Assert.Equal(1UL, counter);
            var nonce = new byte[12];
            BinaryPrimitives.WriteUInt64LittleEndian(nonce.AsSpan(4), 1);
            using var reference = new ChaCha20Poly1305(KeyAB);
            var expected = new byte[5 + 16];
            reference.Encrypt(nonce, "hello"u8, expected.AsSpan(0, 5), expected.AsSpan(5), Header);
            Assert.Equal(expected, sealedMessage);
        }
    }

    [Fact]
    public void Changing_any_byte_of_ciphertext_tag_or_associated_data_or_the_counter_is_rejected()
    {
        var (a, b) = Pair(new ManualTimeProvider());
        using (a)
        using (b)
        {
            var (counter, sealedMessage) = Seal(a, "attack at dawn"u8, Header);
            for (int i = 0; i < sealedMessage.Length; i++)
            {
                var bad = (byte[])sealedMessage.Clone();
                bad[i] ^= 0x01;
                Assert.False(Opens(b, counter, bad, Header), $"byte {i}");
            }
            for (int i = 0; i < Header.Length; i++)
            {
                var badHeader = (byte[])Header.Clone();
                badHeader[i] ^= 0x80;
                Assert.False(Opens(b, counter, sealedMessage, badHeader));
            }
            Assert.False(Opens(b, counter, sealedMessage, default));
            Assert.False(Opens(b, counter + 1, sealedMessage, Header));
            Assert.False(Opens(b, counter, sealedMessage.AsSpan(0, sealedMessage.Length - 1), Header));
            Assert.False(Opens(b, counter, sealedMessage.AsSpan(0, 15), Header));
            Assert.Equal((ulong)(sealedMessage.Length + Header.Length + 4), b.MessagesRejected);

            // None of that moved the window or counted as received: the genuine message still opens, once.
            Assert.True(Opens(b, counter, sealedMessage, Header));
            Assert.False(Opens(b, counter, sealedMessage, Header));
            Assert.Equal(1UL, b.MessagesReceived);
        }
    }

    [Fact]
    public void A_forged_message_with_a_far_counter_does_not_slide_the_window()
    {
        var (a, b) = Pair(new ManualTimeProvider());
        using (a)
        using (b)
        {
            var (counter, sealedMessage) = Seal(a, "genuine"u8);
            var forged = new byte[sealedMessage.Length];
            RandomNumberGenerator.Fill(forged);
            Assert.False(Opens(b, 1_000_000, forged));
            // Had the forgery moved the window to 1,000,000, counter 0 would now be too old.
            Assert.True(Opens(b, counter, sealedMessage));
        }
    }

    [Fact]
    public void Replays_are_rejected_and_reordering_within_the_window_is_not()
    {
        var (a, b) = Pair(new ManualTimeProvider());
        using (a)
        using (b)
        {
            var sent = Enumerable.Range(0, 3000).Select(i => Seal(a, BitConverter.GetBytes(i))).ToArray();
            var rng = new Random(42);
            var shuffled = sent.OrderBy(_ => rng.Next()).ToArray();
            foreach (var (counter, m) in shuffled) Assert.True(Opens(b, counter, m));
            foreach (var (counter, m) in sent) Assert.False(Opens(b, counter, m));
            Assert.Equal(3000UL, b.MessagesReceived);
            Assert.Equal(3000UL, b.MessagesRejected);
        }
    }

    [Fact]
    public void A_message_older_than_the_window_is_rejected_even_though_it_is_genuine()
    {
        var (a, b) = Pair(new ManualTimeProvider());
        using (a)
        using (b)
        {
            var first = Seal(a, "old"u8);
            (ulong Counter, byte[] Sealed) last = default;
            for (int i = 0; i <= ReplayWindow.WindowSize; i++) last = Seal(a, "x"u8);
            Assert.True(Opens(b, last.Counter, last.Sealed));
            Assert.False(Opens(b, first.Counter, first.Sealed));
        }
    }

    [Fact]
    public void A_too_small_output_is_refused_without_using_a_counter()
    {
        var (a, b) = Pair(new ManualTimeProvider());
        using (a)
        using (b)
        {
            Assert.False(a.TrySeal(new byte[10], default, new byte[25], out _, out _));
            Assert.Equal(0UL, a.MessagesSent);
            var (counter, sealedMessage) = Seal(a, new byte[10]);
            Assert.Equal(0UL, counter);
            Assert.False(b.TryOpen(counter, sealedMessage, default, new byte[9], out _));
            Assert.True(b.TryOpen(counter, sealedMessage, default, new byte[10], out _));
        }
    }

    [Fact]
    public void Rekey_is_due_after_the_rekey_time_and_everything_stops_after_the_reject_time()
    {
        var clock = new ManualTimeProvider();
        var (a, b) = Pair(clock);
        using (a)
        using (b)
        {
            clock.Advance(TimeSpan.FromSeconds(119));
            Assert.False(a.NeedsRekey());
            Assert.False(a.IsExpired);
            var early = Seal(a, "early"u8);

            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.True(a.NeedsRekey());
            Assert.False(a.IsExpired);
            var late = Seal(a, "late"u8);
            Assert.True(Opens(b, late.Counter, late.Sealed));

            clock.Advance(TimeSpan.FromSeconds(60));
            Assert.True(a.IsExpired);
            Assert.False(a.TrySeal("too late"u8, default, new byte[64], out _, out _));
            Assert.False(Opens(b, early.Counter, early.Sealed));
            Assert.Equal(TimeSpan.FromSeconds(180), a.Age);
        }
    }

    [Fact]
    public void Rekey_is_due_after_the_rekey_count_and_sealing_stops_at_the_reject_count()
    {
        var limits = new TransportLimits { RekeyAfterMessages = 3, RejectAfterMessages = 5 };
        var (a, b) = Pair(new ManualTimeProvider(), limits);
        using (a)
        using (b)
        {
            var sent = new List<(ulong, byte[])>();
            for (int i = 0; i < 3; i++)
            {
                Assert.False(a.NeedsRekey());
                sent.Add(Seal(a, "m"u8));
            }
            Assert.True(a.NeedsRekey());
            sent.Add(Seal(a, "m"u8));
            sent.Add(Seal(a, "m"u8));
            Assert.Equal(4UL, sent[^1].Item1);
            Assert.True(a.IsExpired);
            Assert.False(a.TrySeal("m"u8, default, new byte[64], out _, out _));
            Assert.Equal(5UL, a.MessagesSent);

            Assert.False(b.NeedsRekey());
            foreach (var (counter, m) in sent) Assert.True(Opens(b, counter, m));
            Assert.True(b.NeedsRekey()); // the peer has used counters up to the rekey limit
            Assert.False(b.IsExpired);   // b's own sending is untouched
        }
    }

    [Fact]
    public void Counters_at_or_beyond_the_reject_limit_are_never_accepted()
    {
        var limits = new TransportLimits { RekeyAfterMessages = 8, RejectAfterMessages = 10 };
        var (a, b) = Pair(new ManualTimeProvider(), limits);
        using (a)
        using (b)
        using (var unlimited = new TransportSession(KeyAB, KeyBA, new ManualTimeProvider()))
        {
            // A sender without the limit seals counter 10; the limited receiver refuses it even though it is genuine.
            for (int i = 0; i < 10; i++) Seal(unlimited, "x"u8);
            var (counter, m) = Seal(unlimited, "x"u8);
            Assert.Equal(10UL, counter);
            Assert.False(Opens(b, counter, m));
        }
    }

    [Fact]
    public void Bad_limits_are_refused_naming_the_field()
    {
        var clock = new ManualTimeProvider();
        var e1 = Assert.Throws<ArgumentException>(() => new TransportSession(KeyAB, KeyBA, clock, new TransportLimits { RekeyAfterTime = TimeSpan.Zero }));
        Assert.Contains("RekeyAfterTime", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => new TransportSession(KeyAB, KeyBA, clock, new TransportLimits { RejectAfterTime = TimeSpan.FromSeconds(60) }));
        Assert.Contains("RejectAfterTime", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => new TransportSession(KeyAB, KeyBA, clock, new TransportLimits { RekeyAfterMessages = 10, RejectAfterMessages = 5 }));
        Assert.Contains("RejectAfterMessages", e3.Message);
        Assert.Throws<ArgumentException>(() => new TransportSession(KeyAB, KeyBA, clock, new TransportLimits { RejectAfterMessages = ulong.MaxValue }));
        Assert.Throws<ArgumentException>(() => new TransportSession(new byte[16], KeyBA, clock));
    }

    [Fact]
    public void Disposed_sessions_refuse_to_seal_and_open()
    {
        var (a, b) = Pair(new ManualTimeProvider());
        var (counter, m) = Seal(a, "bye"u8);
        a.Dispose();
        b.Dispose();
        Assert.True(a.IsExpired);
        Assert.False(a.TrySeal("x"u8, default, new byte[64], out _, out _));
        Assert.False(Opens(b, counter, m));
        a.Dispose(); // twice is fine
    }

    [Fact]
    public void Concurrent_seals_use_distinct_counters_that_all_open()
    {
        var (a, b) = Pair(new ManualTimeProvider());
        using (a)
        using (b)
        {
            const int Threads = 4, PerThread = 2000;
            var sealedMessages = new ConcurrentBag<(ulong Counter, byte[] Sealed)>();
            Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
            {
                var plaintext = new byte[100];
                for (int i = 0; i < PerThread; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(plaintext, t * PerThread + i);
                    var output = new byte[116];
                    Assert.True(a.TrySeal(plaintext, Header, output, out ulong counter, out _));
                    sealedMessages.Add((counter, output));
                }
            });
            var all = sealedMessages.ToArray();
            Assert.Equal(Threads * PerThread, all.Select(x => x.Counter).Distinct().Count());
            Assert.Equal((ulong)(Threads * PerThread - 1), all.Max(x => x.Counter));

            // Open concurrently too, each message twice from different threads: each is accepted exactly once.
            var ordered = all.OrderBy(x => x.Counter).ToArray();
            int accepted = 0;
            Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
            {
                var plain = new byte[100];
                for (int i = t / 2; i < ordered.Length; i += Threads / 2)
                {
                    if (b.TryOpen(ordered[i].Counter, ordered[i].Sealed, Header, plain, out _)) Interlocked.Increment(ref accepted);
                }
            });
            Assert.Equal(Threads * PerThread, accepted);
            Assert.Equal((ulong)(Threads * PerThread), b.MessagesReceived);
        }
    }
}

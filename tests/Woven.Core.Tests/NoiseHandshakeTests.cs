using System.Text;
using Woven.Crypto.Noise;
using Woven.Testing;

namespace Woven.Core.Tests;

public class NoiseHandshakeTests
{
    private static readonly byte[] Prologue = "woven/1"u8.ToArray();
    private static readonly byte[] InitiatorStatic = Filled(0x11);
    private static readonly byte[] ResponderStatic = Filled(0x22);
    private static readonly byte[] InitiatorEphemeral = Filled(0x33);
    private static readonly byte[] ResponderEphemeral = Filled(0x44);

    private static byte[] Filled(byte seed)
    {
        var b = new byte[32];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)(seed + i);
        return b;
    }

    /// <summary>The three messages of a genuine handshake with fixed keys, so that runs are repeatable.</summary>
    internal sealed class Transcript
    {
        public required byte[] Message1 { get; init; }
        public required byte[] Message2 { get; init; }
        public required byte[] Message3 { get; init; }

        public byte[] this[int index] => index switch { 0 => Message1, 1 => Message2, _ => Message3 };
    }

    internal static NoiseHandshake NewInitiator(byte[]? prologue = null) =>
        NoiseHandshake.CreateInitiator(InitiatorStatic, prologue ?? Prologue, InitiatorEphemeral);

    internal static NoiseHandshake NewResponder(byte[]? prologue = null) =>
        NoiseHandshake.CreateResponder(ResponderStatic, prologue ?? Prologue, ResponderEphemeral);

    internal static readonly byte[][] TranscriptPayloads = ["hello"u8.ToArray(), "from the responder"u8.ToArray(), "and back"u8.ToArray()];

    internal static Transcript RecordTranscript()
    {
        using var i = NewInitiator();
        using var r = NewResponder();
        var m1 = Write(i, TranscriptPayloads[0]);
        Read(r, m1);
        var m2 = Write(r, TranscriptPayloads[1]);
        Read(i, m2);
        var m3 = Write(i, TranscriptPayloads[2]);
        Read(r, m3);
        return new Transcript { Message1 = m1, Message2 = m2, Message3 = m3 };
    }

    /// <summary>A handshake that has read or written everything before message <paramref name="index"/> and now reads it.</summary>
    internal static NoiseHandshake ReaderOf(int index, Transcript t)
    {
        if (index == 0) return NewResponder();
        if (index == 1)
        {
            var i = NewInitiator();
            Write(i, TranscriptPayloads[0]);
            return i;
        }
        var r = NewResponder();
        Read(r, t.Message1);
        Write(r, TranscriptPayloads[1]);
        return r;
    }

    internal static byte[] Write(NoiseHandshake hs, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[NoiseHandshake.MaxMessageLength];
        Assert.True(hs.TryWriteMessage(payload, buffer, out int written));
        return buffer[..written];
    }

    internal static byte[] Read(NoiseHandshake hs, ReadOnlySpan<byte> message)
    {
        var buffer = new byte[NoiseHandshake.MaxMessageLength];
        Assert.True(hs.TryReadMessage(message, buffer, out int length));
        return buffer[..length];
    }

    private static bool Reads(NoiseHandshake hs, ReadOnlySpan<byte> message) =>
        hs.TryReadMessage(message, new byte[NoiseHandshake.MaxMessageLength], out _);

    [Fact]
    public void A_full_handshake_delivers_every_payload_and_agrees_on_keys_and_identities()
    {
        using var aliceKey = X25519KeyPair.Generate();
        using var bobKey = X25519KeyPair.Generate();
        using var alice = NoiseHandshake.CreateInitiator(aliceKey, Prologue);
        using var bob = NoiseHandshake.CreateResponder(bobKey, Prologue);

        Assert.True(alice.IsWriteTurn);
        Assert.False(bob.IsWriteTurn);
        var m1 = Write(alice, "first"u8);
        Assert.Equal(NoiseHandshake.Message1Overhead + 5, m1.Length);
        Assert.Equal("first", Encoding.ASCII.GetString(Read(bob, m1)));
        Assert.True(bob.RemoteStaticPublicKey.IsEmpty);

        var m2 = Write(bob, "second"u8);
        Assert.Equal(NoiseHandshake.Message2Overhead + 6, m2.Length);
        Assert.Equal("second", Encoding.ASCII.GetString(Read(alice, m2)));
        Assert.Equal(bobKey.PublicKey.ToArray(), alice.RemoteStaticPublicKey.ToArray());
        Assert.False(alice.IsComplete);

        var m3 = Write(alice, "third"u8);
        Assert.Equal(NoiseHandshake.Message3Overhead + 5, m3.Length);
        Assert.True(alice.IsComplete);
        Assert.Equal("third", Encoding.ASCII.GetString(Read(bob, m3)));
        Assert.True(bob.IsComplete);
        Assert.Equal(aliceKey.PublicKey.ToArray(), bob.RemoteStaticPublicKey.ToArray());
        Assert.Equal(alice.HandshakeHash.ToArray(), bob.HandshakeHash.ToArray());

        Span<byte> aliceSend = stackalloc byte[32], aliceReceive = stackalloc byte[32];
        Span<byte> bobSend = stackalloc byte[32], bobReceive = stackalloc byte[32];
        alice.Split(aliceSend, aliceReceive);
        bob.Split(bobSend, bobReceive);
        Assert.True(aliceSend.SequenceEqual(bobReceive));
        Assert.True(aliceReceive.SequenceEqual(bobSend));
        Assert.False(aliceSend.SequenceEqual(aliceReceive));
    }

    [Fact]
    public void Payloads_can_be_decrypted_in_place_inside_the_message_buffer()
    {
        var t = RecordTranscript();
        int[] payloadOffsets = [NoiseHandshake.Message1Overhead, NoiseHandshake.Message2Overhead - NoiseHandshake.TagSize, NoiseHandshake.Message3Overhead - NoiseHandshake.TagSize];
        using var i = NewInitiator();
        using var r = NewResponder();
        Write(i, TranscriptPayloads[0]);
        for (int index = 0; index < 3; index++)
        {
            var reader = index % 2 == 0 ? r : i;
            var buffer = (byte[])t[index].Clone();
            Assert.True(reader.TryReadMessage(buffer, buffer.AsSpan(payloadOffsets[index]), out int length));
            Assert.Equal(TranscriptPayloads[index], buffer.AsSpan(payloadOffsets[index], length).ToArray());
            if (index == 0) Write(r, TranscriptPayloads[1]);
            if (index == 1) Write(i, TranscriptPayloads[2]);
        }
        Assert.True(i.IsComplete && r.IsComplete);
        Assert.Equal(i.HandshakeHash.ToArray(), r.HandshakeHash.ToArray());
    }

    [Fact]
    public void Empty_payloads_work_in_every_message()
    {
        using var i = NewInitiator();
        using var r = NewResponder();
        Assert.Empty(Read(r, Write(i, ReadOnlySpan<byte>.Empty)));
        Assert.Empty(Read(i, Write(r, ReadOnlySpan<byte>.Empty)));
        Assert.Empty(Read(r, Write(i, ReadOnlySpan<byte>.Empty)));
        Assert.True(i.IsComplete && r.IsComplete);
    }

    [Fact]
    public void Injected_ephemerals_make_the_handshake_deterministic_and_random_ones_do_not()
    {
        var a = RecordTranscript();
        var b = RecordTranscript();
        Assert.Equal(a.Message1, b.Message1);
        Assert.Equal(a.Message2, b.Message2);
        Assert.Equal(a.Message3, b.Message3);

        using var x = NoiseHandshake.CreateInitiator(InitiatorStatic, Prologue);
        using var y = NoiseHandshake.CreateInitiator(InitiatorStatic, Prologue);
        Assert.NotEqual(Write(x, "p"u8), Write(y, "p"u8));
    }

    [Fact]
    public void Transport_keys_from_the_handshake_carry_data_both_ways()
    {
        var clock = new ManualTimeProvider();
        using var i = NewInitiator();
        using var r = NewResponder();
        Read(r, Write(i, default));
        Read(i, Write(r, default));
        Read(r, Write(i, default));
        using var a = i.CreateTransportSession(clock);
        using var b = r.CreateTransportSession(clock);

        var buffer = new byte[64];
        var plain = new byte[64];
        Assert.True(a.TrySeal("ping"u8, default, buffer, out ulong c1, out int n1));
        Assert.True(b.TryOpen(c1, buffer.AsSpan(0, n1), default, plain, out int p1));
        Assert.Equal("ping", Encoding.ASCII.GetString(plain, 0, p1));
        Assert.True(b.TrySeal("pong"u8, default, buffer, out ulong c2, out int n2));
        Assert.True(a.TryOpen(c2, buffer.AsSpan(0, n2), default, plain, out int p2));
        Assert.Equal("pong", Encoding.ASCII.GetString(plain, 0, p2));
        // A session does not accept its own messages: each direction has its own key.
        Assert.True(a.TrySeal("echo"u8, default, buffer, out ulong c3, out int n3));
        Assert.False(a.TryOpen(c3, buffer.AsSpan(0, n3), default, plain, out _));
    }

    [Theory]
    [InlineData(1, 0x01)]
    [InlineData(1, 0x80)]
    [InlineData(2, 0x01)]
    [InlineData(2, 0x80)]
    public void Flipping_any_bit_pattern_in_any_byte_of_an_authenticated_message_fails_its_read(int index, byte mask)
    {
        var t = RecordTranscript();
        using var reader = ReaderOf(index, t);
        var genuine = t[index];
        for (int at = 0; at < genuine.Length; at++)
        {
            var tampered = (byte[])genuine.Clone();
            tampered[at] ^= mask;
            Assert.False(Reads(reader, tampered), $"message {index + 1}, byte {at}");
        }
        // Failed reads left the handshake as it was: the genuine message still goes through.
        Assert.True(Reads(reader, genuine));
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x80)]
    public void Tampering_with_message_1_is_caught_when_message_2_is_read(byte mask)
    {
        // Message 1 is e and a clear payload: nothing authenticates it yet, but both feed h (and e the DH), so the
        // initiator's read of the responder's answer fails.
        var t = RecordTranscript();
        for (int at = 0; at < t.Message1.Length; at++)
        {
            var tampered = (byte[])t.Message1.Clone();
            tampered[at] ^= mask;
            using var r = NewResponder();
            using var i = NewInitiator();
            Write(i, TranscriptPayloads[0]);
            if (!Reads(r, tampered)) continue;
            var buffer = new byte[512];
            if (!r.TryWriteMessage(TranscriptPayloads[1], buffer, out int written)) continue; // low-order e: refused
            Assert.False(Reads(i, buffer.AsSpan(0, written)), $"message 1, byte {at}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Truncated_or_extended_messages_fail_their_read(int index)
    {
        var t = RecordTranscript();
        using var reader = ReaderOf(index, t);
        var genuine = t[index];
        for (int length = 0; length < genuine.Length; length++)
            Assert.False(Reads(reader, genuine.AsSpan(0, length)), $"message {index + 1} cut to {length}");
        Assert.False(Reads(reader, [.. genuine, 0]));
        Assert.True(Reads(reader, genuine));
    }

    [Fact]
    public void Message_1_shorter_than_an_ephemeral_key_fails()
    {
        using var r = NewResponder();
        for (int length = 0; length < NoiseHandshake.Message1Overhead; length++)
            Assert.False(Reads(r, new byte[length]));
    }

    [Fact]
    public void A_different_prologue_on_each_side_fails_the_first_authenticated_read()
    {
        using var i = NewInitiator("woven/1"u8.ToArray());
        using var r = NewResponder("woven/2"u8.ToArray());
        Read(r, Write(i, "hi"u8));
        var m2 = Write(r, "answer"u8);
        Assert.False(Reads(i, m2));
    }

    [Fact]
    public void Messages_out_of_turn_are_refused_without_changing_anything()
    {
        var t = RecordTranscript();
        using var i = NewInitiator();
        using var r = NewResponder();
        var buffer = new byte[1024];
        Assert.False(i.TryReadMessage(t.Message1, buffer, out _)); // initiator speaks first
        Assert.False(r.TryWriteMessage("x"u8, buffer, out _));
        Assert.Equal(t.Message1, Write(i, TranscriptPayloads[0]));
        Assert.False(i.TryWriteMessage("x"u8, buffer, out _)); // now it must read
        Read(r, t.Message1);
        Assert.False(Reads(r, t.Message1)); // no second message 1
    }

    [Fact]
    public void A_message_2_answered_to_someone_else_fails()
    {
        // The responder answered a different initiator's message 1: the DH and h disagree.
        using var other = NoiseHandshake.CreateInitiator(InitiatorStatic, Prologue);
        using var r = NewResponder();
        Read(r, Write(other, "hi"u8));
        var m2 = Write(r, "answer"u8);
        using var i = NewInitiator();
        Write(i, "hi"u8);
        Assert.False(Reads(i, m2));
    }

    [Fact]
    public void Too_small_buffers_are_refused_without_changing_anything()
    {
        var t = RecordTranscript();
        using var i = NewInitiator();
        Assert.False(i.TryWriteMessage(TranscriptPayloads[0], new byte[NoiseHandshake.Message1Overhead + TranscriptPayloads[0].Length - 1], out _));
        Assert.Equal(t.Message1, Write(i, TranscriptPayloads[0]));
        Assert.False(i.TryReadMessage(t.Message2, new byte[TranscriptPayloads[1].Length - 1], out _));
        Assert.Equal(TranscriptPayloads[1], Read(i, t.Message2));
    }

    [Fact]
    public void A_message_longer_than_65535_bytes_is_neither_written_nor_read()
    {
        using var i = NewInitiator();
        var big = new byte[NoiseHandshake.MaxMessageLength + 1];
        Assert.False(i.TryWriteMessage(new byte[NoiseHandshake.MaxMessageLength - NoiseHandshake.Message1Overhead + 1], big, out _));
        Assert.True(i.TryWriteMessage(new byte[NoiseHandshake.MaxMessageLength - NoiseHandshake.Message1Overhead], big, out int written));
        Assert.Equal(NoiseHandshake.MaxMessageLength, written);

        using var r = NewResponder();
        Assert.False(r.TryReadMessage(big, big.AsSpan().ToArray(), out _));
    }

    [Theory]
    [MemberData(nameof(NoiseVectorTests.LowOrderPoints), MemberType = typeof(NoiseVectorTests))]
    public void A_low_order_ephemeral_key_stops_the_handshake(string point)
    {
        var lowOrder = Convert.FromHexString(point);

        // Responder side: message 1 carries no DH, but answering it needs DH(e, re), which is refused.
        using var r = NewResponder();
        Read(r, lowOrder);
        Assert.False(r.TryWriteMessage("x"u8, new byte[256], out _));
        Assert.True(r.HasFailed);
        Assert.False(r.IsWriteTurn);

        // Initiator side: a message 2 whose e is low-order fails at ee, whatever follows it.
        var t = RecordTranscript();
        using var i = ReaderOf(1, t);
        var forged = (byte[])t.Message2.Clone();
        lowOrder.CopyTo(forged, 0);
        Assert.False(Reads(i, forged));
        Assert.True(Reads(i, t.Message2));
    }

    [Fact]
    public void Split_before_the_end_is_a_programming_error()
    {
        using var i = NewInitiator();
        Assert.Throws<InvalidOperationException>(() => i.Split(new byte[32], new byte[32]));
        Assert.Throws<InvalidOperationException>(() => i.CreateTransportSession(new ManualTimeProvider()));
    }

    [Fact]
    public void Wrong_key_lengths_are_rejected_at_creation()
    {
        Assert.Throws<ArgumentException>(() => NoiseHandshake.CreateInitiator(new byte[31], Prologue));
        Assert.Throws<ArgumentException>(() => NoiseHandshake.CreateResponder(new byte[33], Prologue));
        Assert.Throws<ArgumentException>(() => X25519KeyPair.FromPrivateKey(new byte[16]));
    }

    [Fact]
    public void Disposing_wipes_keys_and_stops_the_handshake()
    {
        var t = RecordTranscript();
        var i = NewInitiator();
        var r = NewResponder();
        Read(r, Write(i, TranscriptPayloads[0]));
        Read(i, Write(r, TranscriptPayloads[1]));
        Read(r, Write(i, TranscriptPayloads[2]));
        i.Dispose();
        r.Dispose();
        Assert.False(i.IsComplete);
        Assert.True(i.RemoteStaticPublicKey.IsEmpty);
        Assert.All(i.HandshakeHash.ToArray(), b => Assert.Equal(0, b));
        Assert.Throws<InvalidOperationException>(() => i.Split(new byte[32], new byte[32]));

        using var fresh = NewResponder();
        fresh.Dispose();
        Assert.False(Reads(fresh, t.Message1));

        var keys = X25519KeyPair.Generate();
        keys.Dispose();
        Assert.Throws<ObjectDisposedException>(() => keys.ExportPrivateKey().ToArray());
        Assert.False(keys.TryAgree(new byte[32], new byte[32]));
    }

    [Fact]
    public void Overheads_match_the_message_layouts()
    {
        Assert.Equal(32, NoiseHandshake.Message1Overhead);
        Assert.Equal(96, NoiseHandshake.Message2Overhead);
        Assert.Equal(64, NoiseHandshake.Message3Overhead);
        using var i = NewInitiator();
        Assert.Equal(32, i.NextMessageOverhead);
        Assert.Equal("Noise XX initiator, next message 1", i.ToString());
    }
}

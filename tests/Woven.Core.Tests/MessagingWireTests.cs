using Woven.Addressing;
using Woven.Messaging;
using Woven.Overlay;

namespace Woven.Core.Tests;

/// <summary>The messaging frames: exact layouts, round trips, and every malformed shape refused.</summary>
public class MessagingWireTests
{
    private readonly byte[] _buffer = new byte[MessageFrame.MaxSize + 100];

    private byte[] Data(MessageKind kind = MessageKind.Request, uint requestId = 5, ushort index = 1, ushort count = 3, string topic = "chat", int length = 3)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        Assert.True(new DataFrame(0x0102030405060708, 9, 0xAABBCCDD, kind, requestId, index, count, System.Text.Encoding.UTF8.GetBytes(topic), data).TryWrite(_buffer, out int n));
        return _buffer.AsSpan(0, n).ToArray();
    }

    [Fact]
    public void A_data_frame_has_the_documented_layout_and_reads_back()
    {
        var bytes = Data();
        Assert.Equal("01" + "01" + "0102030405060708" + "0000000000000009" + "aabbccdd" + "00000005" + "0001" + "0003" + "04" + "63686174" + "000102",
            Convert.ToHexStringLower(bytes));
        Assert.True(DataFrame.TryRead(bytes, out var f));
        Assert.Equal((0x0102030405060708UL, 9UL, 0xAABBCCDDu, MessageKind.Request, 5u, (ushort)1, (ushort)3, "chat"),
            (f.SenderEpoch, f.ReceiverEpoch, f.Sequence, f.Kind, f.RequestId, f.FragmentIndex, f.FragmentCount, f.TopicText));
        Assert.Equal([0, 1, 2], f.Data.ToArray());
        Assert.False(f.AckNow);

        // "Acknowledge now" is the top bit of the flags, beside the kind.
        Assert.True(new DataFrame(1, 0, 0, MessageKind.Response, 9, 0, 1, "r"u8, [], ackNow: true).TryWrite(_buffer, out int n));
        Assert.Equal(0x82, _buffer[1]);
        Assert.True(DataFrame.TryRead(_buffer.AsSpan(0, n), out var urgent));
        Assert.True(urgent.AckNow);
        Assert.Equal(MessageKind.Response, urgent.Kind);
        _buffer[1] = 0x42;
        Assert.False(DataFrame.TryRead(_buffer.AsSpan(0, n), out _), "an unknown flag bit");
    }

    [Fact]
    public void The_largest_frame_fits_what_a_link_carries_and_one_byte_more_does_not_encode()
    {
        // What OverlayNode.SendSecure takes in one datagram, relayed links included.
        Assert.Equal(1324, MessageFrame.MaxSize);
        int max = DataFrame.MaxData(4);
        Assert.Equal(MessageFrame.MaxSize, Data(length: max).Length);
        var over = new byte[max + 1];
        Assert.False(new DataFrame(1, 0, 0, MessageKind.Message, 0, 0, 1, "chat"u8, over).TryWrite(_buffer, out _));
        // A 1 MiB message on a 64-byte topic needs fewer fragments than a frame may announce.
        Assert.True((MessageService.MaxMessageSize + DataFrame.MaxData(64) - 1) / DataFrame.MaxData(64) <= DataFrame.MaxFragments);
    }

    [Theory]
    [InlineData(0, "no sender epoch")]
    [InlineData(1, "kind Message with a request id")]
    [InlineData(2, "kind Request without a request id")]
    [InlineData(3, "unknown message kind")]
    [InlineData(4, "fragment index at its count")]
    [InlineData(5, "no fragments")]
    [InlineData(6, "more fragments than a message may have")]
    [InlineData(7, "empty topic")]
    [InlineData(8, "topic not UTF-8")]
    [InlineData(9, "topic with a control character")]
    [InlineData(10, "topic longer than the frame")]
    [InlineData(11, "truncated header")]
    [InlineData(12, "wrong kind")]
    [InlineData(13, "longer than the largest frame")]
    public void Malformed_data_frames_are_refused(int variant, string what)
    {
        var b = Data();
        switch (variant)
        {
            case 0: b.AsSpan(2, 8).Clear(); break;
            case 1: b[1] = 0; break;
            case 2: b.AsSpan(22, 4).Clear(); break;
            case 3: b[1] = 3; break;
            case 4: b[27] = 3; break;
            case 5: b[26] = b[27] = b[28] = b[29] = 0; break;
            case 6: b[28] = 0x04; b[29] = 0x01; break;
            case 7: b[30] = 0; break;
            case 8: b[31] = 0xFF; break;
            case 9: b[31] = 0x07; break;
            case 10: b[30] = 64; break;
            case 11: b = b[..(DataFrame.FixedSize - 1)]; break;
            case 12: b[0] = 2; break;
            case 13: b = [.. b, .. new byte[MessageFrame.MaxSize]]; break;
        }
        Assert.False(DataFrame.TryRead(b, out _), what);
    }

    [Fact]
    public void An_ack_maps_frames_after_the_cumulative_point_most_significant_bit_first()
    {
        var map = (UInt128.One << 0) | (UInt128.One << 9) | (UInt128.One << 127);
        var ack = new AckFrame(7, 8, 100, map);
        Assert.True(ack.TryWrite(_buffer, out int n));
        Assert.Equal(AckFrame.Size, n);
        Assert.Equal("02" + "00" + "0000000000000007" + "0000000000000008" + "00000064" + "80400000000000000000000000000001", Convert.ToHexStringLower(_buffer.AsSpan(0, n)));
        Assert.True(AckFrame.TryRead(_buffer.AsSpan(0, n), out var back));
        Assert.Equal(ack, back);
        Assert.True(back.Has(101) && back.Has(110) && back.Has(228));
        Assert.False(back.Has(100) || back.Has(102) || back.Has(99) || back.Has(229));
        // Flags must be zero, the length exact, the sender epoch set.
        var bad = _buffer.AsSpan(0, n).ToArray();
        bad[1] = 1;
        Assert.False(AckFrame.TryRead(bad, out _));
        Assert.False(AckFrame.TryRead(_buffer.AsSpan(0, n - 1), out _));
        Assert.False(AckFrame.TryRead([.. _buffer.AsSpan(0, n), 0], out _));
        Assert.False(AckFrame.TryRead(new AckFrame(0, 8, 100, map) is var z && z.TryWrite(_buffer, out int m) ? _buffer.AsSpan(0, m) : default, out _));
    }

    [Fact]
    public void A_beacon_carries_its_name_and_gossip_and_refuses_bad_entries()
    {
        var a = new RingAddress(1, 2, 3);
        var beacon = new PresenceBeacon(42, true, "web1", [new PresenceGossip(a, true, 1234, "db"), new PresenceGossip(a, false, 0, "")]);
        Assert.True(beacon.TryWrite(_buffer, out int n));
        Assert.Equal(beacon.Size, n);
        var bytes = _buffer.AsSpan(0, n).ToArray();
        Assert.Equal("03" + "01" + "000000000000002a" + "0000000000000000" + "04" + "77656231" + "02", Convert.ToHexStringLower(bytes.AsSpan(0, 24)));
        Assert.True(PresenceBeacon.TryRead(bytes, out var back));
        Assert.Equal((42UL, true, "web1"), (back!.SenderEpoch, back.Leaving, back.Name));
        Assert.Equal(beacon.Gossip, back.Gossip);

        void Refused(Action<byte[]> change, string what)
        {
            var b = bytes.ToArray();
            change(b);
            Assert.False(PresenceBeacon.TryRead(b, out _), what);
        }
        Refused(b => b[1] = 2, "unknown flag");
        Refused(b => b[17] = 1, "a receiver epoch");
        Refused(b => b[23] = 3, "more entries than there are");
        Refused(b => b[23] = 200, "a count no frame can hold");
        Refused(b => b[24 + 20] = 3, "unknown state");
        Refused(b => b[18] = 60, "a name past the end");
        Assert.False(PresenceBeacon.TryRead(bytes.AsSpan(0, bytes.Length - 1), out _), "truncated");
        Assert.False(PresenceBeacon.TryRead([.. bytes, 0], out _), "trailing byte");
        Assert.False(new PresenceBeacon(1, false, new string('x', 64), []).TryWrite(_buffer, out _), "a name over 63 bytes");
    }

    [Fact]
    public void Frames_are_told_apart_by_their_first_byte()
    {
        Assert.Equal(MessageFrameKind.Data, MessageFrame.KindOf(Data()));
        Assert.Null(MessageFrame.KindOf(new byte[MessageFrame.HeaderSize - 1]));
        var unknown = Data();
        unknown[0] = 9;
        Assert.Null(MessageFrame.KindOf(unknown));
        Assert.True(MessageFrame.IsValidTopic("sensors/temp", out _));
        Assert.False(MessageFrame.IsValidTopic(new string('é', 33), out var error));
        Assert.Contains("64", error);
    }

    [Fact]
    public void Options_name_the_field_that_is_wrong()
    {
        Assert.Empty(new MessagingOptions().Validate());
        Assert.Contains(new MessagingOptions { Window = 129 }.Validate(), e => e.StartsWith("messaging.window", StringComparison.Ordinal));
        Assert.Contains(new MessagingOptions { Name = new string('n', 64) }.Validate(), e => e.StartsWith("messaging.name", StringComparison.Ordinal));
        Assert.Contains(new MessagingOptions { OfflineAfter = TimeSpan.FromSeconds(1) }.Validate(), e => e.Contains("beacon_interval", StringComparison.Ordinal));
    }
}

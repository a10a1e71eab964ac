using System.Buffers.Binary;
using System.Net;
using Woven.Vnet;

namespace Woven.Core.Tests;

public class VnetPacketTests
{
    private static byte[] TcpPacket(int size)
    {
        var p = new byte[size];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)size);
        p[6] = 0x40; // DF
        p[8] = 64;
        p[9] = 6;
        IPAddress.Parse("100.80.0.1").TryWriteBytes(p.AsSpan(12), out _);
        IPAddress.Parse("100.80.0.2").TryWriteBytes(p.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), VirtualNetwork.Checksum(p.AsSpan(0, 20)));
        for (int i = 20; i < size; i++) p[i] = (byte)i;
        return p;
    }

    [Fact]
    public void Fragmentation_needed_goes_back_to_the_sender_quoting_its_packet_with_valid_checksums()
    {
        var packet = TcpPacket(4000);
        var icmp = VirtualNetwork.FragmentationNeeded(packet, 1288);
        Assert.True(VirtualNetwork.TryAddresses(icmp, out uint source, out uint destination));
        Assert.Equal(VirtualNetwork.ToUInt(IPAddress.Parse("100.80.0.2")), source);
        Assert.Equal(VirtualNetwork.ToUInt(IPAddress.Parse("100.80.0.1")), destination);
        Assert.Equal(1, icmp[9]);
        Assert.Equal(0, VirtualNetwork.Checksum(icmp.AsSpan(0, 20)));
        Assert.Equal((3, 4), (icmp[20], icmp[21]));
        Assert.Equal(1288, BinaryPrimitives.ReadUInt16BigEndian(icmp.AsSpan(26)));
        Assert.Equal(0, VirtualNetwork.Checksum(icmp.AsSpan(20)));
        Assert.Equal(packet.AsSpan(0, 28).ToArray(), icmp.AsSpan(28).ToArray());
        Assert.Equal(56, icmp.Length);
    }

    [Fact]
    public void The_internet_checksum_matches_rfc_1071()
    {
        // RFC 1071 section 3: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2, so the checksum is its complement.
        Assert.Equal((ushort)(0xFFFF - 0xddf2), VirtualNetwork.Checksum([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]));
        Assert.Equal((ushort)(0xFFFF - 0x0100), VirtualNetwork.Checksum([0x01]));
    }
}

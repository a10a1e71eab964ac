using System.Buffers.Binary;
using System.Net;
using Woven.Addressing;
using Woven.Dht;

namespace Woven.Vnet;

/// <summary>IPv6 headers: the fixed header's addresses, ICMPv6 "packet too big", and who holds an IPv6 address.</summary>
public sealed partial class VirtualNetwork
{
    public const int Ipv6HeaderLength = 40;

    /// <summary>
    /// The source and destination of an IPv6 packet whose fixed header holds together (version 6, the payload length
    /// within the packet; a jumbogram's zero length is refused). Extension headers are not looked at: they travel as
    /// they are, fragments (the sender's kernel's own, after a "packet too big") included.
    /// </summary>
    public static bool TryAddresses6(ReadOnlySpan<byte> packet, out UInt128 source, out UInt128 destination)
    {
        source = destination = 0;
        if (packet.Length < Ipv6HeaderLength || packet[0] >> 4 != 6) return false;
        int payload = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        if (payload == 0 && packet.Length > Ipv6HeaderLength) return false;
        if (Ipv6HeaderLength + payload > packet.Length) return false;
        source = BinaryPrimitives.ReadUInt128BigEndian(packet[8..]);
        destination = BinaryPrimitives.ReadUInt128BigEndian(packet[24..]);
        return true;
    }

    /// <summary>
    /// An ICMPv6 "packet too big" (type 2, code 0, RFC 4443 section 3.2) for <paramref name="packet"/>, from its
    /// destination to its source, with <paramref name="mtu"/> as the MTU and as much of the packet quoted as keeps the
    /// message within the IPv6 minimum MTU (1,280), the checksum over the pseudo-header: what a router on a narrower
    /// path sends (IPv6 routers never fragment), so that the sender's kernel lowers its path MTU for that destination.
    /// </summary>
    public static byte[] PacketTooBig(ReadOnlySpan<byte> packet, int mtu)
    {
        const int MinimumMtu = 1280;
        int quoted = Math.Min(packet.Length, MinimumMtu - Ipv6HeaderLength - 8);
        var icmp = new byte[Ipv6HeaderLength + 8 + quoted];
        icmp[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), (ushort)(8 + quoted));
        icmp[6] = 58; // ICMPv6
        icmp[7] = 64;
        packet.Slice(24, 16).CopyTo(icmp.AsSpan(8)); // from the packet's destination
        packet.Slice(8, 16).CopyTo(icmp.AsSpan(24)); // to its source
        icmp[40] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(icmp.AsSpan(44), (uint)mtu);
        packet[..quoted].CopyTo(icmp.AsSpan(48));
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(42), Icmpv6Checksum(icmp));
        return icmp;
    }

    /// <summary>
    /// The checksum of the ICMPv6 message in <paramref name="packet"/> (an IPv6 packet without extension headers):
    /// the Internet checksum over the pseudo-header (source, destination, upper-layer length, next header 58) and the
    /// message. Over a message whose checksum field is filled in, it is 0.
    /// </summary>
    public static ushort Icmpv6Checksum(ReadOnlySpan<byte> packet)
    {
        var message = packet[Ipv6HeaderLength..];
        var data = new byte[40 + message.Length];
        packet.Slice(8, 32).CopyTo(data);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(32), (uint)message.Length);
        data[39] = 58;
        message.CopyTo(data.AsSpan(40));
        return Checksum(data);
    }

    /// <summary>
    /// Who holds an address, from the records under its key ("vip4/..." or "vip6/..."). Subnet 0 of
    /// <paramref name="ipv6Prefix"/> holds only derived addresses: one is held by the node whose ring address it was
    /// derived from and by nobody else, whatever other records say (a member that claims another's address gets no
    /// packets for it). Otherwise (IPv4, or an IPv6 address from a member certificate, in another subnet) the oldest
    /// live claim holds it.
    /// </summary>
    public static DhtRecord? HolderOf(IPAddress address, IReadOnlyList<DhtRecord> records, ulong nowMs, IPNetwork? ipv6Prefix)
    {
        var live = records.Where(r => r.IsLive(nowMs)).ToList();
        var key = UniqueLocalPrefix.ToKey(address);
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && ipv6Prefix is { } prefix && InSubnet0(prefix, key))
        {
            return live.FirstOrDefault(r => UniqueLocalPrefix.KeyOf(prefix, RingAddress.FromPublicKey(r.Owner)) == key);
        }
        return live.Where(r => r.Kind == DhtKind.Claim).OrderBy(r => r.Created).FirstOrDefault();
    }

    /// <summary>Whether an address lies in subnet 0 of the prefix, the subnet of derived addresses.</summary>
    public static bool InSubnet0(IPNetwork prefix, UInt128 address) => (ulong)(address >> 64) == UniqueLocalPrefix.Subnet0(prefix);
}

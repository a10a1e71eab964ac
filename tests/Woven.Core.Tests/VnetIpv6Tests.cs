using System.Buffers.Binary;
using System.Net;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Dht;
using Woven.Vnet;

namespace Woven.Core.Tests;

/// <summary>IPv6 in the virtual network: the domain's prefix, a node's address, headers, ICMPv6 and DNS names.</summary>
public class VnetIpv6Tests
{
    private static readonly IPNetwork Prefix = IPNetwork.Parse("fd12:3456:789a::/48");

    private static byte[] Packet6(IPAddress source, IPAddress destination, int size, byte next = 17)
    {
        var p = new byte[size];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(size - 40));
        p[6] = next;
        p[7] = 64;
        source.TryWriteBytes(p.AsSpan(8), out _);
        destination.TryWriteBytes(p.AsSpan(24), out _);
        for (int i = 40; i < size; i++) p[i] = (byte)(i * 3);
        return p;
    }

    [Fact]
    public void A_domain_prefix_is_fd_and_40_bits_of_its_ca_key_a_48_that_a_domain_would_accept()
    {
        var ca = new byte[32];
        ca[0] = 1;
        var prefix = UniqueLocalPrefix.Derive(ca);
        Assert.Equal(48, prefix.PrefixLength);
        Assert.Equal(0xFD, prefix.BaseAddress.GetAddressBytes()[0]);
        Assert.Null(Woven.Security.DomainSettings.Ipv6PrefixError(prefix));
        Assert.Equal(prefix, UniqueLocalPrefix.Derive(ca));
        ca[31] = 1;
        Assert.NotEqual(prefix, UniqueLocalPrefix.Derive(ca));
        // An open overlay's follows from its IPv4 range.
        Assert.Equal(UniqueLocalPrefix.ForOpenOverlay(IPNetwork.Parse("100.80.0.0/16")), UniqueLocalPrefix.ForOpenOverlay(IPNetwork.Parse("100.80.0.0/16")));
        Assert.NotEqual(UniqueLocalPrefix.ForOpenOverlay(IPNetwork.Parse("100.80.0.0/16")), UniqueLocalPrefix.ForOpenOverlay(IPNetwork.Parse("10.9.0.0/16")));
    }

    [Fact]
    public void A_nodes_address_is_subnet_0_of_the_prefix_and_the_first_64_bits_of_its_ring_address()
    {
        Assert.True(RingAddress.TryParse("0123456789abcdef0011223344556677deadbeef", out var node));
        var address = UniqueLocalPrefix.AddressOf(Prefix, node);
        Assert.Equal(IPAddress.Parse("fd12:3456:789a:0:123:4567:89ab:cdef"), address);
        Assert.True(Prefix.Contains(address));
        Assert.Equal(UniqueLocalPrefix.ToKey(address), UniqueLocalPrefix.KeyOf(Prefix, node));
        // A /64 prefix: the same rule, the prefix is its own subnet 0.
        Assert.Equal(IPAddress.Parse("fd00:1:2:3:123:4567:89ab:cdef"), UniqueLocalPrefix.AddressOf(IPNetwork.Parse("fd00:1:2:3::/64"), node));
        // IPv4 addresses share the table, mapped.
        Assert.Equal(IPAddress.Parse("10.1.2.3"), UniqueLocalPrefix.ToAddress(UniqueLocalPrefix.ToKey(IPAddress.Parse("10.1.2.3"))));
        Assert.Equal("vip6/fd12:3456:789a:0:123:4567:89ab:cdef", "vip6/" + address);
        Assert.Equal(DhtRecord.KeyOf("vip6/fd12:3456:789a:0:123:4567:89ab:cdef"), VirtualNetwork.AddressKey(address));
        Assert.Equal(DhtRecord.KeyOf("vip4/10.1.2.3"), VirtualNetwork.AddressKey(IPAddress.Parse("10.1.2.3")));
    }

    [Fact]
    public void An_ipv6_header_gives_its_addresses_only_when_it_holds_together()
    {
        var a = IPAddress.Parse("fd12:3456:789a::1");
        var b = IPAddress.Parse("fd12:3456:789a::2");
        var p = Packet6(a, b, 100);
        Assert.True(VirtualNetwork.TryAddresses6(p, out var source, out var destination));
        Assert.Equal((UniqueLocalPrefix.ToKey(a), UniqueLocalPrefix.ToKey(b)), (source, destination));
        Assert.False(VirtualNetwork.TryAddresses6(p.AsSpan(0, 39), out _, out _)); // shorter than the fixed header
        Assert.False(VirtualNetwork.TryAddresses6(p.AsSpan(0, 99), out _, out _)); // the payload length runs past the end
        var jumbo = (byte[])p.Clone();
        jumbo[4] = jumbo[5] = 0;
        Assert.False(VirtualNetwork.TryAddresses6(jumbo, out _, out _));
        var v4 = (byte[])p.Clone();
        v4[0] = 0x45;
        Assert.False(VirtualNetwork.TryAddresses6(v4, out _, out _));
        Assert.True(VirtualNetwork.TryAddresses6(Packet6(a, b, 40, next: 59), out _, out _)); // no next header, nothing after
    }

    [Fact]
    public void Packet_too_big_goes_back_to_the_sender_within_1280_bytes_with_the_pseudo_header_checksum()
    {
        var sender = IPAddress.Parse("fd12:3456:789a::1");
        var receiver = IPAddress.Parse("fd12:3456:789a::2");
        var packet = Packet6(sender, receiver, 4000, next: 6);
        var icmp = VirtualNetwork.PacketTooBig(packet, 1288);
        Assert.Equal(1280, icmp.Length); // as much of the packet as fits in the minimum MTU
        Assert.True(VirtualNetwork.TryAddresses6(icmp, out var source, out var destination));
        Assert.Equal((UniqueLocalPrefix.ToKey(receiver), UniqueLocalPrefix.ToKey(sender)), (source, destination));
        Assert.Equal(58, icmp[6]);
        Assert.Equal((2, 0), (icmp[40], icmp[41]));
        Assert.Equal(1288u, BinaryPrimitives.ReadUInt32BigEndian(icmp.AsSpan(44)));
        Assert.Equal(packet.AsSpan(0, 1232).ToArray(), icmp.AsSpan(48).ToArray());
        Assert.Equal(0, VirtualNetwork.Icmpv6Checksum(icmp));
        Assert.Equal(PseudoHeaderChecksum(icmp), BinaryPrimitives.ReadUInt16BigEndian(icmp.AsSpan(42)));

        var small = VirtualNetwork.PacketTooBig(Packet6(sender, receiver, 60), 1288);
        Assert.Equal(40 + 8 + 60, small.Length);
        Assert.Equal(0, VirtualNetwork.Icmpv6Checksum(small));
    }

    /// <summary>RFC 8200 section 8.1 written out another way: 16-bit words of source, destination, length and next header, then the message with its checksum field as zero.</summary>
    private static ushort PseudoHeaderChecksum(byte[] packet)
    {
        ulong sum = 0;
        for (int i = 8; i < 40; i += 2) sum += (ulong)(packet[i] << 8 | packet[i + 1]);
        int length = packet.Length - 40;
        sum += (ulong)(length >> 16) + (ulong)(length & 0xFFFF) + 58;
        for (int i = 40; i < packet.Length; i += 2)
        {
            if (i == 42) continue;
            int word = packet[i] << 8 | (i + 1 < packet.Length ? packet[i + 1] : 0);
            sum += (ulong)word;
        }
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    [Fact]
    public void The_holder_of_a_derived_address_is_the_node_it_was_derived_from_even_when_another_claimed_it_first()
    {
        var owner = NodeIdentity.Generate();
        var squatter = NodeIdentity.Generate();
        var address = UniqueLocalPrefix.AddressOf(Prefix, owner.Address);
        var key = VirtualNetwork.AddressKey(address);
        const ulong Now = 1_000_000;
        var claim = DhtRecord.Create(squatter, key, DhtKind.Claim, "x"u8, Now - 10, Now - 10, Now + 60_000);
        var value = DhtRecord.Create(owner, key, DhtKind.Value, "web1"u8, Now, Now, Now + 60_000);
        Assert.Same(value, VirtualNetwork.HolderOf(address, [claim, value], Now, Prefix));
        Assert.Null(VirtualNetwork.HolderOf(address, [value], Now + 61_000, Prefix)); // expired
        Assert.Null(VirtualNetwork.HolderOf(address, [claim], Now, Prefix)); // subnet 0: the claim of a node it is not derived from counts for nothing
        // An address outside subnet 0 (a member certificate's) is held by the oldest live claim, as IPv4's are.
        var other = IPAddress.Parse("fd12:3456:789a:5::5");
        Assert.Same(claim, VirtualNetwork.HolderOf(other, [DhtRecord.Create(owner, key, DhtKind.Value, "v"u8, Now, Now, Now + 60_000), claim], Now, Prefix));
    }

    [Fact]
    public void Ip6_arpa_names_map_to_addresses_and_back_and_aaaa_answers_carry_16_bytes()
    {
        var address = IPAddress.Parse("fd12:3456:789a:0:123:4567:89ab:cdef");
        string name = DnsAnswerer.ReverseName6(address);
        Assert.Equal("f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.0.0.0.0.a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa", name);
        Assert.Equal(address, DnsAnswerer.ReverseAddress(name));
        Assert.Null(DnsAnswerer.ReverseAddress("f.e.ip6.arpa"));
        Assert.Null(DnsAnswerer.ReverseAddress(name.Replace("f.e.", "g.e.", StringComparison.Ordinal)));
        Assert.Equal(IPAddress.Parse("10.1.2.3"), DnsAnswerer.ReverseAddress("3.2.1.10.in-addr.arpa"));

        var query = new byte[12 + DnsAnswerer.EncodeName("web1.lab.woven").Length + 4];
        query[5] = 1;
        DnsAnswerer.EncodeName("web1.lab.woven").CopyTo(query, 12);
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(query.Length - 4), DnsAnswerer.TypeAaaa);
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(query.Length - 2), 1);
        var q = DnsAnswerer.Parse(query)!;
        var response = DnsAnswerer.Response(query, q, DnsAnswerer.NoError, address: address);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(6)));
        var record = response.AsSpan(q.QuestionEnd);
        Assert.Equal(DnsAnswerer.TypeAaaa, BinaryPrimitives.ReadUInt16BigEndian(record[2..]));
        Assert.Equal(16, BinaryPrimitives.ReadUInt16BigEndian(record[10..]));
        Assert.Equal(address.GetAddressBytes(), record[12..].ToArray());
    }
}

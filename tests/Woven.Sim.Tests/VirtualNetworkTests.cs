using System.Buffers.Binary;
using System.Net;
using Woven.Crypto;
using Woven.Dht;
using Woven.Vnet;
using Woven.Wire;

namespace Woven.Sim.Tests;

/// <summary>The virtual network's packet path on a simulated ring, with in-memory TUN devices.</summary>
public class VirtualNetworkTests
{
    private static readonly IPNetwork Range = IPNetwork.Parse("10.128.0.0/16");

    private sealed class Lan
    {
        public Lan(int count, int seed, IPNetwork? ipv6Prefix = null)
        {
            Overlay = new SmallOverlay(count, seed, withPrivateKeys: true);
            var random = new Random(seed);
            for (int i = 0; i < count; i++)
            {
                var node = Overlay.Nodes[i];
                var dht = new DhtNode(node, Overlay.Keys[i], Overlay.Loop, new Random(random.Next()));
                Dhts.Add(dht);
                Vnets.Add(new VirtualNetwork(node, dht, Range, Overlay.Loop, ipv6Prefix));
                Tuns.Add(new MemoryTun($"t{Tuns.Count}"));
            }
            Overlay.StartAll(TimeSpan.FromMilliseconds(100));
            Overlay.RunFor(TimeSpan.FromSeconds(40));
        }

        public SmallOverlay Overlay { get; }
        public List<DhtNode> Dhts { get; } = [];
        public List<VirtualNetwork> Vnets { get; } = [];
        public List<MemoryTun> Tuns { get; } = [];

        /// <summary>Node i claims 10.128.0.i in the DHT and starts its virtual network.</summary>
        public IPAddress Up(int i)
        {
            var address = IPAddress.Parse($"10.128.0.{i}");
            DhtResult? result = null;
            Dhts[i].Create(VirtualNetwork.AddressKey(address), VirtualNetwork.NameValue($"n{i}"), TimeSpan.FromMinutes(10), r => result = r);
            Overlay.RunFor(TimeSpan.FromSeconds(5));
            Assert.True(result?.Ok, $"claim of {address}: {result?.Status}");
            Vnets[i].Start(address, Tuns[i], readLoop: false);
            return address;
        }

        /// <summary>Node i publishes its derived IPv6 address as AddressClaim does (a value under "vip6/ADDRESS") and starts.</summary>
        public IPAddress Up6(int i, IPNetwork prefix)
        {
            Up(i);
            var address = UniqueLocalPrefix.AddressOf(prefix, Overlay.Nodes[i].Address);
            DhtResult? result = null;
            Dhts[i].Put(VirtualNetwork.AddressKey(address), VirtualNetwork.NameValue($"n{i}"), TimeSpan.FromMinutes(10), r => result = r);
            Overlay.RunFor(TimeSpan.FromSeconds(5));
            Assert.True(result?.Ok, $"record of {address}: {result?.Status}");
            Assert.Equal(address, Vnets[i].Address6);
            return address;
        }
    }

    /// <summary>A minimal IPv4 packet (UDP protocol number, 8 bytes of payload, or <paramref name="size"/> in all).</summary>
    private static byte[] Packet(IPAddress source, IPAddress destination, byte marker, int size = 28)
    {
        var p = new byte[size];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)size);
        for (int i = 28; i < size; i++) p[i] = (byte)(i * 7 + marker);
        p[8] = 64;
        p[9] = 17;
        source.TryWriteBytes(p.AsSpan(12), out _);
        destination.TryWriteBytes(p.AsSpan(16), out _);
        p[27] = marker;
        return p;
    }

    /// <summary>A minimal IPv6 packet (UDP, 8 bytes of payload).</summary>
    private static byte[] Packet6(IPAddress source, IPAddress destination, byte marker)
    {
        var p = new byte[48];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 8);
        p[6] = 17;
        p[7] = 64;
        source.TryWriteBytes(p.AsSpan(8), out _);
        destination.TryWriteBytes(p.AsSpan(24), out _);
        p[47] = marker;
        return p;
    }

    [Fact]
    public void Ipv6_packets_reach_the_node_whose_ring_address_the_destination_is_made_from_and_spoofed_sources_are_dropped()
    {
        var prefix = IPNetwork.Parse("fd12:3456:789a::/48");
        var lan = new Lan(20, seed: 36, prefix);
        var a6 = lan.Up6(3, prefix);
        var b6 = lan.Up6(11, prefix);
        lan.Up(5); // in the network, but its IPv6 address is not published
        var c6 = UniqueLocalPrefix.AddressOf(prefix, lan.Overlay.Nodes[5].Address);
        // Another member writes a record under 11's address and claims 5's: neither takes the address (it is its node's by its key).
        DhtResult? put = null, squat = null;
        lan.Dhts[7].Put(VirtualNetwork.AddressKey(b6), "n7"u8, TimeSpan.FromMinutes(10), r => put = r);
        lan.Dhts[7].Create(VirtualNetwork.AddressKey(c6), "n7"u8, TimeSpan.FromMinutes(10), r => squat = r);
        lan.Overlay.RunFor(TimeSpan.FromSeconds(5));
        Assert.True(put?.Ok == true && squat?.Ok == true);

        lan.Vnets[3].Outgoing(Packet6(a6, b6, 1));
        lan.Vnets[3].Outgoing(Packet6(a6, c6, 2));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal(Packet6(a6, b6, 1), Assert.Single(lan.Tuns[11].Written));
        Assert.Empty(lan.Tuns[7].Written);
        Assert.Empty(lan.Tuns[5].Written);
        Assert.Equal(1, lan.Vnets[3].Counters.DroppedNoRoute);
        // The answer: the source is checked against the sender's ring address, with no lookup.
        long lookups = lan.Vnets[11].Counters.Lookups;
        lan.Vnets[11].Outgoing(Packet6(b6, a6, 3));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(3));
        Assert.Equal(Packet6(b6, a6, 3), Assert.Single(lan.Tuns[3].Written));
        Assert.Equal(lookups + 1, lan.Vnets[11].Counters.Lookups); // only 11's own lookup of 3's address, to send
        Assert.Equal(2, lan.Vnets[3].Counters.Lookups); // b6 and c6, to send; nothing to receive
        Assert.Equal(0, lan.Vnets[3].Counters.DroppedSpoofed + lan.Vnets[11].Counters.DroppedSpoofed);

        // Node 3 sending from node 11's address: refused by its own node...
        lan.Vnets[3].Outgoing(Packet6(b6, a6, 4));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(2));
        Assert.Equal(1, lan.Vnets[3].Counters.DroppedSpoofed);
        // ...and, sent past its virtual network straight over its link, dropped by the receiver: not 3's derived address.
        lan.Overlay.Nodes[3].SendSecure(lan.Overlay.Nodes[11].Address, RoutedPayloadType.IpPacket, Packet6(c6, b6, 5));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(3));
        Assert.Equal(1, lan.Vnets[11].Counters.DroppedSpoofed);
        Assert.Single(lan.Tuns[11].Written);
        // One outside the prefix is not routed at all.
        lan.Vnets[3].Outgoing(Packet6(a6, IPAddress.Parse("fd99::1"), 6));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(2, lan.Vnets[3].Counters.DroppedNoRoute);
    }

    [Fact]
    public void Packets_reach_the_holder_of_the_destination_address_both_ways()
    {
        var lan = new Lan(20, seed: 31);
        var a = lan.Up(3);
        var b = lan.Up(11);
        lan.Vnets[3].Outgoing(Packet(a, b, 1));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(5));
        var got = Assert.Single(lan.Tuns[11].Written);
        Assert.Equal(Packet(a, b, 1), got);
        // The answer needs no lookup of its own beyond the cached one, and the link opened for the first is reused.
        lan.Vnets[11].Outgoing(Packet(b, a, 2));
        for (int i = 0; i < 10; i++) lan.Vnets[3].Outgoing(Packet(a, b, (byte)(10 + i)));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(3));
        Assert.Equal(Packet(b, a, 2), Assert.Single(lan.Tuns[3].Written));
        Assert.Equal(11, lan.Tuns[11].Written.Count);
        Assert.Equal(0, lan.Vnets[11].Counters.DroppedSpoofed);
        Assert.Equal(11, lan.Vnets[3].Counters.PacketsOut);
    }

    [Fact]
    public void Packets_larger_than_a_datagram_travel_in_fragments_and_arrive_whole()
    {
        var lan = new Lan(16, seed: 34);
        var a = lan.Up(2);
        var b = lan.Up(9);
        var sizes = new[] { VirtualNetwork.MaxWhole, VirtualNetwork.MaxWhole + 1, 2560, 4000, VirtualNetwork.DefaultMtu };
        foreach (var size in sizes) lan.Vnets[2].Outgoing(Packet(a, b, (byte)(size % 251), size));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal(sizes.Length, lan.Tuns[9].Written.Count);
        // Datagrams may overtake each other (as on a real network): every packet arrives whole, in some order.
        foreach (var size in sizes) Assert.Contains(lan.Tuns[9].Written, got => got.AsSpan().SequenceEqual(Packet(a, b, (byte)(size % 251), size)));
        Assert.Equal(0, lan.Vnets[9].Counters.DroppedMalformed + lan.Vnets[9].Counters.DroppedIncomplete);

        // Bad pieces from a real member are counted, not assembled: a count of one, an index past the count, a short middle piece.
        var node9 = lan.Overlay.Nodes[9].Address;
        byte[] Piece(uint id, byte index, byte count, int length)
        {
            var f = new byte[VirtualNetwork.FragmentHeader + length];
            BinaryPrimitives.WriteUInt32BigEndian(f, id);
            f[4] = index;
            f[5] = count;
            return f;
        }
        lan.Overlay.Nodes[2].SendSecure(node9, RoutedPayloadType.IpFragment, Piece(900, 0, 1, 100));
        lan.Overlay.Nodes[2].SendSecure(node9, RoutedPayloadType.IpFragment, Piece(901, 3, 2, 100));
        lan.Overlay.Nodes[2].SendSecure(node9, RoutedPayloadType.IpFragment, Piece(902, 0, 3, 100));
        // A piece whose siblings never come is dropped after 2 s.
        lan.Overlay.Nodes[2].SendSecure(node9, RoutedPayloadType.IpFragment, Piece(903, 0, 2, VirtualNetwork.FragmentChunk));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(4));
        Assert.Equal(3, lan.Vnets[9].Counters.DroppedMalformed);
        Assert.Equal(1, lan.Vnets[9].Counters.DroppedIncomplete);
        Assert.Equal(sizes.Length, lan.Tuns[9].Written.Count);
    }

    /// <summary>
    /// The pieces of a full-size packet leave as one batch (<see cref="Woven.Transport.IDatagramSocket.SendSegments"/>);
    /// the simulator's socket has no GSO, so the interface's default sends them one by one: the same datagrams, each
    /// under 1,500 bytes, and the packet arrives whole.
    /// </summary>
    [Fact]
    public void A_batch_of_pieces_falls_back_to_one_datagram_each_where_the_socket_has_no_segmentation()
    {
        var lan = new Lan(12, seed: 35);
        var a = lan.Up(2);
        var b = lan.Up(9);
        lan.Vnets[2].Outgoing(Packet(a, b, 1)); // opens the link and caches the holder
        lan.Overlay.RunFor(TimeSpan.FromSeconds(3));
        Assert.Single(lan.Tuns[9].Written);

        var from = lan.Overlay.Endpoints[2];
        var datagrams = new List<int>();
        lan.Overlay.Network.Tap = (src, dst, data) =>
        {
            if (src.Equals(from)) datagrams.Add(data.Length);
        };
        var before = lan.Overlay.Nodes[2].BatchCounters;
        var big = Packet(a, b, 2, VirtualNetwork.DefaultMtu);
        lan.Vnets[2].Outgoing(big);
        lan.Overlay.RunFor(TimeSpan.FromSeconds(2));
        lan.Overlay.Network.Tap = null;

        int pieces = (VirtualNetwork.DefaultMtu + VirtualNetwork.FragmentChunk - 1) / VirtualNetwork.FragmentChunk;
        var after = lan.Overlay.Nodes[2].BatchCounters;
        Assert.Equal(1, after.Batches - before.Batches);
        Assert.Equal(pieces, after.Datagrams - before.Datagrams);
        Assert.True(datagrams.Count >= pieces, $"{datagrams.Count} datagrams for {pieces} pieces");
        Assert.All(datagrams, n => Assert.True(n <= Envelope.MaxDatagramSize, $"a datagram of {n} bytes"));
        Assert.Equal(2, lan.Tuns[9].Written.Count);
        Assert.Equal(big, lan.Tuns[9].Written.Last());
    }

    [Fact]
    public void A_spoofed_source_address_from_a_real_member_is_dropped_and_counted()
    {
        var lan = new Lan(20, seed: 32);
        var a = lan.Up(3);
        var b = lan.Up(11);
        lan.Up(5);
        // Node 5 is a member with an address of its own, but claims to be 10.128.0.3.
        Assert.True(lan.Overlay.Nodes[5].SendSecure(lan.Overlay.Nodes[11].Address, RoutedPayloadType.IpPacket, Packet(a, b, 7)));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(5));
        Assert.Empty(lan.Tuns[11].Written);
        Assert.Equal(1, lan.Vnets[11].Counters.DroppedSpoofed);
        // Its own node refuses to send it in the first place.
        lan.Vnets[5].Outgoing(Packet(a, b, 8));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(2));
        Assert.Empty(lan.Tuns[11].Written);
        Assert.Equal(1, lan.Vnets[5].Counters.DroppedSpoofed);
        Assert.Equal(0, lan.Vnets[5].Counters.PacketsOut);
    }

    [Fact]
    public void Packets_to_unheld_addresses_and_malformed_packets_are_counted_not_sent()
    {
        var lan = new Lan(12, seed: 33);
        var a = lan.Up(2);
        lan.Vnets[2].Outgoing(Packet(a, IPAddress.Parse("10.128.9.9"), 1));
        lan.Vnets[2].Outgoing(Packet(a, IPAddress.Parse("192.0.2.1"), 1));
        lan.Vnets[2].Outgoing([0x60, 0, 0, 0]);
        lan.Vnets[2].Outgoing(Packet(a, a, 1).AsSpan(0, 19));
        lan.Overlay.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(2, lan.Vnets[2].Counters.DroppedNoRoute);
        Assert.Equal(2, lan.Vnets[2].Counters.DroppedMalformed);
        Assert.Equal(0, lan.Vnets[2].Counters.PacketsOut);
    }

    [Fact]
    public void Candidate_addresses_stay_inside_the_range_and_avoid_network_and_broadcast()
    {
        var small = IPNetwork.Parse("10.9.8.0/29");
        var rng = new Random(4);
        for (int i = 0; i < 2000; i++)
        {
            var node = Woven.Addressing.RingAddress.Random(rng);
            var c = VirtualNetwork.Candidate(small, node, i % 7);
            Assert.True(small.Contains(c));
            Assert.NotEqual(IPAddress.Parse("10.9.8.0"), c);
            Assert.NotEqual(IPAddress.Parse("10.9.8.7"), c);
        }
    }
}

using System.Net;
using Woven.Dht;
using Woven.Vnet;

namespace Woven.Sim.Tests;

/// <summary>Who a peer is (woven peers): found from its address claim in the DHT of a simulated ring.</summary>
public class PeerDirectoryTests
{
    private static readonly IPNetwork Range = IPNetwork.Parse("10.128.0.0/16");

    [Fact]
    public void A_peers_name_and_address_come_from_its_own_claim_on_a_candidate_and_are_cached()
    {
        var overlay = new SmallOverlay(8, seed: 17, withPrivateKeys: true);
        var random = new Random(17);
        var dhts = Enumerable.Range(0, 8).Select(i => new DhtNode(overlay.Nodes[i], overlay.Keys[i], overlay.Loop, new Random(random.Next()))).ToList();
        overlay.StartAll(TimeSpan.FromMilliseconds(100));
        overlay.RunFor(TimeSpan.FromSeconds(30));

        // Node 3 holds its second candidate (as when the first is taken); node 6 squats on node 5's first candidate.
        var n3 = overlay.Nodes[3].Address;
        var n5 = overlay.Nodes[5].Address;
        var vip3 = VirtualNetwork.Candidate(Range, n3, 1);
        Claim(overlay, dhts[3], vip3, "db-3");
        Claim(overlay, dhts[6], VirtualNetwork.Candidate(Range, n5, 0), "n6");

        var directory = new PeerDirectory(dhts[0], Range, overlay.Loop);
        Assert.Equal(new PeerIdentity("db-3", vip3, "dht"), Lookup(overlay, directory, n3));
        Assert.Equal(PeerIdentity.Unknown, Lookup(overlay, directory, n5));
        Assert.Equal(2, directory.DhtLookups);
        Assert.Equal(new PeerIdentity("db-3", vip3, "dht"), Lookup(overlay, directory, n3));
        Assert.Equal(2, directory.DhtLookups);
        // Past the minute the answer is looked up again.
        overlay.RunFor(TimeSpan.FromSeconds(61));
        Lookup(overlay, directory, n3);
        Assert.Equal(3, directory.DhtLookups);
        // Without a DHT (the node is not in the virtual network) nothing is asked.
        Assert.Equal(PeerIdentity.Unknown, Lookup(overlay, new PeerDirectory(null, Range, overlay.Loop), n3));
    }

    [Fact]
    public void A_peers_ipv6_address_is_shown_only_when_the_peer_itself_published_it()
    {
        var prefix = IPNetwork.Parse("fd12:3456:789a::/48");
        var overlay = new SmallOverlay(8, seed: 18, withPrivateKeys: true);
        var random = new Random(18);
        var dhts = Enumerable.Range(0, 8).Select(i => new DhtNode(overlay.Nodes[i], overlay.Keys[i], overlay.Loop, new Random(random.Next()))).ToList();
        overlay.StartAll(TimeSpan.FromMilliseconds(100));
        overlay.RunFor(TimeSpan.FromSeconds(30));

        // Node 3 holds an IPv4 address and publishes its IPv6 one; node 6 writes a record under node 5's IPv6 address.
        var n3 = overlay.Nodes[3].Address;
        var n5 = overlay.Nodes[5].Address;
        var vip3 = VirtualNetwork.Candidate(Range, n3, 0);
        Claim(overlay, dhts[3], vip3, "db-3");
        var vip3v6 = UniqueLocalPrefix.AddressOf(prefix, n3);
        Put(overlay, dhts[3], vip3v6, "db-3");
        Put(overlay, dhts[6], UniqueLocalPrefix.AddressOf(prefix, n5), "n6");

        var directory = new PeerDirectory(dhts[0], Range, overlay.Loop, prefix);
        Assert.Equal(new PeerIdentity("db-3", vip3, "dht", vip3v6), Lookup(overlay, directory, n3));
        Assert.Equal(PeerIdentity.Unknown, Lookup(overlay, directory, n5));
        // A directory without the prefix (IPv4 only) shows no IPv6 address.
        Assert.Equal(new PeerIdentity("db-3", vip3, "dht"), Lookup(overlay, new PeerDirectory(dhts[0], Range, overlay.Loop), n3));
    }

    private static void Put(SmallOverlay overlay, DhtNode dht, IPAddress address, string name)
    {
        DhtResult? result = null;
        dht.Put(VirtualNetwork.AddressKey(address), VirtualNetwork.NameValue(name), TimeSpan.FromMinutes(10), r => result = r);
        overlay.RunFor(TimeSpan.FromSeconds(5));
        Assert.True(result?.Ok, $"record of {address}: {result?.Status}");
    }

    private static void Claim(SmallOverlay overlay, DhtNode dht, IPAddress address, string name)
    {
        DhtResult? result = null;
        dht.Create(VirtualNetwork.AddressKey(address), VirtualNetwork.NameValue(name), TimeSpan.FromMinutes(10), r => result = r);
        overlay.RunFor(TimeSpan.FromSeconds(5));
        Assert.True(result?.Ok, $"claim of {address}: {result?.Status}");
    }

    private static PeerIdentity Lookup(SmallOverlay overlay, PeerDirectory directory, Woven.Addressing.RingAddress peer)
    {
        var lookup = directory.LookupAsync(peer, null, CancellationToken.None);
        overlay.RunFor(TimeSpan.FromSeconds(5));
        Assert.True(lookup.Wait(TimeSpan.FromSeconds(10)), "the lookup did not finish");
        return lookup.Result;
    }
}

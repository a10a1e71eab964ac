using System.Net;
using Woven.Crypto;
using Woven.Overlay;
using Woven.Security;
using Woven.Sim.Network;
using Woven.Wire;

namespace Woven.Sim.Tests;

/// <summary>Nothing from outside a domain gets in; nothing tampered, truncated or replayed is accepted.</summary>
public class LinkSecurityTests
{
    private static (SecureLab Lab, List<OverlayNode> Members) Domain(int members)
    {
        var lab = new SecureLab();
        var list = new List<OverlayNode> { lab.AddMember([]) };
        for (int i = 1; i < members; i++) list.Add(lab.AddMember([lab.EndpointOf(list[0])]));
        lab.Run(TimeSpan.FromSeconds(15));
        return (lab, list);
    }

    [Fact]
    public void Members_link_over_noise_and_deliver_routed_and_end_to_end_messages()
    {
        var (lab, members) = Domain(6);
        using var _ = lab;
        foreach (var m in members) Assert.Equal(5, m.ConnectionCount);
        Assert.All(members, m => Assert.True(m.Counters.HandshakesCompleted >= 5));
        members[0].SendSecure(members[5].Address, RoutedPayloadType.Data, "hello"u8);
        members[1].Send(members[4].Address, RoutingMode.Exact, RoutedPayloadType.Data, "routed"u8);
        lab.Run(TimeSpan.FromSeconds(2));
        Assert.Contains(lab.Deliveries, d => ReferenceEquals(d.Node, members[5]) && d.From == members[0].Address && d.FromSource && d.Payload.AsSpan().SequenceEqual("hello"u8));
        Assert.Contains(lab.Deliveries, d => ReferenceEquals(d.Node, members[4]) && d.From == members[1].Address && d.Payload.AsSpan().SequenceEqual("routed"u8));
    }

    public static TheoryData<string> Outsiders => new() { "no certificate", "other CA", "expired", "revoked", "certificate of another key" };

    [Theory]
    [MemberData(nameof(Outsiders))]
    public void An_outsider_cannot_link_or_get_a_routed_message_delivered(string kind)
    {
        var lab = new SecureLab();
        using var _ = lab;
        var outsiderIdentity = NodeIdentity.Generate();
        RevocationList? revocations = null;
        Membership outsiderMembership;
        switch (kind)
        {
            case "no certificate":
                outsiderMembership = new OpenMembership();
                break;
            case "other CA":
                var otherCa = DomainAuthority.Generate();
                var otherDomain = lab.Domain with { CaPublicKey = otherCa.PublicKey };
                outsiderMembership = new DomainMembership(otherDomain, lab.Issue(outsiderIdentity, otherCa, otherDomain), null);
                break;
            case "expired":
                outsiderMembership = new DomainMembership(lab.Domain, lab.Issue(outsiderIdentity, validFor: TimeSpan.FromSeconds(5)), null);
                break;
            case "revoked":
                var cert = lab.Issue(outsiderIdentity);
                revocations = RevocationList.Issue(lab.Ca, lab.Domain, 1, lab.Now, [cert.Serial]);
                outsiderMembership = new DomainMembership(lab.Domain, cert, null);
                break;
            default:
                // A genuine certificate, but for somebody else's key: the outsider cannot prove that key.
                var victim = NodeIdentity.Generate();
                outsiderMembership = new DomainMembership(lab.Domain, lab.Issue(victim), null);
                break;
        }
        var members = new List<OverlayNode> { lab.AddMember([], revocations) };
        for (int i = 1; i < 4; i++) members.Add(lab.AddMember([lab.EndpointOf(members[0])], revocations));
        lab.Run(TimeSpan.FromSeconds(20)); // the expired certificate is past its end by now
        var outsider = lab.Add(outsiderMembership, [lab.EndpointOf(members[0]), lab.EndpointOf(members[2])], outsiderIdentity);
        lab.Run(TimeSpan.FromSeconds(10));
        outsider.Send(members[3].Address, RoutingMode.Exact, RoutedPayloadType.Data, "let me in"u8);
        outsider.SendSecure(members[1].Address, RoutedPayloadType.Data, "let me in"u8);
        lab.Run(TimeSpan.FromSeconds(10));

        foreach (var m in members)
        {
            Assert.DoesNotContain(m.Snapshot().Peers, p => p.Address == outsider.Address);
            Assert.Equal(3, m.ConnectionCount);
        }
        Assert.DoesNotContain(lab.Deliveries, d => d.From == outsider.Address);
        // Whoever saw the other's certificate first refused it: the members (the outsider's), or the outsider (ours, when
        // it trusts another CA).
        Assert.True(members.Sum(m => m.Counters.Dropped(DropReason.NotMember)) + outsider.Counters.Dropped(DropReason.NotMember) > 0, "no certificate was ever refused");
    }

    [Fact]
    public void Tampered_truncated_and_replayed_packets_are_rejected_every_one()
    {
        var (lab, members) = Domain(3);
        using var _ = lab;
        var a = members[0];
        var b = members[1];
        var ab = lab.EndpointOf(a);
        var bb = lab.EndpointOf(b);
        var captured = new List<byte[]>();
        lab.Network.Tap = (from, to, data) =>
        {
            if (from.Equals(ab) && to.Equals(bb) && data.Length > 1 && data[1] == (byte)MessageType.Sealed) captured.Add(data);
        };
        for (int i = 0; i < 50; i++) a.SendSecure(b.Address, RoutedPayloadType.Data, BitConverter.GetBytes(i));
        lab.Run(TimeSpan.FromSeconds(2));
        lab.Network.Tap = null;
        Assert.True(captured.Count >= 50);
        int delivered = lab.Deliveries.Count(d => ReferenceEquals(d.Node, b));
        Assert.Equal(50, delivered);

        // The attacker sits on its own address and sends replays, bit flips and truncations of what it saw.
        using var attacker = lab.Network.Bind(new IPEndPoint(IPAddress.Parse("10.200.0.1"), 7000));
        long droppedBefore = b.Counters.DroppedTotal;
        long inBefore = b.Counters.DatagramsIn;
        var random = new Random(9);
        int sent = 0;
        foreach (var packet in captured)
        {
            attacker.Send(bb, packet); // replay
            var flipped = (byte[])packet.Clone();
            flipped[random.Next(2, flipped.Length)] ^= (byte)(1 << random.Next(8));
            attacker.Send(bb, flipped);
            attacker.Send(bb, packet.AsSpan(0, random.Next(1, packet.Length)));
            sent += 3;
        }
        lab.Run(TimeSpan.FromSeconds(2));
        // Members keep talking meanwhile (pings, neighbour lists): those are received and none of them is dropped.
        Assert.True(b.Counters.DatagramsIn - inBefore >= sent);
        Assert.Equal(sent, b.Counters.DroppedTotal - droppedBefore);
        Assert.Equal(50, lab.Deliveries.Count(d => ReferenceEquals(d.Node, b)));
        Assert.Equal(2, b.ConnectionCount); // still linked to both other members: the attack broke nothing
    }

    [Fact]
    public void A_relay_can_neither_read_nor_forge_what_it_carries()
    {
        var lab = new SecureLab();
        using var _ = lab;
        var v = lab.AddMember([]);
        var a = lab.AddMember([lab.EndpointOf(v)]);
        var b = lab.AddMember([lab.EndpointOf(v)]);
        // a and b cannot reach each other directly: their link must go through v.
        var ha = lab.Nodes.First(n => ReferenceEquals(n.Node, a)).Endpoint;
        var hb = lab.Nodes.First(n => ReferenceEquals(n.Node, b)).Endpoint;
        int ia = int.Parse(ha.Address.ToString().Split('.')[3]) - 1, ib = int.Parse(hb.Address.ToString().Split('.')[3]) - 1;
        lab.Network.Blocked = (x, y) => (x == ia && y == ib) || (x == ib && y == ia);
        lab.Run(TimeSpan.FromSeconds(30));
        var link = a.Snapshot().Peers.First(p => p.Address == b.Address);
        Assert.True(link.Relayed, "a and b should be linked through the relay");

        var secret = "the launch code is 4711"u8.ToArray();
        var vb = lab.EndpointOf(v);
        var forwarded = new List<byte[]>();
        lab.Network.Tap = (from, to, data) =>
        {
            if (from.Equals(vb) && to.Equals(hb)) forwarded.Add(data);
        };
        a.SendSecure(b.Address, RoutedPayloadType.Data, secret);
        lab.Run(TimeSpan.FromSeconds(2));
        Assert.Contains(lab.Deliveries, d => ReferenceEquals(d.Node, b) && d.From == a.Address && d.FromSource && d.Payload.AsSpan().SequenceEqual(secret));
        // What the relay handed on never holds the plaintext: the relay only saw a datagram sealed for b.
        Assert.NotEmpty(forwarded);
        Assert.DoesNotContain(forwarded, f => f.AsSpan().IndexOf(secret) >= 0);
    }

    [Fact]
    public void A_flood_of_spoofed_hellos_stays_within_the_half_open_and_handshake_budgets()
    {
        var (lab, members) = Domain(2);
        using var _ = lab;
        var target = members[0];
        var tb = lab.EndpointOf(target);
        var options = new OverlayOptions();
        int accepts = 0;
        lab.Network.Tap = (from, to, data) =>
        {
            if (from.Equals(tb) && data.Length > 1 && data[1] == (byte)MessageType.LinkAccept) accepts++;
        };
        // 20,000 hellos from 2,000 spoofed addresses over 4 virtual seconds.
        var spoofers = Enumerable.Range(0, 2000).Select(i => lab.Network.Bind(new IPEndPoint(new IPAddress([10, 250, (byte)(i >> 8), (byte)i]), 7000))).ToList();
        var random = new Random(11);
        int maxHalfOpen = 0;
        long heapBefore = GC.GetTotalMemory(true);
        for (int round = 0; round < 40; round++)
        {
            for (int i = 0; i < 500; i++)
            {
                var e = new byte[32];
                random.NextBytes(e);
                var hello = new LinkHello((ulong)random.NextInt64(), LinkRoles.Near, (uint)random.Next(), ReadOnlyMemory<byte>.Empty, e);
                var buffer = new byte[hello.Size];
                hello.TryWrite(buffer, out int _w);
                spoofers[random.Next(spoofers.Count)].Send(tb, buffer);
            }
            lab.Run(TimeSpan.FromMilliseconds(100));
            maxHalfOpen = Math.Max(maxHalfOpen, target.HalfOpenCount);
        }
        lab.Run(TimeSpan.FromSeconds(6));
        long heapGrowth = GC.GetTotalMemory(true) - heapBefore;
        Assert.True(maxHalfOpen <= options.MaxHalfOpen, $"half-open peaked at {maxHalfOpen}");
        Assert.True(accepts <= options.MaxHandshakesPerSecond * 5, $"{accepts} Diffie-Hellman answers in about 4 s");
        Assert.True(target.Counters.CookiesSent > 10_000, $"only {target.Counters.CookiesSent} cookies");
        Assert.Equal(0, target.HalfOpenCount); // all expired
        Assert.True(heapGrowth < 32 * 1024 * 1024, $"heap grew by {heapGrowth / 1048576.0:F1} MiB");
        // The real member is still linked, and a new member can still join after the flood.
        Assert.Equal(1, target.ConnectionCount);
        var late = lab.AddMember([tb]);
        lab.Run(TimeSpan.FromSeconds(5));
        Assert.Contains(target.Snapshot().Peers, p => p.Address == late.Address);
    }

    [Fact]
    public void An_authenticated_packet_from_a_new_endpoint_moves_the_peer_there_and_a_forged_one_does_not()
    {
        var (lab, members) = Domain(3);
        using var _ = lab;
        var a = members[0];
        var b = members[1];
        var before = a.Snapshot().Peers.First(p => p.Address == b.Address).Endpoint;
        // A stranger replays b's traffic from its own address: a must not follow it there.
        var captured = new List<byte[]>();
        var bb = lab.EndpointOf(b);
        lab.Network.Tap = (from, to, data) =>
        {
            if (from.Equals(bb) && data.Length > 1 && data[1] == (byte)MessageType.Sealed) captured.Add(data);
        };
        b.SendSecure(a.Address, RoutedPayloadType.Data, "x"u8);
        lab.Run(TimeSpan.FromSeconds(1));
        lab.Network.Tap = null;
        using (var stranger = lab.Network.Bind(new IPEndPoint(IPAddress.Parse("10.201.0.1"), 7000)))
        {
            foreach (var p in captured) stranger.Send(lab.EndpointOf(a), p);
            lab.Run(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(before, a.Snapshot().Peers.First(p => p.Address == b.Address).Endpoint);

        // b moves to another network; its next sealed message takes the link with it.
        var moved = new IPEndPoint(IPAddress.Parse("10.202.0.7"), 7100);
        lab.Network.Move(lab.Sockets[b], moved);
        b.SendSecure(a.Address, RoutedPayloadType.Data, "from my new home"u8);
        lab.Run(TimeSpan.FromSeconds(1));
        Assert.Equal(moved, a.Snapshot().Peers.First(p => p.Address == b.Address).Endpoint);
        Assert.Contains(lab.Deliveries, d => ReferenceEquals(d.Node, a) && d.Payload.AsSpan().SequenceEqual("from my new home"u8));
        // And traffic flows both ways at the new place.
        a.SendSecure(b.Address, RoutedPayloadType.Data, "welcome"u8);
        lab.Run(TimeSpan.FromSeconds(1));
        Assert.Contains(lab.Deliveries, d => ReferenceEquals(d.Node, b) && d.Payload.AsSpan().SequenceEqual("welcome"u8));
    }

    [Fact]
    public void Sessions_are_renewed_by_time_and_the_link_lives_on()
    {
        var lab = new SecureLab();
        using var _ = lab;
        var limits = new Woven.Crypto.Noise.TransportLimits { RekeyAfterTime = TimeSpan.FromSeconds(10), RejectAfterTime = TimeSpan.FromSeconds(15) };
        var a = lab.AddMember([], limits: limits);
        var b = lab.AddMember([lab.EndpointOf(a)], limits: limits);
        lab.Run(TimeSpan.FromSeconds(5));
        long handshakes = a.Counters.HandshakesCompleted;
        for (int i = 0; i < 12; i++)
        {
            a.SendSecure(b.Address, RoutedPayloadType.Data, BitConverter.GetBytes(i));
            lab.Run(TimeSpan.FromSeconds(5));
        }
        Assert.True(a.Counters.HandshakesCompleted >= handshakes + 4, $"{a.Counters.HandshakesCompleted - handshakes} new sessions in 60 s with a 10 s rekey");
        Assert.Equal(1, a.ConnectionCount);
        Assert.Equal(12, lab.Deliveries.Count(d => ReferenceEquals(d.Node, b)));
        Assert.Equal(0, a.Counters.LinksFailed);
    }
}

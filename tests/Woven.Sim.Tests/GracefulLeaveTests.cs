using System.Net;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Overlay;
using Woven.Sim.Engine;
using Woven.Sim.Network;
using Woven.Wire;
using Xunit.Abstractions;

namespace Woven.Sim.Tests;

/// <summary>Overlay nodes driven directly on a <see cref="SimLoop"/> and <see cref="SimNetwork"/>, as RingScenario does.</summary>
internal sealed class SmallOverlay
{
    private readonly Random _random;

    /// <param name="withPrivateKeys">Give every node a real Ed25519 key pair (in <see cref="Keys"/>), so that what it signs (DHT records) is
    /// owned by its own ring address, as on a real node; links still use the simulator's clear suite.</param>
    public SmallOverlay(int count, int seed, SimNetworkOptions? network = null, OverlayOptions? overlay = null, bool withPrivateKeys = false)
    {
        _random = new Random(seed);
        Network = new SimNetwork(Loop, network ?? new SimNetworkOptions(), _random.Next());
        var options = overlay ?? new OverlayOptions();
        for (int i = 0; i < count; i++)
        {
            NodeIdentity identity;
            ClearLinkCrypto crypto;
            if (withPrivateKeys)
            {
                var key = new byte[32];
                _random.NextBytes(key);
                var owner = NodeIdentity.FromPrivateKey(key);
                Keys.Add(owner);
                crypto = new ClearLinkCrypto(NodeIdentity.StaticDhPublicKey(owner.PublicKey)!);
                identity = NodeIdentity.FromPublicKeyOnly(owner.PublicKey);
            }
            else
            {
                identity = ClearLinkCrypto.SeededIdentity(_random, out crypto);
            }
            var endpoint = new IPEndPoint(SimNetwork.HostAddress(i), 7000);
            var node = new OverlayNode(options, identity, Network.Bind(endpoint), Loop, new Random(_random.Next()), crypto: crypto);
            Nodes.Add(node);
            Endpoints.Add(endpoint);
        }
    }

    public SimLoop Loop { get; } = new();

    /// <summary>The nodes' key pairs, when created with real keys.</summary>
    public List<NodeIdentity> Keys { get; } = [];

    public SimNetwork Network { get; }

    public List<OverlayNode> Nodes { get; } = [];

    public List<IPEndPoint> Endpoints { get; } = [];

    /// <summary>Node 0 founds the ring; the others join one every <paramref name="spacing"/> through a random started node.</summary>
    public void StartAll(TimeSpan spacing)
    {
        Nodes[0].Start([]);
        for (int i = 1; i < Nodes.Count; i++)
        {
            int index = i;
            Loop.At(Loop.Now + i * spacing.Ticks, () => Nodes[index].Start([Endpoints[_random.Next(index)]]));
        }
    }

    public void RunFor(TimeSpan duration) => Loop.RunFor(duration);

    /// <summary>Lines naming every node in <paramref name="members"/> whose ring neighbours are not the true ones.</summary>
    public static List<string> RingErrors(IReadOnlyList<OverlayNode> members)
    {
        var sorted = members.OrderBy(n => n.Address).ToList();
        var errors = new List<string>();
        for (int i = 0; i < sorted.Count; i++)
        {
            var want = (Succ: sorted[(i + 1) % sorted.Count].Address, Pred: sorted[(i - 1 + sorted.Count) % sorted.Count].Address);
            var node = sorted[i];
            var have = (Succ: node.Successor, Pred: node.Predecessor);
            if (have.Succ != want.Succ || have.Pred != want.Pred)
            {
                errors.Add($"{node.Address.ToShortString()}: succ {have.Succ?.ToShortString() ?? "-"} want {want.Succ.ToShortString()}, " +
                    $"pred {have.Pred?.ToShortString() ?? "-"} want {want.Pred.ToShortString()}");
            }
        }
        return errors;
    }
}

public class GracefulLeaveTests(ITestOutputHelper output)
{
    /// <summary>A formed ring of 50 nodes, 10 of them chosen to go.</summary>
    private static (SmallOverlay Overlay, List<OverlayNode> Leaving, List<OverlayNode> Remaining, HashSet<RingAddress> Departed) Formed(int seed)
    {
        var overlay = new SmallOverlay(50, seed);
        overlay.StartAll(TimeSpan.FromMilliseconds(100));
        overlay.RunFor(TimeSpan.FromSeconds(60));
        var before = SmallOverlay.RingErrors(overlay.Nodes);
        Assert.True(before.Count == 0, "ring not formed before the leaves:" + Environment.NewLine + string.Join(Environment.NewLine, before));
        var rng = new Random(seed);
        var leaving = overlay.Nodes.OrderBy(_ => rng.Next()).Take(10).ToList();
        var departed = leaving.Select(n => n.Address).ToHashSet();
        var remaining = overlay.Nodes.Where(n => !departed.Contains(n.Address)).ToList();
        return (overlay, leaving, remaining, departed);
    }

    /// <summary>Lines naming every link a remaining node still holds to a departed one, and departed ring neighbours.</summary>
    private static List<string> StaleLinks(List<OverlayNode> remaining, HashSet<RingAddress> departed)
    {
        var stale = new List<string>();
        foreach (var node in remaining)
        {
            var snapshot = node.Snapshot();
            foreach (var peer in snapshot.Peers)
            {
                if (departed.Contains(peer.Address)) stale.Add($"{node.Address.ToShortString()} still linked to departed {peer.Address.ToShortString()} ({peer.Roles}, silent {peer.SilentSeconds:F1} s)");
            }
            foreach (var a in snapshot.Successors.Concat(snapshot.Predecessors))
            {
                if (departed.Contains(a)) stale.Add($"{node.Address.ToShortString()} keeps departed {a.ToShortString()} as a ring neighbour");
            }
        }
        return stale;
    }

    private static void AssertHealed(List<OverlayNode> remaining, HashSet<RingAddress> departed, string when)
    {
        var errors = SmallOverlay.RingErrors(remaining);
        Assert.True(errors.Count == 0, $"{when}: {errors.Count} of {remaining.Count} remaining nodes have wrong ring neighbours:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        var stale = StaleLinks(remaining, departed);
        Assert.True(stale.Count == 0, $"{when}: " + string.Join(Environment.NewLine, stale));
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void Nodes_that_leave_are_forgotten_and_the_ring_closes_over_them(int seed)
    {
        var (overlay, leaving, remaining, departed) = Formed(seed);
        foreach (var node in leaving) node.Leave();
        long undeliverableAtLeave = overlay.Network.Undeliverable;

        // A Leave is acted on at once: well before a silent link would be declared dead (DeadAfter, 12 s).
        overlay.RunFor(TimeSpan.FromSeconds(2));
        AssertHealed(remaining, departed, "2 s after the leaves");

        overlay.RunFor(TimeSpan.FromSeconds(18));
        AssertHealed(remaining, departed, "20 s after the leaves");
        output.WriteLine($"datagrams to departed nodes after the leaves: {overlay.Network.Undeliverable - undeliverableAtLeave}");

        // Leaving is idempotent, and a node that left no longer sends.
        long sent = overlay.Network.Sent;
        leaving[0].Leave();
        Assert.False(leaving[0].Send(remaining[0].Address, RoutingMode.Exact, RoutedPayloadType.Probe, new byte[Probe.Size]));
        Assert.Equal(sent, overlay.Network.Sent);
    }

    [Fact]
    public void Nodes_that_crash_are_only_forgotten_once_their_links_fall_silent()
    {
        var (overlay, leaving, remaining, departed) = Formed(21);
        foreach (var node in leaving) node.Dispose();

        // Without a Leave the others notice only by silence, which is what makes the test above meaningful.
        overlay.RunFor(TimeSpan.FromSeconds(2));
        Assert.NotEmpty(StaleLinks(remaining, departed));

        overlay.RunFor(TimeSpan.FromSeconds(18));
        AssertHealed(remaining, departed, "20 s after the crashes");
    }

    [Fact]
    public void After_leaves_every_remaining_node_routes_to_every_other()
    {
        var overlay = new SmallOverlay(50, seed: 22);
        overlay.StartAll(TimeSpan.FromMilliseconds(100));
        overlay.RunFor(TimeSpan.FromSeconds(60));
        var leaving = overlay.Nodes.Where((_, i) => i % 5 == 2).ToList();
        var remaining = overlay.Nodes.Except(leaving).ToList();
        foreach (var node in leaving) node.Leave();
        overlay.RunFor(TimeSpan.FromSeconds(20));

        var delivered = new HashSet<(RingAddress From, RingAddress To)>();
        foreach (var node in remaining)
        {
            var self = node;
            node.Delivered = (in Routed header, ReadOnlySpan<byte> payload, bool _) =>
            {
                if (header.PayloadType == RoutedPayloadType.Probe) delivered.Add((header.Source, self.Address));
            };
        }
        int sent = 0;
        var payload = new byte[Probe.Size];
        foreach (var from in remaining)
        {
            foreach (var to in remaining)
            {
                if (ReferenceEquals(from, to)) continue;
                Assert.True(from.Send(to.Address, RoutingMode.Exact, RoutedPayloadType.Probe, payload));
                sent++;
            }
        }
        overlay.RunFor(TimeSpan.FromSeconds(10));

        Assert.Equal(remaining.Count * (remaining.Count - 1), sent);
        Assert.Equal(sent, delivered.Count);
    }
}

using Xunit.Abstractions;
using System.Diagnostics;

namespace Woven.Lab.Tests;

/// <summary>A relayed pair loses its relay: it must be linked again, through another relay, within 10 s.</summary>
public class RelayFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killing_the_relay_of_a_relayed_pair_moves_the_link_to_another_relay_within_ten_seconds()
    {
        Lab.RequireAvailable();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using var lab = new WovenLab();
        await lab.StartPublicNodesAsync(cts.Token);
        // Two symmetric sites cannot punch through to each other: their link must be relayed.
        await lab.AddSiteNodeAsync("syma", NatType.Symmetric, 1);
        await lab.AddSiteNodeAsync("symb", NatType.Symmetric, 2);
        var a = (await lab.StatusAsync("syma", cts.Token)).Address;
        var b = (await lab.StatusAsync("symb", cts.Token)).Address;
        var relays = new Dictionary<string, string>
        {
            [(await lab.StatusAsync("seed", cts.Token)).Address] = "seed",
            [(await lab.StatusAsync("relay2", cts.Token)).Address] = "relay2",
        };
        await lab.Nodes["syma"].Control.RequestLinkAsync(b, cts.Token);

        string? firstRelay = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (firstRelay is null && DateTime.UtcNow < deadline)
        {
            // Both ends must be using the same public relay, so that killing it cuts the link in both directions.
            var pa = (await lab.StatusAsync("syma", cts.Token)).Peers.FirstOrDefault(p => p.Address == b);
            var pb = (await lab.StatusAsync("symb", cts.Token)).Peers.FirstOrDefault(p => p.Address == a);
            if (pa is { Path: "relayed", Via: { } via } && pb is { Path: "relayed" } && pb.Via == via && relays.ContainsKey(via)) firstRelay = via;
            else await Task.Delay(100, cts.Token);
        }
        Assert.True(firstRelay is not null, "the symmetric pair never linked through a public relay");

        lab.Nodes[relays[firstRelay]].Crash();
        var clock = Stopwatch.StartNew();
        TimeSpan? relinked = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var pa = (await lab.StatusAsync("syma", cts.Token)).Peers.FirstOrDefault(p => p.Address == b);
            var pb = (await lab.StatusAsync("symb", cts.Token)).Peers.FirstOrDefault(p => p.Address == a);
            // Linked again: both ends carry the link through a live relay and have heard from each other just now.
            double since = clock.Elapsed.TotalSeconds;
            if (pa is { Path: "relayed" } && pb is { Path: "relayed" } && pa.Via != firstRelay && pb.Via != firstRelay
                && pa.SilentS < since && pb.SilentS < since)
            {
                relinked = clock.Elapsed;
                break;
            }
            await Task.Delay(100, cts.Token);
        }
        output.WriteLine($"relay {relays[firstRelay]} killed; linked again through another relay after {relinked?.TotalSeconds:F2} s");
        Assert.True(relinked is not null && relinked.Value < TimeSpan.FromSeconds(10),
            $"pair not linked through another relay within 10 s (after {clock.Elapsed.TotalSeconds:F1} s)");
    }
}

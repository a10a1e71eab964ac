using System.Text.Json;
using Woven.Node.Cluster;

namespace Woven.Integration.Tests;

/// <summary>Real woven up processes on 127.0.0.1 talking over real UDP sockets.</summary>
public class RingOfProcessesTests
{
    [Fact]
    public async Task Twenty_processes_form_a_correct_ring()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        using var cluster = new LocalCluster(WovenBinary.Path);
        var seed = cluster.Start([]);
        await seed.WaitUntilUpAsync(TimeSpan.FromSeconds(60), cts.Token);
        var random = new Random(20);
        // Nodes come up a few at a time: twenty .NET processes starting at once on two cores only measure the JIT.
        for (int i = 1; i < 20; i++)
        {
            var live = cluster.Live.ToList();
            var node = cluster.Start([live[random.Next(live.Count)].Listen]);
            if (i % 4 == 0) await node.WaitUntilUpAsync(TimeSpan.FromSeconds(120), cts.Token);
        }
        foreach (var node in cluster.Live) await node.WaitUntilUpAsync(TimeSpan.FromSeconds(120), cts.Token);

        var formed = await cluster.WaitForRingAsync(20, TimeSpan.FromSeconds(90), cts.Token);
        var statuses = await cluster.StatusesAsync(cts.Token);
        Assert.True(formed is not null, "ring not formed:\n" + string.Join("\n", LocalCluster.RingErrors(statuses)));

        // The status document a user sees through the CLI carries address, endpoints and peers with their endpoints.
        var cli = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "status", "--json", "--state-dir", cluster.Nodes[0]!.StateDir);
        Assert.Equal(0, cli.ExitCode);
        using var doc = JsonDocument.Parse(cli.Stdout);
        var root = doc.RootElement;
        Assert.Equal(40, root.GetProperty("address").GetString()!.Length);
        Assert.Contains(cluster.Nodes[0]!.Listen.ToString(), root.GetProperty("endpoints").EnumerateArray().Select(e => e.GetString()));
        var peers = root.GetProperty("peers").EnumerateArray().ToList();
        Assert.True(peers.Count >= 4, $"only {peers.Count} peers");
        var known = statuses.ToDictionary(s => s.Address, s => s.Endpoints);
        foreach (var p in peers)
        {
            var address = p.GetProperty("address").GetString()!;
            Assert.True(known.ContainsKey(address), $"peer {address} is not a cluster member");
            Assert.Contains(p.GetProperty("endpoint").GetString(), known[address]);
        }
        Assert.All(statuses, s => Assert.Equal(0, s.Transport.HandlerFaults));
    }

    [Fact]
    public async Task A_crashed_node_is_dropped_and_the_ring_closes_the_gap()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var cluster = new LocalCluster(WovenBinary.Path);
        var seed = cluster.Start([]);
        await seed.WaitUntilUpAsync(TimeSpan.FromSeconds(30), cts.Token);
        for (int i = 1; i < 6; i++) cluster.Start([seed.Listen]);
        foreach (var node in cluster.Live) await node.WaitUntilUpAsync(TimeSpan.FromSeconds(60), cts.Token);
        Assert.NotNull(await cluster.WaitForRingAsync(6, TimeSpan.FromSeconds(60), cts.Token));

        var victim = cluster.Nodes[3]!;
        var victimAddress = (await victim.Control.GetStatusAsync(cts.Token)).Address;
        victim.Crash();
        var repaired = await cluster.WaitForRingAsync(5, TimeSpan.FromSeconds(40), cts.Token);
        var statuses = await cluster.StatusesAsync(cts.Token);
        Assert.True(repaired is not null, "ring not repaired:\n" + string.Join("\n", LocalCluster.RingErrors(statuses)));
        // Failure detection declares a silent peer dead after 12 s; give it that plus a margin before checking tables.
        await Task.Delay(TimeSpan.FromSeconds(2), cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && (await cluster.StatusesAsync(cts.Token)).Any(s => s.Peers.Any(p => p.Address == victimAddress)))
            await Task.Delay(500, cts.Token);
        Assert.DoesNotContain(await cluster.StatusesAsync(cts.Token), s => s.Peers.Any(p => p.Address == victimAddress));
    }
}

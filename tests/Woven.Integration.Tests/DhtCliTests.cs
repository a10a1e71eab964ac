using System.Text.Json;
using Woven.Node.Cluster;

namespace Woven.Integration.Tests;

/// <summary><c>woven dht</c> against real <c>woven up</c> processes on 127.0.0.1.</summary>
public class DhtCliTests
{
    [Fact]
    public async Task Put_get_create_and_remove_work_across_real_nodes()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        using var cluster = new LocalCluster(WovenBinary.Path);
        var seed = cluster.Start([]);
        await seed.WaitUntilUpAsync(TimeSpan.FromSeconds(60), cts.Token);
        for (int i = 1; i < 6; i++) cluster.Start([seed.Listen]);
        foreach (var node in cluster.Live) await node.WaitUntilUpAsync(TimeSpan.FromSeconds(120), cts.Token);
        Assert.NotNull(await cluster.WaitForRingAsync(6, TimeSpan.FromSeconds(90), cts.Token));
        string Dir(int i) => cluster.Nodes[i]!.StateDir;
        Task<WovenBinary.Result> Dht(int node, params string[] args) =>
            WovenBinary.RunAsync(TimeSpan.FromSeconds(90), ["dht", .. args, "--state-dir", Dir(node)]);

        var put = await Dht(1, "put", "service/printer", "10.0.0.7:631", "--ttl", "300");
        Assert.True(put.ExitCode == 0, put.Stderr);

        var get = await Dht(4, "get", "service/printer", "--json");
        Assert.True(get.ExitCode == 0, get.Stderr);
        using (var doc = JsonDocument.Parse(get.Stdout))
        {
            var record = Assert.Single(doc.RootElement.GetProperty("records").EnumerateArray());
            Assert.Equal("10.0.0.7:631", record.GetProperty("value").GetString());
            var expires = record.GetProperty("expires").GetDateTimeOffset();
            Assert.InRange((expires - DateTimeOffset.UtcNow).TotalSeconds, 200, 301);
            var owner = (await cluster.Nodes[1]!.Control.GetStatusAsync(cts.Token)).Address;
            Assert.Equal(owner, record.GetProperty("owner").GetString());
        }

        var first = await Dht(2, "create", "dhcp/10.128.0.9", "vm-2");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var second = await Dht(3, "create", "dhcp/10.128.0.9", "vm-3");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("held by another owner", second.Stderr);
        Assert.Contains("vm-2", second.Stderr);

        // Only the owner removes: node 3 owns nothing under the key, so nothing is removed; node 2's removal frees it.
        Assert.Equal(0, (await Dht(3, "remove", "dhcp/10.128.0.9")).ExitCode);
        Assert.Equal(0, (await Dht(0, "get", "dhcp/10.128.0.9")).ExitCode);
        Assert.Equal(0, (await Dht(2, "remove", "dhcp/10.128.0.9")).ExitCode);
        var gone = await Dht(0, "get", "dhcp/10.128.0.9");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("no records", gone.Stdout);
        Assert.Equal(0, (await Dht(3, "create", "dhcp/10.128.0.9", "vm-3")).ExitCode);

        // Bad input names the field; no node gives exit code 4.
        var big = await Dht(1, "put", "k", new string('x', 769));
        Assert.Equal(2, big.ExitCode);
        Assert.Contains("value: 769 bytes is over the limit of 768 bytes", big.Stderr);
        var ttl = await Dht(1, "put", "k", "v", "--ttl", "0");
        Assert.Equal(2, ttl.ExitCode);
        Assert.Contains("--ttl", ttl.Stderr);
        var none = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "dht", "get", "k", "--state-dir", Path.Combine(cluster.WorkDir, "nobody"));
        Assert.Equal(4, none.ExitCode);

        // The replicas report what they hold in the status document.
        int held = 0;
        foreach (var node in cluster.Live) held += (await node.Control.GetStatusAsync(cts.Token)).Dht!.Records;
        Assert.True(held >= 3, $"only {held} records held across the replicas");
    }
}

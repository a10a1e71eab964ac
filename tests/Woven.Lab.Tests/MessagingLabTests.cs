using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Woven.Lab.Tests;

/// <summary>Peer messaging between real nodes in NATed lab sites, with real packet loss from nftables.</summary>
public class MessagingLabTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Under_ten_percent_loss_each_way_ten_thousand_messages_arrive_exactly_once_and_in_order_per_sender()
    {
        Lab.RequireAvailable();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        using var lab = new WovenLab();
        await lab.StartPublicNodesAsync(cts.Token);
        var lossy = await lab.AddSiteNodeAsync("lossy", NatType.PortRestricted, 1, "--name", "lossy");
        var far = await lab.AddSiteNodeAsync("far", NatType.FullCone, 2, "--name", "far");
        string farAddress = (await lab.StatusAsync("far", cts.Token)).Address;
        string lossyAddress = (await lab.StatusAsync("lossy", cts.Token)).Address;
        string seedAddress = (await lab.StatusAsync("seed", cts.Token)).Address;

        Woven.Node.Lab.LabResult Woven(string node, TimeSpan timeout, params string[] args) =>
            lab.Lab.Exec(lab.NamespaceOf(node), timeout, WovenLab.Woven, [.. args, "--state-dir", lab.Nodes[node].StateDir]);

        // A first message opens the link between the two sites (a direct one: port-restricted and full cone punch through).
        var warm = Woven("lossy", TimeSpan.FromSeconds(60), "msg", "send", farAddress, "warm-up", "hello", "--timeout", "30");
        Assert.True(warm.ExitCode == 0, warm.ToString());

        const int FromLossy = 10_000, FromSeed = 2_000;
        using var listener = lab.Lab.StartProcess(lab.NamespaceOf("far"), WovenLab.Woven, "msg", "listen", "load", "--json", "--count", $"{FromLossy + FromSeed}", "--state-dir", far.StateDir);
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true) subscribed.TrySetResult();
        };
        listener.BeginErrorReadLine();
        var received = listener.StandardOutput.ReadToEndAsync(cts.Token);
        await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30), cts.Token);

        // 10 % of the IPv4 packets dropped each way on the lossy site's uplink (nftables numgen random).
        lab.Lab.Loss("lossy", "wan", 10, "both");
        var clock = Stopwatch.StartNew();
        var fromLossy = Task.Run(() => Woven("lossy", TimeSpan.FromSeconds(150), "msg", "send", farAddress, "load", "lossy", "--count", $"{FromLossy}", "--timeout", "120"));
        var fromSeed = Task.Run(() => Woven("seed", TimeSpan.FromSeconds(150), "msg", "send", farAddress, "load", "seed", "--count", $"{FromSeed}", "--timeout", "120"));
        var results = await Task.WhenAll(fromLossy, fromSeed);
        var sendTime = clock.Elapsed;
        Assert.True(results[0].ExitCode == 0, results[0].ToString());
        Assert.True(results[1].ExitCode == 0, results[1].ToString());
        string all = await received.WaitAsync(TimeSpan.FromSeconds(60), cts.Token);
        Assert.True(listener.WaitForExit(10_000));
        Assert.Equal(0, listener.ExitCode);

        var lines = all.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(FromLossy + FromSeed, lines.Count);
        var bySender = lines.GroupBy(l => l.GetProperty("from").GetString()!).ToDictionary(g => g.Key, g => g.Select(l => l.GetProperty("text").GetString()!).ToList());
        Assert.Equal(Enumerable.Range(0, FromLossy).Select(i => $"lossy {i}"), bySender[lossyAddress]);
        Assert.Equal(Enumerable.Range(0, FromSeed).Select(i => $"seed {i}"), bySender[seedAddress]);
        Assert.Equal(2, bySender.Count);

        var peers = Woven("lossy", TimeSpan.FromSeconds(30), "peers", "--json");
        using var counters = JsonDocument.Parse(await lossy.Control.GetJsonAsync("v1/msg/status", cts.Token));
        var c = counters.RootElement.GetProperty("counters");
        long retransmits = c.GetProperty("retransmits").GetInt64(), framesSent = c.GetProperty("frames_sent").GetInt64();
        output.WriteLine($"{FromLossy} + {FromSeed} messages in {sendTime.TotalSeconds:F1} s under 10 % loss each way; the lossy sender sent {framesSent} frames, " +
            $"{retransmits} again ({c.GetProperty("fast_retransmits").GetInt64()} fast)");
        using (var doc = JsonDocument.Parse(peers.Stdout))
        {
            var link = doc.RootElement.GetProperty("peers").EnumerateArray().FirstOrDefault(p => p.GetProperty("address").GetString() == farAddress);
            output.WriteLine($"path lossy -> far: {(link.ValueKind == JsonValueKind.Object ? link.GetProperty("path").GetString() : "no link")}");
        }
        // The loss was real: about one frame in ten (or its acknowledgement) had to go again.
        Assert.True(retransmits > FromLossy / 20, $"only {retransmits} retransmissions: was there loss at all?");
    }
}

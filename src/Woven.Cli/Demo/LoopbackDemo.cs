using System.Diagnostics;
using Woven.Node.Cluster;
using Woven.Node.Control;

namespace Woven.Cli.Demo;

/// <summary>
/// <c>woven demo --loopback</c> (and the demo without root): a cluster of real nodes on 127.0.0.1; shows the ring forming,
/// crashes a node and shows the ring repairing itself, lets a new node join, then stops every node gracefully.
/// </summary>
internal static class LoopbackDemo
{
    public static async Task<int> RunAsync(int count, bool keep, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var cluster = new LocalCluster(LocalCluster.FindWoven());
        Say(clock, $"starting {count} woven nodes on 127.0.0.1 (state under {cluster.WorkDir})");
        var seed = cluster.Start([]);
        await seed.WaitUntilUpAsync(TimeSpan.FromSeconds(90), ct);
        var random = new Random();
        for (int i = 1; i < count; i++)
        {
            var live = cluster.Live.ToList();
            cluster.Start([live[random.Next(live.Count)].Listen]);
        }
        foreach (var node in cluster.Live) await node.WaitUntilUpAsync(TimeSpan.FromSeconds(90), ct);
        Say(clock, "all nodes up; each joined through a random earlier node");

        var formed = await cluster.WaitForRingAsync(count, TimeSpan.FromSeconds(60), ct);
        if (formed is null) return Fail(clock, "the ring did not form within 60 s", await cluster.StatusesAsync(ct));
        Say(clock, $"ring formed {formed.Value.TotalSeconds:F1} s after the last node came up: every node's successor and predecessor are the true ones");
        PrintRing(await cluster.StatusesAsync(ct));

        var victim = cluster.Live.Skip(count / 2).First();
        var victimStatus = await victim.Control.GetStatusAsync(ct);
        Say(clock, $"crashing node {victimStatus.Address[..8]} (kill -9 of pid {victim.Pid}); its neighbours must notice and close the gap");
        victim.Crash();
        var repaired = await cluster.WaitForRingAsync(count - 1, TimeSpan.FromSeconds(60), ct);
        if (repaired is null) return Fail(clock, "the ring did not repair within 60 s", await cluster.StatusesAsync(ct));
        Say(clock, $"ring repaired {repaired.Value.TotalSeconds:F1} s after the crash ({count - 1} nodes)");

        var rejoined = cluster.Start([cluster.Live.First().Listen]);
        await rejoined.WaitUntilUpAsync(TimeSpan.FromSeconds(90), ct);
        var joined = await cluster.WaitForRingAsync(count, TimeSpan.FromSeconds(60), ct);
        if (joined is null) return Fail(clock, "a new node did not join within 60 s", await cluster.StatusesAsync(ct));
        Say(clock, $"a new node joined and the ring was correct again {joined.Value.TotalSeconds:F1} s later");
        PrintRing(await cluster.StatusesAsync(ct));

        if (keep)
        {
            Say(clock, "nodes keep running; try: woven status --state-dir " + cluster.Live.First().StateDir + "   (Ctrl-C ends the demo)");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
        Say(clock, "stopping every node gracefully (SIGTERM: each tells its peers it leaves)");
        Say(clock, "demo finished: ring formation, crash repair and join all worked");
        return 0;
    }

    private static void PrintRing(List<StatusDocument> statuses)
    {
        Console.WriteLine($"    {"NODE",-10} {"ENDPOINT",-18} {"PRED",-9} {"SUCC",-9} {"PEERS",5} {"FAR",4} {"RTT ms (mean)",14}");
        foreach (var s in statuses.OrderBy(s => s.Address, StringComparer.Ordinal))
        {
            var rtts = s.Peers.Where(p => p.RttMs is not null).Select(p => p.RttMs!.Value).ToList();
            Console.WriteLine($"    {s.Address[..8],-10} {s.Endpoints[0],-18} {s.Predecessors.FirstOrDefault()?[..8] ?? "-",-9} {s.Successors.FirstOrDefault()?[..8] ?? "-",-9} {s.Peers.Count,5} {s.Peers.Count(p => p.Roles.Contains("far_out") || p.Roles.Contains("far_in")),4} {(rtts.Count > 0 ? rtts.Average().ToString("F3") : "-"),14}");
        }
    }

    private static int Fail(Stopwatch clock, string what, List<StatusDocument> statuses)
    {
        Say(clock, "FAILED: " + what);
        foreach (var e in LocalCluster.RingErrors(statuses)) Console.WriteLine("    " + e);
        return 1;
    }

    private static void Say(Stopwatch clock, string text) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {text}");
}

using System.Diagnostics;
using System.Net;
using Woven.Node.Cluster;
using Woven.Node.Control;
using Woven.Node.Lab;

namespace Woven.Cli.Demo;

/// <summary>
/// <c>woven demo</c> as root: a NAT lab (lab/netlab.sh) with coturn and a bootstrap node on the public segment and three
/// sites behind a full-cone, a port-restricted and a symmetric NAT router, two hosts each, every host running
/// <c>woven up --vnet --name NAME</c>. Shows the ring forming, each site's NAT as <c>woven netcheck</c> classifies it,
/// the virtual addresses and names, the link (direct or relayed, RTT) between every pair, ICMP pings by name across sites
/// with <c>dig @VIP NAME.woven</c>, an iperf3 run between the port-restricted and the symmetric site, and a message
/// exchange. Everything it starts is stopped by PID and every namespace deleted on every exit path.
/// </summary>
internal sealed partial class LabDemo : IDisposable
{
    private const int Port = 7000;
    private const string Zone = "woven";
    private static readonly IPAddress StunIp = IPAddress.Parse("203.0.113.2");
    private static readonly IPAddress StunIp2 = IPAddress.Parse("203.0.113.3");
    private static readonly IPAddress BootIp = IPAddress.Parse("203.0.113.10");

    /// <summary>The sites: name, NAT type, site number (its WAN is 203.0.113.(100+N)), the nodes on its hosts.</summary>
    private static readonly LabSite[] Sites =
    [
        new("cone", NatType.FullCone, 1, ["cone1", "cone2"]),
        new("prc", NatType.PortRestricted, 2, ["prc1", "prc2"]),
        new("sym", NatType.Symmetric, 3, ["sym1", "sym2"]),
    ];

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _failures = [];
    private readonly List<string> _summary = [];
    private readonly LabCluster _cluster;
    private readonly Dictionary<string, NodeInfo> _info = [];

    private sealed record LabSite(string Name, NatType Type, int Index, string[] Nodes);

    /// <summary>What the demo learns about a node as it goes.</summary>
    private sealed class NodeInfo(string name, string site, string nat, IPEndPoint local)
    {
        public string Name { get; } = name;
        public string Site { get; } = site;
        public string Nat { get; } = nat;
        public IPEndPoint Local { get; } = local;
        public string Address { get; set; } = "";
        public string? Vip { get; set; }
        /// <summary>The node's IPv6 address in the domain's unique local prefix (null: the kernel gave it no IPv6).</summary>
        public string? Vip6 { get; set; }
        public string? Fqdn { get; set; }
    }

    private LabDemo(LabCluster cluster) => _cluster = cluster;

    private NetLab Lab => _cluster.Lab;

    /// <summary>Runs the whole demo; the lab is destroyed before this returns or throws.</summary>
    public static async Task<int> RunAsync(bool keep, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        Say(clock, "woven demo: a NAT lab of network namespaces: coturn and a bootstrap node on a public segment (203.0.113.0/24),");
        Say(clock, "            three sites behind full-cone, port-restricted and symmetric NAT routers, 7 woven nodes");
        if (!await Packages.EnsureAsync(s => Say(clock, s))) return 1;
        if (!NetLab.Available)
        {
            try
            {
                NetLab.RequireAvailable();
            }
            catch (InvalidOperationException e)
            {
                Say(clock, $"FAILED: {e.Message}");
                return 1;
            }
        }
        ct.ThrowIfCancellationRequested();
        using var demo = new LabDemo(new LabCluster(new NetLab("wd"), LocalCluster.FindWoven()));
        return await demo.RunStepsAsync(keep, ct);
    }

    private async Task<int> RunStepsAsync(bool keep, CancellationToken ct)
    {
        Say($"lab prefix {Lab.Prefix}; node state and logs under {_cluster.WorkDir}");
        BuildLab(ct);
        await StartStunAsync(ct);
        var netchecks = StartNetchecks(ct);
        if (!await StartNodesAsync(ct)) return Finish();
        if (!await WaitForRingAsync(ct)) return Finish();
        if (!await WaitForAddressesAsync(ct)) return Finish();
        await ReportNetchecksAsync(netchecks);
        var paths = await ShowLinksAsync(ct);
        await PingByNameAsync(ct);
        await RunIperfAsync(paths, ct);
        await ExchangeMessageAsync(paths, ct);
        int code = Finish();
        if (keep && code == 0) await KeepAsync(ct);
        return code;
    }

    private async Task KeepAsync(CancellationToken ct)
    {
        Say("the lab keeps running (Ctrl-C ends it and removes everything). Try, for example:");
        var prc1 = _info["prc1"];
        Console.WriteLine($"    ./woven status --state-dir {_cluster.Nodes["prc1"].StateDir}");
        Console.WriteLine($"    ./woven ping sym1 --state-dir {_cluster.Nodes["prc1"].StateDir}");
        Console.WriteLine($"    ip netns exec {_cluster.NamespaceOf("prc1")} ping {_info["sym1"].Vip}          # from {prc1.Fqdn} to {_info["sym1"].Fqdn}");
        Console.WriteLine($"    ip netns exec {_cluster.NamespaceOf("prc1")} dig @{prc1.Vip} sym2.{Zone}");
        Console.WriteLine($"    lab/netlab.sh list {Lab.Prefix}");
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            Say("Ctrl-C: stopping the nodes and removing the lab");
        }
    }

    private int Finish()
    {
        Console.WriteLine();
        Console.WriteLine("summary");
        foreach (var line in _summary) Console.WriteLine("    " + line);
        if (_failures.Count == 0)
        {
            Say($"demo finished in {_clock.Elapsed.TotalSeconds:F1} s: every step worked");
            return 0;
        }
        foreach (var f in _failures) Console.WriteLine("    FAILED: " + f);
        _cluster.KeepWorkDir = true;
        Say($"demo FAILED ({_failures.Count} step(s)); node logs kept in {_cluster.WorkDir}");
        return 1;
    }

    private void Fail(string what)
    {
        _failures.Add(what);
        Say("FAILED: " + what);
    }

    private void Say(string text) => Say(_clock, text);

    private static void Say(Stopwatch clock, string text) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {text}");

    private string NameOf(string address) => _info.Values.FirstOrDefault(i => i.Address == address)?.Name ?? address[..8];

    public void Dispose()
    {
        Say("cleaning up: stopping every node (SIGTERM by PID), removing the lab's namespaces");
        _cluster.Dispose();
        var left = NetLab.NamespacesWithPrefix(Lab.Prefix);
        Say(left.Count == 0 ? "lab removed" : $"namespaces left behind: {string.Join(", ", left)}");
    }
}

using System.Net;
using Woven.Node.Cluster;
using Woven.Node.Control;
using Woven.Node.Lab;

namespace Woven.Lab.Tests;

/// <summary>
/// Real woven nodes in a lab: a public seed and a second public node (both can relay), and one host per site.
/// Nodes run in their namespaces (a <see cref="LabCluster"/>); their control sockets live in a temporary directory the
/// test process reaches.
/// </summary>
public sealed class WovenLab : IDisposable
{
    public const int Port = 7000;
    public static readonly IPAddress SeedIp = IPAddress.Parse("203.0.113.10");
    public static readonly IPAddress Relay2Ip = IPAddress.Parse("203.0.113.11");

    private readonly LabCluster _cluster;

    public WovenLab()
    {
        Lab = new Lab();
        _cluster = new LabCluster(Lab, Woven);
        Lab.CreateInternet();
        Lab.AddPublicHost("seed", SeedIp);
        Lab.AddPublicHost("relay2", Relay2Ip);
    }

    public Lab Lab { get; }

    public Dictionary<string, NodeProcess> Nodes { get; } = [];

    public static string Woven { get; } = LocalCluster.FindBuiltWoven();

    /// <summary>Starts the two public nodes; the seed founds the ring.</summary>
    public async Task StartPublicNodesAsync(CancellationToken ct, params string[] extraArgs)
    {
        await StartAsync("seed", Lab.Namespace("seed"), [], extraArgs);
        await StartAsync("relay2", Lab.Namespace("relay2"), [new IPEndPoint(SeedIp, Port)], extraArgs);
    }

    /// <summary>Adds a site of <paramref name="type"/> with one host running a node that joins through the seed.</summary>
    public async Task<NodeProcess> AddSiteNodeAsync(string site, NatType type, int index, params string[] extraArgs)
    {
        Lab.AddSite(site, type, index);
        Lab.AddHost(site, "h");
        return await StartAsync(site, Lab.HostNamespace(site, "h"), [new IPEndPoint(SeedIp, Port)], extraArgs);
    }

    /// <summary>The namespace a node runs in.</summary>
    public string NamespaceOf(string node) => node is "seed" or "relay2" ? Lab.Namespace(node) : Lab.HostNamespace(node, "h");

    private async Task<NodeProcess> StartAsync(string name, string netns, IPEndPoint[] bootstraps, string[] extraArgs)
    {
        var node = await _cluster.StartAsync(name, netns, new IPEndPoint(IPAddress.Any, Port), bootstraps, extraArgs, TimeSpan.FromSeconds(30), CancellationToken.None);
        Nodes[name] = node;
        return node;
    }

    public async Task<StatusDocument> StatusAsync(string name, CancellationToken ct) => await Nodes[name].Control.GetStatusAsync(ct);

    public void Dispose() => _cluster.Dispose();
}

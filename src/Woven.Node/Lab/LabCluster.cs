using System.Net;
using Woven.Node.Cluster;
using Woven.Node.Control;

namespace Woven.Node.Lab;

/// <summary>
/// Real <c>woven up</c> processes in the namespaces of a <see cref="NetLab"/>, by name. Their state directories (and so
/// their control sockets) live in <see cref="WorkDir"/> on the machine's file system, which every namespace shares, so
/// the program that started them reaches each one. Dispose stops every node (SIGTERM, by PID), destroys the lab and
/// deletes the work directory (unless <see cref="KeepWorkDir"/>).
/// </summary>
public sealed class LabCluster : IDisposable
{
    private readonly Dictionary<string, NodeProcess> _nodes = [];
    private readonly Dictionary<string, string> _namespaces = [];
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>Nodes of <paramref name="woven"/> (the executable) in <paramref name="lab"/>, which this cluster owns from now on.</summary>
    public LabCluster(NetLab lab, string woven)
    {
        ArgumentNullException.ThrowIfNull(lab);
        Lab = lab;
        Woven = woven;
        WorkDir = Directory.CreateTempSubdirectory($"woven-{lab.Prefix}-").FullName;
    }

    public NetLab Lab { get; }

    /// <summary>The woven executable the nodes run.</summary>
    public string Woven { get; }

    /// <summary>A temporary directory with a state directory per node (WORKDIR/NAME).</summary>
    public string WorkDir { get; }

    /// <summary>Leave <see cref="WorkDir"/> (the nodes' logs) in place on Dispose, e.g. after a failure.</summary>
    public bool KeepWorkDir { get; set; }

    /// <summary>The started nodes, by name.</summary>
    public IReadOnlyDictionary<string, NodeProcess> Nodes
    {
        get
        {
            lock (_gate) return new Dictionary<string, NodeProcess>(_nodes);
        }
    }

    /// <summary>The namespace a node runs in.</summary>
    public string NamespaceOf(string node)
    {
        lock (_gate) return _namespaces[node];
    }

    /// <summary>Starts <c>woven up</c> as node <paramref name="name"/> in namespace <paramref name="ns"/> and waits until its
    /// control API answers.</summary>
    public async Task<NodeProcess> StartAsync(string name, string ns, IPEndPoint listen, IEnumerable<IPEndPoint> bootstraps,
        IEnumerable<string> extraArgs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        NodeProcess node;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_nodes.ContainsKey(name)) throw new ArgumentException($"a node named {name} runs already", nameof(name));
            node = NodeProcess.Start(Woven, Path.Combine(WorkDir, name), listen, bootstraps, extraArgs, netns: Lab.Namespace(ns));
            _nodes[name] = node;
            _namespaces[name] = Lab.Namespace(ns);
        }
        await node.WaitUntilUpAsync(timeout, cancellationToken);
        return node;
    }

    /// <summary>The status of every node that answers, by name.</summary>
    public async Task<Dictionary<string, StatusDocument>> StatusesAsync(CancellationToken cancellationToken)
    {
        var tasks = Nodes.Select(async pair =>
        {
            try
            {
                return (pair.Key, Status: await pair.Value.Control.GetStatusAsync(cancellationToken));
            }
            catch (HttpRequestException)
            {
                return (pair.Key, Status: (StatusDocument?)null);
            }
        });
        var result = new Dictionary<string, StatusDocument>();
        foreach (var (name, status) in await Task.WhenAll(tasks))
        {
            if (status is not null) result[name] = status;
        }
        return result;
    }

    /// <summary>Polls until every node answers and they form a correct ring; returns how long that took, or null on timeout.</summary>
    public async Task<TimeSpan?> WaitForRingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = DateTime.UtcNow;
        int count = Nodes.Count;
        while (DateTime.UtcNow - start < timeout)
        {
            var statuses = await StatusesAsync(cancellationToken);
            if (statuses.Count == count && LocalCluster.RingErrors([.. statuses.Values]).Count == 0) return DateTime.UtcNow - start;
            await Task.Delay(200, cancellationToken);
        }
        return null;
    }

    /// <summary>Stops every node at once (SIGTERM, SIGKILL after 5 s), then destroys the lab and the work directory.</summary>
    public void Dispose()
    {
        List<NodeProcess> nodes;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            nodes = [.. _nodes.Values];
        }
        Task.WaitAll([.. nodes.Select(n => Task.Run(n.Dispose))]);
        Lab.Dispose();
        if (KeepWorkDir) return;
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using System.Net;
using System.Net.Sockets;
using Woven.Node.Control;

namespace Woven.Node.Cluster;

/// <summary>
/// Real <c>woven up</c> processes on one host (loopback by default), for the demo and integration tests.
/// Each node gets its own state directory under <see cref="WorkDir"/>; everything is stopped by PID on dispose.
/// </summary>
public sealed class LocalCluster : IDisposable
{
    private readonly string _woven;
    private readonly List<NodeProcess?> _nodes = [];
    private readonly bool _ownsWorkDir;

    public LocalCluster(string woven, string? workDir = null)
    {
        _woven = woven;
        _ownsWorkDir = workDir is null;
        WorkDir = workDir ?? Directory.CreateTempSubdirectory("woven-cluster-").FullName;
    }

    public string WorkDir { get; }

    public IReadOnlyList<NodeProcess?> Nodes => _nodes;

    public IEnumerable<NodeProcess> Live => _nodes.Where(n => n is not null && !n.HasExited)!;

    /// <summary>The woven executable next to the running program (apphost, or woven.dll under dotnet).</summary>
    public static string FindWoven(string? baseDirectory = null)
    {
        var dir = baseDirectory ?? AppContext.BaseDirectory;
        var apphost = Path.Combine(dir, "woven");
        if (File.Exists(apphost)) return apphost;
        var dll = Path.Combine(dir, "woven.dll");
        if (File.Exists(dll)) return dll;
        throw new FileNotFoundException($"no woven executable in {dir}");
    }

    /// <summary>
    /// The woven a test runs: $WOVEN_BIN, else the Release (then Debug) build of src/Woven.Cli found above the running
    /// program's directory.
    /// </summary>
    public static string FindBuiltWoven()
    {
        var env = Environment.GetEnvironmentVariable("WOVEN_BIN");
        if (!string.IsNullOrEmpty(env) && File.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var config in new[] { "Release", "Debug" })
            {
                var candidate = Path.Combine(dir.FullName, "src", "Woven.Cli", "bin", config, "net10.0", "woven");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException("woven executable not found: build src/Woven.Cli or set WOVEN_BIN");
    }

    /// <summary>A UDP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreeUdpPort(IPAddress? address = null)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(address ?? IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public NodeProcess Start(IEnumerable<IPEndPoint> bootstraps, IPAddress? address = null)
    {
        int index = _nodes.Count;
        var listen = new IPEndPoint(address ?? IPAddress.Loopback, FreeUdpPort(address));
        var node = NodeProcess.Start(_woven, Path.Combine(WorkDir, $"n{index:D2}"), listen, bootstraps);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Statuses of the live nodes (nodes that do not answer are left out).</summary>
    public async Task<List<StatusDocument>> StatusesAsync(CancellationToken cancellationToken)
    {
        var tasks = Live.Select(async n =>
        {
            try
            {
                return await n.Control.GetStatusAsync(cancellationToken);
            }
            catch (HttpRequestException)
            {
                return null;
            }
        });
        var result = new List<StatusDocument>();
        foreach (var s in await Task.WhenAll(tasks))
        {
            if (s is not null) result.Add(s);
        }
        return result;
    }

    /// <summary>Nodes whose first successor or predecessor is not the true one among <paramref name="statuses"/>.</summary>
    public static List<string> RingErrors(IReadOnlyList<StatusDocument> statuses)
    {
        var sorted = statuses.OrderBy(s => s.Address, StringComparer.Ordinal).ToList();
        var errors = new List<string>();
        for (int i = 0; i < sorted.Count; i++)
        {
            var want = sorted[(i + 1) % sorted.Count].Address;
            var wantPred = sorted[(i - 1 + sorted.Count) % sorted.Count].Address;
            var s = sorted[i];
            var succ = s.Successors.Count > 0 ? s.Successors[0] : null;
            var pred = s.Predecessors.Count > 0 ? s.Predecessors[0] : null;
            if (sorted.Count > 1 && (succ != want || pred != wantPred))
                errors.Add($"{s.Address[..8]}: successor {succ?[..8] ?? "-"} (want {want[..8]}), predecessor {pred?[..8] ?? "-"} (want {wantPred[..8]})");
        }
        return errors;
    }

    /// <summary>Polls until the live nodes form a correct ring; returns the time it took, or null on timeout.</summary>
    public async Task<TimeSpan?> WaitForRingAsync(int expectedNodes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = DateTime.UtcNow;
        while (DateTime.UtcNow - start < timeout)
        {
            var statuses = await StatusesAsync(cancellationToken);
            if (statuses.Count == expectedNodes && RingErrors(statuses).Count == 0) return DateTime.UtcNow - start;
            await Task.Delay(250, cancellationToken);
        }
        return null;
    }

    public void Dispose()
    {
        foreach (var n in _nodes) n?.Dispose();
        if (_ownsWorkDir)
        {
            try
            {
                Directory.Delete(WorkDir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

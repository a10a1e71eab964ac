using System.Diagnostics;
using System.Net;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Overlay;
using Woven.Sim.Engine;
using Woven.Sim.Network;
using Woven.Wire;

namespace Woven.Sim.Scenarios;

/// <summary>
/// The standard ring simulation: a network forms by joins at a rate, settles, a further set of nodes joins one by one
/// and is timed until routable, then the ring is checked against the true order of addresses and random routes are
/// sampled; optionally a fraction of nodes then crashes at once and recovery is timed. Seeded and reproducible.
/// </summary>
public sealed partial class RingScenario
{
    public const int Port = 7000;

    private readonly RingScenarioOptions _options;
    private readonly SimLoop _loop = new();
    private readonly SimNetwork _network;
    private readonly Random _random;
    private readonly List<SimNode> _nodes = [];
    private readonly Dictionary<ulong, ProbeRecord> _probes = [];
    private readonly IProgress<string>? _progress;
    private readonly WireBuffers _buffers = new();
    private ulong _nextProbe = 1;
    private string _phase = "";

    public RingScenario(RingScenarioOptions options, IProgress<string>? progress = null)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _options = options;
        _progress = progress;
        _random = new Random(options.Seed);
        _network = new SimNetwork(_loop, options.Network, _random.Next());
    }

    public SimLoop Loop => _loop;

    public SimNetwork Network => _network;

    public IReadOnlyList<SimNode> Nodes => _nodes;

    private sealed class ProbeRecord(long sent, int destination, bool join)
    {
        public long Sent { get; } = sent;
        public int Destination { get; } = destination;
        public bool Join { get; } = join;
        public bool Delivered { get; set; }
        public int Hops { get; set; }
    }

    public RingReport Run()
    {
        var wall = Stopwatch.StartNew();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        int n = _options.Nodes;
        int joiners = _options.EffectiveJoiners;
        int initial = n - joiners;
        for (int i = 0; i < n; i++) _nodes.Add(CreateNode(i));

        // Formation: node 0 starts a ring, the others join at a rate through a random node already started.
        _phase = "formation";
        double rate = _options.EffectiveFormationRate;
        StartNode(_nodes[0], null);
        for (int i = 1; i < initial; i++)
        {
            int index = i;
            _loop.At((long)(i / rate * TimeSpan.TicksPerSecond), () => StartNode(_nodes[index], _nodes[_random.Next(index)]));
        }
        RunFor(TimeSpan.FromSeconds(initial / rate) + _options.Settle);
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        // Timed joins, each probed every 100 ms from established nodes until a probe reaches it.
        _phase = "joins";
        long joinPhase = _loop.Now;
        for (int j = 0; j < joiners; j++)
        {
            var node = _nodes[initial + j];
            _loop.At(joinPhase + (long)(j / _options.JoinRate * TimeSpan.TicksPerSecond), () =>
            {
                StartNode(node, _nodes[_random.Next(initial)]);
                ProbeJoiner(node, initial);
            });
        }
        RunFor(TimeSpan.FromSeconds(joiners / _options.JoinRate) + TimeSpan.FromSeconds(5));

        // Steady state: count maintenance traffic over a quiet window.
        _phase = "steady";
        long before = SumMaintenance();
        var window = _options.Settle;
        RunFor(window);
        long maintenance = SumMaintenance() - before;
        int alive = _nodes.Count(x => x.Alive);

        _phase = "routes";
        var (ringOk, wrong) = CheckRing();
        var routes = SampleRoutes(_options.RouteSamples, TimeSpan.FromSeconds(1));
        RunFor(TimeSpan.FromSeconds(15));
        var (success, hopsMean, hopsP99, hopsMax) = Summarize(routes);

        var joinTimes = _nodes.Skip(initial).Where(x => x.RoutableAt >= 0)
            .Select(x => (x.RoutableAt - x.JoinStart) / (double)TimeSpan.TicksPerSecond).Order().ToList();

        var report = new RingReport
        {
            Nodes = n,
            Seed = _options.Seed,
            RingCorrect = ringOk,
            RingWrongNodes = wrong,
            RouteSuccess = success,
            RouteSamples = routes.Count,
            HopsMean = Math.Round(hopsMean, 3),
            HopsP99 = hopsP99,
            HopsMax = hopsMax,
            Log2N = Math.Round(Math.Log2(n), 3),
            JoinToRoutableP50S = joinTimes.Count > 0 ? Math.Round(Percentile(joinTimes, 0.50), 3) : null,
            JoinToRoutableP90S = joinTimes.Count > 0 ? Math.Round(Percentile(joinTimes, 0.90), 3) : null,
            Joiners = joiners,
            JoinersRoutable = joinTimes.Count,
            MaintenanceMsgsPerNodeS = Math.Round(maintenance / (double)alive / window.TotalSeconds, 3),
            ConnectionsMean = Math.Round(_nodes.Where(x => x.Alive).Average(x => (double)x.Overlay.ConnectionCount), 2),
            SizeEstimateMedian = Math.Round(Percentile([.. _nodes.Where(x => x.Alive).Select(x => x.Overlay.EstimateNetworkSize()).Order()], 0.5)),
            BytesPerNode = (heapAfter - heapBefore) / n,
        };

        if (_options.FailFraction > 0) report = RunFailure(report);
        if (_options.ChurnMedian > TimeSpan.Zero || _options.DhtClients > 0) report = RunChurn(report);

        return report with
        {
            VirtualS = Math.Round(_loop.Elapsed.TotalSeconds, 1),
            Events = _loop.EventsRun,
            WallS = Math.Round(wall.Elapsed.TotalSeconds, 2),
            PeakMemMb = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
        };
    }

    private SimNode CreateNode(int index)
    {
        var identity = ClearLinkCrypto.SeededIdentity(_random, out var crypto);
        var endpoint = new IPEndPoint(SimNetwork.HostAddress(index), Port);
        var socket = _network.Bind(endpoint);
        var overlay = new OverlayNode(_options.Overlay, identity, socket, _loop, new Random(_random.Next()), buffers: _buffers, crypto: crypto);
        var node = new SimNode(index, overlay, endpoint);
        overlay.Delivered = (in Routed header, ReadOnlySpan<byte> payload, bool _) => OnDelivered(node, header, payload);
        if (_options.DhtClients > 0) AttachDht(node);
        return node;
    }

    private void StartNode(SimNode node, SimNode? bootstrap)
    {
        node.Started = true;
        node.JoinStart = _loop.Now;
        node.Overlay.Start(bootstrap is null ? [] : [bootstrap.Endpoint]);
    }

    private void OnDelivered(SimNode node, in Routed header, ReadOnlySpan<byte> payload)
    {
        if (header.PayloadType != RoutedPayloadType.Probe || !Probe.TryRead(payload, out var probe)) return;
        if (!_probes.TryGetValue(probe.Id, out var record) || record.Destination != node.Index || record.Delivered) return;
        record.Delivered = true;
        record.Hops = header.Hops + 1;
        if (record.Join && node.RoutableAt < 0) node.RoutableAt = record.Sent;
    }

    private ProbeRecord SendProbe(SimNode from, SimNode to, bool join)
    {
        var record = new ProbeRecord(_loop.Now, to.Index, join);
        ulong id = _nextProbe++;
        _probes[id] = record;
        Span<byte> payload = stackalloc byte[Probe.Size];
        new Probe(id, _loop.Now).TryWrite(payload);
        from.Overlay.Send(to.Overlay.Address, RoutingMode.Exact, RoutedPayloadType.Probe, payload);
        return record;
    }

    private void ProbeJoiner(SimNode joiner, int established)
    {
        void Next()
        {
            if (joiner.RoutableAt >= 0 || !joiner.Alive || _loop.Now - joiner.JoinStart > 30 * TimeSpan.TicksPerSecond) return;
            SimNode from;
            do from = _nodes[_random.Next(established)]; while (!from.Alive);
            SendProbe(from, joiner, join: true);
            _loop.After(TimeSpan.FromMilliseconds(100), Next);
        }
        _loop.After(TimeSpan.FromMilliseconds(100), Next);
    }

    /// <summary>Sends probes between random distinct live pairs, spread over <paramref name="spread"/>.</summary>
    private List<ProbeRecord> SampleRoutes(int count, TimeSpan spread)
    {
        var live = _nodes.Where(x => x.Alive).ToList();
        var records = new List<ProbeRecord>(count);
        if (live.Count < 2) return records;
        for (int i = 0; i < count; i++)
        {
            var a = live[_random.Next(live.Count)];
            SimNode b;
            do b = live[_random.Next(live.Count)]; while (ReferenceEquals(a, b));
            long at = _loop.Now + (long)(spread.Ticks * (i / (double)Math.Max(1, count)));
            _loop.At(at, () => records.Add(a.Alive ? SendProbe(a, b, join: false) : new ProbeRecord(_loop.Now, b.Index, false)));
        }
        return records;
    }

    private static (double Success, double HopsMean, int HopsP99, int HopsMax) Summarize(List<ProbeRecord> routes)
    {
        if (routes.Count == 0) return (0, 0, 0, 0);
        var delivered = routes.Where(r => r.Delivered).Select(r => r.Hops).Order().ToList();
        double success = delivered.Count / (double)routes.Count;
        if (delivered.Count == 0) return (success, 0, 0, 0);
        return (success, delivered.Average(), (int)Percentile([.. delivered.Select(h => (double)h)], 0.99), delivered[^1]);
    }

    private static double Percentile(List<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        int i = (int)Math.Ceiling(p * sorted.Count) - 1;
        return sorted[Math.Clamp(i, 0, sorted.Count - 1)];
    }

    private long SumMaintenance()
    {
        long sum = 0;
        foreach (var node in _nodes)
        {
            if (node.Started) sum += node.Overlay.Counters.MaintenanceSent;
        }
        return sum;
    }

    /// <summary>Every live node's successor and predecessor are the true ones among the live nodes.</summary>
    public (bool Correct, int WrongNodes) CheckRing()
    {
        var live = _nodes.Where(x => x.Alive).OrderBy(x => x.Overlay.Address).ToList();
        int wrong = 0;
        for (int i = 0; i < live.Count; i++)
        {
            var succ = live[(i + 1) % live.Count].Overlay.Address;
            var pred = live[(i - 1 + live.Count) % live.Count].Overlay.Address;
            var o = live[i].Overlay;
            if (live.Count == 1)
            {
                if (o.Successor is not null) wrong++;
                continue;
            }
            if (o.Successor != succ || o.Predecessor != pred) wrong++;
        }
        return (wrong == 0, wrong);
    }

    /// <summary>Up to <paramref name="max"/> lines describing nodes whose ring neighbours are wrong (for diagnostics).</summary>
    public IReadOnlyList<string> DescribeRingErrors(int max)
    {
        var live = _nodes.Where(x => x.Alive).OrderBy(x => x.Overlay.Address).ToList();
        var lines = new List<string>();
        for (int i = 0; i < live.Count && lines.Count < max; i++)
        {
            var succ = live[(i + 1) % live.Count];
            var pred = live[(i - 1 + live.Count) % live.Count];
            var s = live[i].Overlay.Snapshot();
            bool succOk = s.Successors.Count > 0 && s.Successors[0] == succ.Overlay.Address;
            bool predOk = s.Predecessors.Count > 0 && s.Predecessors[0] == pred.Overlay.Address;
            if (succOk && predOk) continue;
            bool linkedSucc = s.Peers.Any(p => p.Address == succ.Overlay.Address);
            bool linkedPred = s.Peers.Any(p => p.Address == pred.Overlay.Address);
            lines.Add($"node {live[i].Index} {s.Address.ToShortString()}: succ {(s.Successors.Count > 0 ? s.Successors[0].ToShortString() : "-")} want {succ.Overlay.Address.ToShortString()} (linked {linkedSucc}, started {(_loop.Now - succ.JoinStart) / 1e7:F0}s ago); " +
                $"pred {(s.Predecessors.Count > 0 ? s.Predecessors[0].ToShortString() : "-")} want {pred.Overlay.Address.ToShortString()} (linked {linkedPred}); peers {s.Peers.Count}");
        }
        return lines;
    }

    private void RunFor(TimeSpan duration)
    {
        long end = _loop.Now + duration.Ticks;
        while (_loop.Now < end)
        {
            _loop.RunUntil(Math.Min(end, _loop.Now + TimeSpan.TicksPerSecond));
            _progress?.Report($"{_phase,-10} t={_loop.Elapsed.TotalSeconds,7:F0}s  live={_nodes.Count(x => x.Alive),7}  events={_loop.EventsRun,12:N0}");
        }
    }
}

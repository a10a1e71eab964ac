using System.Text;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Dht;

namespace Woven.Sim.Scenarios;

public sealed partial class RingScenario
{
    private const int DhtKeyPool = 200;
    private static readonly TimeSpan DhtLease = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan DhtRenewEvery = TimeSpan.FromSeconds(40);

    private readonly List<Holding> _holdings = [];
    private readonly List<double> _getLatencies = [];
    private readonly HashSet<RingAddress> _twoOwnerKeys = [];
    private readonly HashSet<RingAddress> _partitionConflictKeys = [];
    private int _getsJudged, _getsOk, _creates, _createsOk, _createsConflict, _createsFailed, _puts, _putsOk;
    private int _renews, _renewsOk, _renewsLost, _removes;
    private long _partitionStart = -1, _partitionEnd = -1;
    private int _partitionItems, _partitionFound = -1, _partitionUnresolved = -1;
    private double? _partitionHealedS;

    /// <summary>A record a client holds: it renews it every 40 s and believes it holds it until a renewal says it lost or the lease runs out.</summary>
    private sealed class Holding
    {
        public required SimNode Client { get; init; }
        public required DhtRecord Record { get; set; }
        public long ConfirmedAt { get; set; }
        public bool Lost { get; set; }
        public bool Released { get; set; }
        public long ReleaseAt { get; init; }
        public bool Held(ulong nowMs) => !Lost && !Released && Record.Expires > nowMs;
    }

    private void AttachDht(SimNode node)
    {
        // The first nodes are the clients; each has an owner key of its own (seeded, so runs repeat).
        bool client = node.Index < _options.DhtClients;
        NodeIdentity? owner = null;
        if (client)
        {
            var seed = new byte[32];
            new Random(_options.Seed * 7919 + node.Index).NextBytes(seed);
            owner = NodeIdentity.FromPrivateKey(seed);
        }
        node.IsClient = client;
        node.Dht = new DhtNode(node.Overlay, owner, _loop, new Random(_random.Next()), new DhtOptions { Replicas = _options.DhtReplicas });
    }

    private ulong NowMs => (ulong)_loop.GetUtcNow().ToUnixTimeMilliseconds();

    private bool SameSide(SimNode a, SimNode b) =>
        _partitionStart < 0 || _loop.Now < _partitionStart || _loop.Now >= _partitionEnd || Side(a) == Side(b);

    private static int Side(SimNode n) => n.Overlay.Address < RingAddress.Half ? 0 : 1;

    private void StartDhtWorkload(long end)
    {
        var clients = _nodes.Where(x => x.IsClient).ToList();
        long stopOps = end - 60 * TimeSpan.TicksPerSecond;
        foreach (var c in clients) ScheduleClientOp(c, stopOps);
        // Every 5 s: keys that two clients believe they hold at once (outside a partition and its healing).
        void CheckOwners()
        {
            if (_loop.Now >= end) return;
            ulong now = NowMs;
            var held = _holdings.Where(h => h.Record.Kind == DhtKind.Claim && h.Held(now)).GroupBy(h => h.Record.Key).Where(g => g.Select(h => h.Client).Distinct().Count() > 1);
            bool partitionWindow = _partitionStart >= 0 && _loop.Now >= _partitionStart && _loop.Now < _partitionEnd + 90 * TimeSpan.TicksPerSecond;
            foreach (var g in held) (partitionWindow ? _partitionConflictKeys : _twoOwnerKeys).Add(g.Key);
            _loop.After(TimeSpan.FromSeconds(5), CheckOwners);
        }
        _loop.After(TimeSpan.FromSeconds(5), CheckOwners);
        if (_options.DhtPartition > TimeSpan.Zero) SchedulePartition(end);
    }

    private void SchedulePartition(long end)
    {
        long duration = _options.DhtPartition.Ticks;
        _partitionStart = _loop.Now + (end - _loop.Now - duration) / 2;
        _partitionEnd = _partitionStart + duration;
        List<Holding> before = [];
        _loop.At(_partitionStart, () =>
        {
            ulong now = NowMs;
            before = _holdings.Where(h => h.Held(now) && _loop.Now - h.ConfirmedAt > 10 * TimeSpan.TicksPerSecond).ToList();
            _partitionItems = before.Count;
            _network.Blocked = (a, b) => SideOfHost(a) != SideOfHost(b);
        });
        _loop.At(_partitionEnd, () =>
        {
            _network.Blocked = null;
            // How long until the two rings are one again (every node's successor and predecessor right).
            void Poll()
            {
                if (CheckRing().Correct) _partitionHealedS = (_loop.Now - _partitionEnd) / (double)TimeSpan.TicksPerSecond;
                else if (_loop.Now - _partitionEnd < 600 * TimeSpan.TicksPerSecond) _loop.After(TimeSpan.FromSeconds(1), Poll);
            }
            Poll();
        });
        // 90 s after healing: every record written before the partition that its owner still holds is read back, and
        // no key is held by two owners any more.
        _loop.At(_partitionEnd + 90 * TimeSpan.TicksPerSecond, () =>
        {
            ulong now = NowMs;
            var still = before.Where(h => h.Held(now)).ToList();
            _partitionItems = still.Count;
            _partitionFound = 0;
            var reader = _nodes.First(x => x.IsClient);
            foreach (var h in still)
            {
                reader.Dht!.Get(h.Record.Key, r =>
                {
                    if (r.Ok && r.Records.Any(x => x.SameIdentity(h.Record))) _partitionFound++;
                });
            }
            _partitionUnresolved = _holdings.Where(h => h.Record.Kind == DhtKind.Claim && h.Held(now)).GroupBy(h => h.Record.Key)
                .Count(g => g.Select(h => h.Client).Distinct().Count() > 1);
        });
    }

    private int SideOfHost(int host) => host < _nodes.Count ? Side(_nodes[host]) : 0;

    private void ScheduleClientOp(SimNode client, long stopOps)
    {
        double wait = -Math.Log(1 - _random.NextDouble()) * _options.DhtOpInterval;
        _loop.After(TimeSpan.FromSeconds(wait), () =>
        {
            if (_loop.Now >= stopOps) return;
            double pick = _random.NextDouble();
            if (pick < 0.6) ClientGet(client);
            else if (pick < 0.8) ClientCreate(client);
            else ClientPut(client);
            ScheduleClientOp(client, stopOps);
        });
    }

    private void ClientGet(SimNode client)
    {
        ulong now = NowMs;
        long settled = _loop.Now - 2 * TimeSpan.TicksPerSecond;
        long releaseSoon = _loop.Now + 20 * TimeSpan.TicksPerSecond;
        var candidates = _holdings.Where(h => h.Held(now + 10_000) && h.ConfirmedAt <= settled && h.ReleaseAt > releaseSoon).ToList();
        if (candidates.Count == 0) return;
        // While the ring is split, records on the other side are out of reach by design: gets are judged outside it.
        if (_partitionStart >= 0 && _loop.Now >= _partitionStart - 10 * TimeSpan.TicksPerSecond && _loop.Now < _partitionEnd + 30 * TimeSpan.TicksPerSecond) return;
        var target = candidates[_random.Next(candidates.Count)];
        long start = _loop.Now;
        client.Dht!.Get(target.Record.Key, r =>
        {
            if (target.Lost) return; // a claim lost after a partition: not a fair question
            _getsJudged++;
            if (r.Ok && r.Records.Any(x => x.SameIdentity(target.Record)))
            {
                _getsOk++;
                _getLatencies.Add((_loop.Now - start) / (double)TimeSpan.TicksPerSecond);
            }
        });
    }

    private void ClientCreate(SimNode client)
    {
        var name = $"claim-{_random.Next(DhtKeyPool)}";
        var key = DhtRecord.KeyOf(name);
        ulong now = NowMs;
        if (_holdings.Any(h => h.Client == client && h.Record.Key == key && h.Held(now))) return;
        _creates++;
        client.Dht!.Create(key, Encoding.UTF8.GetBytes($"held by client {client.Index}"), DhtLease, r =>
        {
            if (r.Ok && r.Records.Count > 0)
            {
                _createsOk++;
                Hold(client, r.Records[0]);
            }
            else if (r.Status == DhtStatus.Conflict) _createsConflict++;
            else _createsFailed++;
        });
    }

    private void ClientPut(SimNode client)
    {
        var key = DhtRecord.KeyOf($"value-{_random.Next(DhtKeyPool)}");
        _puts++;
        client.Dht!.Put(key, Encoding.UTF8.GetBytes($"client {client.Index} value {_random.Next()}"), DhtLease, r =>
        {
            if (!r.Ok || r.Records.Count == 0) return;
            _putsOk++;
            Hold(client, r.Records[0]);
        });
    }

    private void Hold(SimNode client, DhtRecord record)
    {
        var holding = new Holding
        {
            Client = client,
            Record = record,
            ConfirmedAt = _loop.Now,
            ReleaseAt = _loop.Now + (long)(-Math.Log(1 - _random.NextDouble()) * 300 * TimeSpan.TicksPerSecond),
        };
        _holdings.Add(holding);
        void Renew()
        {
            if (holding.Lost || holding.Released) return;
            if (_loop.Now >= holding.ReleaseAt)
            {
                holding.Released = true;
                _removes++;
                client.Dht!.Remove(holding.Record, _ => { });
                return;
            }
            _renews++;
            client.Dht!.Renew(holding.Record, DhtLease, r =>
            {
                if (r.Ok)
                {
                    _renewsOk++;
                    var newest = r.Records.FirstOrDefault(x => x.SameIdentity(holding.Record));
                    if (newest is not null && newest.Version >= holding.Record.Version) holding.Record = newest;
                }
                else if (r.Status == DhtStatus.Conflict)
                {
                    _renewsLost++;
                    holding.Lost = true; // the loser learns it lost
                }
            });
            _loop.After(DhtRenewEvery, Renew);
        }
        _loop.After(DhtRenewEvery, Renew);
    }

    private RingReport FinishDhtWorkload(RingReport report)
    {
        var latencies = _getLatencies.Order().ToList();
        var alive = _nodes.Where(x => x.Alive && x.Dht is not null).ToList();
        return report with
        {
            DhtClients = _options.DhtClients,
            DhtReplicas = _options.DhtReplicas,
            DhtGetSuccess = _getsJudged == 0 ? null : Math.Round(_getsOk / (double)_getsJudged, 5),
            DhtGets = _getsJudged,
            DhtGetP50S = latencies.Count == 0 ? null : Math.Round(Percentile(latencies, 0.5), 3),
            DhtGetP99S = latencies.Count == 0 ? null : Math.Round(Percentile(latencies, 0.99), 3),
            DhtCreates = _creates,
            DhtCreatesOk = _createsOk,
            DhtCreatesConflict = _createsConflict,
            DhtCreatesFailed = _createsFailed,
            DhtPuts = _puts,
            DhtPutsOk = _putsOk,
            DhtRenews = _renews,
            DhtRenewsOk = _renewsOk,
            DhtRenewsLost = _renewsLost,
            DhtRemoves = _removes,
            DhtTwoOwnerKeys = _twoOwnerKeys.Count,
            DhtMsgsPerNodeS = Math.Round(_nodes.Where(x => x.Dht is not null).Sum(x => x.Dht!.Counters.MessagesSent) / (double)Math.Max(1, alive.Count) / _options.ChurnDuration.TotalSeconds, 3),
            DhtRecordsPerNode = alive.Count == 0 ? 0 : Math.Round(alive.Average(x => (double)x.Dht!.StoredCount), 2),
            DhtPartitionS = _options.DhtPartition > TimeSpan.Zero ? _options.DhtPartition.TotalSeconds : null,
            DhtPartitionRingHealedS = _partitionHealedS,
            DhtPartitionRecords = _partitionFound >= 0 ? _partitionItems : null,
            DhtPartitionRecordsFound = _partitionFound >= 0 ? _partitionFound : null,
            DhtPartitionConflictKeys = _partitionFound >= 0 ? _partitionConflictKeys.Count : null,
            DhtPartitionUnresolvedKeys = _partitionFound >= 0 ? _partitionUnresolved : null,
        };
    }
}

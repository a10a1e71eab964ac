using Woven.Addressing;
using Woven.Crypto;
using Woven.Overlay;
using Woven.Wire;

namespace Woven.Dht;

public sealed class DhtOptions
{
    /// <summary>Each record is kept on this many nodes nearest its key.</summary>
    public int Replicas { get; set; } = 5;

    /// <summary>How long a client waits for one attempt's reply before it tries again.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public int Attempts { get; set; } = 4;

    /// <summary>How long a coordinator waits for replicas before it answers with what it has.</summary>
    public TimeSpan ReplicaTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>How long a replica holds a prepared claim that no commit follows.</summary>
    public TimeSpan PrepareHold { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Every record is pushed to its replica set this often (anti-entropy), besides hand-offs on neighbour changes.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Replicas is < 1 or > 7) errors.Add("replicas: must be 1 to 7 (a coordinator knows 3 neighbours on each side)");
        if (Attempts is < 1 or > 10) errors.Add("attempts: must be 1 to 10");
        if (AttemptTimeout <= ReplicaTimeout) errors.Add("attempt timeout: must be longer than the replica timeout");
        return errors;
    }
}

/// <summary>The outcome of a DHT operation at the client.</summary>
public sealed record DhtResult(DhtStatus Status, IReadOnlyList<DhtRecord> Records, bool Truncated = false)
{
    public bool Ok => Status == DhtStatus.Ok;
}

/// <summary>Counters of one DHT node.</summary>
public sealed class DhtCounters
{
    public long Rejected { get; internal set; }
    public long BadSignatures { get; internal set; }
    public long Malformed { get; internal set; }
    public long Coordinated { get; internal set; }
    public long SyncsSent { get; internal set; }
    /// <summary>Every DHT message this node sent (requests, replica traffic, replies, syncs).</summary>
    public long MessagesSent { get; internal set; }
}

/// <summary>
/// The DHT on one node. Keys are ring positions; a record lives on the <see cref="DhtOptions.Replicas"/> nodes nearest
/// its key. A client routes each operation to the node nearest the key (the coordinator), which asks the replica set
/// it sees and answers once a majority has: a get merges what a majority holds (and repairs replicas that lacked the
/// newest version), a write needs a majority of acceptances, and a create is two-phase (prepare, then commit once a
/// majority prepared) so that of two concurrent creates at most one can win. Replicas verify every record's owner
/// signature. Records move to new replicas when the neighbourhood changes and are pushed to their replica set
/// periodically. All of it runs under the overlay node's lock (see <see cref="OverlayNode.Invoke"/>).
/// </summary>
public sealed class DhtNode
{
    private readonly OverlayNode _overlay;
    private readonly NodeIdentity? _owner;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly DhtOptions _options;
    private readonly Dictionary<RingAddress, List<Entry>> _store = [];
    private readonly Dictionary<ulong, ClientOp> _clientOps = [];
    private readonly Dictionary<ulong, CoordinatorOp> _coordinatorOps = [];
    private HashSet<RingAddress> _neighbours = [];
    private long _nextSync;
    private long _nextNeighbourCheck;
    private ulong _lastVersion;

    private sealed class Entry(DhtRecord record, long preparedUntil)
    {
        public DhtRecord Record { get; set; } = record;
        /// <summary>Non-zero while a claim is only prepared (timestamp after which it lapses).</summary>
        public long PreparedUntil { get; set; } = preparedUntil;
        public bool Prepared => PreparedUntil != 0;
        /// <summary>Anti-entropy rounds in a row in which this node was outside the record's replica set.</summary>
        public int Outside { get; set; }
    }

    private sealed class ClientOp
    {
        public required byte[] Message { get; init; }
        public required RingAddress Key { get; init; }
        public required Action<DhtResult> Done { get; init; }
        public int Attempts { get; set; }
        public long Deadline { get; set; }
    }

    private sealed class CoordinatorOp
    {
        public required DhtOp Op { get; init; }
        public required RingAddress Client { get; init; }
        public required ulong ClientRequest { get; init; }
        public required RingAddress Key { get; init; }
        public DhtRecord? Record { get; init; }
        public required List<RingAddress> Replicas { get; init; }
        public Dictionary<RingAddress, DhtMessage> Answers { get; } = [];
        public required long Deadline { get; init; }
        public int Majority => Replicas.Count / 2 + 1;
    }

    public DhtNode(OverlayNode overlay, NodeIdentity? owner, TimeProvider time, Random random, DhtOptions? options = null)
    {
        _options = options ?? new DhtOptions();
        var errors = _options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _overlay = overlay;
        _owner = owner is { HasPrivateKey: true } ? owner : null;
        _time = time;
        _random = random;
        _nextSync = time.GetTimestamp() + Ticks(_options.SyncInterval * (0.5 + random.NextDouble()));
        overlay.AttachService(RoutedPayloadType.Dht, OnMessage, OnTick);
    }

    public DhtCounters Counters { get; } = new();

    /// <summary>The owner key this node signs its users' records with (null: this node only serves as a replica and coordinator).</summary>
    public NodeIdentity? Owner => _owner;

    /// <summary>Records held here (committed, including removal markers), for status and tests.</summary>
    public int StoredCount => _overlay.Invoke(() => _store.Values.Sum(l => l.Count(e => !e.Prepared)));

    public IReadOnlyList<DhtRecord> StoredRecords() => _overlay.Invoke(() => _store.Values.SelectMany(l => l).Where(e => !e.Prepared).Select(e => e.Record).ToList());

    private ulong NowMs => (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>A version number for a new write by this node: its clock in ms, strictly increasing.</summary>
    private ulong NextVersion()
    {
        _lastVersion = Math.Max(NowMs, _lastVersion + 1);
        return _lastVersion;
    }

    // ---------------------------------------------------------------- client side

    public void Get(RingAddress key, Action<DhtResult> done) =>
        _overlay.Invoke(() => StartClient(DhtOp.Get, key, null, done));

    /// <summary>Adds a value under the key, owned by this node, for <paramref name="lease"/>.</summary>
    public void Put(RingAddress key, ReadOnlySpan<byte> value, TimeSpan lease, Action<DhtResult> done)
    {
        var bytes = value.ToArray();
        _overlay.Invoke(() =>
        {
            var record = Sign(key, DhtKind.Value, bytes, lease);
            StartClient(DhtOp.Store, key, record, done);
        });
    }

    /// <summary>Claims the key for this node: succeeds for exactly one writer while the claim's lease lasts.</summary>
    public void Create(RingAddress key, ReadOnlySpan<byte> value, TimeSpan lease, Action<DhtResult> done)
    {
        var bytes = value.ToArray();
        _overlay.Invoke(() =>
        {
            var record = Sign(key, DhtKind.Claim, bytes, lease);
            StartClient(DhtOp.Create, key, record, done);
        });
    }

    /// <summary>Extends the lease of a record this node owns. A claim lost to another owner answers Conflict.</summary>
    public void Renew(DhtRecord record, TimeSpan lease, Action<DhtResult> done) => _overlay.Invoke(() =>
    {
        var owner = RequireOwner(record);
        CheckLease(lease);
        var renewed = record.Renewed(owner, NextVersion(), NowMs + (ulong)lease.TotalMilliseconds);
        StartClient(DhtOp.Store, record.Key, renewed, done);
    });

    /// <summary>Removes a record this node owns (a signed removal replaces it on every replica).</summary>
    public void Remove(DhtRecord record, Action<DhtResult> done) => _overlay.Invoke(() =>
    {
        var owner = RequireOwner(record);
        StartClient(DhtOp.Store, record.Key, record.RemovedVersion(owner, NextVersion()), done);
    });

    private NodeIdentity RequireOwner(DhtRecord record)
    {
        var owner = _owner ?? throw new InvalidOperationException("this node has no private key to sign records with");
        if (!record.Owner.AsSpan().SequenceEqual(owner.PublicKey)) throw new ArgumentException("record: owned by another key; only its owner renews or removes it", nameof(record));
        return owner;
    }

    private static void CheckLease(TimeSpan lease)
    {
        if (lease < TimeSpan.FromSeconds(1) || lease > DhtRecord.MaxLease)
            throw new ArgumentException($"lease: {lease.TotalSeconds:F0} s is outside 1 s to {DhtRecord.MaxLease.TotalHours:F0} h", nameof(lease));
    }

    private DhtRecord Sign(RingAddress key, DhtKind kind, byte[] value, TimeSpan lease)
    {
        var owner = _owner ?? throw new InvalidOperationException("this node has no private key to sign records with");
        CheckLease(lease);
        ulong version = NextVersion();
        return DhtRecord.Create(owner, key, kind, value, version, version, version + (ulong)lease.TotalMilliseconds);
    }

    private void StartClient(DhtOp op, RingAddress key, DhtRecord? record, Action<DhtResult> done)
    {
        ulong id = NewId(_clientOps);
        var message = new DhtMessage { Op = op, RequestId = id, Key = key, Record = record }.Encode();
        var pending = new ClientOp { Message = message, Key = key, Done = done };
        _clientOps[id] = pending;
        SendAttempt(id, pending);
    }

    private void SendAttempt(ulong id, ClientOp op)
    {
        op.Attempts++;
        op.Deadline = _time.GetTimestamp() + Ticks(_options.AttemptTimeout);
        Counters.MessagesSent++;
        _overlay.Send(op.Key, RoutingMode.Nearest, RoutedPayloadType.Dht, op.Message);
    }

    private void OnReply(DhtMessage reply)
    {
        if (!_clientOps.TryGetValue(reply.RequestId, out var op)) return;
        if (reply.Status == DhtStatus.Unavailable)
        {
            if (op.Attempts < _options.Attempts) op.Deadline = Math.Min(op.Deadline, _time.GetTimestamp() + Ticks(TimeSpan.FromMilliseconds(300)));
            else Finish(reply.RequestId, op, new DhtResult(DhtStatus.Unavailable, []));
            return;
        }
        // The coordinator is any member: keep only records that carry their owner's valid signature for this key.
        ulong now = NowMs;
        var records = reply.Records.Where(r => r.Key == op.Key && r.Check(now) == DhtCheck.Valid).ToList();
        Finish(reply.RequestId, op, new DhtResult(reply.Status, records, reply.Truncated));
    }

    private void Finish(ulong id, ClientOp op, DhtResult result)
    {
        _clientOps.Remove(id);
        op.Done(result);
    }

    // ---------------------------------------------------------------- dispatch

    private void OnMessage(in Routed header, ReadOnlySpan<byte> payload, bool fromSource)
    {
        var message = DhtMessage.TryRead(payload);
        if (message is null)
        {
            Counters.Malformed++;
            return;
        }
        var from = header.Source;
        switch (message.Op)
        {
            case DhtOp.Get or DhtOp.Store or DhtOp.Create:
                Coordinate(from, message);
                break;
            case DhtOp.Reply:
                OnReply(message);
                break;
            case DhtOp.Answer:
                OnAnswer(from, message);
                break;
            case DhtOp.Sync:
                Accept(message.Record!, DhtOp.Sync);
                break;
            default:
                var answer = Serve(message);
                if (answer is not null) Send(from, answer);
                break;
        }
    }

    private void Send(RingAddress to, DhtMessage message)
    {
        Counters.MessagesSent++;
        _overlay.Send(to, RoutingMode.Exact, RoutedPayloadType.Dht, message.Encode());
    }

    // ---------------------------------------------------------------- coordinator

    private void Coordinate(RingAddress client, DhtMessage request)
    {
        Counters.Coordinated++;
        if (request.Record is { } record)
        {
            var check = record.Check(NowMs);
            if (check != DhtCheck.Valid || (request.Op == DhtOp.Create && (record.Kind != DhtKind.Claim || record.Removed)))
            {
                CountRejected(check);
                Send(client, DhtMessage.Reply(DhtOp.Reply, request.RequestId, DhtStatus.Invalid, []));
                return;
            }
        }
        var replicas = _overlay.NearestKnown(request.Key, _options.Replicas);
        ulong id = NewId(_coordinatorOps);
        var op = new CoordinatorOp
        {
            Op = request.Op,
            Client = client,
            ClientRequest = request.RequestId,
            Key = request.Key,
            Record = request.Record,
            Replicas = replicas,
            Deadline = _time.GetTimestamp() + Ticks(_options.ReplicaTimeout),
        };
        _coordinatorOps[id] = op;
        var replicaOp = request.Op switch { DhtOp.Get => DhtOp.Fetch, DhtOp.Create => DhtOp.Prepare, _ => DhtOp.Put };
        var ask = new DhtMessage { Op = replicaOp, RequestId = id, Key = request.Key, Record = request.Record };
        foreach (var replica in replicas)
        {
            if (replica == _overlay.Address)
            {
                var answer = Serve(ask);
                if (answer is not null) OnAnswer(replica, answer);
            }
            else
            {
                Send(replica, ask);
            }
            if (!_coordinatorOps.ContainsKey(id)) return; // decided already (a conflict answered by this node)
        }
    }

    private void OnAnswer(RingAddress from, DhtMessage answer)
    {
        if (!_coordinatorOps.TryGetValue(answer.RequestId, out var op) || !op.Replicas.Contains(from)) return;
        op.Answers[from] = answer;
        TryDecide(answer.RequestId, op, timedOut: false);
    }

    private void TryDecide(ulong id, CoordinatorOp op, bool timedOut)
    {
        int answered = op.Answers.Count;
        bool all = answered == op.Replicas.Count;
        switch (op.Op)
        {
            case DhtOp.Get:
                if (answered >= op.Majority) DecideGet(id, op);
                else if (timedOut || all) Reply(id, op, DhtStatus.Unavailable, []);
                break;
            default:
                var conflict = op.Answers.Values.FirstOrDefault(a => a.Status == DhtStatus.Conflict);
                if (conflict is not null)
                {
                    Reply(id, op, DhtStatus.Conflict, conflict.Records);
                    return;
                }
                var invalid = op.Answers.Values.FirstOrDefault(a => a.Status == DhtStatus.Invalid);
                int accepted = op.Answers.Values.Count(a => a.Status is DhtStatus.Ok or DhtStatus.Stale);
                if (accepted >= op.Majority)
                {
                    if (op.Op == DhtOp.Create)
                    {
                        var commit = new DhtMessage { Op = DhtOp.Commit, RequestId = id, Key = op.Key, Record = op.Record };
                        foreach (var replica in op.Replicas)
                        {
                            if (replica == _overlay.Address) Accept(op.Record!, DhtOp.Commit);
                            else Send(replica, commit);
                        }
                    }
                    var stale = op.Answers.Values.Where(a => a.Status == DhtStatus.Stale).SelectMany(a => a.Records).ToList();
                    Reply(id, op, DhtStatus.Ok, stale.Count > 0 ? stale : [op.Record!]);
                }
                else if (timedOut || all)
                {
                    Reply(id, op, invalid is not null ? DhtStatus.Invalid : DhtStatus.Unavailable, []);
                }
                break;
        }
    }

    private void DecideGet(ulong id, CoordinatorOp op)
    {
        ulong now = NowMs;
        var newest = new List<DhtRecord>();
        bool truncated = false;
        foreach (var answer in op.Answers.Values)
        {
            truncated |= answer.Truncated;
            foreach (var r in answer.Records) MergeNewest(newest, r);
        }
        // Read repair: a replica that answered without the newest version of a record gets it.
        foreach (var (replica, answer) in op.Answers)
        {
            foreach (var r in newest)
            {
                if (answer.Records.Any(a => a.SameIdentity(r) && a.Version >= r.Version)) continue;
                if (replica == _overlay.Address) Accept(r, DhtOp.Sync);
                else SendSync(replica, r);
            }
        }
        var live = newest.Where(r => r.IsLive(now)).ToList();
        Reply(id, op, DhtStatus.Ok, live, truncated);
    }

    private static void MergeNewest(List<DhtRecord> into, DhtRecord record)
    {
        for (int i = 0; i < into.Count; i++)
        {
            if (!into[i].SameIdentity(record)) continue;
            if (record.Version > into[i].Version) into[i] = record;
            return;
        }
        into.Add(record);
    }

    private void Reply(ulong id, CoordinatorOp op, DhtStatus status, IEnumerable<DhtRecord> records, bool truncated = false)
    {
        _coordinatorOps.Remove(id);
        var reply = DhtMessage.Reply(DhtOp.Reply, op.ClientRequest, status, records);
        if (truncated && !reply.Truncated) reply = new DhtMessage { Op = reply.Op, RequestId = reply.RequestId, Status = reply.Status, Records = reply.Records, Truncated = true };
        Send(op.Client, reply);
    }

    // ---------------------------------------------------------------- replica

    /// <summary>A replica's answer to Fetch, Put, Prepare or Commit (null: nothing to answer).</summary>
    private DhtMessage? Serve(DhtMessage ask)
    {
        switch (ask.Op)
        {
            case DhtOp.Fetch:
                var held = _store.TryGetValue(ask.Key, out var list) ? list.Where(e => !e.Prepared).Select(e => e.Record).ToList() : [];
                return DhtMessage.Reply(DhtOp.Answer, ask.RequestId, DhtStatus.Ok, held);
            case DhtOp.Put or DhtOp.Prepare:
                var (status, records) = Accept(ask.Record!, ask.Op);
                return DhtMessage.Reply(DhtOp.Answer, ask.RequestId, status, records);
            case DhtOp.Commit:
                Accept(ask.Record!, DhtOp.Commit);
                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// Whether this replica keeps <paramref name="record"/>. Put (a client's write) and Prepare (a create) yield to a
    /// live claim of another owner, so whoever holds a key keeps it; Sync (records moving between replicas, as after a
    /// partition heals) settles two claims by <see cref="DhtRecord.WinsOver"/> and drops the loser.
    /// </summary>
    private (DhtStatus Status, IReadOnlyList<DhtRecord> Records) Accept(DhtRecord record, DhtOp mode)
    {
        ulong now = NowMs;
        if (!_store.TryGetValue(record.Key, out var entries))
        {
            entries = [];
            _store[record.Key] = entries;
        }
        var same = entries.FirstOrDefault(e => e.Record.SameIdentity(record));
        if (same is not null && same.Record.Version > record.Version) return (DhtStatus.Stale, [same.Record]);
        if (same is not null && same.Record.Version == record.Version && same.Record.Signature.AsSpan().SequenceEqual(record.Signature))
        {
            if (mode == DhtOp.Commit || (same.Prepared && mode != DhtOp.Prepare)) same.PreparedUntil = 0;
            return (DhtStatus.Ok, []);
        }
        var check = record.Check(now);
        if (check != DhtCheck.Valid)
        {
            CountRejected(check);
            if (entries.Count == 0) _store.Remove(record.Key);
            return (DhtStatus.Invalid, []);
        }
        if (!record.Removed)
        {
            var rivals = entries.Where(e => !e.Record.SameOwner(record) && e.Record.IsLive(now) && Conflicts(e, record, mode, now)).ToList();
            if (rivals.Count > 0)
            {
                if (mode != DhtOp.Sync || rivals.Any(e => e.Prepared || !record.WinsOver(e.Record)))
                {
                    if (entries.Count == 0) _store.Remove(record.Key);
                    Counters.Rejected++;
                    var holder = rivals.FirstOrDefault(e => !e.Prepared)?.Record;
                    return mode == DhtOp.Sync || holder is null ? (DhtStatus.Unavailable, []) : (DhtStatus.Conflict, [holder]);
                }
                foreach (var loser in rivals) entries.Remove(loser);
            }
        }
        long preparedUntil = mode == DhtOp.Prepare && same is not { Prepared: false } ? _time.GetTimestamp() + Ticks(_options.PrepareHold) : 0;
        if (same is not null)
        {
            same.Record = record;
            if (!same.Prepared || mode != DhtOp.Prepare) same.PreparedUntil = preparedUntil;
        }
        else
        {
            entries.Add(new Entry(record, preparedUntil));
        }
        return (DhtStatus.Ok, []);
    }

    /// <summary>Whether an entry of another owner keeps <paramref name="incoming"/> out.</summary>
    private static bool Conflicts(Entry existing, DhtRecord incoming, DhtOp mode, ulong now)
    {
        if (existing.Record.Kind == DhtKind.Claim) return true; // a held (or prepared) claim keeps every other writer out
        // Values by others keep a new claim out; a claim that already holds the key is not undone by them.
        return incoming.Kind == DhtKind.Claim && mode == DhtOp.Prepare && !existing.Prepared;
    }

    private void CountRejected(DhtCheck check)
    {
        Counters.Rejected++;
        if (check == DhtCheck.BadSignature) Counters.BadSignatures++;
    }

    // ---------------------------------------------------------------- maintenance

    private void OnTick(long now)
    {
        foreach (var (id, op) in _clientOps.Where(p => now >= p.Value.Deadline).ToList())
        {
            if (op.Attempts < _options.Attempts) SendAttempt(id, op);
            else Finish(id, op, new DhtResult(DhtStatus.Timeout, []));
        }
        foreach (var (id, op) in _coordinatorOps.Where(p => now >= p.Value.Deadline).ToList()) TryDecide(id, op, timedOut: true);
        ExpireRecords(now);
        if (!_overlay.Joined) return;
        if (now >= _nextNeighbourCheck)
        {
            _nextNeighbourCheck = now + Ticks(TimeSpan.FromSeconds(1));
            HandOff();
        }
        if (now >= _nextSync)
        {
            _nextSync = now + Ticks(_options.SyncInterval * (0.75 + _random.NextDouble() / 2));
            AntiEntropy();
        }
    }

    private void ExpireRecords(long now)
    {
        if (_store.Count == 0) return;
        ulong ms = NowMs;
        List<RingAddress>? empty = null;
        foreach (var (key, entries) in _store)
        {
            entries.RemoveAll(e => e.Record.Expires <= ms || (e.Prepared && now >= e.PreparedUntil));
            if (entries.Count == 0) (empty ??= []).Add(key);
        }
        if (empty is not null) foreach (var k in empty) _store.Remove(k);
    }

    /// <summary>A node that became one of our neighbours gets the records whose replica set it is now in.</summary>
    private void HandOff()
    {
        var current = _overlay.NeighbourAddresses();
        var fresh = current.Where(a => !_neighbours.Contains(a)).ToList();
        _neighbours = current;
        if (fresh.Count == 0 || _store.Count == 0) return;
        foreach (var (key, entries) in _store)
        {
            var replicas = _overlay.NearestKnown(key, _options.Replicas);
            foreach (var node in fresh)
            {
                if (!replicas.Contains(node)) continue;
                foreach (var e in entries) if (!e.Prepared) SendSync(node, e.Record);
            }
        }
    }

    /// <summary>Every record goes to its whole replica set; a node outside a record's set for two rounds lets it go.</summary>
    private void AntiEntropy()
    {
        List<RingAddress>? empty = null;
        foreach (var (key, entries) in _store)
        {
            var replicas = _overlay.NearestKnown(key, _options.Replicas);
            bool inside = replicas.Contains(_overlay.Address);
            foreach (var e in entries)
            {
                if (e.Prepared) continue;
                foreach (var node in replicas) if (node != _overlay.Address) SendSync(node, e.Record);
                e.Outside = inside ? 0 : e.Outside + 1;
            }
            entries.RemoveAll(e => e.Outside >= 2);
            if (entries.Count == 0) (empty ??= []).Add(key);
        }
        if (empty is not null) foreach (var k in empty) _store.Remove(k);
    }

    private void SendSync(RingAddress to, DhtRecord record)
    {
        Counters.SyncsSent++;
        Send(to, new DhtMessage { Op = DhtOp.Sync, RequestId = 0, Key = record.Key, Record = record });
    }

    private ulong NewId<T>(Dictionary<ulong, T> taken)
    {
        ulong id;
        do id = (ulong)_random.NextInt64(1, long.MaxValue); while (taken.ContainsKey(id));
        return id;
    }
}

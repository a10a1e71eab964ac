using System.Text;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Dht;
using Woven.Sim.Scenarios;
using Woven.Wire;
using Xunit.Abstractions;

namespace Woven.Sim.Tests;

/// <summary>The DHT on simulated rings: the same code as a real node, in virtual time.</summary>
public class DhtTests(ITestOutputHelper output)
{
    private sealed class DhtRing
    {
        public DhtRing(int count, int seed)
        {
            // Each node signs with its own key, as a real node does.
            Overlay = new SmallOverlay(count, seed, withPrivateKeys: true);
            var random = new Random(seed + 1);
            for (int i = 0; i < count; i++) Dhts.Add(new DhtNode(Overlay.Nodes[i], Overlay.Keys[i], Overlay.Loop, new Random(random.Next())));
            Overlay.StartAll(TimeSpan.FromMilliseconds(100));
            Overlay.RunFor(TimeSpan.FromSeconds(40));
            Assert.Empty(SmallOverlay.RingErrors(Overlay.Nodes));
        }

        public SmallOverlay Overlay { get; }

        public List<DhtNode> Dhts { get; } = [];

        /// <summary>Runs the loop until the operation answers (at most 30 virtual seconds).</summary>
        public DhtResult Wait(Action<Action<DhtResult>> operation)
        {
            DhtResult? result = null;
            operation(r => result = r);
            for (int i = 0; i < 300 && result is null; i++) Overlay.RunFor(TimeSpan.FromMilliseconds(100));
            return result ?? throw new TimeoutException("no answer within 30 virtual seconds");
        }
    }

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    [Fact]
    public void A_value_put_by_one_node_is_read_by_another_and_kept_on_the_replica_set()
    {
        var ring = new DhtRing(30, seed: 11);
        var key = DhtRecord.KeyOf("service/printer");
        var put = ring.Wait(done => ring.Dhts[3].Put(key, "10.0.0.7:631"u8, Lease, done));
        Assert.Equal(DhtStatus.Ok, put.Status);
        var got = ring.Wait(done => ring.Dhts[17].Get(key, done));
        Assert.Equal(DhtStatus.Ok, got.Status);
        var record = Assert.Single(got.Records);
        Assert.Equal("10.0.0.7:631", Encoding.UTF8.GetString(record.Value));
        Assert.Equal(ring.Dhts[3].Owner!.PublicKey, record.Owner);
        // Kept by the 5 nodes nearest the key, not by the others.
        var nearest = ring.Overlay.Nodes.OrderBy(n => RingAddress.Distance(n.Address, key)).Take(5).Select(n => n.Address).ToHashSet();
        for (int i = 0; i < ring.Dhts.Count; i++)
        {
            bool holds = ring.Dhts[i].StoredRecords().Any(r => r.Key == key);
            if (nearest.Contains(ring.Overlay.Nodes[i].Address)) Assert.True(holds, $"replica {i} lacks the record");
        }
        Assert.True(ring.Dhts.Count(d => d.StoredRecords().Any(r => r.Key == key)) >= 5);
    }

    [Fact]
    public void Several_owners_put_values_under_one_key_and_a_get_returns_them_all()
    {
        var ring = new DhtRing(20, seed: 12);
        var key = DhtRecord.KeyOf("swarm/ubuntu.iso");
        for (int i = 0; i < 4; i++)
        {
            int n = i;
            Assert.True(ring.Wait(done => ring.Dhts[n * 3].Put(key, Encoding.UTF8.GetBytes($"peer {n}"), Lease, done)).Ok);
        }
        var got = ring.Wait(done => ring.Dhts[19].Get(key, done));
        Assert.Equal(["peer 0", "peer 1", "peer 2", "peer 3"], got.Records.Select(r => Encoding.UTF8.GetString(r.Value)).Order());
    }

    [Fact]
    public void Create_is_exclusive_and_the_loser_is_told_who_holds_the_key()
    {
        var ring = new DhtRing(30, seed: 13);
        var key = DhtRecord.KeyOf("dhcp/10.128.0.5");
        DhtResult? first = null, second = null;
        ring.Dhts[2].Create(key, "node a"u8, Lease, r => first = r);
        ring.Dhts[21].Create(key, "node b"u8, Lease, r => second = r);
        ring.Overlay.RunFor(TimeSpan.FromSeconds(30));
        Assert.NotNull(first);
        Assert.NotNull(second);
        var results = new[] { first!, second! };
        Assert.Equal(1, results.Count(r => r.Ok));
        var loser = results.Single(r => !r.Ok);
        Assert.Equal(DhtStatus.Conflict, loser.Status);
        var winner = results.Single(r => r.Ok).Records[0];
        Assert.Equal(winner.Owner, Assert.Single(loser.Records).Owner);

        // While the claim holds, nobody else creates or puts under the key; its owner renews it.
        Assert.Equal(DhtStatus.Conflict, ring.Wait(done => ring.Dhts[9].Create(key, "node c"u8, Lease, done)).Status);
        Assert.Equal(DhtStatus.Conflict, ring.Wait(done => ring.Dhts[9].Put(key, "sneaky"u8, Lease, done)).Status);
        var ownerNode = ring.Dhts.Single(d => d.Owner!.PublicKey.AsSpan().SequenceEqual(winner.Owner));
        Assert.True(ring.Wait(done => ownerNode.Renew(winner, Lease, done)).Ok);

        // Once its owner removes it, another node may claim the key.
        Assert.True(ring.Wait(done => ownerNode.Remove(winner, done)).Ok);
        Assert.Empty(ring.Wait(done => ring.Dhts[9].Get(key, done)).Records);
        Assert.True(ring.Wait(done => ring.Dhts[9].Create(key, "node c"u8, Lease, done)).Ok);
    }

    [Fact]
    public void Only_the_owner_renews_or_removes_and_a_forged_signature_is_rejected_by_every_replica()
    {
        var ring = new DhtRing(30, seed: 14);
        var key = DhtRecord.KeyOf("vm/alpha");
        var put = ring.Wait(done => ring.Dhts[5].Put(key, "10.0.0.9"u8, Lease, done));
        var record = put.Records[0];

        // The API refuses to sign for a record of another owner.
        var e = Assert.Throws<ArgumentException>(() => ring.Dhts[8].Remove(record, _ => { }));
        Assert.Contains("only its owner", e.Message);

        // A removal in the owner's name but signed with another key, injected raw into the ring, is refused.
        var forged = record.RemovedVersion(ring.Dhts[8].Owner!, version: record.Version + 10).Encode();
        record.Owner.CopyTo(forged.AsSpan(RingAddress.Size + 2)); // claim to be the owner
        var message = new DhtMessage { Op = DhtOp.Store, RequestId = 42, Key = key, Record = DhtRecord.Decode(forged) }.Encode();
        ring.Overlay.Nodes[8].Send(key, RoutingMode.Nearest, RoutedPayloadType.Dht, message);
        // A replica-level write of the forged record straight to every replica is refused as well.
        var direct = new DhtMessage { Op = DhtOp.Sync, RequestId = 0, Key = key, Record = DhtRecord.Decode(forged) }.Encode();
        foreach (var n in ring.Overlay.Nodes) ring.Overlay.Nodes[8].Send(n.Address, RoutingMode.Exact, RoutedPayloadType.Dht, direct);
        ring.Overlay.RunFor(TimeSpan.FromSeconds(10));

        Assert.True(ring.Dhts.Sum(d => d.Counters.BadSignatures) >= 5, "replicas did not count the forged signatures");
        var got = ring.Wait(done => ring.Dhts[20].Get(key, done));
        var kept = Assert.Single(got.Records);
        Assert.False(kept.Removed);
        Assert.Equal(record.Version, kept.Version);
    }

    [Fact]
    public void A_record_ends_with_its_lease_and_a_bad_write_names_the_problem()
    {
        var ring = new DhtRing(20, seed: 15);
        var key = DhtRecord.KeyOf("short");
        Assert.True(ring.Wait(done => ring.Dhts[1].Put(key, "x"u8, TimeSpan.FromSeconds(3), done)).Ok);
        Assert.Single(ring.Wait(done => ring.Dhts[2].Get(key, done)).Records);
        ring.Overlay.RunFor(TimeSpan.FromSeconds(5));
        Assert.Empty(ring.Wait(done => ring.Dhts[2].Get(key, done)).Records);
        Assert.DoesNotContain(ring.Dhts, d => d.StoredRecords().Any(r => r.Key == key));

        var big = Assert.Throws<ArgumentException>(() => ring.Dhts[1].Put(key, new byte[DhtRecord.MaxValue + 1], Lease, _ => { }));
        Assert.Contains("over the limit of 768 bytes", big.Message);
        var lease = Assert.Throws<ArgumentException>(() => ring.Dhts[1].Put(key, "x"u8, TimeSpan.FromDays(2), _ => { }));
        Assert.Contains("lease", lease.Message);
    }

    [Fact]
    public void Records_survive_the_crash_of_their_replicas_one_after_another()
    {
        var ring = new DhtRing(40, seed: 16);
        var keys = Enumerable.Range(0, 20).Select(i => DhtRecord.KeyOf($"k{i}")).ToList();
        foreach (var k in keys) Assert.True(ring.Wait(done => ring.Dhts[0].Put(k, "v"u8, Lease, done)).Ok);
        // Crash the node nearest each key in turn, 20 s apart, so that hand-off and anti-entropy must keep up.
        var crashed = new HashSet<int> { 0 };
        foreach (var k in keys.Take(8))
        {
            int victim = Enumerable.Range(0, 40).Where(i => !crashed.Contains(i)).OrderBy(i => RingAddress.Distance(ring.Overlay.Nodes[i].Address, k)).First();
            crashed.Add(victim);
            ring.Overlay.Nodes[victim].Dispose();
            ring.Overlay.RunFor(TimeSpan.FromSeconds(20));
        }
        int reader = Enumerable.Range(0, 40).First(i => !crashed.Contains(i));
        foreach (var k in keys)
        {
            var got = ring.Wait(done => ring.Dhts[reader].Get(k, done));
            Assert.True(got.Ok && got.Records.Count == 1, $"key {k.ToShortString()}: {got.Status}, {got.Records.Count} records");
        }
    }

    [Fact]
    public void Under_churn_gets_succeed_and_no_key_ever_has_two_live_owners()
    {
        var options = new RingScenarioOptions
        {
            Nodes = 150, Seed = 5, RouteSamples = 100, Joiners = 0,
            ChurnMedian = TimeSpan.FromSeconds(120), ChurnDuration = TimeSpan.FromSeconds(420), DhtClients = 10,
        };
        var report = new RingScenario(options).Run();
        output.WriteLine(report.ToJson());
        Assert.True(report.DhtGets > 200, $"only {report.DhtGets} gets judged");
        Assert.True(report.DhtGetSuccess >= 0.99, $"get success {report.DhtGetSuccess}");
        Assert.Equal(0, report.DhtTwoOwnerKeys);
        Assert.True(report.DhtCreatesOk > 20 && report.DhtCreatesConflict > 0, "the workload did not contend for keys");
    }

    [Fact]
    public void After_a_partition_heals_the_rings_merge_no_record_is_lost_and_double_claims_are_settled()
    {
        var options = new RingScenarioOptions
        {
            Nodes = 120, Seed = 8, RouteSamples = 100, Joiners = 0,
            ChurnDuration = TimeSpan.FromSeconds(700), DhtClients = 10, DhtPartition = TimeSpan.FromSeconds(300), DhtOpInterval = 3,
        };
        var report = new RingScenario(options).Run();
        output.WriteLine(report.ToJson());
        Assert.NotNull(report.DhtPartitionRingHealedS);
        Assert.True(report.DhtPartitionRecords > 10, $"only {report.DhtPartitionRecords} records spanned the partition");
        Assert.Equal(report.DhtPartitionRecords, report.DhtPartitionRecordsFound);
        Assert.True(report.DhtPartitionConflictKeys > 0, "no key was claimed on both sides: the test did not exercise conflicts");
        Assert.Equal(0, report.DhtPartitionUnresolvedKeys);
        Assert.True(report.DhtRenewsLost > 0, "no loser learned that it lost");
        Assert.Equal(0, report.DhtTwoOwnerKeys);
    }
}

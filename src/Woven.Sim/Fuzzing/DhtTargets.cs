using Woven.Crypto;
using Woven.Dht;

namespace Woven.Sim.Fuzzing;

/// <summary>
/// The DHT (src/Woven.Core/Dht): the message decoder every node runs on routed DHT payloads, and the record decoder and
/// check that every replica runs. Accepted input must re-encode to the same bytes (one encoding per message), and a
/// record whose bytes were mutated must never pass its signature check.
/// </summary>
internal static class DhtTargets
{
    public const int MaxInput = 2400;

    public static IEnumerable<FuzzTarget> Create(Random rng)
    {
        var seedKey = new byte[32];
        rng.NextBytes(seedKey);
        var owner = NodeIdentity.FromPrivateKey(seedKey);
        const ulong now = 1_800_000_000_000;
        var records = new List<DhtRecord>
        {
            DhtRecord.Create(owner, DhtRecord.KeyOf("service/printer"), DhtKind.Value, "10.0.0.7:631"u8, now, now, now + 60_000),
            DhtRecord.Create(owner, DhtRecord.KeyOf("dhcp/10.128.0.5"), DhtKind.Claim, "vm"u8, now, now, now + 60_000),
        };
        records.Add(records[0].RemovedVersion(owner, now + 1));
        var valid = records.Select(r => r.Encode()).ToList();
        var messages = new List<byte[]>
        {
            new DhtMessage { Op = DhtOp.Get, RequestId = 1, Key = records[0].Key }.Encode(),
            new DhtMessage { Op = DhtOp.Fetch, RequestId = 2, Key = records[1].Key }.Encode(),
            DhtMessage.Reply(DhtOp.Reply, 3, DhtStatus.Ok, records).Encode(),
            DhtMessage.Reply(DhtOp.Answer, 4, DhtStatus.Conflict, [records[1]]).Encode(),
        };
        foreach (var op in new[] { DhtOp.Store, DhtOp.Create, DhtOp.Put, DhtOp.Prepare, DhtOp.Commit, DhtOp.Sync })
            messages.Add(new DhtMessage { Op = op, RequestId = (ulong)rng.NextInt64(), Record = records[rng.Next(records.Count)] }.Encode());

        yield return new DecoderTarget("dht.message", "dht", "DhtMessage.TryRead on every operation; accepted input re-encodes to itself", messages,
            input =>
            {
                var message = DhtMessage.TryRead(input);
                if (message is null) return false;
                if (!message.Encode().AsSpan().SequenceEqual(input))
                    throw new FuzzViolationException($"accepted {message.Op} does not re-encode to its input");
                return true;
            }, MaxInput);

        yield return new DecoderTarget("dht.record", "dht", "DhtRecord.Decode and Check (signature, tag, lease); a mutated record never verifies", valid,
            input =>
            {
                var record = DhtRecord.Decode(input);
                if (record is null) return false;
                if (!record.Encode().AsSpan().SequenceEqual(input)) throw new FuzzViolationException("accepted record does not re-encode to its input");
                bool original = valid.Any(v => v.AsSpan().SequenceEqual(input));
                if (record.Check(now) == DhtCheck.Valid && !original)
                    throw new FuzzViolationException($"a mutated record passed its check: {Convert.ToHexStringLower(input)}");
                return true;
            }, MaxInput);
    }
}

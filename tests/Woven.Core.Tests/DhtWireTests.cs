using Woven.Addressing;
using Woven.Crypto;
using Woven.Dht;

namespace Woven.Core.Tests;

public class DhtWireTests
{
    private static readonly NodeIdentity Alice = NodeIdentity.FromPrivateKey(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly NodeIdentity Bob = NodeIdentity.FromPrivateKey(Enumerable.Range(40, 32).Select(i => (byte)i).ToArray());
    private const ulong Now = 1_800_000_000_000;

    private static DhtRecord Sample(DhtKind kind = DhtKind.Value, string value = "10.0.0.7") =>
        DhtRecord.Create(Alice, DhtRecord.KeyOf("service/printer"), kind, System.Text.Encoding.UTF8.GetBytes(value), Now, Now, Now + 60_000);

    [Fact]
    public void A_signed_record_round_trips_and_verifies()
    {
        var record = Sample();
        var decoded = DhtRecord.Decode(record.Encode())!;
        Assert.Equal(DhtCheck.Valid, decoded.Check(Now + 1));
        Assert.True(decoded.SameIdentity(record));
        Assert.Equal(record.Value, decoded.Value);
        Assert.Equal(DhtRecord.FixedSize + 8, record.EncodedSize);
        Assert.Equal(DhtCheck.Valid, Sample(DhtKind.Claim).Check(Now));
    }

    [Fact]
    public void Keys_are_hashed_names_and_differ_per_name()
    {
        Assert.Equal(DhtRecord.KeyOf("a"), DhtRecord.KeyOf("a"));
        Assert.NotEqual(DhtRecord.KeyOf("a"), DhtRecord.KeyOf("b"));
        Assert.NotEqual(RingAddress.Zero, DhtRecord.KeyOf(""));
    }

    [Fact]
    public void Every_tampered_byte_of_a_record_is_detected()
    {
        var bytes = Sample().Encode();
        for (int i = 0; i < bytes.Length; i++)
        {
            var copy = (byte[])bytes.Clone();
            copy[i] ^= 0x01;
            var decoded = DhtRecord.Decode(copy);
            if (decoded is null) continue; // the codec already refuses it (a bad kind, flag or length)
            Assert.NotEqual(DhtCheck.Valid, decoded.Check(Now));
        }
    }

    [Fact]
    public void A_record_signed_by_another_key_in_the_owners_name_is_refused()
    {
        var bytes = DhtRecord.Create(Bob, DhtRecord.KeyOf("k"), DhtKind.Value, "v"u8, Now, Now, Now + 1000).Encode();
        Alice.PublicKey.CopyTo(bytes.AsSpan(RingAddress.Size + 2));
        Assert.Equal(DhtCheck.BadSignature, DhtRecord.Decode(bytes)!.Check(Now));
    }

    [Fact]
    public void Expired_overlong_and_inconsistent_records_are_refused()
    {
        Assert.Equal(DhtCheck.Expired, Sample().Check(Now + 60_000));
        var forever = DhtRecord.Create(Alice, DhtRecord.KeyOf("k"), DhtKind.Value, "v"u8, Now, Now, Now + (ulong)TimeSpan.FromDays(3).TotalMilliseconds);
        Assert.Equal(DhtCheck.LeaseTooLong, forever.Check(Now));
        var wrongTag = DhtRecord.Create(Alice, DhtRecord.KeyOf("k"), DhtKind.Value, "v"u8, Now, Now, Now + 1000, tag: 7);
        Assert.Equal(DhtCheck.Malformed, wrongTag.Check(Now));
    }

    [Fact]
    public void Bad_writes_name_the_field()
    {
        var e = Assert.Throws<ArgumentException>(() => DhtRecord.Create(Alice, DhtRecord.KeyOf("k"), DhtKind.Value, new byte[769], Now, Now, Now + 1));
        Assert.Contains("value: 769 bytes is over the limit of 768 bytes", e.Message);
        Assert.Throws<ArgumentException>(() => DhtRecord.Create(Alice, DhtRecord.KeyOf("k"), DhtKind.Value, "v"u8, Now, Now, Now));
        Assert.Throws<ArgumentException>(() => DhtRecord.Create(Alice, DhtRecord.KeyOf("k"), DhtKind.Value, "v"u8, Now, Now, Now + 1, removed: true));
    }

    [Fact]
    public void Removal_and_renewal_keep_the_identity_and_raise_the_version()
    {
        var record = Sample();
        var renewed = record.Renewed(Alice, Now + 5, Now + 120_000);
        var removed = record.RemovedVersion(Alice, Now + 6);
        Assert.True(renewed.SameIdentity(record) && removed.SameIdentity(record));
        Assert.True(removed.Removed && removed.Value.Length == 0 && removed.Expires >= record.Expires);
        Assert.Equal(DhtCheck.Valid, removed.Check(Now + 7));
        Assert.False(removed.IsLive(Now + 7));
    }

    [Fact]
    public void The_earlier_claim_wins_and_ties_go_to_the_lower_owner_key()
    {
        var key = DhtRecord.KeyOf("lease");
        var early = DhtRecord.Create(Bob, key, DhtKind.Claim, [], Now, Now, Now + 1000);
        var late = DhtRecord.Create(Alice, key, DhtKind.Claim, [], Now + 1, Now + 1, Now + 1000);
        Assert.True(early.WinsOver(late));
        Assert.False(late.WinsOver(early));
        var a = DhtRecord.Create(Alice, key, DhtKind.Claim, [], Now, Now, Now + 1000);
        bool aLower = Alice.PublicKey.AsSpan().SequenceCompareTo(Bob.PublicKey) < 0;
        Assert.Equal(aLower, a.WinsOver(early));
    }

    [Fact]
    public void Every_message_round_trips()
    {
        var r = Sample();
        var messages = new[]
        {
            new DhtMessage { Op = DhtOp.Get, RequestId = 1, Key = r.Key },
            new DhtMessage { Op = DhtOp.Fetch, RequestId = 2, Key = r.Key },
            new DhtMessage { Op = DhtOp.Store, RequestId = 3, Record = r },
            new DhtMessage { Op = DhtOp.Create, RequestId = 4, Record = Sample(DhtKind.Claim) },
            new DhtMessage { Op = DhtOp.Put, RequestId = 5, Record = r },
            new DhtMessage { Op = DhtOp.Prepare, RequestId = 6, Record = r },
            new DhtMessage { Op = DhtOp.Commit, RequestId = 7, Record = r },
            new DhtMessage { Op = DhtOp.Sync, RequestId = 8, Record = r },
            DhtMessage.Reply(DhtOp.Reply, 9, DhtStatus.Conflict, [r, r]),
            DhtMessage.Reply(DhtOp.Answer, 10, DhtStatus.Ok, []),
        };
        foreach (var m in messages)
        {
            var bytes = m.Encode();
            var back = DhtMessage.TryRead(bytes)!;
            Assert.Equal(m.Op, back.Op);
            Assert.Equal(m.RequestId, back.RequestId);
            Assert.Equal(m.Status, back.Status);
            Assert.Equal(m.Records.Count, back.Records.Count);
            Assert.Equal(bytes, back.Encode());
        }
    }

    [Fact]
    public void Replies_stop_at_the_size_budget_and_say_so()
    {
        var big = DhtRecord.Create(Alice, DhtRecord.KeyOf("k"), DhtKind.Value, new byte[700], Now, Now, Now + 1000);
        var reply = DhtMessage.Reply(DhtOp.Reply, 1, DhtStatus.Ok, [big, big, big]);
        Assert.Single(reply.Records);
        Assert.True(reply.Truncated);
        Assert.True(reply.Encode().Length < Woven.Wire.Routed.MaxPayload - 200);
        Assert.True(DhtMessage.TryRead(reply.Encode())!.Truncated);
    }

    [Fact]
    public void Malformed_messages_are_refused_not_thrown()
    {
        var good = new DhtMessage { Op = DhtOp.Store, RequestId = 3, Record = Sample() }.Encode();
        Assert.Null(DhtMessage.TryRead([]));
        Assert.Null(DhtMessage.TryRead([0, 0, 0, 0, 0, 0, 0, 0, 1]));
        Assert.Null(DhtMessage.TryRead([11, 0, 0, 0, 0, 0, 0, 0, 1]));
        Assert.Null(DhtMessage.TryRead(good.AsSpan(0, good.Length - 1)));
        Assert.Null(DhtMessage.TryRead([.. good, 0]));
        var reply = DhtMessage.Reply(DhtOp.Reply, 9, DhtStatus.Ok, [Sample()]).Encode();
        var badStatus = (byte[])reply.Clone();
        badStatus[9] = 5; // Timeout is never on the wire
        Assert.Null(DhtMessage.TryRead(badStatus));
        var badCount = (byte[])reply.Clone();
        badCount[11] = 2;
        Assert.Null(DhtMessage.TryRead(badCount));
        var random = new Random(3);
        for (int i = 0; i < 20_000; i++)
        {
            var junk = new byte[random.Next(0, 400)];
            random.NextBytes(junk);
            if (junk.Length > 0) junk[0] = (byte)random.Next(1, 11);
            _ = DhtMessage.TryRead(junk); // must not throw
        }
    }
}

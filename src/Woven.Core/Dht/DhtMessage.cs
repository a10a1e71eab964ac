using Woven.Addressing;
using Woven.Wire;

namespace Woven.Dht;

/// <summary>The DHT's messages, carried as the payload of routed messages of type <see cref="RoutedPayloadType.Dht"/>.</summary>
public enum DhtOp : byte
{
    /// <summary>Client to the node nearest the key: read every record under the key.</summary>
    Get = 1,
    /// <summary>Client to the node nearest the key: write (put, renew or remove) one record version.</summary>
    Store = 2,
    /// <summary>Client to the node nearest the key: claim the key exclusively.</summary>
    Create = 3,
    /// <summary>Coordinator to client: the outcome, with records.</summary>
    Reply = 4,
    /// <summary>Coordinator to a replica: send what you hold under the key.</summary>
    Fetch = 5,
    /// <summary>Coordinator to a replica: keep this version (put, renew, remove).</summary>
    Put = 6,
    /// <summary>Coordinator to a replica: hold this claim tentatively if nobody else holds the key.</summary>
    Prepare = 7,
    /// <summary>Coordinator to a replica: a majority prepared this claim; it now holds the key.</summary>
    Commit = 8,
    /// <summary>Replica to coordinator: the outcome of Fetch, Put or Prepare, with records.</summary>
    Answer = 9,
    /// <summary>Replica to replica (hand-off, anti-entropy, read repair): keep this record; no answer.</summary>
    Sync = 10,
}

public enum DhtStatus : byte
{
    Ok = 0,
    /// <summary>Another owner holds the key; the holder's record comes with it.</summary>
    Conflict = 1,
    /// <summary>Too few replicas answered; try again.</summary>
    Unavailable = 2,
    /// <summary>The record was refused: bad signature, malformed, expired or a lease over the limit.</summary>
    Invalid = 3,
    /// <summary>A newer version of the record is held (it comes with the answer).</summary>
    Stale = 4,
    /// <summary>No answer within the client's attempts (never on the wire).</summary>
    Timeout = 5,
}

/// <summary>
/// Wire: op (1), request id (8), then for Get/Fetch the key (20); for Store/Create/Put/Prepare/Commit/Sync one record;
/// for Reply/Answer status (1), flags (1: 0x01 more records than fit), count (1) and that many records.
/// </summary>
public sealed class DhtMessage
{
    /// <summary>Replies carry records up to this many bytes, so that a reply fits a sealed, relayed datagram.</summary>
    public const int MaxRecordsBytes = 1100;

    public required DhtOp Op { get; init; }
    public required ulong RequestId { get; init; }
    public RingAddress Key { get; init; }
    public DhtRecord? Record { get; init; }
    public DhtStatus Status { get; init; }
    public bool Truncated { get; init; }
    public IReadOnlyList<DhtRecord> Records { get; init; } = [];

    public static DhtMessage Reply(DhtOp op, ulong id, DhtStatus status, IEnumerable<DhtRecord> records)
    {
        var list = new List<DhtRecord>();
        int bytes = 0;
        bool truncated = false;
        foreach (var r in records)
        {
            if (bytes + r.EncodedSize > MaxRecordsBytes || list.Count == 255)
            {
                truncated = true;
                break;
            }
            list.Add(r);
            bytes += r.EncodedSize;
        }
        return new DhtMessage { Op = op, RequestId = id, Status = status, Records = list, Truncated = truncated };
    }

    public byte[] Encode()
    {
        var buffer = new byte[16 + DhtRecord.MaxSize + MaxRecordsBytes];
        var w = new SpanWriter(buffer);
        w.U8((byte)Op);
        w.U64(RequestId);
        switch (Op)
        {
            case DhtOp.Get or DhtOp.Fetch:
                w.Address(Key);
                break;
            case DhtOp.Reply or DhtOp.Answer:
                w.U8((byte)Status);
                w.U8(Truncated ? (byte)1 : (byte)0);
                w.U8((byte)Records.Count);
                foreach (var r in Records) r.TryWrite(ref w);
                break;
            default:
                (Record ?? throw new InvalidOperationException($"{Op} needs a record")).TryWrite(ref w);
                break;
        }
        if (!w.Ok) throw new InvalidOperationException("DHT message larger than its buffer");
        return buffer.AsSpan(0, w.Position).ToArray();
    }

    /// <summary>Strict decoding: null for an unknown op, a bad status, a short or overlong message.</summary>
    public static DhtMessage? TryRead(ReadOnlySpan<byte> payload)
    {
        var r = new SpanReader(payload);
        byte op = r.U8();
        ulong id = r.U64();
        if (!r.Ok || op is 0 or > (byte)DhtOp.Sync) return null;
        DhtMessage? message;
        switch ((DhtOp)op)
        {
            case DhtOp.Get or DhtOp.Fetch:
                var key = r.Address();
                message = new DhtMessage { Op = (DhtOp)op, RequestId = id, Key = key };
                break;
            case DhtOp.Reply or DhtOp.Answer:
                byte status = r.U8();
                byte flags = r.U8();
                int count = r.U8();
                if (!r.Ok || status >= (byte)DhtStatus.Timeout || flags > 1) return null;
                var records = new List<DhtRecord>(count);
                for (int i = 0; i < count; i++)
                {
                    var rec = DhtRecord.TryRead(ref r);
                    if (rec is null) return null;
                    records.Add(rec);
                }
                message = new DhtMessage { Op = (DhtOp)op, RequestId = id, Status = (DhtStatus)status, Truncated = flags == 1, Records = records };
                break;
            default:
                var record = DhtRecord.TryRead(ref r);
                if (record is null) return null;
                message = new DhtMessage { Op = (DhtOp)op, RequestId = id, Key = record.Key, Record = record };
                break;
        }
        return r.Ok && r.AtEnd ? message : null;
    }
}

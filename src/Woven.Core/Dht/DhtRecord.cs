using System.Security.Cryptography;
using System.Text;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Security;
using Woven.Wire;

namespace Woven.Dht;

/// <summary>What a record is: one of many values under a key, or the exclusive claim on a key.</summary>
public enum DhtKind : byte
{
    /// <summary>Written by <c>put</c>: a key holds any number of values, each owned by whoever wrote it.</summary>
    Value = 1,
    /// <summary>Written by <c>create</c>: exactly one owner holds the key while its lease lasts.</summary>
    Claim = 2,
}

/// <summary>
/// One record of the DHT, signed by its owner (an Ed25519 key). Its identity is (key, owner, tag): the tag is the first
/// 8 bytes of SHA-256 of the value for a <see cref="DhtKind.Value"/> and 0 for a <see cref="DhtKind.Claim"/>, so an
/// owner may hold several values under one key and replace or remove each. A newer version replaces an older one of
/// the same identity; a removal is a signed version with <see cref="Removed"/> set and an empty value, kept until the
/// removed record's lease would have ended so that no old copy comes back. Every record ends at <see cref="Expires"/>.
/// Wire: key (20), kind (1), flags (1), owner (32), tag (8), version (8), created (8), expires (8), value length (2),
/// value, signature (64) over "woven-dht-record-v1" and everything before it. Times are Unix milliseconds.
/// </summary>
public sealed class DhtRecord
{
    public const int MaxValue = 768;
    public const int FixedSize = RingAddress.Size + 1 + 1 + 32 + 8 + 8 + 8 + 8 + 2 + 64;
    public const int MaxSize = FixedSize + MaxValue;

    /// <summary>The longest lease a replica accepts.</summary>
    public static readonly TimeSpan MaxLease = TimeSpan.FromHours(24);

    /// <summary>How far a fresh claim's creation time may be from a replica's clock (a claim may not be backdated to win conflicts).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(60);

    private static readonly byte[] SignaturePrefix = Encoding.ASCII.GetBytes("woven-dht-record-v1");
    private const byte FlagRemoved = 0x01;

    private DhtRecord(RingAddress key, DhtKind kind, bool removed, byte[] owner, ulong tag, ulong version, ulong created, ulong expires, byte[] value, byte[] signature)
    {
        Key = key;
        Kind = kind;
        Removed = removed;
        Owner = owner;
        Tag = tag;
        Version = version;
        Created = created;
        Expires = expires;
        Value = value;
        Signature = signature;
    }

    public RingAddress Key { get; }
    public DhtKind Kind { get; }
    public bool Removed { get; }
    public byte[] Owner { get; }
    public ulong Tag { get; }
    public ulong Version { get; }
    public ulong Created { get; }
    public ulong Expires { get; }
    public byte[] Value { get; }
    public byte[] Signature { get; }

    public int EncodedSize => FixedSize + Value.Length;

    /// <summary>The ring position of a key name: SHA-256("woven-dht-v1" ‖ name), first 160 bits.</summary>
    public static RingAddress KeyOf(string name) => KeyOf(Encoding.UTF8.GetBytes(name));

    public static RingAddress KeyOf(ReadOnlySpan<byte> name)
    {
        Span<byte> input = stackalloc byte[12 + name.Length];
        "woven-dht-v1"u8.CopyTo(input);
        name.CopyTo(input[12..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return RingAddress.Read(hash);
    }

    public static ulong TagOf(DhtKind kind, ReadOnlySpan<byte> value)
    {
        if (kind == DhtKind.Claim) return 0;
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(value, hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>Signs a new record version. Throws <see cref="ArgumentException"/> naming the problem for a bad value or lease.</summary>
    public static DhtRecord Create(NodeIdentity owner, RingAddress key, DhtKind kind, ReadOnlySpan<byte> value, ulong version, ulong created, ulong expires, bool removed = false, ulong? tag = null)
    {
        if (value.Length > MaxValue) throw new ArgumentException($"value: {value.Length} bytes is over the limit of {MaxValue} bytes", nameof(value));
        if (kind is not (DhtKind.Value or DhtKind.Claim)) throw new ArgumentException("kind: must be Value or Claim", nameof(kind));
        if (removed && !value.IsEmpty) throw new ArgumentException("value: a removal carries no value", nameof(value));
        if (expires <= created && !removed) throw new ArgumentException("expires: must be after created", nameof(expires));
        ulong t = tag ?? TagOf(kind, value);
        var unsigned = new DhtRecord(key, kind, removed, owner.PublicKey, t, version, created, expires, value.ToArray(), []);
        var body = new byte[unsigned.EncodedSize - 64];
        unsigned.WriteBody(body);
        var signature = Ed25519Signatures.Sign(owner.ExportPrivateKey(), SignaturePrefix, body);
        return new DhtRecord(key, kind, removed, owner.PublicKey, t, version, created, expires, unsigned.Value, signature);
    }

    /// <summary>The same identity, same lease origin, a newer version (a renewal or a removal).</summary>
    public DhtRecord Renewed(NodeIdentity owner, ulong version, ulong expires) =>
        Create(owner, Key, Kind, Value, version, Created, expires, tag: Tag);

    public DhtRecord RemovedVersion(NodeIdentity owner, ulong version) =>
        Create(owner, Key, Kind, [], version, Created, Math.Max(Expires, version + 1), removed: true, tag: Tag);

    public bool SameIdentity(DhtRecord other) => Key == other.Key && Kind == other.Kind && Tag == other.Tag && Owner.AsSpan().SequenceEqual(other.Owner);

    public bool SameOwner(DhtRecord other) => Owner.AsSpan().SequenceEqual(other.Owner);

    public bool IsLive(ulong nowMs) => !Removed && Expires > nowMs;

    /// <summary>
    /// Between two live claims on one key by different owners (they can only meet after a partition heals): the one
    /// created first wins, ties to the lower owner key. Returns true when this record wins over <paramref name="other"/>.
    /// </summary>
    public bool WinsOver(DhtRecord other)
    {
        if (Created != other.Created) return Created < other.Created;
        return Owner.AsSpan().SequenceCompareTo(other.Owner) < 0;
    }

    private int WriteBody(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        WriteFields(ref w);
        return w.Ok ? w.Position : -1;
    }

    /// <summary>Everything but the signature: the bytes the owner signs.</summary>
    private void WriteFields(ref SpanWriter w)
    {
        w.Address(Key);
        w.U8((byte)Kind);
        w.U8(Removed ? FlagRemoved : (byte)0);
        w.Bytes(Owner);
        w.U64(Tag);
        w.U64(Version);
        w.U64(Created);
        w.U64(Expires);
        w.U16((ushort)Value.Length);
        w.Bytes(Value);
    }

    public bool TryWrite(ref SpanWriter w)
    {
        WriteFields(ref w);
        w.Bytes(Signature);
        return w.Ok;
    }

    /// <summary>Reads a record's fields (not its signature's validity: see <see cref="Check"/>).</summary>
    public static DhtRecord? TryRead(ref SpanReader r)
    {
        var key = r.Address();
        byte kind = r.U8();
        byte flags = r.U8();
        var owner = r.Bytes(32).ToArray();
        ulong tag = r.U64();
        ulong version = r.U64();
        ulong created = r.U64();
        ulong expires = r.U64();
        int length = r.U16();
        if (!r.Ok || length > MaxValue || kind is not ((byte)DhtKind.Value or (byte)DhtKind.Claim) || (flags & ~FlagRemoved) != 0)
        {
            r.Fail();
            return null;
        }
        var value = r.Bytes(length).ToArray();
        var signature = r.Bytes(64).ToArray();
        if (!r.Ok) return null;
        return new DhtRecord(key, (DhtKind)kind, (flags & FlagRemoved) != 0, owner, tag, version, created, expires, value, signature);
    }

    public byte[] Encode()
    {
        var bytes = new byte[EncodedSize];
        var w = new SpanWriter(bytes);
        TryWrite(ref w);
        return bytes;
    }

    public static DhtRecord? Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new SpanReader(bytes);
        var record = TryRead(ref r);
        return record is not null && r.AtEnd ? record : null;
    }

    /// <summary>Whether a replica may keep this record now: a valid owner signature, a consistent tag, a lease within limits.</summary>
    public DhtCheck Check(ulong nowMs)
    {
        if (Kind == DhtKind.Claim ? Tag != 0 : !Removed && Tag != TagOf(Kind, Value)) return DhtCheck.Malformed;
        if (Removed && Value.Length != 0) return DhtCheck.Malformed;
        if (Expires <= nowMs) return DhtCheck.Expired;
        if (Expires - nowMs > (ulong)MaxLease.TotalMilliseconds + (ulong)MaxClockSkew.TotalMilliseconds) return DhtCheck.LeaseTooLong;
        var body = new byte[EncodedSize - 64];
        if (WriteBody(body) < 0) return DhtCheck.Malformed;
        return Ed25519Signatures.Verify(Owner, SignaturePrefix, body, Signature) ? DhtCheck.Valid : DhtCheck.BadSignature;
    }

    public string OwnerAddress => RingAddress.FromPublicKey(Owner).ToString();

    public override string ToString() => $"{Kind} {Key.ToShortString()} by {OwnerAddress[..8]} v{Version}{(Removed ? " removed" : "")}";
}

public enum DhtCheck
{
    Valid,
    Malformed,
    BadSignature,
    Expired,
    LeaseTooLong,
}

using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace Woven.Addressing;

/// <summary>
/// A 160-bit position on the overlay ring. Stored as three unsigned words (most significant first)
/// so that a value is 20 bytes of payload and arithmetic is modulo 2^160 without allocation.
/// </summary>
public readonly struct RingAddress : IEquatable<RingAddress>, IComparable<RingAddress>
{
    /// <summary>Encoded size on the wire.</summary>
    public const int Size = 20;

    private const double TwoPow64 = 18446744073709551616.0;

    private readonly ulong _hi;   // bits 159..96
    private readonly ulong _mid;  // bits 95..32
    private readonly uint _lo;    // bits 31..0

    public RingAddress(ulong hi, ulong mid, uint lo)
    {
        _hi = hi;
        _mid = mid;
        _lo = lo;
    }

    public static RingAddress Zero => default;

    /// <summary>Half of the ring, 2^159: the largest possible <see cref="Distance"/>.</summary>
    public static RingAddress Half => new(1UL << 63, 0, 0);

    public static RingAddress Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source),
            BinaryPrimitives.ReadUInt64BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[16..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _mid);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _lo);
    }

    /// <summary>
    /// The ring address of a node key: the first 160 bits of SHA-256("woven-ring-v1" || key).
    /// Self-certifying: an address can only be claimed by whoever holds the key that hashes to it.
    /// </summary>
    public static RingAddress FromPublicKey(ReadOnlySpan<byte> publicKey)
    {
        Span<byte> input = stackalloc byte[13 + 64];
        if (publicKey.Length > 64)
        {
            throw new ArgumentException("public key longer than 64 bytes", nameof(publicKey));
        }
        "woven-ring-v1"u8.CopyTo(input);
        publicKey.CopyTo(input[13..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..(13 + publicKey.Length)], hash);
        return Read(hash);
    }

    /// <summary>A uniformly random address (keys for tests and samples).</summary>
    public static RingAddress Random(Random random)
    {
        Span<byte> b = stackalloc byte[Size];
        random.NextBytes(b);
        return Read(b);
    }

    /// <summary>(this + other) mod 2^160.</summary>
    public RingAddress Add(RingAddress other)
    {
        ulong lo = (ulong)_lo + other._lo;
        ulong carry = lo >> 32;
        ulong mid = _mid + other._mid;
        ulong carryMid = mid < _mid ? 1UL : 0UL;
        ulong mid2 = mid + carry;
        if (mid2 < mid) carryMid++;
        ulong hi = _hi + other._hi + carryMid;
        return new RingAddress(hi, mid2, (uint)lo);
    }

    /// <summary>(this − other) mod 2^160.</summary>
    public RingAddress Subtract(RingAddress other)
    {
        long lo = (long)_lo - other._lo;
        ulong borrow = lo < 0 ? 1UL : 0UL;
        ulong mid = _mid - other._mid;
        ulong borrowMid = _mid < other._mid ? 1UL : 0UL;
        ulong mid2 = mid - borrow;
        if (mid < borrow) borrowMid++;
        ulong hi = _hi - other._hi - borrowMid;
        return new RingAddress(hi, mid2, (uint)lo);
    }

    /// <summary>Distance walking clockwise (increasing addresses) from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static RingAddress Clockwise(RingAddress from, RingAddress to) => to.Subtract(from);

    /// <summary>Ring distance: the shorter of the two ways round.</summary>
    public static RingAddress Distance(RingAddress a, RingAddress b)
    {
        var cw = b.Subtract(a);
        var ccw = a.Subtract(b);
        return cw.CompareTo(ccw) <= 0 ? cw : ccw;
    }

    /// <summary>True when <paramref name="to"/> is reached from <paramref name="from"/> more quickly clockwise.</summary>
    public static bool IsClockwiseCloser(RingAddress from, RingAddress to) =>
        to.Subtract(from).CompareTo(from.Subtract(to)) <= 0;

    /// <summary>This value as a fraction of the whole ring, in [0, 1).</summary>
    public double ToFraction() => _hi / TwoPow64 + _mid / TwoPow64 / TwoPow64;

    /// <summary>The address at <paramref name="fraction"/> of the ring (0 ≤ fraction &lt; 1), low bits from <paramref name="random"/>.</summary>
    public static RingAddress FromFraction(double fraction, Random random)
    {
        if (!(fraction >= 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction));
        double scaled = fraction * TwoPow64;
        ulong hi = scaled >= TwoPow64 ? ulong.MaxValue : (ulong)scaled;
        return new RingAddress(hi, (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), (uint)random.Next());
    }

    public int CompareTo(RingAddress other)
    {
        int c = _hi.CompareTo(other._hi);
        if (c != 0) return c;
        c = _mid.CompareTo(other._mid);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    public bool Equals(RingAddress other) => _hi == other._hi && _mid == other._mid && _lo == other._lo;

    public override bool Equals(object? obj) => obj is RingAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_hi, _mid, _lo);

    public static bool operator ==(RingAddress left, RingAddress right) => left.Equals(right);
    public static bool operator !=(RingAddress left, RingAddress right) => !left.Equals(right);
    public static bool operator <(RingAddress left, RingAddress right) => left.CompareTo(right) < 0;
    public static bool operator >(RingAddress left, RingAddress right) => left.CompareTo(right) > 0;
    public static bool operator <=(RingAddress left, RingAddress right) => left.CompareTo(right) <= 0;
    public static bool operator >=(RingAddress left, RingAddress right) => left.CompareTo(right) >= 0;

    /// <summary>40 lower-case hex digits.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{_hi:x16}{_mid:x16}{_lo:x8}");

    /// <summary>The first 8 hex digits, for logs and tables.</summary>
    public string ToShortString() => ToString()[..8];

    public static bool TryParse(string? text, out RingAddress address)
    {
        address = default;
        if (text is null || text.Length != 2 * Size) return false;
        Span<byte> bytes = stackalloc byte[Size];
        for (int i = 0; i < Size; i++)
        {
            if (!byte.TryParse(text.AsSpan(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
                return false;
        }
        address = Read(bytes);
        return true;
    }
}

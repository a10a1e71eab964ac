using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Woven.Nat;

/// <summary>The 96-bit transaction id of a STUN message, held as a value (no allocation).</summary>
public readonly record struct StunTransactionId(uint High, ulong Low)
{
    public const int Size = 12;

    /// <summary>A fresh id from the cryptographic generator (RFC 8489 §6: uniformly random, 96 bits).</summary>
    public static StunTransactionId NewRandom()
    {
        Span<byte> b = stackalloc byte[Size];
        RandomNumberGenerator.Fill(b);
        return Read(b);
    }

    /// <summary>A deterministic id drawn from <paramref name="random"/> (simulations and tests).</summary>
    public static StunTransactionId NewFrom(Random random)
    {
        Span<byte> b = stackalloc byte[Size];
        random.NextBytes(b);
        return Read(b);
    }

    /// <summary>Reads 12 bytes; the caller guarantees the length.</summary>
    public static StunTransactionId Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt32BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[4..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[4..], Low);
    }

    public override string ToString() => $"{High:x8}{Low:x16}";
}

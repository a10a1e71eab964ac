using System.Numerics;
using System.Security.Cryptography;
using Woven.Addressing;

namespace Woven.Core.Tests;

public class RingAddressTests
{
    private static readonly BigInteger Modulus = BigInteger.One << 160;
    private static readonly RingAddress Max = new(ulong.MaxValue, ulong.MaxValue, uint.MaxValue);
    private static readonly RingAddress One = new(0, 0, 1);

    // Reference model: the address as an unsigned 160-bit integer.
    private static BigInteger ToBig(RingAddress a)
    {
        var bytes = new byte[RingAddress.Size];
        a.Write(bytes);
        return new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
    }

    private static RingAddress FromBig(BigInteger value)
    {
        value %= Modulus;
        if (value.Sign < 0) value += Modulus;
        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var bytes = new byte[RingAddress.Size];
        raw.CopyTo(bytes, RingAddress.Size - raw.Length);
        return RingAddress.Read(bytes);
    }

    private static byte[] Bytes(RingAddress a)
    {
        var bytes = new byte[RingAddress.Size];
        a.Write(bytes);
        return bytes;
    }

    /// <summary>Values that sit on the word boundaries, where carries and borrows happen.</summary>
    private static IEnumerable<RingAddress> EdgeValues()
    {
        yield return RingAddress.Zero;
        yield return One;
        yield return Max;
        yield return RingAddress.Half;
        yield return new RingAddress(0, 0, uint.MaxValue);
        yield return new RingAddress(0, 1, 0);
        yield return new RingAddress(0, ulong.MaxValue, uint.MaxValue);
        yield return new RingAddress(0, ulong.MaxValue, 0);
        yield return new RingAddress(1, 0, 0);
        yield return new RingAddress(ulong.MaxValue, 0, 0);
        yield return new RingAddress(ulong.MaxValue, ulong.MaxValue, 0);
        yield return new RingAddress(0, 1UL << 63, 1U << 31);
        yield return new RingAddress((1UL << 63) - 1, ulong.MaxValue, uint.MaxValue);
        yield return new RingAddress((1UL << 63) + 1, 0, 0);
    }

    private static IEnumerable<RingAddress> TestValues(int randomCount, int seed)
    {
        foreach (var e in EdgeValues()) yield return e;
        var random = new Random(seed);
        for (int i = 0; i < randomCount; i++) yield return RingAddress.Random(random);
    }

    [Fact]
    public void Address_is_derived_from_the_public_key_and_differs_between_keys()
    {
        var a = RingAddress.FromPublicKey(new byte[32]);
        var key = new byte[32];
        key[0] = 1;
        var b = RingAddress.FromPublicKey(key);
        Assert.NotEqual(a, b);
        Assert.Equal(a, RingAddress.FromPublicKey(new byte[32]));
    }

    [Fact]
    public void FromPublicKey_is_the_first_160_bits_of_sha256_of_the_domain_label_and_key()
    {
        var random = new Random(7);
        for (int i = 0; i < 50; i++)
        {
            var key = new byte[32];
            random.NextBytes(key);
            var input = new byte[13 + 32];
            "woven-ring-v1"u8.CopyTo(input);
            key.CopyTo(input, 13);
            var hash = SHA256.HashData(input);
            var expected = RingAddress.Read(hash.AsSpan(0, RingAddress.Size));
            Assert.Equal(expected, RingAddress.FromPublicKey(key));
            Assert.Equal(expected, RingAddress.FromPublicKey((byte[])key.Clone()));
        }
    }

    [Fact]
    public void FromPublicKey_rejects_keys_longer_than_64_bytes()
    {
        RingAddress.FromPublicKey(new byte[64]);
        Assert.Throws<ArgumentException>(() => RingAddress.FromPublicKey(new byte[65]));
    }

    [Fact]
    public void Add_matches_arithmetic_modulo_2_pow_160()
    {
        var values = TestValues(60, 1).ToArray();
        foreach (var a in values)
        {
            foreach (var b in values)
            {
                Assert.Equal(FromBig(ToBig(a) + ToBig(b)), a.Add(b));
            }
        }
    }

    [Fact]
    public void Add_carries_across_the_three_words_and_wraps_around()
    {
        Assert.Equal(RingAddress.Zero, Max.Add(One));
        Assert.Equal(new RingAddress(0, 1, 0), new RingAddress(0, 0, uint.MaxValue).Add(One));
        Assert.Equal(new RingAddress(1, 0, 0), new RingAddress(0, ulong.MaxValue, uint.MaxValue).Add(One));
        Assert.Equal(new RingAddress(1, 0, 0), new RingAddress(0, ulong.MaxValue, 0).Add(new RingAddress(0, 1, 0)));
        // The middle word overflows on its own and again by the carry from the low word.
        Assert.Equal(new RingAddress(1, ulong.MaxValue, 0), new RingAddress(0, ulong.MaxValue, uint.MaxValue).Add(new RingAddress(0, ulong.MaxValue, 1)));
        Assert.Equal(RingAddress.Zero, RingAddress.Half.Add(RingAddress.Half));
        Assert.Equal(new RingAddress(ulong.MaxValue, ulong.MaxValue, uint.MaxValue - 1), Max.Add(Max));
    }

    [Fact]
    public void Subtract_matches_arithmetic_modulo_2_pow_160()
    {
        var values = TestValues(60, 2).ToArray();
        foreach (var a in values)
        {
            foreach (var b in values)
            {
                Assert.Equal(FromBig(ToBig(a) - ToBig(b)), a.Subtract(b));
                Assert.Equal(a, a.Add(b).Subtract(b));
                Assert.Equal(a, a.Subtract(b).Add(b));
            }
        }
    }

    [Fact]
    public void Subtract_borrows_across_the_three_words_and_wraps_around()
    {
        Assert.Equal(Max, RingAddress.Zero.Subtract(One));
        Assert.Equal(new RingAddress(0, 0, uint.MaxValue), new RingAddress(0, 1, 0).Subtract(One));
        Assert.Equal(new RingAddress(0, ulong.MaxValue, uint.MaxValue), new RingAddress(1, 0, 0).Subtract(One));
        Assert.Equal(new RingAddress(0, 0, 2), One.Subtract(Max));
        Assert.Equal(new RingAddress(ulong.MaxValue, 0, 1), new RingAddress(0, 0, 1).Subtract(new RingAddress(1, 0, 0)));
        // Middle word equal on both sides: only the borrow from the low word reaches the high word.
        Assert.Equal(new RingAddress(0, ulong.MaxValue, uint.MaxValue), new RingAddress(1, 5, 0).Subtract(new RingAddress(0, 5, 1)));
        Assert.Equal(RingAddress.Half, RingAddress.Zero.Subtract(RingAddress.Half));
        foreach (var a in EdgeValues()) Assert.Equal(RingAddress.Zero, a.Subtract(a));
    }

    [Fact]
    public void Clockwise_distances_of_the_two_directions_add_up_to_the_whole_ring()
    {
        var values = TestValues(40, 3).ToArray();
        foreach (var a in values)
        {
            Assert.Equal(RingAddress.Zero, RingAddress.Clockwise(a, a));
            foreach (var b in values)
            {
                var cw = RingAddress.Clockwise(a, b);
                Assert.Equal(b, a.Add(cw));
                Assert.Equal(RingAddress.Zero, cw.Add(RingAddress.Clockwise(b, a)));
                Assert.Equal(FromBig(ToBig(b) - ToBig(a)), cw);
            }
        }
        Assert.Equal(One, RingAddress.Clockwise(Max, RingAddress.Zero));
        Assert.Equal(Max, RingAddress.Clockwise(RingAddress.Zero, Max));
    }

    [Fact]
    public void Distance_is_symmetric_at_most_half_and_the_shorter_way_round()
    {
        var values = TestValues(40, 4).ToArray();
        foreach (var a in values)
        {
            Assert.Equal(RingAddress.Zero, RingAddress.Distance(a, a));
            foreach (var b in values)
            {
                var d = RingAddress.Distance(a, b);
                Assert.Equal(d, RingAddress.Distance(b, a));
                Assert.True(d <= RingAddress.Half);
                var cw = ToBig(b) - ToBig(a);
                if (cw.Sign < 0) cw += Modulus;
                var expected = BigInteger.Min(cw, (Modulus - cw) % Modulus);
                Assert.Equal(FromBig(expected), d);
            }
        }
        Assert.Equal(One, RingAddress.Distance(Max, RingAddress.Zero));
        Assert.Equal(RingAddress.Half, RingAddress.Distance(RingAddress.Zero, RingAddress.Half));
        var x = new RingAddress(0x1234, 0x5678, 0x9abc);
        Assert.Equal(RingAddress.Half, RingAddress.Distance(x, x.Add(RingAddress.Half)));
        Assert.Equal(RingAddress.Half.Subtract(One), RingAddress.Distance(x, x.Add(RingAddress.Half).Add(One)));
    }

    [Fact]
    public void IsClockwiseCloser_tells_which_way_round_is_shorter()
    {
        var a = new RingAddress(10, 20, 30);
        Assert.True(RingAddress.IsClockwiseCloser(a, a.Add(One)));
        Assert.False(RingAddress.IsClockwiseCloser(a, a.Subtract(One)));
        Assert.True(RingAddress.IsClockwiseCloser(Max, RingAddress.Zero));
        Assert.False(RingAddress.IsClockwiseCloser(RingAddress.Zero, Max));
        // Exactly opposite: both ways are equally long and clockwise wins the tie.
        Assert.True(RingAddress.IsClockwiseCloser(a, a.Add(RingAddress.Half)));
        Assert.True(RingAddress.IsClockwiseCloser(a, a));

        var values = TestValues(40, 5).ToArray();
        foreach (var from in values)
        {
            foreach (var to in values)
            {
                bool cwCloser = RingAddress.IsClockwiseCloser(from, to);
                Assert.Equal(RingAddress.Clockwise(from, to) <= RingAddress.Clockwise(to, from), cwCloser);
                if (cwCloser) Assert.Equal(RingAddress.Distance(from, to), RingAddress.Clockwise(from, to));
                else Assert.Equal(RingAddress.Distance(from, to), RingAddress.Clockwise(to, from));
            }
        }
    }

    [Fact]
    public void CompareTo_orders_like_the_big_endian_bytes()
    {
        var values = TestValues(60, 6).ToArray();
        foreach (var a in values)
        {
            foreach (var b in values)
            {
                int expected = Math.Sign(Bytes(a).AsSpan().SequenceCompareTo(Bytes(b)));
                Assert.Equal(expected, Math.Sign(a.CompareTo(b)));
                Assert.Equal(ToBig(a).CompareTo(ToBig(b)), Math.Sign(a.CompareTo(b)));
                Assert.Equal(expected < 0, a < b);
                Assert.Equal(expected > 0, a > b);
                Assert.Equal(expected <= 0, a <= b);
                Assert.Equal(expected >= 0, a >= b);
                Assert.Equal(expected == 0, a == b);
                Assert.Equal(expected != 0, a != b);
                Assert.Equal(expected == 0, a.Equals(b));
                Assert.Equal(expected == 0, a.Equals((object)b));
                if (expected == 0) Assert.Equal(a.GetHashCode(), b.GetHashCode());
            }
        }
        // Each word matters, most significant first.
        Assert.True(new RingAddress(1, 0, 0) > new RingAddress(0, ulong.MaxValue, uint.MaxValue));
        Assert.True(new RingAddress(0, 1, 0) > new RingAddress(0, 0, uint.MaxValue));
        Assert.True(new RingAddress(0, 0, 1) > RingAddress.Zero);
        Assert.False(RingAddress.Zero.Equals("not an address"));
    }

    [Fact]
    public void Sorting_addresses_sorts_their_bytes()
    {
        var random = new Random(8);
        var values = Enumerable.Range(0, 500).Select(_ => RingAddress.Random(random)).ToList();
        var byAddress = values.OrderBy(a => a).Select(Bytes).ToList();
        var byBytes = values.Select(Bytes).OrderBy(b => Convert.ToHexString(b), StringComparer.Ordinal).ToList();
        Assert.Equal(byBytes, byAddress);
    }

    [Fact]
    public void Read_and_write_round_trip_big_endian()
    {
        var random = new Random(9);
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[RingAddress.Size];
            random.NextBytes(bytes);
            var a = RingAddress.Read(bytes);
            Assert.Equal(bytes, Bytes(a));
            Assert.Equal(a, RingAddress.Read(Bytes(a)));
        }
        var known = new RingAddress(0x0102030405060708, 0x090a0b0c0d0e0f10, 0x11121314);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray(), Bytes(known));
    }

    [Fact]
    public void Write_touches_exactly_twenty_bytes()
    {
        var buffer = Enumerable.Repeat((byte)0xEE, 30).ToArray();
        Max.Write(buffer.AsSpan(5));
        Assert.All(buffer.Take(5), b => Assert.Equal(0xEE, b));
        Assert.All(buffer.Skip(5).Take(20), b => Assert.Equal(0xFF, b));
        Assert.All(buffer.Skip(25), b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void ToString_is_forty_lower_case_hex_digits_and_parses_back()
    {
        foreach (var a in TestValues(200, 10))
        {
            var text = a.ToString();
            Assert.Equal(40, text.Length);
            Assert.Equal(Convert.ToHexStringLower(Bytes(a)), text);
            Assert.True(RingAddress.TryParse(text, out var parsed));
            Assert.Equal(a, parsed);
            Assert.Equal(text[..8], a.ToShortString());
        }
        Assert.Equal(new string('0', 40), RingAddress.Zero.ToString());
        Assert.Equal("8" + new string('0', 39), RingAddress.Half.ToString());
        Assert.Equal(new string('f', 40), Max.ToString());
    }

    [Fact]
    public void TryParse_accepts_upper_case_hex()
    {
        var a = new RingAddress(0xABCDEF0123456789, 0xFEDCBA9876543210, 0xDEADBEEF);
        Assert.True(RingAddress.TryParse(a.ToString().ToUpperInvariant(), out var parsed));
        Assert.Equal(a, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("0123456789abcdef0123456789abcdef0123456")] // 39 digits
    [InlineData("0123456789abcdef0123456789abcdef012345678")] // 41 digits
    [InlineData("0123456789abcdef0123456789abcdef0123456g")]
    [InlineData("g123456789abcdef0123456789abcdef01234567")]
    [InlineData("0123456789abcdef 123456789abcdef01234567")]
    [InlineData(" 123456789abcdef0123456789abcdef01234567")]
    [InlineData("0123456789abcdef0123456789abcdef0123456 ")]
    [InlineData("+123456789abcdef0123456789abcdef01234567")]
    [InlineData("-123456789abcdef0123456789abcdef01234567")]
    [InlineData("0x23456789abcdef0123456789abcdef01234567")]
    [InlineData("0x0123456789abcdef0123456789abcdef01234567")]
    [InlineData("01234567-9abcdef0123456789abcdef01234567")]
    [InlineData("０123456789abcdef0123456789abcdef01234567")] // full-width digit
    [InlineData("\u00e9123456789abcdef0123456789abcdef01234567")]
    public void TryParse_rejects_bad_text(string? text)
    {
        Assert.False(RingAddress.TryParse(text, out var parsed));
        Assert.Equal(RingAddress.Zero, parsed);
    }

    [Fact]
    public void ToFraction_of_known_points()
    {
        Assert.Equal(0.0, RingAddress.Zero.ToFraction());
        Assert.Equal(0.5, RingAddress.Half.ToFraction());
        Assert.Equal(0.25, new RingAddress(1UL << 62, 0, 0).ToFraction());
        double top = Max.ToFraction();
        Assert.True(top is > 0.999999 and <= 1.0);
    }

    [Fact]
    public void FromFraction_and_ToFraction_round_trip_approximately()
    {
        var random = new Random(11);
        double[] fixedPoints = [0.0, 1e-12, 1.0 / 3, 0.25, 0.5, 0.75, 0.999999, 1 - 1e-15];
        foreach (var f in fixedPoints.Concat(Enumerable.Range(0, 1000).Select(_ => random.NextDouble())))
        {
            var a = RingAddress.FromFraction(f, random);
            Assert.InRange(a.ToFraction() - f, -1e-15, 1e-15);
        }
    }

    [Fact]
    public void FromFraction_orders_addresses_like_the_fractions()
    {
        var random = new Random(12);
        var a = RingAddress.FromFraction(0.1, random);
        var b = RingAddress.FromFraction(0.2, random);
        var c = RingAddress.FromFraction(0.9, random);
        Assert.True(a < b && b < c);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void FromFraction_rejects_values_outside_the_unit_interval(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RingAddress.FromFraction(fraction, new Random(1)));
    }

    [Fact]
    public void Random_is_reproducible_from_its_seed()
    {
        var r1 = new Random(13);
        var r2 = new Random(13);
        for (int i = 0; i < 10; i++) Assert.Equal(RingAddress.Random(r1), RingAddress.Random(r2));
    }
}

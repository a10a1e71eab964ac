using System.Security.Cryptography;

namespace Woven.Platform;

/// <summary>
/// A <see cref="Random"/> drawn from the operating system's cryptographic generator, for real nodes: link tokens,
/// session indices and far-link choices then cannot be predicted from the ones a peer has seen. (The simulator injects a
/// seeded <see cref="Random"/> instead, so that its runs are reproducible.)
/// </summary>
public sealed class CryptoRandom : Random
{
    public override int Next() => RandomNumberGenerator.GetInt32(int.MaxValue);

    public override int Next(int maxValue) => maxValue <= 1 ? 0 : RandomNumberGenerator.GetInt32(maxValue);

    public override int Next(int minValue, int maxValue) => maxValue - minValue <= 1 ? minValue : RandomNumberGenerator.GetInt32(minValue, maxValue);

    public override long NextInt64()
    {
        Span<byte> b = stackalloc byte[8];
        RandomNumberGenerator.Fill(b);
        return (long)(BitConverter.ToUInt64(b) >> 1);
    }

    public override double NextDouble()
    {
        Span<byte> b = stackalloc byte[8];
        RandomNumberGenerator.Fill(b);
        return (BitConverter.ToUInt64(b) >> 11) * (1.0 / (1UL << 53));
    }

    public override void NextBytes(byte[] buffer) => RandomNumberGenerator.Fill(buffer);

    public override void NextBytes(Span<byte> buffer) => RandomNumberGenerator.Fill(buffer);

    protected override double Sample() => NextDouble();
}

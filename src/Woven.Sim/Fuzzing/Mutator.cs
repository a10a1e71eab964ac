namespace Woven.Sim.Fuzzing;

/// <summary>The ways <see cref="Mutator"/> changes a valid encoding. Names appear in reports (snake case).</summary>
public enum MutationKind
{
    /// <summary>A valid encoding, unchanged: shows that the target accepts what it should.</summary>
    Unchanged,
    /// <summary>Random bytes of a random length, no seed at all.</summary>
    Random,
    BitFlip,
    /// <summary>Bytes set to 0x00, 0xFF, 0x7F, 0x80, 0x01 or 0xFE.</summary>
    BoundaryByte,
    Truncate,
    /// <summary>Random bytes appended.</summary>
    Extend,
    /// <summary>The head of one valid message joined to the tail of another (or of itself).</summary>
    Splice,
    /// <summary>A one- or two-byte big-endian field moved to a length-like value (±small, 0, max, bytes left).</summary>
    LengthField,
    /// <summary>A chunk copied and inserted elsewhere.</summary>
    DuplicateChunk,
    /// <summary>A chunk overwritten with random bytes.</summary>
    RandomChunk,
    /// <summary>A chunk removed.</summary>
    DeleteChunk,
}

/// <summary>
/// Seeded structure-blind mutations of valid encodings. Most inputs are one valid seed changed by one to four
/// mutations; a few are pure random bytes and a few are a seed unchanged. Deterministic for a given
/// <see cref="Random"/> state. Not thread-safe (the counters).
/// </summary>
public sealed class Mutator
{
    private static readonly byte[] Boundaries = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];
    private static readonly int[] Deltas = [1, -1, 2, -2, 4, -4, 8, -8, 16, -16, 32, -32];

    /// <summary>How many times each kind was applied (an input with three mutations counts three).</summary>
    public long[] Counts { get; } = new long[Enum.GetValues<MutationKind>().Length];

    /// <summary>Share of inputs that are a seed unchanged.</summary>
    public double UnchangedRate { get; init; } = 0.02;

    /// <summary>Share of inputs that are random bytes.</summary>
    public double RandomRate { get; init; } = 0.04;

    /// <summary>A mutated copy of a randomly chosen seed; splices take their second half from any seed.</summary>
    public byte[] Mutate(Random rng, IReadOnlyList<byte[]> seeds, int maxLength)
    {
        if (seeds.Count == 0) return RandomInput(rng, maxLength);
        return Mutate(rng, seeds[rng.Next(seeds.Count)], seeds, maxLength);
    }

    /// <summary>A mutated copy of <paramref name="seed"/>; <paramref name="splicePool"/> supplies the other halves of splices.</summary>
    public byte[] Mutate(Random rng, byte[] seed, IReadOnlyList<byte[]> splicePool, int maxLength)
    {
        double roll = rng.NextDouble();
        if (roll < RandomRate) return RandomInput(rng, maxLength);
        if (roll < RandomRate + UnchangedRate)
        {
            Counts[(int)MutationKind.Unchanged]++;
            return seed.Length <= maxLength ? (byte[])seed.Clone() : seed[..maxLength];
        }
        var data = new List<byte>(seed.Length + 64);
        data.AddRange(seed);
        // 1 mutation half of the time, 2 a quarter, then 3, then 4.
        int count = 1;
        while (count < 4 && rng.Next(2) == 0) count++;
        for (int i = 0; i < count; i++) Apply(rng, data, splicePool);
        if (data.Count > maxLength) data.RemoveRange(maxLength, data.Count - maxLength);
        return [.. data];
    }

    private byte[] RandomInput(Random rng, int maxLength)
    {
        Counts[(int)MutationKind.Random]++;
        // Mostly short (headers and their edges), sometimes anything up to the limit.
        int length = rng.Next(4) == 0 ? rng.Next(0, maxLength + 1) : rng.Next(0, Math.Min(96, maxLength) + 1);
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }

    private void Apply(Random rng, List<byte> data, IReadOnlyList<byte[]> pool)
    {
        var kind = (MutationKind)rng.Next((int)MutationKind.BitFlip, (int)MutationKind.DeleteChunk + 1);
        // Mutations that need bytes to work on fall back to extending an empty input.
        if (data.Count == 0 && kind is not (MutationKind.Extend or MutationKind.Splice)) kind = MutationKind.Extend;
        Counts[(int)kind]++;
        switch (kind)
        {
            case MutationKind.BitFlip:
            {
                int flips = rng.Next(1, 4);
                for (int i = 0; i < flips; i++)
                {
                    int at = rng.Next(data.Count);
                    data[at] ^= (byte)(1 << rng.Next(8));
                }
                break;
            }
            case MutationKind.BoundaryByte:
            {
                int n = rng.Next(1, 3);
                for (int i = 0; i < n; i++) data[rng.Next(data.Count)] = Boundaries[rng.Next(Boundaries.Length)];
                break;
            }
            case MutationKind.Truncate:
            {
                // Near the end (a field cut short) as often as anywhere.
                int keep = rng.Next(2) == 0 ? Math.Max(0, data.Count - rng.Next(1, 9)) : rng.Next(data.Count);
                data.RemoveRange(keep, data.Count - keep);
                break;
            }
            case MutationKind.Extend:
            {
                int n = rng.Next(3) == 0 ? rng.Next(1, 129) : rng.Next(1, 9);
                for (int i = 0; i < n; i++) data.Add((byte)rng.Next(256));
                break;
            }
            case MutationKind.Splice:
            {
                var other = pool.Count > 0 ? pool[rng.Next(pool.Count)] : [.. data];
                int head = rng.Next(data.Count + 1);
                int from = rng.Next(other.Length + 1);
                data.RemoveRange(head, data.Count - head);
                for (int i = from; i < other.Length; i++) data.Add(other[i]);
                break;
            }
            case MutationKind.LengthField:
                TweakLengthField(rng, data);
                break;
            case MutationKind.DuplicateChunk:
            {
                int start = rng.Next(data.Count);
                int length = Math.Min(data.Count - start, rng.Next(1, 33));
                var chunk = data.GetRange(start, length);
                // Right after itself (a repeated field) half of the time, else anywhere.
                int at = rng.Next(2) == 0 ? start + length : rng.Next(data.Count + 1);
                data.InsertRange(at, chunk);
                break;
            }
            case MutationKind.RandomChunk:
            {
                int start = rng.Next(data.Count);
                int length = Math.Min(data.Count - start, rng.Next(1, 17));
                for (int i = 0; i < length; i++) data[start + i] = (byte)rng.Next(256);
                break;
            }
            case MutationKind.DeleteChunk:
            {
                int start = rng.Next(data.Count);
                int length = Math.Min(data.Count - start, rng.Next(1, 17));
                data.RemoveRange(start, length);
                break;
            }
        }
    }

    /// <summary>
    /// Formats here put counts and lengths in one or two big-endian bytes; without knowing where, pick a spot and move
    /// its value to one a length field would take: off by a little, zero, the maximum, or the number of bytes after it.
    /// </summary>
    private static void TweakLengthField(Random rng, List<byte> data)
    {
        bool wide = data.Count >= 2 && rng.Next(2) == 0;
        int at = rng.Next(data.Count - (wide ? 1 : 0));
        int width = wide ? 2 : 1;
        int max = wide ? 0xFFFF : 0xFF;
        int current = wide ? (data[at] << 8) | data[at + 1] : data[at];
        int left = data.Count - at - width;
        int value = rng.Next(6) switch
        {
            0 => current + Deltas[rng.Next(Deltas.Length)],
            1 => 0,
            2 => max,
            3 => left,
            4 => left + (rng.Next(2) == 0 ? 1 : -1),
            _ => rng.Next(max + 1),
        };
        value &= max;
        if (wide)
        {
            data[at] = (byte)(value >> 8);
            data[at + 1] = (byte)value;
        }
        else
        {
            data[at] = (byte)value;
        }
    }
}

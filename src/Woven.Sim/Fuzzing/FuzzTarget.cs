namespace Woven.Sim.Fuzzing;

/// <summary>
/// One decoder (or receive path) under fuzzing. The harness asks for an input, then runs it: true when the target
/// accepted it, false when it refused it. Throwing is the failure the harness looks for; a broken invariant that is
/// not an exception is reported by throwing <see cref="FuzzViolationException"/>. Targets are single-threaded.
/// </summary>
public abstract class FuzzTarget : IDisposable
{
    protected FuzzTarget(string name, string area)
    {
        Name = name;
        Area = area;
    }

    /// <summary>Short stable name, e.g. <c>wire.neighbors</c>.</summary>
    public string Name { get; }

    /// <summary>wire, noise, stun, security or node.</summary>
    public string Area { get; }

    /// <summary>What is decoded, for the report.</summary>
    public abstract string Description { get; }

    /// <summary>The next input, made with <paramref name="rng"/> and <paramref name="mutator"/> from valid encodings.</summary>
    public abstract byte[] NextInput(Random rng, Mutator mutator);

    /// <summary>Runs one input: true accepted, false refused.</summary>
    public abstract bool Execute(byte[] input);

    /// <summary>Extra context for a failing input (e.g. the plaintext inside a sealed datagram), or null.</summary>
    public virtual string? DescribeLastInput() => null;

    /// <summary>Counters beyond accepted and refused, for the report (e.g. how a live node handled its datagrams).</summary>
    public virtual IReadOnlyDictionary<string, long>? Details => null;

    /// <summary>Called after an exception: rebuild any state the failure may have left broken.</summary>
    public virtual void Reset()
    {
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>A stateless decoder fed mutations of a fixed set of valid encodings.</summary>
public sealed class DecoderTarget : FuzzTarget
{
    private readonly byte[][] _seeds;
    private readonly Func<byte[], bool> _decode;
    private readonly int _maxLength;

    public DecoderTarget(string name, string area, string description, IEnumerable<byte[]> seeds, Func<byte[], bool> decode, int maxLength = 2048)
        : base(name, area)
    {
        Description = description;
        _seeds = [.. seeds];
        if (_seeds.Length == 0) throw new ArgumentException($"{name}: no seeds", nameof(seeds));
        _decode = decode;
        _maxLength = maxLength;
    }

    public override string Description { get; }

    public IReadOnlyList<byte[]> Seeds => _seeds;

    public override byte[] NextInput(Random rng, Mutator mutator) => mutator.Mutate(rng, _seeds, _maxLength);

    public override bool Execute(byte[] input) => _decode(input);
}

/// <summary>An invariant that is not an exception failed: the input is reported like one that threw.</summary>
public sealed class FuzzViolationException : Exception
{
    public FuzzViolationException()
    {
    }

    public FuzzViolationException(string message)
        : base(message)
    {
    }

    public FuzzViolationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

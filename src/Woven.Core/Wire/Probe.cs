namespace Woven.Wire;

/// <summary>Routed payload used to measure routing: id (8), sender timestamp (8).</summary>
public readonly record struct Probe(ulong Id, long SentTimestamp)
{
    public const int Size = 16;

    public bool TryWrite(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.U64(Id);
        w.U64((ulong)SentTimestamp);
        return w.Ok && w.Position == Size;
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out Probe probe)
    {
        var r = new SpanReader(payload);
        probe = new Probe(r.U64(), (long)r.U64());
        return r.AtEnd;
    }
}

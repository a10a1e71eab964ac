using System.Net;
using Woven.Addressing;

namespace Woven.Wire;

/// <summary>One ring neighbour: its address and an endpoint where it can be reached.</summary>
public readonly record struct NeighborEntry(RingAddress Address, IPEndPoint Endpoint);

[Flags]
public enum NeighborsFlags : byte
{
    None = 0,
    /// <summary>An answer to a neighbour list: never answered itself, so two nodes cannot echo forever.</summary>
    Reply = 0x01,
}

/// <summary>
/// A node's view of its ring neighbourhood, sent to its near links for stabilization.
/// Body: sender address (20), flags (1), count (1, at most <see cref="MaxEntries"/>), entries (address 20, endpoint).
/// </summary>
public sealed record Neighbors(RingAddress Sender, NeighborsFlags Flags, NeighborEntry[] Entries)
{
    public const int MaxEntries = 16;

    public int Size
    {
        get
        {
            int size = Envelope.HeaderSize + RingAddress.Size + 2;
            foreach (var e in Entries) size += RingAddress.Size + SpanWriter.EndpointSize(e.Endpoint);
            return size;
        }
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        var w = new SpanWriter(destination);
        Envelope.WriteHeader(ref w, MessageType.Neighbors);
        w.Address(Sender);
        w.U8((byte)Flags);
        if (Entries.Length > MaxEntries) throw new InvalidOperationException($"at most {MaxEntries} neighbour entries");
        w.U8((byte)Entries.Length);
        foreach (var e in Entries)
        {
            w.Address(e.Address);
            w.Endpoint(e.Endpoint);
        }
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out Neighbors? message)
    {
        message = null;
        var r = new SpanReader(body);
        var sender = r.Address();
        var flags = (NeighborsFlags)r.U8();
        int count = r.U8();
        if (!r.Ok || count > MaxEntries || (flags & ~NeighborsFlags.Reply) != 0) return false;
        var entries = new NeighborEntry[count];
        for (int i = 0; i < count; i++)
        {
            var a = r.Address();
            var ep = r.Endpoint();
            if (ep is null) return false;
            entries[i] = new NeighborEntry(a, ep);
        }
        if (!r.AtEnd) return false;
        message = new Neighbors(sender, flags, entries);
        return true;
    }
}

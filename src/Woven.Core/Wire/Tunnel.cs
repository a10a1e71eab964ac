using Woven.Addressing;

namespace Woven.Wire;

/// <summary>
/// Routed payload that carries a whole overlay datagram to <c>Final</c> through the routed message's destination
/// (the relay): payload = final address (20), inner datagram. The relay hands it on to the final node over its
/// direct link; the final node processes the inner datagram as coming from the routed message's source.
/// Tunnels are not nested.
/// </summary>
public static class Tunnel
{
    public const int HeaderSize = RingAddress.Size;

    /// <summary>The largest inner datagram a tunnel can carry in one datagram.</summary>
    public const int MaxInner = Routed.MaxPayload - HeaderSize;

    public static bool TryWrite(Span<byte> destination, RingAddress final, ReadOnlySpan<byte> inner, out int written)
    {
        written = 0;
        if (inner.Length > MaxInner || destination.Length < HeaderSize + inner.Length) return false;
        final.Write(destination);
        inner.CopyTo(destination[HeaderSize..]);
        written = HeaderSize + inner.Length;
        return true;
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out RingAddress final, out ReadOnlySpan<byte> inner)
    {
        final = default;
        inner = default;
        if (payload.Length < HeaderSize + Envelope.HeaderSize) return false;
        final = RingAddress.Read(payload);
        inner = payload[HeaderSize..];
        return true;
    }
}

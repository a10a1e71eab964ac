using Woven.Addressing;

namespace Woven.Wire;

/// <summary>How a routed message ends.</summary>
public enum RoutingMode : byte
{
    /// <summary>Delivered only to the node whose address equals the destination; dropped otherwise.</summary>
    Exact = 1,
    /// <summary>Delivered to the node nearest the destination key.</summary>
    Nearest = 2,
}

[Flags]
public enum RoutedFlags : byte
{
    None = 0,
    /// <summary>Nearest mode: the origin itself never counts as the nearest node (used to find one's own neighbours).</summary>
    ExcludeOrigin = 0x01,
    /// <summary>A tunnel routed over the ring straight to its final node, with no fixed relay (the last resort of a relayed link).</summary>
    ViaRing = 0x02,
}

/// <summary>What a routed message carries.</summary>
public enum RoutedPayloadType : byte
{
    ConnectToMe = 1,
    Probe = 2,
    Data = 3,
    /// <summary>A whole overlay datagram carried to a final node through a relay (see <see cref="Tunnel"/>).</summary>
    Tunnel = 4,
    /// <summary>Asks the destination to start connectivity checks towards the sender (see <see cref="LinkIntent"/>).</summary>
    LinkIntent = 5,
    /// <summary>A DHT request, replica operation or reply (see <see cref="Dht.DhtMessage"/>).</summary>
    Dht = 6,
    /// <summary>An IP packet of the virtual network, sent over the sender's own link with the receiver (see <see cref="Vnet.VirtualNetwork"/>).</summary>
    IpPacket = 7,
    /// <summary>An overlay-level echo request or reply (<c>woven ping</c>, see <see cref="Overlay.OverlayEcho"/>).</summary>
    Echo = 8,
    /// <summary>One piece of an IP packet larger than one datagram carries (see <see cref="Vnet.VirtualNetwork"/>).</summary>
    IpFragment = 9,
    /// <summary>A peer-messaging frame: data, acknowledgement or presence beacon (see <see cref="Messaging.MessageService"/>).</summary>
    Message = 10,
}

/// <summary>
/// A message routed greedily over the overlay. Body: source (20), destination (20), mode (1),
/// flags (1), hops (1), hop limit (1), payload type (1), payload length (2), payload.
/// The header is a value; the payload stays a slice of the datagram so forwarding copies nothing but the bytes.
/// </summary>
public readonly record struct Routed(
    RingAddress Source,
    RingAddress Destination,
    RoutingMode Mode,
    RoutedFlags Flags,
    byte Hops,
    byte HopLimit,
    RoutedPayloadType PayloadType,
    int PayloadOffset,
    int PayloadLength)
{
    public const int HeaderSize = RingAddress.Size * 2 + 7;

    /// <summary>Offset of the hop count from the start of the datagram (envelope included).</summary>
    public const int HopsOffsetInDatagram = Envelope.HeaderSize + RingAddress.Size * 2 + 2;

    /// <summary>The largest payload that still fits one datagram.</summary>
    public const int MaxPayload = Envelope.MaxDatagramSize - Envelope.HeaderSize - HeaderSize;

    public const byte DefaultHopLimit = 64;

    public static int SizeWith(int payloadLength) => Envelope.HeaderSize + HeaderSize + payloadLength;

    public bool TryWrite(Span<byte> destination, ReadOnlySpan<byte> payload, out int written)
    {
        written = 0;
        if (payload.Length > MaxPayload) return false;
        var w = new SpanWriter(destination);
        Envelope.WriteHeader(ref w, MessageType.Routed);
        w.Address(Source);
        w.Address(Destination);
        w.U8((byte)Mode);
        w.U8((byte)Flags);
        w.U8(Hops);
        w.U8(HopLimit);
        w.U8((byte)PayloadType);
        w.U16((ushort)payload.Length);
        w.Bytes(payload);
        written = w.Position;
        return w.Ok;
    }

    /// <summary>Reads the header from a body (the datagram after the envelope). Payload offsets are relative to the body.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out Routed message)
    {
        message = default;
        var r = new SpanReader(body);
        var src = r.Address();
        var dst = r.Address();
        var mode = (RoutingMode)r.U8();
        var flags = (RoutedFlags)r.U8();
        byte hops = r.U8();
        byte limit = r.U8();
        var type = (RoutedPayloadType)r.U8();
        int length = r.U16();
        if (!r.Ok || r.Remaining != length) return false;
        if (mode is not (RoutingMode.Exact or RoutingMode.Nearest)) return false;
        if ((flags & ~(RoutedFlags.ExcludeOrigin | RoutedFlags.ViaRing)) != 0) return false;
        if (!Enum.IsDefined(type)) return false;
        if (hops > limit) return false;
        message = new Routed(src, dst, mode, flags, hops, limit, type, HeaderSize, length);
        return true;
    }
}

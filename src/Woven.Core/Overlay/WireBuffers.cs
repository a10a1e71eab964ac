using Woven.Wire;

namespace Woven.Overlay;

/// <summary>
/// Scratch space for encoding outgoing datagrams. A node only uses it inside its lock and never keeps a reference
/// across calls, so nodes driven by one thread (the simulator's loop) can share one instance: 100,000 simulated
/// nodes then do not carry 3 KB of buffers each.
/// </summary>
public sealed class WireBuffers
{
    public byte[] Datagram { get; } = new byte[Envelope.MaxDatagramSize];

    public byte[] Payload { get; } = new byte[Routed.MaxPayload];

    /// <summary>Holds a datagram while it is wrapped into a tunnel.</summary>
    public byte[] Inner { get; } = new byte[Envelope.MaxDatagramSize];
}

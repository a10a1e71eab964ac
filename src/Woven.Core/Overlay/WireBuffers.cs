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

    /// <summary>X25519 twins of node keys already converted (the conversion is a modular inversion).</summary>
    internal Dictionary<Addressing.RingAddress, byte[]> StaticKeys { get; } = [];

    internal byte[]? StaticKeyOf(ReadOnlySpan<byte> nodeKey)
    {
        var address = Addressing.RingAddress.FromPublicKey(nodeKey);
        if (StaticKeys.TryGetValue(address, out var known)) return known;
        var computed = Crypto.NodeIdentity.StaticDhPublicKey(nodeKey);
        if (computed is null) return null;
        if (StaticKeys.Count >= 250_000) StaticKeys.Clear();
        StaticKeys[address] = computed;
        return computed;
    }

    /// <summary>Holds a datagram while it is sealed for a link.</summary>
    public byte[] Seal { get; } = new byte[Envelope.MaxDatagramSize];

    /// <summary>Holds a datagram while it is wrapped into a tunnel.</summary>
    public byte[] Inner { get; } = new byte[Envelope.MaxDatagramSize];
}

using System.Collections.Concurrent;

namespace Woven.Vnet;

/// <summary>An in-memory TUN device: what the "host" sends goes through <see cref="Inject"/>; what the node writes is collected.</summary>
public sealed class MemoryTun(string name = "mem0", int mtu = VirtualNetwork.DefaultMtu) : ITunDevice
{
    private readonly BlockingCollection<byte[]> _toNode = new();

    public string Name { get; } = name;

    public int Mtu { get; } = mtu;

    /// <summary>Packets the node wrote to the host, oldest first.</summary>
    public ConcurrentQueue<byte[]> Written { get; } = new();

    /// <summary>Called for every packet the node writes (after it is queued in <see cref="Written"/>).</summary>
    public Action<byte[]>? OnWrite { get; set; }

    /// <summary>The host sends a packet into the interface.</summary>
    public void Inject(byte[] packet) => _toNode.Add(packet);

    public int Read(Span<byte> packet)
    {
        try
        {
            var next = _toNode.Take();
            next.CopyTo(packet);
            return next.Length;
        }
        catch (InvalidOperationException)
        {
            return 0;
        }
    }

    public void Write(ReadOnlySpan<byte> packet)
    {
        var copy = packet.ToArray();
        Written.Enqueue(copy);
        OnWrite?.Invoke(copy);
    }

    public void Dispose() => _toNode.CompleteAdding();
}

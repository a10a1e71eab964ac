using System.Collections.Concurrent;

namespace Woven.Vnet;

/// <summary>An in-memory TUN device: what the "host" sends goes through <see cref="Inject"/>; what the node writes is collected.</summary>
public sealed class MemoryTun(string name = "mem0", int mtu = VirtualNetwork.DefaultMtu) : ITunDevice
{
    private readonly Queue<byte[]> _toNode = new();
    private bool _disposed;

    public string Name { get; } = name;

    public int Mtu { get; } = mtu;

    /// <summary>Packets the node wrote to the host, oldest first.</summary>
    public ConcurrentQueue<byte[]> Written { get; } = new();

    /// <summary>Called for every packet the node writes (after it is queued in <see cref="Written"/>).</summary>
    public Action<byte[]>? OnWrite { get; set; }

    /// <summary>The host sends a packet into the interface.</summary>
    public void Inject(byte[] packet)
    {
        lock (_toNode)
        {
            if (_disposed) return;
            _toNode.Enqueue(packet);
            Monitor.PulseAll(_toNode);
        }
    }

    public bool WaitReadable(int timeoutMilliseconds)
    {
        lock (_toNode)
        {
            if (_toNode.Count == 0 && !_disposed) Monitor.Wait(_toNode, timeoutMilliseconds);
            return _toNode.Count > 0 && !_disposed;
        }
    }

    public int TryRead(Span<byte> packet)
    {
        lock (_toNode)
        {
            if (_disposed || !_toNode.TryDequeue(out var next)) return 0;
            next.CopyTo(packet);
            return next.Length;
        }
    }

    public void Write(ReadOnlySpan<byte> packet)
    {
        var copy = packet.ToArray();
        Written.Enqueue(copy);
        OnWrite?.Invoke(copy);
    }

    public void Dispose()
    {
        lock (_toNode)
        {
            _disposed = true;
            Monitor.PulseAll(_toNode);
        }
    }
}

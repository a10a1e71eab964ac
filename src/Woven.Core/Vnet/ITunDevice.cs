namespace Woven.Vnet;

/// <summary>
/// A layer-3 virtual interface: whole IP packets in and out, no link header. The real one is a Linux TUN device
/// (<c>Woven.Platform.Tun.LinuxTun</c>); tests use <see cref="MemoryTun"/>. Reading is split in two so that the waiting
/// can be done elsewhere: one reader, either a thread of <see cref="VirtualNetwork"/> that waits with
/// <see cref="WaitReadable"/>, or a thread that polls the device's descriptor together with its socket
/// (<see cref="VirtualNetwork.ReadQueued"/>), then takes what is queued with <see cref="TryRead"/>.
/// </summary>
public interface ITunDevice : IDisposable
{
    string Name { get; }

    int Mtu { get; }

    /// <summary>
    /// Waits at most <paramref name="timeoutMilliseconds"/> for a packet the host sent into the interface; true when one
    /// is queued (another reader may still take it first), false on timeout or once disposed.
    /// </summary>
    bool WaitReadable(int timeoutMilliseconds);

    /// <summary>Takes one queued packet without waiting: its length, or 0 when none is queued (or once disposed).</summary>
    int TryRead(Span<byte> packet);

    /// <summary>Hands a packet to the host as if it had arrived on the interface.</summary>
    void Write(ReadOnlySpan<byte> packet);
}

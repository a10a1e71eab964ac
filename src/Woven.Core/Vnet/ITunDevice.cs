namespace Woven.Vnet;

/// <summary>
/// A layer-3 virtual interface: whole IP packets in and out, no link header. The real one is a Linux TUN device
/// (<c>Woven.Platform.Tun.LinuxTun</c>); tests use <see cref="MemoryTun"/>.
/// </summary>
public interface ITunDevice : IDisposable
{
    string Name { get; }

    int Mtu { get; }

    /// <summary>Blocks until a packet the host sent into the interface arrives; returns its length, 0 once disposed.</summary>
    int Read(Span<byte> packet);

    /// <summary>Hands a packet to the host as if it had arrived on the interface.</summary>
    void Write(ReadOnlySpan<byte> packet);
}

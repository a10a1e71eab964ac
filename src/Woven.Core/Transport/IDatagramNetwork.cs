using System.Net;

namespace Woven.Transport;

/// <summary>Receives one datagram. The span is only valid during the call.</summary>
public delegate void DatagramHandler(IPEndPoint from, ReadOnlySpan<byte> datagram);

/// <summary>
/// The network seam: protocol code never opens a socket, it is handed one of these.
/// The real implementation wraps <c>System.Net.Sockets</c>; the simulator's delivers datagrams through
/// modelled links in virtual time.
/// </summary>
public interface IDatagramNetwork
{
    /// <summary>Binds a socket. Port 0 picks a free port; <see cref="IDatagramSocket.LocalEndPoint"/> tells which.</summary>
    IDatagramSocket Bind(IPEndPoint local);
}

/// <summary>
/// One UDP socket. Contract: the handler passed to <see cref="Start"/> is never called concurrently with itself;
/// <see cref="Send"/> may be called from any thread and never throws for network errors (a datagram is best effort);
/// after <see cref="IDisposable.Dispose"/> sends are ignored and the handler is not called again.
/// </summary>
public interface IDatagramSocket : IDisposable
{
    IPEndPoint LocalEndPoint { get; }

    void Start(DatagramHandler handler);

    void Send(IPEndPoint to, ReadOnlySpan<byte> datagram);

    /// <summary>
    /// Sends several datagrams to one endpoint: <paramref name="segments"/> holds them end to end, each
    /// <paramref name="segmentSize"/> bytes except the last, which may be shorter. A socket that can hand them to the
    /// kernel in one call (UDP generic segmentation offload, <c>UDP_SEGMENT</c>) does; on the wire they are the same
    /// separate datagrams either way. This default sends them one by one, so the simulator and other sockets need
    /// nothing more.
    /// </summary>
    void SendSegments(IPEndPoint to, ReadOnlySpan<byte> segments, int segmentSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentSize);
        for (int at = 0; at < segments.Length; at += segmentSize) Send(to, segments.Slice(at, Math.Min(segmentSize, segments.Length - at)));
    }
}

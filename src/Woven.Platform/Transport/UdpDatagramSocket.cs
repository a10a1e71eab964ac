using System.Net;
using System.Net.Sockets;
using Woven.Transport;

namespace Woven.Platform.Transport;

/// <summary>
/// A UDP socket with one receive thread. Datagrams are read into one reusable 64 KiB buffer (so oversized ones are
/// seen whole and can be counted) and handed to the handler serially; the sender's <see cref="IPEndPoint"/> comes
/// from a small cache so a steady peer costs no allocation per datagram.
/// </summary>
public sealed class UdpDatagramSocket : IDatagramSocket
{
    private const int EndpointCacheLimit = 4096;

    private readonly Socket _socket;
    private readonly Dictionary<SocketAddress, IPEndPoint> _endpoints = [];
    private Thread? _thread;
    private volatile bool _disposed;

    internal UdpDatagramSocket(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    private long _handlerFaults;
    private long _sendErrors;

    /// <summary>Exceptions thrown by the handler (a protocol bug if ever non-zero); the loop survives them.</summary>
    public long HandlerFaults => Interlocked.Read(ref _handlerFaults);

    /// <summary>Sends that the kernel refused (unreachable network and the like).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    public void Start(DatagramHandler handler)
    {
        if (_thread is not null) throw new InvalidOperationException("already started");
        _thread = new Thread(() => ReceiveLoop(handler)) { IsBackground = true, Name = $"udp {LocalEndPoint}" };
        _thread.Start();
    }

    private void ReceiveLoop(DatagramHandler handler)
    {
        var buffer = new byte[65536];
        var address = new SocketAddress(_socket.AddressFamily);
        while (!_disposed)
        {
            int n;
            try
            {
                n = _socket.ReceiveFrom(buffer, SocketFlags.None, address);
            }
            catch (SocketException) when (!_disposed)
            {
                continue; // e.g. ICMP errors surfacing on the socket: nothing to do with the next datagram
            }
            catch (Exception) when (_disposed)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            var from = Lookup(address);
            try
            {
                handler(from, buffer.AsSpan(0, n));
            }
            catch (Exception)
            {
                Interlocked.Increment(ref _handlerFaults);
            }
        }
    }

    private IPEndPoint Lookup(SocketAddress address)
    {
        if (_endpoints.TryGetValue(address, out var ep)) return ep;
        if (_endpoints.Count >= EndpointCacheLimit) _endpoints.Clear();
        ep = (IPEndPoint)LocalEndPoint.Create(address);
        if (ep.Address.IsIPv4MappedToIPv6) ep = new IPEndPoint(ep.Address.MapToIPv4(), ep.Port);
        var key = new SocketAddress(address.Family, address.Size);
        address.Buffer.CopyTo(key.Buffer);
        _endpoints[key] = ep;
        return ep;
    }

    public void Send(IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        if (_disposed) return;
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, to);
        }
        catch (SocketException)
        {
            Interlocked.Increment(ref _sendErrors);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _socket.Dispose();
        if (_thread is not null && _thread != Thread.CurrentThread) _thread.Join(TimeSpan.FromSeconds(2));
    }
}

using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Woven.Transport;

namespace Woven.Platform.Transport;

/// <summary>
/// The node's socket: UDP, plus TCP on the same port number for sites that let no UDP out. Datagrams to a
/// <see cref="TcpEndPoint"/> travel as frames (length u16, bytes) over a TCP connection that is opened on first use
/// or was opened by the peer; datagrams from it reach the handler with the connection's remote end as a
/// <see cref="TcpEndPoint"/>. Calls to the handler are serialized across both transports.
/// </summary>
public sealed class DualTransportSocket : IDatagramSocket
{
    /// <summary>Frames larger than this close the connection: nothing legitimate is that big.</summary>
    public const int MaxFrame = 9000;

    private const int MaxConnections = 256;
    private const int QueuePerConnection = 256;

    private readonly UdpDatagramSocket _udp;
    private readonly Socket? _listener;
    private readonly ConcurrentDictionary<TcpEndPoint, TcpLink> _links = new();
    private readonly Lock _handlerGate = new();
    private readonly CancellationTokenSource _stop = new();
    private DatagramHandler? _handler;
    private long _tcpFramesIn, _tcpFramesOut, _tcpDropped;

    public DualTransportSocket(UdpDatagramSocket udp, bool listenTcp)
    {
        _udp = udp;
        if (!listenTcp) return;
        var listener = new Socket(udp.LocalEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(udp.LocalEndPoint);
            listener.Listen(64);
            _listener = listener;
        }
        catch (SocketException)
        {
            listener.Dispose(); // TCP port taken: the node still works over UDP, and dials out over TCP.
        }
    }

    public IPEndPoint LocalEndPoint => _udp.LocalEndPoint;

    public bool ListeningTcp => _listener is not null;

    public long HandlerFaults => _udp.HandlerFaults;

    public long SendErrors => _udp.SendErrors + Interlocked.Read(ref _tcpDropped);

    public long TcpFramesIn => Interlocked.Read(ref _tcpFramesIn);

    public long TcpFramesOut => Interlocked.Read(ref _tcpFramesOut);

    public void Start(DatagramHandler handler)
    {
        _handler = handler;
        _udp.Start((from, data) =>
        {
            lock (_handlerGate) handler(from, data);
        });
        // On the thread pool, never inline: the caller may hold the overlay's lock (see TcpLink.Start).
        if (_listener is not null) _ = Task.Run(() => AcceptLoopAsync(_listener));
    }

    public void Send(IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        if (to is not TcpEndPoint tcp)
        {
            _udp.Send(to, datagram);
            return;
        }
        if (_stop.IsCancellationRequested || datagram.Length > MaxFrame) return;
        if (!_links.TryGetValue(tcp, out var link))
        {
            if (_links.Count >= MaxConnections)
            {
                Interlocked.Increment(ref _tcpDropped);
                return;
            }
            var fresh = new TcpLink(this, tcp, null);
            link = _links.GetOrAdd(tcp, fresh);
            if (ReferenceEquals(link, fresh)) fresh.Start(connect: true);
        }
        if (!link.Enqueue(datagram)) Interlocked.Increment(ref _tcpDropped);
    }

    /// <summary>Over UDP in one system call where the kernel allows it (GSO); to a TCP peer as one frame per datagram.</summary>
    public void SendSegments(IPEndPoint to, ReadOnlySpan<byte> segments, int segmentSize)
    {
        if (to is not TcpEndPoint)
        {
            _udp.SendSegments(to, segments, segmentSize);
            return;
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentSize);
        for (int at = 0; at < segments.Length; at += segmentSize) Send(to, segments.Slice(at, Math.Min(segmentSize, segments.Length - at)));
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            var remote = TcpEndPoint.From((IPEndPoint)accepted.RemoteEndPoint!);
            if (remote.Address.IsIPv4MappedToIPv6) remote = new TcpEndPoint(remote.Address.MapToIPv4(), remote.Port);
            if (_links.Count >= MaxConnections)
            {
                accepted.Dispose();
                continue;
            }
            var link = new TcpLink(this, remote, accepted);
            if (_links.TryGetValue(remote, out var old)) old.Close();
            _links[remote] = link;
            link.Start(connect: false);
        }
    }

    private void Deliver(TcpEndPoint from, ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _tcpFramesIn);
        var handler = _handler;
        if (handler is null) return;
        lock (_handlerGate)
        {
            try
            {
                handler(from, frame);
            }
            catch (Exception)
            {
                // counted by the UDP side's fault counter only for UDP; a TCP fault closes nothing either
            }
        }
    }

    private void Forget(TcpEndPoint remote, TcpLink link)
    {
        _links.TryRemove(new KeyValuePair<TcpEndPoint, TcpLink>(remote, link));
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _listener?.Dispose();
        foreach (var link in _links.Values) link.Close();
        _udp.Dispose();
    }

    /// <summary>One TCP connection: a bounded queue of outgoing frames (dropped when full), a reader, a writer.</summary>
    private sealed class TcpLink : IDisposable
    {
        private readonly DualTransportSocket? _owner;
        private readonly TcpEndPoint _remote;
        private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueuePerConnection) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        private Socket? _socket;

        public TcpLink(DualTransportSocket? owner, TcpEndPoint remote, Socket? socket)
        {
            _owner = owner;
            _remote = remote;
            _socket = socket;
        }

        /// <summary>
        /// Runs the connection on the thread pool, never inline: <see cref="Send"/> is called with the overlay's lock
        /// held, and a connect or receive that completed synchronously would otherwise deliver a frame (taking the
        /// handler gate) on that thread, the reverse of the UDP thread's order (handler gate, then overlay lock): a
        /// deadlock that hung nodes at start-up.
        /// </summary>
        public void Start(bool connect) => _ = Task.Run(() => RunAsync(connect));

        public bool Enqueue(ReadOnlySpan<byte> datagram) => _owner is not null && _queue.Writer.TryWrite(datagram.ToArray());

        public void Close()
        {
            _queue.Writer.TryComplete();
            _socket?.Dispose();
        }

        public void Dispose() => Close();

        private async Task RunAsync(bool connect)
        {
            var owner = _owner!;
            try
            {
                if (connect)
                {
                    _socket = new Socket(_remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(owner._stop.Token);
                    timeout.CancelAfter(TimeSpan.FromSeconds(3));
                    await _socket.ConnectAsync(new IPEndPoint(_remote.Address, _remote.Port), timeout.Token);
                }
                else
                {
                    _socket!.NoDelay = true;
                }
                var reader = ReadLoopAsync(_socket, owner);
                var writer = WriteLoopAsync(_socket, owner);
                await Task.WhenAny(reader, writer);
            }
            catch (Exception)
            {
                // Connection refused, reset or timed out: the link is forgotten and the next send dials again.
            }
            finally
            {
                Close();
                owner.Forget(_remote, this);
            }
        }

        private async Task ReadLoopAsync(Socket socket, DualTransportSocket owner)
        {
            var header = new byte[2];
            var body = new byte[MaxFrame];
            while (!owner._stop.IsCancellationRequested)
            {
                if (!await ReadExactlyAsync(socket, header, owner._stop.Token)) return;
                int length = BinaryPrimitives.ReadUInt16BigEndian(header);
                if (length == 0 || length > MaxFrame) return; // not our framing: drop the connection
                if (!await ReadExactlyAsync(socket, body.AsMemory(0, length), owner._stop.Token)) return;
                owner.Deliver(_remote, body.AsSpan(0, length));
            }
        }

        private async Task WriteLoopAsync(Socket socket, DualTransportSocket owner)
        {
            var frame = new byte[2 + MaxFrame];
            await foreach (var datagram in _queue.Reader.ReadAllAsync(owner._stop.Token))
            {
                BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)datagram.Length);
                datagram.CopyTo(frame, 2);
                await socket.SendAsync(frame.AsMemory(0, 2 + datagram.Length), SocketFlags.None, owner._stop.Token);
                Interlocked.Increment(ref owner._tcpFramesOut);
            }
        }

        private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
        {
            int read = 0;
            while (read < buffer.Length)
            {
                int n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, ct);
                if (n == 0) return false;
                read += n;
            }
            return true;
        }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Woven.Transport;

namespace Woven.Platform.Transport;

/// <summary>
/// A UDP socket with one receive thread. On Linux it batches both ways: <see cref="SendSegments"/> hands many
/// datagrams for one endpoint to the kernel in one <c>sendmsg</c> with <c>UDP_SEGMENT</c> (GSO), and the receive loop
/// asks for <c>UDP_GRO</c>, so one <c>recvmsg</c> may return several datagrams of one sender laid end to end, which it
/// cuts apart again by the size the kernel reports. It waits in <c>poll</c> with a short timeout only when nothing is
/// queued, so that <see cref="Dispose"/> ends it; a descriptor attached with <see cref="AttachReader"/> (the TUN device)
/// is waited for in the same <c>poll</c> and served by the same thread. Where the kernel refuses either feature the socket falls back to one
/// datagram per system call; elsewhere than Linux it uses <see cref="Socket"/> alone. Datagrams are read into one
/// reusable 64 KiB buffer (so oversized ones are seen whole and can be counted) and handed to the handler serially;
/// the sender's <see cref="IPEndPoint"/> comes from a small cache so a steady peer costs no allocation per datagram.
/// </summary>
public sealed class UdpDatagramSocket : IDatagramSocket
{
    private const int EndpointCacheLimit = 4096;
    private const int PollTimeoutMs = 200;

    /// <summary>Datagrams received in a row before an attached descriptor gets a turn (see <see cref="AttachReader"/>).</summary>
    public const int ReaderTurn = 32;

    private readonly Socket _socket;
    private readonly int _fd;
    private readonly Dictionary<SocketAddress, IPEndPoint> _endpoints = [];
    private Thread? _thread;
    private volatile bool _disposed;
    private volatile bool _gso;
    private int _readerFd = -1; // read and written with Volatile/Interlocked
    private Func<int>? _reader;
    private int _closed;

    internal UdpDatagramSocket(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        if (OperatingSystem.IsLinux())
        {
            _fd = (int)socket.Handle;
            _gso = true; // tried on the first batch; a refusal turns it off
            GroEnabled = SetUdpOption(LinuxUdp.UdpGro, 1);
        }
    }

    public IPEndPoint LocalEndPoint { get; }

    private long _handlerFaults;
    private long _sendErrors;
    private long _segmentedSends;
    private long _coalescedReceives;

    /// <summary>Exceptions thrown by the handler (a protocol bug if ever non-zero); the loop survives them.</summary>
    public long HandlerFaults => Interlocked.Read(ref _handlerFaults);

    /// <summary>Sends that the kernel refused (unreachable network and the like).</summary>
    public long SendErrors => Interlocked.Read(ref _sendErrors);

    /// <summary>System calls that sent more than one datagram (UDP GSO).</summary>
    public long SegmentedSends => Interlocked.Read(ref _segmentedSends);

    /// <summary>Receive calls that returned more than one datagram (UDP GRO).</summary>
    public long CoalescedReceives => Interlocked.Read(ref _coalescedReceives);

    /// <summary>Whether batches still go out with UDP GSO (false once the kernel refused it, and off Linux).</summary>
    public bool GsoEnabled => _gso && OperatingSystem.IsLinux();

    /// <summary>Whether the kernel accepted <c>UDP_GRO</c> on this socket.</summary>
    public bool GroEnabled { get; }

    /// <summary>Turns UDP GSO off, as if the kernel had refused it (for tests of the fallback).</summary>
    public void DisableGso() => _gso = false;

    public void Start(DatagramHandler handler)
    {
        if (_thread is not null) throw new InvalidOperationException("already started");
        _thread = new Thread(() =>
        {
            try
            {
                if (OperatingSystem.IsLinux()) ReceiveLoopLinux(handler);
                else ReceiveLoop(handler);
            }
            finally
            {
                if (_disposed) CloseSocket();
            }
        })
        { IsBackground = true, Name = $"udp {LocalEndPoint}" };
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
            Deliver(handler, address, buffer.AsSpan(0, n), 0);
        }
    }

    private unsafe void ReceiveLoopLinux(DatagramHandler handler)
    {
        var buffer = GC.AllocateArray<byte>(65536, pinned: true);
        var control = GC.AllocateArray<byte>(LinuxUdp.ControlSpace * 2, pinned: true);
        var address = new SocketAddress(_socket.AddressFamily);
        var name = GC.AllocateArray<byte>(address.Buffer.Length, pinned: true);
        fixed (byte* data = buffer, cmsg = control, sockaddr = name)
        {
            var iov = new LinuxUdp.IoVec { Base = data, Length = (nuint)buffer.Length };
            int run = 0; // datagrams since the last wait
            while (!_disposed)
            {
                var message = new LinuxUdp.MsgHdr
                {
                    Name = sockaddr,
                    NameLength = (uint)name.Length,
                    Iov = &iov,
                    IovLength = 1,
                    Control = cmsg,
                    ControlLength = (nuint)control.Length,
                };
                nint n = LinuxUdp.RecvMsg(_fd, &message, LinuxUdp.MsgDontWait);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxUdp.Eagain)
                    {
                        run = 0;
                        // While only the device has something (a lone packet from the host), wait again at once rather
                        // than ask the socket for a datagram that poll did not report.
                        while (Wait(PollTimeoutMs) == WaitResult.DeviceOnly && !_disposed)
                        {
                        }
                    }
                    continue; // EINTR, or an ICMP error surfacing on the socket: nothing to do with the next datagram
                }
                if (_disposed) return;
                address.Size = (int)Math.Min(message.NameLength, (uint)name.Length);
                name.AsSpan(0, address.Size).CopyTo(address.Buffer.Span);
                int segment = GroEnabled ? LinuxUdp.GroSegmentSize(cmsg, message.ControlLength) : 0;
                Deliver(handler, address, buffer.AsSpan(0, (int)n), segment);
                if (++run >= ReaderTurn && Volatile.Read(ref _readerFd) >= 0)
                {
                    run = 0;
                    _ = Wait(0); // the attached descriptor's turn in a long burst
                }
            }
        }
    }

    /// <summary>
    /// Makes the receive thread wait for descriptor <paramref name="fd"/> as well and call <paramref name="reader"/> when
    /// it is readable (the reader takes what is queued there, a bounded number, and returns how many), instead of the
    /// caller keeping a thread of its own for it: one thread waits for both, as tinc's select loop does. The virtual
    /// network attaches its TUN device, so that the host's answer to a packet this thread just wrote to the device (an
    /// echo reply, a TCP ACK) is read and sent by this thread, which is running anyway, rather than by another thread
    /// that has to be woken for it (on a busy machine, a wait for a free core). In a long burst of datagrams the
    /// descriptor gets a turn every <see cref="ReaderTurn"/> of them. The descriptor must stay open until one poll
    /// timeout (200 ms) after <see cref="DetachReader"/>; an error on it detaches it. Linux only: false elsewhere.
    /// </summary>
    public bool AttachReader(int fd, Func<int> reader)
    {
        if (!OperatingSystem.IsLinux() || fd < 0) return false;
        _reader = reader;
        Volatile.Write(ref _readerFd, fd);
        return true;
    }

    /// <summary>Stops waiting for the attached descriptor (its reader is not called again once the current wait is over).</summary>
    public void DetachReader() => Volatile.Write(ref _readerFd, -1);

    /// <summary>Whether a descriptor is attached (see <see cref="AttachReader"/>).</summary>
    public bool ReaderAttached => Volatile.Read(ref _readerFd) >= 0;

    private enum WaitResult
    {
        /// <summary>The socket may have something (or the wait timed out, or was interrupted).</summary>
        Socket,

        /// <summary>Only the attached descriptor was readable, and its reader ran.</summary>
        DeviceOnly,
    }

    /// <summary>Waits for the socket and the attached descriptor, and serves the descriptor when it is readable.</summary>
    private unsafe WaitResult Wait(int timeoutMs)
    {
        int extra = Volatile.Read(ref _readerFd);
        var fds = stackalloc LinuxUdp.PollFd[2];
        fds[0] = new LinuxUdp.PollFd { Fd = _fd, Events = LinuxUdp.PollIn };
        fds[1] = new LinuxUdp.PollFd { Fd = extra, Events = LinuxUdp.PollIn };
        int ready = LinuxUdp.Poll(fds, extra >= 0 ? 2u : 1u, timeoutMs);
        if (ready <= 0 || extra < 0 || fds[1].Revents == 0 || _disposed) return WaitResult.Socket;
        if ((fds[1].Revents & LinuxUdp.PollIn) == 0)
        {
            // POLLERR, POLLHUP or POLLNVAL: the device is gone; waiting for it again would return at once, forever.
            Interlocked.CompareExchange(ref _readerFd, -1, extra);
            Interlocked.Increment(ref _handlerFaults);
            return WaitResult.Socket;
        }
        try
        {
            _reader?.Invoke();
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _handlerFaults);
        }
        return fds[0].Revents == 0 ? WaitResult.DeviceOnly : WaitResult.Socket;
    }

    /// <summary>Hands what one receive returned to the handler: one datagram, or several of <paramref name="segment"/> bytes (the last may be shorter).</summary>
    private void Deliver(DatagramHandler handler, SocketAddress address, ReadOnlySpan<byte> data, int segment)
    {
        var from = Lookup(address);
        if (segment <= 0 || segment >= data.Length)
        {
            Handle(handler, from, data);
            return;
        }
        Interlocked.Increment(ref _coalescedReceives);
        for (int at = 0; at < data.Length && !_disposed; at += segment) Handle(handler, from, data.Slice(at, Math.Min(segment, data.Length - at)));
    }

    private void Handle(DatagramHandler handler, IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        try
        {
            handler(from, datagram);
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _handlerFaults);
        }
    }

    private IPEndPoint Lookup(SocketAddress address)
    {
        if (_endpoints.TryGetValue(address, out var ep)) return ep;
        if (_endpoints.Count >= EndpointCacheLimit) _endpoints.Clear();
        ep = (IPEndPoint)LocalEndPoint.Create(address);
        if (ep.Address.IsIPv4MappedToIPv6) ep = new IPEndPoint(ep.Address.MapToIPv4(), ep.Port);
        var key = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(key.Buffer.Span);
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

    /// <summary>
    /// One <c>sendmsg</c> with <c>UDP_SEGMENT</c> for the whole batch when the kernel takes it (at most
    /// <see cref="LinuxUdp.MaxSegments"/> segments and <see cref="LinuxUdp.MaxBatchBytes"/> bytes per call; a larger
    /// batch goes in several calls); one send per datagram otherwise.
    /// </summary>
    public void SendSegments(IPEndPoint to, ReadOnlySpan<byte> segments, int segmentSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentSize);
        if (_disposed) return;
        if (!OperatingSystem.IsLinux() || !_gso || segments.Length <= segmentSize)
        {
            SendOneByOne(to, segments, segmentSize);
            return;
        }
        int perCall = Math.Max(1, Math.Min(LinuxUdp.MaxSegments, LinuxUdp.MaxBatchBytes / segmentSize)) * segmentSize;
        for (int at = 0; at < segments.Length; at += perCall)
        {
            var part = segments.Slice(at, Math.Min(perCall, segments.Length - at));
            if (part.Length <= segmentSize || !TrySendSegmented(to, part, segmentSize)) SendOneByOne(to, part, segmentSize);
        }
    }

    private void SendOneByOne(IPEndPoint to, ReadOnlySpan<byte> segments, int segmentSize)
    {
        for (int at = 0; at < segments.Length; at += segmentSize) Send(to, segments.Slice(at, Math.Min(segmentSize, segments.Length - at)));
    }

    /// <summary>False when the kernel refused the segmentation itself (then it is off for good and the caller sends one by one).</summary>
    private unsafe bool TrySendSegmented(IPEndPoint to, ReadOnlySpan<byte> segments, int segmentSize)
    {
        Span<byte> sockaddr = stackalloc byte[32];
        int nameLength = LinuxUdp.WriteSockaddr(sockaddr, to, _socket.AddressFamily);
        if (nameLength == 0) return false;
        byte* control = stackalloc byte[LinuxUdp.ControlSpace];
        new Span<byte>(control, LinuxUdp.ControlSpace).Clear();
        var cmsg = (LinuxUdp.CmsgHdr*)control;
        cmsg->Length = (nuint)(sizeof(LinuxUdp.CmsgHdr) + sizeof(ushort));
        cmsg->Level = LinuxUdp.SolUdp;
        cmsg->Type = LinuxUdp.UdpSegment;
        *(ushort*)(control + sizeof(LinuxUdp.CmsgHdr)) = (ushort)segmentSize;
        bool added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added); // the descriptor stays ours until the call returns
            fixed (byte* data = segments, name = sockaddr)
            {
                var iov = new LinuxUdp.IoVec { Base = data, Length = (nuint)segments.Length };
                var message = new LinuxUdp.MsgHdr
                {
                    Name = name,
                    NameLength = (uint)nameLength,
                    Iov = &iov,
                    IovLength = 1,
                    Control = control,
                    ControlLength = LinuxUdp.ControlSpace,
                };
                for (int attempt = 0; ; attempt++)
                {
                    if (LinuxUdp.SendMsg(_fd, &message, 0) >= 0)
                    {
                        Interlocked.Increment(ref _segmentedSends);
                        return true;
                    }
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxUdp.Eintr) continue;
                    if (errno == LinuxUdp.Eagain && attempt < 100)
                    {
                        var pfd = new LinuxUdp.PollFd { Fd = _fd, Events = LinuxUdp.PollOut };
                        _ = LinuxUdp.Poll(&pfd, 1, 10);
                        continue;
                    }
                    if (errno is LinuxUdp.Eio or LinuxUdp.Einval or LinuxUdp.Enoprotoopt or LinuxUdp.Eopnotsupp)
                    {
                        _gso = false; // no GSO on this path (no checksum offload, an old kernel): one by one from now on
                        return false;
                    }
                    Interlocked.Increment(ref _sendErrors);
                    return true;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
        }
    }

    private unsafe bool SetUdpOption(int option, int value) => LinuxUdp.SetSockOpt(_fd, LinuxUdp.SolUdp, option, &value, sizeof(int)) == 0;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // The receive thread uses the raw descriptor: it must be out of its poll before the descriptor is closed, or
        // the number could be reused under it. On the receive thread itself, the loop closes it on its way out.
        if (_thread is null || !OperatingSystem.IsLinux()) CloseSocket(); // Socket's own receive ends when it closes
        else if (_thread != Thread.CurrentThread)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
            CloseSocket();
        }
    }

    private void CloseSocket()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0) _socket.Dispose();
    }
}

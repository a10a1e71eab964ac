using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Woven.Vnet;

namespace Woven.Platform.Tun;

/// <summary>
/// A Linux TUN device through <c>/dev/net/tun</c> (<c>TUNSETIFF</c> with <c>IFF_TUN | IFF_NO_PI</c>: bare IP packets, no
/// packet-information header). Address, MTU and link state are set with iproute2. The descriptor is non-blocking:
/// readers wait in <c>poll</c> (<see cref="WaitReadable"/>, with a short timeout so that <see cref="Dispose"/> ends a
/// waiting reader) and <see cref="TryRead"/> returns 0 when another reader took the packet first.
/// </summary>
public sealed partial class LinuxTun : ITunDevice
{
    private const uint TunSetIff = 0x400454ca; // _IOW('T', 202, int)
    private const short IffTun = 0x0001;
    private const short IffNoPi = 0x1000;
    private const int ORdwr = 2;
    private const int ONonblock = 0x800;
    private const int OCloexec = 0x80000;
    private const short PollIn = 0x0001;
    private const int Eintr = 4;
    private const int Eagain = 11;

    private int _fd;
    private volatile bool _disposed;

    private LinuxTun(int fd, string name, int mtu)
    {
        _fd = fd;
        Name = name;
        Mtu = mtu;
    }

    public string Name { get; }

    /// <summary>The device's descriptor, for a thread that waits for it together with others (-1 once disposed).</summary>
    public int Descriptor => _fd;

    public int Mtu { get; }

    /// <summary>Creates (or attaches to) TUN interface <paramref name="name"/>, sets its MTU and brings it up (the address comes later, with <c>ip addr</c>).</summary>
    public static LinuxTun Create(string name, int mtu)
    {
        if (Encoding.ASCII.GetByteCount(name) is 0 or > 15) throw new ArgumentException($"interface name '{name}': 1 to 15 ASCII characters", nameof(name));
        int fd = Open("/dev/net/tun", ORdwr | ONonblock | OCloexec);
        if (fd < 0) throw new IOException($"cannot open /dev/net/tun ({Marshal.GetLastPInvokeErrorMessage()}); the virtual network needs root (or CAP_NET_ADMIN) and the tun module");
        var ifreq = new byte[40];
        Encoding.ASCII.GetBytes(name, ifreq);
        BitConverter.TryWriteBytes(ifreq.AsSpan(16), (short)(IffTun | IffNoPi));
        unsafe
        {
            fixed (byte* p = ifreq)
            {
                if (Ioctl(fd, TunSetIff, p) < 0)
                {
                    string error = Marshal.GetLastPInvokeErrorMessage();
                    Close(fd);
                    throw new IOException($"cannot create TUN interface {name} ({error})");
                }
            }
        }
        var tun = new LinuxTun(fd, name, mtu);
        try
        {
            Ip("link", "set", "dev", name, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture), "up");
        }
        catch
        {
            tun.Dispose();
            throw;
        }
        return tun;
    }

    /// <summary>Runs <c>ip ARGS</c>; throws with its error output when it fails.</summary>
    public static string Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new IOException("cannot run ip (install iproute2)");
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new IOException($"ip {string.Join(' ', args)}: {stderr.Trim()}");
        return stdout;
    }

    public bool WaitReadable(int timeoutMilliseconds)
    {
        if (_disposed) return false;
        var pfd = new PollFd { Fd = _fd, Events = PollIn };
        int ready;
        unsafe
        {
            ready = Poll(&pfd, 1, timeoutMilliseconds);
        }
        if (ready > 0) return !_disposed;
        if (ready == 0 || _disposed) return false;
        if (Marshal.GetLastPInvokeError() == Eintr) return false;
        throw new IOException($"poll on {Name}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    public int TryRead(Span<byte> packet)
    {
        while (!_disposed)
        {
            nint n;
            unsafe
            {
                fixed (byte* p = packet)
                {
                    n = SysRead(_fd, p, (nuint)packet.Length); // the descriptor is non-blocking: EAGAIN when nothing is queued
                }
            }
            if (n > 0) return (int)n;
            if (n == 0) return 0;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Eintr) continue;
            if (errno == Eagain || _disposed) return 0;
            throw new IOException($"read from {Name}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
        return 0;
    }

    public void Write(ReadOnlySpan<byte> packet)
    {
        if (_disposed) return;
        unsafe
        {
            fixed (byte* p = packet)
            {
                _ = SysWrite(_fd, p, (nuint)packet.Length); // a packet the kernel refuses (bad header) is simply lost
            }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Thread.Sleep(300); // let a reader in poll notice before the descriptor number can be reused
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Close(fd);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int Ioctl(int fd, nuint request, byte* argument);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint SysRead(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint SysWrite(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

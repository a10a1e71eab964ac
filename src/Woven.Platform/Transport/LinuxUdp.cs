using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Woven.Platform.Transport;

/// <summary>
/// Linux UDP system calls that <see cref="Socket"/> does not offer: <c>sendmsg</c> with a <c>UDP_SEGMENT</c> control
/// message (generic segmentation offload: many datagrams of one size to one endpoint in one call, cut by the kernel,
/// or by the NIC, as late as possible) and <c>recvmsg</c> with <c>UDP_GRO</c> (the kernel hands datagrams of one flow
/// over together, with their size in a control message). Layouts are those of x86-64 and arm64 Linux (64-bit
/// pointers and <c>size_t</c>).
/// </summary>
internal static unsafe partial class LinuxUdp
{
    public const int SolUdp = 17;
    public const int UdpSegment = 103;
    public const int UdpGro = 104;

    /// <summary>The kernel's limit on segments per send (UDP_MAX_SEGMENTS).</summary>
    public const int MaxSegments = 64;

    /// <summary>The largest UDP payload in one send: 65,535 less the IPv6 and UDP headers, rounded down.</summary>
    public const int MaxBatchBytes = 65000;

    public const int MsgDontWait = 0x40;
    public const int MsgTrunc = 0x20;
    public const short PollIn = 0x0001;
    public const short PollOut = 0x0004;
    public const int Eintr = 4;
    public const int Eio = 5;
    public const int Eagain = 11;
    public const int Einval = 22;
    public const int Enoprotoopt = 92;
    public const int Eopnotsupp = 95;

    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    /// <summary>Room for one control message carrying an int (CMSG_SPACE(4)).</summary>
    public const int ControlSpace = 24;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>Writes the sockaddr for <paramref name="to"/> as the socket's family wants it (IPv4 mapped into IPv6 for a dual-mode socket); its length, or 0.</summary>
    public static int WriteSockaddr(Span<byte> destination, IPEndPoint to, AddressFamily socketFamily)
    {
        destination[..28].Clear();
        var address = to.Address;
        if (socketFamily == AddressFamily.InterNetwork)
        {
            if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
            if (address.AddressFamily != AddressFamily.InterNetwork) return 0;
            BinaryPrimitives.WriteUInt16LittleEndian(destination, AfInet);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)to.Port);
            return address.TryWriteBytes(destination[4..8], out _) ? 16 : 0;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork) address = address.MapToIPv6();
        BinaryPrimitives.WriteUInt16LittleEndian(destination, AfInet6);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)to.Port);
        if (!address.TryWriteBytes(destination[8..24], out _)) return 0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], (uint)address.ScopeId);
        return 28;
    }

    /// <summary>The segment size the kernel put in a <c>UDP_GRO</c> control message, or 0 when there is none.</summary>
    public static int GroSegmentSize(byte* control, nuint length)
    {
        nuint at = 0;
        while (at + (nuint)sizeof(CmsgHdr) <= length)
        {
            var header = (CmsgHdr*)(control + at);
            if (header->Length < (nuint)sizeof(CmsgHdr) || at + header->Length > length) return 0;
            if (header->Level == SolUdp && header->Type == UdpGro && header->Length >= (nuint)sizeof(CmsgHdr) + 4) return *(int*)(control + at + (nuint)sizeof(CmsgHdr));
            at += (header->Length + 7) & ~(nuint)7;
        }
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, int* value, uint length);
}

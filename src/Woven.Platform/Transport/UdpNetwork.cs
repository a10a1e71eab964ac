using System.Net;
using System.Net.Sockets;
using Woven.Transport;

namespace Woven.Platform.Transport;

/// <summary>The real network: one <see cref="Socket"/> per bound endpoint.</summary>
public sealed class UdpNetwork : IDatagramNetwork
{
    /// <summary>Receive buffer requested from the kernel (it caps it at net.core.rmem_max).</summary>
    public int ReceiveBufferBytes { get; init; } = 4 * 1024 * 1024;

    public IDatagramSocket Bind(IPEndPoint local)
    {
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (local.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = true;
            socket.ReceiveBufferSize = ReceiveBufferBytes;
            socket.Bind(local);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new UdpDatagramSocket(socket);
    }
}

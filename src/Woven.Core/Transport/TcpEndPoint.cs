using System.Net;

namespace Woven.Transport;

/// <summary>
/// An endpoint reached over TCP instead of UDP (the fallback for sites that block UDP). It is never equal to the
/// UDP endpoint with the same address and port, in either direction of comparison that dictionaries use.
/// </summary>
public sealed class TcpEndPoint : IPEndPoint
{
    public TcpEndPoint(IPAddress address, int port)
        : base(address, port)
    {
    }

    public static TcpEndPoint From(IPEndPoint endpoint) => endpoint as TcpEndPoint ?? new TcpEndPoint(endpoint.Address, endpoint.Port);

    public override bool Equals(object? comparand) => comparand is TcpEndPoint && base.Equals(comparand);

    public override int GetHashCode() => base.GetHashCode() ^ 0x5bd1e995;

    public override string ToString() => "tcp:" + base.ToString();
}

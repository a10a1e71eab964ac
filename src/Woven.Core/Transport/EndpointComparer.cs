using System.Net;

namespace Woven.Transport;

/// <summary>
/// Endpoint equality that tells UDP from TCP: <see cref="IPEndPoint.Equals(object)"/> on a UDP endpoint would call a
/// <see cref="TcpEndPoint"/> with the same address and port equal.
/// </summary>
public sealed class EndpointComparer : IEqualityComparer<IPEndPoint>
{
    public static EndpointComparer Instance { get; } = new();

    public bool Equals(IPEndPoint? x, IPEndPoint? y) =>
        ReferenceEquals(x, y) || x is not null && y is not null && (x is TcpEndPoint) == (y is TcpEndPoint) && x.Port == y.Port && x.Address.Equals(y.Address);

    public int GetHashCode(IPEndPoint obj) => obj.GetHashCode();
}

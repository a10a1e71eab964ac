using System.Net;

namespace Woven.Vnet;

/// <summary>
/// Who a peer is in the virtual network, and where that was learnt: <c>certificate</c>, <c>dht</c>,
/// <c>certificate+dht</c> (the name from the certificate, the address from the claim) or <c>none</c>.
/// </summary>
public sealed record PeerIdentity(string? Name, IPAddress? Vip, string Source)
{
    public static readonly PeerIdentity Unknown = new(null, null, "none");
}

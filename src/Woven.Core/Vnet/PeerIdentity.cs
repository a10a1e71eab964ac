using System.Net;

namespace Woven.Vnet;

/// <summary>
/// Who a peer is in the virtual network, and where that was learnt: <c>certificate</c>, <c>dht</c>,
/// <c>certificate+dht</c> (the name from the certificate, the address from the claim) or <c>none</c>. <see cref="Vip6"/>
/// is its IPv6 address when it published one (or its certificate gives one).
/// </summary>
public sealed record PeerIdentity(string? Name, IPAddress? Vip, string Source, IPAddress? Vip6 = null)
{
    public static readonly PeerIdentity Unknown = new(null, null, "none");
}

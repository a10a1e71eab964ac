namespace Woven.Node.Lab;

/// <summary>NAT behaviour of a lab site (see lab/README.md for the nftables rules behind each).</summary>
public enum NatType
{
    /// <summary>No router: the site's hosts sit directly on the public segment.</summary>
    None,
    /// <summary>Endpoint-independent mapping and filtering (1:1 NAT of the site's first host).</summary>
    FullCone,
    /// <summary>Endpoint-independent mapping, address-dependent filtering.</summary>
    Restricted,
    /// <summary>Endpoint-independent mapping, address-and-port-dependent filtering (plain masquerade).</summary>
    PortRestricted,
    /// <summary>A new random public port per destination (masquerade fully-random).</summary>
    Symmetric,
    /// <summary>Only TCP leaves the site; outbound UDP is dropped.</summary>
    UdpBlocked,
}

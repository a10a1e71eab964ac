using System.Net;
using Woven.Overlay;

namespace Woven.Node;

/// <summary>Everything a running node needs to know at start.</summary>
public sealed class NodeOptions
{
    public required IPEndPoint Listen { get; init; }

    public IReadOnlyList<IPEndPoint> Bootstraps { get; init; } = [];

    public required string StateDirectory { get; init; }

    public OverlayOptions Overlay { get; init; } = new();

    public Woven.Dht.DhtOptions Dht { get; init; } = new();

    /// <summary>Join the virtual IP network (needs root or CAP_NET_ADMIN for the TUN device).</summary>
    public bool Vnet { get; init; }

    /// <summary>The virtual network's range for an open overlay (a domain's comes from its settings).</summary>
    public IPNetwork? VnetRange { get; init; }

    /// <summary>IPv6 in the virtual network (on unless turned off, or the host has no IPv6).</summary>
    public bool Ipv6 { get; init; } = true;

    /// <summary>An open overlay's IPv6 prefix (a domain's comes from its settings); null derives one (<see cref="Woven.Vnet.UniqueLocalPrefix"/>).</summary>
    public IPNetwork? Ipv6Prefix { get; init; }

    /// <summary>The node's name in the virtual network (default: the certificate's, else the host name).</summary>
    public string? Name { get; init; }

    public string TunName { get; init; } = "woven0";

    /// <summary>Also serve the control API on this loopback address and port, behind the token in control.token.</summary>
    public IPEndPoint? ControlTcp { get; init; }

    /// <summary>The TUN device's MTU (1,280 to 65,535); larger packets cost less per byte, and are sent in fragments.</summary>
    public int Mtu { get; init; } = Woven.Vnet.VirtualNetwork.DefaultMtu;

    /// <summary>The range an open overlay uses when none is given: part of the shared address space (RFC 6598), as Tailscale does.</summary>
    public static readonly IPNetwork DefaultVnetRange = IPNetwork.Parse("100.80.0.0/16");
}

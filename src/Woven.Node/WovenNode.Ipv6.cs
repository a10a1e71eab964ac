using System.Net;
using Microsoft.Extensions.Logging;
using Woven.Platform.Tun;
using Woven.Security;
using Woven.Vnet;

namespace Woven.Node;

/// <summary>The host side of IPv6 in the virtual network: which prefix, and an interface that takes IPv6.</summary>
public sealed partial class WovenNode
{
    /// <summary>
    /// The virtual network's IPv6 prefix: none when turned off; else the domain's <c>ipv6_prefix</c>, else the node's
    /// <c>vnet_ipv6</c> prefix, else one derived from the domain's CA key (an open overlay: from its IPv4 range), so
    /// that every member of a domain finds the same prefix without being told.
    /// </summary>
    private IPNetwork? Ipv6PrefixFor(DomainSettings? domain, IPNetwork range)
    {
        if (!_options.Ipv6) return null;
        if (domain?.Ipv6Prefix is { } fromDomain) return fromDomain;
        if (_options.Ipv6Prefix is { } given) return given;
        return domain is null ? UniqueLocalPrefix.ForOpenOverlay(range) : UniqueLocalPrefix.Derive(domain.CaPublicKey);
    }

    /// <summary>
    /// Makes sure the TUN interface takes IPv6: false (and a warning: the node runs IPv4 only) when the kernel has no
    /// IPv6, or it is disabled on the interface and cannot be enabled. Network namespaces and containers often set
    /// net.ipv6.conf.default.disable_ipv6=1, which a new interface inherits; it is enabled on the TUN interface alone.
    /// </summary>
    private bool EnableIpv6(string iface)
    {
        if (!Directory.Exists("/proc/sys/net/ipv6"))
        {
            _log.LogWarning("this kernel has IPv6 turned off (ipv6.disable=1): the virtual network runs IPv4 only (--vnet-ipv6 off silences this)");
            return false;
        }
        string file = $"/proc/sys/net/ipv6/conf/{iface}/disable_ipv6";
        try
        {
            if (File.ReadAllText("/proc/sys/net/ipv6/conf/lo/disable_ipv6").Trim() != "0")
                _log.LogWarning("IPv6 is disabled on lo: programs on this host cannot reach its own IPv6 address (sysctl net.ipv6.conf.lo.disable_ipv6=0 allows it); other members can");
            if (File.ReadAllText(file).Trim() == "0") return true;
            File.WriteAllText(file, "0");
            _log.LogInformation("IPv6 was disabled on {Interface} (net.ipv6.conf.default.disable_ipv6=1); enabled it on that interface", iface);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("cannot enable IPv6 on {Interface} ({Message}; sysctl net.ipv6.conf.{Interface}.disable_ipv6=0 does it): the virtual network runs IPv4 only", iface, e.Message, iface);
            return false;
        }
    }

    /// <summary>
    /// A member certificate's IPv6 address when it can be used: inside the prefix, outside subnet 0 (which holds the
    /// addresses derived from ring addresses, and nothing else); otherwise the node takes its derived address.
    /// </summary>
    private IPAddress? FixedIpv6(IPAddress? fromCertificate, IPNetwork? prefix)
    {
        if (fromCertificate is null || prefix is not { } p) return null;
        if (p.Contains(fromCertificate) && !VirtualNetwork.InSubnet0(p, UniqueLocalPrefix.ToKey(fromCertificate))) return fromCertificate;
        _log.LogWarning("the certificate's IPv6 address {Address} is {Where}; this node takes its derived address in {Prefix}", fromCertificate,
            p.Contains(fromCertificate) ? "in subnet 0 of the prefix, which holds only addresses derived from ring addresses" : "outside the prefix", p);
        return null;
    }

    /// <summary>Puts the IPv6 address on the interface, the whole prefix routed through it, with no duplicate address detection (the address is the node's own by its key).</summary>
    private bool AddIpv6Address(IPAddress address, IPNetwork prefix, string iface)
    {
        try
        {
            LinuxTun.Ip("-6", "addr", "replace", $"{address}/{prefix.PrefixLength}", "dev", iface, "nodad");
            return true;
        }
        catch (IOException e)
        {
            _log.LogWarning("IPv6 address {Address} not set ({Message}): the virtual network runs IPv4 only", address, e.Message);
            return false;
        }
    }
}

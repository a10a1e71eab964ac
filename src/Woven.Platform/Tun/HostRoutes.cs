using System.Net;

namespace Woven.Platform.Tun;

/// <summary>The host's IPv4 and IPv6 routes, to refuse a virtual network that would collide with one.</summary>
public static class HostRoutes
{
    /// <summary>Routes of the main table that overlap <paramref name="range"/> (the default route and routes through <paramref name="ownInterface"/> aside), as "PREFIX dev IFACE".</summary>
    public static IReadOnlyList<string> Overlapping(IPNetwork range, string ownInterface)
    {
        var found = new List<string>();
        bool ipv6 = range.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        foreach (var line in LinuxTun.Ip(ipv6 ? "-6" : "-4", "route", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || words[0] == "default") continue;
            int dev = Array.IndexOf(words, "dev");
            string iface = dev >= 0 && dev + 1 < words.Length ? words[dev + 1] : "?";
            if (iface == ownInterface) continue;
            var text = words[0].Contains('/', StringComparison.Ordinal) ? words[0] : words[0] + (ipv6 ? "/128" : "/32");
            if (!IPNetwork.TryParse(text, out var route)) continue;
            if (Overlap(route, range)) found.Add($"{text} dev {iface}");
        }
        return found;
    }

    public static bool Overlap(IPNetwork a, IPNetwork b) =>
        a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);
}

namespace Woven.Node.Config;

/// <summary>
/// Every setting of <c>woven up</c>, by its name in the YAML file, with its flag and environment variable. The one
/// table the file reader, the environment reader and the command line agree on.
/// </summary>
public static class ConfigKeys
{
    public sealed record Key(string Name, string Flag, string Environment, string Help);

    public static readonly IReadOnlyList<Key> All =
    [
        new("listen", "--listen", "WOVEN_LISTEN", "UDP address and port to listen on, ADDR:PORT (default 0.0.0.0:7000)"),
        new("bootstrap", "--bootstrap", "WOVEN_BOOTSTRAP", "members to join through, HOST:PORT (a list; none starts a new ring)"),
        new("state_dir", "--state-dir", "WOVEN_STATE_DIR", "the node's state directory (default ~/.local/state/woven)"),
        new("vnet", "--vnet", "WOVEN_VNET", "join the virtual IP network: true or false"),
        new("vnet_range", "--vnet-range", "WOVEN_VNET_RANGE", "an open overlay's virtual IPv4 range, CIDR (default 100.80.0.0/16)"),
        new("vnet_ipv6", "--vnet-ipv6", "WOVEN_VNET_IPV6", "IPv6 in the virtual network: on (default; the domain's prefix, else one derived), off, or an open overlay's unique local prefix, e.g. fd12:3456:789a::/48"),
        new("name", "--name", "WOVEN_NAME", "this node's name in the virtual network"),
        new("tun", "--tun", "WOVEN_TUN", "the TUN interface's name (default woven0)"),
        new("mtu", "--mtu", "WOVEN_MTU", "the TUN interface's MTU, 1280 to 65535"),
        new("control_tcp", "--control-tcp", "WOVEN_CONTROL_TCP", "also serve the control API on 127.0.0.1:PORT, behind control.token"),
        new("logging", "--log-level", "WOVEN_LOG_LEVEL", "log levels: default and per category (the flag and variable set the default)"),
    ];

    /// <summary>The categories a log level can be given for under <c>logging:</c>, and the logger categories each covers.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> LogCategories = new Dictionary<string, string[]>
    {
        ["default"] = [],
        ["node"] = ["Woven.Node"],
        ["control"] = ["Woven.Node.Control", "Microsoft.AspNetCore"],
        ["overlay"] = ["Woven.Overlay"],
        ["dht"] = ["Woven.Dht"],
        ["vnet"] = ["Woven.Vnet"],
        ["messaging"] = ["Woven.Messaging"],
    };

    public static Key ByName(string name) => All.First(k => k.Name == name);

    /// <summary>The known name closest to a mistyped one (edit distance at most a third of its length, at least 2), or null.</summary>
    public static string? Suggest(string unknown, IEnumerable<string> known)
    {
        var normalized = unknown.Trim().TrimStart('-').Replace('-', '_').ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            if (name == normalized) return name;
            int d = Distance(normalized, name);
            if (d < bestDistance)
            {
                best = name;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.Max(2, normalized.Length / 3) ? best : null;
    }

    /// <summary>Levenshtein distance.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}

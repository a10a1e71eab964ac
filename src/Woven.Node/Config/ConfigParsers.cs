using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Woven.Node.Config;

/// <summary>
/// What each value of a setting must look like. Every parser gives the value, or the problem worded as "'TEXT' is not
/// …, for example …" to which the caller prefixes where the value came from (a flag, a variable, FILE:LINE: key).
/// </summary>
public static class ConfigParsers
{
    /// <summary>ADDR:PORT with a literal address (IPv6 in brackets).</summary>
    public static string? Listen(string text, out IPEndPoint? endpoint)
    {
        if (!IPEndPoint.TryParse(text, out endpoint) || endpoint.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal) || !text.Contains(':'))
        {
            endpoint = null;
            return $"'{text}' is not ADDR:PORT (for example 0.0.0.0:7000 or 127.0.0.1:7001)";
        }
        return null;
    }

    /// <summary>HOST:PORT; a host name is resolved now (its first IPv4 address, else the first).</summary>
    public static string? HostPort(string text, out IPEndPoint? endpoint)
    {
        endpoint = null;
        if (IPEndPoint.TryParse(text, out var ep) && ep.Port != 0 && text.Contains(':'))
        {
            endpoint = ep;
            return null;
        }
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out int port) || port is < 1 or > 65535)
            return $"'{text}' is not HOST:PORT (for example 192.0.2.10:7000 or seed.example:7000)";
        var host = text[..colon];
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            return $"cannot resolve '{host}' ({e.SocketErrorCode}); give an address or a resolvable host name";
        }
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
        if (chosen is null) return $"'{host}' has no addresses";
        endpoint = new IPEndPoint(chosen, port);
        return null;
    }

    public static string? Range(string text, out IPNetwork? range)
    {
        range = null;
        if (!IPNetwork.TryParse(text, out var parsed) || parsed.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            return $"'{text}' is not an IPv4 network in CIDR form, e.g. 100.80.0.0/16";
        if (Woven.Security.DomainSettings.Ipv4RangeError(parsed) is { } error) return error;
        range = parsed;
        return null;
    }

    /// <summary>on, off, or a unique local prefix of /48 to /64 (which also means on).</summary>
    public static string? Ipv6(string text, out bool on, out IPNetwork? prefix)
    {
        prefix = null;
        if (!text.Contains(':', StringComparison.Ordinal)) return Bool(text, out on) is null ? null : $"'{text}' is not on, off or a unique local prefix such as fd12:3456:789a::/48";
        on = true;
        if (!Woven.Security.DomainSettings.TryParseCidr(text.Trim(), out var parsed))
            return $"'{text}' is not an IPv6 prefix in CIDR form with zero host bits, e.g. fd12:3456:789a::/48";
        if (Woven.Security.DomainSettings.Ipv6PrefixError(parsed) is { } error) return error;
        prefix = parsed;
        return null;
    }

    public static string? Tun(string text) =>
        text.Length is > 0 and <= 15 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? null
            : $"'{text}' is not an interface name (1 to 15 letters, digits, - _ .)";

    public static string? Mtu(string text, out int mtu) =>
        !int.TryParse(text, out mtu) ? $"'{text}' is not a whole number; give 1280 to 65535"
        : mtu is < 1280 or > 65535 ? $"{mtu} is outside 1280 to 65535"
        : null;

    public static string? Bool(string text, out bool value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "true" or "yes" or "on" or "1":
                value = true;
                return null;
            case "false" or "no" or "off" or "0":
                value = false;
                return null;
            default:
                value = false;
                return $"'{text}' is not true or false";
        }
    }

    public static string? Level(string text, out LogLevel level)
    {
        level = text.Trim().ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" or "information" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" => LogLevel.Critical,
            "none" or "off" => LogLevel.None,
            _ => (LogLevel)(-1),
        };
        return (int)level < 0 ? $"'{text}' is not one of trace, debug, info, warning, error, none" : null;
    }

    public static string? StateDir(string text) =>
        text.Trim().Length == 0 ? "no directory; give a path such as /var/lib/woven"
        : Path.Combine(text, Woven.Platform.State.StateDirectory.ControlSocketName).Length > Woven.Platform.State.StateDirectory.MaxSocketPath
            ? $"'{text}' is too long for the control socket in it (at most {Woven.Platform.State.StateDirectory.MaxSocketPath - 13} characters); choose a shorter path"
        : null;
}

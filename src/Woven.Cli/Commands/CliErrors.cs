using System.Net;
using System.Net.Sockets;

namespace Woven.Cli.Commands;

/// <summary>A command-line mistake, worded as "flag: what is wrong; how to fix it". Exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Parsing of the flag values shared by several commands.</summary>
internal static class Endpoints
{
    /// <summary>ADDR:PORT with a literal address (IPv6 in brackets).</summary>
    public static IPEndPoint ParseListen(string flag, string text)
    {
        if (!IPEndPoint.TryParse(text, out var ep) || ep.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal) || !text.Contains(':'))
            throw new UsageException($"{flag}: '{text}' is not ADDR:PORT (for example 0.0.0.0:7000 or 127.0.0.1:7001)");
        return ep;
    }

    /// <summary>HOST:PORT[,HOST:PORT...]; host names are resolved now.</summary>
    public static IReadOnlyList<IPEndPoint> ParseBootstraps(string flag, IEnumerable<string> values)
    {
        var result = new List<IPEndPoint>();
        foreach (var item in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (IPEndPoint.TryParse(item, out var ep) && ep.Port != 0 && item.Contains(':'))
            {
                result.Add(ep);
                continue;
            }
            int colon = item.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(item[(colon + 1)..], out int port) || port is < 1 or > 65535)
                throw new UsageException($"{flag}: '{item}' is not HOST:PORT (for example 192.0.2.10:7000 or seed.example:7000)");
            var host = item[..colon];
            IPAddress[] addresses;
            try
            {
                addresses = Dns.GetHostAddresses(host);
            }
            catch (SocketException e)
            {
                throw new UsageException($"{flag}: cannot resolve '{host}' ({e.SocketErrorCode}); give an address or a resolvable host name");
            }
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                ?? throw new UsageException($"{flag}: '{host}' has no addresses");
            result.Add(new IPEndPoint(chosen, port));
        }
        return result;
    }
}

using System.Net;
using Woven.Node.Config;

namespace Woven.Cli.Commands;

/// <summary>A command-line mistake, worded as "flag: what is wrong; how to fix it". Exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>Parsing of the flag values shared by several commands.</summary>
internal static class Endpoints
{
    /// <summary>ADDR:PORT with a literal address (IPv6 in brackets).</summary>
    public static IPEndPoint ParseListen(string flag, string text) =>
        ConfigParsers.Listen(text, out var ep) is { } error ? throw new UsageException($"{flag}: {error}") : ep!;

    /// <summary>HOST:PORT[,HOST:PORT...]; host names are resolved now.</summary>
    public static IReadOnlyList<IPEndPoint> ParseBootstraps(string flag, IEnumerable<string> values)
    {
        var result = new List<IPEndPoint>();
        foreach (var item in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (ConfigParsers.HostPort(item, out var ep) is { } error) throw new UsageException($"{flag}: {error}");
            result.Add(ep!);
        }
        return result;
    }
}

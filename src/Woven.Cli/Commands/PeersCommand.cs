using System.CommandLine;
using System.Net.Http;
using Woven.Node.Control;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary><c>woven peers</c>: the running node's linked peers, who they are, how they are reached and what went over each link.</summary>
internal static class PeersCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var json = new Option<bool>("--json") { Description = "Print the control API's JSON document (GET /v1/peers)" };
        var command = new Command("peers", "List linked peers: name, virtual IP, ring address, path, round trip, bytes and packets in and out") { json, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            var state = new StateDirectory(parse.GetValue(stateDir)!);
            using var client = new ControlClient(state.ControlSocket);
            try
            {
                if (parse.GetValue(json)) Console.WriteLine(await client.GetPeersJsonAsync(ct));
                else Print(await client.GetPeersAsync(ct));
                return 0;
            }
            catch (HttpRequestException e) when (NoNode.Is(e))
            {
                return NoNode.Report(state);
            }
        });
        return command;
    }

    private static void Print(PeersDocument d)
    {
        if (d.Peers.Count == 0)
        {
            Console.WriteLine($"node {d.Address[..8]} has no linked peers yet");
            return;
        }
        Console.WriteLine($"{"NAME",-16} {"VIP",-15} {"ADDRESS",-10} {"PATH",-30} {"RTT ms",8} {"IN",9} {"OUT",9} {"PKTS IN",8} {"PKTS OUT",8}  VIP6");
        foreach (var p in d.Peers.OrderBy(p => p.Name ?? "~", StringComparer.Ordinal).ThenBy(p => p.Address, StringComparer.Ordinal))
        {
            string path = p.Path == "relayed" ? $"relayed via {(p.Via is { Length: >= 8 } v && v != "ring" ? v[..8] : p.Via)}" : $"direct {p.Transport} {p.Endpoint}";
            Console.WriteLine($"{Cut(p.Name ?? "-", 16),-16} {p.Vip ?? "-",-15} {p.Address[..8],-10} {Cut(path, 30),-30} {(p.RttMs is { } r ? r.ToString("F2") : "-"),8} {Bytes(p.BytesIn),9} {Bytes(p.BytesOut),9} {p.PacketsIn,8} {p.PacketsOut,8}  {p.Vip6 ?? "-"}");
        }
    }

    private static string Cut(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "~";

    /// <summary>Bytes in binary units, as ip -s and ls -h show them.</summary>
    private static string Bytes(long n) => n switch
    {
        < 1024 => $"{n} B",
        < 1024 * 1024 => $"{n / 1024.0:F1} KiB",
        < 1024L * 1024 * 1024 => $"{n / (1024.0 * 1024):F1} MiB",
        _ => $"{n / (1024.0 * 1024 * 1024):F2} GiB",
    };
}

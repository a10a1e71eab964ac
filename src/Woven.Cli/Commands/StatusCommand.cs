using System.CommandLine;
using System.Net.Http;
using System.Net.Sockets;
using Woven.Node.Control;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary><c>woven status</c>: asks a running node, through its control socket, what it is and whom it is linked to.</summary>
internal static class StatusCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var json = new Option<bool>("--json") { Description = "Print the control API's JSON document" };
        var command = new Command("status", "Show a running node's address, endpoints and peers") { json, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            var state = new StateDirectory(parse.GetValue(stateDir)!);
            using var client = new ControlClient(state.ControlSocket);
            try
            {
                if (parse.GetValue(json))
                {
                    Console.WriteLine(await client.GetStatusJsonAsync(ct));
                }
                else
                {
                    Print(await client.GetStatusAsync(ct));
                }
                return 0;
            }
            catch (HttpRequestException e) when (NoNode.Is(e))
            {
                return NoNode.Report(state);
            }
        });
        return command;
    }

    /// <summary>The one no-node line (kept for commands that still call it here; see <see cref="NoNode"/>).</summary>
    public static string NotRunning(StateDirectory state) => NoNode.Message(state);

    private static void Print(StatusDocument s)
    {
        Console.WriteLine($"address     {s.Address}");
        Console.WriteLine($"endpoints   {string.Join(", ", s.Endpoints)}");
        Console.WriteLine($"network     ~{s.NetworkSizeEstimate:N0} nodes (estimate), {s.TargetFarLinks} far links wanted");
        Console.WriteLine($"successors  {string.Join(" ", s.Successors.Select(a => a[..8]))}");
        Console.WriteLine($"predecessors {string.Join(" ", s.Predecessors.Select(a => a[..8]))}");
        Console.WriteLine($"peers       {s.Peers.Count}");
        Console.WriteLine($"  {"ADDRESS",-10} {"PATH",-16} {"ENDPOINT",-22} {"ROLES",-18} {"RTT ms",8} {"SILENT s",9}");
        foreach (var p in s.Peers)
        {
            var path = p.Path == "relayed" ? $"relayed {p.Via?[..8]}" : $"direct {p.Transport}";
            Console.WriteLine($"  {p.Address[..8],-10} {path,-16} {p.Endpoint,-22} {string.Join(",", p.Roles),-18} {(p.RttMs is { } r ? r.ToString("F2") : "-"),8} {p.SilentS,9:F1}");
        }
        Console.WriteLine($"dropped     {s.Counters.DroppedTotal} datagrams ({string.Join(", ", s.Counters.Dropped.Where(d => d.Value > 0).Select(d => $"{d.Key} {d.Value}"))})");
    }
}

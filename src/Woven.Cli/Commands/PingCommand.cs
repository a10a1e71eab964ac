using System.CommandLine;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using Woven.Node.Control;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary><c>woven ping NAME|VIP|ADDRESS</c>: overlay-level echoes to a member, with the path they took and the round trips.</summary>
internal static class PingCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var target = new Argument<string>("target") { Description = "A member's name (NAME or NAME.ZONE), virtual address or ring address" };
        var count = new Option<int>("--count", "-c") { Description = "Echoes to send, 200 ms apart (1 to 100)", DefaultValueFactory = _ => 4 };
        var json = new Option<bool>("--json") { Description = "Print the control API's JSON answer" };
        var command = new Command("ping", "Ping a member over the overlay and show the path (direct or relayed) and round-trip times") { target, count, json, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            int n = parse.GetValue(count);
            if (n is < 1 or > 100)
            {
                Console.Error.WriteLine($"woven ping: --count: {n} is outside 1 to 100");
                return 2;
            }
            var state = new StateDirectory(parse.GetValue(stateDir)!);
            using var client = new ControlClient(state.ControlSocket);
            (int status, string body) answer;
            try
            {
                answer = await client.PingAsync(new PingRequest(parse.GetValue(target), n), ct);
            }
            catch (HttpRequestException e) when (NoNode.Is(e))
            {
                return NoNode.Report(state);
            }
            using var doc = JsonDocument.Parse(answer.body);
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                Console.Error.WriteLine($"woven ping: {error.GetString()}");
                return answer.status == 404 ? 1 : 2;
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(answer.body);
            }
            else
            {
                var path = root.GetProperty("path").GetString();
                string how = path switch
                {
                    "direct" => $"direct over {root.GetProperty("transport").GetString()} to {root.GetProperty("endpoint").GetString()}",
                    "relayed" => $"relayed via {Short(root.GetProperty("via").GetString())}",
                    _ => "no link",
                };
                string vip = root.TryGetProperty("vip", out var v) ? $" ({v.GetString()})" : "";
                Console.WriteLine($"PING {root.GetProperty("target").GetString()}{vip} member {Short(root.GetProperty("address").GetString())}: {how}");
                int i = 0;
                foreach (var rtt in root.GetProperty("rtt_ms").EnumerateArray())
                {
                    i++;
                    Console.WriteLine(rtt.ValueKind == JsonValueKind.Null ? $"  echo {i}: no answer within 3 s" : $"  echo {i}: {rtt.GetDouble():F2} ms");
                }
                Console.WriteLine($"{root.GetProperty("received").GetInt32()}/{root.GetProperty("sent").GetInt32()} answered" +
                    (root.TryGetProperty("rtt_avg_ms", out var avg) ? $", average {avg.GetDouble():F2} ms" : ""));
            }
            return answer.status == 200 ? 0 : 1;
        });
        return command;
    }

    private static string Short(string? address) => address is { Length: >= 8 } a && a != "ring" ? a[..8] : address ?? "?";
}

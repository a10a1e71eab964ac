using System.CommandLine;
using System.Net.Http;
using System.Text.Json;
using Woven.Node.Control;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary><c>woven presence</c>: the members this node has heard of, online or not, and when each was last seen.</summary>
internal static class PresenceCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var json = new Option<bool>("--json") { Description = "Print the control API's JSON (with --watch: one object per line)" };
        var watch = new Option<bool>("--watch") { Description = "Print the members, then one line per change (online, offline, new) until interrupted" };
        var command = new Command("presence", "Show the domain's members: online or offline, last seen, heard directly or through gossip") { json, watch, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            var state = new StateDirectory(parse.GetValue(stateDir)!);
            using var client = new ControlClient(state.ControlSocket);
            try
            {
                if (!parse.GetValue(watch))
                {
                    string body = await client.GetJsonAsync("v1/presence", ct);
                    if (parse.GetValue(json))
                    {
                        Console.WriteLine(body);
                        return 0;
                    }
                    using var doc = JsonDocument.Parse(body);
                    Console.WriteLine($"{"NAME",-20} {"STATE",-8} {"LAST SEEN",-12} {"HEARD",-8} ADDRESS");
                    foreach (var m in doc.RootElement.GetProperty("members").EnumerateArray()) Console.WriteLine(Row(m));
                    return 0;
                }
                await foreach (var (_, line) in client.StreamLinesAsync("v1/presence?watch=true", ct))
                {
                    if (parse.GetValue(json))
                    {
                        Console.WriteLine(line);
                        continue;
                    }
                    using var doc = JsonDocument.Parse(line);
                    Console.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} {Row(doc.RootElement)}");
                }
                return 0;
            }
            catch (HttpRequestException e) when (NoNode.Is(e))
            {
                return NoNode.Report(state);
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        });
        return command;
    }

    private static string Row(JsonElement m)
    {
        string name = m.GetProperty("name").GetString() is { Length: > 0 } n ? n : "-";
        bool self = m.GetProperty("self").GetBoolean();
        string stateText = m.GetProperty("online").GetBoolean() ? "online" : "offline";
        double ago = (DateTimeOffset.UtcNow - m.GetProperty("last_seen").GetDateTimeOffset()).TotalSeconds;
        string seen = self ? "now" : ago < 1 ? "just now" : $"{ago:F0} s ago";
        string heard = self ? "self" : m.GetProperty("direct").GetBoolean() ? "direct" : "gossip";
        return $"{name,-20} {stateText,-8} {seen,-12} {heard,-8} {m.GetProperty("address").GetString()}";
    }
}

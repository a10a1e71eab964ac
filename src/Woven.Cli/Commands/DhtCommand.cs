using System.CommandLine;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using Woven.Node.Control;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary>
/// <c>woven dht get|put|create|remove</c>: the DHT through a running node's control socket. Records written are owned by
/// that node's key. Exit codes: 0 done (get: records found), 1 get found nothing or the key is held by another owner
/// (create/put), 2 bad command line, 3 the DHT did not answer in time or too few replicas answered, 4 no node running.
/// </summary>
internal static class DhtCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var command = new Command("dht", "Read and write the overlay's DHT through a running node");
        command.Subcommands.Add(Get(stateDir));
        command.Subcommands.Add(Write("put", "Add a value under a key (several owners may each hold values under one key)", stateDir));
        command.Subcommands.Add(Write("create", "Claim a key: succeeds for exactly one owner while its lease lasts", stateDir));
        command.Subcommands.Add(Remove(stateDir));
        return command;
    }

    private static Argument<string> KeyArgument() => new("key") { Description = "The record's name, any text (hashed onto the ring)" };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print the control API's JSON answer" };

    private static Command Get(Option<string> stateDir)
    {
        var key = KeyArgument();
        var json = JsonOption();
        var command = new Command("get", "Show the live records under a key") { key, json, stateDir };
        command.SetAction((parse, ct) => Run(parse.GetValue(stateDir)!, parse.GetValue(json), isGet: true, c => c.DhtGetAsync(parse.GetValue(key)!, ct)));
        return command;
    }

    private static Command Write(string op, string description, Option<string> stateDir)
    {
        var key = KeyArgument();
        var value = new Argument<string>("value") { Description = $"The value, text of at most {Woven.Dht.DhtRecord.MaxValue} bytes" };
        var ttl = new Option<double>("--ttl") { Description = "Lease in seconds (1 to 86400); the record ends then unless written again", DefaultValueFactory = _ => 3600 };
        var json = JsonOption();
        var command = new Command(op, description) { key, value, ttl, json, stateDir };
        command.SetAction((parse, ct) =>
        {
            double seconds = parse.GetValue(ttl);
            if (seconds is < 1 or > 86400)
            {
                Console.Error.WriteLine($"woven dht {op}: --ttl: {seconds} is outside 1 to 86400 seconds");
                return Task.FromResult(2);
            }
            var text = parse.GetValue(value)!;
            if (System.Text.Encoding.UTF8.GetByteCount(text) > Woven.Dht.DhtRecord.MaxValue)
            {
                Console.Error.WriteLine($"woven dht {op}: value: {System.Text.Encoding.UTF8.GetByteCount(text)} bytes is over the limit of {Woven.Dht.DhtRecord.MaxValue} bytes");
                return Task.FromResult(2);
            }
            var request = new DhtWriteRequest(parse.GetValue(key), text, seconds);
            return Run(parse.GetValue(stateDir)!, parse.GetValue(json), isGet: false, c => c.DhtWriteAsync(op, request, ct));
        });
        return command;
    }

    private static Command Remove(Option<string> stateDir)
    {
        var key = KeyArgument();
        var value = new Argument<string?>("value") { Description = "Remove only this value (default: every record this node owns under the key)", Arity = ArgumentArity.ZeroOrOne };
        var json = JsonOption();
        var command = new Command("remove", "Remove the records this node owns under a key") { key, value, json, stateDir };
        command.SetAction((parse, ct) =>
            Run(parse.GetValue(stateDir)!, parse.GetValue(json), isGet: false, c => c.DhtWriteAsync("remove", new DhtWriteRequest(parse.GetValue(key), parse.GetValue(value), null), ct)));
        return command;
    }

    private static async Task<int> Run(string stateDir, bool json, bool isGet, Func<ControlClient, Task<(int Status, string Json)>> call)
    {
        var state = new StateDirectory(stateDir);
        using var client = new ControlClient(state.ControlSocket);
        (int status, string body) answer;
        try
        {
            answer = await call(client);
        }
        catch (HttpRequestException e) when (NoNode.Is(e))
        {
            return NoNode.Report(state);
        }
        catch (TaskCanceledException)
        {
            Console.Error.WriteLine("woven dht: the node did not answer within 60 s");
            return 3;
        }
        var (status, body) = answer;
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.TryGetProperty("error", out var error))
        {
            Console.Error.WriteLine($"woven dht: {error.GetString()}");
            return 2;
        }
        var outcome = root.GetProperty("status").GetString();
        var records = root.GetProperty("records");
        if (json) Console.WriteLine(body);
        else Print(root, outcome!, records);
        return (status, outcome) switch
        {
            (200, _) when isGet && records.GetArrayLength() == 0 => 1,
            (200, _) => 0,
            (409, _) => 1,
            (400, _) => 2,
            _ => 3,
        };
    }

    private static void Print(JsonElement root, string outcome, JsonElement records)
    {
        var name = root.GetProperty("name").GetString();
        switch (outcome)
        {
            case "ok" or "stale":
                if (records.GetArrayLength() == 0) Console.WriteLine($"no records under '{name}'");
                foreach (var r in records.EnumerateArray()) Console.WriteLine(Line(r));
                break;
            case "conflict":
                Console.Error.WriteLine($"'{name}' is held by another owner:");
                foreach (var r in records.EnumerateArray()) Console.Error.WriteLine("  " + Line(r));
                break;
            case "invalid":
                Console.Error.WriteLine($"woven dht: the record for '{name}' was refused as invalid (a bad signature, an expired or overlong lease)");
                break;
            default:
                Console.Error.WriteLine($"woven dht: '{name}': {outcome} (too few replicas answered in time; try again)");
                break;
        }
    }

    private static string Line(JsonElement r)
    {
        var value = r.TryGetProperty("value", out var v) ? v.GetString() : $"(base64) {r.GetProperty("value_base64").GetString()}";
        var expires = r.GetProperty("expires").GetDateTimeOffset();
        var left = expires - DateTimeOffset.UtcNow;
        return $"{r.GetProperty("kind").GetString(),-5} {value}  owner {r.GetProperty("owner").GetString()![..8]}  expires in {Math.Max(0, left.TotalSeconds):F0} s";
    }
}

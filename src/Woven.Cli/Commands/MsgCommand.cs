using System.CommandLine;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Woven.Node.Control;
using Woven.Platform.State;

namespace Woven.Cli.Commands;

/// <summary>
/// <c>woven msg send|request|listen|bench</c>: peer messaging through the running node (reliable, in order per
/// sender, fragments up to 1 MiB). Exit codes: 0 done, 1 not delivered or no answer, 2 bad input, 4 no node.
/// </summary>
internal static partial class MsgCommand
{
    public static Command Create(Option<string> stateDir)
    {
        var command = new Command("msg", "Messages to other members on topics: send, request (with a response), listen, bench");
        command.Subcommands.Add(Send(stateDir));
        command.Subcommands.Add(Request(stateDir));
        command.Subcommands.Add(Listen(stateDir));
        command.Subcommands.Add(Bench(stateDir));
        return command;
    }

    private static Argument<string> Peer() => new("peer") { Description = "The member: its name (NAME or NAME.ZONE), virtual address or ring address" };

    private static Argument<string> Topic() => new("topic") { Description = "The topic: 1 to 64 bytes of UTF-8" };

    private static Option<double> Timeout(double seconds) => new("--timeout") { Description = $"Seconds to wait (default {seconds})", DefaultValueFactory = _ => seconds };

    /// <summary>TEXT, or @FILE for the bytes of a file (@- for standard input).</summary>
    private static MessageRequest? Body(string peer, string topic, string message, double timeout, out string? error, int count = 1)
    {
        error = null;
        if (count is < 1 or > 1_000_000)
        {
            error = $"--count: {count} is outside 1 to 1000000";
            return null;
        }
        if (timeout is <= 0 or > 600)
        {
            error = $"--timeout: {timeout} is outside (0, 600] seconds";
            return null;
        }
        int ms = (int)Math.Ceiling(timeout * 1000);
        if (!message.StartsWith('@')) return new MessageRequest(peer, topic, message, null, ms, count);
        string path = message[1..];
        try
        {
            byte[] data;
            if (path == "-")
            {
                using var stdin = Console.OpenStandardInput();
                using var copy = new MemoryStream();
                stdin.CopyTo(copy);
                data = copy.ToArray();
            }
            else
            {
                data = File.ReadAllBytes(path);
            }
            return new MessageRequest(peer, topic, null, Convert.ToBase64String(data), ms, count);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"{message}: cannot read the file ({e.Message})";
            return null;
        }
    }

    private static Command Send(Option<string> stateDir)
    {
        var peer = Peer();
        var topic = Topic();
        var text = new Argument<string>("message") { Description = "The message: TEXT, or @FILE for a file's bytes (@- for standard input)" };
        var timeout = Timeout(10);
        var json = new Option<bool>("--json") { Description = "Print the control API's JSON answer" };
        var count = new Option<int>("--count", "-n") { Description = "Send it this many times, all at once; TEXT gets \" 0\", \" 1\", ... appended", DefaultValueFactory = _ => 1 };
        var command = new Command("send", "Send a message and wait until the peer acknowledges it") { peer, topic, text, timeout, count, json, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            var body = Body(parse.GetValue(peer)!, parse.GetValue(topic)!, parse.GetValue(text)!, parse.GetValue(timeout), out var error, parse.GetValue(count));
            if (body is null) return Usage("send", error!);
            return await CallAsync("send", parse.GetValue(stateDir)!, "v1/msg/send", body, TimeSpan.FromMilliseconds(body.TimeoutMs!.Value), root =>
            {
                if (parse.GetValue(json)) return null;
                int sent = root.GetProperty("count").GetInt32();
                if (sent > 1) return $"delivered {sent} messages to {parse.GetValue(peer)} ({root.GetProperty("address").GetString()![..8]}) on {root.GetProperty("topic").GetString()} in {root.GetProperty("ms").GetDouble():F2} ms";
                return $"delivered {root.GetProperty("bytes").GetInt32()} bytes to {parse.GetValue(peer)} ({root.GetProperty("address").GetString()![..8]}) on {root.GetProperty("topic").GetString()} in {root.GetProperty("ms").GetDouble():F2} ms";
            }, ct);
        });
        return command;
    }

    private static Command Request(Option<string> stateDir)
    {
        var peer = Peer();
        var topic = Topic();
        var text = new Argument<string>("message") { Description = "The request: TEXT, or @FILE for a file's bytes" };
        var timeout = Timeout(5);
        var json = new Option<bool>("--json") { Description = "Print the control API's JSON answer" };
        var command = new Command("request", "Send a request and print the response (the peer's listener answers it, e.g. woven msg listen --echo)") { peer, topic, text, timeout, json, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            var body = Body(parse.GetValue(peer)!, parse.GetValue(topic)!, parse.GetValue(text)!, parse.GetValue(timeout), out var error);
            if (body is null) return Usage("request", error!);
            return await CallAsync("request", parse.GetValue(stateDir)!, "v1/msg/request", body, TimeSpan.FromMilliseconds(body.TimeoutMs!.Value), root =>
            {
                if (parse.GetValue(json)) return null;
                return root.TryGetProperty("text", out var t) ? t.GetString() : $"<{root.GetProperty("bytes").GetInt32()} bytes, base64> {root.GetProperty("data_base64").GetString()}";
            }, ct);
        });
        return command;
    }

    private static Command Listen(Option<string> stateDir)
    {
        var topic = new Argument<string?>("topic") { Description = "Only this topic (default: every topic)", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "One JSON object per message (the control API's lines)" };
        var count = new Option<int>("--count", "-n") { Description = "Exit after this many messages (0: never)", DefaultValueFactory = _ => 0 };
        var echo = new Option<bool>("--echo") { Description = "Answer every request with its own data" };
        var command = new Command("listen", "Print messages as they arrive; prints \"listening on ...\" to standard error once subscribed") { topic, json, count, echo, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            int n = parse.GetValue(count);
            if (n < 0) return Usage("listen", $"--count: {n} is negative");
            string? t = parse.GetValue(topic);
            var state = new StateDirectory(parse.GetValue(stateDir)!);
            using var client = new ControlClient(state.ControlSocket);
            string query = "v1/msg/listen?" + (t is null ? "" : $"topic={Uri.EscapeDataString(t)}&") + (parse.GetValue(echo) ? "echo=true" : "");
            int seen = 0;
            try
            {
                bool first = true;
                await foreach (var (status, line) in client.StreamLinesAsync(query, ct))
                {
                    using var doc = JsonDocument.Parse(line);
                    var root = doc.RootElement;
                    if (root.TryGetProperty("error", out var error))
                    {
                        Console.Error.WriteLine($"woven msg listen: {error.GetString()}");
                        return status == 400 ? 2 : 1;
                    }
                    if (first)
                    {
                        first = false;
                        Console.Error.WriteLine($"listening on {(t ?? "every topic")} at node {root.GetProperty("address").GetString()![..8]}{(parse.GetValue(echo) ? ", answering requests" : "")}");
                        continue;
                    }
                    if (root.TryGetProperty("dropped", out var dropped))
                    {
                        Console.Error.WriteLine($"woven msg listen: {dropped.GetInt64()} messages dropped ({root.GetProperty("reason").GetString()})");
                        continue;
                    }
                    Console.WriteLine(parse.GetValue(json) ? line : Line(root));
                    if (n > 0 && ++seen >= n) return 0;
                }
                Console.Error.WriteLine("woven msg listen: the node closed the stream (it stopped)");
                return 1;
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

    /// <summary>TIME NAME (ADDRESS) TOPIC [request]: TEXT, or the size and base64 of binary data.</summary>
    private static string Line(JsonElement m)
    {
        string from = m.GetProperty("from").GetString()!;
        string who = m.TryGetProperty("from_name", out var name) ? $"{name.GetString()} ({from[..8]})" : from[..8];
        string kind = m.GetProperty("kind").GetString() == "request" ? " request" : "";
        string body = m.TryGetProperty("text", out var text) ? text.GetString()! : $"<{m.GetProperty("bytes").GetInt32()} bytes> {m.GetProperty("data_base64").GetString()}";
        return $"{m.GetProperty("received").GetDateTimeOffset().ToLocalTime():HH:mm:ss.fff} {who} {m.GetProperty("topic").GetString()}{kind}: {body}";
    }

    private static int Usage(string command, string error)
    {
        Console.Error.WriteLine($"woven msg {command}: {error}");
        return 2;
    }

    /// <summary>Posts to the node; prints what <paramref name="print"/> makes of the answer (null: the raw JSON).</summary>
    private static async Task<int> CallAsync<T>(string command, string stateDir, string path, T body, TimeSpan timeout, Func<JsonElement, string?> print, CancellationToken ct)
    {
        var state = new StateDirectory(stateDir);
        using var client = new ControlClient(state.ControlSocket);
        (int status, string json) answer;
        try
        {
            answer = await client.MessagingPostAsync(path, body, timeout, ct);
        }
        catch (HttpRequestException e) when (NoNode.Is(e))
        {
            return NoNode.Report(state);
        }
        using var doc = JsonDocument.Parse(answer.json);
        if (doc.RootElement.TryGetProperty("error", out var error))
        {
            Console.Error.WriteLine($"woven msg {command}: {error.GetString()}");
            return answer.status == 400 ? 2 : 1;
        }
        Console.WriteLine(print(doc.RootElement) ?? answer.json);
        return 0;
    }
}

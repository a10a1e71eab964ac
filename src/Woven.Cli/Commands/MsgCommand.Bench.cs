using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Woven.Cli.Commands;

internal static partial class MsgCommand
{
    /// <summary>
    /// <c>woven msg bench PEER</c> asks the node to time messages to a peer (send to acknowledgement one at a time, then
    /// a stream). <c>--udp-echo PORT</c> and <c>--udp HOST:PORT</c> time raw UDP the same way, as the baseline.
    /// </summary>
    private static Command Bench(Option<string> stateDir)
    {
        var peer = new Argument<string?>("peer") { Description = "The member to send to (not with --udp or --udp-echo)", Arity = ArgumentArity.ZeroOrOne };
        var count = new Option<int>("--count", "-n") { Description = "Messages in the stream (the latency part sends at most 2,000 one at a time)", DefaultValueFactory = _ => 10_000 };
        var size = new Option<int>("--size") { Description = "Bytes per message", DefaultValueFactory = _ => 64 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var udp = new Option<string?>("--udp") { Description = "Baseline: time raw UDP datagrams to a `woven msg bench --udp-echo` at HOST:PORT instead" };
        var udpEcho = new Option<int?>("--udp-echo") { Description = "Baseline: answer UDP datagrams on this port (until interrupted)" };
        var command = new Command("bench", "Time messages to a peer: round-trip percentiles and messages per second (or raw UDP as the baseline)") { peer, count, size, json, udp, udpEcho, stateDir };
        command.SetAction(async (parse, ct) =>
        {
            int n = parse.GetValue(count), bytes = parse.GetValue(size);
            if (parse.GetValue(udpEcho) is { } port) return await UdpEchoAsync(port, ct);
            if (parse.GetValue(udp) is { } target)
            {
                if (!IPEndPoint.TryParse(target, out var endpoint) || endpoint.Port == 0) return Usage("bench", $"--udp: {target} is not HOST:PORT");
                if (bytes is < 1 or > 1400 || n is < 10 or > 1_000_000) return Usage("bench", "--udp: --size 1 to 1400 and --count 10 to 1000000");
                return await UdpBenchAsync(endpoint, n, bytes, parse.GetValue(json), ct);
            }
            if (parse.GetValue(peer) is not { } p) return Usage("bench", "give a PEER (or --udp HOST:PORT / --udp-echo PORT for the raw UDP baseline)");
            return await CallAsync("bench", parse.GetValue(stateDir)!, "v1/msg/bench", new Woven.Node.Control.MessageBenchRequest(p, n, bytes, null), TimeSpan.FromMinutes(5), root =>
            {
                if (parse.GetValue(json)) return null;
                return $"{root.GetProperty("size").GetInt32()} B messages to {p}: send to ack p50 {root.GetProperty("p50_ms").GetDouble():F3} ms, p99 {root.GetProperty("p99_ms").GetDouble():F3} ms " +
                    $"({root.GetProperty("latency_count").GetInt32()} one at a time); stream of {root.GetProperty("stream_count").GetInt32()}: " +
                    $"{root.GetProperty("messages_per_second").GetDouble():N0} msg/s, {root.GetProperty("mbit_per_second").GetDouble():F1} Mbit/s, {root.GetProperty("retransmits").GetInt64()} retransmits";
            }, ct);
        });
        return command;
    }

    private static async Task<int> UdpEchoAsync(int port, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, port));
        Console.Error.WriteLine($"answering UDP on port {port}");
        var buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                var r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, ct);
                await socket.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint, ct);
            }
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    /// <summary>Raw UDP, timed like messages: 2,000 datagrams one at a time (to the echo), then a stream with 128 in flight.</summary>
    private static async Task<int> UdpBenchAsync(IPEndPoint target, int count, int size, bool json, CancellationToken ct)
    {
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        var send = new byte[size];
        var receive = new byte[2048];
        var rtts = new List<double>();
        int latencyCount = Math.Min(count, 2000), lost = 0;
        for (int i = 0; i < latencyCount + 10; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await socket.SendAsync(send, SocketFlags.None, ct);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await socket.ReceiveAsync(receive, SocketFlags.None, wait.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                lost++;
                continue;
            }
            if (i >= 10) rtts.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        if (rtts.Count == 0)
        {
            Console.Error.WriteLine($"woven msg bench: no answer from {target} (is `woven msg bench --udp-echo {target.Port}` running there?)");
            return 1;
        }
        rtts.Sort();
        // The stream: keep 128 datagrams in flight, as the messaging window does. Nothing is sent again: when no answer
        // comes for 20 ms, whatever is outstanding counts as lost and the window starts over.
        const int Window = 128;
        int sent = 0, answered = 0;
        var watch = Stopwatch.StartNew();
        while (answered < count)
        {
            while (sent < count && sent - answered < Window)
            {
                await socket.SendAsync(send, SocketFlags.None, ct);
                sent++;
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(20));
            try
            {
                await socket.ReceiveAsync(receive, SocketFlags.None, wait.Token);
                answered++;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                lost += sent - answered;
                answered = sent;
            }
        }
        double seconds = watch.Elapsed.TotalSeconds;
        double P(double q) => rtts[Math.Min(rtts.Count - 1, (int)(q * rtts.Count))];
        var result = new { target = target.ToString(), size, latency_count = rtts.Count, p50_ms = Math.Round(P(0.5), 4), p99_ms = Math.Round(P(0.99), 4), stream_count = count, stream_seconds = Math.Round(seconds, 3), messages_per_second = Math.Round(count / seconds), lost };
        Console.WriteLine(json ? JsonSerializer.Serialize(result) :
            $"{size} B raw UDP to {target}: round trip p50 {result.p50_ms:F3} ms, p99 {result.p99_ms:F3} ms; stream of {count} with {Window} in flight: {result.messages_per_second:N0} msg/s ({lost} lost)");
        return 0;
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Woven.Node.Control;

namespace Woven.Cli.Demo;

/// <summary>Links, pings by name, iperf3 and a message: traffic through the NAT routers.</summary>
internal sealed partial class LabDemo
{
    private const string MessageTopic = "demo";

    private sealed record PairLink(string Path, string? Via, double? RttMs);

    /// <summary>Asks every node for a link to every other, waits for them, and prints each pair's path and echo RTT.</summary>
    private async Task<Dictionary<(string, string), PairLink>> ShowLinksAsync(CancellationToken ct)
    {
        var names = _info.Keys.ToList();
        var pairs = new List<(string A, string B)>();
        for (int i = 0; i < names.Count; i++)
        {
            for (int j = i + 1; j < names.Count; j++) pairs.Add((names[i], names[j]));
        }
        var nodes = _cluster.Nodes;
        var start = _clock.Elapsed;
        await Task.WhenAll(pairs.Select(p => nodes[p.A].Control.RequestLinkAsync(_info[p.B].Address, ct)));

        // Wait until both ends of every pair list the other; a pair with a public or full-cone end must end up direct, so
        // give a relayed start a moment to be upgraded (hole punching runs while the relayed link already carries traffic).
        var deadline = start + TimeSpan.FromSeconds(30);
        var nextReport = start + TimeSpan.FromSeconds(5);
        Dictionary<string, StatusDocument> statuses;
        while (true)
        {
            statuses = await _cluster.StatusesAsync(ct);
            var pending = pairs.Where(p => Link(statuses, p.A, p.B) is not { } ab || Link(statuses, p.B, p.A) is null
                || ab.Path != "direct" && MustBeDirect(p.A, p.B) && _clock.Elapsed < start + TimeSpan.FromSeconds(15)).ToList();
            if (pending.Count == 0 || _clock.Elapsed > deadline) break;
            if (_clock.Elapsed > nextReport)
            {
                nextReport += TimeSpan.FromSeconds(5);
                Say($"    waiting for links: {string.Join(", ", pending.Select(p => $"{p.A}-{p.B} ({Link(statuses, p.A, p.B)?.Path ?? "none"}/{Link(statuses, p.B, p.A)?.Path ?? "none"})"))}");
            }
            await Task.Delay(200, ct);
        }

        // One overlay echo exchange per pair (POST /v1/ping, as `woven ping` does), all pairs at once.
        // A link that is moving between relays at that moment can miss all three echoes (it moves after three silent
        // seconds); such a pair gets one more exchange, and the demo says so.
        var retried = new System.Collections.Concurrent.ConcurrentBag<string>();
        var echoes = await Task.WhenAll(pairs.Select(async p =>
        {
            var (status, link) = await EchoAsync(nodes[p.A], _info[p.B].Address, ct);
            if (link.RttMs is null)
            {
                retried.Add($"{p.A}-{p.B}");
                (status, link) = await EchoAsync(nodes[p.A], _info[p.B].Address, ct);
            }
            return (p, status, Link: link);
        }));
        var result = new Dictionary<(string, string), PairLink>();
        foreach (var (p, status, link) in echoes)
        {
            result[(p.A, p.B)] = result[(p.B, p.A)] = link;
            if (link.Path == "none" || link.RttMs is null)
                Fail($"{p.A} - {p.B}: {(link.Path == "none" ? "no link" : "linked")} and {(link.RttMs is null ? "no echo answered" : "echoes answered")} ({status})");
        }
        int direct = echoes.Count(e => e.Link.Path == "direct"), relayed = echoes.Count(e => e.Link.Path == "relayed");
        Say($"links between every pair, {(_clock.Elapsed - start).TotalSeconds:F1} s after asking (d = direct UDP through the NATs, r = relayed; overlay echo RTT in ms):");
        Console.WriteLine("    " + new string(' ', 7) + string.Concat(names.Select(n => $"{n,-9}")));
        foreach (var a in names)
        {
            var cells = names.Select(b => a == b ? "-" : result[(a, b)] is var l && l.Path == "none" ? "none" : $"{l.Path[0]} {(l.RttMs is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "?")}");
            Console.WriteLine($"    {a,-7}{string.Concat(cells.Select(c => $"{c,-9}"))}");
        }
        var relays = echoes.Where(e => e.Link.Path == "relayed").Select(e => $"{e.p.A}-{e.p.B} via {(e.Link.Via is { Length: >= 8 } v ? NameOf(v) : "?")}").ToList();
        if (relays.Count > 0) Console.WriteLine($"    relayed: {string.Join(", ", relays)}");
        if (!retried.IsEmpty) Console.WriteLine($"    no echo answered in a first exchange of three, so exchanged again: {string.Join(", ", retried)}");
        _summary.Add($"links      {pairs.Count} pairs: {direct} direct, {relayed} relayed, {pairs.Count - direct - relayed} without a link");
        return result;
    }

    private static async Task<(int Status, PairLink Link)> EchoAsync(Woven.Node.Cluster.NodeProcess from, string to, CancellationToken ct)
    {
        var (status, json) = await from.Control.PingAsync(new PingRequest(to, 3), ct);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        double? avg = root.TryGetProperty("rtt_avg_ms", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble() : null;
        string path = root.TryGetProperty("path", out var pa) ? pa.GetString() ?? "none" : "none";
        string? via = root.TryGetProperty("via", out var v) ? v.GetString() : null;
        return (status, new PairLink(path, via, avg));
    }

    private static PeerDocument? Link(Dictionary<string, StatusDocument> statuses, string from, string to) =>
        statuses.TryGetValue(from, out var s) && statuses.TryGetValue(to, out var t) ? s.Peers.FirstOrDefault(p => p.Address == t.Address) : null;

    /// <summary>A pair with the public node or the full-cone site's first host: hole punching cannot fail, so it must be direct.</summary>
    private static bool MustBeDirect(string a, string b) => a is "boot" or "cone1" || b is "boot" or "cone1";

    /// <summary>Unmodified programs by name: <c>dig @OWN-VIP NAME.woven</c> on the node's own DNS server, then ICMP ping.</summary>
    private async Task PingByNameAsync(CancellationToken ct)
    {
        (string From, string To)[] pairs = [("cone1", "prc1"), ("prc1", "sym1"), ("sym1", "cone1"), ("cone2", "sym2"), ("prc2", "cone2"), ("sym2", "prc2"), ("boot", "sym1")];
        var start = _clock.Elapsed;
        var results = await Task.WhenAll(pairs.Select(async p =>
        {
            var from = _info[p.From];
            var to = _info[p.To];
            var ns = _cluster.NamespaceOf(p.From);
            var dig = await ExecAsync(ns, TimeSpan.FromSeconds(20), ct, "dig", "+short", "+time=3", "+tries=2", $"@{from.Vip}", to.Fqdn!);
            string answer = dig.Stdout.Trim();
            if (answer != to.Vip) return (p, Line: $"dig @{from.Vip} {to.Fqdn} answered '{answer}', want {to.Vip}", Ok: false);
            var ping = await ExecAsync(ns, TimeSpan.FromSeconds(20), ct, "ping", "-c", "3", "-i", "0.2", "-W", "3", answer);
            int received = PingReceived().Match(ping.Stdout) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            string avg = PingAverage().Match(ping.Stdout) is { Success: true } a ? $", avg {a.Groups[1].Value} ms" : "";
            string line = $"{p.From,-5} -> {to.Fqdn,-11}  dig @{from.Vip} {to.Fqdn} = {answer,-15} ping {received}/3 answered{avg}";
            if (received < 2 || from.Vip6 is null || to.Vip6 is null) return (p, Line: line, Ok: received >= 2);
            // The same over IPv6: the AAAA answer, then ping -6 to it.
            var dig6 = await ExecAsync(ns, TimeSpan.FromSeconds(20), ct, "dig", "+short", "+time=3", "+tries=2", $"@{from.Vip}", to.Fqdn!, "AAAA");
            string answer6 = dig6.Stdout.Trim();
            if (!IPAddress.TryParse(answer6, out var a6) || !a6.Equals(IPAddress.Parse(to.Vip6)))
                return (p, Line: $"{line}; dig AAAA answered '{answer6}', want {to.Vip6}", Ok: false);
            var ping6 = await ExecAsync(ns, TimeSpan.FromSeconds(20), ct, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "3", answer6);
            int received6 = PingReceived().Match(ping6.Stdout) is { Success: true } m6 ? int.Parse(m6.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            return (p, Line: $"{line}; AAAA {answer6} ping -6 {received6}/3", Ok: received6 >= 2);
        }));
        Say($"pings by name across sites ({(_clock.Elapsed - start).TotalSeconds:F1} s): `dig @OWN-VIP NAME.{Zone}` (each node answers DNS on its virtual address), then `ping` to the answer over woven0, and the same over IPv6 (AAAA, `ping -6`):");
        foreach (var r in results)
        {
            Console.WriteLine("    " + r.Line);
            if (!r.Ok) Fail($"{r.p.From} -> {r.p.To} by name: {r.Line}");
        }
        _summary.Add($"by name    {results.Count(r => r.Ok)}/{results.Length} cross-site pings by name answered (dig + ICMP over the virtual network, IPv4{(_info.Values.All(i => i.Vip6 is not null) ? " and IPv6" : "")})");
    }

    /// <summary>TCP throughput between the port-restricted and the symmetric site, over whatever path woven chose.</summary>
    private async Task RunIperfAsync(Dictionary<(string, string), PairLink> paths, CancellationToken ct)
    {
        var server = _info["sym1"];
        var serverNs = _cluster.NamespaceOf("sym1");
        using var iperf = Lab.StartProcess(serverNs, "iperf3", "-s", "-1", "-B", server.Vip!);
        iperf.BeginOutputReadLine();
        iperf.BeginErrorReadLine();
        for (int i = 0; i < 50; i++)
        {
            var ss = await ExecAsync(serverNs, TimeSpan.FromSeconds(10), ct, "ss", "-Hltn");
            if (ss.Stdout.Contains($"{server.Vip}:5201", StringComparison.Ordinal)) break;
            await Task.Delay(100, ct);
        }
        var link = paths[("prc1", "sym1")];
        string how = link.Path == "relayed" ? $"relayed via {(link.Via is { Length: >= 8 } v ? NameOf(v) : "a relay")}" : link.Path;
        var client = await ExecAsync(_cluster.NamespaceOf("prc1"), TimeSpan.FromSeconds(30), ct, "iperf3", "-c", server.Vip!, "-t", "2", "-J");
        double mbits = 0;
        try
        {
            using var report = JsonDocument.Parse(client.Stdout);
            mbits = report.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e6;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
        }
        if (client.ExitCode != 0 || mbits <= 0)
        {
            Fail($"iperf3 prc1 -> sym1 ({server.Vip}): {client}");
            return;
        }
        Say($"iperf3 2 s TCP from prc1 (port-restricted) to sym1 (symmetric) at {server.Vip}, {how}: {mbits:F0} Mbit/s");
        _summary.Add($"iperf3     prc1 -> sym1 (port-restricted -> symmetric, {how}): {mbits:F0} Mbit/s");

        // The same links as a user sees them, with the bytes the iperf3 run put on the relayed one.
        var peers = await ExecAsync(_cluster.NamespaceOf("prc1"), TimeSpan.FromSeconds(20), ct, _cluster.Woven, "peers", "--state-dir", _cluster.Nodes["prc1"].StateDir);
        if (peers.ExitCode == 0)
        {
            Say($"`woven peers` on prc1:");
            foreach (var line in peers.Stdout.TrimEnd().Split('\n')) Console.WriteLine("    " + line.TrimEnd());
        }
        else
        {
            Fail($"woven peers on prc1: {peers}");
        }
    }

    /// <summary>A message from the full-cone site to the symmetric site with <c>woven msg send</c> / <c>woven msg listen</c>.</summary>
    private async Task ExchangeMessageAsync(Dictionary<(string, string), PairLink> paths, CancellationToken ct)
    {
        // The messaging commands arrive in their own change; the demo says so plainly when this build has none.
        var help = await ExecAsync(_cluster.NamespaceOf("boot"), TimeSpan.FromSeconds(20), ct, _cluster.Woven, "--help");
        if (!help.Stdout.Split('\n').Any(l => l.TrimStart().StartsWith("msg ", StringComparison.Ordinal)))
        {
            Say("messaging: not in this build (no `woven msg` command)");
            _summary.Add("messaging  not in this build");
            return;
        }
        var nodes = _cluster.Nodes;
        string text = "hello sym2, this is cone1 behind a full-cone NAT";
        var start = _clock.Elapsed;
        using var listener = Lab.StartProcess(_cluster.NamespaceOf("sym2"), _cluster.Woven, "msg", "listen", MessageTopic, "--count", "1", "--state-dir", nodes["sym2"].StateDir);
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Text.StringBuilder();
        listener.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (errors) errors.AppendLine(e.Data);
            if (e.Data.Contains("listening on", StringComparison.Ordinal)) subscribed.TrySetResult();
        };
        var received = listener.StandardOutput.ReadToEndAsync(ct);
        listener.BeginErrorReadLine();
        try
        {
            await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(15), ct);
        }
        catch (TimeoutException)
        {
            Fail($"woven msg listen on sym2 did not subscribe within 15 s: {errors}");
            return;
        }
        var send = await ExecAsync(_cluster.NamespaceOf("cone1"), TimeSpan.FromSeconds(30), ct, _cluster.Woven, "msg", "send", "sym2", MessageTopic, text, "--state-dir", nodes["cone1"].StateDir);
        if (send.ExitCode != 0)
        {
            Fail($"woven msg send sym2 from cone1: {send}");
            return;
        }
        string got;
        try
        {
            got = (await received.WaitAsync(TimeSpan.FromSeconds(15), ct)).Trim();
        }
        catch (TimeoutException)
        {
            Fail($"sym2 did not receive the message within 15 s: {errors}");
            return;
        }
        if (!got.Contains(text, StringComparison.Ordinal))
        {
            Fail($"sym2 received '{got}', want '{text}'");
            return;
        }
        double ms = (_clock.Elapsed - start).TotalMilliseconds;
        var link = paths[("cone1", "sym2")];
        string how = link.Path == "relayed" ? $"a link relayed via {(link.Via is { Length: >= 8 } v ? NameOf(v) : "a relay")}" : $"a {link.Path} link";
        Say($"message: cone1 `woven msg send sym2 {MessageTopic} \"{text}\"`; sym2 `woven msg listen {MessageTopic} --count 1` printed:");
        foreach (var line in got.Split('\n')) Console.WriteLine("    " + line.TrimEnd());
        _summary.Add($"messaging  cone1 (full-cone) -> sym2 (symmetric) on topic {MessageTopic} over {how}: delivered ({ms:F0} ms with both commands' start-up)");
    }

    [GeneratedRegex(@"(\d+) received")]
    private static partial Regex PingReceived();

    [GeneratedRegex(@"= [\d.]+/([\d.]+)/")]
    private static partial Regex PingAverage();
}

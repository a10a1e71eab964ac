using System.Net;
using System.Text.Json;
using Woven.Node.Lab;

namespace Woven.Cli.Demo;

/// <summary>The lab, coturn, the nodes and the ring.</summary>
internal sealed partial class LabDemo
{
    /// <summary>Builds the namespaces and routers. Synchronous on purpose: a signal is honoured between netlab.sh calls,
    /// never during one, so no namespace can appear after the cleanup ran.</summary>
    private void BuildLab(CancellationToken ct)
    {
        var start = _clock.Elapsed;
        Lab.CreateInternet();
        ct.ThrowIfCancellationRequested();
        Lab.AddPublicHost("stun", StunIp, StunIp2);
        ct.ThrowIfCancellationRequested();
        Lab.AddPublicHost("boot", BootIp);
        _info["boot"] = new NodeInfo("boot", "public", "none (public)", new IPEndPoint(BootIp, Port));
        var lines = new List<string>();
        foreach (var site in Sites)
        {
            ct.ThrowIfCancellationRequested();
            var wan = Lab.AddSite(site.Name, site.Type, site.Index);
            var hosts = new List<string>();
            for (int k = 0; k < site.Nodes.Length; k++)
            {
                ct.ThrowIfCancellationRequested();
                var ip = Lab.AddHost(site.Name, site.Nodes[k]);
                // Distinct ports for the hosts behind one NAT: masquerade keeps a port only while no other host uses it.
                _info[site.Nodes[k]] = new NodeInfo(site.Nodes[k], site.Name, NetLab.TypeName(site.Type), new IPEndPoint(ip, Port + k));
                hosts.Add($"{site.Nodes[k]} {ip}:{Port + k}");
            }
            lines.Add($"site {site.Name,-5} {NetLab.TypeName(site.Type),-16} router WAN {wan}, LAN 10.{site.Index}.0.0/24: {string.Join(", ", hosts)}");
        }
        Say($"lab built in {(_clock.Elapsed - start).TotalSeconds:F1} s (namespaces {Lab.Prefix}-*, nftables NAT routers):");
        Console.WriteLine($"    public segment 203.0.113.0/24: coturn {StunIp}+{StunIp2} (STUN, RFC 5780), bootstrap node boot {BootIp}:{Port}");
        foreach (var line in lines) Console.WriteLine("    " + line);
        Console.WriteLine("    (only a full-cone site's first host is 1:1 NATed; cone2 is masqueraded like a port-restricted host)");
        _summary.Add($"lab        coturn, a public bootstrap, sites behind {string.Join(", ", Sites.Select(s => NetLab.TypeName(s.Type)))} NATs; 7 nodes");
    }

    /// <summary>coturn as an RFC 5780 STUN server on two addresses, for <c>woven netcheck</c>.</summary>
    private async Task StartStunAsync(CancellationToken ct)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_cluster.WorkDir, "coturn")).FullName;
        var config = Path.Combine(dir, "turnserver.conf");
        File.WriteAllText(config, string.Join("\n",
            $"listening-ip={StunIp}", $"listening-ip={StunIp2}", "listening-port=3478", "alt-listening-port=3479",
            "stun-only", "no-tls", "no-dtls", "no-cli", $"pidfile={dir}/turnserver.pid", $"log-file={dir}/turnserver.log",
            "simple-log", "no-stdout-log", $"userdb={dir}/turndb", ""));
        var turn = Lab.StartProcess("stun", "turnserver", "-c", config);
        turn.BeginOutputReadLine();
        turn.BeginErrorReadLine();
        for (int i = 0; i < 100; i++)
        {
            var ss = await ExecAsync("stun", TimeSpan.FromSeconds(10), ct, "ss", "-Hlun");
            if (ss.Stdout.Split('\n').Count(l => l.Contains(":3478 ", StringComparison.Ordinal) || l.Contains(":3479 ", StringComparison.Ordinal)) >= 4)
            {
                Say($"coturn (pid {turn.Id}) answers STUN on {StunIp}:3478 and {StunIp2}:3479");
                return;
            }
            if (turn.HasExited) break;
            await Task.Delay(100, ct);
        }
        Fail($"coturn did not start listening (log: {dir}/turnserver.log); the NAT types below cannot be measured");
    }

    /// <summary>Starts <c>woven netcheck</c> on each site's first host (while the nodes come up); read by <see cref="ReportNetchecksAsync"/>.</summary>
    private Dictionary<LabSite, Task<LabResult>> StartNetchecks(CancellationToken ct) => Sites.ToDictionary(site => site, site =>
        ExecAsync(_cluster.Lab.HostNamespace(site.Name, site.Nodes[0]), TimeSpan.FromSeconds(30), ct, _cluster.Woven,
            "netcheck", "--json", "--stun", $"{StunIp}:3478", "--state-dir", Path.Combine(_cluster.WorkDir, "netcheck-" + site.Name)));

    private async Task ReportNetchecksAsync(Dictionary<LabSite, Task<LabResult>> netchecks)
    {
        Say($"each site's NAT as `woven netcheck --stun {StunIp}:3478` on its first host classifies it (RFC 5780):");
        int matched = 0;
        foreach (var (site, task) in netchecks)
        {
            var r = await task;
            string kind = "?", publicEndpoint = "-";
            try
            {
                using var doc = JsonDocument.Parse(r.Stdout);
                kind = doc.RootElement.GetProperty("nat_type").GetString() ?? "?";
                publicEndpoint = string.Join(", ", doc.RootElement.GetProperty("public_endpoints").EnumerateArray().Select(e => e.GetString()));
            }
            catch (JsonException)
            {
            }
            bool ok = kind == NetLab.TypeName(site.Type);
            if (ok) matched++;
            Console.WriteLine($"    site {site.Name,-5} built {NetLab.TypeName(site.Type),-16} netcheck says {kind,-16} public {publicEndpoint,-22} {(ok ? "ok" : "MISMATCH")}");
            if (!ok) Fail($"netcheck in site {site.Name} says {kind}, the router is {NetLab.TypeName(site.Type)}: {r}");
        }
        _summary.Add($"netcheck   {matched}/{netchecks.Count} sites classified as built");
    }

    private async Task<bool> StartNodesAsync(CancellationToken ct)
    {
        var start = _clock.Elapsed;
        var timeout = TimeSpan.FromSeconds(30);
        try
        {
            var boot = await _cluster.StartAsync("boot", "boot", new IPEndPoint(IPAddress.Any, Port), [], ["--vnet", "--name", "boot"], timeout, ct);
            Say($"bootstrap node boot is up (pid {boot.Pid}, {BootIp}:{Port}, `woven up --vnet --name boot`)");
            var bootstrap = new IPEndPoint(BootIp, Port);
            await Task.WhenAll(Sites.SelectMany(site => site.Nodes.Select(name =>
                _cluster.StartAsync(name, $"{site.Name}-{name}", new IPEndPoint(IPAddress.Any, _info[name].Local.Port), [bootstrap],
                    ["--vnet", "--name", name], timeout, ct))));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            Fail($"a node did not start: {e.Message}");
            return false;
        }
        foreach (var (name, status) in await _cluster.StatusesAsync(ct)) _info[name].Address = status.Address;
        _lastNodeUp = _clock.Elapsed;
        Say($"6 site nodes are up ({(_clock.Elapsed - start).TotalSeconds:F1} s for all 7), each joining through boot: `woven up --vnet --name NAME --bootstrap {BootIp}:{Port}`");
        return true;
    }

    private TimeSpan _lastNodeUp;

    private async Task<bool> WaitForRingAsync(CancellationToken ct)
    {
        var formed = await _cluster.WaitForRingAsync(TimeSpan.FromSeconds(60), ct);
        var statuses = await _cluster.StatusesAsync(ct);
        if (formed is null)
        {
            Fail("the ring did not form within 60 s: " + string.Join("; ", Woven.Node.Cluster.LocalCluster.RingErrors([.. statuses.Values])));
            return false;
        }
        var took = _clock.Elapsed - _lastNodeUp;
        Say($"ring formed {took.TotalSeconds:F1} s after the last node came up: every node's successor and predecessor are the true ones");
        Console.WriteLine($"    {"NODE",-6} {"SITE",-6} {"NAT",-16} {"RING ADDRESS",-10} {"LISTENS ON",-18} {"PRED",-6} {"SUCC",-6} {"LINKS",5} {"PID",7}");
        foreach (var (name, s) in statuses.OrderBy(p => p.Value.Address, StringComparer.Ordinal))
        {
            var i = _info[name];
            Console.WriteLine($"    {name,-6} {i.Site,-6} {i.Nat,-16} {s.Address[..8],-10} {i.Local,-18} {NameOf(s.Predecessors.FirstOrDefault() ?? "-"),-6} {NameOf(s.Successors.FirstOrDefault() ?? "-"),-6} {s.Peers.Count,5} {_cluster.Nodes[name].Pid,7}");
        }
        _summary.Add($"ring       formed {took.TotalSeconds:F1} s after the last of 7 nodes came up");
        return true;
    }

    private async Task<bool> WaitForAddressesAsync(CancellationToken ct)
    {
        var deadline = _clock.Elapsed + TimeSpan.FromSeconds(30);
        while (true)
        {
            var statuses = await _cluster.StatusesAsync(ct);
            foreach (var (name, s) in statuses)
            {
                if (s.Vnet is { Address: not null, NameRegistered: true } v)
                {
                    _info[name].Vip = v.Address;
                    _info[name].Vip6 = v.Address6;
                    _info[name].Fqdn = v.Name;
                }
            }
            if (_info.Values.All(i => i.Vip is not null)) break;
            if (_clock.Elapsed > deadline)
            {
                Fail("no virtual address and name after 30 s for " + string.Join(", ", _info.Values.Where(i => i.Vip is null).Select(i => i.Name)));
                return false;
            }
            await Task.Delay(200, ct);
        }
        Say("every node holds a virtual address and its name (claimed in the DHT; TUN device woven0 in its namespace):");
        foreach (var i in _info.Values) Console.WriteLine($"    {i.Fqdn,-12} {i.Vip,-15} {i.Vip6 ?? "(no IPv6)",-26} site {i.Site}");
        _summary.Add($"names      {_info.Count}/{_info.Count} nodes hold a virtual address and a name in .{Zone}");
        return true;
    }

    /// <summary>Runs a command in a lab namespace off the caller's thread; cancellation abandons the wait (the process,
    /// inside the lab, dies when the lab is destroyed).</summary>
    private Task<LabResult> ExecAsync(string ns, TimeSpan timeout, CancellationToken ct, string file, params string[] args) =>
        Task.Run(() => Lab.Exec(ns, timeout, file, args), CancellationToken.None).WaitAsync(ct);
}

using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Woven.Node.Control;
using Xunit.Abstractions;

namespace Woven.Lab.Tests;

/// <summary>
/// The virtual IP network with unmodified programs (ping, dig, iperf3) between sites behind real NAT routers: a public
/// site, a full-cone, a port-restricted and a symmetric one, and a public bootstrap node. Over IPv4 and IPv6 (the lab's
/// namespaces have IPv6 disabled, as many containers do; each node enables it on its TUN interface alone).
/// </summary>
public partial class VirtualNetworkLabTests(ITestOutputHelper output)
{
    private static readonly string[] Sites = ["pub", "cone", "prc", "sym"];

    [Fact]
    public async Task Every_node_reaches_every_other_by_address_and_name_and_tcp_runs_between_two_nated_sites()
    {
        Lab.RequireAvailable();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        using var lab = new WovenLab();
        await lab.StartPublicNodesAsync(cts.Token, "--vnet", "--name", "boot");
        var types = new[] { NatType.None, NatType.FullCone, NatType.PortRestricted, NatType.Symmetric };
        for (int i = 0; i < Sites.Length; i++) await lab.AddSiteNodeAsync(Sites[i], types[i], i + 1, "--vnet", "--name", Sites[i]);

        // Every node holds an address and its name.
        var nodes = new[] { "seed" }.Concat(Sites).ToList();
        var vnets = new Dictionary<string, VnetDocument>();
        var clock = Stopwatch.StartNew();
        foreach (var n in nodes)
        {
            while (true)
            {
                var v = (await lab.StatusAsync(n, cts.Token)).Vnet;
                if (v is { Address: not null, Address6: not null })
                {
                    vnets[n] = v;
                    break;
                }
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{n} holds no virtual address after 60 s");
                await Task.Delay(200, cts.Token);
            }
        }
        Assert.Equal(nodes.Count, vnets.Values.Select(v => v.Address).Distinct().Count());
        Assert.Equal(nodes.Count, vnets.Values.Select(v => v.Address6).Distinct().Count());
        // One prefix for all (this open overlay's, derived from its IPv4 range), each address in its subnet 0.
        var prefix = IPNetwork.Parse(Assert.Single(vnets.Values.Select(v => v.Ipv6Prefix).Distinct())!);
        Assert.Equal(0xFD, prefix.BaseAddress.GetAddressBytes()[0]);
        Assert.All(vnets.Values, v => Assert.True(prefix.Contains(IPAddress.Parse(v.Address6!))));
        output.WriteLine(string.Join(", ", vnets.Select(p => $"{p.Key} {p.Value.Address} {p.Value.Address6} {p.Value.Name}")));

        // Every pair, by address, and by name through the node's own DNS server (dig), then ping to the answer.
        foreach (var from in Sites)
        {
            foreach (var to in nodes.Where(n => n != from))
            {
                var ping = lab.Lab.Exec(lab.NamespaceOf(from), TimeSpan.FromSeconds(30), "ping", "-c", "3", "-i", "0.2", "-W", "5", vnets[to].Address!);
                Assert.True(ping.ExitCode == 0 && ping.Stdout.Contains(" 0% packet loss", StringComparison.Ordinal) || Received(ping.Stdout) >= 2,
                    $"{from} -> {to} ({vnets[to].Address}) by address: {ping}");
                var name = to == "seed" ? "boot.woven" : $"{to}.woven";
                var dig = lab.Lab.Exec(lab.NamespaceOf(from), TimeSpan.FromSeconds(20), "dig", "+short", "+time=5", "+tries=2", $"@{vnets[from].Address}", name);
                Assert.True(dig.Stdout.Trim() == vnets[to].Address, $"{from}: {name} resolved to '{dig.Stdout.Trim()}', want {vnets[to].Address}: {dig}");
                var reverse = lab.Lab.Exec(lab.NamespaceOf(from), TimeSpan.FromSeconds(20), "dig", "+short", "+time=5", $"@{vnets[from].Address}", "-x", vnets[to].Address!);
                Assert.Equal(name + ".", reverse.Stdout.Trim());

                // IPv6: the name's AAAA, then ping -6 to the answer. (The node's DNS server also listens on its IPv6 address,
                // but a host cannot reach its own IPv6 addresses while IPv6 is disabled on lo, as in these namespaces.)
                var aaaa = lab.Lab.Exec(lab.NamespaceOf(from), TimeSpan.FromSeconds(20), "dig", "+short", "+time=5", "+tries=2", $"@{vnets[from].Address}", "AAAA", name);
                Assert.True(IPAddress.TryParse(aaaa.Stdout.Trim(), out var answer6) && answer6.ToString() == vnets[to].Address6, $"{from}: {name} AAAA '{aaaa.Stdout.Trim()}', want {vnets[to].Address6}: {aaaa}");
                var ping6 = lab.Lab.Exec(lab.NamespaceOf(from), TimeSpan.FromSeconds(30), "ping", "-6", "-c", "3", "-i", "0.2", "-W", "5", vnets[to].Address6!);
                Assert.True(ping6.ExitCode == 0 && ping6.Stdout.Contains(" 0% packet loss", StringComparison.Ordinal) || Received(ping6.Stdout) >= 2,
                    $"{from} -> {to} ({vnets[to].Address6}) by IPv6 address: {ping6}");
            }
        }
        var reverse6 = lab.Lab.Exec(lab.NamespaceOf("cone"), TimeSpan.FromSeconds(20), "dig", "+short", "+time=5", $"@{vnets["cone"].Address}", "-x", vnets["sym"].Address6!);
        Assert.Equal("sym.woven.", reverse6.Stdout.Trim());
        // With IPv6 on lo (this test's namespace), the DNS server answers on the node's IPv6 address too.
        lab.Lab.Exec(lab.NamespaceOf("cone"), "sysctl", "-q", "-w", "net.ipv6.conf.lo.disable_ipv6=0");
        var over6 = lab.Lab.Exec(lab.NamespaceOf("cone"), TimeSpan.FromSeconds(20), "dig", "+short", "+time=5", $"@{vnets["cone"].Address6}", "AAAA", "sym.woven");
        Assert.True(over6.Stdout.Trim() == vnets["sym"].Address6, $"dig @{vnets["cone"].Address6} AAAA sym.woven: {over6}");
        // woven ping by IPv6 address finds the holder from its vip6 record; woven ip prints both addresses.
        var (pingStatus, pingJson) = await lab.Nodes["cone"].Control.PingAsync(new PingRequest(vnets["sym"].Address6, 2), cts.Token);
        Assert.True(pingStatus == 200, $"woven ping {vnets["sym"].Address6}: {pingStatus} {pingJson}");
        var pinged = System.Text.Json.JsonSerializer.Deserialize<PingDocument>(pingJson, ControlJson.Options)!;
        Assert.Equal((await lab.StatusAsync("sym", cts.Token)).Address, pinged.Address);
        var ip = lab.Lab.Exec(lab.NamespaceOf("cone"), WovenLab.Woven, "ip", "--state-dir", lab.Nodes["cone"].StateDir);
        Assert.True(ip.ExitCode == 0 && ip.Stdout.Contains(vnets["cone"].Address!, StringComparison.Ordinal) && ip.Stdout.Contains(vnets["cone"].Address6!, StringComparison.Ordinal), $"woven ip: {ip}");

        // TCP between the port-restricted and the symmetric site.
        using var server = lab.Lab.StartProcess(lab.NamespaceOf("sym"), "iperf3", "-s", "-1", "-B", vnets["sym"].Address!);
        await Task.Delay(500, cts.Token);
        var iperf = lab.Lab.Exec(lab.NamespaceOf("prc"), TimeSpan.FromSeconds(60), "iperf3", "-c", vnets["sym"].Address!, "-t", "3", "-J");
        Assert.True(iperf.ExitCode == 0, $"iperf3: {iperf}");
        using var report = System.Text.Json.JsonDocument.Parse(iperf.Stdout);
        double bits = report.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
        output.WriteLine($"iperf3 port-restricted -> symmetric over Woven: {bits / 1e6:F0} Mbit/s");
        Assert.True(bits > 1e6, $"only {bits / 1e6:F2} Mbit/s");
        if (!server.HasExited) server.Kill();

        // The same pair over IPv6. Over a relayed link, IPv6 packets larger than one relayed datagram are answered with
        // ICMPv6 "packet too big" (IPv6 has no DF; the kernel accepts it only with a right checksum, or TCP would stall).
        long tooBigBefore = (await lab.StatusAsync("prc", cts.Token)).Vnet!.TooBigForPath;
        using var server6 = lab.Lab.StartProcess(lab.NamespaceOf("sym"), "iperf3", "-s", "-1", "-B", vnets["sym"].Address6!);
        await Task.Delay(500, cts.Token);
        var iperf6 = lab.Lab.Exec(lab.NamespaceOf("prc"), TimeSpan.FromSeconds(60), "iperf3", "-6", "-c", vnets["sym"].Address6!, "-t", "2", "-J");
        Assert.True(iperf6.ExitCode == 0, $"iperf3 -6: {iperf6}");
        using var report6 = System.Text.Json.JsonDocument.Parse(iperf6.Stdout);
        double bits6 = report6.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
        long tooBig6 = (await lab.StatusAsync("prc", cts.Token)).Vnet!.TooBigForPath - tooBigBefore;
        output.WriteLine($"iperf3 -6 port-restricted -> symmetric over Woven: {bits6 / 1e6:F0} Mbit/s, {tooBig6} packets answered with ICMPv6 packet-too-big");
        Assert.True(bits6 > 1e6, $"only {bits6 / 1e6:F2} Mbit/s over IPv6");
        if (!server6.HasExited) server6.Kill();

        // woven peers on prc names sym from sym's own address claim in the DHT (these nodes have no certificates) and
        // counts the iperf3 bytes on their link.
        var peers = await lab.Nodes["prc"].Control.GetPeersAsync(cts.Token);
        var sym = Assert.Single(peers.Peers, p => p.Vip == vnets["sym"].Address);
        Assert.Equal(("sym", "dht"), (sym.Name, sym.IdentitySource));
        Assert.True(sym.BytesOut > 100_000, $"only {sym.BytesOut} bytes counted towards sym");
        output.WriteLine($"prc's link to sym: {sym.Path} {sym.Transport ?? sym.Via}, {sym.BytesOut:N0} bytes out, {sym.BytesIn:N0} in");
        // Over a relayed link the 32 KB TUN MTU is too much for one relayed datagram: TCP's first large segments are
        // answered with ICMP "fragmentation needed", and the transfer above ran on the smaller path MTU it set.
        var prcVnet = (await lab.StatusAsync("prc", cts.Token)).Vnet!;
        output.WriteLine($"prc: {prcVnet.TooBigForPath} packets refused with ICMP fragmentation-needed, {prcVnet.DroppedIncomplete} incomplete");
        if (sym.Path == "relayed") Assert.True(prcVnet.TooBigForPath > 0 && tooBig6 > 0, "a relayed link carried large packets without an ICMP fragmentation-needed or packet-too-big");
        Assert.Equal(vnets["sym"].Address6, sym.Vip6);

        // An ssh login from the full-cone site to an sshd listening only on the symmetric site's virtual address.
        using (var sshd = new LabSsh(lab.Lab, lab.NamespaceOf("sym"), vnets["sym"].Address!))
        {
            var ssh = sshd.Login(lab.Lab, lab.NamespaceOf("cone"), "echo woven-ssh-ok sym");
            Assert.True(ssh.ExitCode == 0 && ssh.Stdout.Contains("woven-ssh-ok sym", StringComparison.Ordinal), $"ssh over Woven: {ssh}");
        }

        var status = await lab.StatusAsync("sym", cts.Token);
        Assert.True(status.Vnet!.PacketsIn > 100);
        Assert.Equal(0, status.Vnet.DroppedSpoofed);

        // A real member that puts another member's address on its interface and sends from it gets nowhere: its node
        // refuses and counts the packets, and the destination sees none of them.
        long before = status.Vnet.PacketsIn;
        var cone = lab.NamespaceOf("cone");
        lab.Lab.Exec(cone, "ip", "addr", "add", $"{vnets["prc"].Address}/32", "dev", "woven0");
        var spoof = lab.Lab.Exec(cone, TimeSpan.FromSeconds(20), "ping", "-c", "3", "-i", "0.2", "-W", "1", "-I", vnets["prc"].Address!, vnets["sym"].Address!);
        Assert.NotEqual(0, spoof.ExitCode);
        Assert.True((await lab.StatusAsync("cone", cts.Token)).Vnet!.DroppedSpoofed >= 3, "the member's node did not refuse the spoofed packets");
        // (A stray packet of the earlier ssh session may still arrive; the three spoofed echo requests must not.)
        long arrived = (await lab.StatusAsync("sym", cts.Token)).Vnet!.PacketsIn - before;
        Assert.True(arrived < 3, $"{arrived} packets reached the destination during the spoofed pings");

        // The same with another member's IPv6 address.
        long spoofedBefore = (await lab.StatusAsync("cone", cts.Token)).Vnet!.DroppedSpoofed;
        before = (await lab.StatusAsync("sym", cts.Token)).Vnet!.PacketsIn;
        lab.Lab.Exec(cone, "ip", "-6", "addr", "add", $"{vnets["prc"].Address6}/128", "dev", "woven0", "nodad");
        var spoof6 = lab.Lab.Exec(cone, TimeSpan.FromSeconds(20), "ping", "-6", "-c", "3", "-i", "0.2", "-W", "1", "-I", vnets["prc"].Address6!, vnets["sym"].Address6!);
        Assert.NotEqual(0, spoof6.ExitCode);
        long spoofed6 = (await lab.StatusAsync("cone", cts.Token)).Vnet!.DroppedSpoofed - spoofedBefore;
        Assert.True(spoofed6 >= 3, $"the member's node refused {spoofed6} spoofed IPv6 packets, not the 3 echo requests");
        arrived = (await lab.StatusAsync("sym", cts.Token)).Vnet!.PacketsIn - before;
        Assert.True(arrived < 3, $"{arrived} packets reached the destination during the spoofed IPv6 pings");
    }

    private static int Received(string pingOutput) =>
        PingReceived().Match(pingOutput) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"(\d+) received")]
    private static partial Regex PingReceived();
}

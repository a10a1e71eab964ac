using System.Net;
using System.Text.Json;
using Woven.Node.Cluster;

namespace Woven.Integration.Tests;

/// <summary>The control surface against real <c>woven up</c> processes on 127.0.0.1: <c>woven peers</c> and the TCP listener.</summary>
public class ControlCliTests
{
    [Fact]
    public async Task Peers_shows_each_members_name_vip_path_and_the_traffic_of_its_link()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var dir = Directory.CreateTempSubdirectory("woven-peers-").FullName;
        var nodes = new List<NodeProcess>();
        try
        {
            var ca = Path.Combine(dir, "ca");
            Check(await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "domain", "init", "lab", "--dir", ca, "--ipv4", "10.77.0.0/16"));
            foreach (var (name, ip) in new[] { ("m1", "10.77.0.11"), ("m2", (string?)null) })
            {
                string[] issue = ip is null ? ["domain", "token", "--dir", ca, "--name", name] : ["domain", "token", "--dir", ca, "--name", name, "--ip", ip];
                var token = Check(await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), issue)).Stdout.Trim();
                Check(await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "domain", "join", token, "--state-dir", Path.Combine(dir, name)));
            }
            var m1 = Start(nodes, Path.Combine(dir, "m1"), []);
            var a1 = (await m1.WaitUntilUpAsync(TimeSpan.FromSeconds(30), cts.Token)).Address;
            var m2 = Start(nodes, Path.Combine(dir, "m2"), [m1.Listen]);
            var a2 = (await m2.WaitUntilUpAsync(TimeSpan.FromSeconds(30), cts.Token)).Address;
            while ((await m2.Control.GetPeersAsync(cts.Token)).Peers.All(p => p.Address != a1)) await Task.Delay(200, cts.Token);

            // m2 sees m1 by the name and the static address of m1's certificate; m1 sees m2's name (its address is dynamic,
            // claimed only in the virtual network, which these nodes are not in).
            var before = Assert.Single((await m2.Control.GetPeersAsync(cts.Token)).Peers, p => p.Address == a1);
            Assert.Equal(("m1", "10.77.0.11", "certificate", "direct", "udp", m1.Listen.ToString()), (before.Name, before.Vip, before.IdentitySource, before.Path, before.Transport, before.Endpoint));
            var ofM2 = Assert.Single((await m1.Control.GetPeersAsync(cts.Token)).Peers, p => p.Address == a2);
            Assert.Equal(("m2", null, "certificate"), (ofM2.Name, ofM2.Vip, ofM2.IdentitySource));

            // Five echoes from m2 to m1 are five more sealed frames each way on the link, counted on both ends.
            var ping = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "ping", a1, "-c", "5", "--state-dir", m2.StateDir);
            Assert.True(ping.ExitCode == 0, ping.Stderr);
            var after = Assert.Single((await m2.Control.GetPeersAsync(cts.Token)).Peers, p => p.Address == a1);
            Assert.True(after.PacketsOut >= before.PacketsOut + 5, $"packets out {before.PacketsOut} -> {after.PacketsOut}");
            Assert.True(after.PacketsIn >= before.PacketsIn + 5, $"packets in {before.PacketsIn} -> {after.PacketsIn}");
            Assert.True(after.BytesOut > before.BytesOut && after.BytesIn > before.BytesIn);
            Assert.NotNull(after.RttMs);

            var table = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "peers", "--state-dir", m2.StateDir);
            Assert.True(table.ExitCode == 0, table.Stderr);
            var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith("NAME", lines[0]);
            var row = Assert.Single(lines, l => l.StartsWith("m1 ", StringComparison.Ordinal));
            Assert.Contains("10.77.0.11", row);
            Assert.Contains(a1[..8], row);
            Assert.Contains($"direct udp {m1.Listen}", row);

            var json = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "peers", "--json", "--state-dir", m1.StateDir);
            Assert.True(json.ExitCode == 0, json.Stderr);
            using var doc = JsonDocument.Parse(json.Stdout);
            Assert.Equal(a1, doc.RootElement.GetProperty("address").GetString());
            var entry = Assert.Single(doc.RootElement.GetProperty("peers").EnumerateArray(), p => p.GetProperty("address").GetString() == a2);
            Assert.Equal("m2", entry.GetProperty("name").GetString());
            Assert.True(entry.GetProperty("bytes_in").GetInt64() > 0);
            Assert.True(entry.GetProperty("packets_out").GetInt64() > 0);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task The_tcp_listener_answers_401_without_the_token_and_200_with_it()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var dir = Directory.CreateTempSubdirectory("woven-tcp-").FullName;
        var nodes = new List<NodeProcess>();
        try
        {
            var port = FreeTcpPort();
            var node = Start(nodes, Path.Combine(dir, "n"), [], ["--control-tcp", $"127.0.0.1:{port}"]);
            var address = (await node.WaitUntilUpAsync(TimeSpan.FromSeconds(30), cts.Token)).Address;
            var tokenFile = Path.Combine(node.StateDir, "control.token");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
            var token = File.ReadAllText(tokenFile).Trim();
            Assert.Matches("^[0-9a-f]{64}$", token);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            using (var bare = await http.GetAsync(new Uri("v1/status", UriKind.Relative), cts.Token))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
                Assert.Contains("Bearer", bare.Headers.WwwAuthenticate.ToString());
                Assert.Contains("control.token", await bare.Content.ReadAsStringAsync(cts.Token));
            }
            using (var wrong = new HttpRequestMessage(HttpMethod.Get, "v1/peers"))
            {
                wrong.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", new string('0', 64));
                using var answer = await http.SendAsync(wrong, cts.Token);
                Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
            }
            using (var client = Woven.Node.Control.ControlClient.ForTcp(new IPEndPoint(IPAddress.Loopback, port), token))
            {
                Assert.Equal(address, (await client.GetStatusAsync(cts.Token)).Address);
                Assert.Equal(address, (await client.GetPeersAsync(cts.Token)).Address);
            }
            // The unix socket needs no token (its mode 0600 guards it).
            Assert.Equal(address, (await node.Control.GetStatusAsync(cts.Token)).Address);
            // A node that stops takes its token with it.
            Assert.True(node.Stop(TimeSpan.FromSeconds(10)), "the node did not stop on SIGTERM");
            Assert.False(System.IO.File.Exists(tokenFile), "control.token is left after the node stopped");

            var open = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "up", "--state-dir", Path.Combine(dir, "m"), "--listen", "127.0.0.1:0", "--control-tcp", "0.0.0.0:7070");
            Assert.Equal(2, open.ExitCode);
            Assert.Contains("--control-tcp: 0.0.0.0:7070 is not a loopback address", open.Stderr);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            Directory.Delete(dir, true);
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static NodeProcess Start(List<NodeProcess> nodes, string stateDir, IPEndPoint[] bootstraps, IEnumerable<string>? extraArgs = null)
    {
        var node = NodeProcess.Start(WovenBinary.Path, stateDir, new IPEndPoint(IPAddress.Loopback, LocalCluster.FreeUdpPort()), bootstraps, extraArgs);
        nodes.Add(node);
        return node;
    }

    private static WovenBinary.Result Check(WovenBinary.Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stdout}\n{r.Stderr}");
        return r;
    }
}

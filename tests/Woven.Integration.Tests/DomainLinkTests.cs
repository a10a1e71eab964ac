using System.Net;
using Woven.Node.Cluster;

namespace Woven.Integration.Tests;

/// <summary>Real nodes in a private domain: members link, strangers do not, a revocation spreads and cuts the revoked node off.</summary>
public class DomainLinkTests
{
    [Fact]
    public async Task Members_link_an_outsider_does_not_and_a_revocation_spreads()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var dir = Directory.CreateTempSubdirectory("woven-domain-").FullName;
        var ca = Path.Combine(dir, "ca");
        var nodes = new List<NodeProcess>();
        try
        {
            Check(await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "domain", "init", "lab", "--dir", ca));
            var names = new[] { "m1", "m2", "m3", "m4" };
            foreach (var name in names)
            {
                var token = Check(await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "domain", "token", "--dir", ca, "--name", name)).Stdout.Trim();
                Check(await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "domain", "join", token, "--state-dir", Path.Combine(dir, name)));
            }
            var seed = Start(nodes, Path.Combine(dir, "m1"), []);
            await seed.WaitUntilUpAsync(TimeSpan.FromSeconds(30), cts.Token);
            foreach (var name in names.Skip(1)) Start(nodes, Path.Combine(dir, name), [seed.Listen]);
            // An outsider: same software, no certificate (an open node), joining through a member.
            var outsider = Start(nodes, Path.Combine(dir, "outsider"), [seed.Listen]);
            foreach (var n in nodes) await n.WaitUntilUpAsync(TimeSpan.FromSeconds(30), cts.Token);

            var members = nodes.Take(4).ToList();
            var addresses = new List<string>();
            foreach (var m in members) addresses.Add((await m.Control.GetStatusAsync(cts.Token)).Address);
            var outsiderAddress = (await outsider.Control.GetStatusAsync(cts.Token)).Address;
            await WaitAsync(async () =>
            {
                foreach (var m in members)
                {
                    var s = await m.Control.GetStatusAsync(cts.Token);
                    if (s.Peers.Count(p => addresses.Contains(p.Address)) < 3) return false;
                }
                return true;
            }, TimeSpan.FromSeconds(40), "members did not all link", cts.Token);
            await Task.Delay(TimeSpan.FromSeconds(3), cts.Token);
            foreach (var m in members)
            {
                var s = await m.Control.GetStatusAsync(cts.Token);
                Assert.Equal("lab", s.Domain);
                Assert.DoesNotContain(s.Peers, p => p.Address == outsiderAddress);
            }
            var seedStatus = await seed.Control.GetStatusAsync(cts.Token);
            Assert.True(seedStatus.Counters.Dropped["not_member"] > 0, "the seed never refused the outsider");

            // Revoke m4; the list is dropped into m1's state directory only, and must reach m2 and m3 through the links.
            Check(await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "domain", "revoke", "--dir", ca, "--name", "m4"));
            File.Copy(Path.Combine(ca, "revocations.bin"), Path.Combine(dir, "m1", "revocations.bin.tmp"));
            File.Move(Path.Combine(dir, "m1", "revocations.bin.tmp"), Path.Combine(dir, "m1", "revocations.bin"), overwrite: true);
            await WaitAsync(async () =>
            {
                foreach (var m in members.Take(3))
                {
                    var s = await m.Control.GetStatusAsync(cts.Token);
                    if (s.Peers.Any(p => p.Address == addresses[3])) return false;
                }
                return true;
            }, TimeSpan.FromSeconds(30), "the revoked member is still linked", cts.Token);
            Assert.True(File.Exists(Path.Combine(dir, "m3", "revocations.bin")), "the list did not spread to m3's state");
            // And it stays out: m4's attempts to link again are refused.
            await Task.Delay(TimeSpan.FromSeconds(5), cts.Token);
            foreach (var m in members.Take(3))
                Assert.DoesNotContain((await m.Control.GetStatusAsync(cts.Token)).Peers, p => p.Address == addresses[3]);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static NodeProcess Start(List<NodeProcess> nodes, string stateDir, IPEndPoint[] bootstraps)
    {
        var node = NodeProcess.Start(WovenBinary.Path, stateDir, new IPEndPoint(IPAddress.Loopback, LocalCluster.FreeUdpPort()), bootstraps);
        nodes.Add(node);
        return node;
    }

    private static WovenBinary.Result Check(WovenBinary.Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stdout}\n{r.Stderr}");
        return r;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(what);
            await Task.Delay(250, ct);
        }
    }
}

using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Woven.Lab.Tests;

/// <summary><c>woven netcheck</c> in every kind of site, against coturn as an RFC 5780 server with two addresses.</summary>
public class NetcheckLabTests(ITestOutputHelper output)
{
    private static readonly (NatType Type, string Expected)[] Sites =
    [
        (NatType.None, "none"),
        (NatType.FullCone, "full-cone"),
        (NatType.Restricted, "restricted"),
        (NatType.PortRestricted, "port-restricted"),
        (NatType.Symmetric, "symmetric"),
        (NatType.UdpBlocked, "udp-blocked"),
    ];

    [Fact]
    public async Task Netcheck_classifies_every_site_type()
    {
        Lab.RequireAvailable();
        using var lab = new Lab();
        var dir = Directory.CreateTempSubdirectory("woven-netcheck-").FullName;
        try
        {
            lab.CreateInternet();
            lab.AddPublicHost("stun", IPAddress.Parse("203.0.113.2"), IPAddress.Parse("203.0.113.3"));
            File.WriteAllText(Path.Combine(dir, "turnserver.conf"), string.Join("\n",
                "listening-ip=203.0.113.2", "listening-ip=203.0.113.3", "listening-port=3478", "alt-listening-port=3479",
                "stun-only", "no-tls", "no-dtls", "no-cli", $"pidfile={dir}/turnserver.pid", $"log-file={dir}/turnserver.log",
                "simple-log", "no-stdout-log", $"userdb={dir}/turndb", ""));
            var turn = lab.StartProcess("stun", "turnserver", "-c", Path.Combine(dir, "turnserver.conf"));
            turn.BeginOutputReadLine();
            turn.BeginErrorReadLine();
            for (int i = 0; i < Sites.Length; i++)
            {
                lab.AddSite($"s{i + 1}", Sites[i].Type, i + 1);
                lab.AddHost($"s{i + 1}", "h");
            }
            await WaitForStunAsync(lab);

            var checks = Sites.Select((s, i) => Task.Run(() =>
                lab.Exec(lab.HostNamespace($"s{i + 1}", "h"), TimeSpan.FromSeconds(60), WovenLab.Woven,
                    "netcheck", "--json", "--stun", "203.0.113.2:3478", "--state-dir", Path.Combine(dir, $"state{i}")))).ToList();
            var results = await Task.WhenAll(checks);
            var failures = new List<string>();
            for (int i = 0; i < Sites.Length; i++)
            {
                var r = results[i];
                output.WriteLine($"{Sites[i].Expected}: {r.Stdout.ReplaceLineEndings(" ")}");
                if (r.ExitCode != 0)
                {
                    failures.Add($"{Sites[i].Expected}: exit {r.ExitCode} {r.Stderr}");
                    continue;
                }
                using var doc = JsonDocument.Parse(r.Stdout);
                var kind = doc.RootElement.GetProperty("nat_type").GetString();
                if (kind != Sites[i].Expected) failures.Add($"{Sites[i].Expected}: netcheck says {kind}: {r.Stdout}");
                if (Sites[i].Type is not NatType.UdpBlocked && doc.RootElement.GetProperty("public_endpoints").GetArrayLength() == 0)
                    failures.Add($"{Sites[i].Expected}: no public endpoint");
            }
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally
        {
            lab.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task WaitForStunAsync(Lab lab)
    {
        for (int i = 0; i < 50; i++)
        {
            var ss = lab.Exec("stun", "ss", "-Hlun");
            if (ss.Stdout.Split('\n').Count(l => l.Contains(":3478 ", StringComparison.Ordinal) || l.Contains(":3479 ", StringComparison.Ordinal)) >= 4) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("coturn did not start listening");
    }
}

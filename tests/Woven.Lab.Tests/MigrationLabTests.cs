using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Woven.Node.Control;
using Xunit.Abstractions;

namespace Woven.Lab.Tests;

/// <summary>
/// A host carried from one NAT site to another keeps its virtual address, and a TCP transfer running across the move
/// completes intact (IPOP's migration of a virtual machine between sites).
/// </summary>
public class MigrationLabTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_host_moved_to_another_nat_site_keeps_its_address_and_an_ssh_transfer_survives()
    {
        Lab.RequireAvailable();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        using var lab = new WovenLab();
        await lab.StartPublicNodesAsync(cts.Token, "--vnet", "--name", "boot");
        await lab.AddSiteNodeAsync("cone", NatType.FullCone, 1, "--vnet", "--name", "laptop");
        await lab.AddSiteNodeAsync("prc", NatType.PortRestricted, 2, "--vnet", "--name", "office");
        await lab.AddSiteNodeAsync("sym", NatType.Symmetric, 3, "--vnet", "--name", "server");
        var laptop = await AddressAsync(lab, "cone", cts.Token);
        var server = await AddressAsync(lab, "sym", cts.Token);

        var file = Path.Combine(Path.GetTempPath(), $"woven-migration-{Environment.ProcessId}.bin");
        try
        {
            await File.WriteAllBytesAsync(file, RandomNumberGenerator.GetBytes(160 * 1024 * 1024), cts.Token);
            string want = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file, cts.Token)));
            using var sshd = new LabSsh(lab.Lab, lab.NamespaceOf("sym"), server);
            Assert.Equal(0, sshd.Login(lab.Lab, lab.NamespaceOf("cone"), "true").ExitCode);

            // Echoes every 50 ms from the laptop to the server (with timestamps) to see the gap, and the transfer.
            using var ping = lab.Lab.StartProcess(lab.NamespaceOf("cone"), "ping", "-D", "-i", "0.05", "-W", "1", "-w", "60", server);
            var replies = new List<double>();
            var pingOut = ReadLines(ping, line =>
            {
                int close = line.IndexOf(']', StringComparison.Ordinal);
                if (line.StartsWith('[') && close > 0 && line.Contains("bytes from", StringComparison.Ordinal))
                    lock (replies) replies.Add(double.Parse(line[1..close], CultureInfo.InvariantCulture));
            });
            var transfer = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // Paced at 4 MiB per 0.1 s (at most 40 MiB/s, so at least 4 s): over a fast link the whole file would
            // otherwise be across before the move.
            string paced = $"(for i in $(seq 40); do head -c 4194304 || exit 1; sleep 0.1; done) < {file}";
            foreach (var a in new[] { "netns", "exec", lab.NamespaceOf("cone"), "sh", "-c", $"{paced} | {sshd.Shell("sha256sum")}" }) transfer.ArgumentList.Add(a);
            using var copy = Process.Start(transfer)!;
            using var killCopy = cts.Token.Register(() => { if (!copy.HasExited) copy.Kill(entireProcessTree: true); });
            var copyOut = copy.StandardOutput.ReadToEndAsync(cts.Token);
            var copyErr = copy.StandardError.ReadToEndAsync(cts.Token);

            await Task.Delay(2000, cts.Token);
            Assert.False(copy.HasExited, "the transfer ended before the move: make the file larger");
            double movedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            var newLan = lab.Lab.MoveHost("cone", "h", "prc");
            output.WriteLine($"laptop moved from the full-cone site to the port-restricted site, now {newLan}");

            await copy.WaitForExitAsync(cts.Token);
            string got = (await copyOut).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            Assert.True(copy.ExitCode == 0 && got == want, $"transfer after the move: exit {copy.ExitCode}, sha256 {got} (want {want}); {await copyErr}");
            await Task.Delay(1000, cts.Token);
            if (!ping.HasExited) ping.Kill();
            await pingOut;

            List<double> times;
            lock (replies) times = [.. replies];
            var after = times.Where(t => t > movedAt - 1).ToList();
            Assert.True(after.Count > 10, $"no echo came back after the move ({times.Count} in all)");
            double gap = after.Zip(after.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max();
            output.WriteLine($"transfer of 160 MiB intact across the move; longest gap between echo replies around the move: {gap:F2} s");
            // The laptop kept its address, and the move was seen by its node.
            var status = await lab.StatusAsync("cone", cts.Token);
            Assert.Equal(laptop, status.Vnet!.Address);
            Assert.True(gap < 10, $"outage of {gap:F1} s");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<string> AddressAsync(WovenLab lab, string node, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if ((await lab.StatusAsync(node, ct)).Vnet is { Address: { } a }) return a;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{node} holds no virtual address after 60 s");
            await Task.Delay(200, ct);
        }
    }

    private static Task ReadLines(Process process, Action<string> onLine) => Task.Run(() =>
    {
        while (process.StandardOutput.ReadLine() is { } line) onLine(line);
    });
}

using System.Diagnostics;

namespace Woven.Integration.Tests;

/// <summary>The demo on loopback, as a user runs it: forced with --loopback, and as the fallback without root.</summary>
public class DemoTests
{
    [Fact]
    public async Task The_loopback_demo_runs_end_to_end_and_exits_zero()
    {
        var r = await WovenBinary.RunAsync(TimeSpan.FromMinutes(2), "demo", "--loopback");
        Assert.True(r.ExitCode == 0, $"demo failed ({r.ExitCode}):\n{r.Stdout}\n{r.Stderr}");
        Assert.Contains("ring formed", r.Stdout);
        Assert.Contains("ring repaired", r.Stdout);
        Assert.Contains("demo finished", r.Stdout);
        Assert.DoesNotContain("NAT lab", r.Stdout);
    }

    [Fact]
    public async Task Without_root_the_demo_says_so_in_one_line_and_runs_on_loopback()
    {
        // As root here (CI), drop to nobody with setpriv; as a normal user the demo is already unprivileged.
        string[] command = Environment.IsPrivilegedProcess
            ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", WovenBinary.Path, "demo", "--nodes", "4"]
            : [WovenBinary.Path, "demo", "--nodes", "4"];
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        // nobody has no home; the nodes' state lives in temporary directories anyway.
        psi.Environment["HOME"] = Path.GetTempPath();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        string output = await stdout, errors = await stderr;
        Assert.True(process.ExitCode == 0, $"demo as nobody failed ({process.ExitCode}):\n{output}\n{errors}");
        var notice = output.Split('\n').Where(l => l.Contains("not root", StringComparison.Ordinal)).ToList();
        Assert.Single(notice);
        Assert.Contains("127.0.0.1", notice[0]);
        Assert.Contains("ring formed", output);
        Assert.Contains("demo finished", output);
    }
}

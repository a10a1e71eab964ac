using System.Diagnostics;

namespace Woven.Cli.Demo;

/// <summary>The Debian packages the lab demo runs programs from, installed with apt-get when missing (the demo runs as root).</summary>
internal static class Packages
{
    /// <summary>Package and a program it provides.</summary>
    private static readonly (string Package, string Program)[] Needed =
    [
        ("iproute2", "ip"), ("nftables", "nft"), ("coturn", "turnserver"), ("iperf3", "iperf3"),
        ("iputils-ping", "ping"), ("dnsutils", "dig"), ("procps", "pkill"),
    ];

    /// <summary>Installs what is missing; false (after saying why) when that fails.</summary>
    public static async Task<bool> EnsureAsync(Action<string> say)
    {
        var missing = Needed.Where(n => !OnPath(n.Program)).Select(n => n.Package).ToList();
        if (missing.Count == 0) return true;
        say($"installing {string.Join(", ", missing)} with apt-get (needed by the lab)");
        var update = await RunAsync("apt-get", ["update", "-qq"]);
        var install = await RunAsync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", .. missing]);
        if (install.Code == 0) return true;
        say($"FAILED: apt-get install {string.Join(' ', missing)} exited with {install.Code}: {(update.Output + install.Output).Trim()}");
        say($"install them by hand (apt-get install {string.Join(' ', missing)}), or run the demo on loopback: woven demo --loopback");
        return false;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin")
            .Any(dir => File.Exists(Path.Combine(dir, program)));

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Not cancelled: apt-get interrupted half-way leaves dpkg to repair; a signal reaches it through the terminal anyway.
        await process.WaitForExitAsync(CancellationToken.None);
        return (process.ExitCode, await stdout + await stderr);
    }
}

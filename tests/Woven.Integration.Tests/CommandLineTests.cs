using Woven.Node.Cluster;

namespace Woven.Integration.Tests;

/// <summary>What a user sees when something is wrong, and what the state directory holds.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("status", "--json")]
    [InlineData("peers")]
    [InlineData("ping", "m1")]
    [InlineData("netcheck")]
    [InlineData("ip")]
    public async Task Without_a_running_node_a_command_says_so_in_one_line_with_exit_code_4(params string[] command)
    {
        var dir = Directory.CreateTempSubdirectory("woven-cli-").FullName;
        try
        {
            var r = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), [.. command, "--state-dir", dir]);
            Assert.Equal(4, r.ExitCode);
            Assert.Equal($"woven: no node is running for state dir {dir} (start one with `woven up --state-dir {dir}`)", r.Stderr.TrimEnd('\n'));
            Assert.Equal("", r.Stdout);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("--listen", "nonsense", "--listen: 'nonsense' is not ADDR:PORT")]
    [InlineData("--listen", "127.0.0.1", "--listen: '127.0.0.1' is not ADDR:PORT")]
    [InlineData("--bootstrap", "192.0.2.1:99999", "--bootstrap: '192.0.2.1:99999' is not HOST:PORT")]
    [InlineData("--log-level", "loud", "--log-level: 'loud' is not one of")]
    [InlineData("--control-tcp", "192.0.2.1:7070", "--control-tcp: 192.0.2.1:7070 is not a loopback address")]
    public async Task A_bad_flag_is_named_with_the_fix(string flag, string value, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("woven-cli-").FullName;
        try
        {
            var r = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "up", "--state-dir", dir, flag, value);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains(expected, r.Stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task The_key_is_private_kept_across_restarts_and_refused_when_others_can_read_it()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var cluster = new LocalCluster(WovenBinary.Path);
        var first = cluster.Start([]);
        var address = (await first.WaitUntilUpAsync(TimeSpan.FromSeconds(30), cts.Token)).Address;
        var keyFile = Path.Combine(first.StateDir, "node.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(first.StateDir, "control.sock")) & ~UnixFileMode.None);
        var keyText = File.ReadAllText(keyFile).Split('\n')[1];
        Assert.DoesNotContain(keyText, first.ReadLog());

        // kill -9 leaves a stale control socket; the next start must clean it up and keep the same identity.
        first.Crash();
        var second = NodeProcess.Start(WovenBinary.Path, first.StateDir, first.Listen, []);
        try
        {
            Assert.Equal(address, (await second.WaitUntilUpAsync(TimeSpan.FromSeconds(30), cts.Token)).Address);
            // A second node on the same state directory is refused while the first runs.
            var clash = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "up", "--listen", "127.0.0.1:0", "--state-dir", first.StateDir);
            Assert.Equal(1, clash.ExitCode);
            Assert.Contains("already running", clash.Stderr);
        }
        finally
        {
            second.Dispose();
        }

        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var refused = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "up", "--listen", "127.0.0.1:0", "--state-dir", first.StateDir);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("chmod 600", refused.Stderr);
    }
}

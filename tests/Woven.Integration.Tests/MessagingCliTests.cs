using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Woven.Node.Cluster;

namespace Woven.Integration.Tests;

/// <summary><c>woven msg</c> and <c>woven presence</c> between two real <c>woven up</c> processes on 127.0.0.1.</summary>
public sealed class MessagingCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("woven-msg-").FullName;
    private readonly List<NodeProcess> _nodes = [];

    private NodeProcess Start(string name, params IPEndPoint[] bootstraps)
    {
        var node = NodeProcess.Start(WovenBinary.Path, Path.Combine(_dir, name), new IPEndPoint(IPAddress.Loopback, LocalCluster.FreeUdpPort()), bootstraps, ["--name", name]);
        _nodes.Add(node);
        return node;
    }

    private static Task<WovenBinary.Result> Woven(NodeProcess node, params string[] args) => WovenBinary.RunAsync(TimeSpan.FromSeconds(60), [.. args, "--state-dir", node.StateDir]);

    private static async Task<JsonElement?> MemberAsync(NodeProcess at, string name)
    {
        var presence = await Woven(at, "presence", "--json");
        Assert.True(presence.ExitCode == 0, presence.Stderr);
        using var doc = JsonDocument.Parse(presence.Stdout);
        foreach (var m in doc.RootElement.GetProperty("members").EnumerateArray())
        {
            if (m.GetProperty("name").GetString() == name) return m.Clone();
        }
        return null;
    }

    [Fact]
    public async Task Send_request_listen_and_presence_work_between_real_nodes()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var alpha = Start("alpha");
        await alpha.WaitUntilUpAsync(TimeSpan.FromSeconds(60), cts.Token);
        var beta = Start("beta", alpha.Listen);
        await beta.WaitUntilUpAsync(TimeSpan.FromSeconds(60), cts.Token);

        // Presence: each sees the other online, heard directly (beacons every 5 s, the first at start).
        var watch = Stopwatch.StartNew();
        while ((await MemberAsync(alpha, "beta"))?.GetProperty("online").GetBoolean() != true)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "alpha did not see beta online within 30 s");
            await Task.Delay(500, cts.Token);
        }
        Assert.True((await MemberAsync(alpha, "beta"))!.Value.GetProperty("direct").GetBoolean());

        // A listener that answers requests and leaves after two messages.
        var psi = new ProcessStartInfo(WovenBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "msg", "listen", "chat", "--count", "2", "--echo", "--json", "--state-dir", beta.StateDir }) psi.ArgumentList.Add(a);
        using var listener = Process.Start(psi)!;
        try
        {
            var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            listener.ErrorDataReceived += (_, e) =>
            {
                if (e.Data?.Contains("listening on chat", StringComparison.Ordinal) == true) subscribed.TrySetResult();
            };
            listener.BeginErrorReadLine();
            var output = listener.StandardOutput.ReadToEndAsync(cts.Token);
            await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30), cts.Token);

            var send = await Woven(alpha, "msg", "send", "beta", "chat", "hello beta");
            Assert.True(send.ExitCode == 0, send.Stderr);
            Assert.Contains("delivered 10 bytes to beta", send.Stdout);

            // A request of 200 kB from a file (fragmented), answered with itself by the listener.
            string text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i % 10000:D4}-line\n"))[..200_000];
            var file = Path.Combine(_dir, "request.txt");
            await File.WriteAllTextAsync(file, text, cts.Token);
            var request = await Woven(alpha, "msg", "request", "beta", "chat", "@" + file, "--timeout", "10");
            Assert.True(request.ExitCode == 0, request.Stderr);
            Assert.Equal(text, request.Stdout[..^Environment.NewLine.Length]);

            await listener.WaitForExitAsync(cts.Token);
            Assert.Equal(0, listener.ExitCode);
            var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(2, lines.Count);
            Assert.Equal(("hello beta", "message", "alpha"), (lines[0].GetProperty("text").GetString(), lines[0].GetProperty("kind").GetString(), lines[0].GetProperty("from_name").GetString()));
            Assert.Equal(("request", 200_000, true), (lines[1].GetProperty("kind").GetString(), lines[1].GetProperty("bytes").GetInt32(), lines[1].GetProperty("answered").GetBoolean()));
        }
        finally
        {
            if (!listener.HasExited) listener.Kill();
        }

        // Nobody answers now: the request times out. Errors name the field; no node gives 4.
        var unanswered = await Woven(alpha, "msg", "request", "beta", "chat", "anyone?", "--timeout", "1");
        Assert.Equal(1, unanswered.ExitCode);
        Assert.Contains("timeout: no response", unanswered.Stderr);
        var unknown = await Woven(alpha, "msg", "send", "gamma", "chat", "x");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("peer: no member is named gamma", unknown.Stderr);
        var badTopic = await Woven(alpha, "msg", "send", "beta", new string('t', 65), "x");
        Assert.Equal(2, badTopic.ExitCode);
        Assert.Contains("topic: a topic is 1 to 64 bytes", badTopic.Stderr);
        var noFile = await Woven(alpha, "msg", "send", "beta", "chat", "@" + Path.Combine(_dir, "missing"));
        Assert.Equal(2, noFile.ExitCode);
        Assert.Contains("cannot read the file", noFile.Stderr);
        var none = await WovenBinary.RunAsync(TimeSpan.FromSeconds(30), "msg", "send", "beta", "chat", "x", "--state-dir", Path.Combine(_dir, "nobody"));
        Assert.Equal(4, none.ExitCode);

        // A graceful stop tells the peers at once: beta shows offline well before silence would (16 s).
        Assert.True(beta.Stop(TimeSpan.FromSeconds(20)));
        watch.Restart();
        while ((await MemberAsync(alpha, "beta"))?.GetProperty("online").GetBoolean() != false)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "alpha still sees beta online 5 s after it stopped");
            await Task.Delay(250, cts.Token);
        }
    }

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

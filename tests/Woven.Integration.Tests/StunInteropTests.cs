using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Woven.Nat;
using Woven.Platform.Transport;
using Woven.Transport;
using Xunit.Abstractions;

namespace Woven.Integration.Tests;

/// <summary>
/// Woven's STUN client and responder against coturn (RFC 5389/8489 server, and its turnutils_stunclient client),
/// all on 127.0.0.1. Every process is started with its own temporary files and killed by PID.
/// </summary>
public sealed partial class StunInteropTests(ITestOutputHelper output)
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;

    /// <summary>Quick retransmissions: loopback answers in well under a millisecond.</summary>
    private static readonly StunClientOptions Quick = new() { InitialRto = TimeSpan.FromMilliseconds(100), MaxRequests = 5, FinalTimeoutMultiplier = 8 };

    [GeneratedRegex(@"UDP reflexive addr: (?<ip>[0-9.]+):(?<port>\d+)")]
    private static partial Regex ReflexiveLine();

    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>A coturn turnserver answering STUN on 127.0.0.1:<see cref="Port"/> (UDP only, no TLS/DTLS/CLI, no auth).</summary>
    private sealed class Coturn : IDisposable
    {
        private readonly Process _process;
        private readonly DirectoryInfo _dir;

        private Coturn(Process process, DirectoryInfo dir, int port)
        {
            _process = process;
            _dir = dir;
            Port = port;
        }

        public int Port { get; }

        public IPEndPoint EndPoint => new(Loopback, Port);

        public string LogFile => Path.Combine(_dir.FullName, "turn.log");

        public int Pid => _process.Id;

        public static Coturn Start()
        {
            var dir = Directory.CreateTempSubdirectory("woven-coturn-");
            int port = FreeUdpPort();
            var psi = new ProcessStartInfo("turnserver")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in new[]
            {
                "-n", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--listening-port", port.ToString(),
                "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--stun-only", "--log-binding",
                "--log-file", Path.Combine(dir.FullName, "turn.log"), "--simple-log", "--no-stdout-log",
                "--pidfile", Path.Combine(dir.FullName, "turn.pid"), "--userdb", Path.Combine(dir.FullName, "turndb"),
            })
            {
                psi.ArgumentList.Add(a);
            }
            Process process;
            try
            {
                process = Process.Start(psi)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                dir.Delete(recursive: true);
                throw new InvalidOperationException("coturn's turnserver is not installed (scripts/setup.sh installs it)", e);
            }
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new Coturn(process, dir, port);
        }

        /// <summary>Polls with STUN Binding requests until coturn answers.</summary>
        public async Task<StunBindingResult> WaitUntilAnsweringAsync(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            var network = new UdpNetwork();
            var poll = new StunClientOptions { InitialRto = TimeSpan.FromMilliseconds(100), MaxRequests = 3, FinalTimeoutMultiplier = 2 };
            while (true)
            {
                if (_process.HasExited) throw new InvalidOperationException($"turnserver exited with {_process.ExitCode}: {Log()}");
                var r = await StunQuery.BindingAsync(network, new IPEndPoint(Loopback, 0), EndPoint, TimeProvider.System, poll);
                if (r.IsSuccess) return r;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"turnserver did not answer within {timeout}: {Log()}");
            }
        }

        public string Log()
        {
            try
            {
                return File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log)";
            }
            catch (IOException)
            {
                return "(log unreadable)";
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(); // by PID: this process only
                    _process.WaitForExit(5000);
                }
            }
            finally
            {
                _process.Dispose();
                try
                {
                    _dir.Delete(recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>A real UDP socket on 127.0.0.1 answered by Woven's <see cref="StunResponder"/>, as the overlay port will be.</summary>
    private sealed class WovenStunServer : IDisposable
    {
        private readonly IDatagramSocket _socket;
        private readonly StunResponder _responder = new();
        private readonly byte[] _buffer;
        private readonly List<(IPEndPoint From, StunResponderOutcome Outcome)> _seen = [];

        public WovenStunServer()
        {
            _socket = new UdpNetwork().Bind(new IPEndPoint(Loopback, 0));
            _buffer = new byte[_responder.MaxResponseSize];
            _socket.Start(OnDatagram);
        }

        public IPEndPoint EndPoint => _socket.LocalEndPoint;

        public List<(IPEndPoint From, StunResponderOutcome Outcome)> Seen
        {
            get
            {
                lock (_seen) return [.. _seen];
            }
        }

        private void OnDatagram(IPEndPoint from, ReadOnlySpan<byte> datagram)
        {
            var outcome = _responder.Respond(datagram, from, _buffer, out int n);
            lock (_seen) _seen.Add((from, outcome));
            if (n > 0) _socket.Send(from, _buffer.AsSpan(0, n));
        }

        public void Dispose() => _socket.Dispose();
    }

    private sealed record ToolRun(int? ExitCode, string Stdout, string Stderr, bool TimedOut);

    /// <summary>Runs a coturn utility to completion, or kills it (by PID) after <paramref name="timeout"/>.</summary>
    private static async Task<ToolRun> RunToolAsync(string tool, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        bool timedOut = false;
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill();
            await process.WaitForExitAsync();
        }
        return new ToolRun(timedOut ? null : process.ExitCode, await stdout, await stderr, timedOut);
    }

    // ---- (a) Woven's client against coturn ----

    [Fact]
    public async Task StunInterop_sans_io_client_over_a_raw_socket_gets_its_own_address_from_coturn()
    {
        using var coturn = Coturn.Start();
        try
        {
            await coturn.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(15));
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(Loopback, 0));
            var local = (IPEndPoint)socket.LocalEndPoint!;

            // Drive the transaction core by hand: send, wait until the next timeout, feed what arrives.
            var client = new StunClient(coturn.EndPoint, options: Quick);
            var clock = Stopwatch.StartNew();
            socket.SendTo(client.Start(clock.Elapsed), coturn.EndPoint);
            var buffer = new byte[2048];
            StunBindingResult? result = null;
            while (result is null)
            {
                var wait = client.NextTimeout!.Value - clock.Elapsed;
                if (wait > TimeSpan.Zero && socket.Poll(wait, SelectMode.SelectRead))
                {
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    int n = socket.ReceiveFrom(buffer, ref from);
                    result = client.OnDatagram(buffer.AsSpan(0, n), (IPEndPoint)from, clock.Elapsed);
                    continue;
                }
                switch (client.OnTimeout(clock.Elapsed))
                {
                    case StunTimeoutAction.Retransmit: socket.SendTo(client.Request, coturn.EndPoint); break;
                    case StunTimeoutAction.Failed: result = client.Result; break;
                }
            }

            Assert.True(result.IsSuccess, $"{result.Status}: {result.Detail}\n{coturn.Log()}");
            Assert.Equal(local, result.MappedAddress);
            Assert.Equal(local, result.Response!.XorMappedAddress);
            Assert.Equal(coturn.EndPoint, result.ResponseSource);
            output.WriteLine($"coturn answered {result.TransactionId} in {result.Elapsed.TotalMilliseconds:F2} ms after {result.RequestsSent} request(s)");
            output.WriteLine($"  XOR-MAPPED-ADDRESS {result.Response.XorMappedAddress}, MAPPED-ADDRESS {result.Response.MappedAddress?.ToString() ?? "-"}");
            output.WriteLine($"  RESPONSE-ORIGIN {result.ResponseOrigin?.ToString() ?? "-"}, OTHER-ADDRESS {result.OtherAddress?.ToString() ?? "-"}");
            output.WriteLine($"  SOFTWARE \"{result.Response.Software}\", FINGERPRINT {result.Response.Fingerprint}");
            if (result.Response.MappedAddress is { } mapped) Assert.Equal(local, mapped);
            if (result.ResponseOrigin is { } origin) Assert.Equal(coturn.EndPoint, origin);
            Assert.Null(result.OtherAddress); // one address: coturn disables RFC 5780
        }
        finally
        {
            output.WriteLine($"coturn pid {coturn.Pid} log tail:\n{Tail(coturn.Log(), 12)}");
        }
    }

    [Fact]
    public async Task StunInterop_async_client_over_woven_udp_socket_and_rfc5780_requests_against_coturn()
    {
        using var coturn = Coturn.Start();
        await coturn.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(15));
        using var client = new StunSocketClient(new UdpNetwork().Bind(new IPEndPoint(Loopback, 0)), TimeProvider.System, Quick);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var first = await client.BindingAsync(coturn.EndPoint, cancellationToken: cts.Token);
        Assert.True(first.IsSuccess, first.Detail);
        Assert.Equal(client.LocalEndPoint, first.MappedAddress);

        // Several transactions at once on one socket, matched by transaction id.
        var many = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.BindingAsync(coturn.EndPoint, cancellationToken: cts.Token)));
        Assert.All(many, r => Assert.Equal(client.LocalEndPoint, r.MappedAddress));
        Assert.Equal(8, many.Select(r => r.TransactionId).Distinct().Count());

        // RFC 5780 with a single-address server: CHANGE-REQUEST must be refused (420) or, at worst, not honoured.
        foreach (var change in new[] { StunChangeRequest.ChangePort, StunChangeRequest.ChangeIp | StunChangeRequest.ChangePort })
        {
            var r = await client.BindingAsync(coturn.EndPoint, change, cancellationToken: cts.Token);
            output.WriteLine($"CHANGE-REQUEST {change}: {r.Status} {r.Detail} from {r.ResponseSource?.ToString() ?? "-"}" +
                (r.Response?.UnknownAttributes is { } u ? $" UNKNOWN-ATTRIBUTES {string.Join(",", u.Select(t => $"0x{t:X4}"))}" : ""));
            Assert.NotEqual(StunBindingStatus.InvalidResponse, r.Status);
            if (r.Status == StunBindingStatus.ErrorResponse)
            {
                Assert.Equal(420, r.Error!.Value.Code);
                Assert.DoesNotContain('\0', r.Detail ?? ""); // coturn 4.6 pads its reason phrase with NULs inside the length
            }
        }
        output.WriteLine($"ignored datagrams: {client.IgnoredDatagrams}");
        Assert.Equal(0, client.IgnoredDatagrams);
    }

    // ---- (b) coturn's client against Woven's responder ----

    [Fact]
    public async Task StunInterop_turnutils_stunclient_reads_its_mapped_address_from_woven_responder()
    {
        using var server = new WovenStunServer();
        var run = await RunToolAsync("turnutils_stunclient", TimeSpan.FromSeconds(10), "-p", server.EndPoint.Port.ToString(), "127.0.0.1");
        output.WriteLine($"turnutils_stunclient exit {run.ExitCode}, stdout:\n{run.Stdout}\nstderr:\n{run.Stderr}");
        var seen = server.Seen;
        Assert.False(run.TimedOut, "turnutils_stunclient got no answer");
        Assert.Equal(0, run.ExitCode);
        var (from, outcome) = Assert.Single(seen);
        Assert.Equal(StunResponderOutcome.Success, outcome);
        Assert.Equal(Loopback, from.Address);
        var match = ReflexiveLine().Match(run.Stdout);
        Assert.True(match.Success, run.Stdout);
        Assert.Equal("127.0.0.1", match.Groups["ip"].Value);
        Assert.Equal(from.Port, int.Parse(match.Groups["port"].Value));
        Assert.DoesNotContain("error", run.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task StunInterop_turnutils_stunclient_agrees_between_coturn_and_woven()
    {
        // The same tool against both servers prints the same kind of line; each reports the tool's own port.
        using var coturn = Coturn.Start();
        await coturn.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(15));
        using var woven = new WovenStunServer();
        var againstCoturn = await RunToolAsync("turnutils_stunclient", TimeSpan.FromSeconds(10), "-p", coturn.Port.ToString(), "127.0.0.1");
        var againstWoven = await RunToolAsync("turnutils_stunclient", TimeSpan.FromSeconds(10), "-p", woven.EndPoint.Port.ToString(), "127.0.0.1");
        output.WriteLine($"vs coturn:\n{againstCoturn.Stdout}\nvs woven:\n{againstWoven.Stdout}");
        var c = ReflexiveLine().Match(againstCoturn.Stdout);
        var w = ReflexiveLine().Match(againstWoven.Stdout);
        Assert.True(c.Success && w.Success);
        Assert.Equal(c.Groups["ip"].Value, w.Groups["ip"].Value);
        Assert.Equal(woven.Seen.Single().From.Port, int.Parse(w.Groups["port"].Value));
    }

    [Fact]
    public async Task StunInterop_turnutils_natdiscovery_against_woven_responder()
    {
        // natdiscovery's mapping test needs OTHER-ADDRESS, which a single-address responder never sends (RFC 5780 §6).
        // Record what the tool makes of that, and check the responder answered every request it received.
        using var server = new WovenStunServer();
        var run = await RunToolAsync("turnutils_natdiscovery", TimeSpan.FromSeconds(15), "-m", "-f", "-p", server.EndPoint.Port.ToString(), "127.0.0.1");
        output.WriteLine($"turnutils_natdiscovery exit {run.ExitCode} timed out {run.TimedOut}, stdout:\n{run.Stdout}\nstderr:\n{run.Stderr}");
        var seen = server.Seen;
        foreach (var (from, outcome) in seen) output.WriteLine($"  request from {from}: {outcome}");
        Assert.NotEmpty(seen);
        Assert.All(seen, s => Assert.Contains(s.Outcome, new[] { StunResponderOutcome.Success, StunResponderOutcome.UnknownAttribute }));
    }

    private static string Tail(string text, int lines) =>
        string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
}

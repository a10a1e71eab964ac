using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Woven.Lab.Tests;

/// <summary>
/// <c>woven demo</c> as root, as a user runs it: the NAT lab end to end, and that every way out (the end, Ctrl-C in
/// <c>--keep</c>, SIGINT or SIGTERM in the middle of a step) leaves no namespace and no process of the lab behind.
/// </summary>
public partial class DemoLabTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_root_demo_builds_the_nat_lab_shows_every_step_and_exits_zero()
    {
        Lab.RequireAvailable();
        await using var demo = DemoProcess.Start(output);
        int code = await demo.WaitForExitAsync(TimeSpan.FromMinutes(3));
        string text = demo.Output;
        Assert.True(code == 0, $"demo exited {code}:\n{text}");
        Assert.Contains("lab built", text, StringComparison.Ordinal);
        Assert.Contains("ring formed", text, StringComparison.Ordinal);
        foreach (var nat in new[] { "full-cone", "port-restricted", "symmetric" })
            Assert.Matches($@"built {nat} +netcheck says {nat} .* ok", text);
        Assert.Matches(@"cone1\.woven +100\.80\.\d+\.\d+", text);
        Assert.Contains("21 pairs:", text, StringComparison.Ordinal);
        Assert.Contains("7/7 cross-site pings by name answered", text, StringComparison.Ordinal);
        // This kernel has IPv6: each pair also resolved the AAAA name and answered ping -6 over the domain's ULA prefix.
        Assert.Contains("IPv4 and IPv6)", text, StringComparison.Ordinal);
        Assert.Equal(7, System.Text.RegularExpressions.Regex.Count(text, @"AAAA fd[0-9a-f:]+ ping -6 [23]/3"));
        Assert.Matches(@"iperf3 .* \d+ Mbit/s", text);
        Assert.Matches("messaging +cone1 .* delivered", text);
        Assert.Matches(@"cone1 \([0-9a-f]{8}\) demo: hello sym2", text); // the line woven msg listen printed on sym2
        Assert.Contains("demo finished", text, StringComparison.Ordinal);
        demo.AssertNothingLeft();
    }

    [Fact]
    public async Task Ctrl_c_in_keep_mode_ends_the_demo_with_zero_and_removes_the_lab()
    {
        Lab.RequireAvailable();
        await using var demo = DemoProcess.Start(output, "--keep");
        await demo.WaitForLineAsync("the lab keeps running", TimeSpan.FromMinutes(3));
        demo.AssertLabExists();
        demo.Signal("INT");
        int code = await demo.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"demo --keep after Ctrl-C exited {code}:\n{demo.Output}");
        demo.AssertNothingLeft();
    }

    [Theory]
    [InlineData("INT", "bootstrap node boot is up", 130)]
    [InlineData("TERM", "lab built", 143)]
    public async Task A_signal_in_the_middle_of_a_step_removes_the_lab_and_every_process(string signal, string after, int expectedExit)
    {
        Lab.RequireAvailable();
        await using var demo = DemoProcess.Start(output);
        await demo.WaitForLineAsync(after, TimeSpan.FromMinutes(2));
        demo.AssertLabExists();
        demo.Signal(signal);
        int code = await demo.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == expectedExit, $"demo after SIG{signal} exited {code}, want {expectedExit}:\n{demo.Output}");
        demo.AssertNothingLeft();
    }

    /// <summary>A running <c>woven demo</c>, its output collected line by line.</summary>
    private sealed partial class DemoProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly ITestOutputHelper _log;
        private readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

        private DemoProcess(Process process, ITestOutputHelper log)
        {
            _process = process;
            _log = log;
        }

        public string Output
        {
            get
            {
                lock (_output) return _output.ToString();
            }
        }

        /// <summary>The lab's prefix, from the demo's "lab prefix wdXXXXXX" line.</summary>
        public string Prefix => LabPrefix().Match(Output) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("no lab prefix in:\n" + Output);

        public static DemoProcess Start(ITestOutputHelper log, params string[] args)
        {
            var psi = new ProcessStartInfo(WovenLab.Woven) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            psi.ArgumentList.Add("demo");
            foreach (var a in args) psi.ArgumentList.Add(a);
            var process = new Process { StartInfo = psi };
            var demo = new DemoProcess(process, log);
            process.OutputDataReceived += (_, e) => demo.Add(e.Data);
            process.ErrorDataReceived += (_, e) => demo.Add(e.Data);
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return demo;
        }

        private void Add(string? line)
        {
            if (line is null) return;
            lock (_output)
            {
                _output.AppendLine(line);
                foreach (var (text, seen) in _waits)
                {
                    if (line.Contains(text, StringComparison.Ordinal)) seen.TrySetResult();
                }
            }
        }

        public async Task WaitForLineAsync(string text, TimeSpan timeout)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_output)
            {
                if (_output.ToString().Contains(text, StringComparison.Ordinal)) return;
                _waits.Add((text, seen));
            }
            await Task.WhenAny(seen.Task, _process.WaitForExitAsync(), Task.Delay(timeout));
            Assert.True(seen.Task.IsCompleted, $"no line with '{text}' within {timeout.TotalSeconds:F0} s (exited: {_process.HasExited}):\n{Output}");
        }

        public void Signal(string signal)
        {
            using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"demo still running after {timeout.TotalSeconds:F0} s:\n{Output}");
            }
            _log.WriteLine(Output);
            return _process.ExitCode;
        }

        public void AssertLabExists() => Assert.NotEmpty(Lab.NamespacesWithPrefix(Prefix));

        /// <summary>No namespace of the lab, and no process whose command line names the lab's work directory (every node,
        /// coturn) or runs inside one of its namespaces.</summary>
        public void AssertNothingLeft()
        {
            string prefix = Prefix;
            Assert.Empty(Lab.NamespacesWithPrefix(prefix));
            var left = new List<string>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId) continue;
                try
                {
                    string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                    if (cmdline.Contains($"woven-{prefix}-", StringComparison.Ordinal) || cmdline.Contains($" {prefix}-", StringComparison.Ordinal))
                        left.Add($"{pid}: {cmdline}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Exited while we looked.
                }
            }
            Assert.True(left.Count == 0, "processes of the lab left behind:\n" + string.Join("\n", left));
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                // A failed test: end the demo the way a user would, so it still removes its lab.
                Signal("TERM");
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                try
                {
                    await _process.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
            _process.Dispose();
        }

        [GeneratedRegex(@"lab prefix (wd[0-9a-f]{6})")]
        private static partial Regex LabPrefix();
    }
}

using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Woven.Node.Control;
using Woven.Platform.State;

namespace Woven.Node.Cluster;

/// <summary>A <c>woven up</c> child process, ended by PID (SIGTERM for a graceful leave, SIGKILL for a crash).</summary>
public sealed partial class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private NodeProcess(Process process, string stateDir, IPEndPoint listen, StreamWriter log)
    {
        _process = process;
        StateDir = stateDir;
        Listen = listen;
        _log = log;
        Control = new ControlClient(new StateDirectory(stateDir).ControlSocket);
    }

    public int Pid => _process.Id;

    public string StateDir { get; }

    public IPEndPoint Listen { get; }

    public ControlClient Control { get; }

    public string LogFile => Path.Combine(StateDir, "node.log");

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>woven up</c>; <paramref name="woven"/> is the woven executable or woven.dll.</summary>
    /// <param name="netns">A network namespace to run the node in (through <c>ip netns exec</c>, which execs, so the PID is the node's).</param>
    public static NodeProcess Start(string woven, string stateDir, IPEndPoint listen, IEnumerable<IPEndPoint> bootstraps, IEnumerable<string>? extraArgs = null, string? netns = null)
    {
        Directory.CreateDirectory(stateDir);
        var psi = new ProcessStartInfo(netns is null ? woven : "ip");
        if (netns is not null)
        {
            foreach (var a in new[] { "netns", "exec", netns, woven }) psi.ArgumentList.Add(a);
        }
        if (woven.EndsWith(".dll", StringComparison.Ordinal))
        {
            psi.FileName = "dotnet";
            psi.ArgumentList.Insert(0, woven);
        }
        foreach (var a in new[] { "up", "--listen", listen.ToString(), "--state-dir", stateDir }) psi.ArgumentList.Add(a);
        var boot = string.Join(",", bootstraps.Select(b => b.ToString()));
        if (boot.Length > 0)
        {
            psi.ArgumentList.Add("--bootstrap");
            psi.ArgumentList.Add(boot);
        }
        foreach (var a in extraArgs ?? []) psi.ArgumentList.Add(a);
        // The node never reads its input: give it a closed pipe rather than the caller's terminal, which a process in a
        // background group must not touch.
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var log = new StreamWriter(Path.Combine(stateDir, "node.log"), append: true) { AutoFlush = true };
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new NodeProcess(process, stateDir, listen, log);
    }

    /// <summary>Waits until the control API answers (the node is up) or the process exits.</summary>
    public async Task<StatusDocument> WaitUntilUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"woven up exited with code {_process.ExitCode}: {ReadLog()}");
            try
            {
                return await Control.GetStatusAsync(cancellationToken);
            }
            catch (HttpRequestException e)
            {
                if (DateTime.UtcNow >= deadline)
                    throw new TimeoutException($"woven up (pid {Pid}, {ProcessState()}) did not answer on its control socket within {timeout.TotalSeconds:F0} s ({e.Message}); its log: {ReadLog()}", e);
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>The process's scheduler state from /proc (R running, S sleeping, T stopped, D waiting on I/O), for diagnosis.</summary>
    private string ProcessState()
    {
        try
        {
            var line = File.ReadLines($"/proc/{Pid}/status").FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal));
            return line ?? "state unknown";
        }
        catch (IOException)
        {
            return "state unknown";
        }
    }

    public string ReadLog()
    {
        try
        {
            lock (_log) return File.ReadAllText(LogFile);
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>SIGTERM: the node leaves the ring gracefully.</summary>
    public bool Stop(TimeSpan timeout)
    {
        if (_process.HasExited) return true;
        _ = Kill(_process.Id, 15);
        if (_process.WaitForExit(timeout)) return true;
        Crash();
        return false;
    }

    /// <summary>SIGKILL: the node vanishes without a word, as in a crash.</summary>
    public void Crash()
    {
        if (_process.HasExited) return;
        _process.Kill();
        _process.WaitForExit(5000);
    }

    /// <summary>Resident memory of the process in bytes, from /proc.</summary>
    public long ResidentBytes()
    {
        _process.Refresh();
        return _process.WorkingSet64;
    }

    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(5));
        Control.Dispose();
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

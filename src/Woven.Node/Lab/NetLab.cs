using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace Woven.Node.Lab;

/// <summary>
/// One network-namespace lab, built with lab/netlab.sh under a random prefix. Everything it creates (namespaces,
/// processes started through <see cref="StartProcess(string, string, string[])"/>) goes away on <see cref="Dispose()"/>.
/// Needs root: call <see cref="RequireAvailable"/> (the constructor does) to fail with a clear message otherwise.
/// Used by the lab tests and by <c>woven demo</c>; netlab.sh is shipped next to the woven binary (lab/netlab.sh).
/// </summary>
public class NetLab : IDisposable
{
    private static readonly Lazy<string?> ScriptLazy = new(FindScript);
    private static readonly Lazy<string?> Unavailable = new(CheckAvailable);

    private readonly List<Process> _processes = [];
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>Creates an empty lab object with a fresh random prefix (<paramref name="prefixStart"/> and six hex
    /// digits); call <see cref="CreateInternet"/> next.</summary>
    public NetLab(string prefixStart)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefixStart);
        if (prefixStart.Length > 4 || !prefixStart.All(char.IsAsciiLetterLower))
            throw new ArgumentException($"'{prefixStart}' is not 1 to 4 lower-case letters", nameof(prefixStart));
        RequireAvailable();
        Prefix = prefixStart + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    }

    /// <summary>Prefix of every namespace of this lab (namespaces are named PREFIX-...).</summary>
    public string Prefix { get; }

    /// <summary>Full path of lab/netlab.sh: next to the running program, else in a directory above it (the source tree).</summary>
    public static string ScriptPath => ScriptLazy.Value ?? throw new FileNotFoundException(
        $"lab/netlab.sh not found in any directory above {AppContext.BaseDirectory}");

    /// <summary>True when the lab can run here: running as root, `ip netns` works, lab/netlab.sh is found.</summary>
    public static bool Available => Unavailable.Value is null;

    /// <summary>Throws with the reason when the lab cannot run here (the lab tests must not pass by skipping).</summary>
    public static void RequireAvailable()
    {
        if (Unavailable.Value is { } reason)
            throw new InvalidOperationException($"the NAT lab cannot run: {reason}");
    }

    /// <summary>Builds the "internet": namespace PREFIX-inet with the bridge for 203.0.113.0/24.</summary>
    public void CreateInternet() => Script("create", Prefix);

    /// <summary>Adds public host PREFIX-<paramref name="name"/> at <paramref name="ip"/> (203.0.113.1..99), optionally
    /// with a second address. Returns the namespace name.</summary>
    public string AddPublicHost(string name, IPAddress ip, IPAddress? ip2 = null)
    {
        ArgumentNullException.ThrowIfNull(ip);
        if (ip2 is null) Script("public", Prefix, name, ip.ToString());
        else Script("public", Prefix, name, ip.ToString(), ip2.ToString());
        return Namespace(name);
    }

    /// <summary>Adds site <paramref name="name"/> number <paramref name="index"/> (1..99) of the given NAT type. Returns the
    /// site's public address 203.0.113.(100+index): the router's WAN address, or for <see cref="NatType.None"/> the
    /// address of the site's first host.</summary>
    public IPAddress AddSite(string name, NatType type, int index)
    {
        Script("site", Prefix, name, TypeName(type), index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return IPAddress.Parse($"203.0.113.{100 + index}");
    }

    /// <summary>Adds host <paramref name="name"/> (namespace PREFIX-SITE-NAME) to <paramref name="site"/>; returns its address
    /// (10.N.0.(10+k) behind a NAT, a public address in a <see cref="NatType.None"/> site).</summary>
    public IPAddress AddHost(string site, string name) => IPAddress.Parse(Script("host", Prefix, site, name).Stdout.Trim());

    /// <summary>Re-plugs host <paramref name="name"/> of <paramref name="site"/> into <paramref name="newSite"/>'s LAN (a laptop carried to another office); returns its new address. Its namespace keeps its name.</summary>
    public IPAddress MoveHost(string site, string name, string newSite) => IPAddress.Parse(Script("move", Prefix, site, name, newSite).Stdout.Trim());

    /// <summary>Namespace name of a host: <c>HostNamespace("s1", "h1")</c> is PREFIX-s1-h1.</summary>
    public string HostNamespace(string site, string name) => Namespace($"{site}-{name}");

    /// <summary>Full namespace name for a short one ("s1", "s1-h1", "inet"); full names pass through.</summary>
    public string Namespace(string ns) => ns.StartsWith(Prefix + "-", StringComparison.Ordinal) ? ns : $"{Prefix}-{ns}";

    /// <summary>Drops <paramref name="percent"/> % of IPv4 packets on an interface (direction "out", "in" or "both");
    /// 0 removes the loss.</summary>
    public void Loss(string ns, string iface, int percent, string direction = "out") =>
        Script("loss", Prefix, Namespace(ns), iface, percent.ToString(System.Globalization.CultureInfo.InvariantCulture), direction);

    /// <summary>Limits an interface's egress to <paramref name="rate"/> in tc units ("800kbit", "10mbit", "1gbit"),
    /// or removes the limit with "off".</summary>
    public void Rate(string ns, string iface, string rate) => Script("rate", Prefix, Namespace(ns), iface, rate);

    /// <summary>Runs a command in a namespace to completion. Does not throw on a non-zero exit code.</summary>
    public LabResult Exec(string ns, string file, params string[] args) => Exec(ns, TimeSpan.FromSeconds(60), file, args);

    /// <summary>Runs a command in a namespace to completion within <paramref name="timeout"/> (killed and
    /// <see cref="TimeoutException"/> after). Does not throw on a non-zero exit code.</summary>
    public LabResult Exec(string ns, TimeSpan timeout, string file, params string[] args) =>
        Run("ip", ["netns", "exec", Namespace(ns), file, .. args], timeout);

    /// <summary>Starts a long-running command in a namespace. Standard output and error are redirected: read them
    /// (or call BeginOutputReadLine/BeginErrorReadLine) so a chatty process cannot block on a full pipe. The process
    /// is tracked and killed by PID on <see cref="Dispose"/>.</summary>
    public Process StartProcess(string ns, string file, params string[] args)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // `ip netns exec` enters the namespace and execs the command, so the PID is the command's own.
        var psi = StartInfo("ip", ["netns", "exec", Namespace(ns), file, .. args]);
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        lock (_gate) _processes.Add(process);
        return process;
    }

    /// <summary>Namespaces that currently exist with this lab's prefix.</summary>
    public IReadOnlyList<string> Namespaces() => NamespacesWithPrefix(Prefix);

    /// <summary>Namespaces that currently exist with the given lab prefix.</summary>
    public static IReadOnlyList<string> NamespacesWithPrefix(string prefix)
    {
        var list = Run("ip", ["netns", "list"], TimeSpan.FromSeconds(10));
        return list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => name.StartsWith(prefix + "-", StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>Runs netlab.sh with arguments; throws with its output when it fails.</summary>
    public static LabResult Script(params string[] args) => Script(TimeSpan.FromSeconds(60), args);

    /// <summary>Runs netlab.sh with arguments within <paramref name="timeout"/>; throws with its output when it fails.</summary>
    public static LabResult Script(TimeSpan timeout, params string[] args)
    {
        var result = RunScript(timeout, args);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"netlab.sh {string.Join(' ', args)} failed: {result}");
        return result;
    }

    /// <summary>Runs netlab.sh with arguments within <paramref name="timeout"/> and returns its exit code and output.</summary>
    public static LabResult RunScript(TimeSpan timeout, params string[] args) => Run("bash", [ScriptPath, .. args], timeout);

    /// <summary>Kills the processes this lab started and destroys the lab; throws when namespaces remain.</summary>
    public void Destroy()
    {
        List<Process> processes;
        lock (_gate)
        {
            processes = [.. _processes];
            _processes.Clear();
        }
        foreach (var process in processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(2000);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
            finally
            {
                process.Dispose();
            }
        }
        Script("destroy", Prefix);
    }

    /// <summary>Kills tracked processes (by PID) and removes every namespace of the lab. Never throws; a failure is
    /// written to standard error (and shows in a test that checks <see cref="Namespaces"/>).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Does the work of <see cref="Dispose()"/> once.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing) return;
        _disposed = true;
        try
        {
            Destroy();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"lab {Prefix}: cleanup failed: {e.Message}");
        }
    }

    /// <summary>The name netlab.sh (and <c>woven netcheck</c>) uses for a NAT type: full-cone, port-restricted, ...</summary>
    public static string TypeName(NatType type) => type switch
    {
        NatType.None => "none",
        NatType.FullCone => "full-cone",
        NatType.Restricted => "restricted",
        NatType.PortRestricted => "port-restricted",
        NatType.Symmetric => "symmetric",
        NatType.UdpBlocked => "udp-blocked",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    private static LabResult Run(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = StartInfo(file, args);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
            throw new TimeoutException(
                $"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}; output so far:\n{stdout.GetAwaiter().GetResult()}{stderr.GetAwaiter().GetResult()}");
        }
        process.WaitForExit(); // drains the redirected streams
        return new LabResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static string? FindScript()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "lab", "netlab.sh");
        if (File.Exists(shipped)) return shipped;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "lab", "netlab.sh");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string? CheckAvailable()
    {
        if (!OperatingSystem.IsLinux()) return "the lab needs Linux network namespaces";
        if (!Environment.IsPrivilegedProcess)
            return "it needs root (network namespaces, veth, nftables); run it as root (sudo)";
        if (ScriptLazy.Value is null) return $"lab/netlab.sh not found in any directory above {AppContext.BaseDirectory}";
        try
        {
            var r = Run("ip", ["netns", "list"], TimeSpan.FromSeconds(10));
            if (r.ExitCode != 0) return $"`ip netns list` failed: {r.Stderr.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"`ip` (iproute2) could not be started: {e.Message}";
        }
        return null;
    }
}

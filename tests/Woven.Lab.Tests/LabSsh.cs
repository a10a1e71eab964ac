using System.Diagnostics;

namespace Woven.Lab.Tests;

/// <summary>
/// An sshd in a lab namespace, listening only on one address, with key login for root; its host key, client key and
/// configuration live in a temporary directory that is deleted with it. The real OpenSSH programs, as a user would run them.
/// </summary>
public sealed class LabSsh : IDisposable
{
    private readonly Process _sshd;

    public LabSsh(Lab lab, string ns, string address)
    {
        Address = address;
        Dir = Directory.CreateTempSubdirectory("woven-ssh-").FullName;
        Directory.CreateDirectory("/run/sshd");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(Dir, "host"));
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(Dir, "user"));
        File.Copy(Path.Combine(Dir, "user.pub"), Path.Combine(Dir, "authorized_keys"));
        File.WriteAllText(Path.Combine(Dir, "sshd_config"), string.Join('\n',
            $"ListenAddress {address}", "Port 22", $"HostKey {Dir}/host", $"AuthorizedKeysFile {Dir}/authorized_keys",
            $"PidFile {Dir}/sshd.pid", "PermitRootLogin prohibit-password", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "") + "\n");
        _sshd = lab.StartProcess(ns, "/usr/sbin/sshd", "-D", "-e", "-f", Path.Combine(Dir, "sshd_config"));
    }

    public string Address { get; }

    public string Dir { get; }

    /// <summary>The ssh command line (as one shell string) that runs <paramref name="remote"/> on the server.</summary>
    public string Shell(string remote) =>
        $"ssh -i {Dir}/user -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5 -o ServerAliveInterval=5 root@{Address} '{remote}'";

    /// <summary>Logs in from <paramref name="fromNs"/> and runs <paramref name="remote"/>, retrying while sshd is starting (10 s).</summary>
    public LabResult Login(Lab lab, string fromNs, string remote)
    {
        LabResult result = new(1, "", "sshd did not accept in 10 s");
        for (int attempt = 0; attempt < 20; attempt++)
        {
            Thread.Sleep(500);
            result = lab.Exec(fromNs, TimeSpan.FromSeconds(30), "sh", "-c", Shell(remote));
            if (result.ExitCode == 0) break;
        }
        return result;
    }

    public void Dispose()
    {
        if (!_sshd.HasExited) _sshd.Kill();
        _sshd.WaitForExit(5000);
        _sshd.Dispose();
        Directory.Delete(Dir, recursive: true);
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {err}");
    }
}

using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Woven.Lab.Tests;

public sealed class LabSelfTest(ITestOutputHelper output)
{
    /// <summary>netlab.sh selftest: one site per NAT type, RFC 5780 discovery against coturn, a TCP probe.</summary>
    [Fact]
    public void SelfTest_EveryNatTypeBehavesAsLabelled()
    {
        Lab.RequireAvailable();
        var sw = Stopwatch.StartNew();
        var result = Lab.RunScript(TimeSpan.FromMinutes(3), "selftest");
        output.WriteLine(result.Stdout);
        output.WriteLine(result.Stderr);
        output.WriteLine($"selftest took {sw.Elapsed.TotalSeconds:F1} s");
        Assert.True(result.ExitCode == 0, $"netlab.sh selftest failed: {result}");
    }

    [Fact]
    public void Dispose_LeavesNoNamespaceWithThePrefix()
    {
        string prefix;
        int sleeperPid;
        using (var lab = new Lab())
        {
            prefix = lab.Prefix;
            lab.CreateInternet();
            lab.AddPublicHost("srv", IPAddress.Parse("203.0.113.5"));
            lab.AddSite("s1", NatType.PortRestricted, 1);
            Assert.Equal(IPAddress.Parse("10.1.0.10"), lab.AddHost("s1", "h1"));
            sleeperPid = lab.StartProcess("s1-h1", "sleep", "600").Id;
            Assert.Equal(
                [$"{prefix}-inet", $"{prefix}-s1", $"{prefix}-s1-h1", $"{prefix}-srv"],
                lab.Namespaces().Order(StringComparer.Ordinal));
        }
        Assert.Empty(Lab.NamespacesWithPrefix(prefix));
        Assert.False(IsSleep(sleeperPid), $"process {sleeperPid} (sleep in the lab) still runs after Dispose");
        // destroy is idempotent
        Lab.Script("destroy", prefix);
    }

    private static bool IsSleep(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("sleep", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}

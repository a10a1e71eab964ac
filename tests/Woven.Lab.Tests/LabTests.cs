using System.Net;

namespace Woven.Lab.Tests;

/// <summary>The C# wrapper's knobs do what they say.</summary>
public sealed class LabTests
{
    private static readonly IPAddress Server = IPAddress.Parse("203.0.113.5");

    private static bool Ping(Lab lab, string ns, IPAddress to) =>
        lab.Exec(ns, "ping", "-c", "1", "-W", "1", to.ToString()).ExitCode == 0;

    [Fact]
    public void Sites_RouteToThePublicSegment_AndOnlyFullConeAcceptsUnsolicitedTraffic()
    {
        using var lab = new Lab();
        lab.CreateInternet();
        lab.AddPublicHost("srv", Server);
        var openWan = lab.AddSite("open", NatType.None, 1);
        var coneWan = lab.AddSite("cone", NatType.FullCone, 2);
        var prWan = lab.AddSite("pr", NatType.PortRestricted, 3);
        Assert.Equal(openWan, lab.AddHost("open", "h1"));
        Assert.Equal(IPAddress.Parse("203.0.113.200"), lab.AddHost("open", "h2"));
        Assert.Equal(IPAddress.Parse("10.2.0.10"), lab.AddHost("cone", "h1"));
        Assert.Equal(IPAddress.Parse("10.3.0.10"), lab.AddHost("pr", "h1"));
        Assert.Equal(IPAddress.Parse("10.3.0.11"), lab.AddHost("pr", "h2"));

        foreach (var host in new[] { "open-h1", "open-h2", "cone-h1", "pr-h1", "pr-h2" })
            Assert.True(Ping(lab, host, Server), $"{host} cannot reach the public server");
        Assert.True(Ping(lab, "pr-h1", IPAddress.Parse("10.3.0.11")), "hosts of one site cannot reach each other");
        // Full cone forwards everything arriving at its public address to its first host; a port-restricted router
        // drops unsolicited packets (and answers nothing itself).
        Assert.True(Ping(lab, "srv", coneWan), "unsolicited ping does not reach the full-cone host");
        Assert.False(Ping(lab, "srv", prWan), "the port-restricted router answers unsolicited traffic");
        // Nothing routes out of the lab.
        Assert.NotEqual(0, lab.Exec("pr-h1", "ping", "-c", "1", "-W", "1", "192.0.2.1").ExitCode);
    }

    [Fact]
    public void LossAndRate_AreAppliedAndRemoved()
    {
        using var lab = new Lab();
        lab.CreateInternet();
        lab.AddPublicHost("srv", Server);
        lab.AddSite("s1", NatType.PortRestricted, 1);
        lab.AddHost("s1", "h1");
        Assert.True(Ping(lab, "s1-h1", Server));

        lab.Loss("s1", "wan", 100);
        Assert.False(Ping(lab, "s1-h1", Server), "100 % loss on the WAN still lets a ping through");
        Assert.Contains("drop", lab.Exec("s1", "nft", "list", "table", "netdev", "loss_wan").Stdout);
        lab.Loss("s1", "wan", 0);
        Assert.True(Ping(lab, "s1-h1", Server), "removing the loss did not restore the path");

        lab.Rate("s1", "wan", "10mbit");
        Assert.Contains("rate 10Mbit", lab.Exec("s1", "tc", "qdisc", "show", "dev", "wan").Stdout);
        lab.Rate("s1", "wan", "off");
        Assert.DoesNotContain("tbf", lab.Exec("s1", "tc", "qdisc", "show", "dev", "wan").Stdout);
    }

    [Fact]
    public void StartProcess_RunsInTheNamespace()
    {
        using var lab = new Lab();
        lab.CreateInternet();
        lab.AddPublicHost("srv", Server);
        using var process = lab.StartProcess("srv", "ip", "-4", "-o", "addr", "show", "dev", "eth0");
        var text = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(10_000));
        Assert.Contains("203.0.113.5/24", text);
    }
}

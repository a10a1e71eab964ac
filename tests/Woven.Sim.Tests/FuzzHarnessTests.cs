using System.Diagnostics;
using Woven.Sim.Fuzzing;
using Xunit.Abstractions;

namespace Woven.Sim.Tests;

/// <summary>
/// The seeded fuzz harness over every decoder a node exposes (wire, Noise, STUN, certificates, revocation lists, domain
/// files, join tokens, key files) and over the receive path of live nodes on the simulator.
/// </summary>
public class FuzzHarnessTests(ITestOutputHelper output)
{
    /// <summary>10,000 mutated inputs per target, 310,000 in all (about 10 s).</summary>
    private const long Inputs = 310_000;

    [Fact]
    public void No_decoder_and_no_live_node_throws_on_mutated_inputs_and_every_target_both_accepts_and_refuses()
    {
        var wall = Stopwatch.StartNew();
        var report = new FuzzHarness().Run(Inputs, seed: 20260301, progress: null);
        wall.Stop();
        output.WriteLine(report.ToText());
        output.WriteLine($"test wall time {wall.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(Inputs, report.Iterations);
        Assert.Equal(Inputs, report.Targets.Sum(t => t.Inputs));
        Assert.Equal(FuzzHarness.TargetNames, report.Targets.Select(t => t.Name));
        var failures = report.Targets.SelectMany(t => t.Failures.Select(f => $"{t.Name} input {f.Iteration} ({f.Kind}): {f.ExceptionType}: {f.Message}\n  input {f.InputHex}\n  {f.Context}\n{f.StackTrace}")).ToList();
        Assert.True(report.Clean, $"{report.Exceptions} exceptions, {report.Violations} violations:\n" + string.Join("\n\n", failures));

        foreach (var t in report.Targets)
        {
            // Taking turns: every target gets the same share, give or take one.
            Assert.InRange(t.Inputs, Inputs / report.Targets.Count, Inputs / report.Targets.Count + 1);
            Assert.Equal(t.Inputs, t.Accepted + t.Rejected);
            // Meaningful mutations: some inputs still pass, most do not.
            Assert.True(t.Accepted > 0, $"{t.Name} accepted none of {t.Inputs} inputs");
            Assert.True(t.Rejected > 0, $"{t.Name} refused none of {t.Inputs} inputs");
        }
    }

    [Fact]
    public void Live_nodes_count_every_datagram_from_the_stranger_and_its_link_carries_sealed_messages_inside()
    {
        var report = new FuzzHarness { Only = ["node."] }.Run(4_000, seed: 5, progress: null);
        output.WriteLine(report.ToText());
        Assert.True(report.Clean, string.Join("\n", report.Targets.SelectMany(t => t.Failures).Select(f => f.StackTrace)));
        Assert.Equal(["node.clear", "node.noise"], report.Targets.Select(t => t.Name));
        foreach (var t in report.Targets)
        {
            var d = t.Details!;
            // Each input was one datagram, delivered once, and the node counted each one it was handed.
            Assert.Equal(d["sent_by_stranger"], d["delivered_from_stranger"]);
            Assert.Equal(d["delivered_to_node"], d["node_datagrams_in"]);
            Assert.True(d["sent_by_stranger"] >= t.Inputs);
            Assert.Equal(t.Inputs, d["dropped"] + d["answered"] + d["absorbed"]);
            // The stranger really linked, and mutated messages sealed on its link reached the inner dispatch.
            Assert.True(d["kind_sealedinner"] > 0 && d["kind_sealedinner_accepted"] > 0, $"{t.Name}: no sealed message got through");
            Assert.True(d["node_routed_delivered"] > 0, $"{t.Name}: no routed message was delivered");
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_outcomes_for_the_deterministic_targets()
    {
        // The live nodes are left out: their cookie secrets come from the system's random source, and cookie bytes end up
        // in mutated inputs.
        string[] only = ["wire.", "stun.", "cert.", "crl.", "domain.", "token.", "keyfile.", "noise."];
        var a = new FuzzHarness { Only = only }.Run(20_000, seed: 3, progress: null);
        var b = new FuzzHarness { Only = only }.Run(20_000, seed: 3, progress: null);
        Assert.Equal(a.Targets.Select(t => (t.Name, t.Accepted, t.Rejected)), b.Targets.Select(t => (t.Name, t.Accepted, t.Rejected)));
        Assert.Equal(a.Mutations, b.Mutations);
    }
}

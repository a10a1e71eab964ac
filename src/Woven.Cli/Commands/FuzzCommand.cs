using System.CommandLine;
using Woven.Sim.Fuzzing;

namespace Woven.Cli.Commands;

/// <summary>
/// <c>woven fuzz</c>: seeded fuzzing of every decoder a node exposes to the network or to files, and of the whole
/// receive path of live nodes on the simulator. Exit code 1 when any input made a target throw or broke an invariant.
/// </summary>
internal static class FuzzCommand
{
    public static Command Create()
    {
        var iterations = new Option<long>("--iterations") { Description = "Inputs in all, shared equally among the targets", DefaultValueFactory = _ => 1_000_000 };
        var seed = new Option<int>("--seed") { Description = "Seed of every mutation; the same seed gives the same inputs", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a report" };
        var targets = new Option<string[]>("--target")
        {
            Description = "Run only the targets whose name starts with this (repeatable), e.g. wire. or node.noise; default all: "
                + string.Join(", ", FuzzHarness.TargetNames),
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("fuzz", "Fuzz the node's decoders (wire, Noise, STUN, certificates, revocation lists, domain files, join tokens, DHT, messaging) and its receive path")
        {
            iterations, seed, json, targets,
        };
        command.SetAction(parse =>
        {
            long n = parse.GetValue(iterations);
            if (n < 0)
            {
                Console.Error.WriteLine("woven fuzz: --iterations must not be negative");
                return 2;
            }
            var only = parse.GetValue(targets) ?? [];
            var unknown = only.Where(p => !FuzzHarness.TargetNames.Any(t => t.StartsWith(p, StringComparison.Ordinal))).ToList();
            if (unknown.Count > 0)
            {
                Console.Error.WriteLine($"woven fuzz: --target {string.Join(", ", unknown)} matches no target; targets: {string.Join(", ", FuzzHarness.TargetNames)}");
                return 2;
            }
            bool asJson = parse.GetValue(json);
            var progress = asJson || Console.IsErrorRedirected ? null : new ConsoleProgress();
            var report = new FuzzHarness { Only = only }.Run(n, parse.GetValue(seed), progress);
            progress?.Done();
            Console.WriteLine(asJson ? report.ToJson() : report.ToText());
            return report.Clean ? 0 : 1;
        });
        return command;
    }

    private sealed class ConsoleProgress : IProgress<string>
    {
        public void Report(string value) => Console.Error.Write($"\r{value}   ");

        public void Done() => Console.Error.Write("\r" + new string(' ', 80) + "\r");
    }
}

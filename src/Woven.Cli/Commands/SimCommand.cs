using System.CommandLine;
using Woven.Sim.Scenarios;

namespace Woven.Cli.Commands;

/// <summary><c>woven sim</c>: runs the ring simulation (the same overlay code as a real node) in virtual time.</summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of simulated nodes", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice; the same seed gives the same run", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a report" };
        var fail = new Option<double>("--fail") { Description = "Fraction of nodes that crash at once after the measurements, e.g. 0.2 (default 0: none)" };
        var samples = new Option<int>("--samples") { Description = "Random pairs whose routes are checked", DefaultValueFactory = _ => 2000 };
        var joiners = new Option<int>("--joiners") { Description = "Nodes that join the formed network one at a time and are timed (default clamp(N/50, 10, 200))", DefaultValueFactory = _ => -1 };
        var loss = new Option<double>("--loss") { Description = "Probability that a simulated datagram is lost, e.g. 0.01" };
        var latMin = new Option<double>("--latency-min-ms") { Description = "Smallest one-way link latency", DefaultValueFactory = _ => 20 };
        var latMax = new Option<double>("--latency-max-ms") { Description = "Largest one-way link latency", DefaultValueFactory = _ => 200 };
        var churn = new Option<double>("--churn-median") { Description = "Median session time in seconds for a churn phase after the measurements (default 0: none), e.g. 600" };
        var churnFor = new Option<double>("--churn-duration") { Description = "Virtual seconds the churn phase lasts", DefaultValueFactory = _ => 600 };
        var dhtClients = new Option<int>("--dht-clients") { Description = "Run the DHT workload during the churn phase with this many client nodes (exempt from churn), e.g. 20 (default 0: no DHT)" };
        var dhtReplicas = new Option<int>("--dht-replicas") { Description = "Replicas per DHT record", DefaultValueFactory = _ => 5 };
        var dhtInterval = new Option<double>("--dht-op-interval") { Description = "Mean seconds between one client's DHT operations", DefaultValueFactory = _ => 5 };
        var dhtPartition = new Option<double>("--dht-partition") { Description = "Split the ring into two halves for this many seconds in the middle of the DHT phase (default 0: none)" };
        var command = new Command("sim", "Simulate a Woven overlay in virtual time and report ring correctness, routing, joins, failures and the DHT")
        {
            nodes, seed, json, fail, samples, joiners, loss, latMin, latMax, churn, churnFor, dhtClients, dhtReplicas, dhtInterval, dhtPartition,
        };
        command.SetAction(parse =>
        {
            var options = new RingScenarioOptions
            {
                Nodes = parse.GetValue(nodes),
                Seed = parse.GetValue(seed),
                FailFraction = parse.GetValue(fail),
                RouteSamples = parse.GetValue(samples),
                Joiners = parse.GetValue(joiners),
                ChurnMedian = TimeSpan.FromSeconds(parse.GetValue(churn)),
                ChurnDuration = TimeSpan.FromSeconds(parse.GetValue(churnFor)),
                DhtClients = parse.GetValue(dhtClients),
                DhtReplicas = parse.GetValue(dhtReplicas),
                DhtOpInterval = parse.GetValue(dhtInterval),
                DhtPartition = TimeSpan.FromSeconds(parse.GetValue(dhtPartition)),
            };
            options.Network.Loss = parse.GetValue(loss);
            options.Network.LatencyMin = TimeSpan.FromMilliseconds(parse.GetValue(latMin));
            options.Network.LatencyMax = TimeSpan.FromMilliseconds(parse.GetValue(latMax));
            var errors = options.Validate();
            if (errors.Count > 0)
            {
                foreach (var e in errors) Console.Error.WriteLine($"woven sim: {e}");
                return 2;
            }
            bool asJson = parse.GetValue(json);
            var progress = asJson || Console.IsErrorRedirected ? null : new ConsoleProgress();
            var scenario = new RingScenario(options, progress);
            var report = scenario.Run();
            if (Environment.GetEnvironmentVariable("WOVEN_SIM_DEBUG") == "1")
            {
                foreach (var line in scenario.DescribeRingErrors(20)) Console.Error.WriteLine(line);
                for (int t = 1; t < 16; t++)
                {
                    if (scenario.Network.SentByType[t] > 0) Console.Error.WriteLine($"type {(Woven.Wire.MessageType)t}: {scenario.Network.SentByType[t]:N0}");
                }
            }
            progress?.Done();
            if (asJson) Console.WriteLine(report.ToJson());
            else PrintReport(report);
            return 0;
        });
        return command;
    }

    private static void PrintReport(RingReport r)
    {
        Console.WriteLine($"Simulated {r.Nodes:N0} nodes (seed {r.Seed}) for {r.VirtualS:N0} virtual seconds in {r.WallS:N1} s wall time, {r.Events:N0} events.");
        Console.WriteLine($"  ring correct            {(r.RingCorrect ? "yes" : $"no ({r.RingWrongNodes} nodes wrong)")}");
        Console.WriteLine($"  route success           {r.RouteSuccess:P2} of {r.RouteSamples:N0} sampled pairs");
        Console.WriteLine($"  hops                    mean {r.HopsMean:F2}, p99 {r.HopsP99}, max {r.HopsMax}  (log2 N = {r.Log2N:F1})");
        Console.WriteLine($"  join to routable        p50 {r.JoinToRoutableP50S:F2} s, p90 {r.JoinToRoutableP90S:F2} s ({r.JoinersRoutable}/{r.Joiners} joiners routable)");
        Console.WriteLine($"  maintenance             {r.MaintenanceMsgsPerNodeS:F2} messages per node per second");
        Console.WriteLine($"  connections per node    {r.ConnectionsMean:F1} (median size estimate {r.SizeEstimateMedian:N0})");
        if (r.FailedNodes is { } failed)
        {
            Console.WriteLine($"  after {failed:N0} nodes crashed: ring correct after {Fmt(r.RecoveredRingS)}, all routes delivered after {Fmt(r.RecoveredRoutesS)}");
        }
        if (r.ChurnMedianS is { } median)
        {
            Console.WriteLine($"  churn (median session {median:F0} s, {r.ChurnDurationS:F0} s, {r.ChurnDeparted} departures): routes {r.ChurnRouteSuccess:P2} of {r.ChurnRoutesJudged}, ring wrong at {r.ChurnRingWrongMean:P2} of nodes on average");
        }
        if (r.DhtGetSuccess is { } gets)
        {
            Console.WriteLine($"  DHT ({r.DhtClients} clients, {r.DhtReplicas} replicas): gets {gets:P2} of {r.DhtGets:N0}, latency p50 {r.DhtGetP50S:F2} s p99 {r.DhtGetP99S:F2} s");
            Console.WriteLine($"    creates {r.DhtCreatesOk}/{r.DhtCreates} won, {r.DhtCreatesConflict} found the key held, {r.DhtCreatesFailed} failed; puts {r.DhtPutsOk}/{r.DhtPuts}; renewals {r.DhtRenewsOk}/{r.DhtRenews} ({r.DhtRenewsLost} lost)");
            Console.WriteLine($"    keys with two live owners: {r.DhtTwoOwnerKeys}; records per node {r.DhtRecordsPerNode:F1}; {r.DhtMsgsPerNodeS:F2} DHT messages per node per second");
        }
        if (r.DhtPartitionS is { } partition)
        {
            Console.WriteLine($"  partition of {partition:F0} s: {r.DhtPartitionRecordsFound}/{r.DhtPartitionRecords} records written before it read back after healing (ring whole again after {Fmt(r.DhtPartitionRingHealedS)}); {r.DhtPartitionConflictKeys} keys claimed on both sides, {r.DhtPartitionUnresolvedKeys} still double-held 90 s after healing");
        }
        Console.WriteLine($"  memory                  peak {r.PeakMemMb:N0} MB, {r.BytesPerNode:N0} bytes per node");
    }

    private static string Fmt(double? seconds) => seconds is { } s ? $"{s:F0} s" : "never (within the window)";

    private sealed class ConsoleProgress : IProgress<string>
    {
        public void Report(string value) => Console.Error.Write($"\r{value}   ");

        public void Done() => Console.Error.Write("\r" + new string(' ', 80) + "\r");
    }
}

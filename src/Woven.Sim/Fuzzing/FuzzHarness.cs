using System.Diagnostics;

namespace Woven.Sim.Fuzzing;

/// <summary>
/// Seeded fuzzing of every decoder a node exposes to the network or to files: the overlay's wire messages, the Noise
/// handshake and transport, STUN, the domain's certificates, revocation lists, settings, join tokens and key files, the DHT, peer messaging,
/// and the whole receive path of live overlay nodes on the simulator (see <see cref="TargetNames"/>). Inputs are
/// valid encodings made by the real encoders, mutated (<see cref="Mutator"/>), plus pure random bytes; the targets
/// take turns, so each gets the same share. A target may accept or refuse an input; throwing is a failure, recorded
/// with the input in hex. Each target draws from its own seeded stream, so the same seed gives the same inputs and
/// outcomes for every decoder, Noise and STUN target (the k-th input of a target does not depend on the others). The
/// live nodes are reproducible only approximately: their cookie secrets and the Noise node's ephemeral keys come from
/// the system's random source, and captured cookies end up in their inputs.
/// </summary>
public sealed class FuzzHarness
{
    /// <summary>Failures kept, with their inputs, per target (all are counted).</summary>
    public const int FailuresKeptPerTarget = 5;

    /// <summary>Only targets whose name starts with one of these prefixes run (null or empty: all).</summary>
    public IReadOnlyList<string>? Only { get; init; }

    /// <summary>The names of all targets, in the order they take turns.</summary>
    public static IReadOnlyList<string> TargetNames { get; } =
    [
        "wire.envelope", "wire.addressed", "wire.neighbors", "wire.routed", "wire.connect-to-me", "wire.probe", "wire.tunnel",
        "wire.link-intent", "wire.link-hello", "wire.link-handshake", "wire.cookie-reply", "wire.sealed", "wire.link-payload",
        "noise.message1", "noise.message2", "noise.message3", "noise.transport",
        "stun.read", "stun.respond",
        "cert.read", "cert.verify", "crl.read", "crl.merge", "domain.read", "domain.json", "token.read", "token.text",
        "keyfile.node", "keyfile.ca",
        "dht.message", "dht.record",
        "msg.frame",
        "node.clear", "node.noise",
    ];

    /// <summary>Creates the targets for a seed (each from its own random stream, so that they do not depend on one another).</summary>
    public IReadOnlyList<FuzzTarget> CreateTargets(int seed)
    {
        var targets = new List<FuzzTarget>();
        bool Wanted(string name) => Only is not { Count: > 0 } only || only.Any(p => name.StartsWith(p, StringComparison.Ordinal));
        bool AnyWanted(string prefix) => TargetNames.Any(n => n.StartsWith(prefix, StringComparison.Ordinal) && Wanted(n));

        var wire = new WireCorpus(new Random(StreamSeed(seed, "corpus.wire")));
        if (AnyWanted("wire.")) targets.AddRange(WireTargets.Create(new Random(StreamSeed(seed, "wire"))));
        if (AnyWanted("noise.")) targets.AddRange(NoiseTargets.Create(new Random(StreamSeed(seed, "noise")), wire.LinkPayloads[0], wire.LinkPayloads[1]));
        if (AnyWanted("stun.")) targets.AddRange(StunTargets.Create(new Random(StreamSeed(seed, "stun"))));
        if (AnyWanted("cert.") || AnyWanted("crl.") || AnyWanted("domain.") || AnyWanted("token.") || AnyWanted("keyfile."))
            targets.AddRange(SecurityTargets.Create(new Random(StreamSeed(seed, "security"))));
        if (AnyWanted("dht.")) targets.AddRange(DhtTargets.Create(new Random(StreamSeed(seed, "dht"))));
        if (AnyWanted("msg.")) targets.AddRange(MessagingTargets.Create(new Random(StreamSeed(seed, "msg"))));
        if (Wanted("node.clear")) targets.Add(new LiveNodeTarget(noise: false, StreamSeed(seed, "node.clear")));
        if (Wanted("node.noise")) targets.Add(new LiveNodeTarget(noise: true, StreamSeed(seed, "node.noise")));

        var unlisted = targets.FirstOrDefault(t => IndexOf(t.Name) == int.MaxValue);
        if (unlisted is not null) throw new InvalidOperationException($"target {unlisted.Name} is missing from TargetNames");
        var kept = targets.Where(t => Wanted(t.Name)).OrderBy(t => IndexOf(t.Name)).ToList();
        foreach (var t in targets.Except(kept)) t.Dispose();
        return kept;
    }

    private static int IndexOf(string name)
    {
        for (int i = 0; i < TargetNames.Count; i++)
        {
            if (TargetNames[i] == name) return i;
        }
        return int.MaxValue;
    }

    /// <summary>A stable seed per stream (string.GetHashCode differs between processes).</summary>
    private static int StreamSeed(int seed, string stream)
    {
        ulong h = 14695981039346656037UL ^ (uint)seed;
        foreach (char ch in stream)
        {
            h ^= ch;
            h *= 1099511628211UL;
        }
        h ^= h >> 29;
        return (int)(h & 0x7FFFFFFF);
    }

    private sealed class Tally
    {
        public long Inputs, Accepted, Rejected, Exceptions, Violations, Ticks;
        public List<FuzzFailure> Failures { get; } = [];
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> inputs in all, the targets taking turns. Never throws for what a target does;
    /// every exception is in the report.
    /// </summary>
    public FuzzReport Run(long iterations, int seed, IProgress<string>? progress)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        var started = DateTimeOffset.UtcNow;
        var wall = Stopwatch.StartNew();
        progress?.Report("building targets");
        var targets = CreateTargets(seed);
        if (targets.Count == 0) throw new ArgumentException($"no target matches {string.Join(", ", Only ?? [])}; targets: {string.Join(", ", TargetNames)}");
        var tallies = targets.Select(_ => new Tally()).ToArray();
        var streams = targets.Select(t => new Random(StreamSeed(seed, "inputs." + t.Name))).ToArray();
        var mutator = new Mutator();
        long nextReport = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        var fuzzing = Stopwatch.StartNew();
        try
        {
            for (long i = 0; i < iterations; i++)
            {
                int t = (int)(i % targets.Count);
                var target = targets[t];
                var tally = tallies[t];
                long begin = Stopwatch.GetTimestamp();
                tally.Inputs++;
                byte[]? input = null;
                try
                {
                    input = target.NextInput(streams[t], mutator);
                    if (target.Execute(input)) tally.Accepted++;
                    else tally.Rejected++;
                }
                catch (FuzzViolationException e)
                {
                    tally.Violations++;
                    Record(tally, "violation", i, input, target, e);
                }
                catch (Exception e)
                {
                    tally.Exceptions++;
                    Record(tally, "exception", i, input, target, e);
                    ResetAfterFailure(target, tally, i);
                }
                long end = Stopwatch.GetTimestamp();
                tally.Ticks += end - begin;
                if (progress is not null && end >= nextReport)
                {
                    nextReport = end + Stopwatch.Frequency;
                    long failures = tallies.Sum(x => x.Exceptions + x.Violations);
                    progress.Report($"{i + 1:N0}/{iterations:N0} inputs, {(i + 1) / fuzzing.Elapsed.TotalSeconds:N0}/s, {failures} failures");
                }
            }
            double seconds = fuzzing.Elapsed.TotalSeconds;
            var reports = targets.Select((target, i) =>
            {
                var tally = tallies[i];
                double s = tally.Ticks / (double)Stopwatch.Frequency;
                return new FuzzTargetReport
                {
                    Name = target.Name,
                    Area = target.Area,
                    Description = target.Description,
                    Inputs = tally.Inputs,
                    Accepted = tally.Accepted,
                    Rejected = tally.Rejected,
                    Exceptions = tally.Exceptions,
                    Violations = tally.Violations,
                    WallS = Math.Round(s, 2),
                    InputsPerS = s > 0 ? Math.Round(tally.Inputs / s) : 0,
                    Details = target.Details,
                    Failures = tally.Failures,
                };
            }).ToList();
            var mutations = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var kind in Enum.GetValues<MutationKind>()) mutations[Snake(kind.ToString())] = mutator.Counts[(int)kind];
            return new FuzzReport
            {
                Iterations = iterations,
                Seed = seed,
                StartedUtc = started,
                Accepted = tallies.Sum(x => x.Accepted),
                Rejected = tallies.Sum(x => x.Rejected),
                Exceptions = tallies.Sum(x => x.Exceptions),
                Violations = tallies.Sum(x => x.Violations),
                WallS = Math.Round(wall.Elapsed.TotalSeconds, 2),
                InputsPerS = seconds > 0 ? Math.Round(iterations / seconds) : 0,
                PeakMemMb = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
                Targets = reports,
                Mutations = mutations,
            };
        }
        finally
        {
            foreach (var target in targets) target.Dispose();
        }
    }

    private static void Record(Tally tally, string kind, long iteration, byte[]? input, FuzzTarget target, Exception e)
    {
        if (tally.Failures.Count >= FailuresKeptPerTarget) return;
        string? context;
        try
        {
            context = target.DescribeLastInput();
        }
        catch (Exception inner)
        {
            context = $"(no context: {inner.GetType().Name})";
        }
        if (input is null) context = "while preparing the input (the target's own traffic)" + (context is null ? "" : "; " + context);
        tally.Failures.Add(new FuzzFailure
        {
            Kind = kind,
            Iteration = iteration,
            InputHex = input is null ? "" : Convert.ToHexStringLower(input),
            InputLength = input?.Length ?? 0,
            Context = context,
            ExceptionType = e.GetType().FullName ?? e.GetType().Name,
            Message = e.Message,
            StackTrace = e.ToString(),
        });
    }

    /// <summary>A target that threw may be in any state: rebuild it; if even that fails, count it and go on.</summary>
    private static void ResetAfterFailure(FuzzTarget target, Tally tally, long iteration)
    {
        try
        {
            target.Reset();
        }
        catch (Exception e)
        {
            tally.Exceptions++;
            Record(tally, "exception", iteration, null, target, e);
        }
    }

    private static string Snake(string name)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}

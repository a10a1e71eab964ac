using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Woven.Sim.Fuzzing;

/// <summary>One input that made a target throw (or break an invariant).</summary>
public sealed record FuzzFailure
{
    /// <summary>"exception" or "violation".</summary>
    public required string Kind { get; init; }

    /// <summary>Index of the input in the whole run (0-based); with the seed it reproduces the input.</summary>
    public required long Iteration { get; init; }

    public required string InputHex { get; init; }

    public required int InputLength { get; init; }

    /// <summary>Extra context from the target, e.g. the plaintext inside a sealed datagram.</summary>
    public string? Context { get; init; }

    public required string ExceptionType { get; init; }

    public required string Message { get; init; }

    public required string StackTrace { get; init; }
}

/// <summary>What one target did with its share of the inputs.</summary>
public sealed record FuzzTargetReport
{
    public required string Name { get; init; }
    public required string Area { get; init; }
    public required string Description { get; init; }
    public long Inputs { get; init; }
    public long Accepted { get; init; }
    public long Rejected { get; init; }
    public long Exceptions { get; init; }
    public long Violations { get; init; }
    public double WallS { get; init; }
    public double InputsPerS { get; init; }
    public IReadOnlyDictionary<string, long>? Details { get; init; }

    /// <summary>The first few failures (at most <see cref="FuzzHarness.FailuresKeptPerTarget"/>).</summary>
    public IReadOnlyList<FuzzFailure> Failures { get; init; } = [];
}

/// <summary>The result of <see cref="FuzzHarness.Run"/>; serialized with snake_case keys by <c>woven fuzz --json</c>.</summary>
public sealed record FuzzReport
{
    public long Iterations { get; init; }
    public int Seed { get; init; }
    public DateTimeOffset StartedUtc { get; init; }
    public long Accepted { get; init; }
    public long Rejected { get; init; }
    public long Exceptions { get; init; }
    public long Violations { get; init; }
    public double WallS { get; init; }
    public double InputsPerS { get; init; }

    /// <summary>Peak working set of the process at the end of the run.</summary>
    public double PeakMemMb { get; init; }

    public IReadOnlyList<FuzzTargetReport> Targets { get; init; } = [];

    /// <summary>How often each mutation was applied, by name.</summary>
    public IReadOnlyDictionary<string, long> Mutations { get; init; } = new Dictionary<string, long>();

    /// <summary>Nothing threw and no invariant broke.</summary>
    [JsonIgnore]
    public bool Clean => Exceptions == 0 && Violations == 0;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A table per target, the totals and every kept failure with its input in hex.</summary>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"Fuzzed {Iterations:N0} inputs (seed {Seed}) over {Targets.Count} targets in {WallS:N1} s: {InputsPerS:N0} inputs/s.").AppendLine();
        sb.Append(c, $"  accepted {Accepted:N0}, rejected {Rejected:N0}, exceptions {Exceptions:N0}, violations {Violations:N0}; peak memory {PeakMemMb:N0} MB").AppendLine();
        sb.AppendLine();
        sb.Append(c, $"  {"target",-22} {"inputs",11} {"accepted",11} {"rejected",11} {"exc",5} {"viol",5} {"wall s",8} {"inputs/s",11}").AppendLine();
        foreach (var t in Targets)
        {
            sb.Append(c, $"  {t.Name,-22} {t.Inputs,11:N0} {t.Accepted,11:N0} {t.Rejected,11:N0} {t.Exceptions,5:N0} {t.Violations,5:N0} {t.WallS,8:N1} {t.InputsPerS,11:N0}").AppendLine();
        }
        foreach (var t in Targets.Where(t => t.Details is { Count: > 0 }))
        {
            sb.AppendLine();
            sb.Append(c, $"  {t.Name}: ").AppendJoin(", ", t.Details!.Select(kv => $"{kv.Key} {kv.Value.ToString("N0", c)}")).AppendLine();
        }
        sb.AppendLine();
        sb.Append("  mutations: ").AppendJoin(", ", Mutations.Select(kv => $"{kv.Key} {kv.Value.ToString("N0", c)}")).AppendLine();
        foreach (var t in Targets)
        {
            foreach (var f in t.Failures)
            {
                sb.AppendLine();
                sb.Append(c, $"FAILURE ({f.Kind}) in {t.Name} at input {f.Iteration}: {f.ExceptionType}: {f.Message}").AppendLine();
                sb.Append(c, $"  input ({f.InputLength} bytes): {f.InputHex}").AppendLine();
                if (f.Context is not null) sb.Append("  context: ").AppendLine(f.Context);
                foreach (var line in f.StackTrace.Split('\n')) sb.Append("    ").AppendLine(line.TrimEnd('\r'));
            }
        }
        return sb.ToString();
    }
}

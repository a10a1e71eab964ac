using Woven.Overlay;
using Woven.Sim.Network;

namespace Woven.Sim.Scenarios;

/// <summary>What a ring simulation does: how many nodes, how they arrive, what fails.</summary>
public sealed class RingScenarioOptions
{
    public int Nodes { get; set; } = 1000;

    public int Seed { get; set; } = 1;

    /// <summary>Joins per virtual second while the network forms; 0 picks max(50, N/20).</summary>
    public double FormationRate { get; set; }

    /// <summary>Nodes that join the formed network one by one and are timed; -1 picks clamp(N/50, 10, 200).</summary>
    public int Joiners { get; set; } = -1;

    /// <summary>Timed joins per virtual second.</summary>
    public double JoinRate { get; set; } = 10;

    /// <summary>Quiet time after formation and after the timed joins.</summary>
    public TimeSpan Settle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Random pairs whose routes are checked.</summary>
    public int RouteSamples { get; set; } = 2000;

    /// <summary>Fraction of nodes that crash at once after the measurements (0: no failure phase).</summary>
    public double FailFraction { get; set; }

    /// <summary>Longest virtual time to wait for the ring to recover from the failure.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Median session time under churn (0: no churn phase).</summary>
    public TimeSpan ChurnMedian { get; set; }

    /// <summary>How long the churn phase lasts.</summary>
    public TimeSpan ChurnDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>DHT clients (nodes exempt from churn that run gets, puts and creates during the churn phase); 0: no DHT.</summary>
    public int DhtClients { get; set; }

    /// <summary>Replicas per DHT record.</summary>
    public int DhtReplicas { get; set; } = 5;

    /// <summary>Mean virtual seconds between one client's operations.</summary>
    public double DhtOpInterval { get; set; } = 5;

    /// <summary>Split the ring into two halves for this long in the middle of the DHT phase (0: no partition).</summary>
    public TimeSpan DhtPartition { get; set; }

    public SimNetworkOptions Network { get; set; } = new();

    public OverlayOptions Overlay { get; set; } = new();

    public int EffectiveJoiners => Joiners >= 0 ? Math.Min(Joiners, Math.Max(0, Nodes - 2)) : Math.Clamp(Nodes / 50, Math.Min(10, Math.Max(0, Nodes - 2)), 200);

    public double EffectiveFormationRate => FormationRate > 0 ? FormationRate : Math.Max(50, Nodes / 20.0);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Nodes is < 2 or > 1_000_000) errors.Add($"--nodes must be between 2 and 1000000 (got {Nodes})");
        if (JoinRate <= 0) errors.Add("--join-rate must be positive");
        if (Settle <= TimeSpan.Zero) errors.Add("settle time must be positive");
        if (ChurnMedian < TimeSpan.Zero) errors.Add("--churn-median must not be negative");
        if (ChurnMedian > TimeSpan.Zero && ChurnDuration <= TimeSpan.Zero) errors.Add("--churn-duration must be positive");
        if (FailureWindow <= TimeSpan.Zero) errors.Add("failure window must be positive");
        if (RouteSamples < 0) errors.Add("--samples must not be negative");
        if (FailFraction is < 0 or >= 1) errors.Add($"--fail must be in [0, 1) (got {FailFraction})");
        if (DhtClients < 0 || DhtClients > Nodes / 2) errors.Add($"--dht-clients must be between 0 and half the nodes (got {DhtClients})");
        if (DhtClients > 0 && ChurnDuration <= TimeSpan.Zero) errors.Add("--churn-duration must be positive: the DHT workload runs for that long");
        if (DhtReplicas is < 1 or > 7) errors.Add($"--dht-replicas must be 1 to 7 (got {DhtReplicas})");
        if (DhtOpInterval <= 0) errors.Add("--dht-op-interval must be positive");
        if (DhtPartition < TimeSpan.Zero || (DhtPartition > TimeSpan.Zero && DhtPartition >= ChurnDuration)) errors.Add("--dht-partition must be shorter than --churn-duration");
        errors.AddRange(Network.Validate());
        errors.AddRange(Overlay.Validate());
        return errors;
    }
}

namespace Woven.Sim.Network;

/// <summary>Link model of the simulated network.</summary>
public sealed class SimNetworkOptions
{
    /// <summary>One-way latency of a link is fixed per pair of hosts, uniform in [min, max].</summary>
    public TimeSpan LatencyMin { get; set; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan LatencyMax { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Extra delay per datagram, uniform in [0, jitter].</summary>
    public TimeSpan Jitter { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Probability that a datagram is lost.</summary>
    public double Loss { get; set; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (LatencyMin < TimeSpan.Zero || LatencyMax < LatencyMin) errors.Add("latency: need 0 <= min <= max");
        if (Jitter < TimeSpan.Zero) errors.Add("jitter must not be negative");
        if (Loss is < 0 or >= 1) errors.Add($"loss must be in [0, 1) (got {Loss})");
        return errors;
    }
}

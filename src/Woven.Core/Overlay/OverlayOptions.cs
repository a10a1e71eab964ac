namespace Woven.Overlay;

/// <summary>Tunables of the overlay. Defaults suit both the simulator and real networks.</summary>
public sealed class OverlayOptions
{
    /// <summary>Ring neighbours kept on each side (successors and predecessors).</summary>
    public int NearPerSide { get; set; } = 3;

    /// <summary>Far links asked for per log2 of the estimated network size (Symphony's k = FarPerLog2 · log2 N).</summary>
    public double FarPerLog2 { get; set; } = 1.0;

    /// <summary>Upper bound on far links a node asks for, whatever the size estimate.</summary>
    public int MaxFarOut { get; set; } = 24;

    /// <summary>Upper bound on far links other nodes may open to this one.</summary>
    public int MaxFarIn { get; set; } = 64;

    /// <summary>Upper bound on connections of all kinds.</summary>
    public int MaxConnections { get; set; } = 160;

    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A link silent this long is pinged.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Pings to a silent link are repeated this often.</summary>
    public TimeSpan PingRetry { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A link silent this long is declared dead and removed.</summary>
    public TimeSpan DeadAfter { get; set; } = TimeSpan.FromSeconds(12);

    /// <summary>Neighbour lists are pushed to near links this often (and at once when the neighbourhood changes).</summary>
    public TimeSpan StabilizeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a node short of neighbours routes a connect-to-me to its own address.</summary>
    public TimeSpan RepairInterval { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>How often a node with a full neighbourhood still checks it with a connect-to-me to itself.</summary>
    public TimeSpan RingCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a bootstrap (leaf) link is kept for its own sake.</summary>
    public TimeSpan LeafLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Mean time between attempts to relink with a peer whose link died (how split rings find each other again).</summary>
    public TimeSpan RejoinInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a peer whose link died is remembered for those attempts.</summary>
    public TimeSpan RejoinMemory { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A new link is not trimmed before it is this old.</summary>
    public TimeSpan TrimGrace { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan LinkRetry { get; set; } = TimeSpan.FromMilliseconds(500);

    public int LinkAttempts { get; set; } = 6;

    /// <summary>How long a far connect-to-me may go unanswered before another is sent.</summary>
    public TimeSpan FarRequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A relayed link silent this long is pinged; after three times this long it moves to another relay.</summary>
    public TimeSpan RelayPingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a relayed link tries to open a direct path.</summary>
    public TimeSpan UpgradeInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Also try bootstraps over TCP (same address and port): for sites that let no UDP out.</summary>
    public bool TcpFallback { get; set; }

    /// <summary>Half-open handshakes kept at most (the oldest is dropped for a new one).</summary>
    public int MaxHalfOpen { get; set; } = 256;

    /// <summary>With this many half-open handshakes, hellos must carry a cookie (proof of the sender's address).</summary>
    public int CookieThreshold { get; set; } = 32;

    /// <summary>Diffie-Hellman work a node does for others' hellos, per second at most; at half of it cookies are required.</summary>
    public int MaxHandshakesPerSecond { get; set; } = 200;

    /// <summary>A half-open handshake is forgotten after this long.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public byte HopLimit { get; set; } = Wire.Routed.DefaultHopLimit;

    /// <summary>Returns one line per invalid setting, naming it; empty when all are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (RejoinInterval <= TimeSpan.Zero) errors.Add("overlay.rejoin_interval must be positive");
        if (RejoinMemory < TimeSpan.Zero) errors.Add("overlay.rejoin_memory must not be negative");
        if (NearPerSide is < 2 or > 7) errors.Add($"overlay.near_per_side must be between 2 and 7 (got {NearPerSide})");
        if (FarPerLog2 is < 0 or > 4) errors.Add($"overlay.far_per_log2 must be between 0 and 4 (got {FarPerLog2})");
        if (MaxFarOut < 0) errors.Add("overlay.max_far_out must not be negative");
        if (MaxConnections < 2 * NearPerSide + 2) errors.Add($"overlay.max_connections must be at least {2 * NearPerSide + 2}");
        if (TickInterval <= TimeSpan.Zero) errors.Add("overlay.tick_interval must be positive");
        if (DeadAfter <= PingInterval) errors.Add("overlay.dead_after must be longer than overlay.ping_interval");
        if (HopLimit < 8) errors.Add("overlay.hop_limit must be at least 8");
        if (LinkAttempts < 1) errors.Add("overlay.link_attempts must be at least 1");
        return errors;
    }
}

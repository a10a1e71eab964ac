namespace Woven.Nat;

/// <summary>
/// Retransmission and request options of a STUN client transaction over UDP (RFC 8489 §6.2.1). The defaults
/// are the RFC's: RTO 500 ms doubling after each retransmission, Rc = 7 requests, and a final wait of
/// Rm = 16 × RTO, so requests go out at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and the transaction fails at
/// 39.5 s. A quick probe (netcheck) can lower them.
/// </summary>
public sealed record StunClientOptions
{
    public static StunClientOptions Default { get; } = new();

    /// <summary>The first retransmission timeout (RFC 8489: configurable, 500 ms by default).</summary>
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Rc: how many requests are sent in all (the first one included).</summary>
    public int MaxRequests { get; init; } = 7;

    /// <summary>Rm: after the last request, wait this many initial RTOs before failing.</summary>
    public int FinalTimeoutMultiplier { get; init; } = 16;

    /// <summary>Caps the doubled RTO between requests (not in RFC 8489; null: no cap).</summary>
    public TimeSpan? MaxRto { get; init; }

    /// <summary>SOFTWARE to put in requests; null sends none (the request stays small).</summary>
    public string? Software { get; init; }

    /// <summary>Append FINGERPRINT to requests (RFC 5780 §5 asks for it when STUN shares a flow with other traffic).</summary>
    public bool Fingerprint { get; init; } = true;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (InitialRto <= TimeSpan.Zero || InitialRto > TimeSpan.FromMinutes(1)) errors.Add("stun initial RTO must be positive and at most one minute");
        if (MaxRequests is < 1 or > 32) errors.Add($"stun max requests (Rc) must be between 1 and 32 (got {MaxRequests})");
        if (FinalTimeoutMultiplier is < 1 or > 64) errors.Add($"stun final timeout multiplier (Rm) must be between 1 and 64 (got {FinalTimeoutMultiplier})");
        if (MaxRto is { } cap && (cap < InitialRto || cap > TimeSpan.FromHours(1))) errors.Add("stun max RTO must be at least the initial RTO and at most one hour");
        if (Software is not null && !StunCodec.IsEncodableText(Software)) errors.Add("stun software must be fewer than 128 characters and at most 509 UTF-8 bytes");
        return errors;
    }
}

namespace Woven.Crypto.Noise;

/// <summary>
/// When a <see cref="TransportSession"/> asks for new keys and when it stops working. The defaults are WireGuard's:
/// rekey after 120 s or 2^60 messages, refuse after 180 s or 2^64 - 2^13 - 1 messages. Tests lower them.
/// </summary>
public sealed class TransportLimits
{
    /// <summary>The defaults; immutable, so sharing one instance is safe.</summary>
    public static TransportLimits Default { get; } = new();

    public TimeSpan RekeyAfterTime { get; init; } = TimeSpan.FromSeconds(120);

    public TimeSpan RejectAfterTime { get; init; } = TimeSpan.FromSeconds(180);

    public ulong RekeyAfterMessages { get; init; } = 1UL << 60;

    /// <summary>Counters at or above this are never used for sending and never accepted.</summary>
    public ulong RejectAfterMessages { get; init; } = ulong.MaxValue - (1UL << 13);

    /// <summary>Throws naming the first field that is out of range.</summary>
    public void Validate()
    {
        if (RekeyAfterTime <= TimeSpan.Zero)
            throw new ArgumentException($"TransportLimits.RekeyAfterTime must be positive, got {RekeyAfterTime}");
        if (RejectAfterTime < RekeyAfterTime)
            throw new ArgumentException($"TransportLimits.RejectAfterTime ({RejectAfterTime}) must not be less than RekeyAfterTime ({RekeyAfterTime})");
        if (RekeyAfterMessages == 0)
            throw new ArgumentException("TransportLimits.RekeyAfterMessages must be positive");
        if (RejectAfterMessages < RekeyAfterMessages)
            throw new ArgumentException($"TransportLimits.RejectAfterMessages ({RejectAfterMessages}) must not be less than RekeyAfterMessages ({RekeyAfterMessages})");
        if (RejectAfterMessages == ulong.MaxValue)
            throw new ArgumentException("TransportLimits.RejectAfterMessages must be below 2^64 - 1, which Noise reserves");
    }
}

namespace Woven.Messaging;

/// <summary>Settings of a <see cref="MessageService"/>; the defaults suit both a LAN and a path across continents.</summary>
public sealed class MessagingOptions
{
    /// <summary>The name this node gives itself in presence beacons (at most 63 bytes of UTF-8).</summary>
    public string Name { get; set; } = "";

    /// <summary>Data frames in flight per peer, unacknowledged (at most 128, the span of an acknowledgement's map).</summary>
    public int Window { get; set; } = 128;

    /// <summary>Retransmission timeout before the first round-trip sample (RFC 6298 says 1 s; links here are known to be up).</summary>
    public TimeSpan InitialRto { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MinRto { get; set; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan MaxRto { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>Sends of one frame before the peer counts as unreachable and every message queued for it fails.</summary>
    public int MaxSends { get; set; } = 12;

    /// <summary>How long an in-order frame may wait for an acknowledgement that covers the frames after it too.</summary>
    public TimeSpan AckDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Bytes of messages waiting per peer (queued or in flight) before a send is refused.</summary>
    public int MaxQueuedBytes { get; set; } = 16 << 20;

    public TimeSpan BeaconInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A member not heard of (directly or through gossip) for this long is offline.</summary>
    public TimeSpan OfflineAfter { get; set; } = TimeSpan.FromSeconds(16);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (System.Text.Encoding.UTF8.GetByteCount(Name) > MessageFrame.MaxNameBytes) errors.Add($"messaging.name: at most {MessageFrame.MaxNameBytes} bytes");
        if (Name.Any(char.IsControl)) errors.Add("messaging.name: no control characters");
        if (Window is < 1 or > AckFrame.MapBits) errors.Add($"messaging.window: 1 to {AckFrame.MapBits} (got {Window})");
        if (MinRto <= TimeSpan.Zero || MaxRto < MinRto || InitialRto < MinRto || InitialRto > MaxRto) errors.Add("messaging rto: need 0 < min_rto <= initial_rto <= max_rto");
        if (MaxSends < 2) errors.Add($"messaging.max_sends: at least 2 (got {MaxSends})");
        if (AckDelay < TimeSpan.Zero || AckDelay >= MinRto) errors.Add("messaging.ack_delay: at least 0 and below min_rto");
        if (MaxQueuedBytes < MessageService.MaxMessageSize) errors.Add($"messaging.max_queued_bytes: at least {MessageService.MaxMessageSize}");
        if (BeaconInterval <= TimeSpan.Zero || OfflineAfter <= BeaconInterval) errors.Add("messaging presence: need 0 < beacon_interval < offline_after");
        return errors;
    }
}

namespace Woven.Messaging;

/// <summary>What a <see cref="MessageService"/> did, since it started. Read under the overlay's lock (<see cref="MessageService.Status"/>).</summary>
public sealed class MessagingCounters
{
    public long MessagesSent { get; internal set; }
    public long MessagesAcked { get; internal set; }
    public long MessagesFailed { get; internal set; }
    public long MessagesDelivered { get; internal set; }
    /// <summary>Delivered messages no subscription took (and responses that came after their request timed out).</summary>
    public long MessagesUnclaimed { get; internal set; }
    public long FramesSent { get; internal set; }
    public long FramesReceived { get; internal set; }
    public long Retransmits { get; internal set; }
    public long FastRetransmits { get; internal set; }
    public long Duplicates { get; internal set; }
    public long OutOfWindow { get; internal set; }
    public long AcksSent { get; internal set; }
    public long AcksReceived { get; internal set; }
    /// <summary>Frames that failed to decode, broke fragmentation rules, or did not come over the sender's own link.</summary>
    public long Malformed { get; internal set; }
    /// <summary>Frames of a peer's earlier epoch or stream, or addressed to this node's earlier epoch.</summary>
    public long Stale { get; internal set; }
    public long PeerRestarts { get; internal set; }
    public long RequestsTimedOut { get; internal set; }
    public long BeaconsSent { get; internal set; }
    public long BeaconsReceived { get; internal set; }

    public MessagingCounters Copy() => (MessagingCounters)MemberwiseClone();
}

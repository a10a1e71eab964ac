namespace Woven.Messaging;

/// <summary>The first byte of every messaging frame (the payload of a <see cref="Wire.RoutedPayloadType.Message"/>).</summary>
public enum MessageFrameKind : byte
{
    /// <summary>One fragment of a message, a request or a response (<see cref="DataFrame"/>).</summary>
    Data = 1,
    /// <summary>Cumulative and selective acknowledgement of data frames (<see cref="AckFrame"/>).</summary>
    Ack = 2,
    /// <summary>Presence: "I am here", with gossip about other members (<see cref="PresenceBeacon"/>).</summary>
    Beacon = 3,
}

using Woven.Addressing;

namespace Woven.Messaging;

/// <summary>
/// A member as presence sees it: online or not, when it was last heard of (directly, or through another member's
/// gossip), and whether this node heard its beacons itself.
/// </summary>
public sealed record PresenceEntry(RingAddress Address, string Name, bool Online, DateTimeOffset LastSeen, bool Direct, bool Self);

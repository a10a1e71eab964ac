using Woven.Addressing;

namespace Woven.Messaging;

/// <summary>What one member says about another in a beacon's gossip.</summary>
public readonly record struct PresenceGossip(RingAddress Address, bool Online, uint AgeMs, string Name);

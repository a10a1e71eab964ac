namespace Woven.Node.Control;

/// <summary>GET /v1/peers: every linked peer with who it is, how it is reached and what went over the link.</summary>
public sealed record PeersDocument(int ApiVersion, string Address, IReadOnlyList<PeerEntryDocument> Peers);

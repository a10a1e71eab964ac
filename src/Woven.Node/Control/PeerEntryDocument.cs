namespace Woven.Node.Control;

/// <summary>
/// One linked peer. <c>name</c>, <c>vip</c> and <c>vip6</c> (its IPv6 address, when it published one) come from its member certificate or its address claim in the DHT
/// (<c>identity_source</c>: certificate, dht, certificate+dht or none). <c>path</c> is direct or relayed; <c>via</c> is the
/// relay of a relayed link; <c>transport</c> (udp or tcp) and <c>endpoint</c> are the direct path's. Bytes and packets
/// count sealed frames on the link as they travel (header and tag included), since the link was made.
/// </summary>
public sealed record PeerEntryDocument(
    string Address,
    string? Name,
    string? Vip,
    string IdentitySource,
    string Path,
    string? Via,
    string? Transport,
    string? Endpoint,
    double? RttMs,
    long BytesIn,
    long BytesOut,
    long PacketsIn,
    long PacketsOut,
    IReadOnlyList<string> Roles,
    double AgeS,
    double SilentS,
    string? Vip6 = null);

namespace Woven.Node.Control;

/// <summary>POST /v1/ping: a node by ring address, virtual address or name, and how many echoes.</summary>
public sealed record PingRequest(string? Target, int? Count);

/// <summary>The answer of POST /v1/ping: whom the target resolved to, the path the echoes took and their round trips.</summary>
public sealed record PingDocument(
    string Target,
    string Address,
    string? Vip,
    string Path,
    string? Via,
    string? Endpoint,
    string? Transport,
    int Sent,
    int Received,
    IReadOnlyList<double?> RttMs,
    double? RttAvgMs);

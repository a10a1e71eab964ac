namespace Woven.Node.Control;

/// <summary>
/// POST /v1/msg/send and /v1/msg/request: a peer, a topic, and text or base64 data. A send may repeat the message
/// <c>count</c> times, all queued at once (text gets " 0", " 1", ... appended).
/// </summary>
public sealed record MessageRequest(string? Peer, string? Topic, string? Text, string? DataBase64, int? TimeoutMs, int? Count = null);

/// <summary>The answer of POST /v1/msg/send.</summary>
public sealed record MessageSentDocument(string Peer, string Address, string Topic, int Bytes, bool Delivered, double Ms, int Count);

/// <summary>A received message, one line of GET /v1/msg/listen, or the answer of POST /v1/msg/request.</summary>
public sealed record MessageDocument(string From, string? FromName, string Topic, string Kind, uint? RequestId, int Bytes, string? Text, string DataBase64, DateTimeOffset Received, bool? Answered);

/// <summary>One member in GET /v1/presence.</summary>
public sealed record PresenceMemberDocument(string Address, string Name, bool Online, DateTimeOffset LastSeen, bool Direct, bool Self);

/// <summary>GET /v1/presence: every member heard of, this node first.</summary>
public sealed record PresenceDocument(string Address, IReadOnlyList<PresenceMemberDocument> Members);

/// <summary>POST /v1/msg/bench: messages to a peer, one after another (latency) and then all at once (rate).</summary>
public sealed record MessageBenchRequest(string? Peer, int? Count, int? Size, string? Topic);

/// <summary>The answer of POST /v1/msg/bench: round trips of single messages (send to acknowledgement) and the rate of a stream.</summary>
public sealed record MessageBenchDocument(string Peer, string Address, int Size, int LatencyCount, double P50Ms, double P99Ms, double MeanMs,
    int StreamCount, double StreamSeconds, double MessagesPerSecond, double MbitPerSecond, long Retransmits);

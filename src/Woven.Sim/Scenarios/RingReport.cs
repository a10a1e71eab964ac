using System.Text.Json;
using System.Text.Json.Serialization;

namespace Woven.Sim.Scenarios;

/// <summary>The result of a ring simulation; serialized with snake_case keys by <c>woven sim --json</c>.</summary>
public sealed record RingReport
{
    public int Nodes { get; init; }
    public int Seed { get; init; }
    public bool RingCorrect { get; init; }
    public int RingWrongNodes { get; init; }
    public double RouteSuccess { get; init; }
    public int RouteSamples { get; init; }
    public double HopsMean { get; init; }
    public int HopsP99 { get; init; }
    public int HopsMax { get; init; }
    public double Log2N { get; init; }
    /// <summary>Null (left out of the JSON) when no timed joiner became routable.</summary>
    public double? JoinToRoutableP50S { get; init; }
    public double? JoinToRoutableP90S { get; init; }
    public int Joiners { get; init; }
    public int JoinersRoutable { get; init; }
    public double MaintenanceMsgsPerNodeS { get; init; }
    public double ConnectionsMean { get; init; }
    public double SizeEstimateMedian { get; init; }
    public int? FailedNodes { get; init; }
    public double? RecoveredRingS { get; init; }
    public double? RecoveredRoutesS { get; init; }
    public double? RouteSuccessAfterFailure { get; init; }
    public double? ChurnMedianS { get; init; }
    public double? ChurnDurationS { get; init; }
    public int? ChurnDeparted { get; init; }
    public double? ChurnRouteSuccess { get; init; }
    public int? ChurnRoutesJudged { get; init; }
    public double? ChurnRingWrongMean { get; init; }
    public int? DhtClients { get; init; }
    public int? DhtReplicas { get; init; }
    public double? DhtGetSuccess { get; init; }
    public int? DhtGets { get; init; }
    public double? DhtGetP50S { get; init; }
    public double? DhtGetP99S { get; init; }
    public int? DhtCreates { get; init; }
    public int? DhtCreatesOk { get; init; }
    public int? DhtCreatesConflict { get; init; }
    public int? DhtCreatesFailed { get; init; }
    public int? DhtPuts { get; init; }
    public int? DhtPutsOk { get; init; }
    public int? DhtRenews { get; init; }
    public int? DhtRenewsOk { get; init; }
    public int? DhtRenewsLost { get; init; }
    public int? DhtRemoves { get; init; }
    /// <summary>Keys that two clients believed they held at the same time (outside a partition and its healing).</summary>
    public int? DhtTwoOwnerKeys { get; init; }
    public double? DhtRecordsPerNode { get; init; }
    /// <summary>DHT messages sent per live node per second over the phase (requests, replica traffic, replies, hand-off, anti-entropy).</summary>
    public double? DhtMsgsPerNodeS { get; init; }
    public double? DhtPartitionS { get; init; }
    /// <summary>Seconds from the end of the partition until the ring was one correct ring again (null: not within 600 s).</summary>
    public double? DhtPartitionRingHealedS { get; init; }
    public int? DhtPartitionRecords { get; init; }
    public int? DhtPartitionRecordsFound { get; init; }
    public int? DhtPartitionConflictKeys { get; init; }
    public int? DhtPartitionUnresolvedKeys { get; init; }
    public double VirtualS { get; init; }
    public long Events { get; init; }
    public double WallS { get; init; }
    public double PeakMemMb { get; init; }
    public long BytesPerNode { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

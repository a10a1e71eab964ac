using System.Net;
using Woven.Overlay;

namespace Woven.Sim.Scenarios;

/// <summary>One simulated host: an overlay node on the simulated network.</summary>
public sealed class SimNode(int index, OverlayNode overlay, IPEndPoint endpoint)
{
    public int Index { get; } = index;
    public OverlayNode Overlay { get; } = overlay;
    public IPEndPoint Endpoint { get; } = endpoint;
    public bool Started { get; internal set; }
    public bool Failed { get; internal set; }
    public bool Alive => Started && !Failed;
    /// <summary>The node's DHT, when the scenario runs one.</summary>
    public Dht.DhtNode? Dht { get; internal set; }
    /// <summary>A DHT client: it runs the workload and is exempt from churn.</summary>
    public bool IsClient { get; internal set; }
    internal long JoinStart { get; set; } = -1;
    internal long RoutableAt { get; set; } = -1;
}

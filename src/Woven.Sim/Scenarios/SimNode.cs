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
    internal long JoinStart { get; set; } = -1;
    internal long RoutableAt { get; set; } = -1;
}

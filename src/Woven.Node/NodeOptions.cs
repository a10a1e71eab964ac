using System.Net;
using Woven.Overlay;

namespace Woven.Node;

/// <summary>Everything a running node needs to know at start.</summary>
public sealed class NodeOptions
{
    public required IPEndPoint Listen { get; init; }

    public IReadOnlyList<IPEndPoint> Bootstraps { get; init; } = [];

    public required string StateDirectory { get; init; }

    public OverlayOptions Overlay { get; init; } = new();

    public Woven.Dht.DhtOptions Dht { get; init; } = new();
}

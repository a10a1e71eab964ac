using System.Net;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

/// <summary>One entry of the connection table: a linked peer and why the link is kept.</summary>
public sealed class Connection
{
    internal Connection(RingAddress address, IPEndPoint endpoint, long now)
    {
        Address = address;
        Endpoint = endpoint;
        EstablishedAt = now;
        LastHeard = now;
    }

    public RingAddress Address { get; }

    /// <summary>Where datagrams for this peer go when the path is direct; for a relayed link, the peer's best known candidate.</summary>
    public IPEndPoint Endpoint { get; internal set; }

    /// <summary>The link is carried through <see cref="Relay"/> because no direct path could be opened.</summary>
    public bool IsRelayed { get; internal set; }

    /// <summary>The node that carries a relayed link (IPOP's tunnel edge).</summary>
    public RingAddress Relay { get; internal set; }

    /// <summary>Nodes linked to both ends that can carry the link, best first.</summary>
    internal List<RingAddress>? RelayOptions { get; set; }

    /// <summary>The endpoints the peer advertised: where checks go when the path has to be opened again.</summary>
    internal IPEndPoint[] Candidates { get; set; } = [];

    internal long LastRepair { get; set; }

    /// <summary>The link's transport session, and the one it replaced (still opening what was in flight).</summary>
    internal LinkSession? Session { get; set; }

    internal LinkSession? PreviousSession { get; set; }

    internal uint LocalIndex { get; set; }

    internal uint PreviousIndex { get; set; }

    /// <summary>The peer's index for this session: the receiver index of everything sealed to it.</summary>
    internal uint RemoteIndex { get; set; }

    internal long SessionStarted { get; set; }

    /// <summary>Handshake message 3, repeated until the peer answers on the link (<see cref="Confirmed"/>).</summary>
    internal byte[]? Confirm { get; set; }

    internal bool Confirmed { get; set; }

    internal long LastConfirmSent { get; set; }

    /// <summary>The peer's node key and certificate as its handshake presented them (checked again when revocations change).</summary>
    public byte[]? NodeKey { get; internal set; }

    internal byte[]? Certificate { get; set; }

    internal long LastUpgrade { get; set; }

    /// <summary>Why the link was made. Whether it is near now is <see cref="IsNear"/>, computed from the table.</summary>
    public LinkRoles Roles { get; internal set; }

    /// <summary>This node asked for the link to join through the peer (the peer is one of its bootstraps).</summary>
    public bool IsBootstrap { get; internal set; }

    /// <summary>Among this node's closest successors or predecessors.</summary>
    public bool IsNear { get; internal set; }

    /// <summary>Rank among successors (1 = immediate) or 0 when not among the kept ones; likewise predecessors.</summary>
    internal int SuccessorRank { get; set; }

    internal int PredecessorRank { get; set; }

    public long EstablishedAt { get; }

    public long LastHeard { get; internal set; }

    /// <summary>When an authenticated datagram last arrived over the direct path (0: never, or the host moved since).</summary>
    internal long LastHeardDirect { get; set; }

    internal long LastPingSent { get; set; }

    internal long LeafExpires { get; set; }

    /// <summary>Most recent round-trip time in milliseconds, or -1 before the first pong.</summary>
    public double RttMs { get; internal set; } = -1;

    /// <summary>
    /// Made by the ring's own procedures (a near or far link), not only a bootstrap leaf: used for greedy
    /// routing and for working out the neighbourhood.
    /// </summary>
    public bool IsRoutable => (Roles & (LinkRoles.Near | LinkRoles.FarOut | LinkRoles.FarIn | LinkRoles.Shortcut)) != 0;

    /// <summary>Milliseconds from the first attempt to link (a check, an intent) to the link being up; -1 when the peer opened it unasked.</summary>
    public double SetupMs { get; internal set; } = -1;

    /// <summary>Sealed frames and their bytes (as sent, header and tag included) sent to and received from the peer on this link.</summary>
    internal LinkTraffic Traffic;

    public override string ToString() =>
        $"{Address.ToShortString()}@{(IsRelayed ? "via " + Relay.ToShortString() : Endpoint.ToString())} {Roles}{(IsNear ? " near" : "")}";
}

using System.Net;
using Woven.Addressing;
using Woven.Crypto;
using Woven.Overlay;
using Woven.Security;
using Woven.Sim.Engine;
using Woven.Sim.Network;
using Woven.Wire;

namespace Woven.Sim.Tests;

/// <summary>
/// Nodes with real keys, real Noise links and a real domain, on the simulated network: fast, deterministic in
/// behaviour, and able to put an eavesdropper or a forger on the wire.
/// </summary>
internal sealed class SecureLab : IDisposable
{
    public SimLoop Loop { get; } = new();
    public SimNetwork Network { get; }
    public DomainAuthority Ca { get; } = DomainAuthority.Generate();
    public DomainSettings Domain { get; }
    public List<(OverlayNode Node, IPEndPoint Endpoint, NodeIdentity Identity)> Nodes { get; } = [];
    public Dictionary<OverlayNode, Woven.Transport.IDatagramSocket> Sockets { get; } = [];
    public List<(OverlayNode Node, RingAddress From, byte[] Payload, bool FromSource)> Deliveries { get; } = [];
    private readonly Random _random = new(5);
    private int _next;
    private ulong _serial = 1;

    public SecureLab(string domainName = "lab")
    {
        Network = new SimNetwork(Loop, new SimNetworkOptions { LatencyMin = TimeSpan.FromMilliseconds(5), LatencyMax = TimeSpan.FromMilliseconds(20) }, 3);
        Domain = new DomainSettings(domainName, IPNetwork.Parse("10.77.0.0/16"), null, DomainSettings.DefaultZone(domainName), Ca.PublicKey);
    }

    public DateTimeOffset Now => Loop.GetUtcNow();

    public MemberCertificate Issue(NodeIdentity identity, DomainAuthority? ca = null, DomainSettings? domain = null, TimeSpan? validFor = null, byte[]? forKey = null)
    {
        domain ??= Domain;
        var now = (ulong)Now.ToUnixTimeSeconds();
        var until = now + (ulong)(validFor ?? TimeSpan.FromDays(30)).TotalSeconds;
        var fields = new CertificateFields(domain.Name, _serial++, forKey ?? identity.PublicKey, $"n{_serial}", null, null, [], now - 60, until);
        return MemberCertificate.Issue(ca ?? Ca, domain, fields);
    }

    public OverlayNode Add(Membership? membership, IEnumerable<IPEndPoint> bootstraps, NodeIdentity? identity = null, LinkCrypto? crypto = null)
    {
        identity ??= NodeIdentity.Generate();
        var endpoint = new IPEndPoint(SimNetwork.HostAddress(_next++), 7000);
        var socket = Network.Bind(endpoint);
        var node = new OverlayNode(new OverlayOptions(), identity, socket, Loop, new Random(_random.Next()), crypto: crypto, membership: membership);
        Sockets[node] = socket;
        node.Delivered = (in Routed h, ReadOnlySpan<byte> p, bool fromSource) => Deliveries.Add((node, h.Source, p.ToArray(), fromSource));
        Nodes.Add((node, endpoint, identity));
        node.Start(bootstraps);
        return node;
    }

    /// <summary>A member: a fresh identity with a certificate of this domain.</summary>
    public OverlayNode AddMember(IEnumerable<IPEndPoint> bootstraps, RevocationList? revocations = null, Woven.Crypto.Noise.TransportLimits? limits = null)
    {
        var identity = NodeIdentity.Generate();
        var crypto = limits is null ? null : new NoiseLinkCrypto(Woven.Crypto.Noise.X25519KeyPair.FromPrivateKey(identity.StaticDhPrivateKey()), limits);
        return Add(new DomainMembership(Domain, Issue(identity), revocations), bootstraps, identity, crypto);
    }

    public IPEndPoint EndpointOf(OverlayNode node) => Nodes.First(n => ReferenceEquals(n.Node, node)).Endpoint;

    public void Run(TimeSpan span) => Loop.RunFor(span);

    public void Dispose()
    {
        foreach (var n in Nodes) n.Node.Dispose();
    }
}

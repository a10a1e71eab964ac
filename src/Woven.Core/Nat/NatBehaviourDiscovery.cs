using System.Net;

namespace Woven.Nat;

/// <summary>One STUN Binding transaction, as the discovery needs it: a server, an optional CHANGE-REQUEST.</summary>
public delegate Task<StunBindingResult> StunBinding(IPEndPoint server, StunChangeRequest? change, CancellationToken cancellationToken);

/// <summary>What RFC 4787 calls the mapping and filtering behaviour of the NAT in front of this host.</summary>
public sealed record NatBehaviour(
    string Mapping,
    string Filtering,
    IReadOnlyList<IPEndPoint> PublicEndpoints,
    IReadOnlyList<string> Notes)
{
    public const string None = "none";
    public const string EndpointIndependent = "endpoint-independent";
    public const string AddressDependent = "address-dependent";
    public const string AddressAndPortDependent = "address-and-port-dependent";
    public const string UdpBlocked = "udp-blocked";
    public const string Unknown = "unknown";

    /// <summary>The lab's name for the behaviour (none, full-cone, restricted, port-restricted, symmetric, udp-blocked).</summary>
    public string Kind => (Mapping, Filtering) switch
    {
        (UdpBlocked, _) => "udp-blocked",
        (None, _) => "none",
        (EndpointIndependent, EndpointIndependent) => "full-cone",
        (EndpointIndependent, AddressDependent) => "restricted",
        (EndpointIndependent, AddressAndPortDependent) => "port-restricted",
        (AddressDependent or AddressAndPortDependent, _) => "symmetric",
        _ => "unknown",
    };
}

/// <summary>
/// NAT behaviour discovery after RFC 5780 §4.3 (mapping) and §4.4 (filtering), against a STUN server that has a second
/// address (OTHER-ADDRESS) and honours CHANGE-REQUEST. Mapping and filtering are probed from two different local
/// sockets: a mapping probe to the server's other address would otherwise open the filter that the filtering probe
/// tests. Without an RFC 5780 server, several plain servers still tell the mapping apart (same mapped address to
/// every server: endpoint-independent), while filtering stays unknown.
/// </summary>
public static class NatBehaviourDiscovery
{
    /// <param name="mappingProbe">Binding transactions from the first local socket.</param>
    /// <param name="filteringProbe">Binding transactions from a second local socket.</param>
    /// <param name="localEndpoints">This host's own endpoints of the mapping socket (to recognise "no NAT").</param>
    public static async Task<NatBehaviour> DiscoverAsync(IReadOnlyList<IPEndPoint> servers, StunBinding mappingProbe, StunBinding filteringProbe,
        IReadOnlyCollection<IPEndPoint> localEndpoints, CancellationToken cancellationToken)
    {
        if (servers.Count == 0) throw new ArgumentException("at least one STUN server is needed", nameof(servers));
        var notes = new List<string>();
        var publicEndpoints = new List<IPEndPoint>();

        // Mapping test I: every server, plainly.
        var first = await Task.WhenAll(servers.Select(s => mappingProbe(s, null, cancellationToken)));
        var answered = first.Where(r => r.IsSuccess).ToList();
        if (answered.Count == 0)
        {
            notes.Add("no STUN server answered over UDP");
            return new NatBehaviour(NatBehaviour.UdpBlocked, NatBehaviour.UdpBlocked, [], notes);
        }
        foreach (var r in answered) Add(publicEndpoints, r.MappedAddress!);
        var primary = answered[0];
        var mapped1 = primary.MappedAddress!;
        bool noNat = localEndpoints.Any(l => l.Equals(mapped1));

        string mapping;
        var other = primary.OtherAddress;
        if (noNat)
        {
            mapping = NatBehaviour.None;
        }
        else if (other is not null)
        {
            // Test II: the other address, primary port. Test III: the other address and port.
            var otherIpPrimaryPort = new IPEndPoint(other.Address, primary.Server.Port);
            var tests = await Task.WhenAll(mappingProbe(otherIpPrimaryPort, null, cancellationToken), mappingProbe(other, null, cancellationToken));
            var m2 = tests[0].MappedAddress;
            var m3 = tests[1].MappedAddress;
            if (m2 is not null) Add(publicEndpoints, m2);
            if (m3 is not null) Add(publicEndpoints, m3);
            if (m2 is null) mapping = NatBehaviour.Unknown;
            else if (m2.Equals(mapped1)) mapping = NatBehaviour.EndpointIndependent;
            else if (m3 is not null && m3.Equals(m2)) mapping = NatBehaviour.AddressDependent;
            else mapping = NatBehaviour.AddressAndPortDependent;
        }
        else if (answered.Count > 1)
        {
            notes.Add("no RFC 5780 server (no OTHER-ADDRESS): mapping judged from several servers, filtering unknown");
            bool same = answered.All(r => r.MappedAddress!.Equals(mapped1));
            bool sameIpServers = answered.Select(r => r.Server.Address).Distinct().Count() == 1;
            mapping = same ? NatBehaviour.EndpointIndependent : sameIpServers ? NatBehaviour.AddressAndPortDependent : NatBehaviour.AddressDependent;
            if (!same && !sameIpServers) notes.Add("servers on different addresses saw different mappings: address-dependent or stricter");
        }
        else
        {
            notes.Add("one plain STUN server: the mapping behaviour needs a second server or an RFC 5780 server");
            mapping = NatBehaviour.Unknown;
        }

        string filtering = NatBehaviour.Unknown;
        if (other is not null)
        {
            // Filtering test I opens the filter for the primary address and port only; then ask the server to answer
            // from its other address and port (test II) and from its other port (test III).
            var baseline = await filteringProbe(primary.Server, null, cancellationToken);
            if (baseline.IsSuccess)
            {
                var tests = await Task.WhenAll(
                    filteringProbe(primary.Server, StunChangeRequest.ChangeIp | StunChangeRequest.ChangePort, cancellationToken),
                    filteringProbe(primary.Server, StunChangeRequest.ChangePort, cancellationToken));
                filtering = tests[0].IsSuccess ? NatBehaviour.EndpointIndependent
                    : tests[1].IsSuccess ? NatBehaviour.AddressDependent
                    : NatBehaviour.AddressAndPortDependent;
                if (tests.Any(t => t.Status == StunBindingStatus.ErrorResponse))
                {
                    notes.Add("the server refused CHANGE-REQUEST: filtering unknown");
                    filtering = NatBehaviour.Unknown;
                }
            }
        }
        return new NatBehaviour(mapping, filtering, publicEndpoints, notes);
    }

    private static void Add(List<IPEndPoint> list, IPEndPoint ep)
    {
        if (!list.Contains(ep)) list.Add(ep);
    }
}

using System.Net;
using System.Text;
using Woven.Addressing;
using Woven.Dht;
using Woven.Security;

namespace Woven.Vnet;

/// <summary>
/// Looks up the name and virtual address of a linked peer for <c>woven peers</c>. A member certificate that names
/// them answers at once. Otherwise the peer's address claim is looked for in the DHT: a node claims the first free
/// of its candidate addresses (<see cref="VirtualNetwork.Candidate"/>), so the first two candidates are asked for a live
/// claim owned by the peer, whose value is its name. Answers are kept for a minute (half a minute when nothing was
/// found), so a table of many peers asks the DHT once per peer and minute at most. With an IPv6 prefix, the peer's
/// derived IPv6 address is asked for at the same time and shown when the peer published it.
/// </summary>
public sealed class PeerDirectory
{
    private const int CandidatesAsked = 2;
    private static readonly TimeSpan Found = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan NotFound = TimeSpan.FromSeconds(30);

    private readonly DhtNode? _dht;
    private readonly IPNetwork _range;
    private readonly IPNetwork? _ipv6Prefix;
    private readonly TimeProvider _time;
    private readonly Dictionary<RingAddress, (PeerIdentity Identity, long Until)> _cache = [];

    /// <param name="dht">The DHT to find claims in; null when the node is not in the virtual network (certificates only).</param>
    /// <param name="range">The virtual network's IPv4 range, in which the candidates lie.</param>
    /// <param name="ipv6Prefix">The virtual network's IPv6 prefix, null when it is IPv4 only.</param>
    public PeerDirectory(DhtNode? dht, IPNetwork range, TimeProvider time, IPNetwork? ipv6Prefix = null)
    {
        _ipv6Prefix = ipv6Prefix;
        _dht = dht;
        _range = range;
        _time = time;
    }

    /// <summary>Lookups that went to the DHT (not answered from a certificate or the cache).</summary>
    public long DhtLookups { get; private set; }

    /// <summary>The peer's name and address; cancelling gives what is known without the DHT (and caches nothing).</summary>
    public async Task<PeerIdentity> LookupAsync(RingAddress peer, byte[]? certificate, CancellationToken cancellationToken)
    {
        MemberCertificate? cert = null;
        if (certificate is { Length: > 0 } && MemberCertificate.TryRead(certificate, out var c) && c!.NodeAddress == peer) cert = c;
        if (cert?.Ipv4 is { } fixedVip) return new PeerIdentity(cert.NodeName, fixedVip, "certificate", cert.Ipv6);
        if (_dht is null) return cert is null ? PeerIdentity.Unknown : new PeerIdentity(cert.NodeName, null, "certificate", cert.Ipv6);

        long now = _time.GetTimestamp();
        lock (_cache)
        {
            if (_cache.TryGetValue(peer, out var hit) && now < hit.Until) return Merge(cert, hit.Identity);
        }
        PeerIdentity? found;
        try
        {
            found = await FromDhtAsync(peer, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The caller stopped waiting (the DHT is slow): unknown this time, and asked again next time.
            return Merge(cert, PeerIdentity.Unknown);
        }
        var keep = found is null ? NotFound : Found;
        lock (_cache)
        {
            _cache[peer] = (found ?? PeerIdentity.Unknown, now + (long)(keep.TotalSeconds * _time.TimestampFrequency));
            DhtLookups++;
        }
        return Merge(cert, found ?? PeerIdentity.Unknown);
    }

    /// <summary>A certificate's name wins over the claim's (the claim's is the node's own choice).</summary>
    private static PeerIdentity Merge(MemberCertificate? cert, PeerIdentity fromDht) =>
        cert is null ? fromDht : new PeerIdentity(cert.NodeName, fromDht.Vip, fromDht.Vip is null ? "certificate" : "certificate+dht", cert.Ipv6 ?? fromDht.Vip6);

    private async Task<PeerIdentity?> FromDhtAsync(RingAddress peer, CancellationToken cancellationToken)
    {
        var candidates = Enumerable.Range(0, CandidatesAsked).Select(n => VirtualNetwork.Candidate(_range, peer, n)).ToList();
        // A get always ends, with the DHT's own attempts and timeout (status timeout or unavailable): no timer here.
        var lookups = candidates.Select(a => _dht!.GetAsync(VirtualNetwork.AddressKey(a)).WaitAsync(cancellationToken)).ToList();
        var derived6 = _ipv6Prefix is { } prefix ? UniqueLocalPrefix.AddressOf(prefix, peer) : null;
        var lookup6 = derived6 is null ? null : _dht!.GetAsync(VirtualNetwork.AddressKey(derived6)).WaitAsync(cancellationToken);
        ulong nowMs = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();
        IPAddress? vip6 = null;
        if (lookup6 is not null && (await lookup6).Records.Any(r => r.IsLive(nowMs) && RingAddress.FromPublicKey(r.Owner) == peer)) vip6 = derived6;
        for (int i = 0; i < lookups.Count; i++)
        {
            var result = await lookups[i];
            var claim = result.Records
                .Where(r => r.Kind == DhtKind.Claim && r.IsLive(nowMs) && RingAddress.FromPublicKey(r.Owner) == peer)
                .FirstOrDefault();
            if (claim is not null) return new PeerIdentity(Label(claim.Value), candidates[i], "dht", vip6);
        }
        return vip6 is null ? null : new PeerIdentity(null, null, "dht", vip6);
    }

    /// <summary>The claim's value as a name when it is a DNS label (what honest nodes write); anything else is not shown.</summary>
    private static string? Label(byte[] value) =>
        value.Length is > 0 and <= 63 && value.All(b => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-')
            ? Encoding.ASCII.GetString(value)
            : null;
}

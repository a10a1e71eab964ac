using System.Net;
using Woven.Dht;

namespace Woven.Vnet;

/// <summary>
/// Holds this node's virtual address and name in the DHT (DHCP over the DHT): a claim on "vip4/ADDRESS" (exclusive,
/// so never two live holders) and one on "name/NAME.ZONE" whose value is the address. A fixed address (from the
/// member certificate) is claimed as it is; otherwise candidates derived from the node's ring address are tried in
/// turn until one is free. Both claims are renewed every third of their lease and released on dispose.
/// </summary>
public sealed class AddressClaim : IAsyncDisposable
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    private readonly DhtNode _dht;
    private readonly IPNetwork _range;
    private readonly CancellationTokenSource _stop = new();
    private DhtRecord? _addressRecord, _nameRecord;
    private Task? _renewals;

    public AddressClaim(DhtNode dht, IPNetwork range, string name, string zone)
    {
        if (dht.Owner is null) throw new ArgumentException("the DHT node has no key to sign claims with", nameof(dht));
        _dht = dht;
        _range = range;
        Name = name;
        Fqdn = $"{name}.{zone}".ToLowerInvariant();
    }

    public string Name { get; }

    public string Fqdn { get; }

    public IPAddress? Address { get; private set; }

    /// <summary>False when another member holds the name (the address still works).</summary>
    public bool HoldsName => _nameRecord is not null;

    /// <summary>Raised when a renewal finds that another member holds the address (after a partition healed).</summary>
    public event Action<IPAddress>? Lost;

    /// <summary>Claims an address (<paramref name="fixedAddress"/> or the first free candidate) and the name; retries while the DHT is unavailable.</summary>
    public async Task<IPAddress> ClaimAsync(IPAddress? fixedAddress, CancellationToken cancellationToken)
    {
        var self = Woven.Addressing.RingAddress.FromPublicKey(_dht.Owner!.PublicKey);
        for (int n = 0; n < 64; n++)
        {
            var candidate = fixedAddress ?? VirtualNetwork.Candidate(_range, self, n);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = await _dht.CreateAsync(VirtualNetwork.AddressKey(candidate), VirtualNetwork.NameValue(Name), Lease);
                if (result.Ok)
                {
                    _addressRecord = result.Records[0];
                    Address = candidate;
                    break;
                }
                if (result.Status == DhtStatus.Conflict)
                {
                    if (fixedAddress is not null)
                        throw new InvalidOperationException($"address {fixedAddress} (from the member certificate) is held by member {result.Records.FirstOrDefault()?.OwnerAddress ?? "?"}");
                    break;
                }
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            if (Address is not null) break;
        }
        if (Address is null) throw new InvalidOperationException($"no free address in {_range} after 64 candidates");

        // Like the address: only a conflict (another member holds the name) is final; an unavailable DHT (a ring still
        // forming, replicas not answering) is tried again each second, for at most a minute.
        for (int attempt = 0; attempt < 60; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var named = await _dht.CreateAsync(VirtualNetwork.NameKey(Fqdn), System.Text.Encoding.ASCII.GetBytes(Address.ToString()), Lease);
            if (named.Ok) _nameRecord = named.Records[0];
            if (named.Ok || named.Status == DhtStatus.Conflict) break;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        _renewals = RenewLoopAsync(_stop.Token);
        return Address;
    }

    private async Task RenewLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(Lease / 3, ct);
                if (_addressRecord is { } a)
                {
                    var r = await _dht.RenewAsync(a, Lease);
                    if (r.Ok) _addressRecord = r.Records.FirstOrDefault(x => x.SameIdentity(a)) ?? a;
                    else if (r.Status == DhtStatus.Conflict && Address is { } lost) Lost?.Invoke(lost);
                }
                if (_nameRecord is { } n)
                {
                    var r = await _dht.RenewAsync(n, Lease);
                    if (r.Ok) _nameRecord = r.Records.FirstOrDefault(x => x.SameIdentity(n)) ?? n;
                    else if (r.Status == DhtStatus.Conflict) _nameRecord = null;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops renewing and releases both claims (signed removals), so the address and name are free at once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_renewals is not null) await _renewals;
        var releases = new[] { _addressRecord, _nameRecord }.OfType<DhtRecord>().Select(r => _dht.RemoveAsync(r)).ToList();
        if (releases.Count > 0) await Task.WhenAny(Task.WhenAll(releases), Task.Delay(TimeSpan.FromSeconds(3)));
        _stop.Dispose();
    }
}

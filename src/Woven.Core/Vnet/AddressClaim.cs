using System.Net;
using Woven.Dht;

namespace Woven.Vnet;

/// <summary>
/// Holds this node's virtual address and name in the DHT (DHCP over the DHT): a claim on "vip4/ADDRESS" (exclusive,
/// so never two live holders) and one on "name/NAME.ZONE" whose value is the address. A fixed address (from the
/// member certificate) is claimed as it is; otherwise candidates derived from the node's ring address are tried in
/// turn until one is free. With an IPv6 prefix the node's IPv6 address (derived from its ring address, or the
/// certificate's) is published under "vip6/ADDRESS", and its text under "name6/NAME.ZONE" once the name is held: a value
/// (put) for a derived address, which nobody else can hold, a claim for a certificate's. All records are renewed every
/// third of their lease and released on dispose.
/// </summary>
public sealed class AddressClaim : IAsyncDisposable
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    private readonly DhtNode _dht;
    private readonly IPNetwork _range;
    private readonly CancellationTokenSource _stop = new();
    private readonly IPNetwork? _ipv6Prefix;
    private DhtRecord? _addressRecord, _nameRecord, _address6Record, _name6Record;
    private Task? _renewals;

    public AddressClaim(DhtNode dht, IPNetwork range, string name, string zone, IPNetwork? ipv6Prefix = null)
    {
        _ipv6Prefix = ipv6Prefix;
        if (dht.Owner is null) throw new ArgumentException("the DHT node has no key to sign claims with", nameof(dht));
        _dht = dht;
        _range = range;
        Name = name;
        Fqdn = $"{name}.{zone}".ToLowerInvariant();
    }

    public string Name { get; }

    public string Fqdn { get; }

    public IPAddress? Address { get; private set; }

    /// <summary>The IPv6 address once published (null without a prefix, or while the DHT did not take it).</summary>
    public IPAddress? Address6 { get; private set; }

    /// <summary>False when another member holds the name (the address still works).</summary>
    public bool HoldsName => _nameRecord is not null;

    /// <summary>Raised when a renewal finds that another member holds the address (after a partition healed).</summary>
    public event Action<IPAddress>? Lost;

    /// <summary>Claims an address (<paramref name="fixedAddress"/> or the first free candidate) and the name; retries while the DHT is unavailable.</summary>
    public async Task<IPAddress> ClaimAsync(IPAddress? fixedAddress, CancellationToken cancellationToken, IPAddress? fixedAddress6 = null)
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

        if (_ipv6Prefix is { } prefix)
        {
            var address6 = fixedAddress6 ?? UniqueLocalPrefix.AddressOf(prefix, self);
            var key6 = VirtualNetwork.AddressKey(address6);
            var value = VirtualNetwork.NameValue(Name);
            _address6Record = await UntilTakenAsync(() => fixedAddress6 is null ? _dht.PutAsync(key6, value, Lease) : _dht.CreateAsync(key6, value, Lease), cancellationToken);
            if (_address6Record is not null) Address6 = address6;
        }

        // Like the address: only a conflict (another member holds the name) is final; an unavailable DHT (a ring still
        // forming, replicas not answering) is tried again each second, for at most a minute.
        _nameRecord = await UntilTakenAsync(() => _dht.CreateAsync(VirtualNetwork.NameKey(Fqdn), System.Text.Encoding.ASCII.GetBytes(Address.ToString()), Lease), cancellationToken);
        if (_nameRecord is not null && Address6 is { } a6)
            _name6Record = await UntilTakenAsync(() => _dht.PutAsync(VirtualNetwork.Name6Key(Fqdn), System.Text.Encoding.ASCII.GetBytes(a6.ToString()), Lease), cancellationToken);
        _renewals = RenewLoopAsync(_stop.Token);
        return Address;
    }

    /// <summary>The record once written; null on a conflict or after a minute of an unavailable DHT.</summary>
    private static async Task<DhtRecord?> UntilTakenAsync(Func<Task<DhtResult>> write, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 60; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await write();
            if (result.Ok) return result.Records[0];
            if (result.Status == DhtStatus.Conflict) return null;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        return null;
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
                _nameRecord = await RenewAsync(_nameRecord);
                _address6Record = await RenewAsync(_address6Record);
                _name6Record = await RenewAsync(_name6Record);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A value or claim renewed (kept as it was when the DHT did not answer, dropped when lost to another owner).</summary>
    private async Task<DhtRecord?> RenewAsync(DhtRecord? record)
    {
        if (record is null) return null;
        var r = await _dht.RenewAsync(record, Lease);
        if (r.Ok) return r.Records.FirstOrDefault(x => x.SameIdentity(record)) ?? record;
        return r.Status == DhtStatus.Conflict ? null : record;
    }

    /// <summary>Stops renewing and releases every record (signed removals), so the addresses and name are free at once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_renewals is not null) await _renewals;
        var releases = new[] { _addressRecord, _nameRecord, _address6Record, _name6Record }.OfType<DhtRecord>().Select(r => _dht.RemoveAsync(r)).ToList();
        if (releases.Count > 0) await Task.WhenAny(Task.WhenAll(releases), Task.Delay(TimeSpan.FromSeconds(3)));
        _stop.Dispose();
    }
}

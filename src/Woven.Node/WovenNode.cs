using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Woven.Crypto;
using Woven.Dht;
using Woven.Node.Control;
using Woven.Overlay;
using Woven.Platform;
using Woven.Platform.State;
using Woven.Platform.Transport;
using Woven.Security;
using Woven.Transport;
using Woven.Vnet;
using Woven.Platform.Tun;

namespace Woven.Node;

/// <summary>
/// A running node: the overlay on a real UDP socket with the system clock, plus its control API on a unix socket in
/// the state directory. Start with <see cref="StartAsync"/>; <see cref="DisposeAsync"/> leaves the ring gracefully.
/// </summary>
public sealed partial class WovenNode : IAsyncDisposable
{
    private readonly NodeOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private IDatagramSocket? _socket;
    private UdpDatagramSocket? _udp;
    private ControlServer? _control;

    public WovenNode(NodeOptions options, ILoggerFactory loggers)
    {
        _options = options;
        _loggers = loggers;
        _log = loggers.CreateLogger<WovenNode>();
        State = new StateDirectory(options.StateDirectory);
    }

    public StateDirectory State { get; }

    public OverlayNode? Overlay { get; private set; }

    public NodeIdentity? Identity { get; private set; }

    /// <summary>The node's DHT; records written through it are signed with the node's key.</summary>
    public DhtNode? Dht { get; private set; }

    public IPEndPoint? LocalEndPoint => _socket?.LocalEndPoint;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Identity = State.LoadOrCreateIdentity();
        _control = new ControlServer(State.ControlSocket, this, _loggers) { Tcp = _options.ControlTcp };
        await _control.CheckNotRunningAsync(cancellationToken);
        var udp = (UdpDatagramSocket)new UdpNetwork().Bind(_options.Listen);
        _udp = udp;
        var dual = new DualTransportSocket(udp, listenTcp: true);
        _socket = dual;
        var advertised = AdvertisedEndpoints(_socket.LocalEndPoint).ToList();
        // TCP candidates after the UDP ones: peers in sites that block UDP reach this node through them.
        if (dual.ListeningTcp) advertised.AddRange(advertised.Take(2).Select(e => (IPEndPoint)TcpEndPoint.From(e)).ToList());
        _advertised = string.Join(", ", advertised);
        _options.Overlay.TcpFallback = true;
        Membership = LoadMembership();
        Overlay = new OverlayNode(_options.Overlay, Identity, _socket, TimeProvider.System, new CryptoRandom(), advertised,
            membership: Membership);
        Dht = new DhtNode(Overlay, Identity, TimeProvider.System, new Random(), _options.Dht);
        Echo = new OverlayEcho(Overlay, TimeProvider.System);
        StartMessaging();
        Overlay.Start(_options.Bootstraps);
        NetworkChange.NetworkAddressChanged += OnAddressChanged;
        await _control.StartAsync(cancellationToken);
        if (_options.Vnet) PrepareVirtualNetwork();
        if (Membership is DomainMembership dm)
        {
            _revocationWatch = TimeProvider.System.CreateTimer(_ => WatchRevocations(), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
            _log.LogInformation("member of domain {Domain}", dm.Domain.Name);
        }
        else
        {
            _log.LogWarning("no domain in {StateDir}: this node links with any node that proves its key (an open overlay)", State.Path);
        }
        _log.LogInformation("node {Address} listening on {Endpoint}, control socket {Socket}", Identity.Address, _socket.LocalEndPoint, State.ControlSocket);
    }

    public VirtualNetwork? Vnet { get; private set; }

    /// <summary>Overlay-level ping (woven ping).</summary>
    public OverlayEcho? Echo { get; private set; }

    /// <summary>
    /// The node a ping target names: a ring address (40 hex digits), a virtual address (its claim in the DHT) or a
    /// name (NAME or NAME.ZONE: its claim's owner). Null with the reason when nobody holds it.
    /// </summary>
    public async Task<(Woven.Addressing.RingAddress? Address, string? Vip, string? Error)> ResolveAsync(string target)
    {
        if (Woven.Addressing.RingAddress.TryParse(target, out var ring)) return (ring, null, null);
        ulong now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (IPAddress.TryParse(target, out var ip))
        {
            var held = await Dht!.GetAsync(VirtualNetwork.AddressKey(ip));
            var claim = VirtualNetwork.HolderOf(ip, held.Records, now, Vnet?.Ipv6Prefix);
            return claim is null ? (null, null, held.Ok ? $"no member holds {ip}" : $"the DHT did not answer ({held.Status})") : (Woven.Addressing.RingAddress.FromPublicKey(claim.Owner), ip.ToString(), null);
        }
        string fqdn = target.Contains('.', StringComparison.Ordinal) ? target : $"{target}.{_zone ?? (Membership as DomainMembership)?.Domain.DnsZone ?? "woven"}";
        var named = await Dht!.GetAsync(VirtualNetwork.NameKey(fqdn));
        var nameClaim = named.Records.Where(r => r.Kind == DhtKind.Claim && r.IsLive(now)).OrderBy(r => r.Created).FirstOrDefault();
        if (nameClaim is null) return (null, null, named.Ok ? $"no member is named {fqdn}" : $"the DHT did not answer ({named.Status})");
        return (Woven.Addressing.RingAddress.FromPublicKey(nameClaim.Owner), System.Text.Encoding.ASCII.GetString(nameClaim.Value), null);
    }

    public AddressClaim? Claim { get; private set; }

    /// <summary>The TUN device's name when the node is in the virtual network.</summary>
    public string? TunName => _tun?.Name;

    public int TunMtu => _tun?.Mtu ?? _options.Mtu;

    private ITunDevice? _tun;
    private string? _zone;

    /// <summary>The embedded DNS server on the virtual address, once the node has one.</summary>
    public VnetDns? Dns { get; private set; }
    private readonly CancellationTokenSource _lifetime = new();
    private Task? _vnetStart;

    /// <summary>
    /// Checks, synchronously so that <c>woven up</c> fails at once with the reason, that the virtual network's range is
    /// free on this host and that a TUN device can be made; then claims an address in the background once joined.
    /// </summary>
    private void PrepareVirtualNetwork()
    {
        var domain = (Membership as DomainMembership)?.Domain;
        var range = domain?.Ipv4Range ?? _options.VnetRange ?? NodeOptions.DefaultVnetRange;
        var clashes = HostRoutes.Overlapping(range, _options.TunName);
        if (clashes.Count > 0)
            throw new StateException($"the virtual network {range} collides with this host's route {clashes[0]}; choose another range (--vnet-range, or the domain's ipv4_range)");
        var prefix6 = Ipv6PrefixFor(domain, range);
        if (prefix6 is { } p6 && Directory.Exists("/proc/sys/net/ipv6") && HostRoutes.Overlapping(p6, _options.TunName) is { Count: > 0 } clashes6)
            throw new StateException($"the virtual network's IPv6 prefix {p6} collides with this host's route {clashes6[0]}; choose another (--vnet-ipv6 PREFIX or off, or the domain's ipv6_prefix)");
        try
        {
            _tun = LinuxTun.Create(_options.TunName, _options.Mtu);
        }
        catch (IOException e)
        {
            throw new StateException($"--vnet: {e.Message}");
        }
        if (prefix6 is not null && !EnableIpv6(_tun.Name)) prefix6 = null;
        Vnet = new VirtualNetwork(Overlay!, Dht!, range, TimeProvider.System, prefix6);
        var certificate = (Membership as DomainMembership)?.Certificate;
        string name = DnsLabel(_options.Name ?? certificate?.NodeName ?? Environment.MachineName);
        _zone = domain?.DnsZone ?? "woven";
        Claim = new AddressClaim(Dht!, range, name, _zone, prefix6);
        _vnetStart = StartVirtualNetworkAsync(range, certificate?.Ipv4, FixedIpv6(certificate?.Ipv6, prefix6), _lifetime.Token);
    }

    private async Task StartVirtualNetworkAsync(IPNetwork range, IPAddress? fixedAddress, IPAddress? fixedAddress6, CancellationToken ct)
    {
        try
        {
            while (!Overlay!.Joined) await Task.Delay(250, ct);
            var address = await Claim!.ClaimAsync(fixedAddress, ct, fixedAddress6);
            LinuxTun.Ip("addr", "replace", $"{address}/{range.PrefixLength}", "dev", _tun!.Name);
            var address6 = Claim.Address6 is { } a6 && AddIpv6Address(a6, Vnet!.Ipv6Prefix!.Value, _tun.Name) ? a6 : null;
            // One thread for the socket and the device where it can (tinc's design): the receive thread also waits for
            // the TUN device, so an answer to what it just wrote there leaves without waking another thread.
            var linuxTun = _tun as LinuxTun;
            bool oneThread = OperatingSystem.IsLinux() && linuxTun is { Descriptor: >= 0 };
            Vnet!.Start(address, _tun, readLoop: !oneThread, address6: address6, ipv6: address6 is not null);
            if (oneThread) _udp!.AttachReader(linuxTun!.Descriptor, () => Vnet.ReadQueued());
            Dns = new VnetDns(Dht!, Vnet, _zone!, address, _log, address6);
            Claim.Lost += lost => _log.LogError("another member holds {Address} now (a partition healed in its favour); restart the node to get a new address", lost);
            _log.LogInformation("virtual address {Address}{Address6} on {Interface} (mtu {Mtu}), name {Name}{Taken}, DNS on port 53 of {Addresses}", address,
                address6 is null ? "" : $" and {address6}", _tun.Name, _tun.Mtu, Claim.Fqdn, Claim.HoldsName ? "" : " (taken by another member: not registered)",
                address6 is null ? $"{address}" : $"{address} and {address6}");
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or SocketException)
        {
            _log.LogError("virtual network not started: {Message}", e.Message);
        }
    }

    /// <summary>A DNS label from a name: lower case letters, digits and hyphens, at most 63.</summary>
    public static string DnsLabel(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var label = new string(chars).Trim('-');
        if (label.Length > 63) label = label[..63];
        return label.Length == 0 ? "node" : label;
    }

    private readonly List<Timer> _addressChecks = [];
    private string _advertised = "";

    /// <summary>
    /// The host's addresses changed (netlink). A move shows as several events (link down, address gone, new link,
    /// new address, link up), so the endpoints are looked at 0.1, 0.3, 0.6, 1, 2 and 3 s after the last one; whenever they differ
    /// from what the node advertises, the overlay re-advertises and punches every link again.
    /// </summary>
    private void OnAddressChanged(object? sender, EventArgs e)
    {
        lock (_addressChecks)
        {
            foreach (var t in _addressChecks) t.Dispose();
            _addressChecks.Clear();
            foreach (int ms in new[] { 100, 300, 600, 1000, 2000, 3000 }) _addressChecks.Add(new Timer(_ => CheckAddresses(), null, ms, Timeout.Infinite));
        }
    }

    private void CheckAddresses()
    {
        try
        {
            var endpoints = AdvertisedEndpoints(_socket!.LocalEndPoint, Vnet?.Range).ToList();
            if (_socket is DualTransportSocket { ListeningTcp: true }) endpoints.AddRange(endpoints.Take(2).Select(ep => (IPEndPoint)TcpEndPoint.From(ep)).ToList());
            // No address but loopback: the host is between networks (unplugged); wait for the next one.
            if (endpoints.All(ep => IPAddress.IsLoopback(ep.Address))) return;
            string text = string.Join(", ", endpoints);
            lock (_addressChecks)
            {
                if (text == _advertised) return;
                _advertised = text;
            }
            _log.LogInformation("host addresses changed: advertising {Endpoints} and punching every link again", text);
            Overlay?.NetworkChanged(endpoints);
        }
        catch (Exception ex) when (ex is NetworkInformationException or IOException or ObjectDisposedException)
        {
            _log.LogWarning("after an address change: {Message}", ex.Message);
        }
    }

    /// <summary>
    /// The endpoints peers are told to use: the bound one when it is a specific address, otherwise every unicast
    /// address of the host's interfaces that are up (loopback only when there is nothing else).
    /// </summary>
    public static IReadOnlyList<IPEndPoint> AdvertisedEndpoints(IPEndPoint bound, IPNetwork? excluded = null)
    {
        if (!bound.Address.Equals(IPAddress.Any) && !bound.Address.Equals(IPAddress.IPv6Any)) return [bound];
        var addresses = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork)
            .Where(a => excluded is not { } range || !range.Contains(a))
            .ToList();
        var chosen = addresses.Where(a => !IPAddress.IsLoopback(a)).Take(2).ToList();
        if (chosen.Count == 0) chosen = addresses.Take(1).ToList();
        if (chosen.Count == 0) chosen = [IPAddress.Loopback];
        return chosen.Select(a => new IPEndPoint(a, bound.Port)).ToList();
    }

    public Membership? Membership { get; private set; }

    private ITimer? _revocationWatch;
    private DateTime _revocationsSeen;

    /// <summary>
    /// The node's domain, from domain.json, member.cert and revocations.bin in the state directory. Without domain.json the
    /// node is open (links with any node that proves its key). A certificate that is missing, for another key, expired or
    /// revoked stops the node with the reason and the fix.
    /// </summary>
    private Membership LoadMembership()
    {
        var store = new DomainStore(State.Path);
        var settings = store.LoadSettings();
        if (settings is null) return new OpenMembership();
        var certificate = store.LoadCertificate()
            ?? throw new StateException($"{store.DomainFile} names domain '{settings.Name}' but {store.CertificateFile} is missing; get a certificate with 'woven domain issue' (or 'woven domain join TOKEN')");
        var revocations = store.LoadRevocations();
        var check = certificate.Verify(settings, Identity!.PublicKey, DateTimeOffset.UtcNow, revocations);
        if (check != CertificateCheck.Valid)
            throw new StateException($"{store.CertificateFile} is not valid for this node ({check}); issue a new certificate for key {Convert.ToBase64String(Identity.PublicKey)}");
        _revocationsSeen = File.Exists(store.RevocationsFile) ? File.GetLastWriteTimeUtc(store.RevocationsFile) : default;
        return new DomainMembership(settings, certificate, revocations)
        {
            RevocationsUpdated = list =>
            {
                store.SaveRevocations(list);
                _revocationsSeen = File.GetLastWriteTimeUtc(store.RevocationsFile);
            },
        };
    }

    /// <summary>A revocation list dropped into the state directory (by an administrator) is taken and spread.</summary>
    private void WatchRevocations()
    {
        try
        {
            var file = new DomainStore(State.Path).RevocationsFile;
            if (!File.Exists(file)) return;
            var written = File.GetLastWriteTimeUtc(file);
            if (written == _revocationsSeen) return;
            _revocationsSeen = written;
            var bytes = File.ReadAllBytes(file);
            if (Overlay?.OfferRevocations(bytes) == true) _log.LogInformation("took a newer revocation list from {File}", file);
        }
        catch (IOException e)
        {
            _log.LogWarning("cannot read the revocation list: {Message}", e.Message);
        }
    }

    public TransportDocument TransportStatus() =>
        _socket is DualTransportSocket s ? new TransportDocument(s.HandlerFaults, s.SendErrors, s.TcpFramesIn, s.TcpFramesOut) : new TransportDocument(0, 0, 0, 0);

    public async ValueTask DisposeAsync()
    {
        NetworkChange.NetworkAddressChanged -= OnAddressChanged;
        lock (_addressChecks)
        {
            foreach (var t in _addressChecks) t.Dispose();
            _addressChecks.Clear();
        }
        _revocationWatch?.Dispose();
        await _lifetime.CancelAsync();
        if (_vnetStart is not null) await _vnetStart;
        Dns?.Dispose();
        _udp?.DetachReader(); // before the device closes (LinuxTun.Dispose waits out one poll of the receive thread)
        Vnet?.Dispose();
        if (Vnet is null) _tun?.Dispose();
        if (Claim is not null) await Claim.DisposeAsync();
        StopMessaging();
        Overlay?.Leave();
        if (_control is not null) await _control.DisposeAsync();
        _socket?.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Woven.Dht;
using Woven.Vnet;

namespace Woven.Node;

/// <summary>
/// The embedded DNS server: UDP port 53 on the node's virtual addresses (IPv4, and IPv6 when it has one). A and AAAA
/// for NAME.ZONE, PTR for the virtual network's reverse names (in-addr.arpa and ip6.arpa), all from the DHT's name and
/// address records; other names are refused. AAAA comes from "name6/NAME.ZONE", taken only from the member that holds
/// the name's claim.
/// </summary>
public sealed class VnetDns : IDisposable
{
    private readonly DhtNode _dht;
    private readonly VirtualNetwork _vnet;
    private readonly string _zone;
    private readonly ILogger _log;
    private readonly List<Socket> _sockets = [];
    private readonly CancellationTokenSource _stop = new();

    public VnetDns(DhtNode dht, VirtualNetwork vnet, string zone, IPAddress bind, ILogger log, IPAddress? bind6 = null)
    {
        _dht = dht;
        _vnet = vnet;
        _zone = zone.ToLowerInvariant().TrimEnd('.');
        _log = log;
        EndPoint = Serve(new IPEndPoint(bind, 53));
        if (bind6 is not null)
        {
            try
            {
                Serve(new IPEndPoint(bind6, 53));
            }
            catch (SocketException e)
            {
                _log.LogWarning("dns: not on {Address} ({Message}); it answers on {Endpoint}", bind6, e.Message, EndPoint);
            }
        }
    }

    private IPEndPoint Serve(IPEndPoint bind)
    {
        var socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(bind);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _sockets.Add(socket);
        _ = Task.Run(() => ServeAsync(socket));
        return (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public long Answered { get; private set; }

    public long Ignored { get; private set; }

    private async Task ServeAsync(Socket socket)
    {
        var buffer = new byte[512];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            var query = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            _ = AnswerAsync(socket, query, received.RemoteEndPoint);
        }
    }

    private async Task AnswerAsync(Socket socket, byte[] query, EndPoint client)
    {
        try
        {
            var response = await ResponseAsync(query);
            if (response is null)
            {
                Ignored++;
                return;
            }
            Answered++;
            await socket.SendToAsync(response, SocketFlags.None, client);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _log.LogDebug("dns: {Message}", e.Message);
        }
    }

    /// <summary>The response to a query (null: not a query to answer).</summary>
    public async Task<byte[]?> ResponseAsync(byte[] query)
    {
        var q = DnsAnswerer.Parse(query);
        if (q is null) return null;
        ulong now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (q.Name == _zone || q.Name.EndsWith("." + _zone, StringComparison.Ordinal))
        {
            // The IPv6 record is asked for at the same time, so that AAAA costs no second round trip.
            var named6 = q.Type == DnsAnswerer.TypeAaaa ? _dht.GetAsync(VirtualNetwork.Name6Key(q.Name)) : null;
            var result = await _dht.GetAsync(VirtualNetwork.NameKey(q.Name));
            var claim = result.Records.Where(r => r.Kind == DhtKind.Claim && r.IsLive(now)).OrderBy(r => r.Created).FirstOrDefault();
            IPAddress? address = claim is not null && IPAddress.TryParse(Encoding.ASCII.GetString(claim.Value), out var a) ? a : null;
            if (!result.Ok && address is null) return DnsAnswerer.Response(query, q, 2); // SERVFAIL: the DHT did not answer
            if (address is null) return DnsAnswerer.Response(query, q, DnsAnswerer.NxDomain);
            if (named6 is not null)
            {
                var record6 = (await named6).Records.FirstOrDefault(r => r.IsLive(now) && r.Owner.AsSpan().SequenceEqual(claim!.Owner));
                var address6 = record6 is not null && IPAddress.TryParse(Encoding.ASCII.GetString(record6.Value), out var b) && b.AddressFamily == AddressFamily.InterNetworkV6 ? b : null;
                return DnsAnswerer.Response(query, q, DnsAnswerer.NoError, address: address6);
            }
            return q.Type is DnsAnswerer.TypeA or DnsAnswerer.TypeAny
                ? DnsAnswerer.Response(query, q, DnsAnswerer.NoError, address: address)
                : DnsAnswerer.Response(query, q, DnsAnswerer.NoError); // the name exists, but has no record of that type
        }
        if (DnsAnswerer.ReverseAddress(q.Name) is { } reverse && (_vnet.Range.Contains(reverse) || _vnet.Ipv6Prefix?.Contains(reverse) == true))
        {
            var result = await _dht.GetAsync(VirtualNetwork.AddressKey(reverse));
            var claim = VirtualNetwork.HolderOf(reverse, result.Records, now, _vnet.Ipv6Prefix);
            if (claim is null) return DnsAnswerer.Response(query, q, result.Ok ? DnsAnswerer.NxDomain : (byte)2);
            if (q.Type is not (DnsAnswerer.TypePtr or DnsAnswerer.TypeAny)) return DnsAnswerer.Response(query, q, DnsAnswerer.NoError);
            return DnsAnswerer.Response(query, q, DnsAnswerer.NoError, pointer: $"{Encoding.UTF8.GetString(claim.Value)}.{_zone}");
        }
        return DnsAnswerer.Response(query, q, DnsAnswerer.Refused);
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var socket in _sockets) socket.Dispose();
        _stop.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Woven.Dht;
using Woven.Vnet;

namespace Woven.Node;

/// <summary>
/// The embedded DNS server: UDP port 53 on the node's virtual address. A and AAAA for NAME.ZONE, PTR for the virtual
/// network's reverse names, all from the DHT's name and address claims; other names are refused.
/// </summary>
public sealed class VnetDns : IDisposable
{
    private readonly DhtNode _dht;
    private readonly VirtualNetwork _vnet;
    private readonly string _zone;
    private readonly ILogger _log;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();

    public VnetDns(DhtNode dht, VirtualNetwork vnet, string zone, IPAddress bind, ILogger log)
    {
        _dht = dht;
        _vnet = vnet;
        _zone = zone.ToLowerInvariant().TrimEnd('.');
        _log = log;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(bind, 53));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _ = Task.Run(ServeAsync);
    }

    public IPEndPoint EndPoint { get; }

    public long Answered { get; private set; }

    public long Ignored { get; private set; }

    private async Task ServeAsync()
    {
        var buffer = new byte[512];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
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
            _ = AnswerAsync(query, received.RemoteEndPoint);
        }
    }

    private async Task AnswerAsync(byte[] query, EndPoint client)
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
            await _socket.SendToAsync(response, SocketFlags.None, client);
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
            var result = await _dht.GetAsync(VirtualNetwork.NameKey(q.Name));
            var claim = result.Records.Where(r => r.Kind == DhtKind.Claim && r.IsLive(now)).OrderBy(r => r.Created).FirstOrDefault();
            IPAddress? address = claim is not null && IPAddress.TryParse(Encoding.ASCII.GetString(claim.Value), out var a) ? a : null;
            if (!result.Ok && address is null) return DnsAnswerer.Response(query, q, 2); // SERVFAIL: the DHT did not answer
            if (address is null) return DnsAnswerer.Response(query, q, DnsAnswerer.NxDomain);
            return q.Type is DnsAnswerer.TypeA or DnsAnswerer.TypeAny
                ? DnsAnswerer.Response(query, q, DnsAnswerer.NoError, address: address)
                : DnsAnswerer.Response(query, q, DnsAnswerer.NoError); // the name exists, but has no record of that type
        }
        if (DnsAnswerer.ReverseAddress(q.Name) is { } reverse && _vnet.Range.Contains(reverse))
        {
            var result = await _dht.GetAsync(VirtualNetwork.AddressKey(reverse));
            var claim = result.Records.Where(r => r.Kind == DhtKind.Claim && r.IsLive(now)).OrderBy(r => r.Created).FirstOrDefault();
            if (claim is null) return DnsAnswerer.Response(query, q, result.Ok ? DnsAnswerer.NxDomain : (byte)2);
            if (q.Type is not (DnsAnswerer.TypePtr or DnsAnswerer.TypeAny)) return DnsAnswerer.Response(query, q, DnsAnswerer.NoError);
            return DnsAnswerer.Response(query, q, DnsAnswerer.NoError, pointer: $"{Encoding.UTF8.GetString(claim.Value)}.{_zone}");
        }
        return DnsAnswerer.Response(query, q, DnsAnswerer.Refused);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }
}

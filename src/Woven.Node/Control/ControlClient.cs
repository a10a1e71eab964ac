using System.Net.Http.Json;
using System.Net.Sockets;

namespace Woven.Node.Control;

/// <summary>Talks to a node's control API over its unix socket.</summary>
public sealed partial class ControlClient : IDisposable
{
    private readonly HttpClient _http;

    public ControlClient(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://woven/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public string SocketPath { get; }

    /// <summary>The raw JSON of a GET (/v1/status, /v1/peers, /v1/presence, /v1/msg/status).</summary>
    public async Task<string> GetJsonAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        using var timeout = Short(cancellationToken);
        using var response = await _http.GetAsync(new Uri(pathAndQuery, UriKind.Relative), timeout.Token);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>A GET's document, read with the control API's JSON settings.</summary>
    private async Task<T> GetDocumentAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var timeout = Short(cancellationToken);
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), timeout.Token);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>(ControlJson.Options, cancellationToken))!;
    }

    /// <summary>The raw JSON of GET /v1/status.</summary>
    public Task<string> GetStatusJsonAsync(CancellationToken cancellationToken) => GetJsonAsync("v1/status", cancellationToken);

    public Task<StatusDocument> GetStatusAsync(CancellationToken cancellationToken) => GetDocumentAsync<StatusDocument>("v1/status", cancellationToken);

    /// <summary>Asks the node for a direct link (a shortcut) to the node at <paramref name="address"/>.</summary>
    public async Task RequestLinkAsync(string address, CancellationToken cancellationToken)
    {
        using var timeout = Short(cancellationToken);
        using var response = await _http.PostAsync(new Uri($"v1/links/{address}", UriKind.Relative), null, timeout.Token);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>GET /v1/dht?key=NAME: the HTTP status and the raw JSON answer.</summary>
    public async Task<(int Status, string Json)> DhtGetAsync(string name, CancellationToken cancellationToken)
    {
        using var timeout = DhtTimeout(cancellationToken);
        using var response = await _http.GetAsync(new Uri($"v1/dht?key={Uri.EscapeDataString(name)}", UriKind.Relative), timeout.Token);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>POST /v1/dht/OP (put, create, remove): the HTTP status and the raw JSON answer.</summary>
    public async Task<(int Status, string Json)> DhtWriteAsync(string op, DhtWriteRequest request, CancellationToken cancellationToken)
    {
        using var timeout = DhtTimeout(cancellationToken);
        using var response = await _http.PostAsJsonAsync(new Uri($"v1/dht/{op}", UriKind.Relative), request, ControlJson.Options, timeout.Token);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private static CancellationTokenSource Short(CancellationToken outer)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return cts;
    }

    /// <summary>POST /v1/ping: the HTTP status and the raw JSON answer.</summary>
    public async Task<(int Status, string Json)> PingAsync(PingRequest request, CancellationToken cancellationToken)
    {
        using var timeout = DhtTimeout(cancellationToken);
        using var response = await _http.PostAsJsonAsync(new Uri("v1/ping", UriKind.Relative), request, ControlJson.Options, timeout.Token);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>A DHT operation may take a node several attempts (and a remove a get first): 60 s, not the usual 10.</summary>
    private static CancellationTokenSource DhtTimeout(CancellationToken outer)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        return cts;
    }

    public void Dispose() => _http.Dispose();
}

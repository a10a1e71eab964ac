using System.Net.Http.Json;
using System.Net.Sockets;

namespace Woven.Node.Control;

/// <summary>Talks to a node's control API over its unix socket.</summary>
public sealed class ControlClient : IDisposable
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
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://woven/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string SocketPath { get; }

    /// <summary>The raw JSON of GET /v1/status.</summary>
    public async Task<string> GetStatusJsonAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("v1/status", UriKind.Relative), cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    public async Task<StatusDocument> GetStatusAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("v1/status", UriKind.Relative), cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<StatusDocument>(ControlJson.Options, cancellationToken))!;
    }

    /// <summary>Asks the node for a direct link (a shortcut) to the node at <paramref name="address"/>.</summary>
    public async Task RequestLinkAsync(string address, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync(new Uri($"v1/links/{address}", UriKind.Relative), null, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public void Dispose() => _http.Dispose();
}

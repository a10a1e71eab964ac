using System.Net.Http.Json;
using System.Runtime.CompilerServices;

namespace Woven.Node.Control;

public sealed partial class ControlClient
{
    /// <summary>POST /v1/msg/send, /v1/msg/request or /v1/msg/bench: the HTTP status and the raw JSON answer.</summary>
    public async Task<(int Status, string Json)> MessagingPostAsync<T>(string path, T request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The node's own timeout comes first; this one only guards against a node that stopped answering.
        cts.CancelAfter(timeout + TimeSpan.FromSeconds(60));
        using var response = await _http.PostAsJsonAsync(new Uri(path, UriKind.Relative), request, ControlJson.Options, cts.Token);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>GET of a streaming endpoint (/v1/msg/listen, /v1/presence?watch=true): the HTTP status, then its lines as they come.</summary>
    public async IAsyncEnumerable<(int Status, string Line)> StreamLinesAsync(string pathAndQuery, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(pathAndQuery, UriKind.Relative));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        int status = (int)response.StatusCode;
        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0) yield return (status, line);
        }
    }
}

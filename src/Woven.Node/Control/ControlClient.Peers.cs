using System.Net.Http.Json;

namespace Woven.Node.Control;

public sealed partial class ControlClient
{
    /// <summary>The raw JSON of GET /v1/peers.</summary>
    public async Task<string> GetPeersJsonAsync(CancellationToken cancellationToken)
    {
        using var timeout = Short(cancellationToken);
        using var response = await _http.GetAsync(new Uri("v1/peers", UriKind.Relative), timeout.Token);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    public async Task<PeersDocument> GetPeersAsync(CancellationToken cancellationToken)
    {
        using var timeout = Short(cancellationToken);
        using var response = await _http.GetAsync(new Uri("v1/peers", UriKind.Relative), timeout.Token);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<PeersDocument>(ControlJson.Options, cancellationToken))!;
    }
}

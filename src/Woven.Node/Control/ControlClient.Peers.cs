namespace Woven.Node.Control;

public sealed partial class ControlClient
{
    /// <summary>The raw JSON of GET /v1/peers.</summary>
    public Task<string> GetPeersJsonAsync(CancellationToken cancellationToken) => GetJsonAsync("v1/peers", cancellationToken);

    public Task<PeersDocument> GetPeersAsync(CancellationToken cancellationToken) => GetDocumentAsync<PeersDocument>("v1/peers", cancellationToken);
}

using System.Net;
using System.Net.Http.Headers;

namespace Woven.Node.Control;

public sealed partial class ControlClient
{
    private ControlClient(HttpClient http, string where)
    {
        _http = http;
        SocketPath = where;
    }

    /// <summary>A client of a node's loopback TCP listener (<c>woven up --control-tcp</c>), with the token from its state directory.</summary>
    public static ControlClient ForTcp(IPEndPoint endpoint, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{endpoint}/"), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        return new ControlClient(http, endpoint.ToString());
    }
}

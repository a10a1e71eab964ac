using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Woven.Platform.State;

namespace Woven.Node.Control;

public sealed partial class ControlServer
{
    /// <summary>The token file's name in the state directory.</summary>
    public const string TokenFileName = "control.token";

    private byte[]? _token;

    /// <summary>
    /// A loopback address and port to serve the API on as well (for tools that cannot reach a unix socket); null for
    /// none. Every request that arrives there must carry <c>Authorization: Bearer TOKEN</c> with the token the node
    /// writes to <see cref="TokenFile"/> (mode 0600, a new one at each start).
    /// </summary>
    public IPEndPoint? Tcp { get; init; }

    public string TokenFile => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_socketPath))!, TokenFileName);

    /// <summary>Why an address may not carry the control API, or null: only loopback (anyone who reaches it controls the node).</summary>
    public static string? TcpAddressError(IPEndPoint endpoint) =>
        !IPAddress.IsLoopback(endpoint.Address) ? $"{endpoint} is not a loopback address; the control API listens only on 127.0.0.1 or [::1] (use ssh -L to reach it from elsewhere)"
        : endpoint.Port == 0 ? $"{endpoint}: give a port (1 to 65535), e.g. 127.0.0.1:7070"
        : null;

    private void ListenTcp(KestrelServerOptions kestrel)
    {
        if (Tcp is null) return;
        if (TcpAddressError(Tcp) is { } error) throw new StateException($"--control-tcp: {error}");
        // 32 random bytes as 64 hex digits, written before the port opens so that no request can precede it.
        _token = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        StateDirectory.WriteAtomically(TokenFile, [.. _token, (byte)'\n']);
        kestrel.Listen(Tcp);
    }

    /// <summary>
    /// Requests on the unix socket pass (its mode guards it): they are the ones without an IP address. Any other must
    /// carry the token, else 401.
    /// </summary>
    private void RequireTokenOnTcp(WebApplication app)
    {
        var log = _loggers.CreateLogger<ControlServer>();
        app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            long start = Stopwatch.GetTimestamp();
            bool unix = context.Connection.LocalIpAddress is null;
            if (unix || Authorized(context.Request.Headers.Authorization.ToString()))
            {
                await next(context);
                ControlServerLog.Served(log, context.Request.Method, context.Request.Path, context.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalMilliseconds, unix ? "unix" : "tcp");
                return;
            }
            ControlServerLog.Refused(log, context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress?.ToString() ?? "?");
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"woven\"";
            await Results.Json(new { error = $"authorization: send the token in {TokenFile} in the header Authorization: Bearer TOKEN" }, ControlJson.Options, statusCode: 401)
                .ExecuteAsync(context);
        });
    }

    private bool Authorized(string header)
    {
        const string scheme = "Bearer ";
        if (_token is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = Encoding.ASCII.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _token);
    }
}

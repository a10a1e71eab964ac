using System.Net;
using Woven.Transport;

namespace Woven.Nat;

/// <summary>
/// A STUN client that owns an <see cref="IDatagramSocket"/> (for queries outside the overlay socket, such as
/// netcheck from a throwaway port). All queries share the socket, so RFC 5780 tests that must come from one
/// local port can be run one after another. Datagrams that answer no pending query are counted and dropped.
/// </summary>
public sealed class StunSocketClient : IDisposable
{
    private readonly IDatagramSocket _socket;
    private readonly StunRequester _requester;
    private long _ignored;

    /// <param name="socket">A bound socket that has not been started; this client starts it and disposes it.</param>
    public StunSocketClient(IDatagramSocket socket, TimeProvider time, StunClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _requester = new StunRequester(socket.Send, time, options);
        socket.Start(OnDatagram);
    }

    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>Datagrams received that answered no pending query.</summary>
    public long IgnoredDatagrams => Interlocked.Read(ref _ignored);

    public Task<StunBindingResult> BindingAsync(IPEndPoint server, StunChangeRequest? changeRequest = null,
        ushort? responsePort = null, StunClientOptions? options = null, CancellationToken cancellationToken = default) =>
        _requester.BindingAsync(server, changeRequest, responsePort, options, cancellationToken);

    private void OnDatagram(IPEndPoint from, ReadOnlySpan<byte> datagram)
    {
        if (!_requester.Deliver(from, datagram)) Interlocked.Increment(ref _ignored);
    }

    public void Dispose()
    {
        _requester.Dispose();
        _socket.Dispose();
    }
}

/// <summary>One-shot STUN queries over a socket bound for the purpose.</summary>
public static class StunQuery
{
    /// <summary>Binds <paramref name="local"/> on <paramref name="network"/>, runs one Binding transaction, and closes the socket.</summary>
    public static async Task<StunBindingResult> BindingAsync(IDatagramNetwork network, IPEndPoint local, IPEndPoint server,
        TimeProvider time, StunClientOptions? options = null, StunChangeRequest? changeRequest = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var client = new StunSocketClient(network.Bind(local), time, options);
        return await client.BindingAsync(server, changeRequest, null, null, cancellationToken);
    }
}

using System.Net;
using Woven.Sim.Engine;
using Woven.Transport;

namespace Woven.Sim.Network;

/// <summary>
/// A simulated datagram network: hosts bind sockets, datagrams travel with per-pair latency, jitter and loss in
/// the loop's virtual time. Deterministic for a given seed and sequence of sends.
/// </summary>
public sealed class SimNetwork : IDatagramNetwork
{
    private readonly SimLoop _loop;
    private readonly SimNetworkOptions _options;
    private readonly Random _random;
    private readonly ulong _seed;
    private readonly Dictionary<IPEndPoint, SimSocket> _sockets = [];
    private int _nextHostId;

    public SimNetwork(SimLoop loop, SimNetworkOptions options, int seed)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _loop = loop;
        _options = options;
        _random = new Random(seed);
        _seed = (ulong)seed * 0x9E3779B97F4A7C15UL;
    }

    public long Sent { get; private set; }
    public long Delivered { get; private set; }
    public long Lost { get; private set; }
    public long Undeliverable { get; private set; }

    /// <summary>Sees every datagram sent (from, to, bytes): tests use it as an eavesdropper on the wire.</summary>
    public Action<IPEndPoint, IPEndPoint, byte[]>? Tap { get; set; }

    /// <summary>When set, a datagram from host a to host b is dropped while this returns true (partitions).</summary>
    public Func<int, int, bool>? Blocked { get; set; }

    /// <summary>The address of the n-th simulated host: 10.0.0.0/8 counted from 10.0.0.1.</summary>
    public static IPAddress HostAddress(int n)
    {
        int v = n + 1;
        return new IPAddress([10, (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
    }

    public IDatagramSocket Bind(IPEndPoint local)
    {
        if (_sockets.ContainsKey(local)) throw new InvalidOperationException($"{local} is already bound");
        var socket = new SimSocket(this, local, _nextHostId++);
        _sockets[local] = socket;
        return socket;
    }

    internal void Unbind(SimSocket socket) => _sockets.Remove(socket.LocalEndPoint);

    /// <summary>
    /// Moves a bound socket to another address, as a host that changed networks (or a NAT that changed its mapping):
    /// what it sends from now on comes from the new endpoint, and the old one is gone.
    /// </summary>
    public void Move(IDatagramSocket socket, IPEndPoint to)
    {
        if (socket is not SimSocket s || !ReferenceEquals(_sockets.GetValueOrDefault(s.LocalEndPoint), s)) throw new ArgumentException("not a bound socket of this network", nameof(socket));
        if (_sockets.ContainsKey(to)) throw new InvalidOperationException($"{to} is already bound");
        _sockets.Remove(s.LocalEndPoint);
        s.LocalEndPoint = to;
        _sockets[to] = s;
    }

    /// <summary>Datagrams sent, by the second byte (the overlay message type).</summary>
    public long[] SentByType { get; } = new long[256];

    internal void Send(SimSocket from, IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        Sent++;
        if (datagram.Length > 1) SentByType[datagram[1]]++;
        Tap?.Invoke(from.LocalEndPoint, to, datagram.ToArray());
        if (!_sockets.TryGetValue(to, out var target))
        {
            Undeliverable++;
            return;
        }
        if (_options.Loss > 0 && _random.NextDouble() < _options.Loss)
        {
            Lost++;
            return;
        }
        if (Blocked is { } blocked && blocked(from.HostId, target.HostId))
        {
            Lost++;
            return;
        }
        long delay = PairLatency(from.HostId, target.HostId);
        if (_options.Jitter > TimeSpan.Zero) delay += (long)(_random.NextDouble() * _options.Jitter.Ticks);
        _loop.Schedule(_loop.Now + delay, target, from.LocalEndPoint, datagram.ToArray());
    }

    internal void CountDelivered() => Delivered++;

    /// <summary>A datagram whose socket closed while it was in flight.</summary>
    internal void CountUndeliverable() => Undeliverable++;

    /// <summary>Fixed one-way latency of a pair of hosts, symmetric, from a hash of the pair and the seed.</summary>
    public long PairLatency(int a, int b)
    {
        if (a > b) (a, b) = (b, a);
        ulong x = _seed ^ ((ulong)(uint)a << 32 | (uint)b);
        x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27; x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        double u = (x >> 11) * (1.0 / (1UL << 53));
        return _options.LatencyMin.Ticks + (long)(u * (_options.LatencyMax.Ticks - _options.LatencyMin.Ticks));
    }
}

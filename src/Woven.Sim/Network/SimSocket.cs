using System.Net;
using Woven.Sim.Engine;
using Woven.Transport;

namespace Woven.Sim.Network;

/// <summary>A bound socket of the simulated network.</summary>
internal sealed class SimSocket : SimTarget, IDatagramSocket
{
    private readonly SimNetwork _network;
    private DatagramHandler? _handler;
    private bool _disposed;

    public SimSocket(SimNetwork network, IPEndPoint local, int hostId)
    {
        _network = network;
        LocalEndPoint = local;
        HostId = hostId;
    }

    public IPEndPoint LocalEndPoint { get; internal set; }

    public int HostId { get; }

    public void Start(DatagramHandler handler) => _handler = handler;

    public void Send(IPEndPoint to, ReadOnlySpan<byte> datagram)
    {
        if (!_disposed) _network.Send(this, to, datagram);
    }

    internal override void Fire(in SimEvent e)
    {
        if (_disposed || _handler is null)
        {
            _network.CountUndeliverable();
            return;
        }
        _network.CountDelivered();
        _handler((IPEndPoint)e.Argument!, e.Data);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _network.Unbind(this);
    }
}

namespace Woven.Sim.Engine;

/// <summary>Something that can happen at a point of virtual time. Kept as a small struct so the queue holds no closures.</summary>
internal readonly record struct SimEvent(SimTarget Target, object? Argument, byte[]? Data, long Generation);

/// <summary>What an event acts on: a socket receiving a datagram, a timer firing, an action.</summary>
internal abstract class SimTarget
{
    internal abstract void Fire(in SimEvent e);
}

namespace Woven.Sim.Engine;

/// <summary>A timer of the virtual clock. Change and Dispose invalidate queued firings by bumping a generation.</summary>
internal sealed class SimTimer : SimTarget, ITimer
{
    private readonly SimLoop _loop;
    private readonly TimerCallback _callback;
    private readonly object? _state;
    private long _generation;
    private long _period;
    private bool _disposed;

    public SimTimer(SimLoop loop, TimerCallback callback, object? state)
    {
        _loop = loop;
        _callback = callback;
        _state = state;
    }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(dueTime));
        if (period < TimeSpan.Zero && period != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(period));
        if (_disposed) return false;
        _generation++;
        _period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
        if (dueTime != Timeout.InfiniteTimeSpan) _loop.Schedule(_loop.Now + dueTime.Ticks, this, generation: _generation);
        return true;
    }

    internal override void Fire(in SimEvent e)
    {
        if (_disposed || e.Generation != _generation) return;
        if (_period > 0) _loop.Schedule(_loop.Now + _period, this, generation: _generation);
        _callback(_state);
    }

    public void Dispose()
    {
        _disposed = true;
        _generation++;
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

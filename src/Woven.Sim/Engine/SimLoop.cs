namespace Woven.Sim.Engine;

/// <summary>
/// The discrete-event loop of a simulation, and its clock: protocol code asks this <see cref="TimeProvider"/>
/// for timestamps and timers exactly as it asks the system clock on a real network. Virtual time only moves
/// when the loop runs the next event. Single-threaded and free of static state, so simulations can run side by side.
/// </summary>
public sealed class SimLoop : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly PriorityQueue<SimEvent, EventKey> _queue = new();
    private long _now;
    private long _sequence;

    /// <summary>Virtual time since the start, in <see cref="TimeSpan"/> ticks.</summary>
    public long Now => _now;

    public TimeSpan Elapsed => TimeSpan.FromTicks(_now);

    public long EventsRun { get; private set; }

    public int Pending => _queue.Count;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now;

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(_now);

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    internal void Schedule(long at, SimTarget target, object? argument = null, byte[]? data = null, long generation = 0)
    {
        if (at < _now) at = _now;
        _queue.Enqueue(new SimEvent(target, argument, data, generation), new EventKey(at, _sequence++));
    }

    /// <summary>Runs <paramref name="action"/> at virtual time <paramref name="at"/> (ticks since start).</summary>
    public void At(long at, Action action) => Schedule(at, new ActionTarget(action));

    public void After(TimeSpan delay, Action action) => At(_now + delay.Ticks, action);

    /// <summary>Runs events up to and including virtual time <paramref name="until"/>, then sets the clock to it.</summary>
    public void RunUntil(long until)
    {
        while (_queue.TryPeek(out _, out var key) && key.Time <= until)
        {
            var e = _queue.Dequeue();
            _now = key.Time;
            EventsRun++;
            e.Target.Fire(e);
        }
        if (until > _now) _now = until;
    }

    public void RunFor(TimeSpan duration) => RunUntil(_now + duration.Ticks);

    private readonly record struct EventKey(long Time, long Sequence) : IComparable<EventKey>
    {
        public int CompareTo(EventKey other)
        {
            int c = Time.CompareTo(other.Time);
            return c != 0 ? c : Sequence.CompareTo(other.Sequence);
        }
    }

    private sealed class ActionTarget(Action action) : SimTarget
    {
        internal override void Fire(in SimEvent e) => action();
    }
}

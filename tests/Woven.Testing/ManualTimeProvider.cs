namespace Woven.Testing;

/// <summary>A clock that moves only when a test advances it; timers fire during <see cref="Advance"/>.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private long _now = TimeSpan.TicksPerSecond;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now;

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(_now);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var t = new ManualTimer(this, callback, state);
        t.Change(dueTime, period);
        _timers.Add(t);
        return t;
    }

    public void Advance(TimeSpan by)
    {
        long end = _now + by.Ticks;
        while (true)
        {
            var next = _timers.Where(t => t.Due >= 0 && t.Due <= end).OrderBy(t => t.Due).FirstOrDefault();
            if (next is null) break;
            _now = Math.Max(_now, next.Due);
            next.Fire();
        }
        _now = end;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private long _period;
        public long Due { get; private set; } = -1;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
            Due = dueTime == Timeout.InfiniteTimeSpan ? -1 : owner._now + dueTime.Ticks;
            return true;
        }

        public void Fire()
        {
            Due = _period > 0 ? Due + _period : -1;
            callback(state);
        }

        public void Dispose() => Due = -1;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

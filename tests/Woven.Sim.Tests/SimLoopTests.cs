using Woven.Sim.Engine;

namespace Woven.Sim.Tests;

public class SimLoopTests
{
    private static long Ms(double ms) => (long)(ms * TimeSpan.TicksPerMillisecond);

    [Fact]
    public void Events_run_in_time_order_whatever_the_order_they_were_scheduled_in()
    {
        var loop = new SimLoop();
        var log = new List<(string Name, long At)>();
        loop.At(Ms(30), () => log.Add(("c", loop.Now)));
        loop.At(Ms(10), () => log.Add(("a", loop.Now)));
        loop.At(Ms(20), () => log.Add(("b", loop.Now)));

        loop.RunUntil(Ms(100));

        Assert.Equal([("a", Ms(10)), ("b", Ms(20)), ("c", Ms(30))], log);
        Assert.Equal(3, loop.EventsRun);
        Assert.Equal(0, loop.Pending);
    }

    [Fact]
    public void Events_at_the_same_time_run_in_the_order_they_were_scheduled()
    {
        var loop = new SimLoop();
        var log = new List<int>();
        for (int i = 0; i < 100; i++)
        {
            int n = i;
            loop.At(Ms(5), () => log.Add(n));
        }
        // An event scheduled for "now" while the loop runs goes after those already queued for that time.
        loop.At(Ms(5), () => loop.At(loop.Now, () => log.Add(1000)));

        loop.RunUntil(Ms(5));

        Assert.Equal([.. Enumerable.Range(0, 100), 1000], log);
    }

    [Fact]
    public void RunUntil_runs_events_up_to_and_including_the_limit_then_sets_the_clock()
    {
        var loop = new SimLoop();
        var ran = new List<long>();
        loop.At(Ms(10), () => ran.Add(loop.Now));
        loop.At(Ms(20), () => ran.Add(loop.Now));
        loop.At(Ms(21), () => ran.Add(loop.Now));

        loop.RunUntil(Ms(20));
        Assert.Equal([Ms(10), Ms(20)], ran);
        Assert.Equal(Ms(20), loop.Now);
        Assert.Equal(1, loop.Pending);

        // With nothing due the clock still moves to the limit.
        loop.RunUntil(Ms(20.5));
        Assert.Equal(Ms(20.5), loop.Now);
        Assert.Equal(2, ran.Count);

        loop.RunFor(TimeSpan.FromSeconds(2));
        Assert.Equal([Ms(10), Ms(20), Ms(21)], ran);
        Assert.Equal(Ms(20.5) + 2 * TimeSpan.TicksPerSecond, loop.Now);
        Assert.Equal(TimeSpan.FromTicks(loop.Now), loop.Elapsed);

        // The clock never goes back.
        loop.RunUntil(Ms(1));
        Assert.Equal(Ms(20.5) + 2 * TimeSpan.TicksPerSecond, loop.Now);
    }

    [Fact]
    public void An_event_scheduled_in_the_past_runs_at_the_current_time()
    {
        var loop = new SimLoop();
        loop.RunUntil(Ms(50));
        long at = -1;
        loop.At(Ms(10), () => at = loop.Now);
        loop.After(TimeSpan.FromMilliseconds(-5), () => { });

        loop.RunUntil(Ms(50));

        Assert.Equal(Ms(50), at);
        Assert.Equal(0, loop.Pending);
    }

    [Fact]
    public void After_schedules_relative_to_the_current_virtual_time()
    {
        var loop = new SimLoop();
        loop.RunUntil(Ms(100));
        long at = -1;
        loop.After(TimeSpan.FromMilliseconds(250), () => at = loop.Now);

        loop.RunUntil(Ms(349));
        Assert.Equal(-1, at);
        loop.RunUntil(Ms(350));
        Assert.Equal(Ms(350), at);
    }

    [Fact]
    public void A_timer_fires_at_its_due_time_and_then_every_period()
    {
        var loop = new SimLoop();
        TimeProvider time = loop;
        var fired = new List<long>();
        object state = new();
        object? seen = null;
        using var timer = time.CreateTimer(s => { seen = s; fired.Add(loop.Now); }, state, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500));

        loop.RunUntil(Ms(999));
        Assert.Empty(fired);

        loop.RunUntil(Ms(3000));
        Assert.Equal([Ms(1000), Ms(1500), Ms(2000), Ms(2500), Ms(3000)], fired);
        Assert.Same(state, seen);
    }

    [Fact]
    public void A_timer_without_a_period_fires_once()
    {
        var loop = new SimLoop();
        int count = 0;
        using var infinite = loop.CreateTimer(_ => count++, null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        using var zero = loop.CreateTimer(_ => count += 100, null, TimeSpan.FromMilliseconds(20), TimeSpan.Zero);

        loop.RunFor(TimeSpan.FromSeconds(10));

        Assert.Equal(101, count);
        Assert.Equal(0, loop.Pending);
    }

    [Fact]
    public void A_timer_with_an_infinite_due_time_does_not_fire()
    {
        var loop = new SimLoop();
        int count = 0;
        using var timer = loop.CreateTimer(_ => count++, null, Timeout.InfiniteTimeSpan, TimeSpan.FromMilliseconds(10));

        loop.RunFor(TimeSpan.FromSeconds(1));

        Assert.Equal(0, count);
    }

    [Fact]
    public void Change_cancels_queued_firings_and_reschedules_from_now()
    {
        var loop = new SimLoop();
        var fired = new List<long>();
        using var timer = loop.CreateTimer(_ => fired.Add(loop.Now), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        loop.RunUntil(Ms(1500));
        Assert.Equal([Ms(1000)], fired);

        // Queued firing at 2 s is dropped; the timer now fires at 1.8 s, then every 300 ms.
        Assert.True(timer.Change(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(300)));
        loop.RunUntil(Ms(2500));
        Assert.Equal([Ms(1000), Ms(1800), Ms(2100), Ms(2400)], fired);

        // Stopping the timer with Change(Infinite, Infinite) cancels everything queued.
        Assert.True(timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        loop.RunUntil(Ms(10_000));
        Assert.Equal(4, fired.Count);

        // ... and it can be started again.
        Assert.True(timer.Change(TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan));
        loop.RunUntil(Ms(20_000));
        Assert.Equal([Ms(1000), Ms(1800), Ms(2100), Ms(2400), Ms(10_100)], fired);
    }

    [Fact]
    public void Change_from_inside_the_callback_replaces_the_period()
    {
        var loop = new SimLoop();
        var fired = new List<long>();
        ITimer? timer = null;
        timer = loop.CreateTimer(_ =>
        {
            fired.Add(loop.Now);
            if (fired.Count == 2) timer!.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }, null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));

        loop.RunUntil(Ms(3200));
        timer.Dispose();

        Assert.Equal([Ms(100), Ms(200), Ms(1200), Ms(2200), Ms(3200)], fired);
    }

    [Fact]
    public void Dispose_cancels_queued_firings_and_later_changes()
    {
        var loop = new SimLoop();
        int count = 0;
        var timer = loop.CreateTimer(_ => count++, null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
        loop.RunUntil(Ms(250));
        Assert.Equal(2, count);

        timer.Dispose();
        loop.RunUntil(Ms(5000));
        Assert.Equal(2, count);

        Assert.False(timer.Change(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1)));
        loop.RunUntil(Ms(10_000));
        Assert.Equal(2, count);
        Assert.Equal(0, loop.Pending);
    }

    [Fact]
    public async Task DisposeAsync_cancels_like_Dispose()
    {
        var loop = new SimLoop();
        int count = 0;
        var timer = loop.CreateTimer(_ => count++, null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
        await timer.DisposeAsync();

        loop.RunFor(TimeSpan.FromSeconds(1));

        Assert.Equal(0, count);
    }

    [Fact]
    public void A_timer_disposed_from_its_own_callback_stops()
    {
        var loop = new SimLoop();
        int count = 0;
        ITimer? timer = null;
        timer = loop.CreateTimer(_ =>
        {
            if (++count == 3) timer!.Dispose();
        }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(10));

        loop.RunFor(TimeSpan.FromSeconds(1));

        Assert.Equal(3, count);
    }

    [Fact]
    public void Timestamps_follow_virtual_time()
    {
        var loop = new SimLoop();
        TimeProvider time = loop;
        Assert.Equal(TimeSpan.TicksPerSecond, time.TimestampFrequency);
        Assert.Equal(0, time.GetTimestamp());
        var utc0 = time.GetUtcNow();
        Assert.Equal(TimeZoneInfo.Utc, time.LocalTimeZone);

        long start = time.GetTimestamp();
        long inside = -1;
        loop.After(TimeSpan.FromMilliseconds(1234), () => inside = time.GetTimestamp());
        loop.RunFor(TimeSpan.FromSeconds(3));

        Assert.Equal(Ms(1234), inside);
        Assert.Equal(loop.Now, time.GetTimestamp());
        Assert.Equal(TimeSpan.FromSeconds(3), time.GetElapsedTime(start));
        Assert.Equal(TimeSpan.FromMilliseconds(1234), time.GetElapsedTime(start, inside));
        Assert.Equal(TimeSpan.FromSeconds(3), time.GetUtcNow() - utc0);
        Assert.Equal(TimeSpan.Zero, time.GetUtcNow().Offset);
    }

    [Fact]
    public void Timestamps_do_not_move_while_an_event_runs()
    {
        var loop = new SimLoop();
        var seen = new List<long>();
        loop.At(Ms(7), () =>
        {
            seen.Add(loop.GetTimestamp());
            Thread.SpinWait(1000);
            seen.Add(loop.GetTimestamp());
        });

        loop.RunFor(TimeSpan.FromSeconds(1));

        Assert.Equal([Ms(7), Ms(7)], seen);
    }

    [Fact]
    public void Loops_are_independent()
    {
        var a = new SimLoop();
        var b = new SimLoop();
        int ranA = 0, ranB = 0;
        a.At(Ms(10), () => ranA++);
        b.At(Ms(10), () => ranB++);

        a.RunUntil(Ms(100));

        Assert.Equal((1, 0), (ranA, ranB));
        Assert.Equal(0, b.Now);
        Assert.Equal(1, b.Pending);
    }
}

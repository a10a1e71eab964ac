using Woven.Crypto.Noise;

namespace Woven.Core.Tests;

public class NoiseReplayWindowTests
{
    [Fact]
    public void Counters_in_order_are_each_accepted_once()
    {
        var w = new ReplayWindow();
        for (ulong c = 0; c < 20_000; c++)
        {
            Assert.True(w.IsAcceptable(c));
            Assert.True(w.TryAccept(c));
            Assert.False(w.TryAccept(c));
        }
        Assert.Equal(19_999UL, w.Highest);
    }

    [Fact]
    public void Counters_out_of_order_within_the_window_are_accepted()
    {
        var w = new ReplayWindow();
        Assert.True(w.TryAccept(100));
        Assert.True(w.TryAccept(50));
        Assert.True(w.TryAccept(99));
        Assert.True(w.TryAccept(0));
        Assert.True(w.TryAccept(101));
        Assert.True(w.TryAccept(63));
        Assert.True(w.TryAccept(64));
        Assert.Equal(101UL, w.Highest);
    }

    [Fact]
    public void Duplicates_are_rejected_wherever_they_fall()
    {
        var w = new ReplayWindow();
        foreach (ulong c in new ulong[] { 0, 5, 3, 1000, 999, 70 }) Assert.True(w.TryAccept(c));
        foreach (ulong c in new ulong[] { 0, 5, 3, 1000, 999, 70 })
        {
            Assert.False(w.IsAcceptable(c));
            Assert.False(w.TryAccept(c));
        }
    }

    [Fact]
    public void Counters_more_than_a_window_behind_are_too_old()
    {
        var w = new ReplayWindow();
        ulong top = ReplayWindow.WindowSize + 100;
        Assert.True(w.TryAccept(top));
        Assert.False(w.TryAccept(top - ReplayWindow.WindowSize - 1));
        Assert.False(w.TryAccept(0));
        Assert.True(w.TryAccept(top - ReplayWindow.WindowSize)); // exactly a window behind is still in
        Assert.False(w.TryAccept(top - ReplayWindow.WindowSize));
    }

    [Fact]
    public void The_window_is_at_least_2048_bits()
    {
        Assert.True(ReplayWindow.WindowSize >= 2048);
    }

    [Fact]
    public void A_far_future_counter_is_accepted_and_slides_the_window()
    {
        var w = new ReplayWindow();
        for (ulong c = 0; c < 10; c++) Assert.True(w.TryAccept(c));
        ulong far = 1_000_000_000;
        Assert.True(w.TryAccept(far));
        Assert.Equal(far, w.Highest);
        Assert.False(w.TryAccept(5));                              // far behind now
        Assert.True(w.TryAccept(far - 1));                         // just behind: never seen
        Assert.True(w.TryAccept(far - ReplayWindow.WindowSize));   // the whole window is fresh
        Assert.False(w.TryAccept(far));
    }

    [Fact]
    public void Sliding_by_one_ring_lap_clears_the_bits_of_the_previous_lap()
    {
        // Counter c and c + 8192 share a bit position in the ring; the second must not look like a replay.
        var w = new ReplayWindow();
        Assert.True(w.TryAccept(7));
        Assert.True(w.TryAccept(7 + 8192));
        Assert.True(w.TryAccept(7 + 2 * 8192));
        Assert.True(w.TryAccept(7 + 2 * 8192 - 1));
    }

    [Fact]
    public void IsAcceptable_changes_nothing()
    {
        var w = new ReplayWindow();
        Assert.True(w.TryAccept(10));
        Assert.True(w.IsAcceptable(1_000_000));
        Assert.Equal(10UL, w.Highest);
        Assert.True(w.TryAccept(9));
    }

    [Fact]
    public void Counters_up_to_the_top_of_the_range_work()
    {
        var w = new ReplayWindow();
        Assert.True(w.TryAccept(ulong.MaxValue - 1));
        Assert.True(w.TryAccept(ulong.MaxValue));
        Assert.False(w.TryAccept(ulong.MaxValue));
        Assert.True(w.TryAccept(ulong.MaxValue - 100));
        Assert.False(w.TryAccept(0));
    }

    [Fact]
    public void Reset_forgets_everything()
    {
        var w = new ReplayWindow();
        Assert.True(w.TryAccept(0));
        Assert.True(w.TryAccept(12345));
        w.Reset();
        Assert.Equal(0UL, w.Highest);
        Assert.True(w.TryAccept(12345));
        w.Reset();
        Assert.True(w.TryAccept(0));
    }

    [Fact]
    public void A_seeded_random_walk_agrees_with_a_set_based_model()
    {
        // The model: accepted iff never seen and not more than WindowSize behind the highest accepted counter.
        var rng = new Random(6479);
        var w = new ReplayWindow();
        var seen = new HashSet<ulong>();
        ulong highest = 0;
        ulong cursor = 0;
        for (int step = 0; step < 200_000; step++)
        {
            ulong counter = rng.Next(10) switch
            {
                0 => cursor + (ulong)rng.Next(1, 30_000),               // jump ahead, sometimes past a whole ring
                1 or 2 => cursor - Math.Min(cursor, (ulong)rng.Next(0, 9_000)), // reach back around the window edge
                3 => highest,                                            // replay the newest
                _ => cursor + (ulong)rng.Next(0, 3),                     // mostly in order
            };
            bool expected = !seen.Contains(counter) && (counter > highest || highest - counter <= ReplayWindow.WindowSize);
            Assert.Equal(expected, w.IsAcceptable(counter));
            Assert.Equal(expected, w.TryAccept(counter));
            if (expected)
            {
                seen.Add(counter);
                if (counter > highest) highest = counter;
            }
            cursor = Math.Max(cursor, counter);
            if (seen.Count > 50_000) seen.RemoveWhere(c => highest - c > ReplayWindow.WindowSize);
        }
    }
}

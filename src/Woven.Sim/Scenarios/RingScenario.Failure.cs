namespace Woven.Sim.Scenarios;

public sealed partial class RingScenario
{
    /// <summary>
    /// Crashes a fraction of the live nodes at once, then each virtual second checks the ring; once it is correct,
    /// batches of sampled routes are sent until one batch is delivered completely.
    /// </summary>
    private RingReport RunFailure(RingReport report)
    {
        _phase = "failure";
        var live = _nodes.Where(x => x.Alive).ToList();
        int kill = (int)Math.Round(live.Count * _options.FailFraction);
        for (int i = 0; i < kill; i++)
        {
            int j = _random.Next(i, live.Count);
            (live[i], live[j]) = (live[j], live[i]);
            live[i].Failed = true;
            live[i].Overlay.Dispose();
        }
        long failedAt = _loop.Now;
        double? ringAt = null, routesAt = null;
        List<ProbeRecord>? batch = null;
        long batchAt = 0;
        double lastSuccess = 0;
        int batchSize = Math.Min(500, Math.Max(100, _options.RouteSamples / 4));
        while (_loop.Now - failedAt < _options.FailureWindow.Ticks)
        {
            RunFor(TimeSpan.FromSeconds(1));
            if (batch is not null && _loop.Now - batchAt >= 5 * TimeSpan.TicksPerSecond)
            {
                lastSuccess = Summarize(batch).Success;
                if (lastSuccess >= 1.0)
                {
                    routesAt = (batchAt - failedAt) / (double)TimeSpan.TicksPerSecond;
                    break;
                }
                batch = null;
            }
            var (correct, _) = CheckRing();
            if (correct && ringAt is null) ringAt = (_loop.Now - failedAt) / (double)TimeSpan.TicksPerSecond;
            if (correct && batch is null)
            {
                batchAt = _loop.Now;
                batch = SampleRoutes(batchSize, TimeSpan.FromMilliseconds(500));
            }
        }
        return report with
        {
            FailedNodes = kill,
            RecoveredRingS = ringAt,
            RecoveredRoutesS = routesAt,
            RouteSuccessAfterFailure = lastSuccess,
        };
    }
}

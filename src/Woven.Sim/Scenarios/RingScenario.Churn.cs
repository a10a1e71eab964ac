namespace Woven.Sim.Scenarios;

public sealed partial class RingScenario
{
    /// <summary>
    /// Churn: every live node's session is exponentially distributed with the given median; when it ends the node
    /// crashes or leaves (alternately) and a new node joins in its place through a random live node, so the network
    /// keeps its size. Every 10 virtual seconds routes between nodes that have been up for 10 s are sampled and the
    /// ring is checked; a route counts when its destination is still alive when the probe is judged.
    /// </summary>
    private RingReport RunChurn(RingReport report)
    {
        _phase = "churn";
        double lambda = Math.Log(2) / _options.ChurnMedian.TotalSeconds;
        long start = _loop.Now;
        long end = start + _options.ChurnDuration.Ticks;
        int deaths = 0;
        bool graceful = false;
        void ScheduleDeath(SimNode node)
        {
            double session = -Math.Log(1 - _random.NextDouble()) / lambda;
            long at = _loop.Now + (long)(session * TimeSpan.TicksPerSecond);
            if (at >= end) return;
            _loop.At(at, () =>
            {
                if (!node.Alive) return;
                node.Failed = true;
                if (graceful) node.Overlay.Leave();
                else node.Overlay.Dispose();
                graceful = !graceful;
                deaths++;
                var fresh = CreateNode(_nodes.Count);
                _nodes.Add(fresh);
                var live = _nodes.Where(x => x.Alive && SameSide(x, fresh)).ToList();
                StartNode(fresh, live[_random.Next(live.Count)]);
                ScheduleDeath(fresh);
            });
        }
        if (_options.ChurnMedian > TimeSpan.Zero)
        {
            foreach (var node in _nodes.Where(x => x.Alive && !x.IsClient).ToList()) ScheduleDeath(node);
        }
        if (_options.DhtClients > 0) StartDhtWorkload(end);

        var batches = new List<(List<ProbeRecord> Probes, long At)>();
        var ringWrong = new List<double>();
        while (_loop.Now < end)
        {
            RunFor(TimeSpan.FromSeconds(10));
            var (_, wrong) = CheckRing();
            ringWrong.Add(wrong / (double)Math.Max(1, _nodes.Count(x => x.Alive)));
            var settled = _nodes.Where(x => x.Alive && _loop.Now - x.JoinStart > 10 * TimeSpan.TicksPerSecond).ToList();
            batches.Add((SampleRoutesAmong(settled, 200, TimeSpan.FromSeconds(1)), _loop.Now));
        }
        RunFor(TimeSpan.FromSeconds(5));
        int judged = 0, delivered = 0;
        foreach (var (probes, _) in batches)
        {
            foreach (var p in probes)
            {
                if (!_nodes[p.Destination].Alive && !p.Delivered) continue; // the destination left: nobody to deliver to
                judged++;
                if (p.Delivered) delivered++;
            }
        }
        if (_options.DhtClients > 0) report = FinishDhtWorkload(report);
        return report with
        {
            ChurnMedianS = _options.ChurnMedian > TimeSpan.Zero ? _options.ChurnMedian.TotalSeconds : null,
            ChurnDurationS = _options.ChurnDuration.TotalSeconds,
            ChurnDeparted = deaths,
            ChurnRouteSuccess = judged == 0 ? null : Math.Round(delivered / (double)judged, 5),
            ChurnRoutesJudged = judged,
            ChurnRingWrongMean = ringWrong.Count == 0 ? null : Math.Round(ringWrong.Average(), 5),
        };
    }

    private List<ProbeRecord> SampleRoutesAmong(List<SimNode> candidates, int count, TimeSpan spread)
    {
        var records = new List<ProbeRecord>(count);
        if (candidates.Count < 2) return records;
        for (int i = 0; i < count; i++)
        {
            var a = candidates[_random.Next(candidates.Count)];
            SimNode b;
            do b = candidates[_random.Next(candidates.Count)]; while (ReferenceEquals(a, b));
            long at = _loop.Now + (long)(spread.Ticks * (i / (double)count));
            _loop.At(at, () =>
            {
                if (a.Alive) records.Add(SendProbe(a, b, join: false));
            });
        }
        return records;
    }
}

using Woven.Wire;

namespace Woven.Overlay;

/// <summary>Counters of one overlay node. Read them through <see cref="Snapshot"/>, which copies under the node's lock.</summary>
public sealed class OverlayCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];

    public long DatagramsIn { get; internal set; }
    public long DatagramsOut { get; internal set; }
    public long BytesIn { get; internal set; }
    public long BytesOut { get; internal set; }
    public long MaintenanceSent { get; internal set; }
    public long RoutedForwarded { get; internal set; }
    public long RoutedDelivered { get; internal set; }
    public long LinksFailed { get; internal set; }
    public long StunAnswered { get; internal set; }
    /// <summary>Times the host's addresses changed under the node (it moved).</summary>
    public long NetworkChanges { get; internal set; }
    public long HandshakesCompleted { get; internal set; }
    public long HandshakesRefused { get; internal set; }
    public long CookiesSent { get; internal set; }

    public long Dropped(DropReason reason) => _drops[(int)reason];

    public long DroppedTotal => _drops.Sum();

    internal void Drop(DropReason reason) => _drops[(int)reason]++;

    public OverlayCounters Snapshot()
    {
        var copy = new OverlayCounters
        {
            DatagramsIn = DatagramsIn,
            DatagramsOut = DatagramsOut,
            BytesIn = BytesIn,
            BytesOut = BytesOut,
            MaintenanceSent = MaintenanceSent,
            RoutedForwarded = RoutedForwarded,
            RoutedDelivered = RoutedDelivered,
            LinksFailed = LinksFailed,
            StunAnswered = StunAnswered,
            NetworkChanges = NetworkChanges,
            HandshakesCompleted = HandshakesCompleted,
            HandshakesRefused = HandshakesRefused,
            CookiesSent = CookiesSent,
        };
        _drops.CopyTo(copy._drops, 0);
        return copy;
    }

    /// <summary>Drop counts by reason name (snake case), for reports and the control API.</summary>
    public IReadOnlyDictionary<string, long> DropsByReason()
    {
        var d = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            if (reason == DropReason.None) continue;
            d[ToSnake(reason.ToString())] = _drops[(int)reason];
        }
        return d;
    }

    private static string ToSnake(string name)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}

using Woven.Addressing;
using Woven.Wire;

namespace Woven.Messaging;

public sealed partial class MessageService
{
    private sealed class Member(RingAddress address)
    {
        public RingAddress Address { get; } = address;
        public string Name { get; set; } = "";
        public ulong Epoch { get; set; }
        public long LastSeen { get; set; } = long.MinValue;
        public long LastHeard { get; set; } = long.MinValue;
        public bool Online { get; set; }
    }

    /// <summary>Members heard of; bounded, the longest silent are forgotten first.</summary>
    private const int MaxMembers = 4096;

    private readonly Dictionary<RingAddress, Member> _members = [];
    private readonly List<RingAddress> _linked = [];
    private readonly HashSet<RingAddress> _greeted = [];
    private long _nextBeacon;
    private int _gossipOffset;

    /// <summary>A member came online, went offline, or was heard of for the first time (called under the overlay's lock).</summary>
    public event Action<PresenceEntry>? PresenceChanged;

    private void InitPresence() => _nextBeacon = _time.GetTimestamp();

    /// <summary>Every member heard of, this node first (always online while it runs).</summary>
    public IReadOnlyList<PresenceEntry> Presence() => _overlay.Invoke(() =>
    {
        long now = _time.GetTimestamp();
        var list = new List<PresenceEntry> { new(Address, _options.Name, !_stopped, _time.GetUtcNow(), true, true) };
        list.AddRange(_members.Values.OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Address).Select(m => Entry(m, now)));
        return list;
    });

    /// <summary>The member named <paramref name="name"/> (any case), online ones first; null when none is known.</summary>
    public RingAddress? FindByName(string name) => _overlay.Invoke(() =>
        _members.Values.Where(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(m => m.Online).ThenByDescending(m => m.LastSeen).Select(m => (RingAddress?)m.Address).FirstOrDefault());

    /// <summary>The name a member gave itself in its beacons; null when it was never heard of.</summary>
    public string? NameOf(RingAddress address) => _overlay.Invoke(() => _members.TryGetValue(address, out var m) && m.Name.Length > 0 ? m.Name : null);

    /// <summary>Tells every linked peer that this node is leaving (call before the overlay leaves).</summary>
    public void Leave() => _overlay.Invoke(() =>
    {
        if (!_stopped) SendBeacons(_time.GetTimestamp(), leaving: true);
    });

    private PresenceEntry Entry(Member m, long now) =>
        new(m.Address, m.Name, m.Online, _time.GetUtcNow() - TimeSpan.FromSeconds((now - m.LastSeen) / (double)_frequency),
            now - m.LastHeard < Ticks(_options.OfflineAfter), false);

    private void OnTick(long now)
    {
        if (_stopped) return;
        if (now >= _nextBeacon)
        {
            // A node without links yet (just started) beacons as soon as it has one, not a whole interval later.
            _nextBeacon = now + (SendBeacons(now, leaving: false) ? Ticks(_options.BeaconInterval) : Ticks(_options.BeaconInterval) / 10);
        }
        GreetNewPeers(now);
        long offline = Ticks(_options.OfflineAfter);
        foreach (var m in _members.Values)
        {
            if (m.Online && now - m.LastSeen >= offline) SetOnline(m, false, now);
        }
    }

    private bool SendBeacons(long now, bool leaving)
    {
        _overlay.CopyPeerAddresses(_linked);
        if (_linked.Count == 0 || !TryWriteBeacon(now, leaving, out int n)) return false;
        foreach (var p in _linked)
        {
            Counters.BeaconsSent++;
            _overlay.SendSecure(p, RoutedPayloadType.Message, _frame.AsSpan(0, n));
            _greeted.Add(p);
        }
        return true;
    }

    /// <summary>A peer linked since the last round of beacons gets one now: it learns this node's name (and answers with
    /// its own) when the link comes up, not up to a beacon interval later.</summary>
    private void GreetNewPeers(long now)
    {
        _overlay.CopyPeerAddresses(_linked);
        foreach (var p in _linked)
        {
            if (!_greeted.Contains(p)) AnswerBeacon(p, now);
        }
        // Only the peers linked now: one that comes back after its link was lost is greeted again.
        _greeted.Clear();
        _greeted.UnionWith(_linked);
    }

    /// <summary>Answers a member heard from for the first time (or restarted) at once, so that it knows this node's name
    /// before the next round of beacons; only then, so that two nodes never keep answering each other.</summary>
    private void AnswerBeacon(RingAddress to, long now)
    {
        if (!TryWriteBeacon(now, leaving: false, out int n)) return;
        Counters.BeaconsSent++;
        _overlay.SendSecure(to, RoutedPayloadType.Message, _frame.AsSpan(0, n));
    }

    private bool TryWriteBeacon(long now, bool leaving, out int n)
    {
        // Gossip what fits, starting at a rotating point so that every member is told about in turn.
        int room = MessageFrame.MaxSize - PresenceBeacon.FixedSize - System.Text.Encoding.UTF8.GetByteCount(_options.Name);
        var known = _members.Values.Where(m => now - m.LastSeen < 4 * Ticks(_options.OfflineAfter)).ToList();
        var gossip = new List<PresenceGossip>();
        for (int i = 0; i < known.Count && gossip.Count < byte.MaxValue; i++)
        {
            var m = known[(i + _gossipOffset) % known.Count];
            int size = PresenceBeacon.EntrySize(m.Name);
            if (size > room) break;
            room -= size;
            gossip.Add(new PresenceGossip(m.Address, m.Online, (uint)Math.Min(uint.MaxValue, (now - m.LastSeen) * 1000 / _frequency), m.Name));
        }
        _gossipOffset += gossip.Count;
        return new PresenceBeacon(Epoch, leaving, _options.Name, gossip).TryWrite(_frame, out n);
    }

    private Member? MemberOf(RingAddress address, long now)
    {
        if (_members.TryGetValue(address, out var m)) return m;
        if (_members.Count >= MaxMembers)
        {
            var oldest = _members.Values.MinBy(x => x.LastSeen)!;
            if (oldest.Online) return null;
            _members.Remove(oldest.Address);
        }
        m = new Member(address);
        _members[address] = m;
        return m;
    }

    private void OnBeacon(RingAddress from, PresenceBeacon beacon, long now)
    {
        Counters.BeaconsReceived++;
        if (MemberOf(from, now) is not { } m) return;
        bool isNew = m.Epoch == 0 && m.LastSeen == long.MinValue;
        bool firstOfEpoch = m.Epoch != beacon.SenderEpoch;
        // A new epoch: the peer restarted. What was in flight to its earlier self goes again now, not after a timeout.
        if (_sessions.TryGetValue(from, out var s) && s.PeerEpoch != 0 && s.PeerEpoch != beacon.SenderEpoch) PeerRestarted(s, beacon.SenderEpoch, now);
        m.Epoch = beacon.SenderEpoch;
        m.Name = beacon.Name;
        m.LastSeen = m.LastHeard = now;
        if (isNew && beacon.Leaving) PresenceChanged?.Invoke(Entry(m, now));
        SetOnline(m, !beacon.Leaving, now);
        if (firstOfEpoch && !beacon.Leaving && !_stopped) AnswerBeacon(from, now);
        long offline = Ticks(_options.OfflineAfter);
        foreach (var g in beacon.Gossip)
        {
            if (g.Address == Address || g.Address == from) continue;
            long seen = now - g.AgeMs * _frequency / 1000;
            if (_members.TryGetValue(g.Address, out var known) && seen <= known.LastSeen) continue;
            if (MemberOf(g.Address, now) is not { } gm) continue;
            bool first = gm.LastSeen == long.MinValue;
            gm.LastSeen = seen;
            if (g.Name.Length > 0) gm.Name = g.Name;
            bool online = g.Online && now - seen < offline;
            if (first && !online) PresenceChanged?.Invoke(Entry(gm, now));
            SetOnline(gm, online, now);
        }
    }

    private void SetOnline(Member m, bool online, long now)
    {
        if (m.Online == online) return;
        m.Online = online;
        PresenceChanged?.Invoke(Entry(m, now));
    }
}

using System.Text;
using Woven.Addressing;
using Woven.Overlay;
using Woven.Wire;

namespace Woven.Messaging;

/// <summary>
/// Peer messaging in the manner of SPM: messages on topics between members, reliable and in order, with
/// request/response and presence. Frames travel as <see cref="RoutedPayloadType.Message"/> payloads over this node's
/// own link with the peer (<see cref="OverlayNode.SendSecure"/>: a direct link, or a relayed one whose tunnels are
/// sealed end to end), so a frame's source is authenticated and routers read nothing.
/// <para>
/// Per peer, each direction is one stream of numbered frames with a random stream epoch: a window of
/// <see cref="MessagingOptions.Window"/> frames in flight, cumulative and selective acknowledgements, retransmission
/// after an RTO estimated as in RFC 6298 (doubled on each timeout), fast retransmission of a frame three later frames
/// overtook, and duplicate suppression. Messages are delivered in the order they were sent by their sender, across all
/// topics (so also in order per sender and topic). A message up to <see cref="MaxMessageSize"/> is cut into fragments of
/// consecutive frames. Each service has an epoch, random per start: a peer that restarted is noticed by its new epoch,
/// and what was in flight to its earlier self is sent again to the new one.
/// </para>
/// Everything runs under the overlay's lock, like every overlay service; callbacks are called under it too and must be quick.
/// </summary>
public sealed partial class MessageService : IDisposable
{
    /// <summary>The largest message: 1 MiB.</summary>
    public const int MaxMessageSize = 1 << 20;

    /// <summary>Peers with a session at once; frames from more are dropped.</summary>
    public const int MaxPeers = 4096;

    private readonly OverlayNode _overlay;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly MessagingOptions _options;
    private readonly long _frequency;
    private readonly Dictionary<RingAddress, PeerSession> _sessions = [];
    private readonly List<(string? Topic, Action<ReceivedMessage> Handler)> _subscriptions = [];
    private readonly Dictionary<(RingAddress Peer, uint Id), (Action<ReceivedMessage?> Done, long Deadline)> _requests = [];
    private readonly byte[] _frame = new byte[MessageFrame.MaxSize];
    private readonly ITimer _timer;
    private long _armedFor = long.MaxValue;
    private uint _nextRequestId = 1;
    private bool _stopped;

    public MessageService(OverlayNode overlay, TimeProvider time, Random random, MessagingOptions? options = null)
    {
        _options = options ?? new MessagingOptions();
        var errors = _options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _overlay = overlay;
        _time = time;
        _random = random;
        _frequency = time.TimestampFrequency;
        Epoch = NewEpoch();
        _timer = time.CreateTimer(static s => ((MessageService)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        InitPresence();
        overlay.AttachService(RoutedPayloadType.Message, OnFrame, OnTick);
    }

    /// <summary>This service's epoch: random and nonzero, new at every start.</summary>
    public ulong Epoch { get; }

    public RingAddress Address => _overlay.Address;

    public MessagingCounters Counters { get; } = new();

    private ulong NewEpoch()
    {
        ulong e;
        do e = (ulong)_random.NextInt64() ^ ((ulong)_random.Next() << 63); while (e == 0);
        return e;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _frequency);

    /// <summary>Checks a send's arguments; the error names what is wrong, or null.</summary>
    public string? Check(RingAddress to, string topic, int length)
    {
        if (!MessageFrame.IsValidTopic(topic, out var error)) return $"topic: {error}";
        if (length > MaxMessageSize) return $"message: {length} bytes is over the limit of {MaxMessageSize} (1 MiB)";
        if (to == _overlay.Address) return "peer: that is this node itself";
        return null;
    }

    /// <summary>
    /// Queues a message for <paramref name="to"/>; <paramref name="done"/> is called with true once every fragment is
    /// acknowledged, false when the peer stays unreachable. Returns false (and never calls <paramref name="done"/>) when
    /// the service stopped, too many messages wait for the peer, or too many peers have sessions.
    /// </summary>
    /// <exception cref="ArgumentException">A bad topic, a message over <see cref="MaxMessageSize"/>, or this node itself.</exception>
    public bool Send(RingAddress to, string topic, ReadOnlySpan<byte> data, Action<bool>? done = null) =>
        Enqueue(to, topic, data.ToArray(), MessageKind.Message, 0, done);

    /// <summary>Sends a message and completes with whether it was acknowledged (false also when it could not be queued).</summary>
    public Task<bool> SendAsync(RingAddress to, string topic, byte[] data)
    {
        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Enqueue(to, topic, data, MessageKind.Message, 0, ok => completion.TrySetResult(ok))) completion.TrySetResult(false);
        return completion.Task;
    }

    /// <summary>Sends a request; <paramref name="done"/> gets the response, or null after <paramref name="timeout"/> or when the peer is unreachable.</summary>
    /// <exception cref="ArgumentException">A bad topic, a request over <see cref="MaxMessageSize"/>, or this node itself.</exception>
    public void Request(RingAddress to, string topic, byte[] data, TimeSpan timeout, Action<ReceivedMessage?> done) => _overlay.Invoke(() =>
    {
        var error = Check(to, topic, data.Length);
        if (error is not null) throw new ArgumentException(error);
        uint id = _nextRequestId++;
        if (_nextRequestId == 0) _nextRequestId = 1;
        _requests[(to, id)] = (done, _time.GetTimestamp() + Ticks(timeout));
        Arm(_time.GetTimestamp() + Ticks(timeout));
        bool queued = Enqueue(to, topic, data, MessageKind.Request, id, ok =>
        {
            if (!ok && _requests.Remove((to, id), out var r)) r.Done(null);
        });
        if (!queued && _requests.Remove((to, id), out var pending)) pending.Done(null);
    });

    public Task<ReceivedMessage?> RequestAsync(RingAddress to, string topic, byte[] data, TimeSpan timeout)
    {
        var completion = new TaskCompletionSource<ReceivedMessage?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Request(to, topic, data, timeout, r => completion.TrySetResult(r));
        return completion.Task;
    }

    /// <summary>Answers a request (a message of kind <see cref="MessageKind.Request"/>) on its topic.</summary>
    public bool Reply(ReceivedMessage request, ReadOnlySpan<byte> data)
    {
        if (request.Kind != MessageKind.Request) throw new ArgumentException("only a request can be answered", nameof(request));
        return Enqueue(request.From, request.Topic, data.ToArray(), MessageKind.Response, request.RequestId, null);
    }

    /// <summary>
    /// Calls <paramref name="handler"/> (under the overlay's lock) for every message and request on <paramref name="topic"/>
    /// (null: every topic). Responses go to their requests, never here. Dispose the result to stop.
    /// </summary>
    public IDisposable Subscribe(string? topic, Action<ReceivedMessage> handler)
    {
        if (topic is not null && !MessageFrame.IsValidTopic(topic, out var error)) throw new ArgumentException($"topic: {error}", nameof(topic));
        var entry = (topic, handler);
        _overlay.Invoke(() => _subscriptions.Add(entry));
        return new Unsubscriber(() => _overlay.Invoke(() => _subscriptions.Remove(entry)));
    }

    private sealed class Unsubscriber(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }

    /// <summary>One peer's session as <see cref="Status"/> shows it.</summary>
    public sealed record SessionInfo(RingAddress Peer, int InFlight, int QueuedMessages, long QueuedBytes, double? SrttMs, double RtoMs, uint NextSequence, uint Expected);

    /// <summary>Counters and sessions, copied under the lock.</summary>
    public (MessagingCounters Counters, IReadOnlyList<SessionInfo> Sessions) Status() => _overlay.Invoke(() =>
        (Counters.Copy(), (IReadOnlyList<SessionInfo>)_sessions.Values.Select(s => new SessionInfo(s.Peer, s.InFlight, s.Pending.Count, s.QueuedBytes,
            s.HasRtt ? Math.Round(s.Srtt / _frequency * 1000, 3) : null, Math.Round(s.Rto * 1000.0 / _frequency, 3), s.NextSequence, s.Expected)).ToList()));

    private bool Enqueue(RingAddress to, string topic, byte[] data, MessageKind kind, uint requestId, Action<bool>? done) => _overlay.Invoke(() =>
    {
        var error = Check(to, topic, data.Length);
        if (error is not null) throw new ArgumentException(error);
        if (_stopped) return false;
        var s = Session(to);
        if (s is null || s.QueuedBytes + data.Length > _options.MaxQueuedBytes) return false;
        s.Pending.AddLast(new OutMessage(topic, Encoding.UTF8.GetBytes(topic), data, kind, requestId, done));
        s.QueuedBytes += data.Length;
        Counters.MessagesSent++;
        Pump(s, _time.GetTimestamp());
        return true;
    });

    private PeerSession? Session(RingAddress peer)
    {
        if (_sessions.TryGetValue(peer, out var s)) return s;
        if (_sessions.Count >= MaxPeers) return null;
        s = new PeerSession(peer, NewEpoch(), Ticks(_options.InitialRto));
        _sessions[peer] = s;
        return s;
    }

    private void OnFrame(in Routed header, ReadOnlySpan<byte> payload, bool fromSource)
    {
        if (_stopped) return;
        Counters.FramesReceived++;
        // Only frames over the sender's own link: there the source is authenticated, on the ring it is only claimed.
        if (!fromSource)
        {
            Counters.Malformed++;
            return;
        }
        long now = _time.GetTimestamp();
        switch (MessageFrame.KindOf(payload))
        {
            case MessageFrameKind.Data when DataFrame.TryRead(payload, out var data):
                if (Session(header.Source) is { } s) OnData(s, data, payload, now);
                else Counters.OutOfWindow++;
                break;
            case MessageFrameKind.Ack when AckFrame.TryRead(payload, out var ack):
                Counters.AcksReceived++;
                if (_sessions.TryGetValue(header.Source, out var acked)) OnAck(acked, ack, now);
                else Counters.Stale++;
                break;
            case MessageFrameKind.Beacon when PresenceBeacon.TryRead(payload, out var beacon):
                OnBeacon(header.Source, beacon!, now);
                break;
            default:
                Counters.Malformed++;
                break;
        }
    }

    private void Arm(long due)
    {
        if (_stopped || due >= _armedFor) return;
        _armedFor = due;
        long delay = Math.Max(0, due - _time.GetTimestamp());
        _timer.Change(TimeSpan.FromSeconds(delay / (double)_frequency), Timeout.InfiniteTimeSpan);
    }

    private void OnTimer() => _overlay.Invoke(() =>
    {
        if (_stopped) return;
        _armedFor = long.MaxValue;
        long now = _time.GetTimestamp();
        long next = long.MaxValue;
        foreach (var s in _sessions.Values)
        {
            if (s.AckDue <= now) SendAck(s);
            Retransmit(s, now);
            next = Math.Min(next, NextDue(s));
        }
        if (_requests.Count > 0)
        {
            List<(RingAddress, uint)>? expired = null;
            foreach (var (key, r) in _requests)
            {
                if (r.Deadline <= now) (expired ??= []).Add(key);
                else next = Math.Min(next, r.Deadline);
            }
            foreach (var key in expired ?? [])
            {
                if (!_requests.Remove(key, out var r)) continue;
                Counters.RequestsTimedOut++;
                r.Done(null);
            }
        }
        if (next != long.MaxValue) Arm(next);
    });

    private static long NextDue(PeerSession s)
    {
        long next = s.AckDue;
        for (uint q = s.Base; q != s.NextSequence; q++)
        {
            if (s.Window[q % AckFrame.MapBits] is { Acked: false } f) next = Math.Min(next, f.Due);
        }
        return next;
    }

    /// <summary>Stops: every message not yet acknowledged and every request fails; nothing is sent any more.</summary>
    public void Dispose()
    {
        var failed = new List<Action>();
        _overlay.Invoke(() =>
        {
            if (_stopped) return;
            _stopped = true;
            _timer.Dispose();
            foreach (var s in _sessions.Values)
            {
                foreach (var m in Unfinished(s)) if (m.Done is { } d) failed.Add(() => d(false));
            }
            foreach (var r in _requests.Values) failed.Add(() => r.Done(null));
            _requests.Clear();
        });
        foreach (var f in failed) f();
    }
}

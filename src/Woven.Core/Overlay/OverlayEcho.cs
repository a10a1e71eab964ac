using System.Buffers.Binary;
using Woven.Addressing;
using Woven.Wire;

namespace Woven.Overlay;

/// <summary>
/// Overlay-level ping: an echo request goes to a node over this node's own link with it (<see cref="OverlayNode.SendSecure"/>,
/// opening one if needed) and the node answers the same way. Payload: kind (1: 1 request, 2 reply), id (8), the
/// sender's timestamp (8). Runs under the overlay's lock like every service.
/// </summary>
public sealed class OverlayEcho
{
    public const int Size = 17;
    private const byte Request = 1, Reply = 2;

    private readonly OverlayNode _overlay;
    private readonly TimeProvider _time;
    private readonly Dictionary<ulong, (RingAddress Target, Action<TimeSpan?> Done, long Deadline)> _waiting = [];
    private ulong _nextId = 1;

    public OverlayEcho(OverlayNode overlay, TimeProvider time)
    {
        _overlay = overlay;
        _time = time;
        overlay.AttachService(RoutedPayloadType.Echo, OnEcho, OnTick);
    }

    public long Answered { get; private set; }

    /// <summary>Sends one echo; <paramref name="done"/> gets the round-trip time, or null after <paramref name="timeout"/>.</summary>
    public void Ping(RingAddress target, TimeSpan timeout, Action<TimeSpan?> done) => _overlay.Invoke(() =>
    {
        ulong id = _nextId++;
        long now = _time.GetTimestamp();
        _waiting[id] = (target, done, now + (long)(timeout.TotalSeconds * _time.TimestampFrequency));
        Span<byte> payload = stackalloc byte[Size];
        payload[0] = Request;
        BinaryPrimitives.WriteUInt64BigEndian(payload[1..], id);
        BinaryPrimitives.WriteInt64BigEndian(payload[9..], now);
        if (!_overlay.SendSecure(target, RoutedPayloadType.Echo, payload))
        {
            _waiting.Remove(id);
            done(null);
        }
    });

    public Task<TimeSpan?> PingAsync(RingAddress target, TimeSpan timeout)
    {
        var completion = new TaskCompletionSource<TimeSpan?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Ping(target, timeout, rtt => completion.TrySetResult(rtt));
        return completion.Task;
    }

    private void OnEcho(in Routed header, ReadOnlySpan<byte> payload, bool fromSource)
    {
        if (payload.Length != Size || !fromSource) return;
        ulong id = BinaryPrimitives.ReadUInt64BigEndian(payload[1..]);
        if (payload[0] == Request)
        {
            Span<byte> reply = stackalloc byte[Size];
            payload.CopyTo(reply);
            reply[0] = Reply;
            Answered++;
            _overlay.SendSecure(header.Source, RoutedPayloadType.Echo, reply);
        }
        else if (payload[0] == Reply && _waiting.TryGetValue(id, out var w) && w.Target == header.Source)
        {
            _waiting.Remove(id);
            long sent = BinaryPrimitives.ReadInt64BigEndian(payload[9..]);
            w.Done(TimeSpan.FromSeconds((_time.GetTimestamp() - sent) / (double)_time.TimestampFrequency));
        }
    }

    private void OnTick(long now)
    {
        if (_waiting.Count == 0) return;
        foreach (var (id, w) in _waiting.Where(p => now >= p.Value.Deadline).ToList())
        {
            _waiting.Remove(id);
            w.Done(null);
        }
    }
}

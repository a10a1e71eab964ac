using System.Buffers;
using System.Text;
using Woven.Wire;

namespace Woven.Messaging;

public sealed partial class MessageService
{
    /// <summary>In-order frames acknowledged together at most, while frames come faster than the ack delay; an early or repeated frame is acknowledged at once.</summary>
    private const int AckEvery = 4;

    private void OnData(PeerSession s, in DataFrame frame, ReadOnlySpan<byte> bytes, long now)
    {
        // Sent to an earlier epoch of this node: the answer carries this epoch, and the sender starts over.
        if (frame.ReceiverEpoch != 0 && frame.ReceiverEpoch != Epoch)
        {
            Counters.Stale++;
            SendAck(s, frame.SenderEpoch, 0, UInt128.Zero);
            return;
        }
        if (frame.SenderEpoch != s.ReceiveEpoch)
        {
            if (s.RetiredEpochs.Contains(frame.SenderEpoch))
            {
                Counters.Stale++;
                return;
            }
            if (s.ReceiveEpoch != 0)
            {
                if (s.RetiredEpochs.Count >= 16) s.RetiredEpochs.Clear();
                s.RetiredEpochs.Add(s.ReceiveEpoch);
            }
            s.ReceiveEpoch = frame.SenderEpoch;
            s.Expected = 0;
            Array.Clear(s.Early);
            s.EarlyCount = 0;
            s.Assembly = null;
            s.Unacked = 0;
        }
        int offset = (int)(frame.Sequence - s.Expected);
        if (offset < 0)
        {
            Counters.Duplicates++;
            SendAck(s);
            return;
        }
        if (offset >= _options.Window)
        {
            Counters.OutOfWindow++;
            return;
        }
        if (offset > 0)
        {
            ref var slot = ref s.Early[frame.Sequence % AckFrame.MapBits];
            if (slot is not null) Counters.Duplicates++;
            else
            {
                slot = bytes.ToArray();
                s.EarlyCount++;
            }
            SendAck(s);
            return;
        }
        bool filledGap = s.EarlyCount > 0, ackNow = frame.AckNow;
        Accept(s, frame);
        s.Expected++;
        while (s.EarlyCount > 0 && s.Early[s.Expected % AckFrame.MapBits] is { } early)
        {
            s.Early[s.Expected % AckFrame.MapBits] = null;
            s.EarlyCount--;
            if (DataFrame.TryRead(early, out var next))
            {
                ackNow |= next.AckNow;
                Accept(s, next);
            }
            s.Expected++;
        }
        // A lone frame, the last of a burst or a frame sent again is acknowledged at once (no delay on a request's path); a stream every few frames.
        if (filledGap || ackNow || ++s.Unacked >= AckEvery || now - s.LastAck >= Ticks(_options.AckDelay))
        {
            SendAck(s);
            return;
        }
        if (s.AckDue == long.MaxValue)
        {
            s.AckDue = now + Ticks(_options.AckDelay);
            Arm(s.AckDue);
        }
    }

    private void SendAck(PeerSession s)
    {
        var map = UInt128.Zero;
        if (s.EarlyCount > 0)
        {
            for (int i = 0; i < AckFrame.MapBits - 1; i++)
            {
                if (s.Early[(s.Expected + 1 + (uint)i) % AckFrame.MapBits] is not null) map |= UInt128.One << i;
            }
        }
        s.Unacked = 0;
        s.AckDue = long.MaxValue;
        s.LastAck = _time.GetTimestamp();
        SendAck(s, s.ReceiveEpoch, s.Expected, map);
    }

    private void SendAck(PeerSession s, ulong streamEpoch, uint next, UInt128 map)
    {
        if (!new AckFrame(Epoch, streamEpoch, next, map).TryWrite(_frame, out int n)) return;
        Counters.AcksSent++;
        _overlay.SendSecure(s.Peer, RoutedPayloadType.Message, _frame.AsSpan(0, n));
    }

    /// <summary>The next frame of the stream, in order: a whole message, or a fragment of one.</summary>
    private void Accept(PeerSession s, in DataFrame frame)
    {
        if (frame.FragmentIndex == 0)
        {
            if (s.Assembly is not null)
            {
                // The last message's fragments stopped short: only a broken sender does that.
                Counters.Malformed++;
                s.Assembly = null;
            }
            if (frame.FragmentCount == 1)
            {
                Deliver(s, frame.TopicText, frame.Data.ToArray(), frame.Kind, frame.RequestId);
                return;
            }
            s.Assembly = new ArrayBufferWriter<byte>(Math.Min(frame.Data.Length * frame.FragmentCount, MaxMessageSize));
            s.AssemblyNext = 0;
            s.AssemblyCount = frame.FragmentCount;
            s.AssemblyKind = frame.Kind;
            s.AssemblyRequest = frame.RequestId;
            s.AssemblyTopic = frame.TopicText;
        }
        else if (s.Assembly is null || frame.FragmentIndex != s.AssemblyNext || frame.FragmentCount != s.AssemblyCount
            || frame.Kind != s.AssemblyKind || frame.RequestId != s.AssemblyRequest || !frame.Topic.SequenceEqual(Encoding.UTF8.GetBytes(s.AssemblyTopic)))
        {
            Counters.Malformed++;
            s.Assembly = null;
            return;
        }
        if (s.Assembly.WrittenCount + frame.Data.Length > MaxMessageSize)
        {
            Counters.Malformed++;
            s.Assembly = null;
            return;
        }
        s.Assembly.Write(frame.Data);
        s.AssemblyNext++;
        if (s.AssemblyNext < s.AssemblyCount) return;
        var data = s.Assembly.WrittenSpan.ToArray();
        s.Assembly = null;
        Deliver(s, s.AssemblyTopic, data, s.AssemblyKind, s.AssemblyRequest);
    }

    private void Deliver(PeerSession s, string topic, byte[] data, MessageKind kind, uint requestId)
    {
        Counters.MessagesDelivered++;
        var message = new ReceivedMessage(s.Peer, topic, data, kind, requestId, _time.GetUtcNow());
        if (kind == MessageKind.Response)
        {
            if (_requests.Remove((s.Peer, requestId), out var r)) r.Done(message);
            else Counters.MessagesUnclaimed++;
            return;
        }
        bool taken = false;
        // A copy: a handler may subscribe or unsubscribe.
        foreach (var (t, handler) in _subscriptions.ToArray())
        {
            if (t is not null && t != topic) continue;
            handler(message);
            taken = true;
        }
        if (!taken) Counters.MessagesUnclaimed++;
    }
}

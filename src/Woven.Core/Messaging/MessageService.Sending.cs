using Woven.Wire;

namespace Woven.Messaging;

public sealed partial class MessageService
{
    /// <summary>Fills the window from the queue.</summary>
    private void Pump(PeerSession s, long now)
    {
        while (s.Pending.First is { } node && s.InFlight < _options.Window)
        {
            var m = node.Value;
            var f = new OutFrame(m, m.NextFragment++, s.NextSequence++);
            if (m.NextFragment >= m.FragmentCount) s.Pending.RemoveFirst();
            s.Window[f.Sequence % AckFrame.MapBits] = f;
            Transmit(s, f, now);
        }
    }

    private void Transmit(PeerSession s, OutFrame f, long now)
    {
        var m = f.Message;
        int offset = f.Index * m.Chunk;
        var chunk = m.Data.AsSpan(offset, Math.Min(m.Chunk, m.Data.Length - offset));
        // The last frame for now (the queue is empty), or one sent again: the receiver answers at once.
        bool ackNow = f.Sends > 0 || s.Pending.Count == 0;
        var frame = new DataFrame(s.SendEpoch, s.PeerEpoch, f.Sequence, m.Kind, m.RequestId, (ushort)f.Index, (ushort)m.FragmentCount, m.TopicBytes, chunk, ackNow);
        if (!frame.TryWrite(_frame, out int n)) throw new InvalidOperationException("a data frame did not fit its own size");
        // Refused (no link yet and its queue full) counts as a loss: the retransmission timer tries again.
        _overlay.SendSecure(s.Peer, RoutedPayloadType.Message, _frame.AsSpan(0, n));
        if (f.Sends == 0) f.FirstSent = now;
        else Counters.Retransmits++;
        f.Sends++;
        f.LastSent = now;
        f.Due = now + Math.Min(s.Rto << Math.Min(s.Backoff, 16), Ticks(_options.MaxRto));
        Counters.FramesSent++;
        Arm(f.Due);
    }

    /// <summary>Sends again what timed out; gives the peer up after <see cref="MessagingOptions.MaxSends"/>.</summary>
    private void Retransmit(PeerSession s, long now)
    {
        bool backedOff = false;
        for (uint q = s.Base; q != s.NextSequence; q++)
        {
            if (s.Window[q % AckFrame.MapBits] is not { Acked: false } f || f.Due > now) continue;
            if (f.Sends >= _options.MaxSends)
            {
                GiveUp(s);
                return;
            }
            // One doubling per timeout event, however many frames it covers (RFC 6298, 5.5).
            if (!backedOff)
            {
                s.Backoff++;
                backedOff = true;
            }
            Transmit(s, f, now);
        }
    }

    private void OnAck(PeerSession s, AckFrame ack, long now)
    {
        if (ack.ReceiverEpoch != s.SendEpoch)
        {
            Counters.Stale++;
            return;
        }
        if (s.PeerEpoch == 0)
        {
            s.PeerEpoch = ack.SenderEpoch;
        }
        else if (s.PeerEpoch != ack.SenderEpoch)
        {
            PeerRestarted(s, ack.SenderEpoch, now);
            return;
        }
        int advance = (int)(ack.Next - s.Base);
        if (advance < 0 || advance > s.InFlight)
        {
            Counters.Stale++;
            return;
        }
        for (; s.Base != ack.Next; s.Base++)
        {
            ref var slot = ref s.Window[s.Base % AckFrame.MapBits];
            if (slot is { } f)
            {
                if (!f.Acked) Acknowledged(s, f, now);
                if (f.Index == f.Message.FragmentCount - 1) Completed(s, f.Message);
            }
            slot = null;
        }
        int above = 0;
        for (uint q = s.NextSequence - 1; q != s.Base - 1; q--)
        {
            if (s.Window[q % AckFrame.MapBits] is not { } f) continue;
            if (!f.Acked && ack.Has(q)) Acknowledged(s, f, now);
            if (f.Acked)
            {
                above++;
                continue;
            }
            // Three later frames arrived and this one did not: lost, most likely; resend it once per round trip.
            if (above >= 3 && s.HasRtt && now - f.LastSent > (long)(s.Srtt * 1.25) && f.Sends < _options.MaxSends)
            {
                Counters.FastRetransmits++;
                Transmit(s, f, now);
            }
        }
        Pump(s, now);
    }

    private void Acknowledged(PeerSession s, OutFrame f, long now)
    {
        f.Acked = true;
        // Karn: only frames sent once give a round-trip sample.
        if (f.Sends == 1) Sample(s, now - f.FirstSent);
        s.Backoff = 0;
    }

    /// <summary>The receiver has every fragment of <paramref name="m"/> in order, so it delivered the message.</summary>
    private void Completed(PeerSession s, OutMessage m)
    {
        m.Completed = true;
        s.QueuedBytes -= m.Data.Length;
        Counters.MessagesAcked++;
        m.Done?.Invoke(true);
    }

    /// <summary>RFC 6298: smoothed round trip and its variation; RTO = SRTT + 4 RTTVAR, clamped.</summary>
    private void Sample(PeerSession s, long rtt)
    {
        if (!s.HasRtt)
        {
            s.Srtt = rtt;
            s.RttVar = rtt / 2.0;
            s.HasRtt = true;
        }
        else
        {
            s.RttVar = 0.75 * s.RttVar + 0.25 * Math.Abs(s.Srtt - rtt);
            s.Srtt = 0.875 * s.Srtt + 0.125 * rtt;
        }
        long rto = (long)(s.Srtt + Math.Max(4 * s.RttVar, _frequency / 1000.0));
        s.Rto = Math.Clamp(rto, Ticks(_options.MinRto), Ticks(_options.MaxRto));
    }

    /// <summary>Messages with a fragment not yet acknowledged, in the order they were queued.</summary>
    private static List<OutMessage> Unfinished(PeerSession s)
    {
        var list = new List<OutMessage>();
        for (uint q = s.Base; q != s.NextSequence; q++)
        {
            if (s.Window[q % AckFrame.MapBits] is { } f && !f.Message.Completed && (list.Count == 0 || list[^1] != f.Message)) list.Add(f.Message);
        }
        foreach (var m in s.Pending)
        {
            if (list.Count == 0 || list[^1] != m) list.Add(m);
        }
        return list;
    }

    /// <summary>Starts a new stream (new epoch, sequence 0): the receiver drops the old one when it sees the new.</summary>
    private void NewStream(PeerSession s, IEnumerable<OutMessage> requeue)
    {
        s.SendEpoch = NewEpoch();
        Array.Clear(s.Window);
        s.Base = s.NextSequence = 0;
        s.Backoff = 0;
        s.Pending.Clear();
        s.QueuedBytes = 0;
        foreach (var m in requeue)
        {
            m.NextFragment = 0;
            s.Pending.AddLast(m);
            s.QueuedBytes += m.Data.Length;
        }
    }

    /// <summary>The peer answered from a new epoch: it restarted and lost what it had; everything unacknowledged goes again, whole.</summary>
    private void PeerRestarted(PeerSession s, ulong epoch, long now)
    {
        Counters.PeerRestarts++;
        s.PeerEpoch = epoch;
        NewStream(s, Unfinished(s));
        Pump(s, now);
    }

    /// <summary>The peer did not acknowledge a frame after every retry: everything waiting for it fails.</summary>
    private void GiveUp(PeerSession s)
    {
        var failed = Unfinished(s);
        NewStream(s, []);
        s.PeerEpoch = 0;
        s.HasRtt = false;
        s.Rto = Ticks(_options.InitialRto);
        foreach (var m in failed)
        {
            Counters.MessagesFailed++;
            m.Done?.Invoke(false);
        }
    }
}

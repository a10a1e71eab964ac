using System.Buffers;
using Woven.Addressing;

namespace Woven.Messaging;

/// <summary>A message waiting to be sent, in flight, or partly acknowledged.</summary>
internal sealed class OutMessage(string topic, byte[] topicBytes, byte[] data, MessageKind kind, uint requestId, Action<bool>? done)
{
    public string Topic { get; } = topic;
    public byte[] TopicBytes { get; } = topicBytes;
    public byte[] Data { get; } = data;
    public MessageKind Kind { get; } = kind;
    public uint RequestId { get; } = requestId;
    public Action<bool>? Done { get; } = done;
    public int Chunk => DataFrame.MaxData(TopicBytes.Length);
    public int FragmentCount => Math.Max(1, (Data.Length + Chunk - 1) / Chunk);
    public int NextFragment { get; set; }
    /// <summary>Every fragment acknowledged cumulatively, that is: delivered (a selective acknowledgement is not delivery yet).</summary>
    public bool Completed { get; set; }
}

/// <summary>One data frame in the send window.</summary>
internal sealed class OutFrame(OutMessage message, int index, uint sequence)
{
    public OutMessage Message { get; } = message;
    public int Index { get; } = index;
    public uint Sequence { get; } = sequence;
    public int Sends { get; set; }
    public long FirstSent { get; set; }
    public long LastSent { get; set; }
    public long Due { get; set; }
    public bool Acked { get; set; }
}

/// <summary>
/// Both directions of messaging with one peer: the stream this node sends (its own random stream epoch, sequence
/// numbers, a window of frames, the round-trip estimate) and the stream it receives (the peer's stream epoch, the next
/// frame expected, frames that came early, a message being reassembled).
/// </summary>
internal sealed class PeerSession(RingAddress peer, ulong sendEpoch, long initialRto)
{
    public RingAddress Peer { get; } = peer;

    // Sending.
    public ulong SendEpoch { get; set; } = sendEpoch;
    /// <summary>The peer's service epoch as last heard (0: not yet).</summary>
    public ulong PeerEpoch { get; set; }
    public uint Base { get; set; }
    public uint NextSequence { get; set; }
    public OutFrame?[] Window { get; } = new OutFrame?[AckFrame.MapBits];
    public LinkedList<OutMessage> Pending { get; } = new();
    public long QueuedBytes { get; set; }
    public bool HasRtt { get; set; }
    public double Srtt { get; set; }
    public double RttVar { get; set; }
    public long Rto { get; set; } = initialRto;
    public int Backoff { get; set; }

    // Receiving.
    public ulong ReceiveEpoch { get; set; }
    public HashSet<ulong> RetiredEpochs { get; } = [];
    public uint Expected { get; set; }
    public byte[]?[] Early { get; } = new byte[]?[AckFrame.MapBits];
    public int EarlyCount { get; set; }
    public ArrayBufferWriter<byte>? Assembly { get; set; }
    public int AssemblyNext { get; set; }
    public int AssemblyCount { get; set; }
    public MessageKind AssemblyKind { get; set; }
    public uint AssemblyRequest { get; set; }
    public string AssemblyTopic { get; set; } = "";
    public int Unacked { get; set; }
    public long AckDue { get; set; } = long.MaxValue;
    public long LastAck { get; set; } = long.MinValue / 2;

    public int InFlight => (int)(NextSequence - Base);
}

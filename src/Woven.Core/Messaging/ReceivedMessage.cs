using Woven.Addressing;

namespace Woven.Messaging;

/// <summary>A whole message (fragments reassembled) from <paramref name="From"/>; a request is answered with <see cref="MessageService.Reply"/>.</summary>
public sealed record ReceivedMessage(RingAddress From, string Topic, byte[] Data, MessageKind Kind, uint RequestId, DateTimeOffset Received);

using Woven.Addressing;

namespace Woven.Wire;

/// <summary>
/// The small fixed-size messages: Ping and Pong (sender address 20, nonce 8), Leave and Close
/// (sender address 20). One codec because their layouts differ only in the nonce.
/// </summary>
public readonly record struct AddressedMessage(MessageType Type, RingAddress Sender, ulong Nonce)
{
    public static bool HasNonce(MessageType type) => type is MessageType.Ping or MessageType.Pong;

    public int Size => Envelope.HeaderSize + RingAddress.Size + (HasNonce(Type) ? 8 : 0);

    public bool TryWrite(Span<byte> destination, out int written)
    {
        var w = new SpanWriter(destination);
        Envelope.WriteHeader(ref w, Type);
        w.Address(Sender);
        if (HasNonce(Type)) w.U64(Nonce);
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(MessageType type, ReadOnlySpan<byte> body, out AddressedMessage message)
    {
        var r = new SpanReader(body);
        var sender = r.Address();
        ulong nonce = HasNonce(type) ? r.U64() : 0;
        message = new AddressedMessage(type, sender, nonce);
        return r.AtEnd;
    }
}

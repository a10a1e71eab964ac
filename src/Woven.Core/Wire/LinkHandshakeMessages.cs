namespace Woven.Wire;

/// <summary>
/// Noise handshake message 1 (initiator → responder; type <see cref="MessageType.LinkRequest"/> = 0x01), in the clear:
/// token (8), roles the initiator wants (1), the initiator's session index (4), cookie length (1: 0 or
/// <see cref="LinkHandshake.CookieSize"/>) and cookie, then the Noise message (the rest: 1 to
/// <see cref="LinkHandshake.MaxNoiseMessage"/> bytes). The token ties the checks of one link attempt together.
/// </summary>
public readonly record struct LinkHello(ulong Token, LinkRoles Roles, uint SenderIndex, ReadOnlyMemory<byte> Cookie, ReadOnlyMemory<byte> Noise)
{
    public int Size => Envelope.HeaderSize + 8 + 1 + 4 + 1 + Cookie.Length + Noise.Length;

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (Cookie.Length is not (0 or LinkHandshake.CookieSize) || Noise.Length is 0 or > LinkHandshake.MaxNoiseMessage) return false;
        var w = new SpanWriter(destination);
        Envelope.WriteHeader(ref w, MessageType.LinkRequest);
        w.U64(Token);
        w.U8((byte)Roles);
        w.U32(SenderIndex);
        w.U8((byte)Cookie.Length);
        w.Bytes(Cookie.Span);
        w.Bytes(Noise.Span);
        written = w.Position;
        return w.Ok;
    }

    /// <summary>The cookie and Noise message are slices of <paramref name="body"/> (empty when false); copy them to keep them.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out ulong token, out LinkRoles roles, out uint senderIndex, out ReadOnlySpan<byte> cookie, out ReadOnlySpan<byte> noise)
    {
        var r = new SpanReader(body);
        token = r.U64();
        roles = (LinkRoles)r.U8();
        senderIndex = r.U32();
        int cookieLength = r.U8();
        cookie = cookieLength is 0 or LinkHandshake.CookieSize ? r.Bytes(cookieLength) : default;
        if (cookieLength is not (0 or LinkHandshake.CookieSize)) r.Fail();
        int rest = r.Remaining;
        noise = rest is > 0 and <= LinkHandshake.MaxNoiseMessage ? r.Bytes(rest) : default;
        if (r.AtEnd && rest is > 0 and <= LinkHandshake.MaxNoiseMessage && (roles & ~LinkRolesExtensions.Known) == 0) return true;
        cookie = default;
        noise = default;
        return false;
    }
}

/// <summary>
/// Noise handshake messages 2 (LinkAccept, responder → initiator) and 3 (LinkConfirm, initiator → responder): token (8),
/// sender's session index (4), receiver's session index (4), then the Noise message (the rest: 1 to
/// <see cref="MaxNoiseMessage"/> bytes), whose encrypted payload is a <see cref="LinkPayload"/>.
/// </summary>
public static class LinkHandshake
{
    public const int CookieSize = 16;

    /// <summary>Large enough for a Noise XX message carrying a certificate and endpoints.</summary>
    public const int MaxNoiseMessage = 1400;

    /// <summary>Envelope, token and both indices: everything before the Noise message.</summary>
    public const int HeaderSize = Envelope.HeaderSize + 8 + 4 + 4;

    /// <summary>The datagram size of a LinkAccept or LinkConfirm carrying a Noise message of this length.</summary>
    public static int SizeWith(int noiseLength) => HeaderSize + noiseLength;

    public static bool TryWrite(Span<byte> destination, MessageType type, ulong token, uint senderIndex, uint receiverIndex, ReadOnlySpan<byte> noise, out int written)
    {
        written = 0;
        if (type is not (MessageType.LinkAccept or MessageType.LinkConfirm) || noise.Length is 0 or > MaxNoiseMessage) return false;
        var w = new SpanWriter(destination);
        Envelope.WriteHeader(ref w, type);
        w.U64(token);
        w.U32(senderIndex);
        w.U32(receiverIndex);
        w.Bytes(noise);
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out ulong token, out uint senderIndex, out uint receiverIndex, out ReadOnlySpan<byte> noise)
    {
        var r = new SpanReader(body);
        token = r.U64();
        senderIndex = r.U32();
        receiverIndex = r.U32();
        int rest = r.Remaining;
        noise = rest is > 0 and <= MaxNoiseMessage ? r.Bytes(rest) : default;
        return r.AtEnd && rest is > 0 and <= MaxNoiseMessage;
    }
}

/// <summary>
/// Answer to a LinkHello when the responder is under load and the hello carried no valid cookie: token (8), the
/// initiator's session index (4), cookie (16). The initiator sends its hello again with the cookie, which proves it
/// receives at its address; only then does the responder spend a Diffie-Hellman or any memory on it.
/// </summary>
public readonly record struct CookieReply(ulong Token, uint ReceiverIndex, byte[] Cookie)
{
    public const int Size = Envelope.HeaderSize + 8 + 4 + LinkHandshake.CookieSize;

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (Cookie.Length != LinkHandshake.CookieSize) return false;
        var w = new SpanWriter(destination);
        Envelope.WriteHeader(ref w, MessageType.CookieReply);
        w.U64(Token);
        w.U32(ReceiverIndex);
        w.Bytes(Cookie);
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out CookieReply reply)
    {
        var r = new SpanReader(body);
        ulong token = r.U64();
        uint index = r.U32();
        var cookie = r.Bytes(LinkHandshake.CookieSize).ToArray();
        reply = new CookieReply(token, index, cookie);
        return r.AtEnd;
    }
}

/// <summary>
/// Transport data on an established link: receiver's session index (4), counter (8), ciphertext with its 16-byte tag
/// (the rest, at least the tag). The envelope and receiver index are the associated data; the counter is bound
/// through the nonce. The plaintext is a whole overlay datagram (Ping, Neighbors, Routed, …).
/// </summary>
public static class Sealed
{
    public const int HeaderSize = Envelope.HeaderSize + 4 + 8;

    /// <summary>The associated data: envelope and receiver index (the counter is bound through the nonce).</summary>
    public const int AssociatedSize = Envelope.HeaderSize + 4;

    public const int TagSize = 16;

    /// <summary>The largest overlay datagram that fits sealed into one datagram.</summary>
    public const int MaxPlaintext = Envelope.MaxDatagramSize - HeaderSize - TagSize;

    /// <summary>The datagram size of a sealed overlay datagram of this length.</summary>
    public static int SizeWith(int plaintextLength) => HeaderSize + plaintextLength + TagSize;

    /// <summary>Writes the <see cref="HeaderSize"/> bytes of the header; the destination must hold them.</summary>
    public static void WriteHeader(Span<byte> destination, uint receiverIndex, ulong counter)
    {
        var w = new SpanWriter(destination);
        Envelope.WriteHeader(ref w, MessageType.Sealed);
        w.U32(receiverIndex);
        w.U64(counter);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out uint receiverIndex, out ulong counter, out ReadOnlySpan<byte> ciphertext)
    {
        var r = new SpanReader(body);
        receiverIndex = r.U32();
        counter = r.U64();
        int rest = r.Remaining;
        ciphertext = rest >= TagSize ? r.Bytes(rest) : default;
        return r.AtEnd && rest >= TagSize;
    }
}

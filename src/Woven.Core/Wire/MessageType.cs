namespace Woven.Wire;

/// <summary>The second byte of every overlay datagram. Values are part of the protocol: never reuse one.</summary>
public enum MessageType : byte
{
    /// <summary>
    /// Noise handshake message 1, <see cref="LinkHello"/> (the member keeps the name it had before links had a
    /// handshake).
    /// </summary>
    LinkRequest = 0x01,
    /// <summary>Noise handshake message 2 (see <see cref="LinkHandshake"/>).</summary>
    LinkAccept = 0x02,
    Ping = 0x03,
    Pong = 0x04,
    Neighbors = 0x05,
    Leave = 0x06,
    Close = 0x07,
    Routed = 0x08,
    /// <summary>Noise handshake message 3 (see <see cref="LinkHandshake"/>).</summary>
    LinkConfirm = 0x09,
    /// <summary>The answer to a hello under load: a cookie to send the hello again with (see <see cref="Wire.CookieReply"/>).</summary>
    CookieReply = 0x0A,
    /// <summary>Authenticated, encrypted transport data on an established link (see <see cref="Sealed"/>).</summary>
    Sealed = 0x0B,
    /// <summary>A domain's signed revocation list, sent sealed to a peer that holds an older one.</summary>
    Revocations = 0x0C,
}

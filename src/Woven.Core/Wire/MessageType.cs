namespace Woven.Wire;

/// <summary>The second byte of every overlay datagram. Values are part of the protocol: never reuse one.</summary>
public enum MessageType : byte
{
    LinkRequest = 0x01,
    LinkAccept = 0x02,
    Ping = 0x03,
    Pong = 0x04,
    Neighbors = 0x05,
    Leave = 0x06,
    Close = 0x07,
    Routed = 0x08,
}

using System.Net;

namespace Woven.Wire;

/// <summary>
/// Asks the receiver to keep a link with the sender. Body: public key (32), roles (1), token (8),
/// endpoint list. The receiver derives the sender's ring address from the key.
/// </summary>
public sealed record LinkRequest(byte[] PublicKey, LinkRoles Roles, ulong Token, IPEndPoint[] Endpoints)
{
    public const int KeySize = 32;

    public int Size => Envelope.HeaderSize + KeySize + 1 + 8 + EndpointList.Size(Endpoints);

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (PublicKey.Length != KeySize) return false;
        var w = new SpanWriter(destination);
        Envelope.WriteHeader(ref w, MessageType.LinkRequest);
        w.Bytes(PublicKey);
        w.U8((byte)Roles);
        w.U64(Token);
        EndpointList.Write(ref w, Endpoints);
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out LinkRequest? message)
    {
        var r = new SpanReader(body);
        var key = r.Bytes(KeySize).ToArray();
        var roles = (LinkRoles)r.U8();
        ulong token = r.U64();
        var endpoints = EndpointList.Read(ref r);
        bool ok = r.AtEnd && (roles & ~LinkRolesExtensions.Known) == 0;
        message = ok ? new LinkRequest(key, roles, token, endpoints) : null;
        return ok;
    }
}

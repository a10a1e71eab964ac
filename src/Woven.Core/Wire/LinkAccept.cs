using System.Net;

namespace Woven.Wire;

/// <summary>
/// Answers a <see cref="LinkRequest"/>. Body: public key (32), roles (1), echoed token (8),
/// the requester's endpoint as the acceptor observed it, endpoint list of the acceptor.
/// </summary>
public sealed record LinkAccept(byte[] PublicKey, LinkRoles Roles, ulong Token, IPEndPoint Observed, IPEndPoint[] Endpoints)
{
    public int Size => Envelope.HeaderSize + LinkRequest.KeySize + 1 + 8 + SpanWriter.EndpointSize(Observed) + EndpointList.Size(Endpoints);

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (PublicKey.Length != LinkRequest.KeySize) return false;
        var w = new SpanWriter(destination);
        Envelope.WriteHeader(ref w, MessageType.LinkAccept);
        w.Bytes(PublicKey);
        w.U8((byte)Roles);
        w.U64(Token);
        w.Endpoint(Observed);
        EndpointList.Write(ref w, Endpoints);
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out LinkAccept? message)
    {
        var r = new SpanReader(body);
        var key = r.Bytes(LinkRequest.KeySize).ToArray();
        var roles = (LinkRoles)r.U8();
        ulong token = r.U64();
        var observed = r.Endpoint();
        var endpoints = EndpointList.Read(ref r);
        bool ok = r.AtEnd && observed is not null && (roles & ~LinkRolesExtensions.Known) == 0;
        message = ok ? new LinkAccept(key, roles, token, observed!, endpoints) : null;
        return ok;
    }
}

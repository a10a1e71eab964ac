using System.Net;

namespace Woven.Wire;

[Flags]
public enum ConnectToMeFlags : byte
{
    None = 0,
    /// <summary>Already handed on by the nearest node to its neighbour on the other side; not forwarded again.</summary>
    Forwarded = 0x01,
}

/// <summary>
/// Routed payload asking whoever it reaches to link back to the origin (Brunet's connect-to-me).
/// Payload: origin public key (32), roles the origin wants (1), flags (1), token (8), via (20: the address of a node
/// linked to the origin through which it can be reached while it is not in the ring yet; all zero when none),
/// origin endpoints.
/// </summary>
public sealed record ConnectToMe(byte[] PublicKey, LinkRoles Roles, ConnectToMeFlags Flags, ulong Token, Addressing.RingAddress Via, IPEndPoint[] Endpoints)
{
    public int Size => LinkPayload.KeySize + 1 + 1 + 8 + Addressing.RingAddress.Size + EndpointList.Size(Endpoints);

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (PublicKey.Length != LinkPayload.KeySize) return false;
        var w = new SpanWriter(destination);
        w.Bytes(PublicKey);
        w.U8((byte)Roles);
        w.U8((byte)Flags);
        w.U64(Token);
        w.Address(Via);
        EndpointList.Write(ref w, Endpoints);
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out ConnectToMe? message)
    {
        var r = new SpanReader(payload);
        var key = r.Bytes(LinkPayload.KeySize).ToArray();
        var roles = (LinkRoles)r.U8();
        var flags = (ConnectToMeFlags)r.U8();
        ulong token = r.U64();
        var via = r.Address();
        var endpoints = EndpointList.Read(ref r);
        bool ok = r.AtEnd && endpoints.Length > 0
            && (roles & ~LinkRolesExtensions.Known) == 0
            && (flags & ~ConnectToMeFlags.Forwarded) == 0;
        message = ok ? new ConnectToMe(key, roles, flags, token, via, endpoints) : null;
        return ok;
    }
}

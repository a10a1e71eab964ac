using System.Net;

namespace Woven.Wire;

/// <summary>
/// The encrypted payload of handshake messages 2 and 3: who the sender is and how to reach it. Node public key (32,
/// Ed25519; its X25519 twin must be the Noise static key), roles (1, the sender's view), observed endpoint of the other
/// side (flag 1 + endpoint when 1), the sender's candidate endpoints (endpoint list), member certificate (u16 length,
/// at most <see cref="MaxCertificate"/>; 0 when the node is in no domain), revocation list sequence (8).
/// </summary>
public sealed record LinkPayload(byte[] NodeKey, LinkRoles Roles, IPEndPoint? Observed, IPEndPoint[] Endpoints, byte[] Certificate, ulong RevocationSequence)
{
    /// <summary>Size of a node key (an Ed25519 public key) wherever the overlay carries one.</summary>
    public const int KeySize = 32;

    public const int MaxCertificate = 1024;

    public int Size => KeySize + 1 + 1 + (Observed is null ? 0 : SpanWriter.EndpointSize(Observed)) + EndpointList.Size(Endpoints) + 2 + Certificate.Length + 8;

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (NodeKey.Length != KeySize || Certificate.Length > MaxCertificate) return false;
        var w = new SpanWriter(destination);
        w.Bytes(NodeKey);
        w.U8((byte)Roles);
        w.U8(Observed is null ? (byte)0 : (byte)1);
        if (Observed is not null) w.Endpoint(Observed);
        EndpointList.Write(ref w, Endpoints);
        w.U16((ushort)Certificate.Length);
        w.Bytes(Certificate);
        w.U64(RevocationSequence);
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out LinkPayload? message)
    {
        message = null;
        var r = new SpanReader(payload);
        var key = r.Bytes(KeySize).ToArray();
        var roles = (LinkRoles)r.U8();
        int hasObserved = r.U8();
        IPEndPoint? observed = null;
        if (hasObserved == 1) observed = r.Endpoint();
        else if (hasObserved != 0) return false;
        var endpoints = EndpointList.Read(ref r);
        int certLength = r.U16();
        if (certLength > MaxCertificate) return false;
        var cert = r.Bytes(certLength).ToArray();
        ulong sequence = r.U64();
        if (!r.AtEnd || (roles & ~LinkRolesExtensions.Known) != 0) return false;
        message = new LinkPayload(key, roles, observed, endpoints, cert, sequence);
        return true;
    }
}

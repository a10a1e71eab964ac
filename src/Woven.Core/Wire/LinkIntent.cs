using System.Net;
using Woven.Addressing;

namespace Woven.Wire;

[Flags]
public enum LinkIntentFlags : byte
{
    None = 0,
    /// <summary>An answer to an intent: carries the answerer's candidates and relays, and is not answered itself.</summary>
    Reply = 0x01,
}

/// <summary>
/// Routed payload that coordinates hole punching: "I am sending connectivity checks to your candidates; send yours
/// to mine now, so that both NATs open". Payload: public key (32), roles the sender wants (1), flags (1), token (8),
/// candidate endpoints (endpoint list), relays (count 1, at most <see cref="MaxRelays"/>, addresses 20 each: nodes
/// the sender is linked to directly, any of which can carry the link if no direct path forms).
/// </summary>
public sealed record LinkIntent(byte[] PublicKey, LinkRoles Roles, LinkIntentFlags Flags, ulong Token, IPEndPoint[] Candidates, RingAddress[] Relays)
{
    public const int MaxRelays = 8;

    public int Size => LinkPayload.KeySize + 1 + 1 + 8 + EndpointList.Size(Candidates) + 1 + RingAddress.Size * Relays.Length;

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (PublicKey.Length != LinkPayload.KeySize || Relays.Length > MaxRelays) return false;
        var w = new SpanWriter(destination);
        w.Bytes(PublicKey);
        w.U8((byte)Roles);
        w.U8((byte)Flags);
        w.U64(Token);
        EndpointList.Write(ref w, Candidates);
        w.U8((byte)Relays.Length);
        foreach (var r in Relays) w.Address(r);
        written = w.Position;
        return w.Ok;
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out LinkIntent? message)
    {
        message = null;
        var r = new SpanReader(payload);
        var key = r.Bytes(LinkPayload.KeySize).ToArray();
        var roles = (LinkRoles)r.U8();
        var flags = (LinkIntentFlags)r.U8();
        ulong token = r.U64();
        var candidates = EndpointList.Read(ref r);
        int count = r.U8();
        if (!r.Ok || count > MaxRelays) return false;
        var relays = new RingAddress[count];
        for (int i = 0; i < count; i++) relays[i] = r.Address();
        if (!r.AtEnd || (roles & ~LinkRolesExtensions.Known) != 0 || (flags & ~LinkIntentFlags.Reply) != 0) return false;
        message = new LinkIntent(key, roles, flags, token, candidates, relays);
        return true;
    }
}

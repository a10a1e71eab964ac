using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Woven.Addressing;

namespace Woven.Vnet;

/// <summary>
/// The IPv6 side of the virtual network's addressing. A domain's unique local prefix (RFC 4193) is fd00::/8 followed
/// by a 40-bit global ID, here the first 40 bits of SHA-256("woven-ula-v1" || the domain's CA public key): the CA key is
/// what identifies a domain (two domains may share a name, never a CA key), every member holds it, and the hash is as
/// good a random draw as RFC 4193's own (section 3.2.2 hashes a time and an EUI-64 to the same end). A node's address
/// is subnet 0 of the prefix followed by a 64-bit interface ID, the first 64 bits of its ring address: bound to the
/// node's key, so it needs no allocation and no two nodes race for it, and a receiver checks a packet's source
/// against the sender's ring address without asking anyone. Subnet 0 holds derived addresses only; a member
/// certificate's fixed IPv6 address lies in another subnet of a shorter prefix (a /64 has no other).
/// </summary>
public static class UniqueLocalPrefix
{
    /// <summary>The length of a derived prefix (a /48, of which subnet 0, a /64, holds the nodes' derived addresses).</summary>
    public const int DerivedLength = 48;

    /// <summary>The prefix an open overlay derives from its IPv4 range when none is given (no CA key to hash).</summary>
    public static IPNetwork ForOpenOverlay(IPNetwork ipv4Range) =>
        Derive(System.Text.Encoding.ASCII.GetBytes("open " + ipv4Range));

    /// <summary>fd00::/8 and 40 bits of SHA-256("woven-ula-v1" || <paramref name="domainIdentity"/>), a /48.</summary>
    public static IPNetwork Derive(ReadOnlySpan<byte> domainIdentity)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData("woven-ula-v1"u8);
        sha.AppendData(domainIdentity);
        Span<byte> hash = stackalloc byte[32];
        sha.GetHashAndReset(hash);
        var bytes = new byte[16];
        bytes[0] = 0xFD;
        hash[..5].CopyTo(bytes.AsSpan(1));
        return new IPNetwork(new IPAddress(bytes), DerivedLength);
    }

    /// <summary>The 64-bit interface ID of a node: the first 64 bits of its ring address.</summary>
    public static ulong InterfaceId(RingAddress node)
    {
        Span<byte> b = stackalloc byte[RingAddress.Size];
        node.Write(b);
        return BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    /// <summary>A node's derived address: subnet 0 of <paramref name="prefix"/> (its first /64) and the node's interface ID.</summary>
    public static IPAddress AddressOf(IPNetwork prefix, RingAddress node) => ToAddress(KeyOf(prefix, node));

    /// <summary>The derived address as a 128-bit number.</summary>
    public static UInt128 KeyOf(IPNetwork prefix, RingAddress node) => new(Subnet0(prefix), InterfaceId(node));

    /// <summary>The upper 64 bits of subnet 0 of a prefix of at most 64 bits.</summary>
    public static ulong Subnet0(IPNetwork prefix)
    {
        Span<byte> b = stackalloc byte[16];
        prefix.BaseAddress.TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    /// <summary>Why a network cannot be the virtual network's IPv6 prefix, or null: a unique local prefix of /48 to /64.</summary>
    public static string? Error(IPNetwork prefix) => Woven.Security.DomainSettings.Ipv6PrefixError(prefix);

    public static UInt128 ToKey(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            // IPv4-mapped (::ffff:a.b.c.d), so that one table holds both families.
            b[10] = b[11] = 0xFF;
            address.TryWriteBytes(b[12..], out _);
        }
        else
        {
            address.TryWriteBytes(b, out _);
        }
        return BinaryPrimitives.ReadUInt128BigEndian(b);
    }

    public static IPAddress ToAddress(UInt128 key)
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b, key);
        return IsMappedIpv4(key) ? new IPAddress(b.AsSpan(12)) : new IPAddress(b);
    }

    public static bool IsMappedIpv4(UInt128 key) => key >> 32 == 0xFFFF;
}

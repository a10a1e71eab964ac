using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Woven.Vnet;

/// <summary>A DNS question this node can answer: A/AAAA for NAME.ZONE, PTR for an address of the virtual network.</summary>
public sealed record DnsQuestion(ushort Id, string Name, ushort Type, bool RecursionDesired, int QuestionEnd);

/// <summary>
/// The embedded DNS server's codec (RFC 1035): parses one-question queries and builds authoritative answers. Only
/// the zone of the virtual network and its reverse names are served; anything else is REFUSED, a malformed query is
/// not answered.
/// </summary>
public static class DnsAnswerer
{
    public const ushort TypeA = 1;
    public const ushort TypePtr = 12;
    public const ushort TypeAaaa = 28;
    public const ushort TypeAny = 255;
    public const byte NoError = 0, FormErr = 1, NxDomain = 3, Refused = 5;
    public const uint Ttl = 30;

    /// <summary>A query with exactly one question of class IN; null for anything else (responses, other opcodes, compression in the question, bad lengths).</summary>
    public static DnsQuestion? Parse(ReadOnlySpan<byte> query)
    {
        if (query.Length < 12 || query.Length > 512) return null;
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(query);
        byte flags1 = query[2];
        if ((flags1 & 0x80) != 0 || ((flags1 >> 3) & 0x0F) != 0) return null; // a response, or not a standard query
        if (BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1) return null;
        int pos = 12;
        var name = new StringBuilder();
        while (true)
        {
            if (pos >= query.Length) return null;
            int length = query[pos++];
            if (length == 0) break;
            if (length > 63 || pos + length > query.Length) return null;
            if (name.Length > 0) name.Append('.');
            foreach (byte b in query.Slice(pos, length))
            {
                if (b is < 0x21 or > 0x7E or (byte)'.') return null;
                name.Append((char)b);
            }
            pos += length;
            if (name.Length > 253) return null;
        }
        if (pos + 4 > query.Length) return null;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(query[pos..]);
        ushort cls = BinaryPrimitives.ReadUInt16BigEndian(query[(pos + 2)..]);
        if (cls != 1) return null;
        return new DnsQuestion(id, name.ToString().ToLowerInvariant(), type, (flags1 & 0x01) != 0, pos + 4);
    }

    /// <summary>The address a PTR name (d.c.b.a.in-addr.arpa, or 32 nibbles then ip6.arpa) stands for, or null.</summary>
    public static IPAddress? ReverseAddress(string name)
    {
        const string suffix = ".in-addr.arpa";
        const string suffix6 = ".ip6.arpa";
        if (name.EndsWith(suffix6, StringComparison.Ordinal)) return ReverseAddress6(name[..^suffix6.Length]);
        if (!name.EndsWith(suffix, StringComparison.Ordinal)) return null;
        var parts = name[..^suffix.Length].Split('.');
        if (parts.Length != 4) return null;
        Array.Reverse(parts);
        return IPAddress.TryParse(string.Join('.', parts), out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? a : null;
    }

    /// <summary>32 hexadecimal nibbles, least significant first (RFC 3596 section 2.5), as an IPv6 address.</summary>
    private static IPAddress? ReverseAddress6(string nibbles)
    {
        var parts = nibbles.Split('.');
        if (parts.Length != 32) return null;
        var bytes = new byte[16];
        for (int i = 0; i < 32; i++)
        {
            if (parts[i].Length != 1 || !Uri.IsHexDigit(parts[i][0])) return null;
            int nibble = Convert.ToInt32(parts[i], 16);
            int position = 31 - i; // the last label is the address's first nibble
            bytes[position / 2] |= (byte)(position % 2 == 0 ? nibble << 4 : nibble);
        }
        return new IPAddress(bytes);
    }

    /// <summary>The PTR name of an IPv6 address: its 32 nibbles in reverse, then ip6.arpa.</summary>
    public static string ReverseName6(IPAddress address)
    {
        var hex = Convert.ToHexStringLower(address.GetAddressBytes());
        return string.Join('.', hex.Reverse()) + ".ip6.arpa";
    }

    /// <summary>
    /// A response to <paramref name="query"/>: its question echoed, with an A or AAAA record (<paramref name="address"/>) or a
    /// PTR record (<paramref name="pointer"/>), or none, and the response code. Authoritative, no recursion.
    /// </summary>
    public static byte[] Response(ReadOnlySpan<byte> query, DnsQuestion q, byte rcode, IPAddress? address = null, string? pointer = null)
    {
        var answer = new List<byte>();
        if (rcode == NoError && address is not null)
        {
            Record(answer, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? TypeAaaa : TypeA, address.GetAddressBytes());
        }
        else if (rcode == NoError && pointer is not null)
        {
            Record(answer, TypePtr, EncodeName(pointer));
        }
        var response = new byte[q.QuestionEnd + answer.Count];
        query[..q.QuestionEnd].CopyTo(response);
        response[2] = (byte)(0x80 | 0x04 | (q.RecursionDesired ? 0x01 : 0)); // QR, AA, RD echoed
        response[3] = rcode;
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(6), (ushort)(answer.Count > 0 ? 1 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(10), 0);
        answer.CopyTo(response, q.QuestionEnd);
        return response;
    }

    private static void Record(List<byte> into, ushort type, byte[] data)
    {
        into.AddRange([0xC0, 0x0C]); // the name: a pointer to the question's
        Span<byte> fixedPart = stackalloc byte[10];
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart, type);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart[2..], 1);
        BinaryPrimitives.WriteUInt32BigEndian(fixedPart[4..], Ttl);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart[8..], (ushort)data.Length);
        into.AddRange(fixedPart.ToArray());
        into.AddRange(data);
    }

    public static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var l = Encoding.ASCII.GetBytes(label);
            bytes.Add((byte)l.Length);
            bytes.AddRange(l);
        }
        bytes.Add(0);
        return [.. bytes];
    }
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Woven.Wire;

namespace Woven.Security;

/// <summary>
/// What every member of a user domain agrees on: the domain's name, its virtual address ranges, its DNS zone and
/// the public key of the CA that signs its member certificates. It is the trust root of the domain: a node that
/// holds it accepts exactly the peers whose certificates verify with <see cref="CaPublicKey"/>. It is not secret,
/// and it is not signed; users obtain it over a channel they trust (the domain file, or inside a join token).
/// </summary>
/// <remarks>
/// Binary form, big-endian: magic "WVDS" (4), version 1 (1), name (length 1, ASCII), IPv4 range network (4) and
/// prefix length (1), flags (1; bit 0: an IPv6 prefix follows, other bits zero), [IPv6 prefix (16) and prefix length (1)],
/// DNS zone (length 1, ASCII), CA public key (32). The text form is <see cref="ToJson"/>.
/// </remarks>
public sealed partial record DomainSettings(string Name, IPNetwork Ipv4Range, IPNetwork? Ipv6Prefix, string DnsZone, byte[] CaPublicKey)
{
    public const byte Version = 1;

    public const int MinIpv4PrefixLength = 8;
    public const int MaxIpv4PrefixLength = 30;
    public const int MinIpv6PrefixLength = 48;
    public const int MaxIpv6PrefixLength = 64;

    private const byte HasIpv6 = 0x01;

    /// <summary>Private IPv4 space a virtual range may come from: RFC 1918 and the shared space of RFC 6598.</summary>
    private static readonly IPNetwork[] PrivateIpv4 =
    [
        IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("100.64.0.0/10"),
    ];

    private static readonly IPNetwork UniqueLocal = IPNetwork.Parse("fc00::/7");

    /// <summary>The default DNS zone of a domain: NAME.woven.</summary>
    public static string DefaultZone(string name) => $"{name}.woven";

    /// <summary>The first rule the settings break, worded with the JSON field name; null when they are valid.</summary>
    public string? Validate()
    {
        if (!DomainNames.IsLabel(Name)) return $"name: '{Name}' is not {DomainNames.LabelRule}";
        if (Ipv4RangeError(Ipv4Range) is { } v4) return $"ipv4_range: {v4}";
        if (Ipv6Prefix is { } p6 && Ipv6PrefixError(p6) is { } v6) return $"ipv6_prefix: {v6}";
        if (!DomainNames.IsZone(DnsZone)) return $"dns_zone: '{DnsZone}' is not {DomainNames.ZoneRule}";
        if (CaPublicKey is null || CaPublicKey.Length != DomainAuthority.KeySize) return $"ca_public_key: not {DomainAuthority.KeySize} bytes";
        return null;
    }

    /// <summary>Why a network cannot be a domain's IPv4 range, or null.</summary>
    public static string? Ipv4RangeError(IPNetwork range)
    {
        if (range.BaseAddress.AddressFamily != AddressFamily.InterNetwork) return $"'{range}' is not an IPv4 range";
        if (range.PrefixLength is < MinIpv4PrefixLength or > MaxIpv4PrefixLength)
            return $"'{range}' has prefix length {range.PrefixLength}; use /{MinIpv4PrefixLength} to /{MaxIpv4PrefixLength}";
        if (!PrivateIpv4.Any(p => p.Contains(range.BaseAddress) && p.PrefixLength <= range.PrefixLength))
            return $"'{range}' is not private address space; use a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10";
        return null;
    }

    /// <summary>Why a network cannot be a domain's IPv6 prefix, or null.</summary>
    public static string? Ipv6PrefixError(IPNetwork prefix)
    {
        if (prefix.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6 || prefix.BaseAddress.ScopeId != 0) return $"'{prefix}' is not an IPv6 prefix";
        if (prefix.PrefixLength is < MinIpv6PrefixLength or > MaxIpv6PrefixLength)
            return $"'{prefix}' has prefix length {prefix.PrefixLength}; use /{MinIpv6PrefixLength} to /{MaxIpv6PrefixLength}";
        if (!UniqueLocal.Contains(prefix.BaseAddress)) return $"'{prefix}' is not a unique local prefix (fc00::/7, e.g. fd12:3456:789a::/48)";
        return null;
    }

    /// <summary>
    /// Why a member cannot have this static address, or null: it must be an IPv4 address inside the range and
    /// be neither the network's nor the broadcast address; an IPv6 address must be inside the domain's prefix.
    /// </summary>
    public string? MemberAddressError(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            if (!Ipv4Range.Contains(address)) return $"{address} is outside the domain's range {Ipv4Range}";
            uint a = BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
            uint host = Ipv4Range.PrefixLength == 32 ? 0 : uint.MaxValue >> Ipv4Range.PrefixLength;
            if ((a & host) == 0) return $"{address} is the network address of {Ipv4Range}; choose a host address";
            if ((a & host) == host) return $"{address} is the broadcast address of {Ipv4Range}; choose a host address";
            return null;
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (Ipv6Prefix is not { } p) return $"the domain has no IPv6 prefix, so {address} cannot be given";
            if (address.ScopeId != 0 || !p.Contains(address)) return $"{address} is outside the domain's IPv6 prefix {p}";
            if (address.Equals(p.BaseAddress)) return $"{address} is the prefix's own address (all host bits zero); choose a host address";
            return null;
        }
        return $"{address} is not an IP address";
    }

    public int Size =>
        SecurityWire.MagicSize + 1 + SecurityWire.TextSize(Name) + 5 + 1 + (Ipv6Prefix is null ? 0 : 17)
        + SecurityWire.TextSize(DnsZone) + DomainAuthority.KeySize;

    /// <summary>Writes the binary form; false when the settings are invalid or do not fit.</summary>
    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (Validate() is not null) return false;
        var w = new SpanWriter(destination);
        SecurityWire.Magic(ref w, SecurityWire.SettingsMagic, Version);
        SecurityWire.Text(ref w, Name);
        SecurityWire.Address(ref w, Ipv4Range.BaseAddress);
        w.U8((byte)Ipv4Range.PrefixLength);
        w.U8(Ipv6Prefix is null ? (byte)0 : HasIpv6);
        if (Ipv6Prefix is { } p)
        {
            SecurityWire.Address(ref w, p.BaseAddress);
            w.U8((byte)p.PrefixLength);
        }
        SecurityWire.Text(ref w, DnsZone);
        w.Bytes(CaPublicKey);
        written = w.Position;
        return w.Ok;
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        if (!TryWrite(bytes, out int n) || n != bytes.Length) throw new InvalidOperationException($"invalid domain settings: {Validate()}");
        return bytes;
    }

    /// <summary>Reads exactly one settings record; false (never an exception) for anything else.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out DomainSettings? settings)
    {
        settings = null;
        var r = new SpanReader(source);
        if (!TryRead(ref r, out var s) || !r.AtEnd) return false;
        settings = s;
        return true;
    }

    /// <summary>Reads one settings record from a longer buffer (a join token).</summary>
    internal static bool TryRead(ref SpanReader r, out DomainSettings? settings)
    {
        settings = null;
        SecurityWire.Magic(ref r, SecurityWire.SettingsMagic, Version);
        string name = SecurityWire.Text(ref r);
        var v4 = SecurityWire.Ipv4(ref r);
        int v4Length = r.U8();
        byte flags = r.U8();
        IPAddress? v6 = null;
        int v6Length = 0;
        if ((flags & HasIpv6) != 0)
        {
            v6 = SecurityWire.Ipv6(ref r);
            v6Length = r.U8();
        }
        string zone = SecurityWire.Text(ref r);
        var key = r.Bytes(DomainAuthority.KeySize).ToArray();
        if (!r.Ok || (flags & ~HasIpv6) != 0) return false;
        if (!TryNetwork(v4!, v4Length, out var range)) return false;
        IPNetwork? prefix = null;
        if (v6 is not null)
        {
            if (!TryNetwork(v6, v6Length, out var p)) return false;
            prefix = p;
        }
        var candidate = new DomainSettings(name, range, prefix, zone, key);
        if (candidate.Validate() is not null) return false;
        settings = candidate;
        return true;
    }

    /// <summary>A network from an address and a length, refusing host bits (IPNetwork's constructor would throw).</summary>
    private static bool TryNetwork(IPAddress address, int length, out IPNetwork network)
    {
        network = default;
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (length > max) return false;
        return IPNetwork.TryParse($"{address}/{length}", out network) && network.BaseAddress.Equals(address);
    }

    /// <summary>Two settings are the same domain when their binary forms are equal.</summary>
    public bool SameAs(DomainSettings other) => ToBytes().AsSpan().SequenceEqual(other.ToBytes());
}

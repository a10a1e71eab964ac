using System.Net;
using System.Net.Sockets;
using System.Text;
using Woven.Wire;

namespace Woven.Security;

/// <summary>Pieces shared by the domain formats: magics, length-prefixed ASCII names, addresses and prefixes.</summary>
internal static class SecurityWire
{
    public const int MagicSize = 4;

    public static ReadOnlySpan<byte> SettingsMagic => "WVDS"u8;
    public static ReadOnlySpan<byte> CertificateMagic => "WVMC"u8;
    public static ReadOnlySpan<byte> RevocationsMagic => "WVRL"u8;
    public static ReadOnlySpan<byte> TokenMagic => "WVJT"u8;

    /// <summary>Domain-separation prefixes of the CA's signatures.</summary>
    public static ReadOnlySpan<byte> CertificateSignaturePrefix => "woven-cert-v1"u8;
    public static ReadOnlySpan<byte> RevocationsSignaturePrefix => "woven-crl-v1"u8;

    /// <summary>Year 9999: the largest time a format accepts, so that every time converts to a date.</summary>
    public const ulong MaxUnixSeconds = 253402300799;

    public static int TextSize(string text) => 1 + text.Length;

    /// <summary>A length byte and the ASCII bytes. The caller has validated the text.</summary>
    public static void Text(ref SpanWriter w, string text)
    {
        w.U8((byte)text.Length);
        w.Bytes(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>A length byte (1..255) and that many bytes of ASCII; "" and a failed reader when it is not.</summary>
    public static string Text(ref SpanReader r)
    {
        int length = r.U8();
        var bytes = r.Bytes(length);
        if (!r.Ok || length == 0)
        {
            r.Fail();
            return "";
        }
        foreach (byte b in bytes)
        {
            if (b is < 0x21 or > 0x7E)
            {
                r.Fail();
                return "";
            }
        }
        return Encoding.ASCII.GetString(bytes);
    }

    public static void Magic(ref SpanWriter w, ReadOnlySpan<byte> magic, byte version)
    {
        w.Bytes(magic);
        w.U8(version);
    }

    /// <summary>Reads the magic and the version; fails the reader unless both are the expected ones.</summary>
    public static void Magic(ref SpanReader r, ReadOnlySpan<byte> magic, byte version)
    {
        var m = r.Bytes(MagicSize);
        byte v = r.U8();
        if (!r.Ok || !m.SequenceEqual(magic) || v != version) r.Fail();
    }

    public static void Address(ref SpanWriter w, IPAddress address)
    {
        w.Bytes(address.GetAddressBytes());
    }

    public static IPAddress? Ipv4(ref SpanReader r)
    {
        var s = r.Bytes(4);
        return r.Ok ? new IPAddress(s) : null;
    }

    public static IPAddress? Ipv6(ref SpanReader r)
    {
        var s = r.Bytes(16);
        return r.Ok ? new IPAddress(s) : null;
    }

    public static bool IsIpv4(IPAddress? a) => a is { AddressFamily: AddressFamily.InterNetwork };

    public static bool IsIpv6(IPAddress? a) => a is { AddressFamily: AddressFamily.InterNetworkV6, ScopeId: 0 };

    public static DateTimeOffset ToDate(ulong unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(unixSeconds, MaxUnixSeconds));

    /// <summary>Unix seconds of a time, 0 for times before 1970.</summary>
    public static ulong ToUnixSeconds(DateTimeOffset time) => (ulong)Math.Max(0, time.ToUnixTimeSeconds());
}

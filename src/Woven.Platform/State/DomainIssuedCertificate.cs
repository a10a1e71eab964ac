using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Woven.Security;

namespace Woven.Platform.State;

/// <summary>
/// One line of a CA directory's issued.log: what the CA signed, so that it can refuse a second live certificate
/// for the same name or address and revoke by name. A JSON object per line.
/// </summary>
public sealed record DomainIssuedCertificate(ulong Serial, string Name, IPAddress? Ipv4, IPAddress? Ipv6, string PublicKey, ulong NotAfter, ulong IssuedAt)
{
    public static DomainIssuedCertificate From(MemberCertificate certificate, DateTimeOffset issuedAt) => new(
        certificate.Serial,
        certificate.NodeName,
        certificate.Ipv4,
        certificate.Ipv6,
        Convert.ToBase64String(certificate.NodePublicKey),
        certificate.NotAfter,
        (ulong)Math.Max(0, issuedAt.ToUnixTimeSeconds()));

    public bool IsExpiredAt(DateTimeOffset now) => (ulong)Math.Max(0, now.ToUnixTimeSeconds()) > NotAfter;

    public string ToJsonLine()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("serial", MemberCertificate.FormatSerial(Serial));
            w.WriteString("name", Name);
            if (Ipv4 is not null) w.WriteString("ipv4", Ipv4.ToString());
            if (Ipv6 is not null) w.WriteString("ipv6", Ipv6.ToString());
            w.WriteString("public_key", PublicKey);
            w.WriteNumber("not_after", NotAfter);
            w.WriteNumber("issued_at", IssuedAt);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static bool TryParseJsonLine(string line, out DomainIssuedCertificate? entry)
    {
        entry = null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (!ulong.TryParse(root.GetProperty("serial").GetString(), System.Globalization.NumberStyles.AllowHexSpecifier, null, out ulong serial)) return false;
            IPAddress? v4 = null, v6 = null;
            if (root.TryGetProperty("ipv4", out var a4) && !IPAddress.TryParse(a4.GetString(), out v4)) return false;
            if (root.TryGetProperty("ipv6", out var a6) && !IPAddress.TryParse(a6.GetString(), out v6)) return false;
            entry = new DomainIssuedCertificate(
                serial,
                root.GetProperty("name").GetString() ?? "",
                v4,
                v6,
                root.GetProperty("public_key").GetString() ?? "",
                root.GetProperty("not_after").GetUInt64(),
                root.GetProperty("issued_at").GetUInt64());
            return true;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}

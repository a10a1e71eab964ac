using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Woven.Security;

/// <summary>The domain file (domain.json): the text form of the settings that users share.</summary>
public sealed partial record DomainSettings
{
    /// <summary>The value of the "format" field; a later incompatible format gets a new one.</summary>
    public const string JsonFormat = "woven-domain-v1";

    private static readonly string[] JsonFields = ["format", "name", "ipv4_range", "ipv6_prefix", "dns_zone", "ca_public_key"];

    /// <summary>
    /// <c>{"format": "woven-domain-v1", "name": ..., "ipv4_range": "10.77.0.0/16", "ipv6_prefix": "fd..::/48" or null,
    /// "dns_zone": ..., "ca_public_key": base64}</c>, indented, with a final newline.
    /// </summary>
    public string ToJson()
    {
        if (Validate() is { } error) throw new InvalidOperationException($"invalid domain settings: {error}");
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", JsonFormat);
            w.WriteString("name", Name);
            w.WriteString("ipv4_range", Ipv4Range.ToString());
            if (Ipv6Prefix is { } p) w.WriteString("ipv6_prefix", p.ToString());
            else w.WriteNull("ipv6_prefix");
            w.WriteString("dns_zone", DnsZone);
            w.WriteString("ca_public_key", Convert.ToBase64String(CaPublicKey));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>
    /// Parses a domain file. Unknown fields, missing fields and invalid values are refused with a message that
    /// names the field; never throws.
    /// </summary>
    public static bool TryParseJson(string json, out DomainSettings? settings, out string error)
    {
        settings = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            error = $"not JSON ({e.Message})";
            return false;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "not a JSON object";
                return false;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!JsonFields.Contains(property.Name))
                {
                    error = $"unknown field '{property.Name}' (expected {string.Join(", ", JsonFields)})";
                    return false;
                }
                if (!seen.Add(property.Name))
                {
                    error = $"{property.Name}: given twice";
                    return false;
                }
            }
            if (!String(root, "format", out var format, out error)) return false;
            if (format != JsonFormat)
            {
                error = $"format: '{format}' is not '{JsonFormat}'";
                return false;
            }
            if (!String(root, "name", out var name, out error)
                || !String(root, "ipv4_range", out var v4Text, out error)
                || !String(root, "dns_zone", out var zone, out error)
                || !String(root, "ca_public_key", out var keyText, out error)) return false;
            if (!TryParseCidr(v4Text, out var v4))
            {
                error = $"ipv4_range: '{v4Text}' is not a CIDR range with zero host bits, e.g. 10.77.0.0/16";
                return false;
            }
            IPNetwork? v6 = null;
            if (root.TryGetProperty("ipv6_prefix", out var v6Element) && v6Element.ValueKind != JsonValueKind.Null)
            {
                if (v6Element.ValueKind != JsonValueKind.String || !TryParseCidr(v6Element.GetString() ?? "", out var parsed))
                {
                    error = "ipv6_prefix: not null or a CIDR prefix with zero host bits, e.g. fd12:3456:789a::/48";
                    return false;
                }
                v6 = parsed;
            }
            var key = new byte[DomainAuthority.KeySize + 3];
            if (!Convert.TryFromBase64String(keyText, key, out int n) || n != DomainAuthority.KeySize)
            {
                error = $"ca_public_key: not base64 of {DomainAuthority.KeySize} bytes";
                return false;
            }
            var candidate = new DomainSettings(name, v4, v6, zone, key[..n]);
            if (candidate.Validate() is { } invalid)
            {
                error = invalid;
                return false;
            }
            settings = candidate;
            error = "";
            return true;
        }
    }

    /// <summary>ADDRESS/LENGTH with every host bit zero (IPNetwork.TryParse alone accepts host bits).</summary>
    public static bool TryParseCidr(string text, out IPNetwork network)
    {
        network = default;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IPAddress.TryParse(text.AsSpan(0, slash), out var address)) return false;
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId != 0) return false;
        return IPNetwork.TryParse(text, out network) && network.BaseAddress.Equals(address);
    }

    private static bool String(JsonElement root, string field, out string value, out string error)
    {
        value = "";
        if (!root.TryGetProperty(field, out var element))
        {
            error = $"{field}: missing";
            return false;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"{field}: not a string";
            return false;
        }
        value = element.GetString() ?? "";
        error = "";
        return true;
    }
}

using System.Net;

namespace Woven.Security;

/// <summary>
/// Everything a member certificate says, without the CA's signature: which domain, which node key, under which
/// name and addresses, in which groups, and for how long (unix seconds; valid while
/// <see cref="NotBefore"/> ≤ now ≤ <see cref="NotAfter"/>).
/// </summary>
public sealed record CertificateFields(
    string Domain,
    ulong Serial,
    byte[] NodePublicKey,
    string NodeName,
    IPAddress? Ipv4,
    IPAddress? Ipv6,
    IReadOnlyList<string> Groups,
    ulong NotBefore,
    ulong NotAfter)
{
    /// <summary>Most groups one certificate can list.</summary>
    public const int MaxGroups = 8;

    /// <summary>The first rule the fields break, or null. Groups must be sorted (ordinal) without duplicates.</summary>
    public string? Validate()
    {
        if (!DomainNames.IsLabel(Domain)) return $"domain '{Domain}' is not {DomainNames.LabelRule}";
        if (Serial == 0) return "serial 0 is reserved";
        if (NodePublicKey is null || NodePublicKey.Length != DomainAuthority.KeySize) return $"the node public key is not {DomainAuthority.KeySize} bytes";
        if (!DomainNames.IsLabel(NodeName)) return $"node name '{NodeName}' is not {DomainNames.LabelRule}";
        if (Ipv4 is not null && !SecurityWire.IsIpv4(Ipv4)) return $"{Ipv4} is not an IPv4 address";
        if (Ipv6 is not null && !SecurityWire.IsIpv6(Ipv6)) return $"{Ipv6} is not an IPv6 address without a scope";
        if (Groups is null || Groups.Count > MaxGroups) return $"more than {MaxGroups} groups";
        for (int i = 0; i < Groups.Count; i++)
        {
            if (!DomainNames.IsGroup(Groups[i])) return $"group '{Groups[i]}' is not {DomainNames.GroupRule}";
            if (i > 0 && string.CompareOrdinal(Groups[i - 1], Groups[i]) >= 0) return "groups are not sorted and distinct";
        }
        if (NotAfter > SecurityWire.MaxUnixSeconds) return "not-after is beyond the year 9999";
        if (NotBefore >= NotAfter) return "not-before is not earlier than not-after";
        return null;
    }

    /// <summary>Groups as the format wants them: sorted and without duplicates.</summary>
    public static IReadOnlyList<string> CanonicalGroups(IEnumerable<string> groups) =>
        groups.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
}

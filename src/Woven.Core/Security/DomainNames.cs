namespace Woven.Security;

/// <summary>
/// The spelling rules of the names in a user domain. Domain and node names are single DNS labels so that
/// <c>node.zone</c> is a valid host name; group names follow the same rules, shorter. Lower case only, so that
/// two spellings never name the same thing.
/// </summary>
public static class DomainNames
{
    /// <summary>Longest domain or node name: one DNS label.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>Longest group name.</summary>
    public const int MaxGroupLength = 32;

    /// <summary>Longest DNS zone (RFC 1035 limits a name to 253 characters in text form).</summary>
    public const int MaxZoneLength = 253;

    /// <summary>1–63 of a–z, 0–9 and '-', not starting or ending with '-'.</summary>
    public static bool IsLabel(string? text) => IsLabel(text, MaxLabelLength);

    /// <summary>A group: the label rules, at most <see cref="MaxGroupLength"/> characters.</summary>
    public static bool IsGroup(string? text) => IsLabel(text, MaxGroupLength);

    /// <summary>Dot-separated labels, at most <see cref="MaxZoneLength"/> characters, no trailing dot.</summary>
    public static bool IsZone(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxZoneLength) return false;
        foreach (var label in text.Split('.'))
        {
            if (!IsLabel(label)) return false;
        }
        return true;
    }

    /// <summary>The rule in words, for error messages.</summary>
    public const string LabelRule = "1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'";

    public const string GroupRule = "1-32 characters of a-z, 0-9 and '-', not starting or ending with '-'";

    public const string ZoneRule = "dot-separated labels of a-z, 0-9 and '-', at most 253 characters, e.g. lab.woven";

    private static bool IsLabel(string? text, int max)
    {
        if (string.IsNullOrEmpty(text) || text.Length > max) return false;
        if (text[0] == '-' || text[^1] == '-') return false;
        foreach (char c in text)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')) return false;
        }
        return true;
    }
}

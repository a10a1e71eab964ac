namespace Woven.Wire;

/// <summary>
/// Why a link exists, as seen by the node that sends the flags. <see cref="FarOut"/> and <see cref="FarIn"/>
/// are mirrored by the receiver (my outgoing far link is your incoming one).
/// </summary>
[Flags]
public enum LinkRoles : byte
{
    None = 0,
    /// <summary>A bootstrap link of a node that is still joining; never used for greedy routing except to reach it.</summary>
    Leaf = 0x01,
    /// <summary>The sender believes the receiver is one of its ring neighbours.</summary>
    Near = 0x02,
    /// <summary>A Symphony far link that the sender asked for.</summary>
    FarOut = 0x04,
    /// <summary>A Symphony far link that the receiver asked for.</summary>
    FarIn = 0x08,
    /// <summary>A link asked for directly (by an application, or for traffic that deserves one: IPOP's shortcuts).</summary>
    Shortcut = 0x10,
}

public static class LinkRolesExtensions
{
    public const LinkRoles Known = LinkRoles.Leaf | LinkRoles.Near | LinkRoles.FarOut | LinkRoles.FarIn | LinkRoles.Shortcut;

    /// <summary>The same roles seen from the other end of the link.</summary>
    public static LinkRoles Mirror(this LinkRoles roles)
    {
        var r = roles & (LinkRoles.Leaf | LinkRoles.Near | LinkRoles.Shortcut);
        if ((roles & LinkRoles.FarOut) != 0) r |= LinkRoles.FarIn;
        if ((roles & LinkRoles.FarIn) != 0) r |= LinkRoles.FarOut;
        return r;
    }
}

using Woven.Addressing;
using Woven.Messaging;
using Woven.Overlay;

namespace Woven.Node;

public sealed partial class WovenNode
{
    /// <summary>Peer messaging and presence (woven msg, woven presence).</summary>
    public MessageService? Messaging { get; private set; }

    private void StartMessaging()
    {
        var certificate = (Membership as DomainMembership)?.Certificate;
        var options = new MessagingOptions { Name = DnsLabel(_options.Name ?? certificate?.NodeName ?? Environment.MachineName) };
        Messaging = new MessageService(Overlay!, TimeProvider.System, new Random(), options);
    }

    /// <summary>Tells the linked peers this node is going (presence shows it offline at once), then stops messaging.</summary>
    private void StopMessaging()
    {
        Messaging?.Leave();
        Messaging?.Dispose();
    }

    /// <summary>
    /// The node a message goes to: a ring address, a member's name as presence knows it (NAME or NAME.ZONE), or else
    /// whatever <see cref="ResolveAsync"/> finds in the DHT (a virtual address, or a name claimed there).
    /// </summary>
    public async Task<(RingAddress? Address, string? Error)> ResolvePeerAsync(string peer)
    {
        if (RingAddress.TryParse(peer, out var ring)) return (ring, null);
        string label = peer.Split('.')[0];
        if (!System.Net.IPAddress.TryParse(peer, out _) && Messaging?.FindByName(label) is { } named) return (named, null);
        var (address, _, error) = await ResolveAsync(peer);
        return (address, error);
    }
}
